//! The operator area: connected e-services (SP metadata and policy files), change with preview and
//! diff, history and restore, enable/disable. Every handler requires `OperatorSession`.
use super::forms::render;
use crate::service::sp_admin::{self, SpAdminError, SpTarget};
use crate::web::csrf::{self, CsrfForm};
use crate::web::error::WebError;
use crate::web::extract::{HasCsrf, Lang};
use crate::web::extract_input::BoundedQuery;
use crate::web::extract_staff::OperatorSession;
use crate::web::pages::{OperatorEdit, OperatorHistory, OperatorList, OperatorPreview};
use crate::web::state::AppState;
use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;

/// Largest metadata or policy accepted from the form.
const MAX_FIELD: usize = 1024 * 1024;

async fn list_page(
    st: &AppState,
    op: &OperatorSession,
    lang: &str,
    message: Option<String>,
    problem: Option<String>,
) -> Result<HttpResponse, WebError> {
    let l = st.sp_admin.sp_list()?;
    let view = OperatorList {
        title: "Operator",
        staff: &op.member().display_name,
        csrf: op.csrf(st)?,
        sps: l.services,
        broken: l.skipped,
        message,
        problem,
    };
    render(st, lang, "/operator", &view)
}

pub async fn list(
    st: web::Data<AppState>,
    op: OperatorSession,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    list_page(&st, &op, lang.0, None, None).await
}

#[derive(Deserialize)]
pub struct EntityQuery {
    entity: Option<String>,
}

pub async fn edit(
    st: web::Data<AppState>,
    op: OperatorSession,
    lang: Lang,
    q: BoundedQuery<EntityQuery>,
) -> Result<HttpResponse, WebError> {
    let (metadata, policy) = match &q.entity {
        Some(e) => sp_admin::current_files(&st.sp_admin, e)?,
        None => (String::new(), None),
    };
    let view = OperatorEdit {
        title: "Operator",
        csrf: op.csrf(&st)?,
        entity: q.entity.as_deref(),
        metadata,
        policy: policy.unwrap_or_default(),
    };
    render(&st, lang.0, "/operator", &view)
}

/// The edit form: pasted metadata, or an uploaded file (which wins), and the policy text.
struct EditForm {
    csrf_token: String,
    entity: Option<String>,
    metadata: String,
    policy: String,
}

async fn read_multipart(mut mp: Multipart) -> Result<EditForm, WebError> {
    let mut f = EditForm {
        csrf_token: String::new(),
        entity: None,
        metadata: String::new(),
        policy: String::new(),
    };
    let mut uploaded: Option<String> = None;
    while let Some(field) = mp.next().await {
        let mut field = field.map_err(|e| WebError::BadRequest(e.to_string()))?;
        let name = field.name().unwrap_or("").to_string();
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| WebError::BadRequest(e.to_string()))?;
            if buf.len() + chunk.len() > MAX_FIELD {
                return Err(WebError::BadRequest(format!("{name} is larger than 1 MiB")));
            }
            buf.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(buf)
            .map_err(|_| WebError::BadRequest(format!("{name} is not UTF-8 text")))?;
        if name != "metadata_file" {
            crate::web::extract_input::check_field(&name, &text)?;
        }
        match name.as_str() {
            "csrf_token" => f.csrf_token = text,
            "entity" if !text.trim().is_empty() => f.entity = Some(text.trim().to_string()),
            "metadata" => f.metadata = text,
            "metadata_file" if !text.trim().is_empty() => uploaded = Some(text),
            "policy" => f.policy = text,
            _ => {}
        }
    }
    if let Some(u) = uploaded {
        f.metadata = u;
    }
    Ok(f)
}

fn target(entity: &Option<String>) -> SpTarget {
    match entity {
        Some(e) => SpTarget::Existing(e.clone()),
        None => SpTarget::New,
    }
}

fn policy_opt(p: &str) -> Option<&str> {
    if p.trim().is_empty() {
        None
    } else {
        Some(p)
    }
}

pub async fn preview(
    st: web::Data<AppState>,
    op: OperatorSession,
    lang: Lang,
    mp: Multipart,
) -> Result<HttpResponse, WebError> {
    let f = read_multipart(mp).await?;
    if !op.csrf_ok(&st, &f.csrf_token) {
        return Err(WebError::Csrf);
    }
    let p =
        st.sp_admin
            .sp_preview_change(&target(&f.entity), &f.metadata, policy_opt(&f.policy))?;
    let view = OperatorPreview {
        title: "Operator",
        csrf: op.csrf(&st)?,
        entity: f.entity,
        metadata: f.metadata,
        policy: f.policy,
        preview: p,
    };
    render(&st, lang.0, "/operator", &view)
}

