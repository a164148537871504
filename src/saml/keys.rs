//! The IdP signing key and its certificate.
//!
//! Guarantees:
//! - Only RSA keys of at least 2048 bits are accepted.
//! - The certificate must carry the public key of the private key (no mismatched pair can be
//!   loaded, so every signature we publish verifies with the certificate we publish).
//! - The private key is parsed once and kept in memory; `Debug` never prints it.
//! - Signatures are RSA PKCS#1 v1.5 with SHA-256 only.
use base64::Engine as _;
use chrono::{DateTime, Utc};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use openssl::x509::extension::{BasicConstraints, KeyUsage};
use openssl::x509::{X509NameBuilder, X509};

/// Smallest RSA modulus we accept.
pub const MIN_RSA_BITS: u32 = 2048;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot parse the private key (expected PEM, PKCS#8 or PKCS#1 RSA)")]
    BadPrivateKey(#[source] openssl::error::ErrorStack),
    #[error("cannot parse the certificate (expected PEM X.509)")]
    BadCertificate(#[source] openssl::error::ErrorStack),
    #[error("the private key is not an RSA key")]
    NotRsa,
    #[error("the RSA key has {0} bits; at least {MIN_RSA_BITS} are required")]
    KeyTooShort(u32),
    #[error("the certificate does not belong to the private key")]
    CertKeyMismatch,
    #[error("the certificate validity date cannot be read")]
    BadCertTime,
    #[error("the certificate common name is invalid")]
    BadCommonName,
    #[error("openssl error")]
    Openssl(#[from] openssl::error::ErrorStack),
}

/// IdP signing key: the private key (loaded once) plus its certificate.
pub struct SigningKey {
    key: PKey<Private>,
    cert_der: Vec<u8>,
    cert_b64: String,
    not_after: DateTime<Utc>,
    subject: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("key", &"<redacted>")
            .field("subject", &self.subject)
            .field("not_after", &self.not_after)
            .finish()
    }
}

impl SigningKey {
    /// Loads a PEM private key (PKCS#8 or PKCS#1 RSA) and its PEM certificate.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<Self, KeyError> {
        let key = PKey::private_key_from_pem(key_pem).map_err(KeyError::BadPrivateKey)?;
        if key.id() != Id::RSA {
            return Err(KeyError::NotRsa);
        }
        let bits = key.bits();
        if bits < MIN_RSA_BITS {
            return Err(KeyError::KeyTooShort(bits));
        }
        let cert = X509::from_pem(cert_pem).map_err(KeyError::BadCertificate)?;
        let cert_pub = cert.public_key().map_err(KeyError::BadCertificate)?;
        if !cert_pub.public_eq(&key) {
            return Err(KeyError::CertKeyMismatch);
        }
        let cert_der = cert.to_der()?;
        let cert_b64 = base64::engine::general_purpose::STANDARD.encode(&cert_der);
        let not_after = asn1_to_utc(cert.not_after())?;
        let subject = cert
            .subject_name()
            .entries()
            .map(|e| String::from_utf8_lossy(e.data().as_slice()).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        Ok(Self {
            key,
            cert_der,
            cert_b64,
            not_after,
            subject,
        })
    }

    /// The certificate, DER encoded.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate, DER in standard base64 without line breaks (for `ds:X509Certificate`).
    pub fn cert_base64(&self) -> &str {
        &self.cert_b64
    }

    /// The public key as SubjectPublicKeyInfo DER (to recognise a published development key).
    pub fn public_key_der(&self) -> Result<Vec<u8>, KeyError> {
        Ok(self.key.public_key_to_der()?)
    }

    /// End of the certificate validity (for expiry warnings).
    pub fn cert_not_after(&self) -> DateTime<Utc> {
        self.not_after
    }

    /// RSA PKCS#1 v1.5 signature with SHA-256 over `data`.
    pub fn sign_rsa_sha256(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key)?;
        signer.update(data)?;
        Ok(signer.sign_to_vec()?)
    }
}

fn asn1_to_utc(t: &openssl::asn1::Asn1TimeRef) -> Result<DateTime<Utc>, KeyError> {
    let epoch = Asn1Time::from_unix(0)?;
    let diff = epoch.diff(t)?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    DateTime::<Utc>::from_timestamp(secs, 0).ok_or(KeyError::BadCertTime)
}

/// Dev key generation used by `pass-idp keys dev`: a new RSA-2048 key and a self-signed
/// certificate for `cn`, valid for `days` days from now. Returns (key PEM PKCS#8, cert PEM).
pub fn generate_self_signed(cn: &str, days: u32) -> Result<(Vec<u8>, Vec<u8>), KeyError> {
    if cn.is_empty() || cn.len() > 64 || cn.chars().any(char::is_control) {
        return Err(KeyError::BadCommonName);
    }
    let rsa = Rsa::generate(MIN_RSA_BITS)?;
    let key = PKey::from_rsa(rsa)?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("CN", cn)?;
    let name = name.build();
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    let serial = serial.to_asn1_integer()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(&key)?;
    let not_before = Asn1Time::days_from_now(0)?;
    let not_after = Asn1Time::days_from_now(days)?;
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;
    b.append_extension(BasicConstraints::new().critical().build()?)?;
    b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
    b.sign(&key, MessageDigest::sha256())?;
    let cert = b.build();
    Ok((key.private_key_to_pem_pkcs8()?, cert.to_pem()?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn generated_pair_loads_and_signs() {
        let (k, c) = generate_self_signed("pass-idp test", 30).unwrap();
        assert!(String::from_utf8_lossy(&k).contains("BEGIN PRIVATE KEY"));
        let sk = SigningKey::from_pem(&k, &c).unwrap();
        let sig = sk.sign_rsa_sha256(b"hello").unwrap();
        assert_eq!(sig.len(), 256);
        let cert = X509::from_der(sk.cert_der()).unwrap();
        let public = cert.public_key().unwrap();
        let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), &public).unwrap();
        v.update(b"hello").unwrap();
        assert!(v.verify(&sig).unwrap());
        assert!(!sk.cert_base64().contains('\n'));
        let days = (sk.cert_not_after() - Utc::now()).num_days();
        assert!((28..=30).contains(&days), "{days}");
    }

    #[test]
    fn pkcs1_key_is_accepted() {
        let (k, c) = generate_self_signed("pkcs1", 1).unwrap();
        let rsa = Rsa::private_key_from_pem(&k).unwrap();
        let pkcs1 = rsa.private_key_to_pem().unwrap();
        assert!(String::from_utf8_lossy(&pkcs1).contains("BEGIN RSA PRIVATE KEY"));
        SigningKey::from_pem(&pkcs1, &c).unwrap();
    }

    #[test]
    fn mismatched_certificate_is_refused() {
        let (k1, _) = generate_self_signed("one", 1).unwrap();
        let (_, c2) = generate_self_signed("two", 1).unwrap();
        assert!(matches!(
            SigningKey::from_pem(&k1, &c2),
            Err(KeyError::CertKeyMismatch)
        ));
    }

    #[test]
    fn short_rsa_key_is_refused() {
        let key = PKey::from_rsa(Rsa::generate(1024).unwrap()).unwrap();
        let pem = key.private_key_to_pem_pkcs8().unwrap();
        let (_, c) = generate_self_signed("x", 1).unwrap();
        assert!(matches!(
            SigningKey::from_pem(&pem, &c),
            Err(KeyError::KeyTooShort(1024))
        ));
    }

    #[test]
    fn non_rsa_key_is_refused() {
        let group =
            openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
        let ec = openssl::ec::EcKey::generate(&group).unwrap();
        let pem = PKey::from_ec_key(ec)
            .unwrap()
            .private_key_to_pem_pkcs8()
            .unwrap();
        let (_, c) = generate_self_signed("x", 1).unwrap();
        assert!(matches!(
            SigningKey::from_pem(&pem, &c),
            Err(KeyError::NotRsa)
        ));
    }

    #[test]
    fn garbage_is_refused() {
        let (k, c) = generate_self_signed("x", 1).unwrap();
        assert!(matches!(
            SigningKey::from_pem(b"nope", &c),
            Err(KeyError::BadPrivateKey(_))
        ));
        assert!(matches!(
            SigningKey::from_pem(&k, b"nope"),
            Err(KeyError::BadCertificate(_))
        ));
    }

    #[test]
    fn debug_does_not_print_the_key() {
        let (k, c) = generate_self_signed("debug-test", 1).unwrap();
        let sk = SigningKey::from_pem(&k, &c).unwrap();
        let d = format!("{sk:?} {sk:#?}");
        assert!(d.contains("redacted"));
        assert!(d.contains("debug-test"));
        assert!(!d.contains("PRIVATE"));
        let rsa = sk.key.rsa().unwrap();
        let d_hex = rsa.d().to_hex_str().unwrap().to_string();
        assert!(!d.to_uppercase().contains(&d_hex[..16]));
    }
}
