//! Typed configuration: defaults → `pass-idp.toml` (or `--config FILE`) → `PASS_IDP__*` environment
//! variables (`__` separates sections, e.g. `PASS_IDP__OTP__TTL_SECS=300`). `validate()` runs at start and
//! names the offending key.
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

mod account;
mod remote;
pub use account::{AccountConfig, SecretValue};
mod activation;
pub use activation::ActivationConfig;
mod storage;
pub use remote::RemoteMetadata;
mod otp;
pub use otp::OtpConfig;
pub use storage::StorageConfig;
mod tls;
pub use tls::{ClientCertConfig, TlsConfig};
mod edge;
pub use edge::{HstsConfig, MetricsConfig, MIN_METRICS_TOKEN};
mod keys;
pub use keys::{Pkcs11KeyConfig, SamlConfig, SigningKeyConfig};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Development mode: allows the dev certificates, plain-http cookies and built-in dev secrets.
    pub dev_mode: bool,
    /// Public base URL, e.g. `https://login.example.gov` (no trailing slash).
    pub base_url: String,
    /// IdP entityID. Empty: `<base_url>/saml/metadata`.
    pub entity_id: String,
    /// Address to listen on.
    pub bind: String,
    pub database_url: String,
    /// The one active PEM signing key and its certificate, unless `[[saml.signing_keys]]` is set.
    pub signing_key: PathBuf,
    pub signing_cert: PathBuf,
    /// `[saml]`: the signing key ring (`[[saml.signing_keys]]`).
    pub saml: SamlConfig,
    pub metadata_dir: PathBuf,
    pub default_language: String,
    /// Allowed clock difference to e-services (seconds).
    pub clock_skew_secs: i64,
    /// Require every AuthnRequest to be signed, whatever the SP metadata says.
    pub require_signed_requests: bool,
    /// Largest accepted SAML message after decoding/inflating (bytes).
    pub max_message_bytes: usize,
    pub secrets: Secrets,
    pub lifetimes: Lifetimes,
    pub otp: OtpConfig,
    pub password: PasswordConfig,
    pub lockout: LockoutConfig,
    pub sms: SmsConfig,
    pub mail: MailConfig,
    pub account: AccountConfig,
    pub activation: ActivationConfig,
    /// Database waits and outage reporting (`[storage]`).
    pub storage: StorageConfig,
    /// Signed metadata aggregates loaded from a URL (`[[remote_metadata]]`).
    pub remote_metadata: Vec<RemoteMetadata>,
    /// TLS termination by the IdP itself (`[tls]`).
    pub tls: TlsConfig,
    /// Qualified client certificates (`[client_cert]`).
    pub client_cert: ClientCertConfig,
    /// Strict-Transport-Security (`[hsts]`).
    pub hsts: HstsConfig,
    /// Access to `/metrics` (`[metrics]`).
    pub metrics: MetricsConfig,
}

