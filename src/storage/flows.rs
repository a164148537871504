//! Authentication flows and their one-time-code challenges: one pair of tables for every purpose
//! (e-service login, user-page login, staff login, phone proof). The purpose is stored as JSON that
//! the authentication engine writes and reads; storage only keeps it with the flow.
use super::entity::{auth_challenge as ch, auth_flow as flow};
use super::logins::remember;
use super::{audit, SeenRequest, StorageError, Store};
use crate::audit::AuditEvent;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

/// A flow as stored.
#[derive(Debug, Clone)]
pub struct FlowRecord {
    pub id: String,
    pub token_hash: String,
    /// The purpose's kind (`sso`, `account_pages`, `staff_login`, `phone_proof`).
    pub kind: String,
    /// `citizen` or `staff`, once known.
    pub principal_kind: Option<String>,
    pub principal_id: Option<String>,
    /// The typed purpose, serialized by the authentication engine.
    pub purpose_json: String,
    pub password_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub completed: bool,
}

/// A one-time code sent in a flow, as stored (the code itself only as a keyed hash).
#[derive(Debug, Clone)]
pub struct ChallengeRecord {
    pub id: String,
    pub flow_id: String,
    /// Where the code went (E.164 phone number).
    pub destination: String,
    pub code_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: i32,
    pub sends: i32,
    pub last_sent_at: i64,
    pub spent: bool,
}

/// What else happens in the transaction that opens a flow.
#[derive(Default)]
pub struct FlowStart<'a> {
    /// The AuthnRequest ID for the replay cache ([`StorageError::Replayed`] if it is there).
    pub seen: Option<&'a SeenRequest>,
    /// Earlier open flows that this one replaces: they end.
    pub supersedes: &'a [String],
    pub audit: Option<&'a AuditEvent>,
}

fn flow_from(m: flow::Model) -> FlowRecord {
    FlowRecord {
        id: m.id,
        token_hash: m.token_hash,
        kind: m.kind,
        principal_kind: m.principal_kind,
        principal_id: m.principal_id,
        purpose_json: m.purpose_json,
        password_at: m.password_at,
        created_at: m.created_at,
        expires_at: m.expires_at,
        completed: m.completed,
    }
}

fn challenge_from(m: ch::Model) -> ChallengeRecord {
    ChallengeRecord {
        id: m.id,
        flow_id: m.flow_id,
        destination: m.destination,
        code_hash: m.code_hash,
        created_at: m.created_at,
        expires_at: m.expires_at,
        attempts: m.attempts,
        sends: m.sends,
        last_sent_at: m.last_sent_at,
        spent: m.spent,
    }
}

