//! Form types and small response helpers shared by the citizen and the staff login pages.
use super::html;
use crate::web::error::WebError;
use crate::web::extract::{local_redirect, HasCsrf, LocalPath};
use crate::web::pages::Page;
use crate::web::state::AppState;
use actix_web::HttpResponse;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct CsrfOnly {
    pub csrf_token: String,
}
impl HasCsrf for CsrfOnly {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    pub csrf_token: String,
    pub username: String,
    pub password: String,
}
impl HasCsrf for PasswordForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Deserialize)]
pub struct OtpForm {
    pub csrf_token: String,
    pub otp: String,
}
impl HasCsrf for OtpForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// "N min." until a lock ends (at least 1), for the messages that say when to try again.
pub fn minutes_left(now_ms: i64, until_ms: i64) -> String {
    let mins = (until_ms - now_ms + 59_999).div_euclid(60_000).max(1);
    format!("{mins} min.")
}

/// 303 to a path of ours; it goes through [`LocalPath`] like every redirect target (anything that
/// is not a local path sends the browser home).
pub fn see_other(to: &str) -> HttpResponse {
    local_redirect(&LocalPath::parse_or(Some(to), "/"))
}

/// The page as a 200 HTML response.
pub fn render<P: Page>(
    st: &AppState,
    lang: &str,
    back: &str,
    page: &P,
) -> Result<HttpResponse, WebError> {
    st.views
        .render_page(lang, back, page)
        .map(html)
        .map_err(WebError::from)
}
