//! Who may read the counters at `/metrics`: with `metrics.token` configured, a scraper that presents
//! it as a bearer token; without one, nobody outside dev mode (the page is not served) and anybody
//! in dev mode.
//!
//! Guarantees (negative tests in `tests/startup_edge.rs`):
//! - the presented token is compared with the configured one in constant time, through keyed
//!   hashes of both, so neither its content nor its length leaks through timing;
//! - a refusal carries no counter.
use super::Ops;
use crate::auth::tokens::ct_eq;

/// Why the counters are not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MetricsRefused {
    /// No `metrics.token` is configured outside dev mode: the page does not exist.
    #[error("metrics are not served (no metrics.token configured)")]
    NotServed,
    /// A token is configured and the request did not present it.
    #[error("metrics token missing or wrong")]
    Unauthorized,
}

impl Ops {
    /// The Prometheus text, if `bearer` (the token the request presented, if any) may read it.
    pub fn metrics_text(&self, bearer: Option<&str>) -> Result<String, MetricsRefused> {
        let want = self.cfg.metrics.token.expose();
        if want.is_empty() {
            return if self.cfg.dev_mode {
                Ok(self.metrics.render())
            } else {
                Err(MetricsRefused::NotServed)
            };
        }
        let presented = bearer.ok_or(MetricsRefused::Unauthorized)?;
        let hash = |t: &str| self.keyed.mac_hex("metrics-token", &[t.as_bytes()]);
        match (hash(want), hash(presented)) {
            (Ok(a), Ok(b)) if ct_eq(&a, &b) => Ok(self.metrics.render()),
            _ => Err(MetricsRefused::Unauthorized),
        }
    }
}
