//! Rate limits counted in the database (shared by every node of a cluster), in the `throttles` table
//! beside the failure counters. A rate row uses the columns as: `failures` = events counted in the
//! current window, `window_start` = when the window began, `locked_until` = when the window ends (so
//! the regular purge of expired throttles removes it afterwards).
use super::entity::throttle;
use super::{StorageError, Store};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

impl Store {
    /// Takes one of `max` slots of `key` in a fixed window of `window_ms`. Returns false (and counts
    /// nothing) when the window's slots are used up. Atomic: the count only grows by a conditional
    /// update, so concurrent callers on any node never take more than `max` slots per window.
    pub async fn rate_take(
        &self,
        key: &str,
        max: i32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StorageError> {
        let t = self.db.begin().await?;
        ensure_throttle_row(&t, key, now_ms, Some(now_ms + window_ms)).await?;
        // A window that has passed starts again.
        throttle::Entity::update_many()
            .col_expr(throttle::Column::Failures, Expr::value(0))
            .col_expr(throttle::Column::WindowStart, Expr::value(now_ms))
            .col_expr(
                throttle::Column::LockedUntil,
                Expr::value(now_ms + window_ms),
            )
            .filter(throttle::Column::Key.eq(key))
            .filter(throttle::Column::WindowStart.lte(now_ms - window_ms))
            .exec(&t)
            .await?;
        let taken = throttle::Entity::update_many()
            .col_expr(
                throttle::Column::Failures,
                Expr::col(throttle::Column::Failures).add(1),
            )
            .filter(throttle::Column::Key.eq(key))
            .filter(throttle::Column::Failures.lt(max))
            .exec(&t)
            .await?
            .rows_affected;
        t.commit().await?;
        Ok(taken == 1)
    }
}

/// Creates the counter row of `key` (no failures, window starting now) unless it exists; the
/// counting that follows is done by conditional updates in the caller's transaction.
pub(super) async fn ensure_throttle_row<C: ConnectionTrait>(
    t: &C,
    key: &str,
    now_ms: i64,
    locked_until: Option<i64>,
) -> Result<(), StorageError> {
    throttle::Entity::insert(throttle::ActiveModel {
        key: Set(key.to_string()),
        failures: Set(0),
        window_start: Set(now_ms),
        locked_until: Set(locked_until),
    })
    .on_conflict(
        OnConflict::column(throttle::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(t)
    .await?;
    Ok(())
}
