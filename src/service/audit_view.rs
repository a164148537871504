//! The auditor's view of the audit trail: filters from the query string, pages, and CSV export.
//! CSV cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) get a leading
//! apostrophe.
use super::Audit;
use crate::storage::{AuditFilter, AuditRow};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

pub const PAGE_SIZE: u64 = 50;
/// The most rows one CSV export holds.
pub const CSV_MAX_ROWS: u64 = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum AuditViewError {
    #[error("not a time: {0:?} (use YYYY-MM-DD, YYYY-MM-DDTHH:MM or RFC 3339)")]
    BadTime(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<crate::storage::StorageError> for AuditViewError {
    fn from(e: crate::storage::StorageError) -> Self {
        AuditViewError::Internal(e.to_string())
    }
}

/// The filter fields as typed in the form (empty = any).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub citizen: String,
    #[serde(default)]
    pub sp: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub page: Option<u64>,
}

/// A time as UTC milliseconds: RFC 3339, `YYYY-MM-DDTHH:MM[:SS]` (UTC) or a date (its midnight, UTC).
pub fn parse_time(raw: &str) -> Result<Option<i64>, AuditViewError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.timestamp_millis()));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(Some(t.and_utc().timestamp_millis()));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(Some(t.and_utc().timestamp_millis()));
        }
    }
    Err(AuditViewError::BadTime(s.chars().take(40).collect()))
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.chars().take(1024).collect())
}

impl AuditQuery {
    pub fn filter(&self) -> Result<AuditFilter, AuditViewError> {
        Ok(AuditFilter {
            from_ms: parse_time(&self.from)?,
            to_ms: parse_time(&self.to)?,
            actor: opt(&self.actor),
            citizen_id: opt(&self.citizen),
            sp_entity_id: opt(&self.sp),
            kind: opt(&self.kind),
        })
    }
    pub fn page(&self) -> u64 {
        self.page.unwrap_or(1).clamp(1, 100_000)
    }
}

/// One page of events and whether there are more.
#[derive(Debug)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub page: u64,
    pub has_next: bool,
}

/// Neutralises spreadsheet formulas: a cell starting with = + - @ (or tab/CR) gets a leading apostrophe.
pub fn csv_safe(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Audit {
    pub async fn audit_page(&self, q: &AuditQuery) -> Result<AuditPage, AuditViewError> {
        let f = q.filter()?;
        let page = q.page();
        let mut rows = self
            .store
            .query_audit(&f, (page - 1) * PAGE_SIZE, PAGE_SIZE + 1)
            .await?;
        let has_next = rows.len() as u64 > PAGE_SIZE;
        rows.truncate(PAGE_SIZE as usize);
        Ok(AuditPage {
            rows,
            page,
            has_next,
        })
    }

    /// The CSV export of every event the filter matches (newest first, at most [`CSV_MAX_ROWS`]).
    pub async fn audit_csv(&self, q: &AuditQuery) -> Result<Vec<u8>, AuditViewError> {
        let f = q.filter()?;
        let rows = self.store.query_audit(&f, 0, CSV_MAX_ROWS).await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let io = |e: csv::Error| AuditViewError::Internal(e.to_string());
        w.write_record([
            "id",
            "time",
            "kind",
            "actor",
            "citizen",
            "e-service",
            "detail",
        ])
        .map_err(io)?;
        for r in rows {
            w.write_record([
                r.id.to_string(),
                rfc3339(r.at),
                csv_safe(&r.kind),
                csv_safe(r.actor.as_deref().unwrap_or("")),
                csv_safe(r.citizen_id.as_deref().unwrap_or("")),
                csv_safe(r.sp_entity_id.as_deref().unwrap_or("")),
                csv_safe(&r.detail),
            ])
            .map_err(io)?;
        }
        w.into_inner()
            .map_err(|e| AuditViewError::Internal(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("+1"), "'+1");
        assert_eq!(csv_safe("-1"), "'-1");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("staff:ana"), "staff:ana");
        assert_eq!(csv_safe(""), "");
    }

    #[test]
    fn times_parse_in_several_forms() -> Result<(), AuditViewError> {
        assert_eq!(parse_time("")?, None);
        assert_eq!(parse_time("1970-01-02")?, Some(86_400_000));
        assert_eq!(parse_time("1970-01-01T00:01")?, Some(60_000));
        assert_eq!(parse_time("1970-01-01T01:00:00+01:00")?, Some(0));
        assert!(parse_time("yesterday").is_err());
        Ok(())
    }
}
