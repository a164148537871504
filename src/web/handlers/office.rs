//! The registration-office desk: every handler takes an `OfficerSession` (officer role required) and
//! every POST a `StaffCsrfForm`.
use super::forms::{render, see_other, CsrfOnly};
use crate::service::activation::ActivationError;
use crate::service::office::{IdentityCheckInput, DOCUMENT_TYPES};
use crate::web::error::WebError;
use crate::web::extract::{ClientAddr, HasCsrf, Lang};
use crate::web::extract_staff::{OfficerSession, StaffCsrfForm};
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/office", web::get().to(home))
        .route("/office/requests/{reference}", web::get().to(request_page))
        .route(
            "/office/requests/{reference}/identity",
            web::post().to(identity),
        )
        .route(
            "/office/requests/{reference}/signed",
            web::post().to(signed),
        )
        .route(
            "/office/requests/{reference}/approve",
            web::post().to(approve),
        )
        .route(
            "/office/requests/{reference}/reject",
            web::post().to(reject),
        )
        .route(
            "/office/requests/{reference}/smspass",
            web::post().to(citizen_action),
        );
}

/// Outcome messages shown after a POST (a fixed list: the query cannot name arbitrary keys).
const MESSAGES: [&str; 8] = [
    "checked", "signed", "approved", "rejected", "suspend", "resume", "revoke", "refused",
];

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

#[derive(Deserialize)]
pub struct MsgQuery {
    msg: Option<String>,
}

#[derive(Deserialize)]
pub struct IdentityForm {
    csrf_token: String,
    document_type: String,
    document_number: String,
    document_expiry: String,
    office: String,
}
impl HasCsrf for IdentityForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Deserialize)]
pub struct ReasonForm {
    csrf_token: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    action: String,
}
impl HasCsrf for ReasonForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn home(
    st: web::Data<AppState>,
    s: OfficerSession,
    lang: Lang,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, WebError> {
    let query = q.q.clone().unwrap_or_default();
    let rows = st.services.office_find(&query).await?;
    render(
        &st,
        "office_home",
        lang.0,
        "/office",
        json!({
            "title": "pass-idp",
            "q": query,
            "searched": !query.trim().is_empty(),
            "rows": rows,
            "who": s.member().display_name,
        }),
    )
}

pub async fn request_page(
    st: web::Data<AppState>,
    s: OfficerSession,
    lang: Lang,
    path: web::Path<String>,
    q: web::Query<MsgQuery>,
) -> Result<HttpResponse, WebError> {
    let r = st.services.office_request(&path).await?;
    let msg = q
        .msg
        .as_deref()
        .filter(|m| MESSAGES.contains(m))
        .map(|m| format!("office.msg.{m}"));
    let back = format!("/office/requests/{}", r.reference);
    let types: Vec<_> = DOCUMENT_TYPES
        .iter()
        .map(|t| json!({ "value": t, "key": format!("office.doc.{t}") }))
        .collect();
    render(
        &st,
        "office_request",
        lang.0,
        &back,
        json!({
            "title": "pass-idp",
            "r": r,
            "msg": msg,
            "refused": msg.as_deref() == Some("office.msg.refused"),
            "csrf": s.csrf(&st)?,
            "doc_types": types,
        }),
    )
}

/// Back to the request page with the outcome; refusals (wrong state, bad input) are shown there too.
fn after(
    reference: &str,
    r: Result<(), ActivationError>,
    ok: &str,
) -> Result<HttpResponse, WebError> {
    let reference: String = reference
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(16)
        .collect();
    let msg = match r {
        Ok(()) => ok,
        Err(ActivationError::Internal(s)) => return Err(WebError::Internal(s)),
        Err(ActivationError::NotFound(s)) => return Err(WebError::NotFound(s)),
        Err(e) => {
            tracing::info!(error = %e, "office action refused");
            "refused"
        }
    };
    Ok(see_other(&format!(
        "/office/requests/{reference}?msg={msg}"
    )))
}

pub async fn identity(
    st: web::Data<AppState>,
    s: OfficerSession,
    path: web::Path<String>,
    form: StaffCsrfForm<IdentityForm>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let f = form.0;
    let input = IdentityCheckInput {
        document_type: f.document_type,
        document_number: f.document_number,
        document_expiry: f.document_expiry,
        office: f.office,
    };
    let r = st
        .services
        .office_identity_check(s.member(), &path, &input, addr.0)
        .await;
    after(&path, r, "checked")
}

pub async fn signed(
    st: web::Data<AppState>,
    s: OfficerSession,
    path: web::Path<String>,
    _form: StaffCsrfForm<CsrfOnly>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let r = st
        .services
        .office_record_signed(s.member(), &path, addr.0)
        .await;
    after(&path, r, "signed")
}

pub async fn approve(
    st: web::Data<AppState>,
    s: OfficerSession,
    path: web::Path<String>,
    _form: StaffCsrfForm<CsrfOnly>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let r = st.services.office_approve(s.member(), &path, addr.0).await;
    after(&path, r, "approved")
}

pub async fn reject(
    st: web::Data<AppState>,
    s: OfficerSession,
    path: web::Path<String>,
    form: StaffCsrfForm<ReasonForm>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let r = st
        .services
        .office_reject(s.member(), &path, &form.0.reason, addr.0)
        .await;
    after(&path, r, "rejected")
}

pub async fn citizen_action(
    st: web::Data<AppState>,
    s: OfficerSession,
    path: web::Path<String>,
    form: StaffCsrfForm<ReasonForm>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let f = form.0;
    let ok = match f.action.as_str() {
        "suspend" => "suspend",
        "resume" => "resume",
        "revoke" => "revoke",
        _ => return Err(WebError::BadRequest("unknown action".into())),
    };
    let r = st
        .services
        .office_citizen_action(s.member(), &path, ok, &f.reason, addr.0)
        .await;
    after(&path, r, ok)
}
