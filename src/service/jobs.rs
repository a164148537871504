//! The server's background duties: the SP registry reloaded when a metadata file changes and on
//! SIGHUP, expired rows purged, the SQLite WAL checkpointed off the request path.
use super::Ops;
use crate::saml::registry::SharedRegistry;
use std::time::Duration;

impl Ops {
    /// Starts every background duty of a serving node.
    pub fn start_background_jobs(&self) {
        spawn_metadata_watch(self.registry.clone());
        spawn_purge(self.clone());
        spawn_checkpoints(self.clone());
    }

    /// How many e-services the registry serves now.
    pub fn sp_count(&self) -> usize {
        self.registry.snapshot().len()
    }

    /// Outside dev mode the schema must have been migrated with `pass-idp migrate`: refuses to start
    /// on any other database error; an outage at start is only reported (503, /healthz) and ends
    /// by itself.
    pub async fn check_database_at_start(&self) -> Result<(), String> {
        match self.store.ping().await {
            Err(crate::storage::StorageError::Unavailable(e)) => {
                tracing::error!(error = %e, "database unavailable at start");
                Ok(())
            }
            other => other.map_err(|e| format!("database: {e}")),
        }
    }
}

fn log_reload(reg: &SharedRegistry, why: &str) {
    let r = reg.reload();
    tracing::info!(why, sps = r.len(), "metadata reloaded");
    for p in &r.problems {
        tracing::warn!(file = %p.file.display(), problem = %p.problem, "metadata file skipped");
    }
}

/// Reloads the SP registry when a file in the metadata folder changes (debounced) and on SIGHUP.
pub fn spawn_metadata_watch(reg: SharedRegistry) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let watch_tx = tx.clone();
    let dir = reg.dir().to_path_buf();
    let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if res.is_ok() {
            let _ = watch_tx.send(());
        }
    });
    let watcher = match watcher {
        Ok(mut w) => {
            use notify::Watcher;
            match w.watch(&dir, notify::RecursiveMode::NonRecursive) {
                Ok(()) => Some(w),
                Err(e) => {
                    tracing::warn!(error = %e, dir = %dir.display(), "cannot watch metadata folder; SIGHUP still reloads");
                    None
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "no file watcher; SIGHUP still reloads");
            None
        }
    };
    let reg_w = reg.clone();
    tokio::spawn(async move {
        let _keep = watcher;
        while rx.recv().await.is_some() {
            // Debounce: editors write files in several steps.
            tokio::time::sleep(Duration::from_millis(300)).await;
            while rx.try_recv().is_ok() {}
            log_reload(&reg_w, "file change");
        }
    });
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP");
            return;
        };
        while hup.recv().await.is_some() {
            log_reload(&reg, "SIGHUP");
        }
    });
}

/// SQLite: the WAL is copied back into the database file every second by this task instead of by
/// whichever request's commit crosses SQLite's threshold (its fsync would stall that request).
fn spawn_checkpoints(services: Ops) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = services.store.checkpoint().await {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    });
}

fn spawn_purge(services: Ops) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(300));
        loop {
            every.tick().await;
            match services.store.purge_expired(services.now_ms()).await {
                Ok(n) if n > 0 => tracing::info!(rows = n, "expired rows purged"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purge failed"),
            }
        }
    });
}
