//! The public catalog of connected e-services: `/storitve` (sl) and `/services` (en).
//! Logos (mdui:Logo) are shown only from https URLs; this page's CSP allows https images for them.
use crate::web::error::WebError;
use crate::web::extract_input::BoundedQuery;
use crate::web::pages::CatalogPage;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct CatalogQuery {
    q: Option<String>,
}

async fn render(
    st: &AppState,
    lang: &'static str,
    path: &str,
    q: Option<String>,
) -> Result<HttpResponse, WebError> {
    let q = q.map(|s| s.chars().take(100).collect::<String>());
    let entries = st.catalog.entries(lang, q.as_deref());
    let page = CatalogPage {
        title: "catalog",
        action: path,
        q: q.unwrap_or_default(),
        services: &entries,
        empty: entries.is_empty(),
    };
    st.views
        .render_page(lang, path, &page)
        .map(|body| {
            HttpResponse::Ok()
                .insert_header((
                    actix_web::http::header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'self'; img-src 'self' https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                ))
                .content_type("text/html; charset=utf-8")
                .body(body)
        })
        .map_err(WebError::from)
}

pub async fn storitve(
    st: web::Data<AppState>,
    q: BoundedQuery<CatalogQuery>,
) -> Result<HttpResponse, WebError> {
    render(&st, "sl", "/storitve", q.into_inner().q).await
}

pub async fn services(
    st: web::Data<AppState>,
    q: BoundedQuery<CatalogQuery>,
) -> Result<HttpResponse, WebError> {
    render(&st, "en", "/services", q.into_inner().q).await
}
