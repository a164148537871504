//! The citizen's own account pages: registration, e-mail verification, password change.
//! (Password reset: `account_reset.rs`; login, logout and the home page: `account_session.rs`.)
use super::forms::{render, CsrfOnly};
use crate::auth::Secret;
use crate::service::account::{ChangeOutcome, LinkOutcome, RegisterInput, RegisterOutcome};
use crate::web::csrf::{self, CsrfForm};
use crate::web::error::WebError;
use crate::web::extract::{ClientAddr, HasCsrf, Lang};
use crate::web::extract_citizen::CitizenSession;
use crate::web::extract_input::BoundedQuery;
use crate::web::extract_public::PublicCsrf;
use crate::web::pages::{
    AccountMessage, AccountPassword, AccountRegister, AccountVerifyConfirm, MessageExtra,
    RegisterValues,
};
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/register", web::get().to(register_page))
        .route("/account/register", web::post().to(register_submit))
        .route("/account/verify", web::get().to(verify_page))
        .route("/account/verify", web::post().to(verify))
        .route("/account/verify/resend", web::post().to(resend))
        .route("/account/password", web::get().to(password_page))
        .route("/account/password", web::post().to(password_submit));
    super::account_reset::routes(cfg);
}

/// A one-message page (`account_message`); `ok` decides the look. Refusals are pages too (status
/// 200): error statuses are turned into the generic error page by the error handler.
pub(super) fn message_page(
    st: &AppState,
    lang: &str,
    back: &str,
    ok: bool,
    heading: &'static str,
    message: &'static str,
    extra: MessageExtra,
) -> Result<HttpResponse, WebError> {
    let page = AccountMessage {
        title: "smsPASS",
        heading,
        message,
        ok,
        extra,
    };
    render(st, lang, back, &page)
}

#[derive(Deserialize)]
pub struct RegisterForm {
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    city: String,
}
impl HasCsrf for RegisterForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

