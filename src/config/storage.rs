//! `[storage]`: how long a request may wait for the database, and how an outage is reported.
use super::{invalid, ConfigError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Longest wait for a pooled database connection (milliseconds); then the request gets a 503.
    pub acquire_timeout_ms: u64,
    /// PostgreSQL: longest run of one statement, lock waits included (`statement_timeout`,
    /// milliseconds).
    pub statement_timeout_ms: u64,
    /// SQLite: longest wait for another connection's write lock (`busy_timeout`, milliseconds).
    pub busy_timeout_ms: u64,
    /// The `Retry-After` (seconds) of a 503 sent while the database cannot be used.
    pub retry_after_secs: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            acquire_timeout_ms: 3_000,
            statement_timeout_ms: 5_000,
            busy_timeout_ms: 5_000,
            retry_after_secs: 5,
        }
    }
}

pub(super) fn validate(s: &StorageConfig) -> Result<(), ConfigError> {
    for (key, value) in [
        ("storage.acquire_timeout_ms", s.acquire_timeout_ms),
        ("storage.statement_timeout_ms", s.statement_timeout_ms),
        ("storage.busy_timeout_ms", s.busy_timeout_ms),
    ] {
        if !(100..=120_000).contains(&value) {
            return Err(invalid(key, "must be 100-120000 (milliseconds)"));
        }
    }
    if !(1..=3600).contains(&s.retry_after_secs) {
        return Err(invalid("storage.retry_after_secs", "must be 1-3600"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_are_enforced() {
        assert!(validate(&StorageConfig::default()).is_ok());
        let bad = StorageConfig {
            acquire_timeout_ms: 0,
            ..Default::default()
        };
        assert!(validate(&bad)
            .err()
            .is_some_and(|e| e.to_string().contains("storage.acquire_timeout_ms")));
        let bad = StorageConfig {
            retry_after_secs: 0,
            ..Default::default()
        };
        assert!(validate(&bad)
            .err()
            .is_some_and(|e| e.to_string().contains("storage.retry_after_secs")));
    }
}
