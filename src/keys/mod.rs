//! The key ring: the IdP's signing keys behind one `Signer` trait, with a PEM (openssl) and a
//! PKCS#11 (cryptoki) backend, one active key and an optional next key.
//!
//! Guarantees (negative tests in the submodules and in `tests/keyring.rs`):
//! - only RSA keys of at least 2048 bits and EC keys on P-256 are accepted (`cert`);
//! - every key's certificate carries the key's public key: a PEM pair is compared, and every key
//!   in the ring signs a test message at load that must verify with its certificate under the
//!   key's algorithm, so what is published always verifies what is signed (`ring`);
//! - algorithms are RSA-SHA256 (PKCS#1 v1.5), RSA-PSS-SHA256 (MGF1-SHA256, 32-byte salt) and
//!   ECDSA-P256-SHA256; a key signs only with an algorithm its type allows;
//! - ECDSA signatures come out as the raw `r || s` pair (32 octets each), the form XML-DSig
//!   (RFC 4050, RFC 6931) puts into SignatureValue, whatever the backend produced;
//! - private keys and PINs never appear in `Debug` output or errors;
//! - a backend that may block (an HSM round trip) is signed on a blocking thread by `sign_async`.
//!
//! Imports nothing of ours above `domain`: saml/ and signing/ use this module, not the reverse.
mod cert;
mod pem;
mod pkcs11;
mod ring;

pub use cert::{Certificate, KeyKind};
pub use pem::{generate_self_signed, generate_self_signed_ec, PemSigner};
pub use pkcs11::{Pkcs11Settings, Pkcs11Signer};
pub use ring::{KeyRing, RingKey};

/// Smallest RSA modulus we accept.
pub const MIN_RSA_BITS: u32 = 2048;

/// A signature algorithm of the ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaSha256,
    /// RSASSA-PSS with SHA-256, MGF1 with SHA-256, a 32-octet salt, trailer field 1.
    RsaPssSha256,
    /// ECDSA on P-256 with SHA-256; the signature is `r || s`.
    EcdsaP256Sha256,
}

impl Algorithm {
    pub const ALL: [Algorithm; 3] = [
        Algorithm::RsaSha256,
        Algorithm::RsaPssSha256,
        Algorithm::EcdsaP256Sha256,
    ];

    /// The name used in the configuration (`algorithm = "rsa-pss-sha256"`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RsaSha256 => "rsa-sha256",
            Algorithm::RsaPssSha256 => "rsa-pss-sha256",
            Algorithm::EcdsaP256Sha256 => "ecdsa-sha256",
        }
    }

    /// The algorithm of a configuration name.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot parse the private key (expected PEM: PKCS#8, PKCS#1 RSA or SEC1 EC)")]
    BadPrivateKey(#[source] openssl::error::ErrorStack),
    #[error("cannot parse the certificate (expected PEM X.509)")]
    BadCertificate(#[source] openssl::error::ErrorStack),
    #[error("the key is neither RSA nor EC")]
    UnsupportedKeyType,
    #[error("the EC key is not on P-256 (prime256v1); only P-256 is supported")]
    UnsupportedCurve,
    #[error("the RSA key has {0} bits; at least {MIN_RSA_BITS} are required")]
    KeyTooShort(u32),
    #[error("the certificate does not belong to the private key")]
    CertKeyMismatch,
    #[error("the certificate validity date cannot be read")]
    BadCertTime,
    #[error("the certificate common name is invalid")]
    BadCommonName,
    #[error("a {kind} key cannot sign with {alg}")]
    AlgorithmNotSupported { kind: &'static str, alg: Algorithm },
    #[error("the signature made at load does not verify with the certificate: the certificate does not belong to the key, or the token signs wrongly")]
    SelfTestFailed,
    #[error("{0}")]
    Pkcs11(String),
    #[error("the signing thread did not finish")]
    Blocking,
    #[error("openssl error")]
    Openssl(#[from] openssl::error::ErrorStack),
}

/// Something that signs with one private key and knows the certificate that publishes it.
pub trait Signer: Send + Sync + std::fmt::Debug {
    /// Signs `data` (the whole message; hashing is part of `alg`). ECDSA gives `r || s`.
    fn sign(&self, alg: Algorithm, data: &[u8]) -> Result<Vec<u8>, KeyError>;

    /// The certificate of the key.
    fn certificate(&self) -> &Certificate;

    /// The algorithms this key can sign with.
    fn algorithms(&self) -> &'static [Algorithm] {
        self.certificate().kind().algorithms()
    }

    /// True when a signature may wait on something outside this process (a PKCS#11 token), so an
    /// async caller should sign on a blocking thread.
    fn may_block(&self) -> bool {
        false
    }
}

/// Converts a DER ECDSA-Sig-Value to `r || s` with each half left-padded to `half` octets.
pub(crate) fn ecdsa_der_to_raw(der: &[u8], half: usize) -> Result<Vec<u8>, KeyError> {
    let sig = openssl::ecdsa::EcdsaSig::from_der(der)?;
    let r = sig
        .r()
        .to_vec_padded(i32::try_from(half).map_err(|_| KeyError::SelfTestFailed)?)?;
    let s = sig
        .s()
        .to_vec_padded(i32::try_from(half).map_err(|_| KeyError::SelfTestFailed)?)?;
    Ok([r, s].concat())
}

/// Converts `r || s` back to a DER ECDSA-Sig-Value (for verification with openssl).
pub(crate) fn ecdsa_raw_to_der(raw: &[u8]) -> Result<Vec<u8>, KeyError> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return Err(KeyError::SelfTestFailed);
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let r = openssl::bn::BigNum::from_slice(r)?;
    let s = openssl::bn::BigNum::from_slice(s)?;
    Ok(openssl::ecdsa::EcdsaSig::from_private_components(r, s)?.to_der()?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_round_trip() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(a.name()), Some(a));
        }
        assert_eq!(Algorithm::from_name("rsa-sha1"), None);
        assert_eq!(Algorithm::from_name("RSA-SHA256"), None);
    }

    #[test]
    fn ecdsa_encodings_round_trip_with_padding() {
        let group =
            openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
        let key = openssl::ec::EcKey::generate(&group).unwrap();
        // Enough signatures that some r or s has a leading zero octet (about 1 in 128 each).
        for i in 0..400u32 {
            let digest = openssl::sha::sha256(&i.to_be_bytes());
            let der = openssl::ecdsa::EcdsaSig::sign(&digest, &key)
                .unwrap()
                .to_der()
                .unwrap();
            let raw = ecdsa_der_to_raw(&der, 32).unwrap();
            assert_eq!(raw.len(), 64);
            let back = ecdsa_raw_to_der(&raw).unwrap();
            let sig = openssl::ecdsa::EcdsaSig::from_der(&back).unwrap();
            assert!(sig.verify(&digest, &key).unwrap());
        }
        assert!(ecdsa_raw_to_der(&[1, 2, 3]).is_err());
        assert!(ecdsa_raw_to_der(&[]).is_err());
    }
}
