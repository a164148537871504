//! Qualified client certificates (path B of smsPASS activation).
//!
//! Guarantees (each has a negative test below or in tests/client_cert.rs):
//! - a certificate is accepted only when its chain builds to one of the configured qualified CAs;
//!   every configured certificate is a trust anchor and nothing else is (not the system store, not a
//!   certificate the client sends along, which only serves as an intermediate); a certificate from
//!   another CA and a self-signed certificate are refused;
//! - the leaf must be valid at the time the caller passes in (the app's Clock, never the system time),
//!   must not be a CA, and must allow client authentication when it restricts its key usage;
//! - with no qualified CA configured every certificate is refused;
//! - a certificate passed on in a reverse proxy's header is believed only when the TCP peer is one of
//!   the configured trusted proxies; from any other address the header is refused without being read,
//!   and what a trusted proxy passes is verified like a certificate presented over TLS.
use chrono::{DateTime, Utc};
use openssl::hash::MessageDigest;
use openssl::x509::{X509NameRef, X509};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use std::net::IpAddr;
use std::path::Path;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CertError {
    #[error("no qualified CA is configured")]
    NoQualifiedCas,
    #[error("CA file {0}: {1}")]
    CaFile(String, String),
    #[error("the certificate cannot be read: {0}")]
    Malformed(String),
    #[error("the certificate is not from a qualified CA")]
    UnknownIssuer,
    #[error("the certificate has expired or is not yet valid")]
    NotValidNow,
    #[error("the certificate is a CA certificate")]
    CaAsLeaf,
    #[error("the certificate may not be used for client authentication")]
    WrongUsage,
    #[error("the certificate was refused: {0}")]
    Invalid(String),
    #[error("certificate header from {0}, which is not a trusted proxy")]
    UntrustedProxy(String),
}

/// A client certificate that passed [`QualifiedCas::verify`]. Only this module can make one (the
/// private field keeps the rest of the crate from building it, which `#[non_exhaustive]` would not).
#[allow(clippy::manual_non_exhaustive)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedCert {
    /// Issuer distinguished name (RFC 4514 string).
    pub issuer: String,
    /// Serial number, upper-case hex.
    pub serial: String,
    /// Subject distinguished name (RFC 4514 string).
    pub subject: String,
    pub not_after_ms: i64,
    /// SHA-256 of the DER certificate, lower-case hex.
    pub fingerprint_sha256: String,
    _verified: (),
}

/// The configured qualified CAs (trust anchors), loaded once at start.
pub struct QualifiedCas {
    roots: Vec<CertificateDer<'static>>,
    anchors: Vec<TrustAnchor<'static>>,
}

impl std::fmt::Debug for QualifiedCas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QualifiedCas({} anchors)", self.anchors.len())
    }
}

impl QualifiedCas {
    /// Loads every certificate in the given PEM files. A file without a certificate is an error.
    pub fn load(files: &[impl AsRef<Path>]) -> Result<QualifiedCas, CertError> {
        let mut pems = Vec::new();
        for f in files {
            let f = f.as_ref();
            let name = f.display().to_string();
            let bytes =
                std::fs::read(f).map_err(|e| CertError::CaFile(name.clone(), e.to_string()))?;
            pems.push((name, bytes));
        }
        Self::from_pems(&pems)
    }

