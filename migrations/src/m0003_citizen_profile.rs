//! Citizen profile for the user pages: verified e-mail and the permanent residence address (where
//! postal activation letters go). SQLite adds one column per ALTER TABLE, so each is its own statement.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Citizens {
    Table,
    EmailVerifiedAt,
    AddressStreet,
    AddressPostcode,
    AddressCity,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Citizens::Table)
                    .add_column(
                        ColumnDef::new(Citizens::EmailVerifiedAt)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        for (col, len) in [
            (Citizens::AddressStreet, 200),
            (Citizens::AddressPostcode, 16),
            (Citizens::AddressCity, 100),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Citizens::Table)
                        .add_column(ColumnDef::new(col).string_len(len).null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            Citizens::AddressCity,
            Citizens::AddressPostcode,
            Citizens::AddressStreet,
            Citizens::EmailVerifiedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Citizens::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
