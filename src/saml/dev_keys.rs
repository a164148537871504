//! The committed development keys of `certs-dev/`, recognised by what they are: their public key.
//!
//! Guarantees (negative tests below and in `tests/startup_edge.rs`):
//! - the public keys of every key in `certs-dev/` are embedded at build time (from the committed
//!   certificates, which carry them; a test checks each against its private key);
//! - a key or certificate is a dev key when its SubjectPublicKeyInfo (DER) equals one of them,
//!   whatever certificate wraps it (subject, issuer, validity and serial play no part);
//! - a certificate whose subject carries the marker `DEV ONLY` is a dev certificate as well.
use openssl::pkey::PKey;
use openssl::x509::X509;

/// Marker in the subject of the development certificates (`pass-idp keys dev` writes it too).
pub const DEV_CERT_MARKER: &str = "DEV ONLY";

/// (committed key file, its committed certificate) for every key in `certs-dev/`.
const COMMITTED: &[(&str, &[u8])] = &[
    (
        "certs-dev/idp-signing.key",
        include_bytes!("../../certs-dev/idp-signing.crt"),
    ),
    (
        "certs-dev/demo-sp-signed.key",
        include_bytes!("../../certs-dev/demo-sp-signed.crt"),
    ),
];

/// Why a key or certificate counts as a development one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevKey {
    /// Its public key is that of this committed key file (which everyone can read).
    Committed(&'static str),
    /// The certificate's subject carries [`DEV_CERT_MARKER`].
    Marked(String),
}

impl std::fmt::Display for DevKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DevKey::Committed(file) => write!(
                f,
                "its public key is that of the published development key {file} (whatever certificate wraps it, anyone can sign with that key)"
            ),
            DevKey::Marked(subject) => write!(
                f,
                "it is a development certificate (subject \"{subject}\" is marked {DEV_CERT_MARKER})"
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DevKeyError {
    #[error("cannot parse the private key (expected PEM)")]
    BadKey(#[source] openssl::error::ErrorStack),
    #[error("cannot parse the certificates (expected PEM X.509)")]
    BadCert(#[source] openssl::error::ErrorStack),
    #[error("holds no PEM certificate")]
    NoCert,
}

/// SubjectPublicKeyInfo DER of every committed dev key.
fn committed_spkis() -> Vec<(&'static str, Vec<u8>)> {
    COMMITTED
        .iter()
        .filter_map(|(file, pem)| {
            let spki = X509::from_pem(pem).ok()?.public_key().ok()?;
            Some((*file, spki.public_key_to_der().ok()?))
        })
        .collect()
}

/// The committed dev key whose SubjectPublicKeyInfo is `spki_der`, if any.
pub fn committed_dev_key(spki_der: &[u8]) -> Option<&'static str> {
    committed_spkis()
        .into_iter()
        .find(|(_, k)| k.as_slice() == spki_der)
        .map(|(file, _)| file)
}

fn subject_of(cert: &X509) -> String {
    cert.subject_name()
        .entries()
        .map(|e| String::from_utf8_lossy(e.data().as_slice()).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why the certificate is a dev one (public key first, then the subject marker), if it is.
pub fn dev_cert(cert: &X509) -> Option<DevKey> {
    if let Some(file) = cert
        .public_key()
        .ok()
        .and_then(|k| k.public_key_to_der().ok())
        .and_then(|spki| committed_dev_key(&spki))
    {
        return Some(DevKey::Committed(file));
    }
    let subject = subject_of(cert);
    subject
        .contains(DEV_CERT_MARKER)
        .then_some(DevKey::Marked(subject))
}

/// A certificate in DER (e.g. from SP metadata): is it a dev one?
pub fn dev_cert_der(der: &[u8]) -> Option<DevKey> {
    X509::from_der(der).ok().and_then(|c| dev_cert(&c))
}

/// Every certificate of a PEM file (a chain, or a list of CAs): the first dev one, if any.
pub fn dev_cert_in_pem(pem: &[u8]) -> Result<Option<DevKey>, DevKeyError> {
    let certs = X509::stack_from_pem(pem).map_err(DevKeyError::BadCert)?;
    if certs.is_empty() {
        return Err(DevKeyError::NoCert);
    }
    Ok(certs.iter().find_map(dev_cert))
}

/// A PEM private key (PKCS#8, PKCS#1 or SEC1): is it a committed dev key?
pub fn dev_private_key_pem(pem: &[u8]) -> Result<Option<DevKey>, DevKeyError> {
    let key = PKey::private_key_from_pem(pem).map_err(DevKeyError::BadKey)?;
    let spki = key.public_key_to_der().map_err(DevKeyError::BadKey)?;
    Ok(committed_dev_key(&spki).map(DevKey::Committed))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::x509::X509NameBuilder;

    const KEYS: &[(&str, &[u8])] = &[
        (
            "certs-dev/idp-signing.key",
            include_bytes!("../../certs-dev/idp-signing.key"),
        ),
        (
            "certs-dev/demo-sp-signed.key",
            include_bytes!("../../certs-dev/demo-sp-signed.key"),
        ),
    ];

    /// A new self-signed certificate for `key` with an ordinary subject.
    fn rewrap(key_pem: &[u8], cn: &str) -> X509 {
        let key = PKey::private_key_from_pem(key_pem).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", cn).unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        b.build()
    }

    #[test]
    fn every_committed_key_is_recognised_by_its_private_key() {
        assert_eq!(committed_spkis().len(), COMMITTED.len());
        for (file, pem) in KEYS {
            assert_eq!(
                dev_private_key_pem(pem).unwrap(),
                Some(DevKey::Committed(file)),
                "{file}"
            );
        }
    }

    #[test]
    fn a_dev_key_in_a_new_certificate_is_still_a_dev_key() {
        for (file, pem) in KEYS {
            let cert = rewrap(pem, "login.example.gov");
            assert_eq!(dev_cert(&cert), Some(DevKey::Committed(file)));
            let der = cert.to_der().unwrap();
            assert_eq!(dev_cert_der(&der), Some(DevKey::Committed(file)));
            let mut chain = rewrap(
                &crate::keys::generate_self_signed("x", 1).unwrap().0,
                "leaf",
            )
            .to_pem()
            .unwrap();
            chain.extend_from_slice(&cert.to_pem().unwrap());
            assert_eq!(
                dev_cert_in_pem(&chain).unwrap(),
                Some(DevKey::Committed(file)),
                "a dev key anywhere in a chain"
            );
        }
    }

    #[test]
    fn other_keys_pass_and_the_marker_still_counts() {
        let (k, c) = crate::keys::generate_self_signed("ordinary", 1).unwrap();
        assert_eq!(dev_private_key_pem(&k).unwrap(), None);
        assert_eq!(dev_cert_in_pem(&c).unwrap(), None);
        let (_, marked) = crate::keys::generate_self_signed("signing DEV ONLY", 1).unwrap();
        assert!(matches!(
            dev_cert_in_pem(&marked).unwrap(),
            Some(DevKey::Marked(s)) if s.contains("DEV ONLY")
        ));
        assert!(dev_private_key_pem(b"nope").is_err());
        assert!(dev_cert_in_pem(b"nope").is_err());
    }
}
