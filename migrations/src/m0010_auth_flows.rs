//! One pair of tables for every authentication flow: `auth_flows` (one row per flow, with its typed
//! purpose as JSON and its principal) and `auth_challenges` (the one-time codes sent in a flow). They
//! replace the citizen login transactions with their OTP challenges, the staff login transactions and
//! the phone verifications; the rows in those tables move over, so a login in progress during the
//! upgrade goes on (a code is bound to its flow's id, and each flow keeps the id of the row it was).
//!
//! Reverting restores the four old tables empty: flows in progress then end (they last minutes).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, QueryResult, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuthFlows {
    Table,
    Id,
    TokenHash,
    Kind,
    PrincipalKind,
    PrincipalId,
    PurposeJson,
    PasswordAt,
    CreatedAt,
    ExpiresAt,
    Completed,
}

#[derive(DeriveIden)]
enum AuthChallenges {
    Table,
    Id,
    FlowId,
    Destination,
    CodeHash,
    CreatedAt,
    ExpiresAt,
    Attempts,
    Sends,
    LastSentAt,
    Spent,
}

fn ms<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn text<T: IntoIden>(name: T, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).not_null().to_owned()
}

fn opt_text<T: IntoIden>(name: T, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).null().to_owned()
}

fn custom(e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("m0010: {e}"))
}

/// One flow row as moved from an old table.
struct Flow {
    id: String,
    token_hash: String,
    kind: &'static str,
    principal: Option<(&'static str, String)>,
    purpose: serde_json::Value,
    password_at: Option<i64>,
    created_at: i64,
    expires_at: i64,
    completed: bool,
}

/// One challenge row as moved from an old table.
struct Challenge {
    id: String,
    flow_id: String,
    destination: String,
    code_hash: String,
    created_at: i64,
    expires_at: i64,
    attempts: i32,
    sends: i32,
    last_sent_at: i64,
    spent: bool,
}

async fn insert_flow<C: ConnectionTrait>(db: &C, f: Flow) -> Result<(), DbErr> {
    let (pk, pid) = match f.principal {
        Some((k, id)) => (Some(k.to_string()), Some(id)),
        None => (None, None),
    };
    let q = Query::insert()
        .into_table(AuthFlows::Table)
        .columns([
            AuthFlows::Id,
            AuthFlows::TokenHash,
            AuthFlows::Kind,
            AuthFlows::PrincipalKind,
            AuthFlows::PrincipalId,
            AuthFlows::PurposeJson,
            AuthFlows::PasswordAt,
            AuthFlows::CreatedAt,
            AuthFlows::ExpiresAt,
            AuthFlows::Completed,
        ])
        .values([
            f.id.into(),
            f.token_hash.into(),
            f.kind.into(),
            pk.into(),
            pid.into(),
            f.purpose.to_string().into(),
            f.password_at.into(),
            f.created_at.into(),
            f.expires_at.into(),
            f.completed.into(),
        ])
        .map_err(custom)?
        .to_owned();
    db.execute(db.get_database_backend().build(&q)).await?;
    Ok(())
}

async fn insert_challenge<C: ConnectionTrait>(db: &C, c: Challenge) -> Result<(), DbErr> {
    let q = Query::insert()
        .into_table(AuthChallenges::Table)
        .columns([
            AuthChallenges::Id,
            AuthChallenges::FlowId,
            AuthChallenges::Destination,
            AuthChallenges::CodeHash,
            AuthChallenges::CreatedAt,
            AuthChallenges::ExpiresAt,
            AuthChallenges::Attempts,
            AuthChallenges::Sends,
            AuthChallenges::LastSentAt,
            AuthChallenges::Spent,
        ])
        .values([
            c.id.into(),
            c.flow_id.into(),
            c.destination.into(),
            c.code_hash.into(),
            c.created_at.into(),
            c.expires_at.into(),
            c.attempts.into(),
            c.sends.into(),
            c.last_sent_at.into(),
            c.spent.into(),
        ])
        .map_err(custom)?
        .to_owned();
    db.execute(db.get_database_backend().build(&q)).await?;
    Ok(())
}

async fn rows<C: ConnectionTrait>(db: &C, sql: &str) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
}

fn get<T: sea_orm_migration::sea_orm::TryGetable>(r: &QueryResult, col: &str) -> Result<T, DbErr> {
    r.try_get::<T>("", col)
}

