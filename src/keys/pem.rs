//! The PEM backend: a private key file (PKCS#8, PKCS#1 RSA or SEC1 EC) and its certificate file,
//! parsed once and kept in memory.
//!
//! Guarantees: RSA ≥ 2048 bits or EC P-256 only; the certificate must carry the key's public key;
//! `Debug` never prints the key.
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, KeyUsage};
use openssl::x509::{X509NameBuilder, X509};

use super::{ecdsa_der_to_raw, Algorithm, Certificate, KeyError, KeyKind, Signer, MIN_RSA_BITS};

/// A private key from a PEM file and its certificate.
pub struct PemSigner {
    key: PKey<Private>,
    cert: Certificate,
}

impl std::fmt::Debug for PemSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PemSigner")
            .field("key", &"<redacted>")
            .field("subject", &self.cert.subject())
            .field("not_after", &self.cert.not_after())
            .finish()
    }
}

impl PemSigner {
    /// Loads a PEM private key and its PEM certificate, which must carry the key's public key.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<Self, KeyError> {
        let key = PKey::private_key_from_pem(key_pem).map_err(KeyError::BadPrivateKey)?;
        KeyKind::of(&key)?;
        let x509 = X509::from_pem(cert_pem).map_err(KeyError::BadCertificate)?;
        let cert_pub = x509.public_key().map_err(KeyError::BadCertificate)?;
        if !cert_pub.public_eq(&key) {
            return Err(KeyError::CertKeyMismatch);
        }
        let cert = Certificate::from_x509(&x509)?;
        Ok(Self { key, cert })
    }
}

impl Signer for PemSigner {
    fn sign(&self, alg: Algorithm, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.cert.kind().check(alg)?;
        let mut signer = openssl::sign::Signer::new(MessageDigest::sha256(), &self.key)?;
        if alg == Algorithm::RsaPssSha256 {
            signer.set_rsa_padding(openssl::rsa::Padding::PKCS1_PSS)?;
            signer.set_rsa_mgf1_md(MessageDigest::sha256())?;
            signer.set_rsa_pss_saltlen(openssl::sign::RsaPssSaltlen::custom(32))?;
        }
        signer.update(data)?;
        let sig = signer.sign_to_vec()?;
        match alg {
            Algorithm::EcdsaP256Sha256 => ecdsa_der_to_raw(&sig, 32),
            Algorithm::RsaSha256 | Algorithm::RsaPssSha256 => Ok(sig),
        }
    }

    fn certificate(&self) -> &Certificate {
        &self.cert
    }
}

/// Dev key generation used by `pass-idp keys dev`: a new RSA-2048 key and a self-signed
/// certificate for `cn`, valid for `days` days from now. Returns (key PEM PKCS#8, cert PEM).
pub fn generate_self_signed(cn: &str, days: u32) -> Result<(Vec<u8>, Vec<u8>), KeyError> {
    let key = PKey::from_rsa(Rsa::generate(MIN_RSA_BITS)?)?;
    self_signed(&key, cn, days)
}

/// The same with a new EC P-256 key.
pub fn generate_self_signed_ec(cn: &str, days: u32) -> Result<(Vec<u8>, Vec<u8>), KeyError> {
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1)?;
    let key = PKey::from_ec_key(openssl::ec::EcKey::generate(&group)?)?;
    self_signed(&key, cn, days)
}

