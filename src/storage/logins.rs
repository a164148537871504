//! Login transactions, OTP challenges, failure throttles and the request-ID replay cache.
use super::entity::{login_transaction as ltx, otp_challenge as otp, seen_request, throttle};
use super::rate::ensure_throttle_row;
use super::{audit, LoginTx, OtpRecord, SeenRequest, StorageError, Store};
use crate::audit::AuditEvent;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

/// The answer of [`Store::throttle_take`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleTake {
    /// The attempt may go ahead. `locks_until`: it used the last slot, so the key is locked until
    /// then unless the attempt succeeds and clears it.
    Taken { locks_until: Option<i64> },
    /// The key is locked; nothing was counted.
    Locked { until_ms: i64 },
}

fn tx_from(m: ltx::Model) -> LoginTx {
    LoginTx {
        id: m.id,
        token_hash: m.token_hash,
        sp_entity_id: m.sp_entity_id,
        request_json: m.request_json,
        citizen_id: m.citizen_id,
        password_at: m.password_at,
        created_at: m.created_at,
        expires_at: m.expires_at,
        completed: m.completed,
    }
}

fn otp_from(m: otp::Model) -> OtpRecord {
    OtpRecord {
        id: m.id,
        login_transaction_id: m.login_transaction_id,
        code_hash: m.code_hash,
        phone: m.phone,
        created_at: m.created_at,
        expires_at: m.expires_at,
        attempts: m.attempts,
        sends: m.sends,
        last_sent_at: m.last_sent_at,
        spent: m.spent,
    }
}

/// Puts an AuthnRequest ID into the replay cache within the caller's transaction. One INSERT: an ID
/// stays refused until the purge task removes it after its expiry, never earlier; a second use
/// fails on the table's key and becomes [`StorageError::Replayed`].
pub(super) async fn remember<C: ConnectionTrait>(
    db: &C,
    s: &SeenRequest,
) -> Result<(), StorageError> {
    let res = seen_request::Entity::insert(seen_request::ActiveModel {
        sp_entity_id: Set(s.sp_entity_id.clone()),
        request_id: Set(s.request_id.clone()),
        expires_at: Set(s.expires_at),
    })
    .exec_without_returning(db)
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) if super::is_replay(&e) => Err(StorageError::Replayed),
        Err(e) => Err(e.into()),
    }
}

impl Store {
    /// Starts a login transaction; with `seen`, the AuthnRequest ID goes into the replay cache in the
    /// same database transaction ([`StorageError::Replayed`] and nothing written if it is there).
    pub async fn create_login_tx(
        &self,
        tx: &LoginTx,
        seen: Option<&SeenRequest>,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        if let Some(s) = seen {
            remember(&t, s).await?;
        }
        ltx::Entity::insert(ltx::ActiveModel {
            id: Set(tx.id.clone()),
            token_hash: Set(tx.token_hash.clone()),
            sp_entity_id: Set(tx.sp_entity_id.clone()),
            request_json: Set(tx.request_json.clone()),
            citizen_id: Set(tx.citizen_id.clone()),
            password_at: Set(tx.password_at),
            created_at: Set(tx.created_at),
            expires_at: Set(tx.expires_at),
            completed: Set(false),
        })
        .exec_without_returning(&t)
        .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(())
    }

