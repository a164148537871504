//! The citizen's SSO session as the user pages see it: who is logged in, at what level, and the CSRF
//! token bound to that session.
use super::login::LoginError;
use super::{token_hash, Account};
use crate::audit::{AuditEvent, AuditKind};
use crate::domain::citizen::Citizen;
use crate::domain::loa::Level;

/// A valid SSO session of an existing, unlocked citizen.
#[derive(Debug, Clone)]
pub struct CitizenSignedIn {
    pub citizen: Citizen,
    pub session_id: String,
    pub level: Level,
}

impl Account {
    /// The citizen behind an SSO cookie, if the session is valid (lifetimes, not revoked) and the
    /// account is not locked. A valid session is marked as used (idle timeout).
    pub async fn citizen_session(
        &self,
        token: &str,
    ) -> Result<Option<CitizenSignedIn>, LoginError> {
        let Some(s) = self.responder.valid_session(token).await? else {
            return Ok(None);
        };
        let Some(level) = Level::from_i32(s.level) else {
            return Ok(None);
        };
        let Some(citizen) = self.store.get_citizen(&s.citizen_id).await? else {
            return Ok(None);
        };
        if citizen.locked {
            return Ok(None);
        }
        self.store.touch_session(&s.id, self.now_ms()).await?;
        Ok(Some(CitizenSignedIn {
            citizen,
            session_id: s.id,
            level,
        }))
    }

    /// Ends the session named by the cookie (log out of the IdP).
    pub async fn end_citizen_session(
        &self,
        token: &str,
        client_addr: Option<String>,
    ) -> Result<(), LoginError> {
        let h = token_hash(&self.keyed, token)?;
        if let Some(s) = self.store.find_session(&h).await? {
            self.store.revoke_session(&s.id).await?;
            let ev = AuditEvent::new(AuditKind::SessionEnded)
                .citizen(&s.citizen_id)
                .addr(client_addr)
                .detail(serde_json::json!({ "session": s.id, "why": "logout" }));
            self.store.audit(&ev, self.now_ms()).await?;
        }
        Ok(())
    }

    /// CSRF token for forms posted within a citizen's session (bound to the session cookie).
    pub fn account_csrf_token(&self, session_token: &str) -> Result<String, LoginError> {
        Ok(self
            .keyed
            .mac_b64("account-csrf", &[session_token.as_bytes()])?)
    }

    pub fn account_csrf_ok(&self, session_token: &str, presented: &str) -> bool {
        match self.account_csrf_token(session_token) {
            Ok(expected) => crate::auth::tokens::ct_eq(&expected, presented),
            Err(_) => false,
        }
    }
}
