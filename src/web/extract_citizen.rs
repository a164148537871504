//! Typed guards for the citizen's user pages.
//!
//! Guarantees (negative tests in tests/account_login.rs):
//! - a handler that takes [`CitizenSession`] runs only for a valid SSO session (within idle and
//!   absolute lifetime, not revoked) of an existing citizen whose account is not locked; staff cookies
//!   never count. Without one the browser is sent (303) to `/account/login?next=<this path>`;
//! - [`SmsPassSession`] additionally requires that the session was made with smsPASS (password + SMS
//!   code); a password-only session is sent to `/account/login?level=smspass&next=<this path>`;
//! - forms posted within the session are `CsrfForm<csrf::Account, _>` (see `web::csrf`).
use super::cookies;
use super::error::WebError;
use super::extract::LocalPath;
use super::state::AppState;
use crate::domain::citizen::Citizen;
use crate::domain::loa::Level;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, WebError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| WebError::Internal("app state missing".into()))
}

/// The local path (with query) to come back to after logging in; only user-page paths.
fn here(req: &HttpRequest) -> LocalPath {
    account_next(req.uri().path_and_query().map(|p| p.as_str()))
}

/// A return address within the user pages (`/account…`); anything else gives `/account`.
pub fn account_next(raw: Option<&str>) -> LocalPath {
    raw.and_then(|r| LocalPath::parse(r).ok())
        .filter(|p| p.is_within(ACCOUNT_HOME))
        .unwrap_or_else(|| LocalPath::parse_or(None, ACCOUNT_HOME))
}

const ACCOUNT_HOME: &str = "/account";

/// A logged-in citizen (password or smsPASS level).
pub struct CitizenSession {
    pub citizen: Citizen,
    pub session_id: String,
    pub level: Level,
    token: String,
}

impl CitizenSession {
    /// The CSRF token for forms posted within this session (`CsrfForm<csrf::Account, _>`).
    pub fn csrf(&self, st: &AppState) -> Result<String, WebError> {
        Ok(st.account.account_csrf_token(&self.token)?)
    }
    /// The session cookie value (to end this session, or to keep it when ending the others).
    pub fn token(&self) -> &str {
        &self.token
    }
}

fn load(
    req: &HttpRequest,
    want: Level,
) -> LocalBoxFuture<'static, Result<CitizenSession, WebError>> {
    let st = state(req);
    let token = req.cookie(cookies::SSO).map(|c| c.value().to_string());
    let next = here(req);
    let smspass = want >= Level::SmsPass;
    Box::pin(async move {
        let st = st?;
        let redirect = || WebError::CitizenLogin {
            next: next.clone(),
            smspass,
        };
        let Some(token) = token else {
            return Err(redirect());
        };
        let Some(who) = st.account.citizen_session(&token).await? else {
            return Err(redirect());
        };
        if who.level < want {
            return Err(redirect());
        }
        Ok(CitizenSession {
            citizen: who.citizen,
            session_id: who.session_id,
            level: who.level,
            token,
        })
    })
}

impl FromRequest for CitizenSession {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        load(req, Level::Password)
    }
}

/// A citizen logged in with smsPASS (password + SMS code), e.g. to change the phone number.
pub struct SmsPassSession(pub CitizenSession);

impl FromRequest for SmsPassSession {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let f = load(req, Level::SmsPass);
        Box::pin(async move { f.await.map(SmsPassSession) })
    }
}

#[cfg(test)]
mod tests {
    use super::account_next;

    #[test]
    fn only_local_account_paths_are_return_addresses() {
        assert_eq!(account_next(None).as_str(), "/account");
        assert_eq!(
            account_next(Some("/account/phone")).as_str(),
            "/account/phone"
        );
        assert_eq!(account_next(Some("/account?x=1")).as_str(), "/account?x=1");
        for bad in [
            "https://evil.example/account",
            "//evil.example/account",
            "/accounts-evil",
            "/account/../saml/sso",
            "/account/%2e%2e/saml/sso",
            "/account\\evil",
            "/account/\u{0}x",
            "/account/\tx",
            "javascript:alert(1)",
            "/staff",
        ] {
            assert_eq!(account_next(Some(bad)).as_str(), "/account", "{bad:?}");
        }
    }
}
