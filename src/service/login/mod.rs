//! The login journey: AuthnRequest → (SSO session | password → SMS code) → signed Response.
//! State between steps lives in the `login_transactions` row named by the browser's transaction cookie,
//! so any node can serve any step.
mod account;
mod otp_step;
mod password_step;
mod sso;

pub use account::{AccountLoginStart, ACCOUNT_AREA};
pub use otp_step::OtpOutcome;
pub use password_step::PasswordOutcome;
pub use sso::{SsoInput, SsoOutcome};

use super::{token_hash, PostForm, Services};
use crate::domain::loa::{AuthnTarget, Comparison, Level};
use crate::storage::LoginTx;
use serde::{Deserialize, Serialize};

/// What the transaction remembers about the request it answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub request_id: Option<String>,
    pub sp: String,
    pub acs_url: String,
    pub relay_state: Option<String>,
    pub force_authn: bool,
    pub target: AuthnTarget,
    pub name_id_format: String,
    /// Step-up: the citizen is known from the SSO session; only the missing step is asked.
    pub step_up: bool,
    /// A login to the user pages (not for an e-service): where to go when it is done.
    #[serde(default)]
    pub account_next: Option<String>,
    /// The NameID format the request asked for (None: none or unspecified), so that the format is
    /// chosen again under the e-service's policy in force when the Response is built.
    #[serde(default)]
    pub requested_format: Option<String>,
    /// The request's RequestedAuthnContext, so that the target is decided again under the policy in
    /// force when the Response is built.
    #[serde(default)]
    pub requested_context: Option<RequestedContext>,
}

/// A verified RequestedAuthnContext as the login transaction keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RequestedContext {
    pub comparison: Comparison,
    pub class_refs: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The SAML message could not be used; shown as an error page (never sent anywhere).
    #[error("bad SAML request: {0}")]
    BadRequest(String),
    #[error("unknown e-service {0}")]
    UnknownSp(String),
    #[error("e-service {0} is disabled")]
    SpDisabled(String),
    #[error("AssertionConsumerService not in metadata: {0}")]
    AcsNotInMetadata(String),
    /// No valid login transaction (missing/expired cookie, finished already).
    #[error("no login in progress")]
    NoTransaction,
    #[error("smsPASS is not active for this account")]
    SmsPassInactive,
    /// The AuthnRequest ID was already used (replay cache); answered with a SAML status.
    #[error("request ID already used")]
    Replayed,
    /// The database cannot be used right now; nothing was changed. Try again in a moment.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<crate::storage::StorageError> for LoginError {
    fn from(e: crate::storage::StorageError) -> Self {
        match e {
            crate::storage::StorageError::Replayed => LoginError::Replayed,
            crate::storage::StorageError::Unavailable(s) => LoginError::Unavailable(s),
            other => LoginError::Internal(other.to_string()),
        }
    }
}
impl From<crate::auth::AuthError> for LoginError {
    fn from(e: crate::auth::AuthError) -> Self {
        LoginError::Internal(e.to_string())
    }
}

/// Where the browser goes when a login ends.
#[derive(Debug)]
pub enum Next {
    /// The auto-submitting form to the e-service's ACS.
    Post(PostForm),
    /// A local page (logins to the user pages).
    Redirect(String),
}

/// A finished login: where the browser goes and the (new) SSO session cookie value.
#[derive(Debug)]
pub struct Finished {
    pub next: Next,
    pub session_token: Option<String>,
}

/// A login transaction as the pages see it.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub tx: LoginTx,
    pub(crate) pending: Pending,
    pub sp_name_sl: String,
    pub sp_name_en: String,
    /// The level the login must reach under the e-service's policy in force now.
    level_needed: Level,
}

impl PendingLogin {
    pub fn sp_name(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.sp_name_en
        } else {
            &self.sp_name_sl
        }
    }
    /// The password step is done (or the citizen is known from the SSO session).
    pub fn password_done(&self) -> bool {
        self.tx.citizen_id.is_some() && self.tx.password_at.is_some()
    }
    pub fn is_step_up(&self) -> bool {
        self.pending.step_up
    }
    pub fn needs_sms(&self) -> bool {
        self.level_needed >= Level::SmsPass
    }
    /// A login to the user pages rather than to an e-service.
    pub fn is_account_login(&self) -> bool {
        self.pending.account_next.is_some()
    }
}

impl Services {
    /// Loads the login transaction named by the browser's cookie. Expired or finished ones are refused.
    pub async fn pending_login(&self, tx_token: &str) -> Result<PendingLogin, LoginError> {
        let h = token_hash(&self.keyed, tx_token)?;
        let tx = self
            .store
            .find_login_tx(&h)
            .await?
            .ok_or(LoginError::NoTransaction)?;
        if tx.completed || tx.expires_at <= self.now_ms() {
            return Err(LoginError::NoTransaction);
        }
        let pending: Pending = serde_json::from_str(&tx.request_json)
            .map_err(|e| LoginError::Internal(format!("login transaction {}: {e}", tx.id)))?;
        let reg = self.registry.snapshot();
        let (sl, en) = match reg.get(&pending.sp) {
            _ if pending.account_next.is_some() => (
                account::AREA_NAME_SL.to_string(),
                account::AREA_NAME_EN.to_string(),
            ),
            Some(sp) => (sp.display_name("sl"), sp.display_name("en")),
            None => (pending.sp.clone(), pending.sp.clone()),
        };
        let level_needed = self.level_needed_now(&pending);
        Ok(PendingLogin {
            tx,
            pending,
            sp_name_sl: sl,
            sp_name_en: en,
            level_needed,
        })
    }

    /// The CSRF token for forms of this login transaction (bound to the transaction cookie).
    pub fn csrf_token(&self, tx_token: &str) -> Result<String, LoginError> {
        Ok(self.keyed.mac_b64("csrf", &[tx_token.as_bytes()])?)
    }

    pub fn csrf_ok(&self, tx_token: &str, presented: &str) -> bool {
        match self.csrf_token(tx_token) {
            Ok(expected) => crate::auth::tokens::ct_eq(&expected, presented),
            Err(_) => false,
        }
    }
}
