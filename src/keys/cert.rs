//! A signing certificate: what is published (DER, base64), what it says (subject, not-after) and
//! what kind of key it carries. Only RSA ≥ 2048 bits and EC P-256 public keys are accepted.
use base64::Engine as _;
use chrono::{DateTime, Utc};
use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{HasPublic, Id, PKey, PKeyRef, Public};
use openssl::x509::X509;

use super::{ecdsa_raw_to_der, Algorithm, KeyError, MIN_RSA_BITS};

/// The type of a key, as far as signing cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa { bits: u32 },
    EcP256,
}

impl KeyKind {
    /// Checks a key (public or private) and tells its kind.
    pub fn of<T: HasPublic>(key: &PKeyRef<T>) -> Result<KeyKind, KeyError> {
        match key.id() {
            Id::RSA => {
                let bits = key.bits();
                if bits < MIN_RSA_BITS {
                    return Err(KeyError::KeyTooShort(bits));
                }
                Ok(KeyKind::Rsa { bits })
            }
            Id::EC => {
                let ec = key.ec_key()?;
                if ec.group().curve_name() != Some(Nid::X9_62_PRIME256V1) {
                    return Err(KeyError::UnsupportedCurve);
                }
                Ok(KeyKind::EcP256)
            }
            _ => Err(KeyError::UnsupportedKeyType),
        }
    }

    /// The algorithms a key of this kind signs with; the first is the default.
    pub fn algorithms(self) -> &'static [Algorithm] {
        match self {
            KeyKind::Rsa { .. } => &[Algorithm::RsaSha256, Algorithm::RsaPssSha256],
            KeyKind::EcP256 => &[Algorithm::EcdsaP256Sha256],
        }
    }

    pub fn default_algorithm(self) -> Algorithm {
        match self {
            KeyKind::Rsa { .. } => Algorithm::RsaSha256,
            KeyKind::EcP256 => Algorithm::EcdsaP256Sha256,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Rsa { .. } => "RSA",
            KeyKind::EcP256 => "EC P-256",
        }
    }

    /// Err unless a key of this kind can sign with `alg`.
    pub fn check(self, alg: Algorithm) -> Result<(), KeyError> {
        if self.algorithms().contains(&alg) {
            Ok(())
        } else {
            Err(KeyError::AlgorithmNotSupported {
                kind: self.name(),
                alg,
            })
        }
    }
}

/// A parsed signing certificate.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    b64: String,
    not_after: DateTime<Utc>,
    subject: String,
    kind: KeyKind,
    public: PKey<Public>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("not_after", &self.not_after)
            .field("kind", &self.kind)
            .finish()
    }
}

impl Certificate {
    /// The first certificate of a PEM file; its public key must be RSA ≥ 2048 or EC P-256.
    pub fn from_pem(pem: &[u8]) -> Result<Certificate, KeyError> {
        let cert = X509::from_pem(pem).map_err(KeyError::BadCertificate)?;
        Self::from_x509(&cert)
    }

    pub fn from_x509(cert: &X509) -> Result<Certificate, KeyError> {
        let public = cert.public_key().map_err(KeyError::BadCertificate)?;
        let kind = KeyKind::of(&public)?;
        let der = cert.to_der()?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let not_after = asn1_to_utc(cert.not_after())?;
        let subject = cert
            .subject_name()
            .entries()
            .map(|e| String::from_utf8_lossy(e.data().as_slice()).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        Ok(Certificate {
            der,
            b64,
            not_after,
            subject,
            kind,
            public,
        })
    }

    /// The certificate, DER encoded.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// DER in standard base64 without line breaks (for `ds:X509Certificate`).
    pub fn base64(&self) -> &str {
        &self.b64
    }

    /// End of the validity (for expiry warnings).
    pub fn not_after(&self) -> DateTime<Utc> {
        self.not_after
    }

    /// The subject's attribute values, joined by ", ".
    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The public key as SubjectPublicKeyInfo DER (to recognise a published development key).
    pub fn public_key_der(&self) -> Result<Vec<u8>, KeyError> {
        Ok(self.public.public_key_to_der()?)
    }

    /// True when `signature` over `data` verifies with this certificate's key under `alg`.
    pub fn verify(&self, alg: Algorithm, data: &[u8], signature: &[u8]) -> Result<bool, KeyError> {
        self.kind.check(alg)?;
        let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), &self.public)?;
        let der;
        let signature = match alg {
            Algorithm::RsaSha256 => signature,
            Algorithm::RsaPssSha256 => {
                v.set_rsa_padding(openssl::rsa::Padding::PKCS1_PSS)?;
                v.set_rsa_mgf1_md(MessageDigest::sha256())?;
                v.set_rsa_pss_saltlen(openssl::sign::RsaPssSaltlen::custom(32))?;
                signature
            }
            Algorithm::EcdsaP256Sha256 => {
                if signature.len() != 64 {
                    return Ok(false);
                }
                der = ecdsa_raw_to_der(signature)?;
                &der
            }
        };
        v.update(data)?;
        Ok(v.verify(signature).unwrap_or(false))
    }
}

fn asn1_to_utc(t: &openssl::asn1::Asn1TimeRef) -> Result<DateTime<Utc>, KeyError> {
    let epoch = Asn1Time::from_unix(0)?;
    let diff = epoch.diff(t)?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    DateTime::<Utc>::from_timestamp(secs, 0).ok_or(KeyError::BadCertTime)
}
