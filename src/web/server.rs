//! Running the server: bind, background duties (metadata reload on change and on SIGHUP, purge of
//! expired rows), graceful shutdown.
use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::saml::registry::SharedRegistry;
use crate::service::Services;
use actix_web::HttpServer;
use std::sync::Arc;
use std::time::Duration;

pub async fn serve(cfg: Config) -> Result<(), String> {
    let bind = cfg.bind.clone();
    let clock: SharedClock = Arc::new(SystemClock);
    let services = crate::bootstrap::services(cfg, clock, None)
        .await
        .map_err(|e| e.to_string())?;
    if !services.cfg.dev_mode {
        // Outside dev mode the schema must have been migrated with `pass-idp migrate`.
        match services.store.ping().await {
            // An outage at start is reported (503, /healthz) and ends by itself.
            Err(crate::storage::StorageError::Unavailable(e)) => {
                tracing::error!(error = %e, "database unavailable at start")
            }
            other => other.map_err(|e| format!("database: {e}"))?,
        }
    }
    let state = crate::app_state(services.clone()).map_err(|e| e.to_string())?;
    spawn_metadata_watch(services.registry.clone());
    for p in crate::service::sp_admin::consistency_problems(&services.cfg.metadata_dir) {
        tracing::warn!(problem = %p, "e-service files differ from their recorded history");
    }
    spawn_purge(services.clone());
    spawn_checkpoints(services.clone());
    crate::service::remote_metadata::start(&services)
        .map_err(|e| format!("remote metadata: {e}"))?;
    tracing::info!(
        bind,
        entity_id = %services.cfg.entity_id,
        sps = services.registry.snapshot().len(),
        dev_mode = services.cfg.dev_mode,
        "pass-idp listening"
    );
    let mut server = HttpServer::new(move || crate::build_app(state.clone()))
        .on_connect(super::tls::on_connect)
        .bind(&bind)
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let tls = &services.cfg.tls;
    if tls.enabled {
        let sc = super::tls::server_config(tls, &services.client_certs.cas)
            .map_err(|e| format!("tls: {e}"))?;
        server = server
            .bind_rustls_0_23(&tls.bind, sc)
            .map_err(|e| format!("cannot listen on {}: {e}", tls.bind))?;
        tracing::info!(bind = %tls.bind, "TLS listening (optional client certificates)");
    }
    server.run().await.map_err(|e| e.to_string())
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
fn spawn_checkpoints(services: Services) {
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

fn spawn_purge(services: Services) {
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
