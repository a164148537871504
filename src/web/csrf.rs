//! The one CSRF form guard, generic over the session kind the token is bound to.
//!
//! Guarantees (negative tests below, in tests/account.rs, tests/account_login.rs, tests/staff.rs and
//! tests/login_steps.rs): a handler that takes [`CsrfForm<K, T>`] runs only when
//! - the request carries the cookie of kind `K` ([`CsrfKind::COOKIE`]): the login transaction
//!   ([`Login`]), the citizen's SSO session ([`Account`]), the staff session ([`Staff`]), the staff
//!   login transaction ([`StaffLogin`]) or the anonymous double-submit cookie ([`Anonymous`]);
//! - the form's `csrf_token` equals the token bound to that cookie (compared in constant time by the
//!   service that issued it);
//! - every field of the form is within its limit (`extract_input`).
//!
//! A missing cookie, a missing or foreign token is refused (403; a login form without its
//! transaction: 400 `no_transaction`) before the handler runs. A token is a keyed hash of the value
//! of the cookie it is bound to, in a domain of its own per kind (the two staff kinds share one; their
//! cookies differ), so it never passes with another cookie or as another kind (tests/csrf_kinds.rs).
use super::error::WebError;
use super::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// A form that carries the hidden `csrf_token` field.
pub trait HasCsrf {
    fn csrf_token(&self) -> &str;
}

/// What a CSRF token is bound to: a cookie, and the service check for it.
pub trait CsrfKind: 'static {
    /// The cookie whose value the token is bound to.
    const COOKIE: &'static str;
    /// Whether `presented` is the token bound to the cookie value `binding`.
    fn check(s: &AppState, binding: &str, presented: &str) -> bool;
    /// What a request without the cookie gets.
    fn missing() -> WebError {
        WebError::Csrf
    }
}

/// The citizen login transaction (`/login/*`).
pub struct Login;
/// The citizen's SSO session (the user pages).
pub struct Account;
/// The staff session (office, operator, audit).
pub struct Staff;
/// The staff login transaction (`/staff/login/*`).
pub struct StaffLogin;
/// Anonymous visitors (registration, password reset): the double-submit cookie.
pub struct Anonymous;

impl CsrfKind for Login {
    const COOKIE: &'static str = super::cookies::TX;
    fn check(s: &AppState, binding: &str, presented: &str) -> bool {
        s.login.csrf_ok(binding, presented)
    }
    fn missing() -> WebError {
        WebError::NoTransaction
    }
}

impl CsrfKind for Account {
    const COOKIE: &'static str = super::cookies::SSO;
    fn check(s: &AppState, binding: &str, presented: &str) -> bool {
        s.account.account_csrf_ok(binding, presented)
    }
}

impl CsrfKind for Staff {
    const COOKIE: &'static str = super::cookies::STAFF;
    fn check(s: &AppState, binding: &str, presented: &str) -> bool {
        s.staff.staff_csrf_ok(binding, presented)
    }
}

impl CsrfKind for StaffLogin {
    const COOKIE: &'static str = super::cookies::STAFF_TX;
    fn check(s: &AppState, binding: &str, presented: &str) -> bool {
        s.staff.staff_csrf_ok(binding, presented)
    }
}

impl CsrfKind for Anonymous {
    const COOKIE: &'static str = super::extract_public::PUBLIC_CSRF;
    fn check(s: &AppState, binding: &str, presented: &str) -> bool {
        s.account.public_csrf_ok(binding, presented)
    }
}

/// A form whose CSRF token matched the cookie of kind `K`; the form is `.0`.
pub struct CsrfForm<K: CsrfKind, T>(pub T, PhantomData<K>);

impl<K: CsrfKind, T> CsrfForm<K, T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, WebError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| WebError::Internal("app state missing".into()))
}

/// The check itself, apart from the request plumbing.
fn verify<K: CsrfKind>(
    s: &AppState,
    cookie: Option<&str>,
    presented: &str,
) -> Result<(), WebError> {
    let binding = cookie.ok_or_else(K::missing)?;
    if K::check(s, binding, presented) {
        Ok(())
    } else {
        Err(WebError::Csrf)
    }
}

impl<K: CsrfKind, T: DeserializeOwned + HasCsrf + 'static> FromRequest for CsrfForm<K, T> {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let st = state(req);
        let cookie = req.cookie(K::COOKIE).map(|c| c.value().to_string());
        let form = super::extract_input::bounded_form::<T>(req, payload);
        Box::pin(async move {
            let st = st?;
            let form = form.await?;
            verify::<K>(&st, cookie.as_deref(), form.csrf_token())?;
            Ok(CsrfForm(form, PhantomData))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_its_own_cookie() {
        let cookies = [
            Login::COOKIE,
            Account::COOKIE,
            Staff::COOKIE,
            StaffLogin::COOKIE,
            Anonymous::COOKIE,
        ];
        for (i, a) in cookies.iter().enumerate() {
            assert!(!a.is_empty());
            for b in &cookies[i + 1..] {
                assert_ne!(a, b, "two kinds share a cookie");
            }
        }
    }

    #[test]
    fn a_missing_cookie_is_refused_before_any_check() {
        assert!(matches!(Login::missing(), WebError::NoTransaction));
        for e in [
            Account::missing(),
            Staff::missing(),
            StaffLogin::missing(),
            Anonymous::missing(),
        ] {
            assert!(matches!(e, WebError::Csrf), "{e:?}");
        }
    }
}
