//! `[account]` (the citizens' own pages: password policy, e-mail link lifetimes) and the checks of
//! `[mail]` (outbox or SMTP).
use super::{invalid, ConfigError, MailConfig};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountConfig {
    /// Shortest new password (characters).
    pub password_min_length: usize,
    /// Lowest zxcvbn score (0-4) a new password must reach.
    pub password_min_score: u8,
    /// Lifetime of the e-mail verification link (seconds).
    pub verify_ttl_secs: i64,
    /// Lifetime of the password reset link (seconds).
    pub reset_ttl_secs: i64,
}

impl Default for AccountConfig {
    fn default() -> Self {
        Self {
            password_min_length: 10,
            password_min_score: 3,
            verify_ttl_secs: 24 * 3600,
            reset_ttl_secs: 30 * 60,
        }
    }
}

/// A configured secret (e.g. the SMTP password): shown as `<redacted>` in `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretValue(String);

impl SecretValue {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "<empty>"
        } else {
            "<redacted>"
        })
    }
}

pub(super) fn validate(a: &AccountConfig) -> Result<(), ConfigError> {
    if !(8..=128).contains(&a.password_min_length) {
        return Err(invalid("account.password_min_length", "must be 8-128"));
    }
    if a.password_min_score > 4 {
        return Err(invalid("account.password_min_score", "must be 0-4"));
    }
    if !(60..=7 * 86_400).contains(&a.verify_ttl_secs) {
        return Err(invalid(
            "account.verify_ttl_secs",
            "must be 60-604800 seconds",
        ));
    }
    if !(60..=86_400).contains(&a.reset_ttl_secs) {
        return Err(invalid(
            "account.reset_ttl_secs",
            "must be 60-86400 seconds",
        ));
    }
    Ok(())
}

pub(super) fn validate_mail(m: &MailConfig, dev_mode: bool) -> Result<(), ConfigError> {
    if m.from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(invalid(
            "mail.from",
            "must be an address such as `pass-idp <noreply@example.gov>`",
        ));
    }
    match m.provider.as_str() {
        "outbox" => Ok(()),
        "smtp" => {
            if m.smtp_host.trim().is_empty() || m.smtp_host.contains(char::is_whitespace) {
                return Err(invalid("mail.smtp_host", "must name the SMTP server"));
            }
            if m.smtp_port == 0 {
                return Err(invalid("mail.smtp_port", "must be 1-65535"));
            }
            match m.smtp_tls.as_str() {
                "starttls" | "tls" => {}
                "none" if dev_mode || is_loopback(&m.smtp_host) => {}
                "none" => {
                    return Err(invalid(
                        "mail.smtp_tls",
                        "none is allowed only in dev mode or to a loopback server",
                    ))
                }
                _ => return Err(invalid("mail.smtp_tls", "must be starttls, tls or none")),
            }
            if m.smtp_username.is_empty() != m.smtp_password.is_empty() {
                return Err(invalid(
                    "mail.smtp_password",
                    "smtp_username and smtp_password go together",
                ));
            }
            if !m.smtp_username.is_empty() && m.smtp_tls == "none" {
                return Err(invalid(
                    "mail.smtp_tls",
                    "credentials are never sent without TLS: use starttls or tls",
                ));
            }
            Ok(())
        }
        _ => Err(invalid(
            "mail.provider",
            "supported providers: outbox, smtp",
        )),
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    fn dev() -> Config {
        Config {
            dev_mode: true,
            entity_id: "http://127.0.0.1:8080/saml/metadata".into(),
            secrets: super::super::Secrets {
                nameid: "x".repeat(40),
                token: "y".repeat(40),
            },
            ..Config::default()
        }
    }

    fn err_of(c: &Config) -> String {
        c.validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn smtp_settings_checked_and_named() {
        let mut c = dev();
        c.mail.provider = "smtp".into();
        assert!(err_of(&c).contains("mail.smtp_host"), "{}", err_of(&c));
        c.mail.smtp_host = "smtp.example.si".into();
        c.mail.smtp_tls = "ssl".into();
        assert!(err_of(&c).contains("mail.smtp_tls"), "{}", err_of(&c));
        c.mail.smtp_tls = "starttls".into();
        c.mail.smtp_username = "idp".into();
        assert!(err_of(&c).contains("mail.smtp_password"), "{}", err_of(&c));
        c.mail.smtp_password = SecretValue::new("s3cret-pw");
        assert!(c.validate().is_ok(), "{}", err_of(&c));
        c.mail.smtp_tls = "none".into();
        assert!(err_of(&c).contains("mail.smtp_tls"), "{}", err_of(&c));
        c.mail.provider = "carrier-pigeon".into();
        assert!(err_of(&c).contains("mail.provider"), "{}", err_of(&c));
    }

    #[test]
    fn plain_smtp_only_in_dev_or_loopback() {
        let mut c = dev();
        c.dev_mode = false;
        c.mail.provider = "smtp".into();
        c.mail.smtp_host = "smtp.example.si".into();
        c.mail.smtp_tls = "none".into();
        assert!(validate_mail(&c.mail, false).is_err());
        c.mail.smtp_host = "127.0.0.1".into();
        assert!(validate_mail(&c.mail, false).is_ok());
    }

    #[test]
    fn bad_from_and_account_keys_named() {
        let mut c = dev();
        c.mail.from = "not an address".into();
        assert!(err_of(&c).contains("mail.from"), "{}", err_of(&c));
        let mut c = dev();
        c.account.password_min_length = 4;
        assert!(err_of(&c).contains("account.password_min_length"));
        let mut c = dev();
        c.account.reset_ttl_secs = 0;
        assert!(err_of(&c).contains("account.reset_ttl_secs"));
    }

    #[test]
    fn smtp_password_redacted_in_debug() {
        let mut c = dev();
        c.mail.smtp_password = SecretValue::new("hunter2-smtp");
        let s = format!("{c:?}");
        assert!(!s.contains("hunter2-smtp"), "{s}");
        assert!(s.contains("<redacted>"));
    }
}
