//! Home, health, metrics, static files and the language switch.
use crate::web::cookies;
use crate::web::error::WebError;
use crate::web::extract::{local_redirect, Lang, LocalPath};
use crate::web::extract_input::BoundedQuery;
use crate::web::pages::Home;
use crate::web::state::AppState;
use crate::web::views::Views;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub async fn home(st: web::Data<AppState>, lang: Lang) -> Result<HttpResponse, WebError> {
    st.views
        .render_page(lang.0, "/", &Home { title: "pass-idp" })
        .map(super::html)
        .map_err(WebError::from)
}

/// 200 only while the database can be written (a recent small write succeeded and no write has
/// failed since); otherwise 503 with `Retry-After`. Answers within about a second even while the
/// database hangs: it reads the result of the write probe the server runs every second.
pub async fn healthz(st: web::Data<AppState>) -> HttpResponse {
    let (health, sps) = st.ops.health_report().await;
    let db = health.writable;
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
                st.cfg.storage.retry_after_secs.to_string(),
            ))
            .json(body)
    }
}

/// `GET /metrics`: the Prometheus text for a scraper that sends `Authorization: Bearer <metrics.token>`
/// (open in dev mode without a token; 404 outside dev mode without one).
pub async fn metrics(
    st: web::Data<AppState>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, WebError> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    let text = st.ops.metrics_text(bearer)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(text))
}

/// The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
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

/// Sets the language cookie and returns to a local path only (anything else: the home page).
pub async fn switch_lang(
    st: web::Data<AppState>,
    q: BoundedQuery<LangQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = crate::i18n::negotiate(Some(&q.to), None, &st.cfg.default_language);
    let back = LocalPath::parse_or(q.back.as_deref(), "/");
    let mut resp = local_redirect(&back);
    resp.add_cookie(&cookies::lang(lang, st.cfg.secure_cookies()))?;
    Ok(resp)
}
