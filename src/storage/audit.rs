use super::entity::audit_event;
use super::{AuditRow, StorageError, Store};
use crate::audit::AuditEvent;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};

pub(super) fn model(ev: &AuditEvent, now_ms: i64) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        at: Set(now_ms),
        kind: Set(ev.kind.as_str().to_string()),
        actor: Set(ev.actor.clone()),
        citizen_id: Set(ev.citizen_id.clone()),
        sp_entity_id: Set(ev.sp_entity_id.clone()),
        client_addr: Set(ev.client_addr.clone()),
        detail: Set(ev.detail.to_string()),
        ..Default::default()
    }
}

pub(super) async fn write<C: ConnectionTrait>(
    db: &C,
    ev: &AuditEvent,
    now_ms: i64,
) -> Result<(), StorageError> {
    // Without RETURNING/read-back: on SQLite `ActiveModel::insert` reads the row back with a SELECT.
    audit_event::Entity::insert(model(ev, now_ms))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

impl Store {
    /// Records an event that goes with no other change.
    pub async fn audit(&self, ev: &AuditEvent, now_ms: i64) -> Result<(), StorageError> {
        write(&self.db, ev, now_ms).await
    }

    /// Newest first.
    pub async fn recent_audit(&self, limit: u64) -> Result<Vec<AuditRow>, StorageError> {
        let rows = audit_event::Entity::find()
            .order_by_desc(audit_event::Column::Id)
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
