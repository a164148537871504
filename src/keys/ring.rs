//! The ring: one active key (everything signs with it) and an optional next key (published so
//! that e-services trust it before it becomes active).
use std::sync::Arc;

use super::{Algorithm, Certificate, KeyError, Signer};

/// What a key is signed and verified with at load: a key whose certificate does not verify this
/// is refused.
const SELF_TEST: &[u8] = b"pass-idp key ring: the certificate must verify what the key signs";

/// A configured key: its id, the algorithm it signs with, and the signer.
#[derive(Debug, Clone)]
pub struct RingKey {
    id: String,
    algorithm: Algorithm,
    signer: Arc<dyn Signer>,
}

impl RingKey {
    /// A key that signs with `algorithm` (default: RSA-SHA256 for RSA keys, ECDSA-SHA256 for EC
    /// keys). Signs a test message and verifies it with the certificate, so a certificate that
    /// does not belong to the key (or a token that signs wrongly) is refused here.
    pub fn new(
        id: impl Into<String>,
        algorithm: Option<Algorithm>,
        signer: Arc<dyn Signer>,
    ) -> Result<RingKey, KeyError> {
        let kind = signer.certificate().kind();
        let algorithm = algorithm.unwrap_or_else(|| kind.default_algorithm());
        kind.check(algorithm)?;
        let sig = signer.sign(algorithm, SELF_TEST)?;
        if !signer.certificate().verify(algorithm, SELF_TEST, &sig)? {
            return Err(KeyError::SelfTestFailed);
        }
        Ok(RingKey {
            id: id.into(),
            algorithm,
            signer,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn certificate(&self) -> &Certificate {
        self.signer.certificate()
    }

    /// Signs on this thread (also when the backend may block).
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.signer.sign(self.algorithm, data)
    }

    /// Signs without holding up the async runtime: a backend that may block signs on a blocking
    /// thread; an in-memory key signs here, as a plain call would.
    pub async fn sign_async(&self, data: Vec<u8>) -> Result<Vec<u8>, KeyError> {
        if !self.signer.may_block() {
            return self.sign(&data);
        }
        let signer = self.signer.clone();
        let alg = self.algorithm;
        tokio::task::spawn_blocking(move || signer.sign(alg, &data))
            .await
            .map_err(|_| KeyError::Blocking)?
    }
}

/// The IdP's signing keys.
#[derive(Debug, Clone)]
pub struct KeyRing {
    active: RingKey,
    next: Option<RingKey>,
}

#[derive(Debug, thiserror::Error)]
#[error("the active and the next key both have the id {0:?}")]
pub struct DuplicateId(pub String);

impl KeyRing {
    pub fn new(active: RingKey, next: Option<RingKey>) -> Result<KeyRing, DuplicateId> {
        if let Some(n) = &next {
            if n.id == active.id {
                return Err(DuplicateId(n.id.clone()));
            }
        }
        Ok(KeyRing { active, next })
    }

    /// A ring of one active key.
    pub fn single(active: RingKey) -> KeyRing {
        KeyRing { active, next: None }
    }

    /// The key that signs.
    pub fn active(&self) -> &RingKey {
        &self.active
    }

    /// The key that will sign after the next switch, published already.
    pub fn next(&self) -> Option<&RingKey> {
        self.next.as_ref()
    }

    /// The certificates to publish: the active one first, then the next one (one entry when both
    /// keys carry the same certificate).
    pub fn published(&self) -> Vec<&Certificate> {
        let mut out = vec![self.active.certificate()];
        if let Some(n) = &self.next {
            if n.certificate().der() != self.active.certificate().der() {
                out.push(n.certificate());
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::keys::{generate_self_signed, generate_self_signed_ec, KeyKind, PemSigner};

    fn pem(ec: bool) -> Arc<dyn Signer> {
        let (k, c) = if ec {
            generate_self_signed_ec("ring", 1).unwrap()
        } else {
            generate_self_signed("ring", 1).unwrap()
        };
        Arc::new(PemSigner::from_pem(&k, &c).unwrap())
    }

    /// A signer whose certificate belongs to another key (as a token with a wrong certificate
    /// file would be).
    #[derive(Debug)]
    struct Liar {
        signs: Arc<dyn Signer>,
        cert: Certificate,
    }

    impl Signer for Liar {
        fn sign(&self, alg: Algorithm, data: &[u8]) -> Result<Vec<u8>, KeyError> {
            self.signs.sign(alg, data)
        }
        fn certificate(&self) -> &Certificate {
            &self.cert
        }
        fn may_block(&self) -> bool {
            true
        }
    }

    #[test]
    fn default_algorithms_follow_the_key_type() {
        let rsa = RingKey::new("a", None, pem(false)).unwrap();
        assert_eq!(rsa.algorithm(), Algorithm::RsaSha256);
        let ec = RingKey::new("b", None, pem(true)).unwrap();
        assert_eq!(ec.algorithm(), Algorithm::EcdsaP256Sha256);
        let pss = RingKey::new("c", Some(Algorithm::RsaPssSha256), pem(false)).unwrap();
        assert_eq!(pss.algorithm(), Algorithm::RsaPssSha256);
        assert!(matches!(
            RingKey::new("d", Some(Algorithm::RsaPssSha256), pem(true)),
            Err(KeyError::AlgorithmNotSupported {
                kind: "EC P-256",
                ..
            })
        ));
        assert!(matches!(
            RingKey::new("e", Some(Algorithm::EcdsaP256Sha256), pem(false)),
            Err(KeyError::AlgorithmNotSupported { kind: "RSA", .. })
        ));
        assert_eq!(
            KeyKind::Rsa { bits: 3072 }.default_algorithm(),
            Algorithm::RsaSha256
        );
    }

    #[test]
    fn a_certificate_of_another_key_fails_the_self_test() {
        let other = pem(false);
        let liar = Arc::new(Liar {
            signs: pem(false),
            cert: other.certificate().clone(),
        });
        assert!(matches!(
            RingKey::new("x", None, liar),
            Err(KeyError::SelfTestFailed)
        ));
    }

    #[tokio::test]
    async fn async_signing_on_a_blocking_thread_gives_the_same_kind_of_signature() {
        let signs = pem(false);
        let honest = Arc::new(Liar {
            cert: signs.certificate().clone(),
            signs,
        });
        let key = RingKey::new("hsm", Some(Algorithm::RsaPssSha256), honest).unwrap();
        let sig = key.sign_async(b"abc".to_vec()).await.unwrap();
        assert!(key
            .certificate()
            .verify(Algorithm::RsaPssSha256, b"abc", &sig)
            .unwrap());
    }

    #[test]
    fn published_certificates_active_first_and_ids_distinct() {
        let a = RingKey::new("2026", None, pem(false)).unwrap();
        let n = RingKey::new("hsm", None, pem(true)).unwrap();
        let ring = KeyRing::new(a.clone(), Some(n.clone())).unwrap();
        let p = ring.published();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].der(), a.certificate().der());
        assert_eq!(p[1].der(), n.certificate().der());
        assert_eq!(ring.active().id(), "2026");
        let same = RingKey::new("2026", None, pem(false)).unwrap();
        assert!(KeyRing::new(a.clone(), Some(same)).is_err());
        assert_eq!(KeyRing::single(a).published().len(), 1);
    }
}
