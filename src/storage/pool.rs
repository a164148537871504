//! Connection pools, built here (not by sea-orm) so that every connection handed back is checked.
//!
//! Guarantee: a connection returns to the pool only when it is outside any transaction, both by
//! sqlx's own count and — on SQLite — by SQLite itself. A COMMIT or ROLLBACK that fails with
//! SQLITE_FULL, SQLITE_IOERR or SQLITE_BUSY may leave SQLite inside the transaction, or end it
//! while sqlx still counts one open; sqlx would then send every later `begin` as a SAVEPOINT and
//! every later "commit" as a RELEASE that commits nothing, while the connection holds the write
//! lock. Such a connection is closed instead, and the pool opens a fresh one.
//!
//! SQLite: a connection that existed when a storage fault was seen ([`super::health::Health`]) is
//! closed too when it comes back, so a connection opened read-only (file or folder not writable)
//! does not outlive the fault.
use super::health::Health;
use crate::config::StorageConfig;
use sea_orm::sqlx::pool::PoolOptions;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPool, Postgres};
use sea_orm::sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous,
};
use sea_orm::sqlx::{self, ConnectOptions as _, Connection as _};
use sea_orm::{DatabaseConnection, DbErr, RuntimeErr, SqlxPostgresConnector, SqlxSqliteConnector};
use std::str::FromStr;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// SQLite's automatic checkpoint threshold (WAL pages), a backstop to `Store::checkpoint`.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// The pool under the sea-orm connection, for the storage layer's own checks (write probe).
#[derive(Clone, Debug)]
pub(super) enum RawPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// How a pool is set up.
#[derive(Clone, Debug)]
pub(super) struct Settings {
    pub acquire_timeout: Duration,
    /// PostgreSQL `statement_timeout`; `None` for maintenance (migrations) that may run long.
    pub statement_timeout: Option<Duration>,
    pub busy_timeout: Duration,
}

impl Settings {
    pub fn server(cfg: &StorageConfig) -> Settings {
        Settings {
            acquire_timeout: Duration::from_millis(cfg.acquire_timeout_ms),
            statement_timeout: Some(Duration::from_millis(cfg.statement_timeout_ms)),
            busy_timeout: Duration::from_millis(cfg.busy_timeout_ms),
        }
    }

    /// Command-line use: the same waits, but no statement time limit.
    pub fn maintenance() -> Settings {
        Settings {
            statement_timeout: None,
            ..Settings::server(&StorageConfig::default())
        }
    }
}

fn conn_err(e: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(e))
}

fn sqlite_options(url: &str, s: &Settings) -> Result<SqliteConnectOptions, DbErr> {
    Ok(SqliteConnectOptions::from_str(url)
        .map_err(conn_err)?
        // WAL lets readers run beside the writer, busy_timeout makes writers wait (bounded),
        // NORMAL synchronous is durable in WAL mode except for the last commits on power loss.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(s.busy_timeout)
        .foreign_keys(true)
        // The server checkpoints the WAL in the background (`checkpoint`), so commits do not
        // wait for the checkpoint's fsync; this bound is a backstop for other users of the file
        // (the CLI) and in case the background checkpoints fall behind.
        .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
        .disable_statement_logging())
}

/// SQLite: one connection. SQLite writes one transaction at a time anyway; every connection drops
/// its page cache whenever another one has written (re-reading the same pages), costs a thread,
/// and two writers wait for each other with busy_timeout sleeps. Measured with `make bench`
/// (session SSO, one core): 8 connections 1130/s, 2 connections 1404/s, and with group commit and
/// background checkpoints 1 connection about 5 % more than 2.
pub(super) fn sqlite_pool(
    url: &str,
    s: &Settings,
    health: Weak<Health>,
) -> Result<SqlitePool, DbErr> {
    let opts = sqlite_options(url, s)?;
    Ok(PoolOptions::<Sqlite>::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(s.acquire_timeout)
        // No round trip before every use; a broken connection shows up as the statement's error.
        .test_before_acquire(false)
        .after_release(move |conn, meta| {
            Box::pin(sqlite_release_check(conn, health.clone(), meta.age))
        })
        .connect_lazy_with(opts))
}