    pub async fn find_login_tx(&self, token_hash: &str) -> Result<Option<LoginTx>, StorageError> {
        Ok(ltx::Entity::find()
            .filter(ltx::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?
            .map(tx_from))
    }

    /// Records that the password step succeeded for `citizen_id`.
    pub async fn login_tx_password_ok(
        &self,
        tx_id: &str,
        citizen_id: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        ltx::Entity::update_many()
            .col_expr(ltx::Column::CitizenId, Expr::value(citizen_id))
            .col_expr(ltx::Column::PasswordAt, Expr::value(now_ms))
            .filter(ltx::Column::Id.eq(tx_id))
            .exec(&t)
            .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(())
    }

    /// Marks a transaction completed; `false` if it already was (each login finishes once).
    pub async fn complete_login_tx(&self, tx_id: &str) -> Result<bool, StorageError> {
        let r = ltx::Entity::update_many()
            .col_expr(ltx::Column::Completed, Expr::value(true))
            .filter(ltx::Column::Id.eq(tx_id))
            .filter(ltx::Column::Completed.eq(false))
            .exec(&self.db)
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// Ends a transaction that will not be answered with an assertion, with its audit record, in one
    /// database transaction; `false` (and nothing written) if it was already completed.
    pub async fn end_login_tx(
        &self,
        tx_id: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<bool, StorageError> {
        let t = self.db.begin().await?;
        let r = ltx::Entity::update_many()
            .col_expr(ltx::Column::Completed, Expr::value(true))
            .filter(ltx::Column::Id.eq(tx_id))
            .filter(ltx::Column::Completed.eq(false))
            .exec(&t)
            .await?;
        if r.rows_affected != 1 {
            t.rollback().await?;
            return Ok(false);
        }
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(true)
    }

    /// Voids earlier challenges of the transaction and stores a new one, with its audit record.
    pub async fn create_otp(
        &self,
        rec: &OtpRecord,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        otp::Entity::update_many()
            .col_expr(otp::Column::Spent, Expr::value(true))
            .filter(otp::Column::LoginTransactionId.eq(rec.login_transaction_id.as_str()))
            .exec(&t)
            .await?;
        otp::ActiveModel {
            id: Set(rec.id.clone()),
            login_transaction_id: Set(rec.login_transaction_id.clone()),
            code_hash: Set(rec.code_hash.clone()),
            phone: Set(rec.phone.clone()),
            created_at: Set(rec.created_at),
            expires_at: Set(rec.expires_at),
            attempts: Set(0),
            sends: Set(rec.sends),
            last_sent_at: Set(rec.last_sent_at),
            spent: Set(false),
        }
        .insert(&t)
        .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(())
    }

    /// The newest challenge of a transaction (spent or not).
    pub async fn latest_otp(&self, tx_id: &str) -> Result<Option<OtpRecord>, StorageError> {
        Ok(otp::Entity::find()
            .filter(otp::Column::LoginTransactionId.eq(tx_id))
            .order_by_desc(otp::Column::CreatedAt)
            .order_by_desc(otp::Column::Sends)
            .one(&self.db)
            .await?
            .map(otp_from))
    }

    /// Counts one attempt before the code is compared, atomically and only while attempts remain.
    /// `false`: the challenge is spent or out of attempts.
    pub async fn otp_take_attempt(&self, otp_id: &str, max: i32) -> Result<bool, StorageError> {
        let r = otp::Entity::update_many()
            .col_expr(
                otp::Column::Attempts,
                Expr::col(otp::Column::Attempts).add(1),
            )
            .filter(otp::Column::Id.eq(otp_id))
            .filter(otp::Column::Spent.eq(false))
            .filter(otp::Column::Attempts.lt(max))
            .exec(&self.db)
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// Marks the challenge used; `false` if it already was (single use, even under races).
    pub async fn otp_spend(
        &self,
        otp_id: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<bool, StorageError> {
        let t = self.db.begin().await?;
        let r = otp::Entity::update_many()
            .col_expr(otp::Column::Spent, Expr::value(true))
            .filter(otp::Column::Id.eq(otp_id))
            .filter(otp::Column::Spent.eq(false))
            .exec(&t)
            .await?;
        if r.rows_affected != 1 {
            return Ok(false);
        }
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(true)
    }

    /// Locks the challenge for good (too many wrong codes) and audits that.
    pub async fn otp_void(
        &self,
        otp_id: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        otp::Entity::update_many()
            .col_expr(otp::Column::Spent, Expr::value(true))
            .filter(otp::Column::Id.eq(otp_id))
            .exec(&t)
            .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(())
    }

    /// The latest lock end among `keys` that is still in the future.
    pub async fn throttle_locked_until(
        &self,
        keys: &[String],
        now_ms: i64,
    ) -> Result<Option<i64>, StorageError> {
        let rows = throttle::Entity::find()
            .filter(throttle::Column::Key.is_in(keys.iter().cloned()))
            .all(&self.db)
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| r.locked_until)
            .filter(|u| *u > now_ms)
            .max())
    }

    /// Counts a failure for `key` atomically; once `max` is reached within `window_ms` the key is locked
    /// for `lock_ms`. Returns the lock end if this failure locked it.
    pub async fn throttle_fail(
        &self,
        key: &str,
        max: i32,
        window_ms: i64,
        lock_ms: i64,
        now_ms: i64,
    ) -> Result<Option<i64>, StorageError> {
        let t = self.db.begin().await?;
        ensure_throttle_row(&t, key, now_ms, None).await?;
        // A window that has passed starts again.
        throttle::Entity::update_many()
            .col_expr(throttle::Column::Failures, Expr::value(0))
            .col_expr(throttle::Column::WindowStart, Expr::value(now_ms))
            .filter(throttle::Column::Key.eq(key))
            .filter(throttle::Column::WindowStart.lt(now_ms - window_ms))
            .exec(&t)
            .await?;
        throttle::Entity::update_many()
            .col_expr(
                throttle::Column::Failures,
                Expr::col(throttle::Column::Failures).add(1),
            )
            .filter(throttle::Column::Key.eq(key))
            .exec(&t)
            .await?;
        let row = throttle::Entity::find_by_id(key.to_string())
            .one(&t)
            .await?;
        let mut locked = None;
        if let Some(row) = row {
            if row.failures >= max {
                let until = now_ms + lock_ms;
                throttle::Entity::update_many()
                    .col_expr(throttle::Column::LockedUntil, Expr::value(until))
                    .col_expr(throttle::Column::Failures, Expr::value(0))
                    .col_expr(throttle::Column::WindowStart, Expr::value(now_ms))
                    .filter(throttle::Column::Key.eq(key))
                    .exec(&t)
                    .await?;
                locked = Some(until);
            }
        }
        t.commit().await?;
        Ok(locked)
    }

    /// Takes one attempt of `key` BEFORE the secret is compared, so concurrent attempts on any node
    /// never exceed `max` per window: the count only grows by a conditional update, and not while a
    /// lock is in force. The attempt that uses the last slot locks the key for `lock_ms` at once; a
    /// right answer then lifts it with [`Store::throttle_clear`].
    pub async fn throttle_take(
        &self,
        key: &str,
        max: i32,
        window_ms: i64,
        lock_ms: i64,
        now_ms: i64,
    ) -> Result<ThrottleTake, StorageError> {
        let t = self.db.begin().await?;
        ensure_throttle_row(&t, key, now_ms, None).await?;
        let unlocked = Condition::any()
            .add(throttle::Column::LockedUntil.is_null())
            .add(throttle::Column::LockedUntil.lte(now_ms));
        // A window that has passed starts again (never while locked).
        throttle::Entity::update_many()
            .col_expr(throttle::Column::Failures, Expr::value(0))
            .col_expr(throttle::Column::WindowStart, Expr::value(now_ms))
            .filter(throttle::Column::Key.eq(key))
            .filter(throttle::Column::WindowStart.lte(now_ms - window_ms))
            .filter(unlocked.clone())
            .exec(&t)
            .await?;
        let taken = throttle::Entity::update_many()
            .col_expr(
                throttle::Column::Failures,
                Expr::col(throttle::Column::Failures).add(1),
            )
            .filter(throttle::Column::Key.eq(key))
            .filter(throttle::Column::Failures.lt(max))
            .filter(unlocked)
            .exec(&t)
            .await?
            .rows_affected
            == 1;
        let row = throttle::Entity::find_by_id(key.to_string())
            .one(&t)
            .await?;
        let lock_in_force = row
            .as_ref()
            .and_then(|r| r.locked_until)
            .filter(|u| *u > now_ms);
        let out = match (taken, lock_in_force) {
            (false, Some(until_ms)) => ThrottleTake::Locked { until_ms },
            (true, _) if row.as_ref().is_some_and(|r| r.failures < max) => {
                ThrottleTake::Taken { locks_until: None }
            }
            // This attempt used the last slot (or none was left without a lock): lock now.
            (taken, _) => {
                let until_ms = now_ms + lock_ms;
                throttle::Entity::update_many()
                    .col_expr(throttle::Column::LockedUntil, Expr::value(until_ms))
                    .col_expr(throttle::Column::Failures, Expr::value(0))
                    .col_expr(throttle::Column::WindowStart, Expr::value(now_ms))
                    .filter(throttle::Column::Key.eq(key))
                    .exec(&t)
                    .await?;
                if taken {
                    ThrottleTake::Taken {
                        locks_until: Some(until_ms),
                    }
                } else {
                    ThrottleTake::Locked { until_ms }
                }
            }
        };
        t.commit().await?;
        Ok(out)
    }

    pub async fn throttle_clear(&self, key: &str) -> Result<(), StorageError> {
        throttle::Entity::delete_by_id(key.to_string())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub(super) async fn purge_logins(&self, now_ms: i64) -> Result<u64, StorageError> {
        let mut n = seen_request::Entity::delete_many()
            .filter(seen_request::Column::ExpiresAt.lt(now_ms))
            .exec(&self.db)
            .await?
            .rows_affected;
        n += ltx::Entity::delete_many()
            .filter(ltx::Column::ExpiresAt.lt(now_ms))
            .exec(&self.db)
            .await?
            .rows_affected;
        n += throttle::Entity::delete_many()
            .filter(throttle::Column::LockedUntil.lt(now_ms))
            .exec(&self.db)
            .await?
            .rows_affected;
        Ok(n)
    }
}
