//! Password reset by a mailed link. The request page always gives the same answer, whether or not an
//! account exists (the lookup and the mail happen off the request path).
use super::account::{message_page, TokenQuery};
use super::forms::render;
use crate::auth::Secret;
use crate::service::account::{LinkOutcome, ResetOutcome};
use crate::web::csrf::{self, CsrfForm};
use crate::web::error::WebError;
use crate::web::extract::{ClientAddr, HasCsrf, Lang};
use crate::web::extract_input::BoundedQuery;
use crate::web::extract_public::PublicCsrf;
use crate::web::pages::{AccountReset, AccountResetConfirm, MessageExtra};
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/reset", web::get().to(request_page))
        .route("/account/reset", web::post().to(request_submit))
        .route("/account/reset/confirm", web::get().to(confirm_page))
        .route("/account/reset/confirm", web::post().to(confirm_submit));
}

#[derive(Deserialize)]
pub struct RequestForm {
    csrf_token: String,
    #[serde(default)]
    who: String,
}
impl HasCsrf for RequestForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn request_page(
    st: web::Data<AppState>,
    csrf: PublicCsrf,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    let page = AccountReset {
        title: "smsPASS",
        csrf: csrf.token(),
    };
    let resp = render(&st, lang.0, "/account/reset", &page)?;
    csrf.apply(resp)
}

pub async fn request_submit(
    st: web::Data<AppState>,
    form: CsrfForm<csrf::Anonymous, RequestForm>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    st.account
        .request_password_reset(&form.0.who, lang.0, addr.0);
    message_page(
        &st,
        lang.0,
        "/account/reset",
        true,
        "account.reset.heading",
        "account.reset.requested",
        MessageExtra {
            login: true,
            ..MessageExtra::default()
        },
    )
}

fn link_refused(st: &AppState, lang: &str, o: LinkOutcome) -> Result<HttpResponse, WebError> {
    message_page(
        st,
        lang,
        "/account/reset",
        false,
        "account.reset.heading",
        o.message_key(),
        MessageExtra {
            reset_again: true,
            ..MessageExtra::default()
        },
    )
}

fn confirm_view(
    st: &AppState,
    csrf: &PublicCsrf,
    lang: &str,
    token: &str,
    message: Option<&'static str>,
) -> Result<HttpResponse, WebError> {
    let page = AccountResetConfirm {
        title: "smsPASS",
        csrf: csrf.token(),
        token,
        message,
        min_length: st.cfg.account.password_min_length,
    };
    let resp = render(st, lang, "/account/reset", &page)?;
    csrf.apply(resp)
}

pub async fn confirm_page(
    st: web::Data<AppState>,
    q: BoundedQuery<TokenQuery>,
    csrf: PublicCsrf,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    match st.account.reset_link_state(&q.token).await? {
        LinkOutcome::Ok => confirm_view(&st, &csrf, lang.0, &q.token, None),
        other => link_refused(&st, lang.0, other),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf_token: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
}
impl HasCsrf for ConfirmForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn confirm_submit(
    st: web::Data<AppState>,
    form: CsrfForm<csrf::Anonymous, ConfirmForm>,
    csrf: PublicCsrf,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let f = form.0;
    let outcome = st
        .account
        .reset_password(
            &f.token,
            &Secret::new(f.password),
            &Secret::new(f.password_repeat),
            addr.0,
        )
        .await?;
    match outcome {
        ResetOutcome::Done => message_page(
            &st,
            lang.0,
            "/account",
            true,
            "account.reset.heading",
            "account.reset.done",
            MessageExtra {
                login: true,
                ..MessageExtra::default()
            },
        ),
        ResetOutcome::Refused(key) => confirm_view(&st, &csrf, lang.0, &f.token, Some(key)),
        ResetOutcome::Link(o) => link_refused(&st, lang.0, o),
    }
}
