//! smsPASS activation: requests (path A at a registration office, path B by qualified certificate),
//! activation codes (stored as keyed hashes), phone verifications (SMS codes to a new number), and the
//! columns on `citizens` that hold the current request of the smsPASS state machine.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Citizens {
    Table,
    Id,
    SmspassRequestId,
    SmspassPath,
    SmspassChangedAt,
    SmspassReason,
}

#[derive(DeriveIden)]
enum ActivationRequests {
    Table,
    Id,
    Reference,
    CitizenId,
    Path,
    Status,
    Lang,
    CreatedAt,
    DocumentType,
    DocumentNumber,
    DocumentExpiry,
    Office,
    Officer,
    CheckedAt,
    CitizenSignedAt,
    DecidedAt,
    DecidedBy,
    Reason,
}

#[derive(DeriveIden)]
enum ActivationCodes {
    Table,
    Id,
    CitizenId,
    RequestId,
    CodeHash,
    CreatedAt,
    ExpiresAt,
    Attempts,
    MaxAttempts,
    UsedAt,
}

#[derive(DeriveIden)]
enum PhoneVerifications {
    Table,
    Id,
    CitizenId,
    Purpose,
    Phone,
    OtpHash,
    CodeId,
    CreatedAt,
    ExpiresAt,
    Attempts,
    Sends,
    LastSentAt,
    UsedAt,
}

fn id_text<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .string_len(64)
        .not_null()
        .primary_key()
        .to_owned()
}

fn text<T: IntoIden>(name: T, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).not_null().to_owned()
}

fn opt_text<T: IntoIden>(name: T, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).null().to_owned()
}

fn ms<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn opt_ms<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}

fn count<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .integer()
        .not_null()
        .default(0)
        .to_owned()
}

fn citizen_fk<T: IntoIden + 'static>(table: T, col: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Citizens::Table, Citizens::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            opt_text(Citizens::SmspassRequestId, 64),
            opt_text(Citizens::SmspassPath, 1),
            opt_ms(Citizens::SmspassChangedAt),
            opt_text(Citizens::SmspassReason, 500),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Citizens::Table)
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(ActivationRequests::Table)
                .col(id_text(ActivationRequests::Id))
                .col(text(ActivationRequests::Reference, 16).unique_key())
                .col(text(ActivationRequests::CitizenId, 64))
                .col(text(ActivationRequests::Path, 1))
                .col(text(ActivationRequests::Status, 16))
                .col(text(ActivationRequests::Lang, 8))
                .col(ms(ActivationRequests::CreatedAt))
                .col(opt_text(ActivationRequests::DocumentType, 32))
                .col(opt_text(ActivationRequests::DocumentNumber, 64))
                .col(opt_text(ActivationRequests::DocumentExpiry, 10))
                .col(opt_text(ActivationRequests::Office, 200))
                .col(opt_text(ActivationRequests::Officer, 64))
                .col(opt_ms(ActivationRequests::CheckedAt))
                .col(opt_ms(ActivationRequests::CitizenSignedAt))
                .col(opt_ms(ActivationRequests::DecidedAt))
                .col(opt_text(ActivationRequests::DecidedBy, 64))
                .col(opt_text(ActivationRequests::Reason, 500))
                .foreign_key(&mut citizen_fk(
                    ActivationRequests::Table,
                    ActivationRequests::CitizenId,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_activation_requests_citizen")
                .table(ActivationRequests::Table)
                .col(ActivationRequests::CitizenId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ActivationCodes::Table)
                .col(id_text(ActivationCodes::Id))
                .col(text(ActivationCodes::CitizenId, 64))
                .col(text(ActivationCodes::RequestId, 64))
                .col(text(ActivationCodes::CodeHash, 128))
                .col(ms(ActivationCodes::CreatedAt))
                .col(ms(ActivationCodes::ExpiresAt))
                .col(count(ActivationCodes::Attempts))
                .col(count(ActivationCodes::MaxAttempts))
                .col(opt_ms(ActivationCodes::UsedAt))
                .foreign_key(&mut citizen_fk(
                    ActivationCodes::Table,
                    ActivationCodes::CitizenId,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(ActivationCodes::Table, ActivationCodes::RequestId)
                        .to(ActivationRequests::Table, ActivationRequests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_activation_codes_citizen")
                .table(ActivationCodes::Table)
                .col(ActivationCodes::CitizenId)
                .to_owned(),
        )
        .await?;
        create_phone_verifications(m).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PhoneVerifications::Table.into_iden(),
            ActivationCodes::Table.into_iden(),
            ActivationRequests::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        for c in [
            Citizens::SmspassRequestId.into_iden(),
            Citizens::SmspassPath.into_iden(),
            Citizens::SmspassChangedAt.into_iden(),
            Citizens::SmspassReason.into_iden(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Citizens::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

/// The phone verification table as m0005 made it (also what m0010 restores when reverted).
pub(crate) async fn create_phone_verifications(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(PhoneVerifications::Table)
            .col(id_text(PhoneVerifications::Id))
            .col(text(PhoneVerifications::CitizenId, 64))
            .col(text(PhoneVerifications::Purpose, 16))
            .col(text(PhoneVerifications::Phone, 20))
            .col(text(PhoneVerifications::OtpHash, 128))
            .col(opt_text(PhoneVerifications::CodeId, 64))
            .col(ms(PhoneVerifications::CreatedAt))
            .col(ms(PhoneVerifications::ExpiresAt))
            .col(count(PhoneVerifications::Attempts))
            .col(count(PhoneVerifications::Sends))
            .col(ms(PhoneVerifications::LastSentAt))
            .col(opt_ms(PhoneVerifications::UsedAt))
            .foreign_key(&mut citizen_fk(
                PhoneVerifications::Table,
                PhoneVerifications::CitizenId,
            ))
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("idx_phone_verifications_citizen")
            .table(PhoneVerifications::Table)
            .col(PhoneVerifications::CitizenId)
            .col(PhoneVerifications::Purpose)
            .to_owned(),
    )
    .await?;
    Ok(())
}
