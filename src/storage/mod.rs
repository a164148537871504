//! Persistence. The only module that names sea_orm; it hands out plain types, never ActiveModels.
mod accounts;
pub use accounts::{NewEmailToken, TokenEffect, TokenPurpose, TokenState};
mod activation;
pub use activation::{
    ActivationCodeRecord, ActivationRequestRecord, IdentityCheckRecord, PhoneVerificationRecord,
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
mod logins;
pub use logins::ThrottleTake;
mod rate;
mod sessions;
mod types;

pub use types::*;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
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

/// SQLite's automatic checkpoint threshold (WAL pages), a backstop to [`Store::checkpoint`].
const WAL_AUTOCHECKPOINT_PAGES: u32 = 10_000;

#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// Issued assertions waiting for their (group) commit.
    assertions: std::sync::Arc<assertions::AssertionQueue>,
    url: std::sync::Arc<str>,
    /// SQLite: a connection of its own for WAL checkpoints (opened on first use), so that the
    /// checkpoint's fsync never holds the connection the requests use.
    checkpointer: std::sync::Arc<tokio::sync::OnceCell<DatabaseConnection>>,
}

fn options(url: &str) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url.to_owned());
    let sqlite = url.starts_with("sqlite:");
    // SQLite: one connection. SQLite writes one transaction at a time anyway; every connection
    // drops its page cache whenever another one has written (re-reading the same pages), costs a
    // thread, and two writers wait for each other with busy_timeout sleeps. Measured with
    // `make bench` (session SSO, one core): 8 connections 1130/s, 2 connections 1404/s, and with
    // group commit and background checkpoints 1 connection about 5 % more than 2.
    opts.max_connections(if sqlite { 1 } else { 32 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        // No round trip to the database before every use of a pooled connection; a broken
        // connection shows up as the error of the statement itself.
        .test_before_acquire(false)
        .sqlx_logging(false);
    if sqlite {
        // Set on every pooled connection (a PRAGMA sent through the pool reaches only one):
        // WAL lets readers run beside the writer, busy_timeout makes writers wait, NORMAL
        // synchronous is durable in WAL mode except for the last commits on power loss.
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                // The server checkpoints the WAL in the background (`checkpoint`), so commits
                // do not wait for the checkpoint's fsync; this bound is a backstop for other
                // users of the file (the CLI) and in case the background checkpoints fall behind.
                .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
        });
    }
    opts
}

impl Store {
    pub async fn connect(url: &str) -> Result<Store, StorageError> {
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
        let db = Database::connect(options(url)).await?;
        Ok(Store {
            db,
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
        assertions::record(&self.db, &self.assertions, rec).await
    }

    /// SQLite: copies the WAL back into the database file without blocking readers or writers
    /// (`PRAGMA wal_checkpoint(PASSIVE)`); the server runs it every second so that requests never
    /// wait for a checkpoint's fsync. Returns the WAL's size and how much of it is now in the
    /// database file (in pages). PostgreSQL: nothing to do, `None`.
    pub async fn checkpoint(&self) -> Result<Option<(i64, i64)>, StorageError> {
        if self.db.get_database_backend() != sea_orm::DbBackend::Sqlite {
            return Ok(None);
        }
        let conn = self
            .checkpointer
            .get_or_try_init(|| Database::connect(options(&self.url)))
            .await?;
        let row = conn
            .query_one(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "PRAGMA wal_checkpoint(PASSIVE)",
            ))
            .await?
            .ok_or_else(|| StorageError::Corrupt("wal_checkpoint returned no row".into()))?;
        // Columns: busy, log (WAL pages), checkpointed (pages copied back).
        let log: i64 = row.try_get_by_index(1)?;
        let done: i64 = row.try_get_by_index(2)?;
        Ok(Some((log, done)))
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

/// A unique violation of the replay cache's key: the request ID was used before.
fn is_replay(e: &DbErr) -> bool {
    is_unique_violation(e) && e.to_string().contains("seen_requests")
}

fn is_unique_violation(e: &DbErr) -> bool {
    let s = e.to_string().to_lowercase();
    s.contains("unique") || s.contains("duplicate key") || s.contains("primary key")
}
mod audit_query;
pub use audit_query::AuditFilter;
mod staff;
pub use staff::{StaffLoginTx, StaffSessionRecord};
