//! The operator's view of the postal letter queue (path B activation letters).
use crate::web::error::WebError;
use crate::web::extract::Lang;
use crate::web::extract_staff::OperatorSession;
use crate::web::pages::{LetterLine, OperatorLetters};
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};

/// Rows shown on the page.
const SHOWN: u64 = 200;

/// Unix milliseconds as `YYYY-MM-DD HH:MM` UTC.
pub(crate) fn date_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

pub async fn queue(
    st: web::Data<AppState>,
    op: OperatorSession,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    let q = st.activation.letter_queue(SHOWN).await?;
    let rows: Vec<LetterLine> = q
        .recent
        .iter()
        .map(|l| LetterLine {
            request_ref: &l.request_ref,
            status: l.status.message_key(),
            created_at: date_time(l.created_at),
            dispatched_at: l.dispatched_at.map(date_time),
            batch: l.batch.as_deref(),
        })
        .collect();
    let page = OperatorLetters {
        title: "Operator",
        staff: &op.member().display_name,
        pending: q.counts.pending,
        dispatched: q.counts.dispatched,
        letters: rows,
    };
    let body = st.views.render_page(lang.0, "/operator/letters", &page)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/operator/letters", web::get().to(queue));
}