/// A citizen login transaction: an e-service login (its request as it was) or, when it names an
/// `account_next`, a login to the user pages.
fn citizen_flow_purpose(request_json: &str) -> Result<(&'static str, serde_json::Value), DbErr> {
    let mut v: serde_json::Value = serde_json::from_str(request_json).map_err(custom)?;
    let obj = v
        .as_object_mut()
        .ok_or_else(|| custom("login request is not a JSON object"))?;
    let next = obj
        .remove("account_next")
        .and_then(|n| n.as_str().map(String::from));
    Ok(match next {
        Some(next) => {
            let level = obj
                .get("target")
                .and_then(|t| t.get("level"))
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            let step_up = obj.get("step_up").cloned().unwrap_or(false.into());
            (
                "account_pages",
                serde_json::json!({ "kind": "account_pages", "next": next, "level": level,
                    "step_up": step_up }),
            )
        }
        None => {
            obj.insert("kind".into(), "sso".into());
            ("sso", v)
        }
    })
}

async fn move_rows<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    for r in rows(
        db,
        "SELECT id, token_hash, request_json, citizen_id, password_at, created_at, expires_at, \
         completed FROM login_transactions",
    )
    .await?
    {
        let (kind, purpose) = citizen_flow_purpose(&get::<String>(&r, "request_json")?)?;
        insert_flow(
            db,
            Flow {
                id: get(&r, "id")?,
                token_hash: get(&r, "token_hash")?,
                kind,
                principal: get::<Option<String>>(&r, "citizen_id")?.map(|c| ("citizen", c)),
                purpose,
                password_at: get(&r, "password_at")?,
                created_at: get(&r, "created_at")?,
                expires_at: get(&r, "expires_at")?,
                completed: get(&r, "completed")?,
            },
        )
        .await?;
    }
    for r in rows(
        db,
        "SELECT id, login_transaction_id, code_hash, phone, created_at, expires_at, attempts, \
         sends, last_sent_at, spent FROM otp_challenges",
    )
    .await?
    {
        insert_challenge(
            db,
            Challenge {
                id: get(&r, "id")?,
                flow_id: get(&r, "login_transaction_id")?,
                destination: get(&r, "phone")?,
                code_hash: get(&r, "code_hash")?,
                created_at: get(&r, "created_at")?,
                expires_at: get(&r, "expires_at")?,
                attempts: get(&r, "attempts")?,
                sends: get(&r, "sends")?,
                last_sent_at: get(&r, "last_sent_at")?,
                spent: get(&r, "spent")?,
            },
        )
        .await?;
    }
    for r in rows(
        db,
        "SELECT t.id, t.token_hash, t.staff_id, t.password_at, t.next_path, t.code_hash, \
         t.code_expires_at, t.attempts, t.sends, t.last_sent_at, t.created_at, t.expires_at, \
         t.completed, s.phone FROM staff_login_transactions t LEFT JOIN staff s ON s.id = t.staff_id",
    )
    .await?
    {
        let id: String = get(&r, "id")?;
        let created_at: i64 = get(&r, "created_at")?;
        let completed: bool = get(&r, "completed")?;
        insert_flow(
            db,
            Flow {
                id: id.clone(),
                token_hash: get(&r, "token_hash")?,
                kind: "staff_login",
                principal: get::<Option<String>>(&r, "staff_id")?.map(|s| ("staff", s)),
                purpose: serde_json::json!({ "kind": "staff_login",
                    "next": get::<String>(&r, "next_path")? }),
                password_at: get(&r, "password_at")?,
                created_at,
                expires_at: get(&r, "expires_at")?,
                completed,
            },
        )
        .await?;
        // The staff row held its one current code (none once voided or used).
        if let (Some(code_hash), Some(code_expires)) = (
            get::<Option<String>>(&r, "code_hash")?,
            get::<Option<i64>>(&r, "code_expires_at")?,
        ) {
            let sends: i32 = get(&r, "sends")?;
            insert_challenge(
                db,
                Challenge {
                    id: format!("{id}-{sends}"),
                    flow_id: id,
                    destination: get::<Option<String>>(&r, "phone")?.unwrap_or_default(),
                    code_hash,
                    created_at: get::<Option<i64>>(&r, "last_sent_at")?.unwrap_or(created_at),
                    expires_at: code_expires,
                    attempts: get(&r, "attempts")?,
                    sends,
                    last_sent_at: get::<Option<i64>>(&r, "last_sent_at")?.unwrap_or(created_at),
                    spent: completed,
                },
            )
            .await?;
        }
    }
    for r in rows(
        db,
        "SELECT id, citizen_id, purpose, phone, otp_hash, code_id, created_at, expires_at, \
         attempts, sends, last_sent_at, used_at FROM phone_verifications",
    )
    .await?
    {
        let id: String = get(&r, "id")?;
        let used = get::<Option<i64>>(&r, "used_at")?.is_some();
        let created_at: i64 = get(&r, "created_at")?;
        let expires_at: i64 = get(&r, "expires_at")?;
        let phone: String = get(&r, "phone")?;
        insert_flow(
            db,
            Flow {
                id: id.clone(),
                // Phone proofs are found by their citizen, never by a cookie.
                token_hash: format!("phone-proof:{id}"),
                kind: "phone_proof",
                principal: Some(("citizen", get(&r, "citizen_id")?)),
                purpose: serde_json::json!({ "kind": "phone_proof", "phone": phone,
                    "reason": get::<String>(&r, "purpose")?,
                    "code_id": get::<Option<String>>(&r, "code_id")? }),
                password_at: None,
                created_at,
                expires_at,
                completed: used,
            },
        )
        .await?;
        insert_challenge(
            db,
            Challenge {
                id: format!("{id}-c"),
                flow_id: id,
                destination: phone,
                code_hash: get(&r, "otp_hash")?,
                created_at,
                expires_at,
                attempts: get(&r, "attempts")?,
                sends: get(&r, "sends")?,
                last_sent_at: get(&r, "last_sent_at")?,
                spent: used,
            },
        )
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuthFlows::Table)
                .col(
                    ColumnDef::new(AuthFlows::Id)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AuthFlows::TokenHash)
                        .string_len(96)
                        .not_null()
                        .unique_key(),
                )
                .col(text(AuthFlows::Kind, 32))
                .col(opt_text(AuthFlows::PrincipalKind, 16))
                .col(opt_text(AuthFlows::PrincipalId, 64))
                .col(ColumnDef::new(AuthFlows::PurposeJson).text().not_null())
                .col(ColumnDef::new(AuthFlows::PasswordAt).big_integer().null())
                .col(ms(AuthFlows::CreatedAt))
                .col(ms(AuthFlows::ExpiresAt))
                .col(
                    ColumnDef::new(AuthFlows::Completed)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_auth_flows_principal")
                .table(AuthFlows::Table)
                .col(AuthFlows::PrincipalId)
                .col(AuthFlows::Kind)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_auth_flows_expires")
                .table(AuthFlows::Table)
                .col(AuthFlows::ExpiresAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuthChallenges::Table)
                .col(
                    ColumnDef::new(AuthChallenges::Id)
                        .string_len(80)
                        .not_null()
                        .primary_key(),
                )
                .col(text(AuthChallenges::FlowId, 64))
                .col(text(AuthChallenges::Destination, 20))
                .col(text(AuthChallenges::CodeHash, 128))
                .col(ms(AuthChallenges::CreatedAt))
                .col(ms(AuthChallenges::ExpiresAt))
                .col(
                    ColumnDef::new(AuthChallenges::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(AuthChallenges::Sends)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ms(AuthChallenges::LastSentAt))
                .col(
                    ColumnDef::new(AuthChallenges::Spent)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AuthChallenges::Table, AuthChallenges::FlowId)
                        .to(AuthFlows::Table, AuthFlows::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_auth_challenges_flow")
                .table(AuthChallenges::Table)
                .col(AuthChallenges::FlowId)
                .to_owned(),
        )
        .await?;
        move_rows(m.get_connection()).await?;
        for t in [
            "otp_challenges",
            "login_transactions",
            "staff_login_transactions",
            "phone_verifications",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::m0001_core::create_login_tables(m).await?;
        crate::m0002_staff::create_staff_login_table(m).await?;
        crate::m0005_activation::create_phone_verifications(m).await?;
        for t in [
            AuthChallenges::Table.into_iden(),
            AuthFlows::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
