//! Staff accounts (officers, operators, auditors): administration from the command line, and the
//! staff login (password + SMS code to the staff phone) with its server-side sessions (`login`).
mod login;

pub use login::{StaffCodeOutcome, StaffLoggedIn, StaffPasswordOutcome};

use super::Staff;
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::password_policy;
use crate::auth::Secret;
use crate::domain::ids::Username;
use crate::domain::staff::{Role, Roles, StaffMember};
use crate::storage::StorageError;

/// Idle lifetime of a staff session (seconds).
pub const STAFF_IDLE_SECS: i64 = 15 * 60;
/// Absolute lifetime of a staff session (seconds).
pub const STAFF_ABSOLUTE_SECS: i64 = 8 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{0}")]
    Invalid(String),
    #[error("no staff member with username {0}")]
    NotFound(String),
    #[error("username {0} is taken")]
    Taken(String),
    /// No live staff login transaction (missing/expired cookie, already finished).
    #[error("no staff login in progress")]
    NoTransaction,
    /// The database cannot be used right now; nothing was changed. Try again in a moment.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StorageError> for StaffError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Conflict(s) => StaffError::Taken(s),
            StorageError::Unavailable(s) => StaffError::Unavailable(s),
            other => StaffError::Internal(other.to_string()),
        }
    }
}

impl From<crate::service::authn::AuthnError> for StaffError {
    fn from(e: crate::service::authn::AuthnError) -> Self {
        match e {
            crate::service::authn::AuthnError::Storage(e) => e.into(),
            other => StaffError::Internal(other.to_string()),
        }
    }
}

impl From<crate::auth::AuthError> for StaffError {
    fn from(e: crate::auth::AuthError) -> Self {
        StaffError::Internal(e.to_string())
    }
}

pub struct NewStaffInput {
    pub username: String,
    pub display_name: String,
    pub phone: String,
    pub roles: Vec<String>,
    pub password: Secret,
}

impl Staff {
    pub async fn add_staff(
        &self,
        i: NewStaffInput,
        actor: &str,
    ) -> Result<StaffMember, StaffError> {
        let username =
            Username::parse(&i.username).map_err(|e| StaffError::Invalid(e.to_string()))?;
        let pw = i.password.expose();
        let details = [i.display_name.as_str(), i.phone.as_str()];
        password_policy::check(&self.cfg.account, pw, pw, username.as_str(), &details)
            .map_err(|r| StaffError::Invalid(format!("password refused: {r}")))?;
        let display_name = i.display_name.trim().to_string();
        if display_name.is_empty() || display_name.chars().count() > 200 {
            return Err(StaffError::Invalid(
                "a display name is required (max 200 characters)".into(),
            ));
        }
        let phone = self
            .cfg
            .sms
            .parse_phone(&i.phone)
            .map_err(|e| StaffError::Invalid(e.to_string()))?;
        let roles = i
            .roles
            .iter()
            .map(|r| Role::parse(r))
            .collect::<Result<Vec<_>, _>>()
            .and_then(Roles::new)
            .map_err(|e| StaffError::Invalid(e.to_string()))?;
        let hash = self.hasher.hash(&i.password).await?;
        let now = self.now_ms();
        let s = StaffMember {
            id: uuid::Uuid::new_v4().to_string(),
            username,
            display_name,
            phone,
            roles,
            locked: false,
            created_at: now,
        };
        let ev = AuditEvent::new(AuditKind::StaffCreated)
            .actor(actor)
            .detail(serde_json::json!({
                "staff": s.username.as_str(),
                "roles": s.roles.to_list(),
                "phone": s.phone.masked(),
            }));
        Ok(self.store.create_staff(&s, &hash, &ev).await?)
    }

    pub async fn list_staff(&self) -> Result<Vec<StaffMember>, StaffError> {
        Ok(self.store.list_staff().await?)
    }

    pub async fn staff_by_username(&self, username: &str) -> Result<StaffMember, StaffError> {
        let u = Username::parse(username).map_err(|e| StaffError::Invalid(e.to_string()))?;
        self.store
            .find_staff_login(&u)
            .await?
            .map(|(s, _)| s)
            .ok_or_else(|| StaffError::NotFound(username.to_string()))
    }

    /// Locks (and logs out everywhere) or unlocks a staff member; unlocking also clears the
    /// failed-attempt lock.
    pub async fn set_staff_locked(
        &self,
        username: &str,
        locked: bool,
        actor: &str,
    ) -> Result<StaffMember, StaffError> {
        let s = self.staff_by_username(username).await?;
        let kind = if locked {
            AuditKind::StaffLocked
        } else {
            AuditKind::StaffUnlocked
        };
        let ev = AuditEvent::new(kind)
            .actor(actor)
            .detail(serde_json::json!({ "staff": s.username.as_str() }));
        let s = self
            .store
            .set_staff_locked(&s.id, locked, self.now_ms(), &ev)
            .await?;
        if !locked {
            self.store
                .throttle_clear(&login::account_throttle_key(s.username.as_str()))
                .await?;
            use crate::auth::lockout::{code_key, CodeHolder};
            self.store
                .throttle_clear(&code_key(CodeHolder::Staff(&s.id)))
                .await?;
        }
        Ok(s)
    }
}
