//! Reading the audit trail with filters (the auditor's viewer and CSV export).
use super::entity::audit_event;
use super::{AuditRow, StorageError, Store};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Every field narrows the result; `None` means "any". Times are Unix milliseconds, `to_ms` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub actor: Option<String>,
    pub citizen_id: Option<String>,
    pub sp_entity_id: Option<String>,
    pub kind: Option<String>,
}

impl Store {
    /// Events matching `f`, newest first, skipping `offset` and returning at most `limit`.
    pub async fn query_audit(
        &self,
        f: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<AuditRow>, StorageError> {
        let mut q = audit_event::Entity::find();
        if let Some(v) = f.from_ms {
            q = q.filter(audit_event::Column::At.gte(v));
        }
        if let Some(v) = f.to_ms {
            q = q.filter(audit_event::Column::At.lt(v));
        }
        if let Some(v) = &f.actor {
            q = q.filter(audit_event::Column::Actor.eq(v.as_str()));
        }
        if let Some(v) = &f.citizen_id {
            q = q.filter(audit_event::Column::CitizenId.eq(v.as_str()));
        }
        if let Some(v) = &f.sp_entity_id {
            q = q.filter(audit_event::Column::SpEntityId.eq(v.as_str()));
        }
        if let Some(v) = &f.kind {
            q = q.filter(audit_event::Column::Kind.eq(v.as_str()));
        }
        let rows = q
            .order_by_desc(audit_event::Column::At)
            .order_by_desc(audit_event::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditRow {
                id: r.id,
                at: r.at,
                kind: r.kind,
                actor: r.actor,
                citizen_id: r.citizen_id,
                sp_entity_id: r.sp_entity_id,
                detail: r.detail,
            })
            .collect())
    }
}
