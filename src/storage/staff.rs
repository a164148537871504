//! Staff accounts, staff login transactions (password + SMS code in one row) and staff sessions.
use super::entity::{staff, staff_login_tx as stx, staff_session as ssess};
use super::{audit, is_unique_violation, StorageError, Store};
use crate::audit::AuditEvent;
use crate::domain::ids::{PhoneNumber, Username};
use crate::domain::staff::{Roles, StaffMember};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

/// A staff login in progress. The code fields are those of the newest SMS code.
#[derive(Debug, Clone)]
pub struct StaffLoginTx {
    pub id: String,
    pub token_hash: String,
    pub staff_id: Option<String>,
    pub password_at: Option<i64>,
    pub next_path: String,
    pub code_hash: Option<String>,
    pub code_expires_at: Option<i64>,
    pub attempts: i32,
    pub sends: i32,
    pub last_sent_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub completed: bool,
}

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

fn tx_from(m: stx::Model) -> StaffLoginTx {
    StaffLoginTx {
        id: m.id,
        token_hash: m.token_hash,
        staff_id: m.staff_id,
        password_at: m.password_at,
        next_path: m.next_path,
        code_hash: m.code_hash,
        code_expires_at: m.code_expires_at,
        attempts: m.attempts,
        sends: m.sends,
        last_sent_at: m.last_sent_at,
        created_at: m.created_at,
        expires_at: m.expires_at,
        completed: m.completed,
    }
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

    pub async fn create_staff_login_tx(&self, tx: &StaffLoginTx) -> Result<(), StorageError> {
        stx::ActiveModel {
            id: Set(tx.id.clone()),
            token_hash: Set(tx.token_hash.clone()),
            staff_id: Set(None),
            password_at: Set(None),
            next_path: Set(tx.next_path.clone()),
            code_hash: Set(None),
            code_expires_at: Set(None),
            attempts: Set(0),
            sends: Set(0),
            last_sent_at: Set(None),
            created_at: Set(tx.created_at),
            expires_at: Set(tx.expires_at),
            completed: Set(false),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    pub async fn find_staff_login_tx(
        &self,
        token_hash: &str,
    ) -> Result<Option<StaffLoginTx>, StorageError> {
        Ok(stx::Entity::find()
            .filter(stx::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?
            .map(tx_from))
    }

    /// The password step succeeded: remember who, and store the first code, with its audit records.
    pub async fn staff_tx_password_ok(
        &self,
        tx_id: &str,
        staff_id: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        stx::Entity::update_many()
            .col_expr(stx::Column::StaffId, Expr::value(staff_id))
            .col_expr(stx::Column::PasswordAt, Expr::value(now_ms))
            .filter(stx::Column::Id.eq(tx_id))
            .exec(&t)
            .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(())
    }

    /// Stores a new code (the previous one is replaced) and resets the attempt count.
    pub async fn staff_tx_set_code(
        &self,
        tx_id: &str,
        code_hash: &str,
        code_expires_at: i64,
        sends: i32,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        stx::Entity::update_many()
            .col_expr(stx::Column::CodeHash, Expr::value(code_hash))
            .col_expr(stx::Column::CodeExpiresAt, Expr::value(code_expires_at))
            .col_expr(stx::Column::Attempts, Expr::value(0))
            .col_expr(stx::Column::Sends, Expr::value(sends))
            .col_expr(stx::Column::LastSentAt, Expr::value(now_ms))
            .filter(stx::Column::Id.eq(tx_id))
            .exec(&t)
            .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(())
    }

    /// Counts one attempt before the code is compared, atomically and only while attempts remain.
    pub async fn staff_tx_take_attempt(&self, tx_id: &str, max: i32) -> Result<bool, StorageError> {
        let r = stx::Entity::update_many()
            .col_expr(
                stx::Column::Attempts,
                Expr::col(stx::Column::Attempts).add(1),
            )
            .filter(stx::Column::Id.eq(tx_id))
            .filter(stx::Column::Completed.eq(false))
            .filter(stx::Column::CodeHash.is_not_null())
            .filter(stx::Column::Attempts.lt(max))
            .exec(&self.db)
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// Voids the current code (too many wrong entries), with the audit record.
    pub async fn staff_tx_void_code(
        &self,
        tx_id: &str,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<(), StorageError> {
        let t = self.db.begin().await?;
        stx::Entity::update_many()
            .col_expr(stx::Column::CodeHash, Expr::value(Option::<String>::None))
            .filter(stx::Column::Id.eq(tx_id))
            .exec(&t)
            .await?;
        audit::write(&t, ev, now_ms).await?;
        t.commit().await?;
        Ok(())
    }

    /// Finishes the login once: marks the transaction completed, revokes the session the browser had
    /// (rotation) and stores the new one, all in one transaction. `false` if it was already finished.
    pub async fn staff_login_complete(
        &self,
        tx_id: &str,
        s: &StaffSessionRecord,
        replaces_token_hash: Option<&str>,
        now_ms: i64,
        ev: &AuditEvent,
    ) -> Result<bool, StorageError> {
        let t = self.db.begin().await?;
        let r = stx::Entity::update_many()
            .col_expr(stx::Column::Completed, Expr::value(true))
            .col_expr(stx::Column::CodeHash, Expr::value(Option::<String>::None))
            .filter(stx::Column::Id.eq(tx_id))
            .filter(stx::Column::Completed.eq(false))
            .exec(&t)
            .await?;
        if r.rows_affected != 1 {
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

    /// Deletes expired staff login transactions and sessions.
    pub async fn purge_staff(&self, now_ms: i64) -> Result<u64, StorageError> {
        let mut n = stx::Entity::delete_many()
            .filter(stx::Column::ExpiresAt.lt(now_ms))
            .exec(&self.db)
            .await?
            .rows_affected;
        n += ssess::Entity::delete_many()
            .filter(ssess::Column::ExpiresAt.lt(now_ms))
            .exec(&self.db)
            .await?
            .rows_affected;
        Ok(n)
    }
}
