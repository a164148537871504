//! Home, health, metrics, static files and the language switch.
use crate::web::cookies;
use crate::web::error::WebError;
use crate::web::extract::Lang;
use crate::web::state::AppState;
use crate::web::views::Views;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub async fn home(st: web::Data<AppState>, lang: Lang) -> Result<HttpResponse, WebError> {
    st.views
        .render("home", lang.0, "/", json!({ "title": "pass-idp" }))
        .map(super::html)
        .map_err(|e| WebError::Internal(e.to_string()))
}

/// 200 only while the database can be written (a recent small write succeeded and no write has
/// failed since); otherwise 503 with `Retry-After`. Answers within about a second even while the
/// database hangs: it reads the result of the write probe the server runs every second.
pub async fn healthz(st: web::Data<AppState>) -> HttpResponse {
    let health = st.services.store.health().await;
    let db = health.writable;
    let sps = st.services.registry.snapshot().len();
    let body = json!({ "status": if db { "ok" } else { "degraded" }, "database": db, "service_providers": sps });
    if db {
        HttpResponse::Ok().json(body)
    } else {
        if let Some(problem) = &health.problem {
            tracing::debug!(%problem, "health: database cannot be written");
        }
        HttpResponse::ServiceUnavailable()
            .insert_header((
                header::RETRY_AFTER,
                st.services.cfg.storage.retry_after_secs.to_string(),
            ))
            .json(body)
    }
}

pub async fn metrics(st: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(st.services.metrics.render())
}

pub async fn static_file(name: web::Path<String>) -> HttpResponse {
    match Views::static_file(&name) {
        Some((bytes, mime)) => HttpResponse::Ok()
            .content_type(mime)
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .body(bytes),
        None => HttpResponse::NotFound().finish(),
    }
}

#[derive(Deserialize)]
pub struct LangQuery {
    to: String,
    back: Option<String>,
}

/// Sets the language cookie and returns to a local path only (no open redirect).
pub async fn switch_lang(st: web::Data<AppState>, q: web::Query<LangQuery>) -> HttpResponse {
    let lang = crate::i18n::negotiate(Some(&q.to), None, &st.services.cfg.default_language);
    let back = q
        .back
        .as_deref()
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or("/");
    HttpResponse::SeeOther()
        .cookie(cookies::lang(lang, st.services.cfg.secure_cookies()))
        .insert_header((header::LOCATION, back.to_string()))
        .finish()
}
