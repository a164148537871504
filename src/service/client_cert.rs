//! Qualified client certificates in the citizen's account: checking what a browser presented (over
//! the IdP's own TLS or through a trusted proxy's header) and registering it.
use super::Activation;
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::client_cert::{self, CertError, QualifiedCert};
use crate::domain::citizen::Citizen;
use crate::storage::{ActivationRequestRecord, RegisteredCert, StorageError};
use serde_json::json;
use std::net::IpAddr;

#[derive(Debug, thiserror::Error)]
pub enum ClientCertError {
    #[error("no client certificate was presented")]
    NoCertificate,
    #[error("client certificate refused: {0}")]
    Refused(#[from] CertError),
    #[error("this certificate is already registered")]
    AlreadyRegistered,
    #[error("activation: {0}")]
    Activation(#[from] crate::service::activation::ActivationError),
    #[error("storage: {0}")]
    Internal(String),
}

impl From<StorageError> for ClientCertError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Conflict(_) => ClientCertError::AlreadyRegistered,
            other => ClientCertError::Internal(other.to_string()),
        }
    }
}

/// Where a request's client certificate comes from. The web layer picks exactly one source per
/// connection: a TLS connection to the IdP never looks at headers.
#[derive(Debug)]
pub enum Presented<'a> {
    /// The IdP terminated TLS: the chain the client sent (leaf first; empty when none was sent).
    Tls { chain: &'a [Vec<u8>] },
    /// A plain connection carrying the proxy certificate header.
    ProxyHeader {
        peer: Option<IpAddr>,
        value: &'a str,
    },
    /// A plain connection without the header.
    Nothing,
}

impl Activation {
    /// Checks a presented certificate at the app's time. `Ok(None)`: none was presented; a presented
    /// but refused certificate (or a header from an untrusted address) is an error, and audited.
    pub async fn check_presented_cert(
        &self,
        p: Presented<'_>,
        client_addr: Option<String>,
    ) -> Result<Option<QualifiedCert>, ClientCertError> {
        let now = self.clock.now();
        let policy = &self.client_certs;
        let (via, result) = match p {
            Presented::Nothing => return Ok(None),
            Presented::Tls { chain } => match chain.split_first() {
                None => return Ok(None),
                Some((leaf, rest)) => ("tls", policy.cas.verify(leaf, rest, now).map(Some)),
            },
            Presented::ProxyHeader { peer, value } => (
                "proxy",
                client_cert::from_proxy_header(peer, value, &policy.proxy, &policy.cas, now),
            ),
        };
        match result {
            Ok(c) => Ok(c),
            Err(e) => {
                let ev = AuditEvent::new(AuditKind::ClientCertRefused)
                    .addr(client_addr)
                    .detail(json!({ "via": via, "why": e.to_string() }));
                if let Err(ae) = self.store.audit(&ev, self.now_ms()).await {
                    tracing::warn!(error = %ae, "audit of a refused certificate failed");
                }
                Err(ClientCertError::Refused(e))
            }
        }
    }

    /// Registers a verified certificate to the citizen's account.
    pub async fn register_client_cert(
        &self,
        citizen_id: &str,
        cert: &QualifiedCert,
        client_addr: Option<String>,
    ) -> Result<RegisteredCert, ClientCertError> {
        let now = self.now_ms();
        if cert.not_after_ms <= now {
            return Err(ClientCertError::Refused(CertError::NotValidNow));
        }
        let rec = RegisteredCert {
            id: uuid::Uuid::new_v4().to_string(),
            citizen_id: citizen_id.to_string(),
            issuer: cert.issuer.clone(),
            serial: cert.serial.clone(),
            subject: cert.subject.clone(),
            fingerprint_sha256: cert.fingerprint_sha256.clone(),
            not_after: cert.not_after_ms,
            registered_at: now,
        };
        let ev = AuditEvent::new(AuditKind::ClientCertRegistered)
            .actor(format!("citizen:{citizen_id}"))
            .citizen(citizen_id)
            .addr(client_addr)
            .detail(json!({
                "issuer": cert.issuer,
                "serial": cert.serial,
                "fingerprint_sha256": cert.fingerprint_sha256,
            }));
        Ok(self.store.register_client_cert(&rec, &ev).await?)
    }

    /// The citizen's registered certificates, newest first.
    /// The request header a trusted TLS proxy passes the client certificate in.
    pub fn client_cert_header(&self) -> &str {
        self.client_certs.proxy.header.as_str()
    }

    pub async fn client_certs_of(
        &self,
        citizen_id: &str,
    ) -> Result<Vec<RegisteredCert>, ClientCertError> {
        Ok(self.store.client_certs_of(citizen_id).await?)
    }

    /// A registered certificate that is still valid, if the citizen has one (path B may start).
    pub async fn valid_client_cert_of(
        &self,
        citizen_id: &str,
    ) -> Result<Option<RegisteredCert>, ClientCertError> {
        let now = self.now_ms();
        Ok(self
            .store
            .client_certs_of(citizen_id)
            .await?
            .into_iter()
            .find(|c| c.not_after > now))
    }

    /// What the certificate page shows: the registered certificates, and whether path B may start
    /// (a still-valid registered certificate and an smsPASS state that allows a new request).
    pub async fn certificate_page(
        &self,
        citizen: &Citizen,
    ) -> Result<CertificatePage, ClientCertError> {
        let registered = self.client_certs_of(&citizen.id.0).await?;
        let now = self.now_ms();
        let has_valid = registered.iter().any(|c| c.not_after > now);
        let view = self.smspass_view(citizen).await?;
        Ok(CertificatePage {
            can_start_activation: has_valid && view.can_start,
            has_address: citizen.address.is_some(),
            registered,
        })
    }

    /// Path B: starts smsPASS activation on the strength of a registered qualified certificate and
    /// queues the postal letter that will carry the activation code to the permanent address.
    pub async fn start_activation_by_certificate(
        &self,
        citizen: &Citizen,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<ActivationRequestRecord, ClientCertError> {
        if citizen.address.is_none() {
            return Err(ClientCertError::Activation(
                crate::service::activation::ActivationError::Invalid(
                    "no permanent address on file for the letter".into(),
                ),
            ));
        }
        if self.valid_client_cert_of(&citizen.id.0).await?.is_none() {
            return Err(ClientCertError::NoCertificate);
        }
        let req = self
            .start_activation_with_certificate(citizen, true, lang, client_addr)
            .await?;
        self.queue_activation_letter(
            &citizen.id.0,
            &req.reference,
            &format!("citizen:{}", citizen.username),
        )
        .await
        .map_err(|e| ClientCertError::Internal(e.to_string()))?;
        Ok(req)
    }
}

/// See [`Activation::certificate_page`].
#[derive(Debug, Clone)]
pub struct CertificatePage {
    pub registered: Vec<RegisteredCert>,
    pub can_start_activation: bool,
    pub has_address: bool,
}
