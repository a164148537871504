//! The citizen's smsPASS pages: start activation (path A) and print the request form, continue with
//! the activation code and a phone number, confirm the number by SMS; suspend and resume; change the
//! phone (needs an smsPASS-level login: `SmsPassSession`).
use super::forms::{minutes_left, render, see_other, sms_limited_message, CsrfOnly, OtpForm};
use crate::service::activation::{CodeOutcome, PhoneOutcome};
use crate::web::csrf::{self, CsrfForm};
use crate::web::error::WebError;
use crate::web::extract::{ClientAddr, HasCsrf, Lang};
use crate::web::extract_citizen::{CitizenSession, SmsPassSession};
use crate::web::pages::{AccountActivation, AccountActivationForm, AccountPhone};
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/activation", web::get().to(page))
        .route("/account/activation", web::post().to(submit_code))
        .route("/account/activation/start", web::post().to(start))
        .route("/account/activation/form", web::get().to(form))
        .route("/account/activation/confirm", web::post().to(confirm))
        .route("/account/activation/resend", web::post().to(resend))
        .route("/account/smspass/suspend", web::post().to(suspend))
        .route("/account/smspass/resume", web::post().to(resume))
        .route("/account/phone", web::get().to(phone_page))
        .route("/account/phone", web::post().to(phone_submit))
        .route("/account/phone/confirm", web::post().to(phone_confirm))
        .route("/account/phone/resend", web::post().to(phone_resend));
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf_token: String,
    activation_code: String,
    phone: String,
}
impl HasCsrf for CodeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Deserialize)]
pub struct PhoneForm {
    csrf_token: String,
    phone: String,
}
impl HasCsrf for PhoneForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Message key and extra text for an outcome.
fn code_msg(o: &CodeOutcome, now_ms: i64) -> (&'static str, String) {
    match o {
        CodeOutcome::CodeLocked { until_ms } => ("otp.locked", minutes_left(now_ms, *until_ms)),
        CodeOutcome::SmsSent { .. } => ("activation.sms_sent", String::new()),
        CodeOutcome::Wrong { attempts_left } => {
            ("activation.code_wrong", attempts_left.to_string())
        }
        CodeOutcome::TooManyAttempts => ("activation.code_void", String::new()),
        CodeOutcome::Expired => ("activation.code_expired", String::new()),
        CodeOutcome::Used => ("activation.code_used", String::new()),
        CodeOutcome::BadPhone => ("activation.bad_phone", String::new()),
        CodeOutcome::PhoneRefused(e) => (e.phone_message_key(), String::new()),
        CodeOutcome::SmsLimited(l) => sms_limited_message(l),
        CodeOutcome::NotExpected => ("activation.not_expected", String::new()),
    }
}

fn phone_msg(o: &PhoneOutcome, now_ms: i64) -> (&'static str, String) {
    match o {
        PhoneOutcome::Locked { until_ms } => ("otp.locked", minutes_left(now_ms, *until_ms)),
        PhoneOutcome::SmsLimited(l) => sms_limited_message(l),
        PhoneOutcome::Done => ("activation.done", String::new()),
        PhoneOutcome::Wrong { attempts_left } => ("otp.wrong", attempts_left.to_string()),
        PhoneOutcome::Expired => ("otp.expired", String::new()),
        PhoneOutcome::Void => ("otp.voided", String::new()),
        PhoneOutcome::Resent => ("otp.resent", String::new()),
        PhoneOutcome::ResendRefused { wait_secs: Some(s) } => ("otp.resend_wait", format!("{s} s")),
        PhoneOutcome::ResendRefused { wait_secs: None } => ("activation.no_more", String::new()),
        PhoneOutcome::NotExpected => ("activation.not_expected", String::new()),
    }
}