fn self_signed(key: &PKey<Private>, cn: &str, days: u32) -> Result<(Vec<u8>, Vec<u8>), KeyError> {
    if cn.is_empty() || cn.len() > 64 || cn.chars().any(char::is_control) {
        return Err(KeyError::BadCommonName);
    }
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
    b.set_pubkey(key)?;
    let not_before = Asn1Time::days_from_now(0)?;
    let not_after = Asn1Time::days_from_now(days)?;
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;
    b.append_extension(BasicConstraints::new().critical().build()?)?;
    b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
    b.sign(key, MessageDigest::sha256())?;
    let cert = b.build();
    Ok((key.private_key_to_pem_pkcs8()?, cert.to_pem()?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn generated_pair_loads_and_signs() {
        let (k, c) = generate_self_signed("pass-idp test", 30).unwrap();
        assert!(String::from_utf8_lossy(&k).contains("BEGIN PRIVATE KEY"));
        let sk = PemSigner::from_pem(&k, &c).unwrap();
        let sig = sk.sign(Algorithm::RsaSha256, b"hello").unwrap();
        assert_eq!(sig.len(), 256);
        // Checked with openssl directly, not through our own verify.
        let cert = X509::from_der(sk.certificate().der()).unwrap();
        let public = cert.public_key().unwrap();
        let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), &public).unwrap();
        v.update(b"hello").unwrap();
        assert!(v.verify(&sig).unwrap());
        assert!(!sk.certificate().base64().contains('\n'));
        let days = (sk.certificate().not_after() - Utc::now()).num_days();
        assert!((28..=30).contains(&days), "{days}");
        assert_eq!(sk.algorithms(), KeyKind::Rsa { bits: 2048 }.algorithms());
    }

    #[test]
    fn pss_and_ecdsa_signatures_verify_and_differ_from_pkcs1() {
        let (k, c) = generate_self_signed("pss", 1).unwrap();
        let sk = PemSigner::from_pem(&k, &c).unwrap();
        let cert = sk.certificate();
        let pss = sk.sign(Algorithm::RsaPssSha256, b"data").unwrap();
        assert!(cert.verify(Algorithm::RsaPssSha256, b"data", &pss).unwrap());
        assert!(!cert.verify(Algorithm::RsaSha256, b"data", &pss).unwrap());
        assert!(!cert
            .verify(Algorithm::RsaPssSha256, b"other", &pss)
            .unwrap());
        // PSS is randomised: two signatures of the same data differ.
        assert_ne!(pss, sk.sign(Algorithm::RsaPssSha256, b"data").unwrap());
        assert!(matches!(
            sk.sign(Algorithm::EcdsaP256Sha256, b"data"),
            Err(KeyError::AlgorithmNotSupported { .. })
        ));

        let (k, c) = generate_self_signed_ec("ec", 1).unwrap();
        let ec = PemSigner::from_pem(&k, &c).unwrap();
        assert_eq!(ec.certificate().kind(), KeyKind::EcP256);
        let sig = ec.sign(Algorithm::EcdsaP256Sha256, b"data").unwrap();
        assert_eq!(sig.len(), 64, "r || s, not DER");
        assert!(ec
            .certificate()
            .verify(Algorithm::EcdsaP256Sha256, b"data", &sig)
            .unwrap());
        assert!(!ec
            .certificate()
            .verify(Algorithm::EcdsaP256Sha256, b"datb", &sig)
            .unwrap());
        for alg in [Algorithm::RsaSha256, Algorithm::RsaPssSha256] {
            assert!(matches!(
                ec.sign(alg, b"data"),
                Err(KeyError::AlgorithmNotSupported { .. })
            ));
        }
    }

    #[test]
    fn pkcs1_and_sec1_keys_are_accepted() {
        let (k, c) = generate_self_signed("pkcs1", 1).unwrap();
        let rsa = Rsa::private_key_from_pem(&k).unwrap();
        let pkcs1 = rsa.private_key_to_pem().unwrap();
        assert!(String::from_utf8_lossy(&pkcs1).contains("BEGIN RSA PRIVATE KEY"));
        PemSigner::from_pem(&pkcs1, &c).unwrap();
        let (k, c) = generate_self_signed_ec("sec1", 1).unwrap();
        let sec1 = PKey::private_key_from_pem(&k)
            .unwrap()
            .ec_key()
            .unwrap()
            .private_key_to_pem()
            .unwrap();
        assert!(String::from_utf8_lossy(&sec1).contains("BEGIN EC PRIVATE KEY"));
        PemSigner::from_pem(&sec1, &c).unwrap();
    }

    #[test]
    fn mismatched_certificate_is_refused() {
        let (k1, _) = generate_self_signed("one", 1).unwrap();
        let (_, c2) = generate_self_signed("two", 1).unwrap();
        assert!(matches!(
            PemSigner::from_pem(&k1, &c2),
            Err(KeyError::CertKeyMismatch)
        ));
        let (_, ec) = generate_self_signed_ec("three", 1).unwrap();
        assert!(matches!(
            PemSigner::from_pem(&k1, &ec),
            Err(KeyError::CertKeyMismatch)
        ));
    }

    #[test]
    fn short_rsa_key_is_refused() {
        let key = PKey::from_rsa(Rsa::generate(1024).unwrap()).unwrap();
        let pem = key.private_key_to_pem_pkcs8().unwrap();
        let (_, c) = generate_self_signed("x", 1).unwrap();
        assert!(matches!(
            PemSigner::from_pem(&pem, &c),
            Err(KeyError::KeyTooShort(1024))
        ));
        // A short key in the certificate alone is refused too.
        let (_, short_cert) = self_signed(&key, "short", 1).unwrap();
        assert!(matches!(
            Certificate::from_pem(&short_cert),
            Err(KeyError::KeyTooShort(1024))
        ));
    }

    #[test]
    fn other_curves_and_key_types_are_refused() {
        let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::SECP384R1).unwrap();
        let ec = openssl::ec::EcKey::generate(&group).unwrap();
        let pem = PKey::from_ec_key(ec)
            .unwrap()
            .private_key_to_pem_pkcs8()
            .unwrap();
        let (_, c) = generate_self_signed("x", 1).unwrap();
        assert!(matches!(
            PemSigner::from_pem(&pem, &c),
            Err(KeyError::UnsupportedCurve)
        ));
        let ed = PKey::generate_ed25519().unwrap();
        let pem = ed.private_key_to_pem_pkcs8().unwrap();
        assert!(matches!(
            PemSigner::from_pem(&pem, &c),
            Err(KeyError::UnsupportedKeyType)
        ));
    }

    #[test]
    fn garbage_is_refused() {
        let (k, c) = generate_self_signed("x", 1).unwrap();
        assert!(matches!(
            PemSigner::from_pem(b"nope", &c),
            Err(KeyError::BadPrivateKey(_))
        ));
        assert!(matches!(
            PemSigner::from_pem(&k, b"nope"),
            Err(KeyError::BadCertificate(_))
        ));
    }

    #[test]
    fn debug_does_not_print_the_key() {
        let (k, c) = generate_self_signed("debug-test", 1).unwrap();
        let sk = PemSigner::from_pem(&k, &c).unwrap();
        let d = format!("{sk:?} {sk:#?}");
        assert!(d.contains("redacted"));
        assert!(d.contains("debug-test"));
        assert!(!d.contains("PRIVATE"));
        let rsa = sk.key.rsa().unwrap();
        let d_hex = rsa.d().to_hex_str().unwrap().to_string();
        assert!(!d.to_uppercase().contains(&d_hex[..16]));
    }
}
