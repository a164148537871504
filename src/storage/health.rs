//! Whether the database can be written now: the outcome of a small write (the probe, run every
//! second by the server and on demand by /healthz) and of the latest writes of issued assertions.
//! Also which database errors mean "storage unavailable" (a 503 and a retry) rather than a bug.
use super::pool::RawPool;
use super::StorageError;
use crate::clock::SharedClock;
use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};
use std::sync::{Mutex, Weak};
use std::time::{Duration, Instant};

/// How often the prober writes.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// How long a probe's outcome stands before /healthz probes again itself.
pub(super) const PROBE_FRESH: Duration = Duration::from_secs(2);
/// How long after a failed write the storage still counts as unhealthy.
const FAULT_HOLD: Duration = Duration::from_secs(3);

#[derive(Debug, Default)]
struct State {
    /// The last probe: when, and its error if it failed.
    probe: Option<(Instant, Option<String>)>,
    /// The last write that failed because the storage could not be used.
    fault: Option<Instant>,
}

/// Shared by the store and its pool's connection checks.
#[derive(Debug, Default)]
pub(crate) struct Health {
    state: Mutex<State>,
}

/// What /healthz reports.
#[derive(Debug, Clone)]
pub struct StorageHealth {
    /// A write has just succeeded and none has failed since.
    pub writable: bool,
    /// Why not, for the log (never shown to a browser).
    pub problem: Option<String>,
}

impl Health {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        match self.state.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// A write failed because the storage could not be used.
    pub fn fault(&self) {
        self.with(|s| s.fault = Some(Instant::now()));
    }

    /// A probe's outcome; only an outage (not, say, a schema not yet migrated) counts as a fault
    /// that keeps the storage unhealthy for a while and retires older connections.
    pub fn probed(&self, outcome: &Result<(), StorageError>) {
        let now = Instant::now();
        self.with(|s| {
            if matches!(outcome, Err(StorageError::Unavailable(_))) {
                s.fault = Some(now);
            }
            s.probe = Some((now, outcome.as_ref().err().map(|e| e.to_string())));
        });
    }

    /// Whether a write failed in the last few seconds.
    pub fn recent_fault(&self) -> bool {
        self.with(|s| s.fault.is_some_and(|f| f.elapsed() < FAULT_HOLD))
    }

    /// Whether a fault was seen within the last `age` (i.e. after a connection of that age opened).
    pub fn faulted_since(&self, age: Duration) -> bool {
        self.with(|s| s.fault.is_some_and(|f| f.elapsed() < age))
    }

    /// The current view, or `None` when the last probe is too old to stand for now.
    pub fn current(&self) -> Option<StorageHealth> {
        self.with(|s| {
            let (at, err) = s.probe.as_ref()?;
            if at.elapsed() > PROBE_FRESH {
                return None;
            }
            let recent_fault = s.fault.is_some_and(|f| f.elapsed() < FAULT_HOLD);
            Some(match err {
                Some(e) => StorageHealth {
                    writable: false,
                    problem: Some(e.clone()),
                },
                None if recent_fault => StorageHealth {
                    writable: false,
                    problem: Some("a write failed in the last seconds".into()),
                },
                None => StorageHealth {
                    writable: true,
                    problem: None,
                },
            })
        })
    }
}

/// One probe: upsert the single row of `storage_probe` and commit, within `bound`. Its outcome is
/// recorded in `health`; a connection that failed it is closed rather than returned to the pool.
pub(super) async fn probe(
    health: &Health,
    raw: &RawPool,
    clock: &SharedClock,
    bound: Duration,
) -> Result<(), StorageError> {
    let now_ms = clock.now().timestamp_millis();
    let outcome = match tokio::time::timeout(bound, write_probe_row(raw, now_ms)).await {
        Ok(r) => r,
        Err(_) => Err(StorageError::Unavailable("write probe timed out".into())),
    };
    health.probed(&outcome);
    outcome
}

