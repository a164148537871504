//! Staff login (password + SMS code), the staff home page and logout.
use super::forms::{
    minutes_left, render, see_other, sms_limited_message, CsrfOnly, OtpForm, PasswordForm,
};
use crate::auth::Secret;
use crate::domain::staff::Role;
use crate::service::staff::{StaffCodeOutcome, StaffPasswordOutcome};
use crate::web::cookies;
use crate::web::csrf::{self, CsrfForm};
use crate::web::error::WebError;
use crate::web::extract::{local_redirect, ClientAddr, Lang};
use crate::web::extract_input::BoundedQuery;
use crate::web::extract_staff::{staff_next, StaffLoginGuard, StaffSession};
use crate::web::pages::{StaffArea, StaffHome, StaffLogin, StaffOtp};
use crate::web::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff", web::get().to(home))
        .route("/staff/login", web::get().to(login_page))
        .route("/staff/login", web::post().to(login_submit))
        .route("/staff/login/otp", web::get().to(otp_page))
        .route("/staff/login/otp", web::post().to(otp_submit))
        .route("/staff/login/otp/send", web::post().to(otp_send))
        .route("/staff/logout", web::post().to(logout))
        .route("/audit", web::get().to(super::audit::page))
        .route("/audit.csv", web::get().to(super::audit::csv));
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn add_cookie(
    resp: &mut HttpResponse,
    c: actix_web::cookie::Cookie<'static>,
) -> Result<(), WebError> {
    Ok(resp.add_cookie(&c)?)
}

fn login_view(
    st: &AppState,
    tx_token: &str,
    lang: &str,
    username: &str,
    message: Option<&'static str>,
    extra: &str,
) -> Result<HttpResponse, WebError> {
    let page = StaffLogin {
        title: "pass-idp",
        csrf: st.staff.staff_csrf_token(tx_token)?,
        username,
        message,
        message_extra: extra,
    };
    render(st, lang, "/staff/login", &page)
}

/// Opens a new staff login transaction and shows the username/password form.
pub async fn login_page(
    st: web::Data<AppState>,
    lang: Lang,
    q: BoundedQuery<NextQuery>,
) -> Result<HttpResponse, WebError> {
    let next = staff_next(q.next.as_deref());
    let token = st.staff.staff_login_start(&next).await?;
    let mut resp = login_view(&st, &token, lang.0, "", None, "")?;
    let cfg = &st.cfg;
    add_cookie(
        &mut resp,
        cookies::staff(
            cookies::STAFF_TX,
            token,
            cfg.secure_cookies(),
            cfg.lifetimes.login_transaction_secs,
        ),
    )?;
    Ok(resp)
}

pub async fn login_submit(
    st: web::Data<AppState>,
    g: StaffLoginGuard,
    form: CsrfForm<csrf::StaffLogin, PasswordForm>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let f = form.0;
    let outcome = st
        .staff
        .staff_submit_password(&g.tx, &f.username, &Secret::new(f.password), addr.0, lang.0)
        .await?;
    let user: String = f.username.chars().take(64).collect();
    match outcome {
        StaffPasswordOutcome::CodeSent => Ok(see_other("/staff/login/otp")),
        StaffPasswordOutcome::Invalid => login_view(
            &st,
            &g.tx_token,
            lang.0,
            &user,
            Some("password.invalid"),
            "",
        ),
        StaffPasswordOutcome::Throttled { until_ms } => {
            let mins = ((until_ms - st.staff.now_ms()) as f64 / 60_000.0)
                .ceil()
                .max(1.0) as i64;
            let extra = format!("{mins} min.");
            login_view(
                &st,
                &g.tx_token,
                lang.0,
                &user,
                Some("password.throttled"),
                &extra,
            )
        }
        StaffPasswordOutcome::CodeLocked { until_ms } => {
            let extra = minutes_left(st.staff.now_ms(), until_ms);
            login_view(&st, &g.tx_token, lang.0, &user, Some("otp.locked"), &extra)
        }
        StaffPasswordOutcome::SmsLimited(l) => {
            let (key, extra) = sms_limited_message(&l);
            login_view(&st, &g.tx_token, lang.0, &user, Some(key), &extra)
        }
    }
}

fn otp_view(
    st: &AppState,
    g: &StaffLoginGuard,
    lang: &str,
    message: Option<&'static str>,
    extra: &str,
) -> Result<HttpResponse, WebError> {
    let page = StaffOtp {
        title: "pass-idp",
        csrf: st.staff.staff_csrf_token(&g.tx_token)?,
        message,
        message_extra: extra,
    };
    render(st, lang, "/staff/login/otp", &page)
}

