//! pass-idp: a SAML 2.0 identity provider with smsPASS (password + one-time code by SMS).
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod clock;
pub mod config;
pub mod domain;
pub mod i18n;
pub mod keys;
pub mod notify;
pub mod saml;
pub mod service;
pub mod storage;
pub mod web;

pub use web::{build_app, AppState};

/// Builds the web state from services (views embedded; re-read per render in dev mode of debug builds).
pub fn app_state(services: &service::Services) -> Result<AppState, bootstrap::InitError> {
    // Re-reading templates per render only helps where they are read from disk (debug builds);
    // release builds embed them.
    let dev = services.ports.cfg.dev_mode && cfg!(debug_assertions);
    let views =
        web::views::Views::new(dev).map_err(|e| bootstrap::InitError::Views(e.to_string()))?;
    Ok(AppState::new(services, views))
}
