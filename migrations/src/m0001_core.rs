use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Citizens {
    Table,
    Id,
    Username,
    GivenName,
    FamilyName,
    Email,
    SmspassState,
    Phone,
    Locked,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Credentials {
    Table,
    CitizenId,
    PasswordHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Throttles {
    Table,
    Key,
    Failures,
    WindowStart,
    LockedUntil,
}

#[derive(DeriveIden)]
enum LoginTransactions {
    Table,
    Id,
    TokenHash,
    SpEntityId,
    RequestJson,
    CitizenId,
    PasswordAt,
    CreatedAt,
    ExpiresAt,
    Completed,
}

#[derive(DeriveIden)]
enum OtpChallenges {
    Table,
    Id,
    LoginTransactionId,
    CodeHash,
    Phone,
    CreatedAt,
    ExpiresAt,
    Attempts,
    Sends,
    LastSentAt,
    Spent,
}

#[derive(DeriveIden)]
enum SsoSessions {
    Table,
    Id,
    TokenHash,
    CitizenId,
    Level,
    AuthnInstant,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    Revoked,
}

#[derive(DeriveIden)]
enum SessionParticipants {
    Table,
    Id,
    SessionId,
    SpEntityId,
    NameId,
    NameIdFormat,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SeenRequests {
    Table,
    SpEntityId,
    RequestId,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    Kind,
    Actor,
    CitizenId,
    SpEntityId,
    ClientAddr,
    Detail,
}

fn id_text<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).string_len(64).not_null().primary_key().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Citizens::Table)
                .col(id_text(Citizens::Id))
                .col(ColumnDef::new(Citizens::Username).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(Citizens::GivenName).string_len(200).not_null())
                .col(ColumnDef::new(Citizens::FamilyName).string_len(200).not_null())
                .col(ColumnDef::new(Citizens::Email).string_len(320).null())
                .col(ColumnDef::new(Citizens::SmspassState).string_len(32).not_null())
                .col(ColumnDef::new(Citizens::Phone).string_len(20).null())
                .col(ColumnDef::new(Citizens::Locked).boolean().not_null().default(false))
                .col(ColumnDef::new(Citizens::CreatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Credentials::Table)
                .col(id_text(Credentials::CitizenId))
                .col(ColumnDef::new(Credentials::PasswordHash).string_len(255).not_null())
                .col(ColumnDef::new(Credentials::UpdatedAt).big_integer().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(Credentials::Table, Credentials::CitizenId)
                        .to(Citizens::Table, Citizens::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Throttles::Table)
                .col(ColumnDef::new(Throttles::Key).string_len(200).not_null().primary_key())
                .col(ColumnDef::new(Throttles::Failures).integer().not_null())
                .col(ColumnDef::new(Throttles::WindowStart).big_integer().not_null())
                .col(ColumnDef::new(Throttles::LockedUntil).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoginTransactions::Table)
                .col(id_text(LoginTransactions::Id))
                .col(ColumnDef::new(LoginTransactions::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(LoginTransactions::SpEntityId).string_len(1024).not_null())
                .col(ColumnDef::new(LoginTransactions::RequestJson).text().not_null())
                .col(ColumnDef::new(LoginTransactions::CitizenId).string_len(64).null())
                .col(ColumnDef::new(LoginTransactions::PasswordAt).big_integer().null())
                .col(ColumnDef::new(LoginTransactions::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(LoginTransactions::ExpiresAt).big_integer().not_null())
                .col(ColumnDef::new(LoginTransactions::Completed).boolean().not_null().default(false))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OtpChallenges::Table)
                .col(id_text(OtpChallenges::Id))
                .col(ColumnDef::new(OtpChallenges::LoginTransactionId).string_len(64).not_null())
                .col(ColumnDef::new(OtpChallenges::CodeHash).string_len(128).not_null())
                .col(ColumnDef::new(OtpChallenges::Phone).string_len(20).not_null())
                .col(ColumnDef::new(OtpChallenges::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(OtpChallenges::ExpiresAt).big_integer().not_null())
                .col(ColumnDef::new(OtpChallenges::Attempts).integer().not_null())
                .col(ColumnDef::new(OtpChallenges::Sends).integer().not_null())
                .col(ColumnDef::new(OtpChallenges::LastSentAt).big_integer().not_null())
                .col(ColumnDef::new(OtpChallenges::Spent).boolean().not_null().default(false))
                .foreign_key(
                    ForeignKey::create()
                        .from(OtpChallenges::Table, OtpChallenges::LoginTransactionId)
                        .to(LoginTransactions::Table, LoginTransactions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_otp_tx")
                .table(OtpChallenges::Table)
                .col(OtpChallenges::LoginTransactionId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SsoSessions::Table)
                .col(id_text(SsoSessions::Id))
                .col(ColumnDef::new(SsoSessions::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(SsoSessions::CitizenId).string_len(64).not_null())
                .col(ColumnDef::new(SsoSessions::Level).integer().not_null())
                .col(ColumnDef::new(SsoSessions::AuthnInstant).big_integer().not_null())
                .col(ColumnDef::new(SsoSessions::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(SsoSessions::LastSeenAt).big_integer().not_null())
                .col(ColumnDef::new(SsoSessions::ExpiresAt).big_integer().not_null())
                .col(ColumnDef::new(SsoSessions::Revoked).boolean().not_null().default(false))
                .foreign_key(
                    ForeignKey::create()
                        .from(SsoSessions::Table, SsoSessions::CitizenId)
                        .to(Citizens::Table, Citizens::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SessionParticipants::Table)
                .col(id_text(SessionParticipants::Id))
                .col(ColumnDef::new(SessionParticipants::SessionId).string_len(64).not_null())
                .col(ColumnDef::new(SessionParticipants::SpEntityId).string_len(1024).not_null())
                .col(ColumnDef::new(SessionParticipants::NameId).string_len(255).not_null())
                .col(ColumnDef::new(SessionParticipants::NameIdFormat).string_len(255).not_null())
                .col(ColumnDef::new(SessionParticipants::CreatedAt).big_integer().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(SessionParticipants::Table, SessionParticipants::SessionId)
                        .to(SsoSessions::Table, SsoSessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_participants_session")
                .table(SessionParticipants::Table)
                .col(SessionParticipants::SessionId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SeenRequests::Table)
                .col(ColumnDef::new(SeenRequests::SpEntityId).string_len(1024).not_null())
                .col(ColumnDef::new(SeenRequests::RequestId).string_len(256).not_null())
                .col(ColumnDef::new(SeenRequests::ExpiresAt).big_integer().not_null())
                .primary_key(
                    Index::create()
                        .col(SeenRequests::SpEntityId)
                        .col(SeenRequests::RequestId),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(
                    ColumnDef::new(AuditEvents::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(AuditEvents::At).big_integer().not_null())
                .col(ColumnDef::new(AuditEvents::Kind).string_len(64).not_null())
                .col(ColumnDef::new(AuditEvents::Actor).string_len(255).null())
                .col(ColumnDef::new(AuditEvents::CitizenId).string_len(64).null())
                .col(ColumnDef::new(AuditEvents::SpEntityId).string_len(1024).null())
                .col(ColumnDef::new(AuditEvents::ClientAddr).string_len(64).null())
                .col(ColumnDef::new(AuditEvents::Detail).text().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_at")
                .table(AuditEvents::Table)
                .col(AuditEvents::At)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AuditEvents::Table.into_iden(),
            SeenRequests::Table.into_iden(),
            SessionParticipants::Table.into_iden(),
            SsoSessions::Table.into_iden(),
            OtpChallenges::Table.into_iden(),
            LoginTransactions::Table.into_iden(),
            Throttles::Table.into_iden(),
            Credentials::Table.into_iden(),
            Citizens::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