    /// Like [`load`](Self::load), from `(name, PEM bytes)` pairs.
    pub fn from_pems(pems: &[(String, Vec<u8>)]) -> Result<QualifiedCas, CertError> {
        let mut roots = Vec::new();
        for (name, bytes) in pems {
            let before = roots.len();
            for c in CertificateDer::pem_slice_iter(bytes) {
                let c = c.map_err(|e| CertError::CaFile(name.clone(), e.to_string()))?;
                roots.push(c.into_owned());
            }
            if roots.len() == before {
                return Err(CertError::CaFile(
                    name.clone(),
                    "holds no certificate".into(),
                ));
            }
        }
        let anchors = roots
            .iter()
            .map(|c| {
                webpki::anchor_from_trusted_cert(c)
                    .map(|a| a.to_owned())
                    .map_err(|e| CertError::CaFile("qualified_cas".into(), format!("{e:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(QualifiedCas { roots, anchors })
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// The CA certificates, for the TLS layer's client certificate request.
    pub fn roots(&self) -> &[CertificateDer<'static>] {
        &self.roots
    }

    /// Verifies `leaf_der` (with the intermediates in `chain_der`) against the qualified CAs at `now`.
    pub fn verify(
        &self,
        leaf_der: &[u8],
        chain_der: &[Vec<u8>],
        now: DateTime<Utc>,
    ) -> Result<QualifiedCert, CertError> {
        if self.anchors.is_empty() {
            return Err(CertError::NoQualifiedCas);
        }
        let leaf = CertificateDer::from(leaf_der);
        let ee = webpki::EndEntityCert::try_from(&leaf)
            .map_err(|e| CertError::Malformed(format!("{e:?}")))?;
        let intermediates: Vec<CertificateDer<'_>> = chain_der
            .iter()
            .filter(|c| c.as_slice() != leaf_der)
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let secs = u64::try_from(now.timestamp()).map_err(|_| CertError::NotValidNow)?;
        ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.anchors,
            &intermediates,
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs)),
            webpki::KeyUsage::client_auth(),
            None,
            None,
        )
        .map_err(map_webpki)?;
        describe(leaf_der)
    }
}

fn map_webpki(e: webpki::Error) -> CertError {
    use webpki::Error as E;
    match e {
        E::UnknownIssuer => CertError::UnknownIssuer,
        E::CertExpired { .. } | E::CertNotValidYet { .. } => CertError::NotValidNow,
        E::CaUsedAsEndEntity => CertError::CaAsLeaf,
        E::RequiredEkuNotFoundContext(_) => CertError::WrongUsage,
        other => CertError::Invalid(format!("{other:?}")),
    }
}

/// Reads the fields the account stores from a verified certificate.
fn describe(der: &[u8]) -> Result<QualifiedCert, CertError> {
    let bad = |e: openssl::error::ErrorStack| CertError::Malformed(e.to_string());
    let x = X509::from_der(der).map_err(bad)?;
    let serial = x
        .serial_number()
        .to_bn()
        .and_then(|b| b.to_hex_str().map(|s| s.to_string()))
        .map_err(bad)?;
    let epoch = openssl::asn1::Asn1Time::from_unix(0).map_err(bad)?;
    let d = epoch.diff(x.not_after()).map_err(bad)?;
    let not_after_ms = (i64::from(d.days) * 86_400 + i64::from(d.secs)) * 1000;
    let fp = x.digest(MessageDigest::sha256()).map_err(bad)?;
    Ok(QualifiedCert {
        issuer: rfc4514(x.issuer_name()),
        serial,
        subject: rfc4514(x.subject_name()),
        not_after_ms,
        fingerprint_sha256: fp.iter().map(|b| format!("{b:02x}")).collect(),
        _verified: (),
    })
}

/// RFC 4514 string: attributes in reverse order, special characters escaped.
pub fn rfc4514(name: &X509NameRef) -> String {
    let parts: Vec<String> = name
        .entries()
        .map(|e| {
            let nid = e.object().nid();
            let key = nid
                .short_name()
                .map(str::to_string)
                .unwrap_or_else(|_| e.object().to_string());
            let value = e.data().to_string().unwrap_or_default();
            format!("{key}={}", escape_value(&value))
        })
        .collect();
    parts.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn escape_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let n = v.chars().count();
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == n && c == ' ');
        if c == '\0' {
            out.push_str("\\00");
            continue;
        }
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Which reverse proxies are believed, and the header they use.
#[derive(Debug, Clone)]
pub struct ProxyTrust {
    pub trusted: Vec<IpAddr>,
    pub header: String,
}

impl ProxyTrust {
    /// From validated config strings (unparseable entries were refused by `Config::validate`).
    pub fn new(trusted: &[String], header: &str) -> ProxyTrust {
        ProxyTrust {
            trusted: trusted
                .iter()
                .filter_map(|s| s.trim().parse().ok())
                .collect(),
            header: header.to_string(),
        }
    }

    pub fn is_trusted(&self, peer: Option<IpAddr>) -> bool {
        peer.is_some_and(|p| self.trusted.contains(&canonical(p)))
    }
}

/// An IPv4 address mapped into IPv6 compares as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The certificate a reverse proxy passed in its header (URL-escaped PEM, leaf first), believed only
/// when the TCP peer is a trusted proxy. An empty header (the proxy saw no certificate) is `Ok(None)`.
pub fn from_proxy_header(
    peer_ip: Option<IpAddr>,
    header_value: &str,
    trust: &ProxyTrust,
    cas: &QualifiedCas,
    now: DateTime<Utc>,
) -> Result<Option<QualifiedCert>, CertError> {
    if !trust.is_trusted(peer_ip) {
        return Err(CertError::UntrustedProxy(
            peer_ip.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
        ));
    }
    let value = header_value.trim();
    if value.is_empty() || value == "-" || value == "(null)" {
        return Ok(None);
    }
    let pem = percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .map_err(|e| CertError::Malformed(e.to_string()))?;
    let mut certs = Vec::new();
    for c in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        certs.push(c.map_err(|e| CertError::Malformed(e.to_string()))?.to_vec());
    }
    let Some((leaf, chain)) = certs.split_first() else {
        return Err(CertError::Malformed("no certificate in the header".into()));
    };
    cas.verify(leaf, chain, now).map(Some)
}

/// Everything the app needs to decide about a presented client certificate.
#[derive(Debug)]
pub struct ClientCertPolicy {
    pub cas: QualifiedCas,
    pub proxy: ProxyTrust,
}

impl ClientCertPolicy {
    pub fn from_config(cfg: &crate::config::ClientCertConfig) -> Result<Self, CertError> {
        Ok(ClientCertPolicy {
            cas: QualifiedCas::load(&cfg.qualified_cas)?,
            proxy: ProxyTrust::new(&cfg.trusted_proxies, &cfg.proxy_header),
        })
    }
}

#[cfg(test)]
#[path = "client_cert_tests.rs"]
mod tests;
