//! Failure throttles and the request-ID replay cache.
use super::entity::{seen_request, throttle};
use super::rate::ensure_throttle_row;
use super::{SeenRequest, StorageError, Store};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
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
        n += self.purge_flows(now_ms).await?;
        n += self.purge_sms_sends(now_ms).await?;
        n += throttle::Entity::delete_many()
            .filter(throttle::Column::LockedUntil.lt(now_ms))
            .exec(&self.db)
            .await?
            .rows_affected;
        Ok(n)
    }
}
