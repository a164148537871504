//! /saml/sso (both bindings) and /saml/metadata.
use super::post_page;
use crate::service::login::{SsoInput, SsoOutcome};
use crate::web::cookies;
use crate::web::error::WebError;
use crate::web::extract::{ClientAddr, Lang, SessionToken};
use crate::web::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SsoPost {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

async fn answer(st: &AppState, lang: &str, outcome: SsoOutcome) -> Result<HttpResponse, WebError> {
    match outcome {
        SsoOutcome::Respond(form) => post_page(st, lang, &form),
        SsoOutcome::Login { tx_token } => {
            let cfg = &st.cfg;
            Ok(HttpResponse::SeeOther()
                .cookie(cookies::tx(
                    tx_token,
                    cfg.secure_cookies(),
                    cfg.lifetimes.login_transaction_secs,
                ))
                .insert_header((header::LOCATION, "/login"))
                .finish())
        }
    }
}

pub async fn sso_redirect(
    st: web::Data<AppState>,
    req: HttpRequest,
    lang: Lang,
    session: SessionToken,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let outcome = st
        .login
        .start_sso(
            SsoInput::Redirect {
                raw_query: req.query_string(),
            },
            session.0.as_deref(),
            addr.0,
        )
        .await?;
    answer(&st, lang.0, outcome).await
}

pub async fn sso_post(
    st: web::Data<AppState>,
    form: web::Form<SsoPost>,
    lang: Lang,
    session: SessionToken,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let f = form.into_inner();
    let saml_request = f
        .saml_request
        .ok_or_else(|| WebError::BadRequest("no SAMLRequest".into()))?;
    let outcome = st
        .login
        .start_sso(
            SsoInput::Post {
                saml_request: &saml_request,
                relay_state: f.relay_state.as_deref(),
            },
            session.0.as_deref(),
            addr.0,
        )
        .await?;
    answer(&st, lang.0, outcome).await
}

pub async fn metadata(st: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let xml = st.login.idp_metadata().await.map_err(WebError::Internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/samlmetadata+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(xml))
}
