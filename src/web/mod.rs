//! HTTP: routes, middleware, extractors, views. The only module that names actix_web.
pub mod cookies;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod extract_cert;
pub mod handlers;
pub mod message_keys;
pub mod pages;
pub mod server;
pub mod state;
pub mod tls;
pub mod views;

pub use state::AppState;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
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
    let cfg = &state.cfg;
    let max_form = cfg.max_message_bytes * 2 + 4096;
    // Strict-Transport-Security on every response of the TLS listener (its connections carry a
    // `TlsPeer`), and on the plain listener when that sits behind an https proxy (outside dev
    // mode); never on plain-http development.
    let hsts_plain = cfg.hsts_on_plain_http();
    let hsts = HeaderValue::from_str(&cfg.hsts.header_value()).ok();
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::FormConfig::default().limit(max_form))
        .wrap(ErrorHandlers::new().default_handler(error::render_error_page))
        .wrap(security_headers())
        .wrap_fn(move |req, srv| {
            let value = hsts
                .clone()
                .filter(|_| hsts_plain || req.conn_data::<tls::TlsPeer>().is_some());
            let fut = srv.call(req);
            async move {
                let mut res = fut.await?;
                if let Some(v) = value {
                    res.headers_mut()
                        .insert(header::STRICT_TRANSPORT_SECURITY, v);
                }
                Ok(res)
            }
        })
        .configure(handlers::routes)
}
pub mod extract_citizen;
pub mod extract_input;
pub mod extract_public;
pub mod extract_staff;
