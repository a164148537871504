//! The HTTP edge: `[hsts]` (Strict-Transport-Security) and `[metrics]` (who may read `/metrics`).
use super::{invalid, ConfigError, SecretValue};
use serde::{Deserialize, Serialize};

/// Shortest `metrics.token` accepted.
pub const MIN_METRICS_TOKEN: usize = 32;

/// Largest HSTS max-age accepted (two years, the longest the browsers' preload lists ask for).
const MAX_HSTS_AGE: u64 = 2 * 365 * 86_400;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HstsConfig {
    /// `max-age` of the Strict-Transport-Security header (seconds; 0 tells browsers to forget).
    pub max_age_secs: u64,
    /// Adds `includeSubDomains`.
    pub include_subdomains: bool,
}

impl Default for HstsConfig {
    fn default() -> Self {
        Self {
            max_age_secs: 31_536_000,
            include_subdomains: false,
        }
    }
}

impl HstsConfig {
    /// The header value.
    pub fn header_value(&self) -> String {
        if self.include_subdomains {
            format!("max-age={}; includeSubDomains", self.max_age_secs)
        } else {
            format!("max-age={}", self.max_age_secs)
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Bearer token a scraper must send (`Authorization: Bearer <token>`). Empty: `/metrics` is
    /// not served outside dev mode (404), and open in dev mode.
    pub token: SecretValue,
}

pub(super) fn validate(hsts: &HstsConfig, metrics: &MetricsConfig) -> Result<(), ConfigError> {
    if hsts.max_age_secs > MAX_HSTS_AGE {
        return Err(invalid(
            "hsts.max_age_secs",
            format!("must be 0-{MAX_HSTS_AGE} seconds"),
        ));
    }
    let token = metrics.token.expose();
    if !token.is_empty() {
        if token.chars().count() < MIN_METRICS_TOKEN {
            return Err(invalid(
                "metrics.token",
                format!("must be at least {MIN_METRICS_TOKEN} characters"),
            ));
        }
        // RFC 6750 token68 characters, so that it fits an Authorization header as it is.
        let token68 = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
        if !token.chars().all(token68) {
            return Err(invalid(
                "metrics.token",
                "may hold only letters, digits and - . _ ~ + / =",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_unsendable_token_and_huge_max_age_are_named() {
        let hsts = HstsConfig::default();
        assert_eq!(hsts.header_value(), "max-age=31536000");
        let m = |t: &str| MetricsConfig {
            token: SecretValue::new(t),
        };
        assert!(validate(&hsts, &m("")).is_ok());
        assert!(validate(&hsts, &m("a-scrape-token-of-enough-length-0123")).is_ok());
        for bad in ["short", "a token with spaces in it, long enough"] {
            let err = validate(&hsts, &m(bad)).err().map(|e| e.to_string());
            assert!(err.is_some_and(|e| e.contains("metrics.token")), "{bad}");
        }
        let long = HstsConfig {
            max_age_secs: MAX_HSTS_AGE + 1,
            include_subdomains: true,
        };
        let err = validate(&long, &m("")).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("hsts.max_age_secs")));
        assert!(long.header_value().ends_with("; includeSubDomains"));
    }
}
