//! TLS termination by the IdP itself (rustls): the server configuration, which asks every client for
//! an OPTIONAL certificate from the qualified CAs, and the connect hook that hands the presented chain
//! to the request as connection data ([`TlsPeer`]).
//!
//! The handshake already refuses a certificate that does not chain to a qualified CA; the request
//! layer verifies the chain again at the app's Clock time (`auth::client_cert`).
use crate::auth::client_cert::QualifiedCas;
use crate::config::TlsConfig;
use actix_tls::accept::rustls_0_23::TlsStream;
use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::any::Any;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{0}: {1}")]
    File(String, String),
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("client certificate verifier: {0}")]
    Verifier(String),
}

/// Connection data of every TLS connection: the client's certificate chain, leaf first (empty when
/// the client sent none). Plain-http connections carry no `TlsPeer`.
#[derive(Debug, Clone)]
pub struct TlsPeer {
    pub chain: Vec<Vec<u8>>,
}

/// `HttpServer::on_connect` hook.
pub fn on_connect(conn: &dyn Any, ext: &mut Extensions) {
    if let Some(tls) = conn.downcast_ref::<TlsStream<TcpStream>>() {
        let (_, session) = tls.get_ref();
        let chain = session
            .peer_certificates()
            .map(|c| c.iter().map(|d| d.to_vec()).collect())
            .unwrap_or_default();
        ext.insert(TlsPeer { chain });
    }
}

/// Server configuration from PEM bytes: certificate chain, private key, and the qualified CAs whose
/// certificates clients may (but need not) present.
pub fn server_config_from_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
    cas: &QualifiedCas,
) -> Result<ServerConfig, TlsError> {
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::File("tls.cert".into(), e.to_string()))?;
    if certs.is_empty() {
        return Err(TlsError::File(
            "tls.cert".into(),
            "holds no certificate".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| TlsError::File("tls.key".into(), e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let cfg = if cas.is_empty() {
        builder.with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        for c in cas.roots() {
            roots.add(c.clone())?;
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .allow_unauthenticated()
            .build()
            .map_err(|e| TlsError::Verifier(e.to_string()))?;
        builder.with_client_cert_verifier(verifier)
    };
    Ok(cfg.with_single_cert(certs, key)?)
}

/// Server configuration from the `[tls]` files.
pub fn server_config(tls: &TlsConfig, cas: &QualifiedCas) -> Result<ServerConfig, TlsError> {
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|e| TlsError::File(p.display().to_string(), e.to_string()))
    };
    server_config_from_pem(&read(&tls.cert)?, &read(&tls.key)?, cas)
}
