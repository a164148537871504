//! Remote signed metadata: fetch each configured aggregate, accept it only through
//! [`crate::saml::remote_metadata::verify_aggregate_full`], keep the last good copy on disk
//! (written atomically) and keep serving it while the source is down or sends something bad.
//!
//! At start the cache file is verified again (signature and validUntil) and installed at once;
//! then the source is fetched. The next refresh is cacheDuration clamped to
//! `[min_refresh_secs, max_refresh_secs]` (and not after validUntil); after a failure the
//! source is retried after `min_refresh_secs`.
use super::SpAdmin;
use crate::config::RemoteMetadata;
use crate::saml::registry::RemoteSet;
use crate::saml::remote_metadata::{
    cert_der_from_pem, verify_aggregate_full, RemoteMetadataError, ServeRules, VerifiedAggregate,
    MAX_AGGREGATE_BYTES,
};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;

/// Connecting to the source may take this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole download may take this long.
const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Error)]
pub enum RemoteError {
    #[error("certificate {0}: {1}")]
    Certificate(String, String),
    #[error("fetch failed: {0}")]
    Fetch(String),
    #[error("the source answered HTTP {0}")]
    Status(u16),
    #[error("the aggregate is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the aggregate is not UTF-8")]
    NotUtf8,
    #[error("aggregate refused: {0}")]
    Refused(#[from] RemoteMetadataError),
    #[error("cache file {0}: {1}")]
    Cache(String, String),
}

/// One configured source, with the verification certificate loaded and what is in force.
#[derive(Debug, Clone)]
pub struct RemoteSource {
    pub slot: usize,
    pub cfg: RemoteMetadata,
    cert_der: Vec<u8>,
    /// validUntil of the copy in force (None: nothing installed yet).
    in_force: Arc<Mutex<Option<DateTime<Utc>>>>,
}

impl RemoteSource {
    pub fn new(slot: usize, cfg: RemoteMetadata) -> Result<Self, RemoteError> {
        let name = cfg.cert.display().to_string();
        let pem = std::fs::read(&cfg.cert)
            .map_err(|e| RemoteError::Certificate(name.clone(), e.to_string()))?;
        let cert_der =
            cert_der_from_pem(&pem).map_err(|e| RemoteError::Certificate(name, e.to_string()))?;
        Ok(Self {
            slot,
            cfg,
            cert_der,
            in_force: Arc::new(Mutex::new(None)),
        })
    }

    /// All sources in the configuration.
    pub fn all(svc: &SpAdmin) -> Result<Vec<RemoteSource>, RemoteError> {
        svc.cfg
            .remote_metadata
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, c)| RemoteSource::new(i, c))
            .collect()
    }

    /// The registry's view of an accepted copy of this source.
    pub fn remote_set(&self, v: VerifiedAggregate) -> RemoteSet {
        RemoteSet {
            source: self.cfg.url.clone(),
            file: self.cfg.cache_file.clone(),
            sps: v.sps,
            skipped: v.skipped,
        }
    }

    fn install(&self, svc: &SpAdmin, v: VerifiedAggregate) -> usize {
        let n = v.sps.len();
        for s in &v.skipped {
            tracing::warn!(url = %self.cfg.url, entity_id = %s.entity_id, problem = %s.problem, "remote metadata entry skipped");
        }
        if let Ok(mut g) = self.in_force.lock() {
            *g = Some(v.valid_until);
        }
        svc.registry.install_remote(self.slot, self.remote_set(v));
        n
    }

    fn next_refresh(&self, v: &VerifiedAggregate, now: DateTime<Utc>) -> Duration {
        let (min, max) = (self.cfg.min_refresh_secs, self.cfg.max_refresh_secs);
        let wanted = v
            .cache_duration
            .map(|d| d.num_seconds().max(0) as u64)
            .unwrap_or(max);
        let until_expiry = (v.valid_until - now).num_seconds().max(0) as u64;
        Duration::from_secs(wanted.min(until_expiry).clamp(min, max))
    }
}

/// Verifies the cache file again (signature, validUntil and the checks of every entry) and
/// installs it. Ok(None): no cache.
pub fn load_cache(svc: &SpAdmin, src: &RemoteSource) -> Result<Option<usize>, RemoteError> {
    Ok(verify_cache(src, &svc.registry.serve_rules())?.map(|v| src.install(svc, v)))
}

