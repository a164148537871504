//! Running the server: bind (HTTP and TLS), start the background duties (`service::jobs`), serve.
use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use actix_web::HttpServer;
use std::sync::Arc;

pub async fn serve(cfg: Config) -> Result<(), String> {
    let bind = cfg.bind.clone();
    let clock: SharedClock = Arc::new(SystemClock);
    let services = crate::bootstrap::services(cfg, clock, None)
        .await
        .map_err(|e| e.to_string())?;
    if !services.ports.cfg.dev_mode {
        services.ops.check_database_at_start().await?;
    }
    let state = crate::app_state(&services).map_err(|e| e.to_string())?;
    for p in crate::service::sp_admin::consistency_problems(&services.ports.cfg.metadata_dir) {
        tracing::warn!(problem = %p, "e-service files differ from their recorded history");
    }
    services.ops.start_background_jobs();
    crate::service::remote_metadata::start(&services.sp_admin)
        .map_err(|e| format!("remote metadata: {e}"))?;
    tracing::info!(
        bind,
        entity_id = %services.ports.cfg.entity_id,
        sps = services.ops.sp_count(),
        dev_mode = services.ports.cfg.dev_mode,
        "pass-idp listening"
    );
    let mut server = HttpServer::new(move || crate::build_app(state.clone()))
        .on_connect(super::tls::on_connect)
        .bind(&bind)
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let tls = &services.ports.cfg.tls;
    if tls.enabled {
        let sc = super::tls::server_config(tls, &services.ports.client_certs.cas)
            .map_err(|e| format!("tls: {e}"))?;
        server = server
            .bind_rustls_0_23(&tls.bind, sc)
            .map_err(|e| format!("cannot listen on {}: {e}", tls.bind))?;
        tracing::info!(bind = %tls.bind, "TLS listening (optional client certificates)");
    }
    server.run().await.map_err(|e| e.to_string())
}
