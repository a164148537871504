//! Issuing and checking the single-use tokens of mailed links.
use super::{AccountError, LinkOutcome};
use crate::audit::{AuditEvent, AuditKind};
use crate::domain::citizen::Citizen;
use crate::notify::mail::Mail;
use crate::service::Account;
use crate::storage::{NewEmailToken, TokenPurpose};

/// A token as we issue it: 43 characters of URL-safe base64. Anything else is refused unread.
pub(super) fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Account {
    pub(super) fn link_token_hash(&self, token: &str) -> Result<String, AccountError> {
        Ok(self.keyed.mac_hex("email-link", &[token.as_bytes()])?)
    }

    /// Stores a new token for `c` and returns the link that carries it.
    pub(super) async fn issue_link(
        &self,
        c: &Citizen,
        purpose: TokenPurpose,
        path: &str,
        ttl_secs: i64,
        kind: AuditKind,
        client_addr: Option<String>,
    ) -> Result<String, AccountError> {
        let token = self.rng.token();
        let hash = self.link_token_hash(&token)?;
        let now = self.now_ms();
        let ev = AuditEvent::new(kind)
            .actor(c.username.as_str())
            .citizen(&c.id.0)
            .addr(client_addr);
        self.store
            .create_email_token(
                &NewEmailToken {
                    citizen_id: &c.id.0,
                    purpose,
                    token_hash: &hash,
                    expires_at: now + ttl_secs * 1000,
                },
                now,
                &ev,
            )
            .await?;
        Ok(format!("{}{path}?token={token}", self.cfg.base_url))
    }

    /// The state of a link's token without using it.
    pub(super) async fn link_state(
        &self,
        purpose: TokenPurpose,
        token: &str,
    ) -> Result<(LinkOutcome, Option<String>), AccountError> {
        if !well_formed(token) {
            return Ok((LinkOutcome::Invalid, None));
        }
        let hash = self.link_token_hash(token)?;
        let state = self
            .store
            .email_token_state(purpose, &hash, self.now_ms())
            .await?;
        let citizen = match &state {
            crate::storage::TokenState::Valid { citizen_id } => Some(citizen_id.clone()),
            _ => None,
        };
        Ok(((&state).into(), citizen))
    }

    /// Sends a mail; a failure is logged, not shown (the citizen can ask again).
    pub(super) async fn send_mail(&self, mail: &Mail, what: &'static str) -> bool {
        match self.mailer.send(mail).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, what, "mail could not be sent");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_issued_token_shapes_are_read() {
        assert!(well_formed(&"a".repeat(43)));
        assert!(well_formed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_9"));
        assert!(!well_formed(&"a".repeat(42)));
        assert!(!well_formed(&"a".repeat(44)));
        assert!(!well_formed(&format!("{}'", "a".repeat(42))));
        assert!(!well_formed(""));
    }
}
