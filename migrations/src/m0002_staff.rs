//! Staff accounts (officers, operators, auditors), their login transactions (password + SMS code) and
//! their server-side sessions. Failed-attempt locks reuse the `throttles` table.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
    Username,
    DisplayName,
    PasswordHash,
    Phone,
    Roles,
    Locked,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StaffLoginTransactions {
    Table,
    Id,
    TokenHash,
    StaffId,
    PasswordAt,
    NextPath,
    CodeHash,
    CodeExpiresAt,
    Attempts,
    Sends,
    LastSentAt,
    CreatedAt,
    ExpiresAt,
    Completed,
}

#[derive(DeriveIden)]
enum StaffSessions {
    Table,
    Id,
    TokenHash,
    StaffId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    Revoked,
}

fn id_text<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .string_len(64)
        .not_null()
        .primary_key()
        .to_owned()
}

fn ms<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn flag<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .boolean()
        .not_null()
        .default(false)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Staff::Table)
                .col(id_text(Staff::Id))
                .col(
                    ColumnDef::new(Staff::Username)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(Staff::DisplayName)
                        .string_len(200)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Staff::PasswordHash)
                        .string_len(255)
                        .not_null(),
                )
                .col(ColumnDef::new(Staff::Phone).string_len(20).not_null())
                .col(ColumnDef::new(Staff::Roles).string_len(100).not_null())
                .col(flag(Staff::Locked))
                .col(ms(Staff::CreatedAt))
                .to_owned(),
        )
        .await?;
        create_staff_login_table(m).await?;
        m.create_table(
            Table::create()
                .table(StaffSessions::Table)
                .col(id_text(StaffSessions::Id))
                .col(
                    ColumnDef::new(StaffSessions::TokenHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(StaffSessions::StaffId)
                        .string_len(64)
                        .not_null(),
                )
                .col(ms(StaffSessions::CreatedAt))
                .col(ms(StaffSessions::LastSeenAt))
                .col(ms(StaffSessions::ExpiresAt))
                .col(flag(StaffSessions::Revoked))
                .foreign_key(
                    ForeignKey::create()
                        .from(StaffSessions::Table, StaffSessions::StaffId)
                        .to(Staff::Table, Staff::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            StaffSessions::Table.into_iden(),
            StaffLoginTransactions::Table.into_iden(),
            Staff::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The staff login table as m0002 made it (also what m0010 restores when reverted).
pub(crate) async fn create_staff_login_table(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(StaffLoginTransactions::Table)
            .col(id_text(StaffLoginTransactions::Id))
            .col(
                ColumnDef::new(StaffLoginTransactions::TokenHash)
                    .string_len(64)
                    .not_null()
                    .unique_key(),
            )
            .col(
                ColumnDef::new(StaffLoginTransactions::StaffId)
                    .string_len(64)
                    .null(),
            )
            .col(
                ColumnDef::new(StaffLoginTransactions::PasswordAt)
                    .big_integer()
                    .null(),
            )
            .col(
                ColumnDef::new(StaffLoginTransactions::NextPath)
                    .string_len(512)
                    .not_null(),
            )
            .col(
                ColumnDef::new(StaffLoginTransactions::CodeHash)
                    .string_len(128)
                    .null(),
            )
            .col(
                ColumnDef::new(StaffLoginTransactions::CodeExpiresAt)
                    .big_integer()
                    .null(),
            )
            .col(
                ColumnDef::new(StaffLoginTransactions::Attempts)
                    .integer()
                    .not_null()
                    .default(0),
            )
            .col(
                ColumnDef::new(StaffLoginTransactions::Sends)
                    .integer()
                    .not_null()
                    .default(0),
            )
            .col(
                ColumnDef::new(StaffLoginTransactions::LastSentAt)
                    .big_integer()
                    .null(),
            )
            .col(ms(StaffLoginTransactions::CreatedAt))
            .col(ms(StaffLoginTransactions::ExpiresAt))
            .col(flag(StaffLoginTransactions::Completed))
            .to_owned(),
    )
    .await?;
    Ok(())
}
