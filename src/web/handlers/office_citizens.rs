//! The desk's citizen page: smsPASS state and suspend / resume / revoke without an activation request.
//! Every handler takes an `OfficerSession` (officer role required) and every POST a `CsrfForm<csrf::Staff, _>`.
use super::forms::{render, see_other};
use crate::web::csrf::{self, CsrfForm};
use crate::web::error::{shown_in_page, WebError};
use crate::web::extract::{ClientAddr, HasCsrf, Lang};
use crate::web::extract_input::BoundedQuery;
use crate::web::extract_staff::OfficerSession;
use crate::web::message_keys::OfficeMsg;
use crate::web::pages::OfficeCitizenPage;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// The outcomes this page shows after a POST.
const MESSAGES: [OfficeMsg; 4] = [
    OfficeMsg::Suspend,
    OfficeMsg::Resume,
    OfficeMsg::Revoke,
    OfficeMsg::Refused,
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/office/citizens/{id}", web::get().to(citizen_page))
        .route("/office/citizens/{id}/smspass", web::post().to(action));
}

#[derive(Deserialize)]
pub struct MsgQuery {
    msg: Option<String>,
}

#[derive(Deserialize)]
pub struct ActionForm {
    csrf_token: String,
    #[serde(default)]
    reason: String,
    action: String,
}
impl HasCsrf for ActionForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn citizen_page(
    st: web::Data<AppState>,
    s: OfficerSession,
    lang: Lang,
    path: web::Path<String>,
    q: BoundedQuery<MsgQuery>,
) -> Result<HttpResponse, WebError> {
    let c = st.office.office_citizen(&path).await?;
    let msg = q
        .msg
        .as_deref()
        .and_then(OfficeMsg::parse)
        .filter(|m| MESSAGES.contains(m));
    let back = format!("/office/citizens/{}", c.id);
    let page = OfficeCitizenPage {
        title: "pass-idp",
        c,
        msg: msg.map(OfficeMsg::key),
        refused: msg == Some(OfficeMsg::Refused),
        csrf: s.csrf(&st)?,
    };
    render(&st, lang.0, &back, &page)
}

pub async fn action(
    st: web::Data<AppState>,
    s: OfficerSession,
    path: web::Path<String>,
    form: CsrfForm<csrf::Staff, ActionForm>,
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
        .office_citizen_action_by_id(s.member(), &path, ok.as_str(), &f.reason, addr.0)
        .await;
    let id: String = path
        .chars()
        .filter(|c| c.is_ascii_hexdigit() || *c == '-')
        .take(36)
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
        "/office/citizens/{id}?msg={}",
        msg.as_str()
    )))
}