fn register_view(
    st: &AppState,
    csrf: &PublicCsrf,
    lang: &str,
    values: RegisterValues,
    messages: &[&'static str],
) -> Result<HttpResponse, WebError> {
    let page = AccountRegister {
        title: "smsPASS",
        csrf: csrf.token(),
        v: values,
        messages,
        min_length: st.cfg.account.password_min_length,
    };
    let resp = render(st, lang, "/account/register", &page)?;
    csrf.apply(resp)
}

pub async fn register_page(
    st: web::Data<AppState>,
    csrf: PublicCsrf,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    register_view(&st, &csrf, lang.0, RegisterValues::default(), &[])
}

/// Keeps what was typed (never the passwords) to show the form again.
fn typed(f: &RegisterForm) -> RegisterValues {
    let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    RegisterValues {
        username: cut(&f.username, 64),
        given_name: cut(&f.given_name, 200),
        family_name: cut(&f.family_name, 200),
        email: cut(&f.email, 254),
        street: cut(&f.street, 200),
        postcode: cut(&f.postcode, 10),
        city: cut(&f.city, 100),
    }
}

pub async fn register_submit(
    st: web::Data<AppState>,
    form: CsrfForm<csrf::Anonymous, RegisterForm>,
    csrf: PublicCsrf,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let f = form.0;
    let values = typed(&f);
    let input = RegisterInput {
        username: f.username,
        password: Secret::new(f.password),
        password_repeat: Secret::new(f.password_repeat),
        given_name: f.given_name,
        family_name: f.family_name,
        email: f.email,
        street: f.street,
        postcode: f.postcode,
        city: f.city,
    };
    match st.account.register(input, lang.0, addr.0).await? {
        // One page for a new and a taken username; the mail says which it was.
        RegisterOutcome::Accepted { email, mail_sent } => {
            let message = if mail_sent {
                "account.registered.sent"
            } else {
                "account.registered.unsent"
            };
            message_page(
                &st,
                lang.0,
                "/account/register",
                true,
                "account.registered.heading",
                message,
                MessageExtra {
                    email: mail_sent.then_some(email),
                    login: true,
                    ..MessageExtra::default()
                },
            )
        }
        RegisterOutcome::Refused(keys) => register_view(&st, &csrf, lang.0, values, &keys),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    pub token: String,
}

fn verify_refused(
    st: &AppState,
    lang: &str,
    outcome: LinkOutcome,
) -> Result<HttpResponse, WebError> {
    message_page(
        st,
        lang,
        "/account",
        false,
        "account.verify.heading",
        outcome.message_key(),
        MessageExtra {
            login: true,
            resend_hint: true,
            ..MessageExtra::default()
        },
    )
}

/// Opens an e-mail verification link: a page with a button that confirms the address. The link
/// itself changes nothing, so a mail filter or a preview that opens links does not use it up.
pub async fn verify_page(
    st: web::Data<AppState>,
    q: BoundedQuery<TokenQuery>,
    csrf: PublicCsrf,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    match st.account.verify_link_state(&q.token).await? {
        LinkOutcome::Ok => {
            let page = AccountVerifyConfirm {
                title: "smsPASS",
                csrf: csrf.token(),
                token: &q.token,
            };
            let resp = render(&st, lang.0, "/account", &page)?;
            csrf.apply(resp)
        }
        other => verify_refused(&st, lang.0, other),
    }
}

#[derive(Deserialize)]
pub struct VerifyForm {
    csrf_token: String,
    #[serde(default)]
    token: String,
}
impl HasCsrf for VerifyForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Uses an e-mail verification link (the button on its page).
pub async fn verify(
    st: web::Data<AppState>,
    form: CsrfForm<csrf::Anonymous, VerifyForm>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    match st.account.verify_email(&form.0.token, addr.0).await? {
        LinkOutcome::Ok => message_page(
            &st,
            lang.0,
            "/account",
            true,
            "account.verify.heading",
            "account.verified",
            MessageExtra {
                login: true,
                ..MessageExtra::default()
            },
        ),
        other => verify_refused(&st, lang.0, other),
    }
}

/// Mails a new verification link to the logged-in citizen.
pub async fn resend(
    st: web::Data<AppState>,
    s: CitizenSession,
    _form: CsrfForm<csrf::Account, CsrfOnly>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let sent = st
        .account
        .send_verification(&s.citizen, lang.0, addr.0)
        .await?;
    let (ok, message) = match (sent, s.citizen.email_verified) {
        (_, true) => (true, "account.verify.already"),
        (true, false) => (true, "account.verify.resent"),
        (false, false) => (false, "account.registered.mail_failed"),
    };
    message_page(
        &st,
        lang.0,
        "/account",
        ok,
        "account.verify.heading",
        message,
        MessageExtra {
            email: s.citizen.email.clone(),
            home: true,
            ..MessageExtra::default()
        },
    )
}

#[derive(Deserialize)]
pub struct ChangeForm {
    csrf_token: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
}
impl HasCsrf for ChangeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

fn password_view(
    st: &AppState,
    s: &CitizenSession,
    lang: &str,
    message: Option<&'static str>,
) -> Result<HttpResponse, WebError> {
    let page = AccountPassword {
        title: "smsPASS",
        csrf: s.csrf(st)?,
        username: s.citizen.username.as_str(),
        message,
        min_length: st.cfg.account.password_min_length,
    };
    render(st, lang, "/account/password", &page)
}

pub async fn password_page(
    st: web::Data<AppState>,
    s: CitizenSession,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    password_view(&st, &s, lang.0, None)
}

pub async fn password_submit(
    st: web::Data<AppState>,
    s: CitizenSession,
    form: CsrfForm<csrf::Account, ChangeForm>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let f = form.0;
    let outcome = st
        .account
        .change_password(
            &s.citizen,
            &s.session_id,
            &Secret::new(f.current_password),
            &Secret::new(f.password),
            &Secret::new(f.password_repeat),
            addr.0,
        )
        .await?;
    let refused = |key: &'static str| -> Result<HttpResponse, WebError> {
        password_view(&st, &s, lang.0, Some(key))
    };
    match outcome {
        ChangeOutcome::Changed { .. } => message_page(
            &st,
            lang.0,
            "/account",
            true,
            "account.password.heading",
            "account.password.changed",
            MessageExtra {
                home: true,
                ..MessageExtra::default()
            },
        ),
        ChangeOutcome::WrongPassword => refused("account.password.wrong_current"),
        ChangeOutcome::Throttled => refused("account.password.throttled"),
        ChangeOutcome::Refused(key) => refused(key),
    }
}
