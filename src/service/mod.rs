//! Use cases. They orchestrate `auth`, `saml`, `notify` and `storage`; the web layer calls exactly one
//! of these per request.
pub mod account;
pub mod activation;
pub mod authn;
pub mod catalog;
pub mod citizen_session;
pub mod citizens;
pub mod client_cert;
pub(crate) mod code_lock;
pub mod demo;
pub mod jobs;
pub mod letters;
pub mod login;
pub mod metrics_access;
pub mod office;
pub mod remote_metadata;
mod respond;
mod response_decision;
pub mod sp_admin;
pub mod sp_check;

use crate::auth::password::PasswordHasher;
use crate::auth::tokens::{Csprng, Keyed};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::keys::KeyRing;
use crate::notify::sms::SmsSender;
use crate::saml::registry::SharedRegistry;
use crate::storage::Store;
use std::sync::Arc;

pub use respond::PostForm;

/// Counters exported at /metrics.
#[derive(Clone)]
pub struct Metrics {
    pub registry: prometheus::Registry,
    pub logins: prometheus::IntCounterVec,
    pub assertions: prometheus::IntCounterVec,
    pub sms_sent: prometheus::IntCounter,
    pub refused_requests: prometheus::IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        use prometheus::{IntCounter, IntCounterVec, Opts};
        let registry = prometheus::Registry::new();
        let logins = IntCounterVec::new(
            Opts::new(
                "passidp_login_steps_total",
                "Login steps by step and result",
            ),
            &["step", "result"],
        )?;
        let assertions = IntCounterVec::new(
            Opts::new(
                "passidp_assertions_total",
                "Assertions issued, by how the login was done",
            ),
            &["via"],
        )?;
        let sms_sent = IntCounter::new("passidp_sms_sent_total", "One-time codes sent")?;
        let refused_requests = IntCounterVec::new(
            Opts::new(
                "passidp_refused_requests_total",
                "AuthnRequests refused, by reason",
            ),
            &["reason"],
        )?;
        registry.register(Box::new(logins.clone()))?;
        registry.register(Box::new(assertions.clone()))?;
        registry.register(Box::new(sms_sent.clone()))?;
        registry.register(Box::new(refused_requests.clone()))?;
        Ok(Self {
            registry,
            logins,
            assertions,
            sms_sent,
            refused_requests,
        })
    }

    pub fn render(&self) -> String {
        use prometheus::Encoder;
        let mut buf = Vec::new();
        let enc = prometheus::TextEncoder::new();
        if enc.encode(&self.registry.gather(), &mut buf).is_err() {
            return String::new();
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Everything the use cases need, built once at start and shared by all workers.
#[derive(Clone)]
pub struct Services {
    pub cfg: Arc<Config>,
    pub store: Store,
    pub clock: SharedClock,
    pub rng: Csprng,
    pub keyed: Keyed,
    pub nameid_secret: Arc<Vec<u8>>,
    pub hasher: PasswordHasher,
    pub sms: Arc<dyn SmsSender>,
    pub mailer: Arc<dyn crate::notify::mail::Mailer>,
    pub registry: SharedRegistry,
    /// The signing keys: everything signs with the active one; metadata publishes all.
    pub keys: Arc<KeyRing>,
    pub metrics: Metrics,
    /// Bounds the password-reset requests handled in the background (`[account] reset_max_pending`).
    pub reset_tasks: Arc<tokio::sync::Semaphore>,
    /// Qualified CAs and trusted proxies for client certificates.
    pub client_certs: Arc<crate::auth::client_cert::ClientCertPolicy>,
}

impl Services {
    /// What `/healthz` reports: whether the database can be written, and how many e-services are
    /// served.
    pub async fn health_report(&self) -> (crate::storage::StorageHealth, usize) {
        (self.store.health().await, self.registry.snapshot().len())
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }
    pub fn sso_url(&self) -> String {
        format!("{}/saml/sso", self.cfg.base_url)
    }
}

/// Keyed hash under which a browser token (cookie) is stored.
pub(crate) fn token_hash(keyed: &Keyed, token: &str) -> Result<String, crate::auth::AuthError> {
    keyed.mac_hex("token", &[token.as_bytes()])
}

impl Services {
    /// The IdP's signed metadata (signed by the active key; every key's certificate published).
    pub async fn idp_metadata(&self) -> Result<String, String> {
        use crate::saml::idp_metadata::{build_idp_metadata, IdpMetadataParams};
        use crate::saml::types::nameid;
        let sso = self.sso_url();
        let id = self.rng.xml_id();
        build_idp_metadata(
            &self.keys,
            &IdpMetadataParams {
                entity_id: &self.cfg.entity_id,
                sso_url: &sso,
                slo_url: None,
                name_id_formats: &[nameid::PERSISTENT, nameid::TRANSIENT, nameid::UNSPECIFIED],
                valid_until: self.clock.now() + chrono::Duration::days(7),
                id: &id,
                want_authn_requests_signed: self.cfg.require_signed_requests,
                organization: None,
            },
        )
        .await
        .map_err(|e| e.to_string())
    }
}
pub mod audit_view;
pub mod staff;
