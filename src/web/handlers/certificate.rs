//! Client certificates: a public page that shows which qualified certificate this connection
//! presents (so a citizen can check the browser setup before registering it in the account).
use crate::auth::client_cert::QualifiedCert;
use crate::web::error::WebError;
use crate::web::extract::Lang;
use crate::web::extract_cert::PresentedCert;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

/// The display fields of a certificate.
pub(crate) fn cert_view(c: &QualifiedCert) -> Value {
    json!({
        "subject": c.subject,
        "issuer": c.issuer,
        "serial": c.serial,
        "not_after": super::letters::date_time(c.not_after_ms),
    })
}

pub async fn check(
    st: web::Data<AppState>,
    lang: Lang,
    cert: PresentedCert,
) -> Result<HttpResponse, WebError> {
    let body = st
        .views
        .render(
            "certificate_check",
            lang.0,
            "/certificate",
            json!({ "title": "smsPASS", "cert": cert.0.as_ref().map(cert_view) }),
        )
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/certificate", web::get().to(check));
}
