//! Typed request guards.
//!
//! Guarantees: a handler that takes [`PendingLoginGuard`] runs only with a live, unfinished login
//! transaction named by the transaction cookie. Every POST form is a [`CsrfForm`] (the one CSRF
//! guard, generic over the session kind; see `web::csrf`). Every redirect target is a [`LocalPath`] (a same-origin path; see
//! `domain::local_path` for what it guarantees): [`local_redirect`] is the only way a handler
//! sends the browser to a path that came from outside.
use super::cookies;
pub use super::csrf::{CsrfForm, HasCsrf};
use super::error::WebError;
use super::state::AppState;
pub use crate::domain::local_path::LocalPath;
use crate::service::login::PendingLogin;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

/// 303 to a local path (a `LocalPath` is always a valid header value).
pub fn local_redirect(to: &LocalPath) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, to.as_str()))
        .finish()
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, WebError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| WebError::Internal("app state missing".into()))
}

/// The page language: cookie, else Accept-Language, else the configured default.
pub fn lang_of(req: &HttpRequest, default: &str) -> &'static str {
    let cookie = req.cookie(cookies::LANG).map(|c| c.value().to_string());
    let al = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    crate::i18n::negotiate(cookie.as_deref(), al, default)
}

pub struct Lang(pub &'static str);

impl FromRequest for Lang {
    type Error = WebError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(state(req).map(|st| Lang(lang_of(req, &st.cfg.default_language))))
    }
}

/// The client's address as seen on the connection.
pub struct ClientAddr(pub Option<String>);

impl FromRequest for ClientAddr {
    type Error = WebError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(ClientAddr(req.peer_addr().map(|a| a.ip().to_string()))))
    }
}

/// The SSO session cookie value, if any (validity is checked by the service).
pub struct SessionToken(pub Option<String>);

impl FromRequest for SessionToken {
    type Error = WebError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(SessionToken(
            req.cookie(cookies::SSO).map(|c| c.value().to_string()),
        )))
    }
}

/// A live login transaction.
pub struct PendingLoginGuard {
    pub login: PendingLogin,
    pub tx_token: String,
}

impl FromRequest for PendingLoginGuard {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let st = state(req);
        let token = req.cookie(cookies::TX).map(|c| c.value().to_string());
        Box::pin(async move {
            let st = st?;
            let token = token.ok_or(WebError::NoTransaction)?;
            let login = st.login.pending_login(&token).await?;
            Ok(PendingLoginGuard {
                login,
                tx_token: token,
            })
        })
    }
}
