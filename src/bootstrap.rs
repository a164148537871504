//! Wiring: from a validated `Config` to the shared application state.
mod keyring;
use crate::auth::password::PasswordHasher;
use crate::auth::tokens::{Csprng, Keyed};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::keys::KeyRing;
use crate::notify::mail::{Mailer, OutboxMailer};
use crate::notify::sms::{OutboxSms, SmsSender};
use crate::saml::dev_keys::{self, DevKey};
use crate::saml::registry::SharedRegistry;
use crate::service::{Metrics, Ports, Services};
use crate::storage::Store;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    /// A key or certificate file (named by its configuration key and path) that cannot be used.
    #[error("{0}: {1}")]
    Key(String, String),
    /// A development key or certificate outside dev mode.
    #[error(
        "{key} ({file}) is refused outside dev mode: {why}. The development keys and certificates (certs-dev/, marked DEV ONLY) are accepted only with dev_mode = true; configure a key of your own"
    )]
    DevKey {
        key: String,
        file: String,
        why: crate::saml::dev_keys::DevKey,
    },
    #[error("database: {0}")]
    Storage(#[from] crate::storage::StorageError),
    #[error("password hasher: {0}")]
    Hasher(#[from] crate::auth::AuthError),
    #[error("views: {0}")]
    Views(String),
    #[error("metrics: {0}")]
    Metrics(String),
    #[error("mail: {0}")]
    Mail(String),
}

/// Marker in the subject of the committed development certificates.
pub const DEV_CERT_MARKER: &str = crate::saml::dev_keys::DEV_CERT_MARKER;

pub(crate) fn read(key: &str, path: &Path) -> Result<Vec<u8>, InitError> {
    std::fs::read(path)
        .map_err(|e| InitError::Key(format!("{key} {}", path.display()), e.to_string()))
}

/// Loads the signing key ring (`[[saml.signing_keys]]`, or `signing_key`/`signing_cert` as one
/// active key); outside dev mode a committed dev key (in whatever certificate) or a certificate
/// marked DEV ONLY is refused, for every key of the ring.
pub fn load_signing_key(cfg: &Config) -> Result<KeyRing, InitError> {
    keyring::load_key_ring(cfg)
}

fn checked(
    r: Result<Option<DevKey>, dev_keys::DevKeyError>,
    key: &str,
    path: &Path,
) -> Result<Option<DevKey>, InitError> {
    r.map_err(|e| InitError::Key(format!("{key} {}", path.display()), e.to_string()))
}

/// Outside dev mode, refuses every other configured key or trust anchor that is a development
/// one: the TLS key and chain, the qualified client-certificate CAs and the certificates that sign
/// remote metadata (anyone holding a published key could otherwise impersonate the IdP, issue
/// "qualified" certificates or sign e-service lists).
pub fn refuse_dev_keys(cfg: &Config) -> Result<(), InitError> {
    if cfg.dev_mode {
        return Ok(());
    }
    let mut certs: Vec<(&'static str, &Path)> = Vec::new();
    if cfg.tls.enabled {
        let pem = read("tls.key", &cfg.tls.key)?;
        if let Some(why) = checked(dev_keys::dev_private_key_pem(&pem), "tls.key", &cfg.tls.key)? {
            return Err(InitError::DevKey {
                key: "tls.key".into(),
                file: cfg.tls.key.display().to_string(),
                why,
            });
        }
        certs.push(("tls.cert", &cfg.tls.cert));
    }
    for ca in &cfg.client_cert.qualified_cas {
        certs.push(("client_cert.qualified_cas", ca));
    }
    for rm in &cfg.remote_metadata {
        certs.push(("remote_metadata.cert", &rm.cert));
    }
    for (key, path) in certs {
        let pem = read(key, path)?;
        if let Some(why) = checked(dev_keys::dev_cert_in_pem(&pem), key, path)? {
            return Err(InitError::DevKey {
                key: key.to_string(),
                file: path.display().to_string(),
                why,
            });
        }
    }
    Ok(())
}

/// Connects (and in dev mode migrates) the database and builds the services.
pub async fn services(
    cfg: Config,
    clock: SharedClock,
    sms: Option<Arc<dyn SmsSender>>,
) -> Result<Services, InitError> {
    cfg.validate()?;
    let keys = load_signing_key(&cfg)?;
    keyring::log_keys(&keys, clock.now());
    refuse_dev_keys(&cfg)?;
    let store = Store::connect_with(&cfg.database_url, &cfg.storage, clock.clone()).await?;
    if cfg.dev_mode {
        match store.migrate().await {
            // The database cannot be used now (unreachable, read-only, full): start anyway and
            // answer 503 (and /healthz) until it can; the schema is checked again at next start.
            Err(crate::storage::StorageError::Unavailable(e)) => {
                tracing::error!(error = %e, "database unavailable at start; migrations not checked")
            }
            other => other?,
        }
    }
    let p = &cfg.password;
    let hasher = PasswordHasher::new(p.memory_kib, p.iterations, p.parallelism, p.max_concurrent)?;
    let sms: Arc<dyn SmsSender> = match sms {
        Some(s) => s,
        None => Arc::new(OutboxSms::new(cfg.sms.outbox_path.clone())),
    };
    let mailer: Arc<dyn Mailer> = match cfg.mail.provider.as_str() {
        "smtp" => Arc::new(
            crate::notify::mail::SmtpMailer::new(&cfg.mail, clock.clone())
                .map_err(|e| InitError::Mail(e.to_string()))?,
        ),
        _ => Arc::new(OutboxMailer::new(
            cfg.mail.outbox_dir.clone(),
            cfg.mail.from.clone(),
            clock.clone(),
        )),
    };
    let registry = SharedRegistry::load(&cfg.metadata_dir, cfg.dev_mode, clock.clone());
    for p in &registry.snapshot().problems {
        tracing::warn!(file = %p.file.display(), problem = %p.problem, "metadata file skipped");
    }
    let metrics = Metrics::new().map_err(|e| InitError::Metrics(e.to_string()))?;
    let client_certs = crate::auth::client_cert::ClientCertPolicy::from_config(&cfg.client_cert)
        .map_err(|e| crate::config::ConfigError::Invalid {
            key: "client_cert.qualified_cas",
            why: e.to_string(),
        })?;
    Ok(Services::assemble(Ports {
        reset_tasks: Arc::new(tokio::sync::Semaphore::new(cfg.account.reset_max_pending)),
        keyed: Keyed::new(&cfg.secrets.token)?,
        nameid_secret: Arc::new(cfg.secrets.nameid.as_bytes().to_vec()),
        cfg: Arc::new(cfg),
        store,
        clock,
        rng: Csprng::from_os(),
        hasher,
        sms,
        mailer,
        registry,
        keys: Arc::new(keys),
        metrics,
        client_certs: Arc::new(client_certs),
    }))
}
