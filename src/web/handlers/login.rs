//! The login pages: method choice, password, SMS code, cancel.
use super::forms::{
    minutes_left, render, see_other, sms_limited_message, CsrfOnly, OtpForm, PasswordForm,
};
use super::{clear_tx, post_page};
use crate::auth::Secret;
use crate::service::login::{Finished, Next, OtpOutcome, PasswordOutcome};
use crate::web::cookies;
use crate::web::csrf;
use crate::web::error::WebError;
use crate::web::extract::{
    local_redirect, ClientAddr, CsrfForm, Lang, PendingLoginGuard, SessionToken,
};
use crate::web::pages::{Choose, OtpPage, PasswordPage};
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};

/// Where a finished or cancelled login sends the browser.
fn next_page(st: &AppState, lang: &str, next: &Next) -> Result<HttpResponse, WebError> {
    match next {
        Next::Post(form) => post_page(st, lang, form),
        Next::Redirect(path) => Ok(local_redirect(path)),
    }
}

/// The login is finished: set the new session cookie, forget the transaction, post to the e-service
/// (or go to the user pages).
fn finished(st: &AppState, lang: &str, f: Finished) -> Result<HttpResponse, WebError> {
    let mut resp = next_page(st, lang, &f.next)?;
    let cfg = &st.cfg;
    if let Some(token) = f.session_token {
        resp.add_cookie(&cookies::sso(
            token,
            cfg.secure_cookies(),
            cfg.lifetimes.sso_absolute_secs,
        ))?;
    }
    resp.add_cookie(&clear_tx(st))?;
    Ok(resp)
}

pub async fn choose(
    st: web::Data<AppState>,
    g: PendingLoginGuard,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    if g.login.password_done() && g.login.needs_sms() && !g.login.is_step_up() {
        return Ok(see_other("/login/otp"));
    }
    let csrf = st.login.csrf_token(&g.tx_token)?;
    let page = Choose {
        title: g.login.sp_name(lang.0),
        sp_name: g.login.sp_name(lang.0),
        csrf,
        step_up: g.login.is_step_up(),
    };
    render(&st, lang.0, "/login", &page)
}

fn password_view(
    st: &AppState,
    g: &PendingLoginGuard,
    lang: &str,
    username: &str,
    message: Option<&'static str>,
    extra: &str,
) -> Result<HttpResponse, WebError> {
    let csrf = st.login.csrf_token(&g.tx_token)?;
    let page = PasswordPage {
        title: g.login.sp_name(lang),
        sp_name: g.login.sp_name(lang),
        csrf,
        username,
        message,
        message_extra: extra,
    };
    render(st, lang, "/login/password", &page)
}

pub async fn password_page(
    st: web::Data<AppState>,
    g: PendingLoginGuard,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    if g.login.is_step_up() {
        return Ok(see_other("/login"));
    }
    password_view(&st, &g, lang.0, "", None, "")
}

#[allow(clippy::too_many_arguments)]
pub async fn password_submit(
    st: web::Data<AppState>,
    g: PendingLoginGuard,
    form: CsrfForm<csrf::Login, PasswordForm>,
    lang: Lang,
    addr: ClientAddr,
    session: SessionToken,
) -> Result<HttpResponse, WebError> {
    let f = form.0;
    let outcome = st
        .login
        .submit_password(
            &g.login,
            &f.username,
            &Secret::new(f.password),
            addr.0,
            session.0.as_deref(),
            lang.0,
        )
        .await?;
    let user = f.username.chars().take(64).collect::<String>();
    match outcome {
        PasswordOutcome::CodeSent => Ok(see_other("/login/otp")),
        PasswordOutcome::Done(fin) => finished(&st, lang.0, fin),
        PasswordOutcome::Invalid => {
            password_view(&st, &g, lang.0, &user, Some("password.invalid"), "")
        }
        PasswordOutcome::Throttled { until_ms } => {
            let mins = ((until_ms - st.login.now_ms()) as f64 / 60_000.0)
                .ceil()
                .max(1.0) as i64;
            let extra = format!("{mins} min.");
            password_view(&st, &g, lang.0, &user, Some("password.throttled"), &extra)
        }
        PasswordOutcome::AccountLocked => {
            password_view(&st, &g, lang.0, &user, Some("password.locked"), "")
        }
        PasswordOutcome::SmsPassInactive => Err(WebError::SmsPassInactive),
        PasswordOutcome::CodeLocked { until_ms } => {
            let extra = minutes_left(st.login.now_ms(), until_ms);
            password_view(&st, &g, lang.0, &user, Some("otp.locked"), &extra)
        }
        PasswordOutcome::SmsLimited(l) => {
            let (key, extra) = sms_limited_message(&l);
            password_view(&st, &g, lang.0, &user, Some(key), &extra)
        }
    }
}

