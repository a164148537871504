//! HTTP: routes, middleware, extractors, views. The only module that names actix_web.
pub mod cookies;
pub mod error;
pub mod extract;
pub mod extract_cert;
pub mod handlers;
pub mod server;
pub mod state;
pub mod tls;
pub mod views;

pub use state::AppState;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, ErrorHandlers};
use actix_web::{web, App, Error};

/// Headers on every response; pages that post to an e-service set their own CSP (form-action).
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
}

pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let max_form = state.services.cfg.max_message_bytes * 2 + 4096;
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::FormConfig::default().limit(max_form))
        .wrap(ErrorHandlers::new().default_handler(error::render_error_page))
        .wrap(security_headers())
        .configure(handlers::routes)
}
pub mod extract_citizen;
pub mod extract_input;
pub mod extract_public;
pub mod extract_staff;
