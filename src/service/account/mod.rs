//! The citizens' own account pages: registration, e-mail verification, password change and reset.
//!
//! Mailed links carry a 256-bit random token; only its keyed hash is stored, it is used once and
//! expires (`[account] verify_ttl_secs`, `reset_ttl_secs`).
mod links;
pub mod mails;
mod password;
mod register;

pub use password::{ChangeOutcome, ResetOutcome};
pub use register::{RegisterInput, RegisterOutcome};

use crate::auth::AuthError;
use crate::storage::{StorageError, TokenState};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("auth: {0}")]
    Auth(#[from] AuthError),
}

/// What became of a mailed link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkOutcome {
    /// The link worked (or, when only looked at, would work).
    Ok,
    Used,
    Expired,
    /// Not a link we issued (or for another purpose).
    Invalid,
}

impl LinkOutcome {
    /// The message key of the page that explains a refused link.
    pub fn message_key(self) -> &'static str {
        match self {
            LinkOutcome::Ok => "account.link.ok",
            LinkOutcome::Used => "account.link.used",
            LinkOutcome::Expired => "account.link.expired",
            LinkOutcome::Invalid => "account.link.invalid",
        }
    }
}

impl From<&TokenState> for LinkOutcome {
    fn from(s: &TokenState) -> Self {
        match s {
            TokenState::Valid { .. } => LinkOutcome::Ok,
            TokenState::Used => LinkOutcome::Used,
            TokenState::Expired => LinkOutcome::Expired,
            TokenState::Unknown => LinkOutcome::Invalid,
        }
    }
}

impl crate::service::Account {
    /// A fresh value for the anonymous forms' double-submit cookie.
    pub fn new_public_csrf_cookie(&self) -> String {
        self.rng.token()
    }

    /// The CSRF token for anonymous forms, bound to the double-submit cookie value.
    pub fn public_csrf_token(&self, cookie: &str) -> Result<String, AccountError> {
        Ok(self.keyed.mac_b64("public-csrf", &[cookie.as_bytes()])?)
    }

    /// Constant-time check of a presented token against the cookie.
    pub fn public_csrf_ok(&self, cookie: &str, presented: &str) -> bool {
        links::well_formed(cookie)
            && match self.public_csrf_token(cookie) {
                Ok(expected) => crate::auth::tokens::ct_eq(&expected, presented),
                Err(_) => false,
            }
    }
}
