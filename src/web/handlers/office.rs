//! The registration-office desk: every handler takes an `OfficerSession` (officer role required) and
//! every POST a `CsrfForm<csrf::Staff, _>`.
use super::forms::{render, see_other, CsrfOnly};
use crate::service::activation::ActivationError;
use crate::service::office::{CodeMail, IdentityCheckInput, DOCUMENT_TYPES};
use crate::web::csrf::{self, CsrfForm};
use crate::web::error::{shown_in_page, WebError};
use crate::web::extract::{ClientAddr, HasCsrf, Lang};
use crate::web::extract_input::BoundedQuery;
use crate::web::extract_staff::OfficerSession;
use crate::web::message_keys::{document_type_key, OfficeMsg};
use crate::web::pages::{DocType, OfficeHome, OfficeRequestPage};
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

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
            "/office/requests/{reference}/reissue",
            web::post().to(reissue),
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
    q: BoundedQuery<SearchQuery>,
) -> Result<HttpResponse, WebError> {
    let query = q.q.clone().unwrap_or_default();
    let found = st.office.office_search(&query).await?;
    let page = OfficeHome {
        title: "pass-idp",
        q: &query,
        searched: !query.trim().is_empty(),
        rows: found.requests,
        citizens: found.citizens,
        who: &s.member().display_name,
    };
    render(&st, lang.0, "/office", &page)
}

pub async fn request_page(
    st: web::Data<AppState>,
    s: OfficerSession,
    lang: Lang,
    path: web::Path<String>,
    q: BoundedQuery<MsgQuery>,
) -> Result<HttpResponse, WebError> {
    let r = st.office.office_request(&path).await?;
    let msg = q.msg.as_deref().and_then(OfficeMsg::parse);
    let back = format!("/office/requests/{}", r.reference);
    let types: Vec<DocType> = DOCUMENT_TYPES
        .iter()
        .map(|t| DocType {
            value: t,
            key: document_type_key(t),
        })
        .collect();
    let page = OfficeRequestPage {
        title: "pass-idp",
        r,
        msg: msg.map(OfficeMsg::key),
        refused: msg.is_some_and(OfficeMsg::is_failure),
        csrf: s.csrf(&st)?,
        doc_types: types,
    };
    render(&st, lang.0, &back, &page)
}

/// Back to the request page with the outcome; refusals (wrong state, bad input) are shown there too.
fn after(
    reference: &str,
    r: Result<(), ActivationError>,
    ok: OfficeMsg,
) -> Result<HttpResponse, WebError> {
    let reference: String = reference
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(16)
        .collect();
    let msg = match r.map_err(shown_in_page) {
        Ok(()) => ok,
        Err(Ok(e)) => {
            tracing::info!(error = %e, "office action refused");
            OfficeMsg::Refused
        }
        Err(Err(page)) => return Err(page),
    };
    Ok(see_other(&format!(
        "/office/requests/{reference}?msg={}",
        msg.as_str()
    )))
}

/// As [`after`], for the steps that e-mail a code: a mail that could not be sent has its own message.
fn after_mail(
    reference: &str,
    r: Result<CodeMail, ActivationError>,
    ok: OfficeMsg,
) -> Result<HttpResponse, WebError> {
    match r {
        Ok(CodeMail::Sent) => after(reference, Ok(()), ok),
        Ok(CodeMail::Failed) => after(reference, Ok(()), OfficeMsg::MailFailed),
        Err(e) => after(reference, Err(e), ok),
    }
}

pub async fn identity(
    st: web::Data<AppState>,
    s: OfficerSession,
    path: web::Path<String>,
    form: CsrfForm<csrf::Staff, IdentityForm>,
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
        .office
        .office_identity_check(s.member(), &path, &input, addr.0)
        .await;
    after(&path, r, OfficeMsg::Checked)
}

pub async fn signed(
    st: web::Data<AppState>,
    s: OfficerSession,
    path: web::Path<String>,
    _form: CsrfForm<csrf::Staff, CsrfOnly>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let r = st
        .office
        .office_record_signed(s.member(), &path, addr.0)
        .await;
    after(&path, r, OfficeMsg::Signed)
}

pub async fn approve(
    st: web::Data<AppState>,
    s: OfficerSession,
    path: web::Path<String>,
    _form: CsrfForm<csrf::Staff, CsrfOnly>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let r = st.office.office_approve(s.member(), &path, addr.0).await;
    after_mail(&path, r, OfficeMsg::Approved)
}

pub async fn reissue(
    st: web::Data<AppState>,
    s: OfficerSession,
    path: web::Path<String>,
    _form: CsrfForm<csrf::Staff, CsrfOnly>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let r = st
        .office
        .office_reissue_code(s.member(), &path, addr.0)
        .await;
    after_mail(&path, r, OfficeMsg::Reissued)
}

pub async fn reject(
    st: web::Data<AppState>,
    s: OfficerSession,
    path: web::Path<String>,
    form: CsrfForm<csrf::Staff, ReasonForm>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let r = st
        .office
        .office_reject(s.member(), &path, &form.0.reason, addr.0)
        .await;
    after(&path, r, OfficeMsg::Rejected)
}

pub async fn citizen_action(
    st: web::Data<AppState>,
    s: OfficerSession,
    path: web::Path<String>,
    form: CsrfForm<csrf::Staff, ReasonForm>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let f = form.0;
    let ok = match f.action.as_str() {
        "suspend" => OfficeMsg::Suspend,
        "resume" => OfficeMsg::Resume,
        "revoke" => OfficeMsg::Revoke,
        _ => return Err(WebError::BadRequest("unknown action".into())),
    };
    let r = st
        .office
        .office_citizen_action(s.member(), &path, ok.as_str(), &f.reason, addr.0)
        .await;
    after(&path, r, ok)
}