pub async fn otp_page(
    st: web::Data<AppState>,
    g: StaffLoginGuard,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    if g.tx.password_at.is_none() {
        return Ok(see_other("/staff/login"));
    }
    otp_view(&st, &g, lang.0, None, "")
}

fn code_message(o: &StaffCodeOutcome, now_ms: i64) -> (&'static str, String) {
    match o {
        StaffCodeOutcome::Locked { until_ms } => ("otp.locked", minutes_left(now_ms, *until_ms)),
        StaffCodeOutcome::SmsLimited(l) => sms_limited_message(l),
        StaffCodeOutcome::Wrong { attempts_left } => ("otp.wrong", attempts_left.to_string()),
        StaffCodeOutcome::Expired => ("otp.expired", String::new()),
        StaffCodeOutcome::Voided { can_resend: true } => ("otp.voided", String::new()),
        StaffCodeOutcome::Voided { can_resend: false } => ("staff.no_more", String::new()),
        StaffCodeOutcome::Resent => ("otp.resent", String::new()),
        StaffCodeOutcome::ResendRefused { wait_secs: Some(s) } => {
            ("otp.resend_wait", format!("{s} s"))
        }
        StaffCodeOutcome::ResendRefused { wait_secs: None } => ("staff.no_more", String::new()),
        StaffCodeOutcome::Done { .. } | StaffCodeOutcome::NeedPassword => {
            ("error.internal", String::new())
        }
    }
}

pub async fn otp_submit(
    st: web::Data<AppState>,
    g: StaffLoginGuard,
    form: CsrfForm<csrf::StaffLogin, OtpForm>,
    lang: Lang,
    addr: ClientAddr,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let old = req.cookie(cookies::STAFF).map(|c| c.value().to_string());
    let outcome = st
        .staff
        .staff_submit_code(&g.tx, &form.0.otp, addr.0, old.as_deref())
        .await?;
    match outcome {
        StaffCodeOutcome::Done {
            session_token,
            next,
        } => {
            let secure = st.cfg.secure_cookies();
            let mut resp = local_redirect(&next);
            add_cookie(
                &mut resp,
                cookies::staff(
                    cookies::STAFF,
                    session_token,
                    secure,
                    crate::service::staff::STAFF_ABSOLUTE_SECS,
                ),
            )?;
            add_cookie(&mut resp, cookies::staff_removal(cookies::STAFF_TX, secure))?;
            Ok(resp)
        }
        StaffCodeOutcome::NeedPassword => Ok(see_other("/staff/login")),
        other => {
            let (key, extra) = code_message(&other, st.staff.now_ms());
            otp_view(&st, &g, lang.0, Some(key), &extra)
        }
    }
}

pub async fn otp_send(
    st: web::Data<AppState>,
    g: StaffLoginGuard,
    _form: CsrfForm<csrf::StaffLogin, CsrfOnly>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    match st.staff.staff_resend_code(&g.tx, lang.0, addr.0).await? {
        StaffCodeOutcome::NeedPassword => Ok(see_other("/staff/login")),
        other => {
            let (key, extra) = code_message(&other, st.staff.now_ms());
            otp_view(&st, &g, lang.0, Some(key), &extra)
        }
    }
}

/// Who is logged in, and links to the areas their roles open.
pub async fn home(
    st: web::Data<AppState>,
    s: StaffSession,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    let m = s.member();
    let areas: Vec<StaffArea> = m
        .roles
        .iter()
        .map(|r| {
            let (href, key) = match r {
                Role::Officer => ("/office", "staff.area.officer"),
                Role::Operator => ("/operator", "staff.area.operator"),
                Role::Auditor => ("/audit", "staff.area.auditor"),
            };
            StaffArea { href, key }
        })
        .collect();
    let roles: Vec<_> = m.roles.iter().map(|r| r.message_key()).collect();
    let page = StaffHome {
        title: "pass-idp",
        display_name: &m.display_name,
        username: m.username.as_str(),
        roles,
        areas,
        csrf: s.csrf(&st)?,
    };
    render(&st, lang.0, "/staff", &page)
}

pub async fn logout(
    st: web::Data<AppState>,
    s: StaffSession,
    _form: CsrfForm<csrf::Staff, CsrfOnly>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    st.staff.staff_logout(&s.who, addr.0).await?;
    let mut resp = see_other("/staff/login");
    add_cookie(
        &mut resp,
        cookies::staff_removal(cookies::STAFF, st.cfg.secure_cookies()),
    )?;
    Ok(resp)
}
