//! Logging in to and out of the citizen's user pages, and the user home page.
use super::forms::{render, see_other, CsrfOnly};
use crate::domain::loa::Level;
use crate::service::login::AccountLoginStart;
use crate::web::cookies;
use crate::web::csrf::{self, CsrfForm};
use crate::web::error::WebError;
use crate::web::extract::{local_redirect, ClientAddr, Lang, SessionToken};
use crate::web::extract_citizen::{account_next, CitizenSession};
use crate::web::extract_input::BoundedQuery;
use crate::web::pages::{AccountHome, CitizenView};
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(home))
        .route("/account/login", web::get().to(login))
        .route("/account/logout", web::post().to(logout));
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    level: Option<String>,
}

/// Starts a login to the user pages (or goes straight on when the SSO session suffices).
pub async fn login(
    st: web::Data<AppState>,
    q: BoundedQuery<LoginQuery>,
    session: SessionToken,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let next = account_next(q.next.as_deref());
    let want = match q.level.as_deref() {
        Some("smspass") => Level::SmsPass,
        _ => Level::Password,
    };
    match st
        .login
        .start_account_login(&next, want, session.0.as_deref(), addr.0)
        .await?
    {
        AccountLoginStart::Already(next) => Ok(local_redirect(&next)),
        AccountLoginStart::Login { tx_token } => {
            let cfg = &st.cfg;
            // A step-up (session known, SMS code missing) starts on the method page, which offers
            // to send the code; a fresh login goes straight to the password.
            let to = if session.0.is_some() && want == Level::SmsPass {
                "/login"
            } else {
                "/login/password"
            };
            let mut resp = see_other(to);
            resp.add_cookie(&cookies::tx(
                tx_token,
                cfg.secure_cookies(),
                cfg.lifetimes.login_transaction_secs,
            ))?;
            Ok(resp)
        }
    }
}

pub async fn logout(
    st: web::Data<AppState>,
    s: CitizenSession,
    _form: CsrfForm<csrf::Account, CsrfOnly>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    st.account.end_citizen_session(s.token(), addr.0).await?;
    let mut resp = see_other("/");
    resp.add_cookie(&cookies::removal(cookies::SSO, st.cfg.secure_cookies()))?;
    Ok(resp)
}

/// The data every user page shows in its header.
pub fn citizen_view(s: &CitizenSession) -> CitizenView<'_> {
    let c = &s.citizen;
    CitizenView {
        username: c.username.as_str(),
        given_name: &c.given_name,
        family_name: &c.family_name,
        email: c.email.as_deref(),
        email_verified: c.email_verified,
        address: c.address.as_ref().map(|a| a.lines()),
        level: s.level.name(),
        smspass_level: s.level >= Level::SmsPass,
    }
}

pub async fn home(
    st: web::Data<AppState>,
    s: CitizenSession,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    let smspass = st.activation.smspass_view(&s.citizen).await?;
    let page = AccountHome {
        title: "smsPASS",
        citizen: citizen_view(&s),
        smspass,
        csrf: s.csrf(&st)?,
    };
    render(&st, lang.0, "/account", &page)
}
