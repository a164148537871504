//! Administrative citizen operations used by the CLI (`pass-idp user …`).
use super::Citizens;
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::password_policy;
use crate::auth::Secret;
use crate::domain::citizen::Citizen;
use crate::domain::ids::{CitizenId, Username};
use crate::storage::{NewCitizen, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum CitizenError {
    #[error("{0}")]
    Invalid(String),
    #[error("no citizen with username {0}")]
    NotFound(String),
    #[error("username {0} is taken")]
    Taken(String),
    #[error("storage: {0}")]
    Storage(StorageError),
    #[error("password hashing: {0}")]
    Hash(#[from] crate::auth::AuthError),
}

impl From<StorageError> for CitizenError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Conflict(s) => CitizenError::Taken(s),
            other => CitizenError::Storage(other),
        }
    }
}

pub struct NewCitizenInput {
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: Secret,
}

impl Citizens {
    pub async fn add_citizen(
        &self,
        i: NewCitizenInput,
        actor: &str,
    ) -> Result<Citizen, CitizenError> {
        let username =
            Username::parse(&i.username).map_err(|e| CitizenError::Invalid(e.to_string()))?;
        let pw = i.password.expose();
        let details = [
            i.given_name.as_str(),
            i.family_name.as_str(),
            i.email.as_deref().unwrap_or_default(),
        ];
        password_policy::check(&self.cfg.account, pw, pw, username.as_str(), &details)
            .map_err(|r| CitizenError::Invalid(format!("password refused: {r}")))?;
        let given = i.given_name.trim().to_string();
        let family = i.family_name.trim().to_string();
        if given.is_empty() || family.is_empty() || given.len() > 200 || family.len() > 200 {
            return Err(CitizenError::Invalid(
                "given and family name are required (max 200 characters)".into(),
            ));
        }
        let email = match i.email.as_deref().map(str::trim) {
            Some(e) if !e.is_empty() => {
                if !e.contains('@') || e.len() > 320 || e.contains(char::is_whitespace) {
                    return Err(CitizenError::Invalid(format!("not an e-mail address: {e}")));
                }
                Some(e.to_string())
            }
            _ => None,
        };
        let phone = match i.phone.as_deref() {
            Some(p) => Some(
                self.cfg
                    .sms
                    .parse_phone(p)
                    .map_err(|e| CitizenError::Invalid(e.to_string()))?,
            ),
            None => None,
        };
        let hash = self.hasher.hash(&i.password).await?;
        let id = CitizenId(uuid::Uuid::new_v4().to_string());
        let now = self.now_ms();
        let ev = AuditEvent::new(AuditKind::CitizenCreated)
            .actor(actor)
            .citizen(&id.0);
        let c = self
            .store
            .create_citizen(
                &NewCitizen {
                    id: id.clone(),
                    username,
                    given_name: given,
                    family_name: family,
                    email,
                    address: None,
                },
                &hash,
                now,
                &ev,
            )
            .await?;
        match phone {
            Some(p) => {
                let ev = AuditEvent::new(AuditKind::PhoneSet)
                    .actor(actor)
                    .citizen(&id.0)
                    .detail(serde_json::json!({ "phone": p.masked() }));
                Ok(self.store.set_phone(&id.0, &p, now, &ev).await?)
            }
            None => Ok(c),
        }
    }

    pub async fn citizen_by_username(&self, username: &str) -> Result<Citizen, CitizenError> {
        let u = Username::parse(username).map_err(|e| CitizenError::Invalid(e.to_string()))?;
        self.store
            .find_citizen(&u)
            .await?
            .ok_or_else(|| CitizenError::NotFound(username.to_string()))
    }

    pub async fn set_citizen_phone(
        &self,
        username: &str,
        phone: &str,
        actor: &str,
    ) -> Result<Citizen, CitizenError> {
        let c = self.citizen_by_username(username).await?;
        let p = self
            .cfg
            .sms
            .parse_phone(phone)
            .map_err(|e| CitizenError::Invalid(e.to_string()))?;
        let ev = AuditEvent::new(AuditKind::PhoneSet)
            .actor(actor)
            .citizen(&c.id.0)
            .detail(serde_json::json!({ "phone": p.masked() }));
        Ok(self
            .store
            .set_phone(&c.id.0, &p, self.now_ms(), &ev)
            .await?)
    }

    pub async fn set_citizen_locked(
        &self,
        username: &str,
        locked: bool,
        actor: &str,
    ) -> Result<Citizen, CitizenError> {
        let c = self.citizen_by_username(username).await?;
        let kind = if locked {
            AuditKind::AccountLocked
        } else {
            AuditKind::AccountUnlocked
        };
        let ev = AuditEvent::new(kind).actor(actor).citizen(&c.id.0);
        let c = self
            .store
            .set_locked(&c.id.0, locked, self.now_ms(), &ev)
            .await?;
        if !locked {
            self.store
                .throttle_clear(&crate::auth::lockout::account_key(c.username.as_str()))
                .await?;
            use crate::auth::lockout::{code_key, CodeHolder};
            self.store
                .throttle_clear(&code_key(CodeHolder::Citizen(&c.id.0)))
                .await?;
        }
        Ok(c)
    }
}
