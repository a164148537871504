//! Form types and small response helpers shared by the citizen and the staff login pages.
use super::html;
use crate::web::error::WebError;
use crate::web::extract::{local_redirect, HasCsrf, LocalPath};
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

/// 303 to a path of ours; it goes through [`LocalPath`] like every redirect target (anything that
/// is not a local path sends the browser home).
pub fn see_other(to: &str) -> HttpResponse {
    local_redirect(&LocalPath::parse_or(Some(to), "/"))
}

pub fn render(
    st: &AppState,
    page: &str,
    lang: &str,
    back: &str,
    data: serde_json::Value,
) -> Result<HttpResponse, WebError> {
    st.views
        .render(page, lang, back, data)
        .map(html)
        .map_err(|e| WebError::Internal(e.to_string()))
}
