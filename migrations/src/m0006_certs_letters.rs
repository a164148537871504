//! Path B of smsPASS activation: qualified client certificates registered to an account, and the queue
//! of postal letters that carry activation codes.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Citizens {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ClientCerts {
    Table,
    Id,
    CitizenId,
    Issuer,
    Serial,
    Subject,
    FingerprintSha256,
    NotAfter,
    RegisteredAt,
}

#[derive(DeriveIden)]
enum Letters {
    Table,
    Id,
    CitizenId,
    RequestRef,
    Status,
    CreatedAt,
    DispatchedAt,
    Batch,
}

fn text<T: IntoIden>(name: T, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).not_null().to_owned()
}

fn ms<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ClientCerts::Table)
                .col(text(ClientCerts::Id, 64).primary_key())
                .col(text(ClientCerts::CitizenId, 64))
                .col(text(ClientCerts::Issuer, 1024))
                .col(text(ClientCerts::Serial, 128))
                .col(text(ClientCerts::Subject, 1024))
                .col(text(ClientCerts::FingerprintSha256, 64).unique_key())
                .col(ms(ClientCerts::NotAfter))
                .col(ms(ClientCerts::RegisteredAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ClientCerts::Table, ClientCerts::CitizenId)
                        .to(Citizens::Table, Citizens::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_client_certs_citizen")
                .table(ClientCerts::Table)
                .col(ClientCerts::CitizenId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Letters::Table)
                .col(text(Letters::Id, 64).primary_key())
                .col(text(Letters::CitizenId, 64))
                .col(text(Letters::RequestRef, 64))
                .col(text(Letters::Status, 16).default("pending"))
                .col(ms(Letters::CreatedAt))
                .col(ColumnDef::new(Letters::DispatchedAt).big_integer().null())
                .col(ColumnDef::new(Letters::Batch).string_len(128).null())
                .foreign_key(
                    ForeignKey::create()
                        .from(Letters::Table, Letters::CitizenId)
                        .to(Citizens::Table, Citizens::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_letters_status")
                .table(Letters::Table)
                .col(Letters::Status)
                .col(Letters::CreatedAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [Letters::Table.into_iden(), ClientCerts::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
