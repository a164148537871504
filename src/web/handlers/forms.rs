//! Form types and small response helpers shared by the citizen and the staff login pages.
use super::html;
use crate::auth::sms_limit::SmsLimited;
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

/// The message for a code an SMS limit refused: its key and, when a code may be sent again, from
/// when ("HH:MM", Slovenian time).
pub fn sms_limited_message(l: &SmsLimited) -> (&'static str, String) {
    let extra = l.until_ms.map(slovenian_hh_mm).unwrap_or_default();
    (l.limit.message_key(), extra)
}

/// A moment as "HH:MM" in Slovenian time (Europe/Ljubljana, from the tz database).
pub fn slovenian_hh_mm(ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Utc.timestamp_millis_opt(ms).single() {
        Some(utc) => utc
            .with_timezone(&chrono_tz::Europe::Ljubljana)
            .format("%H:%M")
            .to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::slovenian_hh_mm;

    #[test]
    fn times_are_shown_in_slovenian_time() {
        // 2026-01-15 12:00 UTC is 13:00 CET; 2026-07-15 12:00 UTC is 14:00 CEST.
        assert_eq!(slovenian_hh_mm(1_768_478_400_000), "13:00");
        assert_eq!(slovenian_hh_mm(1_784_116_800_000), "14:00");
        // Summer time starts on 2026-03-29 at 01:00 UTC.
        assert_eq!(slovenian_hh_mm(1_774_745_940_000), "01:59");
        assert_eq!(slovenian_hh_mm(1_774_746_000_000), "03:00");
    }
}