/// Verifies the cache file under `rules` without installing it. Ok(None): no cache.
pub fn verify_cache(
    src: &RemoteSource,
    rules: &ServeRules,
) -> Result<Option<VerifiedAggregate>, RemoteError> {
    let path = &src.cfg.cache_file;
    let xml = match std::fs::read_to_string(path) {
        Ok(x) => x,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(RemoteError::Cache(
                path.display().to_string(),
                e.to_string(),
            ))
        }
    };
    Ok(Some(verify_aggregate_full(&xml, &src.cert_der, rules)?))
}

async fn fetch(url: &str) -> Result<String, RemoteError> {
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(|e| RemoteError::Fetch(e.to_string()))?;
    let mut resp = client
        .get(url)
        .header(
            "Accept",
            "application/samlmetadata+xml, application/xml, text/xml",
        )
        .send()
        .await
        .map_err(|e| RemoteError::Fetch(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(RemoteError::Status(resp.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| RemoteError::Fetch(e.to_string()))?
    {
        if body.len() + chunk.len() > MAX_AGGREGATE_BYTES {
            return Err(RemoteError::TooLarge(MAX_AGGREGATE_BYTES));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| RemoteError::NotUtf8)
}

/// Writes `data` next to `path` and renames it into place.
fn write_atomically(path: &Path, data: &str) -> Result<(), RemoteError> {
    use std::io::Write;
    let err = |e: std::io::Error| RemoteError::Cache(path.display().to_string(), e.to_string());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(err)?;
    f.write_all(data.as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}

/// Fetches the source once; on success writes the cache and installs the SPs, returning the time
/// until the next refresh. On failure the copy in force stays, unless its validUntil has passed
/// (then its e-services are withdrawn).
pub async fn refresh_once(svc: &SpAdmin, src: &RemoteSource) -> Result<Duration, RemoteError> {
    let result = try_refresh(svc, src).await;
    if result.is_err() {
        withdraw_if_expired(svc, src);
    }
    result
}

async fn try_refresh(svc: &SpAdmin, src: &RemoteSource) -> Result<Duration, RemoteError> {
    let xml = fetch(&src.cfg.url).await?;
    let rules = svc.registry.serve_rules();
    let now = rules.now;
    let v = verify_aggregate_full(&xml, &src.cert_der, &rules)?;
    write_atomically(&src.cfg.cache_file, &xml)?;
    let next = src.next_refresh(&v, now);
    let n = src.install(svc, v);
    tracing::info!(url = %src.cfg.url, sps = n, next_secs = next.as_secs(), "remote metadata installed");
    Ok(next)
}

/// After a failed refresh: a copy whose validUntil has passed is withdrawn.
fn withdraw_if_expired(svc: &SpAdmin, src: &RemoteSource) {
    let now = svc.clock.now();
    let expired = src
        .in_force
        .lock()
        .ok()
        .and_then(|g| *g)
        .is_some_and(|vu| vu <= now);
    if expired {
        tracing::error!(url = %src.cfg.url, "remote metadata expired and could not be refreshed; its e-services are withdrawn");
        if let Ok(mut g) = src.in_force.lock() {
            *g = None;
        }
        svc.registry.install_remote(
            src.slot,
            RemoteSet {
                source: src.cfg.url.clone(),
                file: src.cfg.cache_file.clone(),
                sps: Vec::new(),
                skipped: Vec::new(),
            },
        );
    }
}

/// Loads every source's cache at once, then refreshes each in its own task, forever.
pub fn start(svc: &SpAdmin) -> Result<(), RemoteError> {
    for src in RemoteSource::all(svc)? {
        match load_cache(svc, &src) {
            Ok(Some(n)) => {
                tracing::info!(url = %src.cfg.url, sps = n, "remote metadata loaded from cache")
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(url = %src.cfg.url, error = %e, "cached remote metadata not used")
            }
        }
        let svc = svc.clone();
        tokio::spawn(async move {
            loop {
                let wait = match refresh_once(&svc, &src).await {
                    Ok(next) => next,
                    Err(e) => {
                        tracing::warn!(url = %src.cfg.url, error = %e, "remote metadata refresh failed; the last good copy stays");
                        Duration::from_secs(src.cfg.min_refresh_secs)
                    }
                };
                tokio::time::sleep(wait).await;
            }
        });
    }
    Ok(())
}