async fn activation_view(
    st: &AppState,
    s: &CitizenSession,
    lang: &str,
    message: Option<(&'static str, String)>,
    ok: bool,
) -> Result<HttpResponse, WebError> {
    let view = st.activation.smspass_view(&s.citizen).await?;
    let phone = st.activation.pending_phone(&s.citizen, false).await?;
    let (message, extra) = message.map_or((None, String::new()), |(k, e)| (Some(k), e));
    let page = AccountActivation {
        title: "smsPASS",
        smspass: view,
        sms_phone: phone,
        csrf: s.csrf(st)?,
        message,
        message_extra: extra,
        ok,
    };
    render(st, lang, "/account/activation", &page)
}

pub async fn page(
    st: web::Data<AppState>,
    s: CitizenSession,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    activation_view(&st, &s, lang.0, None, false).await
}

pub async fn start(
    st: web::Data<AppState>,
    s: CitizenSession,
    _f: CsrfForm<csrf::Account, CsrfOnly>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    st.activation
        .start_activation(&s.citizen, lang.0, addr.0)
        .await?;
    Ok(see_other("/account/activation"))
}

pub async fn form(
    st: web::Data<AppState>,
    s: CitizenSession,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    let f = st.activation.activation_request_form(&s.citizen).await?;
    let page = AccountActivationForm {
        title: "smsPASS",
        form: f,
    };
    render(&st, lang.0, "/account/activation/form", &page)
}

pub async fn submit_code(
    st: web::Data<AppState>,
    s: CitizenSession,
    f: CsrfForm<csrf::Account, CodeForm>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let f = f.0;
    let o = st
        .activation
        .submit_activation_code(&s.citizen, &f.activation_code, &f.phone, lang.0, addr.0)
        .await?;
    let ok = matches!(o, CodeOutcome::SmsSent { .. });
    activation_view(
        &st,
        &s,
        lang.0,
        Some(code_msg(&o, st.activation.now_ms())),
        ok,
    )
    .await
}

pub async fn confirm(
    st: web::Data<AppState>,
    s: CitizenSession,
    f: CsrfForm<csrf::Account, OtpForm>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let o = st
        .activation
        .confirm_activation_phone(&s.citizen, &f.0.otp, addr.0)
        .await?;
    let ok = o == PhoneOutcome::Done;
    activation_view(
        &st,
        &s,
        lang.0,
        Some(phone_msg(&o, st.activation.now_ms())),
        ok,
    )
    .await
}

pub async fn resend(
    st: web::Data<AppState>,
    s: CitizenSession,
    _f: CsrfForm<csrf::Account, CsrfOnly>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let o = st
        .activation
        .resend_phone_verification(&s.citizen, false, lang.0, addr.0)
        .await?;
    activation_view(
        &st,
        &s,
        lang.0,
        Some(phone_msg(&o, st.activation.now_ms())),
        o == PhoneOutcome::Resent,
    )
    .await
}

pub async fn suspend(
    st: web::Data<AppState>,
    s: CitizenSession,
    _f: CsrfForm<csrf::Account, CsrfOnly>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let actor = format!("citizen:{}", s.citizen.username);
    st.activation
        .suspend_smspass(&s.citizen.id.0, &actor, None, addr.0)
        .await?;
    Ok(see_other("/account"))
}

pub async fn resume(
    st: web::Data<AppState>,
    s: CitizenSession,
    _f: CsrfForm<csrf::Account, CsrfOnly>,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let actor = format!("citizen:{}", s.citizen.username);
    st.activation
        .resume_smspass(&s.citizen.id.0, &actor, addr.0)
        .await?;
    Ok(see_other("/account"))
}

async fn phone_view(
    st: &AppState,
    s: &CitizenSession,
    lang: &str,
    message: Option<(&'static str, String)>,
    ok: bool,
) -> Result<HttpResponse, WebError> {
    let view = st.activation.smspass_view(&s.citizen).await?;
    let pending = st.activation.pending_phone(&s.citizen, true).await?;
    let (message, extra) = message.map_or((None, String::new()), |(k, e)| (Some(k), e));
    let page = AccountPhone {
        title: "smsPASS",
        smspass: view,
        sms_phone: pending,
        csrf: s.csrf(st)?,
        message,
        message_extra: extra,
        ok,
    };
    render(st, lang, "/account/phone", &page)
}

pub async fn phone_page(
    st: web::Data<AppState>,
    s: SmsPassSession,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    phone_view(&st, &s.0, lang.0, None, false).await
}

pub async fn phone_submit(
    st: web::Data<AppState>,
    s: SmsPassSession,
    f: CsrfForm<csrf::Account, PhoneForm>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let o = st
        .activation
        .start_phone_change(&s.0.citizen, &f.0.phone, lang.0, addr.0)
        .await?;
    let ok = matches!(o, CodeOutcome::SmsSent { .. });
    phone_view(
        &st,
        &s.0,
        lang.0,
        Some(code_msg(&o, st.activation.now_ms())),
        ok,
    )
    .await
}

pub async fn phone_confirm(
    st: web::Data<AppState>,
    s: SmsPassSession,
    f: CsrfForm<csrf::Account, OtpForm>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let o = st
        .activation
        .confirm_phone_change(&s.0.citizen, &f.0.otp, addr.0)
        .await?;
    let (key, extra) = match o {
        PhoneOutcome::Done => ("phone.changed", String::new()),
        ref other => phone_msg(other, st.activation.now_ms()),
    };
    phone_view(
        &st,
        &s.0,
        lang.0,
        Some((key, extra)),
        o == PhoneOutcome::Done,
    )
    .await
}

pub async fn phone_resend(
    st: web::Data<AppState>,
    s: SmsPassSession,
    _f: CsrfForm<csrf::Account, CsrfOnly>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let o = st
        .activation
        .resend_phone_verification(&s.0.citizen, true, lang.0, addr.0)
        .await?;
    phone_view(
        &st,
        &s.0,
        lang.0,
        Some(phone_msg(&o, st.activation.now_ms())),
        o == PhoneOutcome::Resent,
    )
    .await
}
