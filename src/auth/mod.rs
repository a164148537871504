//! Who the user is.
//!
//! Guarantees of this module (each has a negative test):
//! - passwords are hashed with argon2id, verified off the async runtime on a bounded pool, and an unknown
//!   user costs one full verification like a wrong password (`password`);
//! - one-time codes come from a ChaCha20 CSPRNG seeded by the OS, are stored only as keyed hashes and
//!   compared in constant time (`otp`); tokens likewise (`tokens`);
//! - a session is valid only while neither its idle nor its absolute lifetime has passed and it is not
//!   revoked (`session`);
//! - secrets redact themselves in `Debug` (`Secret`);
//! - a client certificate counts only when it chains to a configured qualified CA at the Clock's time,
//!   and a proxy's certificate header only from a trusted proxy address (`client_cert`).
pub mod client_cert;
pub mod flow;
pub mod lockout;
pub mod otp;
pub mod password;
pub mod password_policy;
pub mod session;
pub mod sms_limit;
pub mod tokens;

use std::fmt;

/// A secret string (password, code, token) that never shows itself in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the password worker pool is closed")]
    PoolClosed,
    #[error("crypto error: {0}")]
    Crypto(#[from] openssl::error::ErrorStack),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
