//! Staff accounts and staff sessions (staff logins are authentication flows: `storage::flows`).
use super::entity::{staff, staff_session as ssess};
use super::{audit, is_unique_violation, StorageError, Store};
use crate::audit::AuditEvent;
use crate::domain::ids::{PhoneNumber, Username};
use crate::domain::staff::{Roles, StaffMember};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

#[derive(Debug, Clone)]
pub struct StaffSessionRecord {
    pub id: String,
    pub token_hash: String,
    pub staff_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
}

fn member(m: staff::Model) -> Result<StaffMember, StorageError> {
    let corrupt = |what: &str| StorageError::Corrupt(format!("{what} of staff {}", m.id));
    Ok(StaffMember {
        username: Username::parse(&m.username).map_err(|_| corrupt("username"))?,
        phone: PhoneNumber::parse(&m.phone, "386").map_err(|_| corrupt("phone"))?,
        roles: Roles::parse_list(&m.roles).map_err(|_| corrupt("roles"))?,
        display_name: m.display_name,
        locked: m.locked,
        created_at: m.created_at,
        id: m.id,
    })
}

fn session_from(m: ssess::Model) -> StaffSessionRecord {
    StaffSessionRecord {
        id: m.id,
        token_hash: m.token_hash,
        staff_id: m.staff_id,
        created_at: m.created_at,
        last_seen_at: m.last_seen_at,
        expires_at: m.expires_at,
        revoked: m.revoked,
    }
}

impl Store {
    pub async fn create_staff(
        &self,
        s: &StaffMember,
        password_hash: &str,
        ev: &AuditEvent,
    ) -> Result<StaffMember, StorageError> {
        let t = self.db.begin().await?;
        let m = staff::ActiveModel {
            id: Set(s.id.clone()),
            username: Set(s.username.as_str().to_string()),
            display_name: Set(s.display_name.clone()),
            password_hash: Set(password_hash.to_string()),
            phone: Set(s.phone.as_str().to_string()),
            roles: Set(s.roles.to_list()),
            locked: Set(s.locked),
            created_at: Set(s.created_at),
        }
        .insert(&t)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StorageError::Conflict(format!("staff username {}", s.username))
            } else {
                StorageError::from(e)
            }
        })?;
        audit::write(&t, ev, s.created_at).await?;
        t.commit().await?;
        member(m)
    }

    /// The staff member and the stored password hash.
    pub async fn find_staff_login(
        &self,
        username: &Username,
    ) -> Result<Option<(StaffMember, String)>, StorageError> {
        let Some(m) = staff::Entity::find()
            .filter(staff::Column::Username.eq(username.as_str()))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let hash = m.password_hash.clone();
        Ok(Some((member(m)?, hash)))
    }

    pub async fn get_staff(&self, id: &str) -> Result<Option<StaffMember>, StorageError> {
        staff::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
            .map(member)
            .transpose()
    }

    pub async fn list_staff(&self) -> Result<Vec<StaffMember>, StorageError> {
        staff::Entity::find()
            .order_by_asc(staff::Column::Username)
            .all(&self.db)
            .await?
            .into_iter()
            .map(member)
            .collect()
    }

    /// Locks or unlocks; a lock also revokes every session of the staff member.
    pub async fn set_staff_locked(
        &self,
        id: &str,
        locked: bool,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<StaffMember, StorageError> {
        let t = self.db.begin().await?;
        let m = staff::Entity::find_by_id(id.to_string())
            .one(&t)
            .await?
            .ok_or_else(|| StorageError::NotFound(format!("staff {id}")))?;
        let mut am = m.into_active_model();
        am.locked = Set(locked);
        let m = am.update(&t).await?;
        if locked {
            ssess::Entity::update_many()
                .col_expr(ssess::Column::Revoked, Expr::value(true))
                .filter(ssess::Column::StaffId.eq(id))
                .exec(&t)
                .await?;
        }
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        member(m)
    }

    /// Finishes the login once: marks the flow completed, revokes the session the browser had
    /// (rotation) and stores the new one, all in one transaction. `false` if it was already finished.
    pub async fn staff_login_complete(
        &self,
        flow_id: &str,
        s: &StaffSessionRecord,
        replaces_token_hash: Option<&str>,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<bool, StorageError> {
        let t = self.db.begin().await?;
        if !super::flows::complete_in(&t, flow_id).await? {
            t.rollback().await?;
            return Ok(false);
        }
        if let Some(old) = replaces_token_hash {
            ssess::Entity::update_many()
                .col_expr(ssess::Column::Revoked, Expr::value(true))
                .filter(ssess::Column::TokenHash.eq(old))
                .exec(&t)
                .await?;
        }
        ssess::ActiveModel {
            id: Set(s.id.clone()),
            token_hash: Set(s.token_hash.clone()),
            staff_id: Set(s.staff_id.clone()),
            created_at: Set(s.created_at),
            last_seen_at: Set(s.last_seen_at),
            expires_at: Set(s.expires_at),
            revoked: Set(false),
        }
        .insert(&t)
        .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(true)
    }

    pub async fn find_staff_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<StaffSessionRecord>, StorageError> {
        Ok(ssess::Entity::find()
            .filter(ssess::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?
            .map(session_from))
    }

    pub async fn touch_staff_session(&self, id: &str, now_ms: i64) -> Result<(), StorageError> {
        ssess::Entity::update_many()
            .col_expr(ssess::Column::LastSeenAt, Expr::value(now_ms))
            .filter(ssess::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Revokes a session with its audit record (logout).
    pub async fn revoke_staff_session(
        &self,
        id: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        ssess::Entity::update_many()
            .col_expr(ssess::Column::Revoked, Expr::value(true))
            .filter(ssess::Column::Id.eq(id))
            .exec(&t)
            .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(())
    }

    /// Deletes expired staff sessions.
    pub async fn purge_staff(&self, now_ms: i64) -> Result<u64, StorageError> {
        let n = ssess::Entity::delete_many()
            .filter(ssess::Column::ExpiresAt.lt(now_ms))
            .exec(&self.db)
            .await?
            .rows_affected;
        Ok(n)
    }
}
