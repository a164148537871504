//! The login journey: AuthnRequest → (SSO session | password → SMS code) → signed Response.
//! Each login is an authentication flow (`service::authn`) of purpose `Sso` or `AccountPages`, named
//! by the browser's transaction cookie, so any node can serve any step.
mod account;
mod otp_step;
mod password_step;
mod sso;

pub use super::authn::purposes::ACCOUNT_AREA;
pub use account::AccountLoginStart;
pub use otp_step::OtpOutcome;
pub use password_step::PasswordOutcome;
pub use sso::{SsoInput, SsoOutcome};

use super::authn::{AuthnError, Flow};
use super::{Login, PostForm};
use crate::auth::flow::Purpose;
pub(crate) use crate::auth::flow::{RequestedContext, SsoRequest};
use crate::domain::loa::Level;
use crate::domain::local_path::LocalPath;

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
impl From<AuthnError> for LoginError {
    fn from(e: AuthnError) -> Self {
        match e {
            AuthnError::Storage(e) => e.into(),
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
    Redirect(LocalPath),
}

/// A finished login: where the browser goes and the (new) SSO session cookie value.
#[derive(Debug)]
pub struct Finished {
    pub next: Next,
    pub session_token: Option<String>,
}

/// A citizen login as the pages see it: a live flow of purpose `Sso` or `AccountPages`.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub flow: Flow,
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
        self.flow.password_done()
    }
    pub fn is_step_up(&self) -> bool {
        match &self.flow.purpose {
            Purpose::Sso(r) => r.step_up,
            Purpose::AccountPages(a) => a.step_up,
            Purpose::StaffLogin { .. } | Purpose::PhoneProof(_) => false,
        }
    }
    pub fn needs_sms(&self) -> bool {
        self.level_needed >= Level::SmsPass
    }
    /// A login to the user pages rather than to an e-service.
    pub fn is_account_login(&self) -> bool {
        matches!(self.flow.purpose, Purpose::AccountPages(_))
    }
    /// The e-service's request, for a login to an e-service.
    pub(crate) fn sso(&self) -> Option<&SsoRequest> {
        match &self.flow.purpose {
            Purpose::Sso(r) => Some(r),
            _ => None,
        }
    }
    /// The citizen this login belongs to, once known.
    pub(crate) fn citizen_id(&self) -> Option<&str> {
        self.flow
            .principal_id(crate::auth::flow::PrincipalKind::Citizen)
    }
    /// The entity ID under which this login is recorded (the e-service, or the user pages).
    pub(crate) fn sp_entity_id(&self) -> &str {
        sp_of(&self.flow.purpose)
    }
}

/// The entity ID under which a citizen login is recorded (the e-service, or the user pages).
pub(crate) fn sp_of(p: &Purpose) -> &str {
    match p {
        Purpose::Sso(r) => &r.sp,
        _ => ACCOUNT_AREA,
    }
}

impl Login {
    /// Loads the citizen login named by the browser's cookie. Expired or finished ones are refused,
    /// and so is a flow of another purpose.
    pub async fn pending_login(&self, tx_token: &str) -> Result<PendingLogin, LoginError> {
        let flow = self
            .authn
            .flow_by_token(tx_token)
            .await?
            .filter(|f| matches!(f.purpose, Purpose::Sso(_) | Purpose::AccountPages(_)))
            .ok_or(LoginError::NoTransaction)?;
        let level_needed = self.responder.level_needed_now(&flow.purpose);
        Ok(PendingLogin {
            sp_name_sl: self.authn.purpose_label(&flow.purpose, "sl"),
            sp_name_en: self.authn.purpose_label(&flow.purpose, "en"),
            flow,
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

impl Login {
    /// The IdP's signed metadata (`/saml/metadata`).
    pub async fn idp_metadata(&self) -> Result<String, String> {
        self.responder.idp_metadata().await
    }
}