async fn write_probe_row(raw: &RawPool, now_ms: i64) -> Result<(), StorageError> {
    // The same statement in each dialect's placeholder syntax.
    const SQL: &str = "INSERT INTO storage_probe (id, written_at) VALUES (1, {}) \
                       ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at";
    let err = |e| StorageError::from(DbErr::Exec(RuntimeErr::SqlxError(e)));
    match raw {
        RawPool::Sqlite(p) => {
            let mut conn = p.acquire().await.map_err(err)?;
            let sql = SQL.replace("{}", "?1");
            let r = sqlx::query(&sql).bind(now_ms).execute(&mut *conn).await;
            if r.is_err() {
                let _ = conn.close().await;
            }
            r.map(|_| ()).map_err(err)
        }
        RawPool::Postgres(p) => {
            let mut conn = p.acquire().await.map_err(err)?;
            let sql = SQL.replace("{}", "$1");
            let r = sqlx::query(&sql).bind(now_ms).execute(&mut *conn).await;
            if r.is_err() {
                let _ = conn.close().await;
            }
            r.map(|_| ()).map_err(err)
        }
    }
}

/// Probes every second until the store (the last strong holder of `health`) is dropped.
pub(super) fn spawn_prober(
    health: Weak<Health>,
    raw: RawPool,
    clock: SharedClock,
    bound: Duration,
) {
    tokio::spawn(async move {
        // The first probe one interval after start (after migrations); /healthz probes itself
        // until then.
        let mut every =
            tokio::time::interval_at(tokio::time::Instant::now() + PROBE_EVERY, PROBE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut was_ok = true;
        loop {
            every.tick().await;
            let Some(h) = health.upgrade() else {
                return;
            };
            let r = probe(&h, &raw, &clock, bound).await;
            match (&r, was_ok) {
                (Err(e), true) => tracing::error!(error = %e, "database cannot be written"),
                (Ok(()), false) => tracing::info!("database can be written again"),
                _ => {}
            }
            was_ok = r.is_ok();
        }
    });
}

/// The database cannot be used right now (down, unreachable, full, read-only, locked, too slow):
/// worth a 503 and a retry, not a bug.
pub(super) fn is_unavailable(e: &DbErr) -> bool {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_unavailable(e)
        }
        _ => false,
    }
}

fn sqlx_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code_unavailable(
                &code,
                db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some(),
            )
        }),
        _ => false,
    }
}

/// `sqlite`: `code` is SQLite's extended result code (its low byte the primary code); otherwise a
/// PostgreSQL SQLSTATE.
fn code_unavailable(code: &str, sqlite: bool) -> bool {
    if sqlite {
        let primary = code.parse::<i32>().map(|c| c & 0xff).unwrap_or(0);
        // BUSY, LOCKED, NOMEM, READONLY, IOERR, FULL, CANTOPEN, PROTOCOL (lock protocol).
        matches!(primary, 5 | 6 | 7 | 8 | 10 | 13 | 14 | 15)
    } else {
        // 08: connection exception; 53: insufficient resources (disk full, out of memory, too
        // many connections); 57P01-57P05: shutdown / cannot connect now / idle timeouts; 57014:
        // statement timeout; 55P03: lock timeout; 55000: database not accepting connections;
        // 40001 / 40P01: serialization failure / deadlock (nothing committed, retry); 25006:
        // read-only transaction (a standby).
        code.starts_with("08")
            || code.starts_with("53")
            || code.starts_with("57P")
            || matches!(
                code,
                "57014" | "55P03" | "55000" | "40001" | "40P01" | "25006"
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes() {
        for code in ["13", "8", "1032", "10", "778", "5", "517", "6", "14"] {
            assert!(code_unavailable(code, true), "{code}");
        }
        for code in ["19", "787", "2067", "1", "11"] {
            assert!(!code_unavailable(code, true), "{code}");
        }
    }

    #[test]
    fn postgres_codes() {
        for code in ["08006", "57P01", "57014", "55P03", "53100", "55000"] {
            assert!(code_unavailable(code, false), "{code}");
        }
        for code in ["23505", "23503", "42P01", "22001"] {
            assert!(!code_unavailable(code, false), "{code}");
        }
    }

    #[test]
    fn health_needs_a_fresh_successful_probe_and_no_recent_fault() {
        let h = Health::default();
        assert!(h.current().is_none());
        h.probed(&Ok(()));
        assert!(h.current().is_some_and(|c| c.writable));
        h.fault();
        assert!(h.current().is_some_and(|c| !c.writable));
        assert!(h.faulted_since(Duration::from_secs(60)));
        h.probed(&Err(StorageError::Unavailable("disk full".into())));
        assert!(h.current().is_some_and(
            |c| !c.writable && c.problem.as_deref() == Some("database unavailable: disk full")
        ));
    }
}
