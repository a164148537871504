//! Dev-mode demo e-services: a start page and an ACS that shows what the e-service received.
use crate::web::error::WebError;
use crate::web::extract::Lang;
use crate::web::message_keys::demo_name_key;
use crate::web::pages::DemoPage;
use crate::web::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

const REQ_COOKIE: &str = "demo_sp_request";

pub async fn index(
    st: web::Data<AppState>,
    name: web::Path<String>,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    if !st.cfg.dev_mode || !crate::service::demo::NAMES.contains(&name.as_str()) {
        return Ok(HttpResponse::NotFound().finish());
    }
    let page = DemoPage {
        title: &name,
        name: &name,
        name_key: demo_name_key(&name),
        result: None,
        error: None,
    };
    let body = st
        .views
        .render_page(lang.0, &format!("/demo-sp/{name}"), &page)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub async fn login(
    st: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let (id, url) = st.demo.demo_start(&name)?;
    let mut c = Cookie::new(REQ_COOKIE, id);
    c.set_path(format!("/demo-sp/{name}"));
    c.set_http_only(true);
    // The Response comes back as a cross-site POST in real deployments; on localhost it is same-site.
    c.set_same_site(SameSite::Lax);
    Ok(HttpResponse::SeeOther()
        .cookie(c)
        .insert_header((header::LOCATION, url))
        .finish())
}

#[derive(Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
}

pub async fn acs(
    st: web::Data<AppState>,
    name: web::Path<String>,
    req: HttpRequest,
    form: web::Form<AcsForm>,
    lang: Lang,
) -> Result<HttpResponse, WebError> {
    let request_id = req
        .cookie(REQ_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let (result, error) = match st
        .demo
        .demo_accept(&name, &form.saml_response, &request_id)
        .await
    {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let page = DemoPage {
        title: &name,
        name: &name,
        name_key: demo_name_key(&name),
        result,
        error,
    };
    let body = st
        .views
        .render_page(lang.0, &format!("/demo-sp/{name}"), &page)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}
