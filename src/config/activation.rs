//! `[activation]`: smsPASS activation codes (e-mailed by the registration office or posted by letter).
use super::{invalid, ConfigError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActivationConfig {
    /// Days an activation code stays valid.
    pub code_ttl_days: i64,
    /// Wrong entries of an activation code before it is void.
    pub code_max_attempts: i32,
}

impl Default for ActivationConfig {
    fn default() -> Self {
        Self {
            code_ttl_days: 30,
            code_max_attempts: 5,
        }
    }
}

pub(super) fn validate(a: &ActivationConfig) -> Result<(), ConfigError> {
    if !(1..=365).contains(&a.code_ttl_days) {
        return Err(invalid("activation.code_ttl_days", "must be 1-365"));
    }
    if !(1..=20).contains(&a.code_max_attempts) {
        return Err(invalid("activation.code_max_attempts", "must be 1-20"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_are_enforced() {
        assert!(validate(&ActivationConfig::default()).is_ok());
        let bad = ActivationConfig {
            code_ttl_days: 0,
            ..Default::default()
        };
        assert!(validate(&bad)
            .err()
            .is_some_and(|e| e.to_string().contains("activation.code_ttl_days")));
        let bad = ActivationConfig {
            code_max_attempts: 0,
            ..Default::default()
        };
        assert!(validate(&bad)
            .err()
            .is_some_and(|e| e.to_string().contains("activation.code_max_attempts")));
    }
}
