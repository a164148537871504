//! Single-use, expiring links mailed to citizens (e-mail verification, password reset). Only a keyed
//! hash of each token is stored.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Citizens {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum EmailTokens {
    Table,
    Id,
    CitizenId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(EmailTokens::Table)
                .col(
                    ColumnDef::new(EmailTokens::Id)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(EmailTokens::CitizenId)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(EmailTokens::Purpose)
                        .string_len(16)
                        .not_null()
                        .check(Expr::col(EmailTokens::Purpose).is_in(["verify", "reset"])),
                )
                .col(
                    ColumnDef::new(EmailTokens::TokenHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(EmailTokens::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(EmailTokens::ExpiresAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(EmailTokens::UsedAt).big_integer().null())
                .foreign_key(
                    ForeignKey::create()
                        .from(EmailTokens::Table, EmailTokens::CitizenId)
                        .to(Citizens::Table, Citizens::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_email_tokens_citizen")
                .table(EmailTokens::Table)
                .col(EmailTokens::CitizenId)
                .col(EmailTokens::Purpose)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(EmailTokens::Table)
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
