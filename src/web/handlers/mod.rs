pub mod account;
mod account_reset;
pub mod account_session;
pub mod activation;
pub mod audit;
pub mod catalog;
pub mod certificate;
pub mod demo;
pub mod forms;
pub mod health;
pub mod letters;
pub mod login;
pub mod office;
pub mod office_citizens;
pub mod operator;
pub mod sso;
pub mod staff;

use super::cookies;
use super::pages::PostPage;
use super::state::AppState;
use crate::service::PostForm;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(health::home))
        .route("/healthz", web::get().to(health::healthz))
        .route("/metrics", web::get().to(health::metrics))
        .route("/lang", web::get().to(health::switch_lang))
        .route("/static/{name}", web::get().to(health::static_file))
        .route("/saml/metadata", web::get().to(sso::metadata))
        .route("/saml/sso", web::get().to(sso::sso_redirect))
        .route("/saml/sso", web::post().to(sso::sso_post))
        .route("/login", web::get().to(login::choose))
        .route("/login/password", web::get().to(login::password_page))
        .route("/login/password", web::post().to(login::password_submit))
        .route("/login/otp", web::get().to(login::otp_page))
        .route("/login/otp", web::post().to(login::otp_submit))
        .route("/login/otp/send", web::post().to(login::otp_send))
        .route("/login/cancel", web::post().to(login::cancel))
        .route("/demo-sp/{name}", web::get().to(demo::index))
        .route("/demo-sp/{name}/login", web::get().to(demo::login))
        .route("/demo-sp/{name}/acs", web::post().to(demo::acs))
        .route("/storitve", web::get().to(catalog::storitve))
        .route("/services", web::get().to(catalog::services));
    account_session::routes(cfg);
    account::routes(cfg);
    staff::routes(cfg);
    operator::routes(cfg);
    certificate::routes(cfg);
    letters::routes(cfg);
    office::routes(cfg);
    office_citizens::routes(cfg);
    activation::routes(cfg);
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// The origin of a URL, for CSP form-action.
fn origin(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| "'none'".into())
}

/// The auto-submitting form to the e-service. Its CSP allows posting to that ACS origin only.
/// Only characters of the base64 alphabet. Without early exit inside a block, so the compiler can
/// check many bytes at once (the SAMLResponse is ~10 kB on every answer to an e-service).
fn is_base64_text(s: &[u8]) -> bool {
    s.chunks(64).all(|block| {
        block.iter().fold(true, |ok, &b| {
            ok & (b.is_ascii_alphanumeric() | (b == b'+') | (b == b'/') | (b == b'='))
        })
    })
}

pub(crate) fn post_page(
    st: &AppState,
    lang: &str,
    form: &PostForm,
) -> Result<HttpResponse, super::error::WebError> {
    // The template writes the (large) SAMLResponse without HTML escaping; that is only safe for
    // the base64 alphabet, which contains nothing HTML gives a meaning to inside a quoted attribute.
    if !is_base64_text(form.saml_response.as_bytes()) {
        return Err(super::error::WebError::Internal(
            "SAMLResponse is not base64".into(),
        ));
    }
    let page = PostPage {
        title: &form.sp_name,
        acs_url: &form.acs_url,
        saml_response: &form.saml_response,
        relay_state: form.relay_state.as_deref(),
    };
    let body = st.views.render_page(lang, "/", &page)?;
    let csp = format!(
        "default-src 'none'; style-src 'self'; script-src 'self'; form-action {}; frame-ancestors 'none'; base-uri 'none'",
        origin(&form.acs_url)
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub(crate) fn clear_tx(st: &AppState) -> actix_web::cookie::Cookie<'static> {
    cookies::removal(cookies::TX, st.cfg.secure_cookies())
}

#[cfg(test)]
mod tests {
    use super::is_base64_text;

    #[test]
    fn base64_check_refuses_anything_html_could_read() {
        let good = "PHNhbWxwOlJlc3BvbnNlIHhtbG5zOnNhbWxwPSJ1cm46b2FzaXMiLz4+/w==".repeat(40);
        assert!(is_base64_text(good.as_bytes()));
        assert!(is_base64_text(b""));
        for bad in ["\"", "<", ">", "&", "'", " ", "\n", "\0", "č", "-", "_"] {
            // at the start, in the middle of a block and at the very end
            for at in [0, 100, good.len()] {
                let mut s = good.clone();
                s.insert_str(at, bad);
                assert!(!is_base64_text(s.as_bytes()), "{bad:?} at {at}");
            }
        }
    }
}