/// Whether a SQLite connection handed back may be used again (see the module comment).
async fn sqlite_release_check(
    conn: &mut sqlx::SqliteConnection,
    health: Weak<Health>,
    age: Duration,
) -> Result<bool, sqlx::Error> {
    if health.upgrade().is_some_and(|h| h.faulted_since(age)) {
        tracing::info!("SQLite connection opened before a storage fault; closed");
        return Ok(false);
    }
    // sqlx's count is zero: no transaction is open and no rollback of a dropped one is queued
    // (a queued rollback is counted until the worker has run it), and sqlx lowers the count only
    // when COMMIT or ROLLBACK succeeded, so SQLite is in autocommit too. This is the usual case
    // and costs no round trip to the connection's worker.
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    // Otherwise ask SQLite itself. This runs after any rollback still queued for the connection
    // (a dropped transaction); ROLLBACK outside a transaction fails with "no
    // transaction is active", which is the clean case.
    match sqlx::Executor::execute(&mut *conn, "ROLLBACK").await {
        Ok(_) => {
            tracing::warn!(
                "SQLite connection was still inside a transaction; rolled back and closed"
            );
            return Ok(false);
        }
        Err(e) if e.to_string().contains("no transaction is active") => {}
        Err(e) => {
            tracing::warn!(error = %e, "SQLite connection state unknown; closed");
            return Ok(false);
        }
    }
    // And sqlx's count, which a failed COMMIT or ROLLBACK can leave above zero.
    if conn.is_in_transaction() {
        tracing::warn!("SQLite connection counted inside a transaction; closed");
        return Ok(false);
    }
    Ok(true)
}

pub(super) fn postgres_pool(url: &str, s: &Settings) -> Result<PgPool, DbErr> {
    let mut opts = PgConnectOptions::from_str(url)
        .map_err(conn_err)?
        .disable_statement_logging();
    if let Some(t) = s.statement_timeout {
        // Lock waits count towards the statement's time; both end in a 503, not a hung request.
        let ms = t.as_millis().to_string();
        opts = opts.options([
            ("statement_timeout", ms.as_str()),
            ("lock_timeout", ms.as_str()),
        ]);
    }
    Ok(PoolOptions::<Postgres>::new()
        .max_connections(32)
        .min_connections(0)
        .acquire_timeout(s.acquire_timeout)
        // A connection the server has ended (pg_terminate_backend, restart) is found out and
        // replaced before a request uses it, instead of failing that request.
        .test_before_acquire(true)
        .after_release(|conn, _meta| {
            Box::pin(async move {
                if conn.is_in_transaction() {
                    tracing::warn!("PostgreSQL connection returned inside a transaction; closed");
                    return Ok(false);
                }
                Ok(true)
            })
        })
        .connect_lazy_with(opts))
}

/// The sea-orm connection and the raw pool under it; nothing is connected until first use, so a
/// database that cannot be reached at start is reported (health, 503) rather than fatal.
pub(super) fn connect(
    url: &str,
    s: &Settings,
    health: Arc<Health>,
) -> Result<(DatabaseConnection, RawPool), DbErr> {
    if url.starts_with("sqlite:") {
        let pool = sqlite_pool(url, s, Arc::downgrade(&health))?;
        Ok((
            SqlxSqliteConnector::from_sqlx_sqlite_pool(pool.clone()),
            RawPool::Sqlite(pool),
        ))
    } else {
        let pool = postgres_pool(url, s)?;
        Ok((
            SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone()),
            RawPool::Postgres(pool),
        ))
    }
}

/// A pool of one SQLite connection for WAL checkpoints, so that the checkpoint's fsync never holds
/// the connection the requests use.
pub(super) fn checkpoint_pool(url: &str, s: &Settings) -> Result<SqlitePool, DbErr> {
    Ok(PoolOptions::<Sqlite>::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(s.acquire_timeout)
        .test_before_acquire(false)
        .connect_lazy_with(sqlite_options(url, s)?))
}