#[derive(Deserialize)]
pub struct SaveForm {
    csrf_token: String,
    entity: Option<String>,
    metadata: String,
    policy: String,
    why: String,
}
impl HasCsrf for SaveForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// The list page after a change: what was saved, or why it was refused.
async fn after_change(
    st: &AppState,
    op: &OperatorSession,
    lang: &str,
    result: Result<sp_admin::SavedChange, SpAdminError>,
) -> Result<HttpResponse, WebError> {
    match result {
        Ok(saved) => {
            // `save_change` has reloaded the registry.
            let what = format!("{} v{}", saved.version.entity_id, saved.version.version);
            list_page(st, op, lang, Some(what), None).await
        }
        Err(SpAdminError::Refused(findings)) => {
            let msg = findings
                .iter()
                .map(|f| format!("{}: {}", f.code, f.message))
                .collect::<Vec<_>>()
                .join("; ");
            list_page(st, op, lang, None, Some(msg)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A reason is required (its length is bounded by the form guard, `extract_input`).
fn why_ok(why: &str) -> Result<&str, WebError> {
    let w = why.trim();
    if w.is_empty() {
        return Err(WebError::BadRequest("a reason is required".into()));
    }
    Ok(w)
}

pub async fn save(
    st: web::Data<AppState>,
    op: OperatorSession,
    lang: Lang,
    form: CsrfForm<csrf::Staff, SaveForm>,
) -> Result<HttpResponse, WebError> {
    let f = form.0;
    let why = why_ok(&f.why)?;
    let entity = f.entity.filter(|e| !e.trim().is_empty());
    let result = sp_admin::save_change(
        &st.sp_admin,
        &target(&entity),
        &f.metadata,
        policy_opt(&f.policy),
        &op.member().actor(),
        why,
    )
    .await;
    after_change(&st, &op, lang.0, result).await
}

pub async fn history(
    st: web::Data<AppState>,
    op: OperatorSession,
    lang: Lang,
    q: BoundedQuery<EntityQuery>,
) -> Result<HttpResponse, WebError> {
    let entity = q
        .entity
        .clone()
        .ok_or_else(|| WebError::BadRequest("entity missing".into()))?;
    let mut versions = sp_admin::history(&st.sp_admin, &entity)?;
    versions.reverse();
    let view = OperatorHistory {
        title: "Operator",
        csrf: op.csrf(&st)?,
        entity,
        versions,
    };
    render(&st, lang.0, "/operator", &view)
}

#[derive(Deserialize)]
pub struct RestoreForm {
    csrf_token: String,
    entity: String,
    version: u32,
    why: String,
}
impl HasCsrf for RestoreForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn restore(
    st: web::Data<AppState>,
    op: OperatorSession,
    lang: Lang,
    form: CsrfForm<csrf::Staff, RestoreForm>,
) -> Result<HttpResponse, WebError> {
    let f = form.0;
    let why = why_ok(&f.why)?;
    let result = sp_admin::restore(
        &st.sp_admin,
        &f.entity,
        f.version,
        &op.member().actor(),
        why,
    )
    .await;
    after_change(&st, &op, lang.0, result).await
}

#[derive(Deserialize)]
pub struct EnableForm {
    csrf_token: String,
    entity: String,
    enabled: bool,
    why: String,
}
impl HasCsrf for EnableForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn set_enabled(
    st: web::Data<AppState>,
    op: OperatorSession,
    lang: Lang,
    form: CsrfForm<csrf::Staff, EnableForm>,
) -> Result<HttpResponse, WebError> {
    let f = form.0;
    let why = why_ok(&f.why)?;
    let result = sp_admin::set_enabled(
        &st.sp_admin,
        &f.entity,
        f.enabled,
        &op.member().actor(),
        why,
    )
    .await;
    after_change(&st, &op, lang.0, result).await
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/operator", web::get().to(list))
        .route("/operator/sp/edit", web::get().to(edit))
        .route("/operator/sp/preview", web::post().to(preview))
        .route("/operator/sp/save", web::post().to(save))
        .route("/operator/sp/history", web::get().to(history))
        .route("/operator/sp/restore", web::post().to(restore))
        .route("/operator/sp/enabled", web::post().to(set_enabled));
}
