//! Persistence. The only module that names sea_orm; it hands out plain types, never ActiveModels.
mod accounts;
pub use accounts::{NewEmailToken, TokenEffect, TokenPurpose, TokenState};
mod activation;
pub use activation::{
    ActivationCodeRecord, ActivationRequestRecord, IdentityCheckRecord, PhoneVerificationRecord,
};
mod audit;
mod certs_letters;
mod citizen_search;
pub use certs_letters::{LetterCounts, LetterRecord, LetterStatus, RegisteredCert};
mod citizens;
pub use citizens::NewCitizen;
pub mod entity;
mod logins;
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

#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
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
        let mut opts = ConnectOptions::new(url.to_owned());
        let sqlite = url.starts_with("sqlite:");
        // SQLite: two connections. SQLite writes one transaction at a time anyway, and every
        // connection drops its page cache whenever another one has written, so a larger pool costs
        // re-reads of the same pages (and a thread each); measured with `make bench`, 2 connections
        // gave about 25 % more session SSOs per core than 8.
        opts.max_connections(if sqlite { 2 } else { 32 })
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
            });
        }
        let db = Database::connect(opts).await?;
        Ok(Store { db })
    }

    pub async fn migrate(&self) -> Result<(), StorageError> {
        use migration::MigratorTrait;
        migration::Migrator::up(&self.db, None).await?;
        Ok(())
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