async fn otp_view(
    st: &AppState,
    g: &PendingLoginGuard,
    lang: &str,
    message: Option<&'static str>,
    extra: &str,
) -> Result<HttpResponse, WebError> {
    let csrf = st.login.csrf_token(&g.tx_token)?;
    let phone = st.login.code_phone_masked(&g.login).await?;
    let page = OtpPage {
        title: g.login.sp_name(lang),
        sp_name: g.login.sp_name(lang),
        csrf,
        phone,
        message,
        message_extra: extra,
    };
    render(st, lang, "/login/otp", &page)
}

pub async fn otp_page(
    st: web::Data<AppState>,
    g: PendingLoginGuard,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    if !g.login.password_done() {
        return Ok(see_other("/login"));
    }
    otp_view(&st, &g, lang.0, None, "").await
}

fn otp_message(o: &OtpOutcome, now_ms: i64) -> (&'static str, String) {
    match o {
        OtpOutcome::Locked { until_ms } => ("otp.locked", minutes_left(now_ms, *until_ms)),
        OtpOutcome::SmsLimited(l) => sms_limited_message(l),
        OtpOutcome::Wrong { attempts_left } => ("otp.wrong", attempts_left.to_string()),
        OtpOutcome::Expired => ("otp.expired", String::new()),
        OtpOutcome::Voided { can_resend: true } => ("otp.voided", String::new()),
        OtpOutcome::Voided { can_resend: false } => ("otp.no_more", String::new()),
        OtpOutcome::Resent => ("otp.resent", String::new()),
        OtpOutcome::ResendRefused { wait_secs: Some(s) } => ("otp.resend_wait", format!("{s} s")),
        OtpOutcome::ResendRefused { wait_secs: None } => ("otp.no_more", String::new()),
        OtpOutcome::Done(_) | OtpOutcome::NeedPassword | OtpOutcome::SmsPassInactive => {
            ("error.internal", String::new())
        }
    }
}

pub async fn otp_submit(
    st: web::Data<AppState>,
    g: PendingLoginGuard,
    form: CsrfForm<csrf::Login, OtpForm>,
    lang: Lang,
    addr: ClientAddr,
    session: SessionToken,
) -> Result<HttpResponse, WebError> {
    let outcome = st
        .login
        .submit_code(&g.login, &form.0.otp, addr.0, session.0.as_deref())
        .await?;
    match outcome {
        OtpOutcome::Done(fin) => finished(&st, lang.0, fin),
        OtpOutcome::NeedPassword => Ok(see_other("/login")),
        OtpOutcome::SmsPassInactive => Err(WebError::SmsPassInactive),
        other => {
            let (key, extra) = otp_message(&other, st.login.now_ms());
            otp_view(&st, &g, lang.0, Some(key), &extra).await
        }
    }
}

pub async fn otp_send(
    st: web::Data<AppState>,
    g: PendingLoginGuard,
    _form: CsrfForm<csrf::Login, CsrfOnly>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let outcome = st.login.resend_code(&g.login, lang.0, addr.0).await?;
    match outcome {
        OtpOutcome::NeedPassword => Ok(see_other("/login")),
        OtpOutcome::SmsPassInactive => Err(WebError::SmsPassInactive),
        other => {
            let (key, extra) = otp_message(&other, st.login.now_ms());
            otp_view(&st, &g, lang.0, Some(key), &extra).await
        }
    }
}

pub async fn cancel(
    st: web::Data<AppState>,
    g: PendingLoginGuard,
    _form: CsrfForm<csrf::Login, CsrfOnly>,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    let next = st.login.cancel_login(&g.login).await?;
    let mut resp = next_page(&st, lang.0, &next)?;
    resp.add_cookie(&clear_tx(&st))?;
    Ok(resp)
}