/// Marks a flow completed within the caller's transaction; `false` if it already was (a flow
/// finishes once, even under races).
pub(super) async fn complete_in<C: ConnectionTrait>(
    db: &C,
    flow_id: &str,
) -> Result<bool, StorageError> {
    let r = flow::Entity::update_many()
        .col_expr(flow::Column::Completed, Expr::value(true))
        .filter(flow::Column::Id.eq(flow_id))
        .filter(flow::Column::Completed.eq(false))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

impl Store {
    /// Opens a flow, with what `start` asks for, in one transaction.
    pub async fn create_flow(
        &self,
        f: &FlowRecord,
        start: FlowStart<'_>,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        if let Some(s) = start.seen {
            remember(&t, s).await?;
        }
        if !start.supersedes.is_empty() {
            flow::Entity::update_many()
                .col_expr(flow::Column::Completed, Expr::value(true))
                .filter(flow::Column::Id.is_in(start.supersedes.iter().cloned()))
                .exec(&t)
                .await?;
        }
        flow::ActiveModel {
            id: Set(f.id.clone()),
            token_hash: Set(f.token_hash.clone()),
            kind: Set(f.kind.clone()),
            principal_kind: Set(f.principal_kind.clone()),
            principal_id: Set(f.principal_id.clone()),
            purpose_json: Set(f.purpose_json.clone()),
            password_at: Set(f.password_at),
            created_at: Set(f.created_at),
            expires_at: Set(f.expires_at),
            completed: Set(false),
        }
        .insert(&t)
        .await?;
        if let Some(ev) = start.audit {
            audit::write(&t, ev, now_ms).await?;
        }
        t.commit().await?;
        Ok(())
    }

    pub async fn find_flow(&self, token_hash: &str) -> Result<Option<FlowRecord>, StorageError> {
        Ok(flow::Entity::find()
            .filter(flow::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?
            .map(flow_from))
    }

    /// The open (not completed, not expired) flows of `kind` that belong to a principal, newest first.
    pub async fn open_flows_of(
        &self,
        principal_kind: &str,
        principal_id: &str,
        kind: &str,
        now_ms: i64,
    ) -> Result<Vec<FlowRecord>, StorageError> {
        Ok(flow::Entity::find()
            .filter(flow::Column::PrincipalKind.eq(principal_kind))
            .filter(flow::Column::PrincipalId.eq(principal_id))
            .filter(flow::Column::Kind.eq(kind))
            .filter(flow::Column::Completed.eq(false))
            .filter(flow::Column::ExpiresAt.gt(now_ms))
            .order_by_desc(flow::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(flow_from)
            .collect())
    }

    /// The password step succeeded: the flow now belongs to this principal.
    pub async fn flow_password_ok(
        &self,
        flow_id: &str,
        principal_kind: &str,
        principal_id: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        flow::Entity::update_many()
            .col_expr(flow::Column::PrincipalKind, Expr::value(principal_kind))
            .col_expr(flow::Column::PrincipalId, Expr::value(principal_id))
            .col_expr(flow::Column::PasswordAt, Expr::value(now_ms))
            .filter(flow::Column::Id.eq(flow_id))
            .exec(&t)
            .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(())
    }

    /// Marks a flow completed; `false` if it already was (each flow finishes once).
    pub async fn complete_flow(&self, flow_id: &str) -> Result<bool, StorageError> {
        complete_in(&self.db, flow_id).await
    }

    /// Ends a flow with its audit record, in one database transaction; `false` (and nothing
    /// written) if it was already completed.
    pub async fn end_flow(
        &self,
        flow_id: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<bool, StorageError> {
        let t = self.db.begin().await?;
        if !complete_in(&t, flow_id).await? {
            t.rollback().await?;
            return Ok(false);
        }
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(true)
    }

    /// Voids earlier challenges of the flow and stores a new one, with its audit record.
    pub async fn create_challenge(
        &self,
        c: &ChallengeRecord,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        ch::Entity::update_many()
            .col_expr(ch::Column::Spent, Expr::value(true))
            .filter(ch::Column::FlowId.eq(c.flow_id.as_str()))
            .exec(&t)
            .await?;
        ch::ActiveModel {
            id: Set(c.id.clone()),
            flow_id: Set(c.flow_id.clone()),
            destination: Set(c.destination.clone()),
            code_hash: Set(c.code_hash.clone()),
            created_at: Set(c.created_at),
            expires_at: Set(c.expires_at),
            attempts: Set(0),
            sends: Set(c.sends),
            last_sent_at: Set(c.last_sent_at),
            spent: Set(false),
        }
        .insert(&t)
        .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(())
    }

    /// The newest challenge of a flow (spent or not).
    pub async fn latest_challenge(
        &self,
        flow_id: &str,
    ) -> Result<Option<ChallengeRecord>, StorageError> {
        Ok(ch::Entity::find()
            .filter(ch::Column::FlowId.eq(flow_id))
            .order_by_desc(ch::Column::Sends)
            .order_by_desc(ch::Column::CreatedAt)
            .one(&self.db)
            .await?
            .map(challenge_from))
    }

    /// Counts one attempt before the code is compared, atomically and only while attempts remain.
    /// `false`: the challenge is spent or out of attempts.
    pub async fn challenge_take_attempt(&self, id: &str, max: i32) -> Result<bool, StorageError> {
        let r = ch::Entity::update_many()
            .col_expr(ch::Column::Attempts, Expr::col(ch::Column::Attempts).add(1))
            .filter(ch::Column::Id.eq(id))
            .filter(ch::Column::Spent.eq(false))
            .filter(ch::Column::Attempts.lt(max))
            .exec(&self.db)
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// Marks the challenge used (with `ev`, if any); `false` if it already was (single use, even
    /// under races).
    pub async fn challenge_spend(
        &self,
        id: &str,
        now_ms: i64,
        ev: Option<&AuditEvent>,
    ) -> Result<bool, StorageError> {
        let t = self.db.begin().await?;
        let r = ch::Entity::update_many()
            .col_expr(ch::Column::Spent, Expr::value(true))
            .filter(ch::Column::Id.eq(id))
            .filter(ch::Column::Spent.eq(false))
            .exec(&t)
            .await?;
        if r.rows_affected != 1 {
            t.rollback().await?;
            return Ok(false);
        }
        if let Some(ev) = ev {
            audit::write(&t, ev, now_ms).await?;
        }
        t.commit().await?;
        Ok(true)
    }

    /// Voids the challenge for good (too many wrong codes) and audits that.
    pub async fn challenge_void(
        &self,
        id: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        ch::Entity::update_many()
            .col_expr(ch::Column::Spent, Expr::value(true))
            .filter(ch::Column::Id.eq(id))
            .exec(&t)
            .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(())
    }

    /// Deletes expired flows (their challenges go with them).
    pub(super) async fn purge_flows(&self, now_ms: i64) -> Result<u64, StorageError> {
        let t = self.db.begin().await?;
        let expired = Query::select()
            .column(flow::Column::Id)
            .from(flow::Entity)
            .and_where(flow::Column::ExpiresAt.lt(now_ms))
            .to_owned();
        ch::Entity::delete_many()
            .filter(ch::Column::FlowId.in_subquery(expired))
            .exec(&t)
            .await?;
        let n = flow::Entity::delete_many()
            .filter(flow::Column::ExpiresAt.lt(now_ms))
            .exec(&t)
            .await?
            .rows_affected;
        t.commit().await?;
        Ok(n)
    }
}
