//! Persistence. The only module that names sea_orm; it hands out plain types, never ActiveModels.
mod accounts;
pub use accounts::{NewEmailToken, TokenEffect, TokenPurpose, TokenState};
mod activation;
pub use activation::{
    ActivationCodeRecord, ActivationRequestRecord, IdentityCheckRecord, PhoneProofEnd,
};
mod assertions;
pub use assertions::AssertionRecord;
mod audit;
mod certs_letters;
mod citizen_search;
pub use certs_letters::{LetterCounts, LetterRecord, LetterStatus, RegisteredCert};
mod citizens;
pub use citizens::NewCitizen;
pub mod entity;
mod flows;
pub use flows::{ChallengeRecord, FlowRecord, FlowStart};
mod logins;
pub use logins::ThrottleTake;
mod rate;
mod sessions;
mod sms_sends;
pub use sms_sends::{SmsCounted, SmsQuota, SmsQuotaFull, SmsSendRecord};
mod types;

pub use types::*;

mod health;
mod pool;
pub use health::StorageHealth;

use crate::clock::SharedClock;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Db(DbErr),
    /// The database cannot be used right now (unreachable, full, read-only, locked, too slow);
    /// nothing was committed by the call that failed. Try again in a moment.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// The AuthnRequest ID was already used by this e-service (replay cache); nothing was written.
    #[error("request ID already used")]
    Replayed,
}

impl From<DbErr> for StorageError {
    fn from(e: DbErr) -> Self {
        if health::is_unavailable(&e) {
            StorageError::Unavailable(e.to_string())
        } else {
            StorageError::Db(e)
        }
    }
}

