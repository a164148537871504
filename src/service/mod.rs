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
    pub sms_limited: prometheus::IntCounterVec,
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
        let sms_limited = IntCounterVec::new(
            Opts::new(
                "passidp_sms_limited_total",
                "One-time codes not sent, by the SMS limit that refused them",
            ),
            &["limit"],
        )?;
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
        registry.register(Box::new(sms_limited.clone()))?;
        registry.register(Box::new(refused_requests.clone()))?;
        Ok(Self {
            registry,
            logins,
            assertions,
            sms_sent,
            sms_limited,
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

/// The ports: everything the use cases are built from, made once at start (`bootstrap`). The
/// command line and the tests use them directly; each capability below holds only its share.
#[derive(Clone)]
pub struct Ports {
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

impl Ports {
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }
}

/// The use cases, one struct per capability. Each owns only the ports it needs (its fields are
/// private to `service`), so a caller — the web layer, the command line — reaches the store, the
/// registry or the clock only through a use case.
#[derive(Clone)]
pub struct Services {
    pub ports: Ports,
    pub login: Login,
    pub account: Account,
    pub citizens: Citizens,
    pub activation: Activation,
    pub office: Office,
    pub sp_admin: SpAdmin,
    pub staff: Staff,
    pub audit: Audit,
    pub catalog: Catalog,
    pub ops: Ops,
    pub demo: Demo,
}

/// The authentication engine (flows, passwords, one-time codes), shared by every login purpose.
#[derive(Clone)]
pub struct Authn {
    pub(in crate::service) cfg: Arc<Config>,
    pub(in crate::service) store: Store,
    pub(in crate::service) clock: SharedClock,
    pub(in crate::service) rng: Csprng,
    pub(in crate::service) keyed: Keyed,
    pub(in crate::service) sms: Arc<dyn SmsSender>,
    pub(in crate::service) metrics: Metrics,
    pub(in crate::service) registry: SharedRegistry,
}

/// Builds and signs SAML answers (Responses, error statuses, IdP metadata) and reads SSO sessions.
#[derive(Clone)]
pub struct Responder {
    pub(in crate::service) cfg: Arc<Config>,
    pub(in crate::service) store: Store,
    pub(in crate::service) clock: SharedClock,
    pub(in crate::service) rng: Csprng,
    pub(in crate::service) keyed: Keyed,
    pub(in crate::service) keys: Arc<KeyRing>,
    pub(in crate::service) metrics: Metrics,
    pub(in crate::service) registry: SharedRegistry,
    pub(in crate::service) nameid_secret: Arc<Vec<u8>>,
}

/// Citizen SSO: AuthnRequests, the login steps, the Response; also the account-page login.
#[derive(Clone)]
pub struct Login {
    pub(in crate::service) authn: Authn,
    pub(in crate::service) hasher: PasswordHasher,
    pub(in crate::service) responder: Responder,
    pub(in crate::service) cfg: Arc<Config>,
    pub(in crate::service) store: Store,
    pub(in crate::service) clock: SharedClock,
    pub(in crate::service) metrics: Metrics,
    pub(in crate::service) registry: SharedRegistry,
    pub(in crate::service) keyed: Keyed,
}

/// Citizen self-service: registration, e-mail confirmation, passwords and resets, the account
/// session.
#[derive(Clone)]
pub struct Account {
    pub(in crate::service) responder: Responder,
    pub(in crate::service) cfg: Arc<Config>,
    pub(in crate::service) store: Store,
    pub(in crate::service) clock: SharedClock,
    pub(in crate::service) rng: Csprng,
    pub(in crate::service) keyed: Keyed,
    pub(in crate::service) hasher: PasswordHasher,
    pub(in crate::service) mailer: Arc<dyn crate::notify::mail::Mailer>,
    pub(in crate::service) reset_tasks: Arc<tokio::sync::Semaphore>,
}

/// Citizen records for the command line (add, look up, lock, set the phone).
#[derive(Clone)]
pub struct Citizens {
    pub(in crate::service) cfg: Arc<Config>,
    pub(in crate::service) store: Store,
    pub(in crate::service) clock: SharedClock,
    pub(in crate::service) hasher: PasswordHasher,
}

/// smsPASS activation (office visit, certificate + letter), phone proofs and changes, the
/// activation letters, client certificates.
#[derive(Clone)]
pub struct Activation {
    pub(in crate::service) authn: Authn,
    pub(in crate::service) cfg: Arc<Config>,
    pub(in crate::service) store: Store,
    pub(in crate::service) clock: SharedClock,
    pub(in crate::service) rng: Csprng,
    pub(in crate::service) keyed: Keyed,
    pub(in crate::service) client_certs: Arc<crate::auth::client_cert::ClientCertPolicy>,
}

/// The registration-office desk.
#[derive(Clone)]
pub struct Office {
    pub(in crate::service) activation: Activation,
    pub(in crate::service) cfg: Arc<Config>,
    pub(in crate::service) store: Store,
    pub(in crate::service) clock: SharedClock,
    pub(in crate::service) mailer: Arc<dyn crate::notify::mail::Mailer>,
}

/// Connected e-services: metadata and policy files, their history, remote metadata.
#[derive(Clone)]
pub struct SpAdmin {
    pub(in crate::service) cfg: Arc<Config>,
    pub(in crate::service) store: Store,
    pub(in crate::service) clock: SharedClock,
    pub(in crate::service) rng: Csprng,
    pub(in crate::service) registry: SharedRegistry,
}

/// Staff accounts and the staff login.
#[derive(Clone)]
pub struct Staff {
    pub(in crate::service) authn: Authn,
    pub(in crate::service) cfg: Arc<Config>,
    pub(in crate::service) store: Store,
    pub(in crate::service) clock: SharedClock,
    pub(in crate::service) rng: Csprng,
    pub(in crate::service) keyed: Keyed,
    pub(in crate::service) hasher: PasswordHasher,
}

/// The audit viewer.
#[derive(Clone)]
pub struct Audit {
    pub(in crate::service) store: Store,
}

/// The public list of connected e-services.
#[derive(Clone)]
pub struct Catalog {
    pub(in crate::service) registry: SharedRegistry,
}

/// Running the service: health, metrics, background duties.
#[derive(Clone)]
pub struct Ops {
    pub(in crate::service) cfg: Arc<Config>,
    pub(in crate::service) store: Store,
    pub(in crate::service) clock: SharedClock,
    pub(in crate::service) keyed: Keyed,
    pub(in crate::service) metrics: Metrics,
    pub(in crate::service) registry: SharedRegistry,
}

/// The dev-mode demo e-services.
#[derive(Clone)]
pub struct Demo {
    pub(in crate::service) responder: Responder,
    pub(in crate::service) cfg: Arc<Config>,
    pub(in crate::service) clock: SharedClock,
    pub(in crate::service) rng: Csprng,
}

macro_rules! clocked {
    ($($t:ty),*) => {$(
        impl $t {
            pub(crate) fn now_ms(&self) -> i64 {
                self.clock.now().timestamp_millis()
            }
        }
    )*};
}
clocked!(Authn, Responder, Login, Account, Citizens, Activation, Office, Staff, Ops);

impl Services {
    /// Hands each capability its share of the ports.
    pub fn assemble(p: Ports) -> Services {
        let authn = Authn {
            cfg: p.cfg.clone(),
            store: p.store.clone(),
            clock: p.clock.clone(),
            rng: p.rng.clone(),
            keyed: p.keyed.clone(),
            sms: p.sms.clone(),
            metrics: p.metrics.clone(),
            registry: p.registry.clone(),
        };
        let responder = Responder {
            cfg: p.cfg.clone(),
            store: p.store.clone(),
            clock: p.clock.clone(),
            rng: p.rng.clone(),
            keyed: p.keyed.clone(),
            keys: p.keys.clone(),
            metrics: p.metrics.clone(),
            registry: p.registry.clone(),
            nameid_secret: p.nameid_secret.clone(),
        };
        let activation = Activation {
            authn: authn.clone(),
            cfg: p.cfg.clone(),
            store: p.store.clone(),
            clock: p.clock.clone(),
            rng: p.rng.clone(),
            keyed: p.keyed.clone(),
            client_certs: p.client_certs.clone(),
        };
        Services {
            login: Login {
                authn: authn.clone(),
                hasher: p.hasher.clone(),
                responder: responder.clone(),
                cfg: p.cfg.clone(),
                store: p.store.clone(),
                clock: p.clock.clone(),
                metrics: p.metrics.clone(),
                registry: p.registry.clone(),
                keyed: p.keyed.clone(),
            },
            account: Account {
                responder: responder.clone(),
                cfg: p.cfg.clone(),
                store: p.store.clone(),
                clock: p.clock.clone(),
                rng: p.rng.clone(),
                keyed: p.keyed.clone(),
                hasher: p.hasher.clone(),
                mailer: p.mailer.clone(),
                reset_tasks: p.reset_tasks.clone(),
            },
            citizens: Citizens {
                cfg: p.cfg.clone(),
                store: p.store.clone(),
                clock: p.clock.clone(),
                hasher: p.hasher.clone(),
            },
            office: Office {
                activation: activation.clone(),
                cfg: p.cfg.clone(),
                store: p.store.clone(),
                clock: p.clock.clone(),
                mailer: p.mailer.clone(),
            },
            activation,
            sp_admin: SpAdmin {
                cfg: p.cfg.clone(),
                store: p.store.clone(),
                clock: p.clock.clone(),
                rng: p.rng.clone(),
                registry: p.registry.clone(),
            },
            staff: Staff {
                authn,
                cfg: p.cfg.clone(),
                store: p.store.clone(),
                clock: p.clock.clone(),
                rng: p.rng.clone(),
                keyed: p.keyed.clone(),
                hasher: p.hasher.clone(),
            },
            audit: Audit {
                store: p.store.clone(),
            },
            catalog: Catalog {
                registry: p.registry.clone(),
            },
            ops: Ops {
                cfg: p.cfg.clone(),
                store: p.store.clone(),
                clock: p.clock.clone(),
                keyed: p.keyed.clone(),
                metrics: p.metrics.clone(),
                registry: p.registry.clone(),
            },
            demo: Demo {
                responder,
                cfg: p.cfg.clone(),
                clock: p.clock.clone(),
                rng: p.rng.clone(),
            },
            ports: p,
        }
    }
}

impl Ops {
    /// What `/healthz` reports: whether the database can be written, and how many e-services are
    /// served.
    pub async fn health_report(&self) -> (crate::storage::StorageHealth, usize) {
        (self.store.health().await, self.registry.snapshot().len())
    }
}

impl Responder {
    pub fn sso_url(&self) -> String {
        format!("{}/saml/sso", self.cfg.base_url)
    }
}

/// Keyed hash under which a browser token (cookie) is stored.
pub(crate) fn token_hash(keyed: &Keyed, token: &str) -> Result<String, crate::auth::AuthError> {
    keyed.mac_hex("token", &[token.as_bytes()])
}

impl Responder {
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
