//! `sms_sends`: one row per one-time code sent (any purpose), with the number, its country code and
//! the client address that asked, so the SMS limits (`[sms.limits]`) are counted in the database and
//! shared by every node. Rows older than a day are purged. Reverting drops the table: the limits
//! then start counting from nothing.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SmsSends {
    Table,
    Id,
    Phone,
    CountryCode,
    ClientAddr,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SmsSends::Table)
                .col(
                    ColumnDef::new(SmsSends::Id)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(SmsSends::Phone).string_len(20).not_null())
                .col(
                    ColumnDef::new(SmsSends::CountryCode)
                        .string_len(4)
                        .not_null(),
                )
                .col(ColumnDef::new(SmsSends::ClientAddr).string_len(256).null())
                .col(ColumnDef::new(SmsSends::SentAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_sms_sends_phone", SmsSends::Phone),
            ("idx_sms_sends_addr", SmsSends::ClientAddr),
            ("idx_sms_sends_country", SmsSends::CountryCode),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(SmsSends::Table)
                    .col(col)
                    .col(SmsSends::SentAt)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("idx_sms_sends_sent")
                .table(SmsSends::Table)
                .col(SmsSends::SentAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SmsSends::Table).to_owned())
            .await
    }
}
