//! Wiring: from a validated `Config` to the shared application state.
use crate::auth::password::PasswordHasher;
use crate::auth::tokens::{Csprng, Keyed};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::notify::mail::{Mailer, OutboxMailer};
use crate::notify::sms::{OutboxSms, SmsSender};
use crate::saml::keys::SigningKey;
use crate::saml::registry::SharedRegistry;
use crate::service::{Metrics, Services};
use crate::storage::Store;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("signing key/certificate ({0}): {1}")]
    Key(String, String),
    #[error(
        "{0} is a development certificate (marked DEV ONLY); it is refused unless dev_mode = true"
    )]
    DevCert(String),
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
pub const DEV_CERT_MARKER: &str = "DEV ONLY";

pub fn load_signing_key(cfg: &Config) -> Result<SigningKey, InitError> {
    let key_pem = std::fs::read(&cfg.signing_key)
        .map_err(|e| InitError::Key(cfg.signing_key.display().to_string(), e.to_string()))?;
    let cert_pem = std::fs::read(&cfg.signing_cert)
        .map_err(|e| InitError::Key(cfg.signing_cert.display().to_string(), e.to_string()))?;
    let key = SigningKey::from_pem(&key_pem, &cert_pem)
        .map_err(|e| InitError::Key(cfg.signing_cert.display().to_string(), e.to_string()))?;
    let subject = openssl::x509::X509::from_pem(&cert_pem)
        .ok()
        .map(|c| {
            c.subject_name()
                .entries()
                .filter_map(|e| e.data().to_string().ok())
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    if subject.contains(DEV_CERT_MARKER) && !cfg.dev_mode {
        return Err(InitError::DevCert(cfg.signing_cert.display().to_string()));
    }
    Ok(key)
}

/// Connects (and in dev mode migrates) the database and builds the services.
pub async fn services(
    cfg: Config,
    clock: SharedClock,
    sms: Option<Arc<dyn SmsSender>>,
) -> Result<Services, InitError> {
    cfg.validate()?;
    let signing_key = load_signing_key(&cfg)?;
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
    let registry = SharedRegistry::load(&cfg.metadata_dir);
    for p in &registry.snapshot().problems {
        tracing::warn!(file = %p.file.display(), problem = %p.problem, "metadata file skipped");
    }
    let metrics = Metrics::new().map_err(|e| InitError::Metrics(e.to_string()))?;
    let client_certs = crate::auth::client_cert::ClientCertPolicy::from_config(&cfg.client_cert)
        .map_err(|e| crate::config::ConfigError::Invalid {
            key: "client_cert.qualified_cas",
            why: e.to_string(),
        })?;
    Ok(Services {
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
        signing_key: Arc::new(signing_key),
        metrics,
        client_certs: Arc::new(client_certs),
    })
}
