//! The auditor's audit viewer (`/audit`) and CSV export (`/audit.csv`).
use super::html;
use crate::service::audit_view::{rfc3339, AuditQuery};
use crate::web::error::WebError;
use crate::web::extract::Lang;
use crate::web::extract_input::BoundedQuery;
use crate::web::extract_staff::AuditorSession;
use crate::web::pages::{AuditFilter, AuditLine, AuditViewer};
use crate::web::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

fn query_string(q: &AuditQuery, page: Option<u64>) -> String {
    let mut q = q.clone();
    q.page = page;
    serde_urlencoded::to_string(&q).unwrap_or_default()
}

pub async fn page(
    st: web::Data<AppState>,
    _a: AuditorSession,
    lang: Lang,
    q: BoundedQuery<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    let q = q.into_inner();
    let p = st.audit.audit_page(&q).await?;
    let rows: Vec<AuditLine> = p
        .rows
        .iter()
        .map(|r| AuditLine {
            id: r.id,
            at: rfc3339(r.at),
            kind: &r.kind,
            actor: r.actor.as_deref().unwrap_or(""),
            citizen: r.citizen_id.as_deref().unwrap_or(""),
            sp: r.sp_entity_id.as_deref().unwrap_or(""),
            detail: &r.detail,
        })
        .collect();
    let page = AuditViewer {
        title: "pass-idp",
        q: AuditFilter {
            from: &q.from,
            to: &q.to,
            actor: &q.actor,
            citizen: &q.citizen,
            sp: &q.sp,
            kind: &q.kind,
        },
        rows,
        page: p.page,
        prev: (p.page > 1).then(|| query_string(&q, Some(p.page - 1))),
        next: p.has_next.then(|| query_string(&q, Some(p.page + 1))),
        csv: query_string(&q, None),
    };
    let body = st.views.render_page(lang.0, "/audit", &page)?;
    Ok(html(body))
}

pub async fn csv(
    st: web::Data<AppState>,
    _a: AuditorSession,
    q: BoundedQuery<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    let bytes = st.audit.audit_csv(&q).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit.csv\"",
        ))
        .body(bytes))
}
