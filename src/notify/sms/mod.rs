//! SMS delivery. `SmsSender` is the edge to the outside world (an SMS operator); the dev/test provider
//! appends to a JSON-lines outbox.
mod outbox;

pub use outbox::OutboxSms;

use crate::domain::ids::PhoneNumber;
use std::future::Future;
use std::pin::Pin;

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("SMS could not be written to the outbox: {0}")]
    Outbox(#[from] std::io::Error),
    #[error("SMS could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SmsError>> + Send + 'a>>;

pub trait SmsSender: Send + Sync + 'static {
    /// `sent_at` is an RFC 3339 timestamp from the app's clock.
    fn send<'a>(&'a self, to: &'a PhoneNumber, text: &'a str, sent_at: &'a str) -> SendFuture<'a>;
}

/// The login-code message: names the e-service and ends with the WebOTP line so phones can autofill.
pub fn login_code_text(
    lang: &str,
    service: &str,
    code: &str,
    host: &str,
    ttl_minutes: i64,
) -> String {
    let body = match lang {
        "en" => format!(
            "smsPASS code for logging in to {service}: {code}\nValid for {ttl_minutes} min. Do not share it with anyone."
        ),
        _ => format!(
            "Koda smsPASS za prijavo v {service}: {code}\nVelja {ttl_minutes} min. Kode ne posredujte nikomur."
        ),
    };
    format!("{body}\n\n@{host} #{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_names_service_and_ends_with_webotp_line() {
        let t = login_code_text("sl", "eUprava", "123456", "login.example", 5);
        assert!(t.contains("eUprava"));
        assert!(t.ends_with("@login.example #123456"));
        let t = login_code_text("en", "eUprava", "123456", "login.example", 5);
        assert!(t.starts_with("smsPASS code for logging in to eUprava"));
    }
}