/// Keys for keyed hashes. At least 32 characters each outside dev mode.
#[derive(Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Secrets {
    /// Derives pairwise persistent NameIDs: changing it changes every citizen's NameID at every SP.
    pub nameid: String,
    /// Keys OTP hashes, CSRF tokens and session-token hashes.
    pub token: String,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets { <redacted> }")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lifetimes {
    pub login_transaction_secs: i64,
    pub sso_idle_secs: i64,
    pub sso_absolute_secs: i64,
    pub assertion_secs: i64,
    pub seen_request_secs: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            login_transaction_secs: 900,
            sso_idle_secs: 1800,
            sso_absolute_secs: 8 * 3600,
            assertion_secs: 300,
            seen_request_secs: 3600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordConfig {
    /// argon2id memory in KiB (OWASP: 19456 with t=2, p=1).
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hashes computed at once; 0 = number of CPUs.
    pub max_concurrent: usize,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        Self {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
            max_concurrent: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockoutConfig {
    /// Failed password attempts on one username before a temporary lock.
    pub account_max_failures: i32,
    /// Failed attempts from one client address before a temporary lock.
    pub address_max_failures: i32,
    pub window_secs: i64,
    pub lock_secs: i64,
}

impl Default for LockoutConfig {
    fn default() -> Self {
        Self {
            account_max_failures: 5,
            address_max_failures: 50,
            window_secs: 900,
            lock_secs: 900,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// `outbox` (JSON lines file, development and tests).
    pub provider: String,
    pub outbox_path: PathBuf,
    /// Country code for national numbers, digits only; also the home country (no per-country limit).
    pub default_country_code: String,
    /// Country codes that phones may have and codes are sent to.
    pub allowed_country_codes: Vec<String>,
    pub limits: SmsLimitsConfig,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            provider: "outbox".into(),
            outbox_path: PathBuf::from("var/sms-outbox.jsonl"),
            default_country_code: "386".into(),
            allowed_country_codes: vec!["386".into()],
            limits: SmsLimitsConfig::default(),
        }
    }
}

impl SmsConfig {
    /// A phone number typed for smsPASS: national numbers get the default country code; only
    /// allowed countries and personal numbers (no short, premium-rate or service numbers).
    pub fn parse_phone(
        &self,
        raw: &str,
    ) -> Result<crate::domain::ids::PhoneNumber, crate::domain::ids::IdError> {
        crate::domain::ids::PhoneNumber::parse_personal(
            raw,
            &self.default_country_code,
            &self.allowed_country_codes,
        )
    }
}

/// `[sms.limits]`: codes sent, counted in the database over all nodes and all purposes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsLimitsConfig {
    /// Codes to one phone number per hour.
    pub phone_per_hour: i64,
    /// Codes to one phone number per 24 hours.
    pub phone_per_day: i64,
    /// Codes asked for from one client address per hour.
    pub address_per_hour: i64,
    /// Codes to all numbers of one country code other than the home country per 24 hours.
    pub country_per_day: i64,
}

impl Default for SmsLimitsConfig {
    fn default() -> Self {
        Self {
            phone_per_hour: 6,
            phone_per_day: 20,
            address_per_hour: 30,
            country_per_day: 200,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// `outbox` (a folder of .eml files) or `smtp`.
    pub provider: String,
    pub outbox_dir: PathBuf,
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `starttls`, `tls` (implicit TLS, e.g. port 465) or `none` (dev or loopback only).
    pub smtp_tls: String,
    pub smtp_username: String,
    pub smtp_password: SecretValue,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            provider: "outbox".into(),
            outbox_dir: PathBuf::from("var/mail-outbox"),
            from: "pass-idp <noreply@localhost>".into(),
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_tls: "starttls".into(),
            smtp_username: String::new(),
            smtp_password: SecretValue::default(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            dev_mode: false,
            base_url: "http://127.0.0.1:8080".into(),
            entity_id: String::new(),
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://var/pass-idp.db?mode=rwc".into(),
            signing_key: PathBuf::from("certs-dev/idp-signing.key"),
            signing_cert: PathBuf::from("certs-dev/idp-signing.crt"),
            saml: SamlConfig::default(),
            metadata_dir: PathBuf::from("metadata"),
            default_language: "sl".into(),
            clock_skew_secs: 180,
            require_signed_requests: false,
            max_message_bytes: 128 * 1024,
            secrets: Secrets::default(),
            lifetimes: Lifetimes::default(),
            otp: OtpConfig::default(),
            password: PasswordConfig::default(),
            lockout: LockoutConfig::default(),
            sms: SmsConfig::default(),
            mail: MailConfig::default(),
            account: AccountConfig::default(),
            activation: ActivationConfig::default(),
            storage: StorageConfig::default(),
            remote_metadata: Vec::new(),
            tls: TlsConfig::default(),
            client_cert: ClientCertConfig::default(),
            hsts: HstsConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Load(String),
    #[error("configuration key `{key}`: {why}")]
    Invalid { key: &'static str, why: String },
    /// The same, for a key whose name is built (an entry of a list, e.g. `saml.signing_keys[1].use`).
    #[error("configuration key `{key}`: {why}")]
    InvalidAt { key: String, why: String },
}

/// Built-in secrets for dev mode only; `validate()` refuses them outside dev mode.
const DEV_SECRET: &str = "dev-only-secret-do-not-use-in-production-0000";

fn invalid(key: &'static str, why: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        why: why.into(),
    }
}

impl Config {
    /// Defaults, then the TOML file (if it exists), then `PASS_IDP__*` variables.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let path = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("pass-idp.toml"));
        if file.is_some() && !path.exists() {
            return Err(ConfigError::Load(format!(
                "file {} does not exist",
                path.display()
            )));
        }
        let fig = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&path))
            .merge(Env::prefixed("PASS_IDP__").split("__").lowercase(true));
        let mut cfg: Config = fig
            .extract()
            .map_err(|e| ConfigError::Load(e.to_string()))?;
        cfg.fill_defaults();
        Ok(cfg)
    }

    fn fill_defaults(&mut self) {
        self.base_url = self.base_url.trim_end_matches('/').to_string();
        if self.entity_id.is_empty() {
            self.entity_id = format!("{}/saml/metadata", self.base_url);
        }
        if self.dev_mode {
            if self.secrets.nameid.is_empty() {
                self.secrets.nameid = DEV_SECRET.into();
            }
            if self.secrets.token.is_empty() {
                self.secrets.token = DEV_SECRET.into();
            }
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = url::Url::parse(&self.base_url)
            .map_err(|e| invalid("base_url", format!("not a URL: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.dev_mode => {}
            "http" => return Err(invalid("base_url", "must be https outside dev mode")),
            other => return Err(invalid("base_url", format!("scheme {other} not allowed"))),
        }
        if url.host_str().is_none() {
            return Err(invalid("base_url", "has no host"));
        }
        if self.entity_id.trim().is_empty() || self.entity_id.len() > 1024 {
            return Err(invalid("entity_id", "must be 1-1024 characters"));
        }
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid(
                "bind",
                "must be an address:port such as 0.0.0.0:8080",
            ));
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database_url",
                "must start with sqlite: or postgres://",
            ));
        }
        for (key, value) in [
            ("secrets.nameid", &self.secrets.nameid),
            ("secrets.token", &self.secrets.token),
        ] {
            if value.len() < 32 {
                return Err(invalid(key, "must be at least 32 characters"));
            }
            if !self.dev_mode && value == DEV_SECRET {
                return Err(invalid(
                    key,
                    "the built-in dev secret is refused outside dev mode",
                ));
            }
        }
        if !["sl", "en"].contains(&self.default_language.as_str()) {
            return Err(invalid("default_language", "must be sl or en"));
        }
        if !(0..=3600).contains(&self.clock_skew_secs) {
            return Err(invalid("clock_skew_secs", "must be 0-3600"));
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.max_message_bytes) {
            return Err(invalid("max_message_bytes", "must be 1 KiB - 16 MiB"));
        }
        let l = &self.lifetimes;
        for (key, v, max) in [
            (
                "lifetimes.login_transaction_secs",
                l.login_transaction_secs,
                86_400,
            ),
            ("lifetimes.sso_idle_secs", l.sso_idle_secs, 86_400),
            (
                "lifetimes.sso_absolute_secs",
                l.sso_absolute_secs,
                7 * 86_400,
            ),
            ("lifetimes.assertion_secs", l.assertion_secs, 3_600),
            (
                "lifetimes.seen_request_secs",
                l.seen_request_secs,
                7 * 86_400,
            ),
            ("otp.ttl_secs", self.otp.ttl_secs, 3_600),
            (
                "otp.resend_interval_secs",
                self.otp.resend_interval_secs,
                3_600,
            ),
            ("lockout.window_secs", self.lockout.window_secs, 86_400),
            ("lockout.lock_secs", self.lockout.lock_secs, 86_400),
        ] {
            if v <= 0 || v > max {
                return Err(invalid(key, format!("must be 1-{max} seconds")));
            }
        }
        if l.sso_idle_secs > l.sso_absolute_secs {
            return Err(invalid(
                "lifetimes.sso_idle_secs",
                "must not exceed lifetimes.sso_absolute_secs",
            ));
        }
        if l.seen_request_secs < 2 * self.clock_skew_secs {
            return Err(invalid(
                "lifetimes.seen_request_secs",
                "must be at least twice clock_skew_secs so a replay cannot outlive the cache",
            ));
        }
        otp::validate(&self.otp)?;
        let p = &self.password;
        if p.memory_kib < 8 * 1024 || p.iterations < 1 || p.parallelism < 1 {
            return Err(invalid(
                "password",
                "argon2id needs memory_kib >= 8192, iterations >= 1, parallelism >= 1",
            ));
        }
        if self.lockout.account_max_failures < 1 || self.lockout.address_max_failures < 1 {
            return Err(invalid("lockout", "failure limits must be at least 1"));
        }
        if self.sms.provider != "outbox" {
            return Err(invalid("sms.provider", "supported providers: outbox"));
        }
        if self.sms.default_country_code.is_empty()
            || !self
                .sms
                .default_country_code
                .chars()
                .all(|c| c.is_ascii_digit())
        {
            return Err(invalid("sms.default_country_code", "digits only, e.g. 386"));
        }
        let digits =
            |c: &String| (1..=3).contains(&c.len()) && c.chars().all(|d| d.is_ascii_digit());
        if self.sms.allowed_country_codes.is_empty()
            || !self.sms.allowed_country_codes.iter().all(digits)
        {
            return Err(invalid(
                "sms.allowed_country_codes",
                "one or more country codes, digits only, e.g. [\"386\"]",
            ));
        }
        let l = &self.sms.limits;
        for (key, v) in [
            ("sms.limits.phone_per_hour", l.phone_per_hour),
            ("sms.limits.phone_per_day", l.phone_per_day),
            ("sms.limits.address_per_hour", l.address_per_hour),
            ("sms.limits.country_per_day", l.country_per_day),
        ] {
            if !(1..=1_000_000).contains(&v) {
                return Err(invalid(key, "must be 1-1000000"));
            }
        }
        account::validate_mail(&self.mail, self.dev_mode)?;
        account::validate(&self.account)?;
        activation::validate(&self.activation)?;
        storage::validate(&self.storage)?;
        remote::validate(&self.remote_metadata, self.dev_mode)?;
        tls::validate(&self.tls, &self.client_cert)?;
        edge::validate(&self.hsts, &self.metrics)?;
        keys::validate(&self.saml.signing_keys)?;
        Ok(())
    }

    /// Cookies get `Secure` unless this is plain-http development.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// Whether a response on the plain-http listener carries Strict-Transport-Security: outside dev
    /// mode the public URL is https, so that listener sits behind a TLS-terminating proxy and the
    /// browser gets the header over https. (The TLS listener always sends it.)
    pub fn hsts_on_plain_http(&self) -> bool {
        !self.dev_mode && self.secure_cookies()
    }

    /// Host named in the WebOTP line of the SMS (`@host #code`).
    pub fn public_host(&self) -> String {
        url::Url::parse(&self.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "localhost".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> Config {
        let mut c = Config {
            dev_mode: true,
            ..Config::default()
        };
        c.fill_defaults();
        c
    }

    #[test]
    fn dev_defaults_are_valid() {
        assert!(dev().validate().is_ok());
    }

    #[test]
    fn production_refuses_dev_secret_and_http() {
        let mut c = dev();
        c.dev_mode = false;
        let err = c
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("base_url"), "{err}");
        c.base_url = "https://login.example".into();
        let err = c
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("secrets.nameid"), "{err}");
    }

    #[test]
    fn bad_key_is_named() {
        let mut c = dev();
        c.otp.digits = 4;
        let err = c
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("otp.digits"), "{err}");
        let mut c = dev();
        c.lifetimes.sso_idle_secs = c.lifetimes.sso_absolute_secs + 1;
        let err = c
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("sso_idle_secs"), "{err}");
    }

    #[test]
    fn bad_sms_limits_and_country_codes_are_named() {
        let err = |c: &Config| {
            c.validate()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        for (key, set) in [
            ("sms.limits.phone_per_hour", 0usize),
            ("sms.limits.phone_per_day", 1),
            ("sms.limits.address_per_hour", 2),
            ("sms.limits.country_per_day", 3),
        ] {
            for bad in [0, 1_000_001] {
                let mut c = dev();
                let l = &mut c.sms.limits;
                *[
                    &mut l.phone_per_hour,
                    &mut l.phone_per_day,
                    &mut l.address_per_hour,
                    &mut l.country_per_day,
                ][set] = bad;
                assert!(err(&c).contains(key), "{bad}: {}", err(&c));
            }
        }
        for bad in [vec![], vec!["+386".to_string()], vec!["3860".to_string()]] {
            let mut c = dev();
            c.sms.allowed_country_codes = bad.clone();
            assert!(
                err(&c).contains("sms.allowed_country_codes"),
                "{bad:?}: {}",
                err(&c)
            );
        }
        let mut c = dev();
        c.sms.allowed_country_codes = vec!["386".into(), "49".into()];
        assert!(c.validate().is_ok());
    }

    #[test]
    fn unknown_sms_limit_key_is_refused_when_the_file_loads() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let f = dir.path().join("c.toml");
        std::fs::write(&f, "[sms.limits]\nphone_per_minute = 3\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let e = Config::load(Some(&f))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("phone_per_minute"), "{e}");
    }

    #[test]
    fn secrets_redacted_in_debug() {
        let c = dev();
        assert!(!format!("{c:?}").contains("dev-only-secret"));
    }
}
