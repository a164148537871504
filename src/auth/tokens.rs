//! Random tokens and keyed hashes. Tokens come from the shared ChaCha20 CSPRNG; only their keyed hashes
//! (HMAC-SHA256) are stored; comparisons are constant-time.
use super::AuthError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;

/// A CSPRNG handle shared by the app: ChaCha20 seeded from the operating system.
#[derive(Clone)]
pub struct Csprng(Arc<Mutex<ChaCha20Rng>>);

impl std::fmt::Debug for Csprng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Csprng(ChaCha20)")
    }
}

impl Csprng {
    pub fn from_os() -> Self {
        Self(Arc::new(Mutex::new(ChaCha20Rng::from_os_rng())))
    }
    /// Deterministic, for tests only.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(Arc::new(Mutex::new(ChaCha20Rng::from_seed(seed))))
    }
    pub fn fill(&self, buf: &mut [u8]) {
        let mut g = match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.fill(buf);
    }
    /// A uniformly random number in `0..bound`.
    pub fn below(&self, bound: u64) -> u64 {
        let mut g = match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.random_range(0..bound)
    }
    /// 256 random bits, URL-safe base64.
    pub fn token(&self) -> String {
        let mut b = [0u8; 32];
        self.fill(&mut b);
        URL_SAFE_NO_PAD.encode(b)
    }
    /// An XML ID: starts with a letter, 160 random bits.
    pub fn xml_id(&self) -> String {
        let mut b = [0u8; 20];
        self.fill(&mut b);
        format!("_{}", hex(&b))
    }
}

pub fn hex(b: &[u8]) -> String {
    hex::encode(b)
}

type HmacSha256 = Hmac<sha2::Sha256>;

/// HMAC-SHA256 with a server secret: the keyed hash used for tokens, codes and CSRF.
#[derive(Clone)]
pub struct Keyed {
    /// The HMAC state with the key already absorbed, cloned per use (building the key per call, and
    /// OpenSSL's per-call algorithm lookup, showed in profiles).
    mac: HmacSha256,
}

impl std::fmt::Debug for Keyed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyed(<redacted>)")
    }
}

impl Keyed {
    pub fn new(secret: &str) -> Result<Self, AuthError> {
        // HMAC takes a key of any length; this cannot fail.
        let mac = HmacSha256::new_from_slice(secret.as_bytes())
            .map_err(|e| AuthError::Hash(format!("HMAC key: {e}")))?;
        Ok(Self { mac })
    }
    pub fn mac(&self, parts: &[&[u8]]) -> Result<Vec<u8>, AuthError> {
        let mut m = self.mac.clone();
        for p in parts {
            // Length-prefix each part so ("ab","c") and ("a","bc") differ.
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        Ok(m.finalize().into_bytes().to_vec())
    }
    pub fn mac_hex(&self, domain: &str, parts: &[&[u8]]) -> Result<String, AuthError> {
        let mut all: Vec<&[u8]> = vec![domain.as_bytes()];
        all.extend_from_slice(parts);
        Ok(hex(&self.mac(&all)?))
    }
    pub fn mac_b64(&self, domain: &str, parts: &[&[u8]]) -> Result<String, AuthError> {
        let mut all: Vec<&[u8]> = vec![domain.as_bytes()];
        all.extend_from_slice(parts);
        Ok(URL_SAFE_NO_PAD.encode(self.mac(&all)?))
    }
}

/// Constant-time equality of two strings (different lengths are simply unequal).
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    /// Stored token hashes and codes must keep verifying: the keyed hash is the same HMAC-SHA256 as
    /// OpenSSL computes (what earlier versions stored).
    #[test]
    fn keyed_hash_equals_openssl_hmac_sha256() {
        use openssl::hash::MessageDigest;
        use openssl::pkey::PKey;
        use openssl::sign::Signer;
        let secret = "a-test-secret-of-some-length-0123456789";
        let parts: [&[u8]; 3] = [b"otp", b"tx-1", "čšž 123456".as_bytes()];
        let key = PKey::hmac(secret.as_bytes()).expect("key");
        let mut s = Signer::new(MessageDigest::sha256(), &key).expect("signer");
        for p in parts {
            s.update(&(p.len() as u64).to_be_bytes()).expect("update");
            s.update(p).expect("update");
        }
        let expected = hex(&s.sign_to_vec().expect("sign"));
        let k = Keyed::new(secret).expect("keyed");
        assert_eq!(
            k.mac_hex("otp", &[b"tx-1", "čšž 123456".as_bytes()]).ok(),
            Some(expected)
        );
    }

    #[test]
    fn ct_eq_handles_length_mismatch_without_panic() {
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abcd"));
        assert!(!ct_eq("", "a"));
    }

    #[test]
    fn macs_are_domain_separated_and_keyed() {
        let (Ok(k), Ok(k2)) = (
            Keyed::new("k1-0123456789012345678901234567890"),
            Keyed::new("k2-0123456789012345678901234567890"),
        ) else {
            panic!("keys")
        };
        let a = k.mac_hex("a", &[b"x"]).ok();
        let b = k.mac_hex("b", &[b"x"]).ok();
        let c = k2.mac_hex("a", &[b"x"]).ok();
        assert!(a.is_some());
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(
            k.mac_hex("d", &[b"ab", b"c"]).ok(),
            k.mac_hex("d", &[b"a", b"bc"]).ok()
        );
    }

    #[test]
    fn tokens_are_unique() {
        let r = Csprng::from_os();
        assert_ne!(r.token(), r.token());
        assert_eq!(r.token().len(), 43);
    }
}
