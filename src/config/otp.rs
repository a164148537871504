//! `[otp]`: one-time SMS codes (login, staff login, phone proof) and the per-account limit on wrong
//! codes that holds across logins.
use super::{invalid, ConfigError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtpConfig {
    pub digits: u32,
    pub ttl_secs: i64,
    /// Wrong entries of one code before it is void.
    pub max_attempts: i32,
    /// Codes per login (or per phone verification).
    pub max_sends: i32,
    pub resend_interval_secs: i64,
    /// Wrong codes of one account (all logins and code purposes together) before a temporary lock.
    pub account_max_failures: i32,
    /// The window in which those wrong codes are counted.
    pub failure_window_secs: i64,
    /// How long the lock lasts: no code is sent or accepted for the account meanwhile.
    pub lock_secs: i64,
}

impl Default for OtpConfig {
    fn default() -> Self {
        Self {
            digits: 6,
            ttl_secs: 300,
            max_attempts: 3,
            max_sends: 3,
            resend_interval_secs: 30,
            account_max_failures: 10,
            failure_window_secs: 900,
            lock_secs: 900,
        }
    }
}

pub(super) fn validate(o: &OtpConfig) -> Result<(), ConfigError> {
    if !(6..=9).contains(&o.digits) {
        return Err(invalid("otp.digits", "must be 6-9"));
    }
    if !(1..=10).contains(&o.max_attempts) {
        return Err(invalid("otp.max_attempts", "must be 1-10"));
    }
    if !(1..=10).contains(&o.max_sends) {
        return Err(invalid("otp.max_sends", "must be 1-10"));
    }
    // NIST SP 800-63B-4 allows at most 100 consecutive failures; far fewer is the point.
    if !(1..=100).contains(&o.account_max_failures) {
        return Err(invalid("otp.account_max_failures", "must be 1-100"));
    }
    for (key, v) in [
        ("otp.failure_window_secs", o.failure_window_secs),
        ("otp.lock_secs", o.lock_secs),
    ] {
        if !(1..=86_400).contains(&v) {
            return Err(invalid(key, "must be 1-86400 seconds"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of(o: &OtpConfig) -> String {
        validate(o).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn defaults_are_valid_and_the_account_limit_is_bounded() {
        assert!(validate(&OtpConfig::default()).is_ok());
        for bad in [0, -1, 101] {
            let o = OtpConfig {
                account_max_failures: bad,
                ..OtpConfig::default()
            };
            assert!(err_of(&o).contains("otp.account_max_failures"), "{bad}");
        }
        let o = OtpConfig {
            failure_window_secs: 0,
            ..OtpConfig::default()
        };
        assert!(err_of(&o).contains("otp.failure_window_secs"));
        let o = OtpConfig {
            lock_secs: 86_401,
            ..OtpConfig::default()
        };
        assert!(err_of(&o).contains("otp.lock_secs"));
    }
}