#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// The pool under `db`, for the write probe.
    raw: pool::RawPool,
    health: Arc<health::Health>,
    settings: pool::Settings,
    /// For the write probe's row.
    clock: SharedClock,
    /// Issued assertions waiting for their (group) commit.
    assertions: Arc<assertions::AssertionQueue>,
    url: Arc<str>,
    /// SQLite: a connection of its own for WAL checkpoints (opened on first use), so that the
    /// checkpoint's fsync never holds the connection the requests use; dropped after a failure.
    checkpointer: Arc<tokio::sync::Mutex<Option<sea_orm::sqlx::SqlitePool>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.db.get_database_backend())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// For the command line (migrations, user administration): no statement time limit.
    pub async fn connect(url: &str) -> Result<Store, StorageError> {
        let clock: SharedClock = Arc::new(crate::clock::SystemClock);
        Store::open(url, pool::Settings::maintenance(), clock)
    }

    /// For the server: bounded waits for a connection and for each statement, from `[storage]`,
    /// and the write probe every second (it ends when the last clone of the store is dropped).
    pub async fn connect_with(
        url: &str,
        cfg: &crate::config::StorageConfig,
        clock: SharedClock,
    ) -> Result<Store, StorageError> {
        let store = Store::open(url, pool::Settings::server(cfg), clock)?;
        health::spawn_prober(
            Arc::downgrade(&store.health),
            store.raw.clone(),
            store.clock.clone(),
            store.probe_bound(),
        );
        Ok(store)
    }

    fn open(
        url: &str,
        settings: pool::Settings,
        clock: SharedClock,
    ) -> Result<Store, StorageError> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .map(|p| p.split('?').next().unwrap_or(p))
        {
            if let Some(parent) = std::path::Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StorageError::Corrupt(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
            }
        }
        let health = Arc::new(health::Health::default());
        // The pool connects on first use: a database that cannot be opened now is an outage
        // (503, /healthz) that ends by itself, not a reason to refuse to start.
        let (db, raw) = pool::connect(url, &settings, health.clone()).map_err(StorageError::Db)?;
        Ok(Store {
            db,
            raw,
            health,
            settings,
            clock,
            assertions: Default::default(),
            url: url.into(),
            checkpointer: Default::default(),
        })
    }

    pub async fn migrate(&self) -> Result<(), StorageError> {
        use migration::MigratorTrait;
        migration::Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Commits an issued assertion's record (replay cache, session participant, audit event) in one
    /// transaction, together with others issued at the same moment; returns when it is durable.
    /// [`StorageError::Replayed`] (and nothing written for it) if its request ID was used before.
    pub async fn record_assertion(&self, rec: AssertionRecord) -> Result<(), StorageError> {
        let r = assertions::record(&self.db, &self.assertions, rec).await;
        if matches!(r, Err(StorageError::Unavailable(_))) {
            self.health.fault();
        }
        r
    }

    /// SQLite: copies the WAL back into the database file without blocking readers or writers
    /// (`PRAGMA wal_checkpoint(PASSIVE)`); the server runs it every second so that requests never
    /// wait for a checkpoint's fsync. Returns the WAL's size and how much of it is now in the
    /// database file (in pages). PostgreSQL: nothing to do, `None`.
    pub async fn checkpoint(&self) -> Result<Option<(i64, i64)>, StorageError> {
        if self.db.get_database_backend() != sea_orm::DbBackend::Sqlite {
            return Ok(None);
        }
        let mut slot = self.checkpointer.lock().await;
        let pool = match slot.as_ref() {
            Some(p) => p.clone(),
            None => {
                let p = pool::checkpoint_pool(&self.url, &self.settings)?;
                *slot = Some(p.clone());
                p
            }
        };
        let row: Result<(i64, i64, i64), _> =
            sea_orm::sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await;
        match row {
            // Columns: busy, log (WAL pages), checkpointed (pages copied back).
            Ok((_, log, done)) => Ok(Some((log, done))),
            Err(e) => {
                // A fresh connection next time: this one may have been opened read-only, or
                // have seen an I/O error.
                *slot = None;
                pool.close().await;
                Err(StorageError::from(DbErr::Query(
                    sea_orm::RuntimeErr::SqlxError(e),
                )))
            }
        }
    }

    /// Writes one small row (and commits) to learn whether the database can be written; runs every
    /// second on its own task (started by [`Store::connect_with`]). A connection that fails it is
    /// closed, so that the next one is opened afresh (e.g. writable again after a read-only
    /// filesystem or file).
    pub async fn probe_write(&self) -> Result<(), StorageError> {
        health::probe(&self.health, &self.raw, &self.clock, self.probe_bound()).await
    }

    fn probe_bound(&self) -> Duration {
        self.settings.acquire_timeout + self.settings.busy_timeout
    }

    /// Whether the database can be written now: the last probe if it is recent, else a new one
    /// (bounded by a second, so /healthz answers even while the database hangs).
    pub async fn health(&self) -> StorageHealth {
        if let Some(h) = self.health.current() {
            return h;
        }
        match tokio::time::timeout(Duration::from_secs(1), self.probe_write()).await {
            Ok(Ok(())) => StorageHealth {
                writable: !self.health.recent_fault(),
                problem: None,
            },
            Ok(Err(e)) => StorageHealth {
                writable: false,
                problem: Some(e.to_string()),
            },
            Err(_) => StorageHealth {
                writable: false,
                problem: Some("write probe did not answer within a second".into()),
            },
        }
    }

    pub async fn ping(&self) -> Result<(), StorageError> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// Deletes expired login transactions, OTPs, sessions, throttles and replay-cache rows.
    pub async fn purge_expired(&self, now_ms: i64) -> Result<u64, StorageError> {
        let mut n = self.purge_logins(now_ms).await?;
        n += self.purge_sessions(now_ms).await?;
        n += self.purge_staff(now_ms).await?;
        Ok(n)
    }
}

/// A unique violation of the replay cache's key: the request ID was used before. Read from the
/// database's error code (see [`is_unique_violation`]), never from the message text; where the
/// database names the table (PostgreSQL) it must be the replay cache. The caller asks only about
/// the one INSERT into `seen_requests`, so on SQLite (which names no table) the code suffices.
fn is_replay(e: &DbErr) -> bool {
    use sea_orm::EntityName as _;
    is_unique_violation(e)
        && database_error(e)
            .and_then(|d| d.table())
            .is_none_or(|t| t == entity::seen_request::Entity.table_name())
}

/// A unique or primary-key violation, by the database's error code: SQLSTATE 23505 on PostgreSQL,
/// extended result codes 2067 (UNIQUE) and 1555 (PRIMARY KEY) on SQLite.
fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// The database's own error, when the statement reached the database and it refused.
fn database_error(e: &DbErr) -> Option<&(dyn sea_orm::sqlx::error::DatabaseError + 'static)> {
    match e {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(d)))
        | DbErr::Query(sea_orm::RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(d))) => {
            Some(d.as_ref())
        }
        _ => None,
    }
}
mod audit_query;
pub use audit_query::AuditFilter;
mod staff;
pub use staff::StaffSessionRecord;
#[cfg(test)]
mod unique_tests;
