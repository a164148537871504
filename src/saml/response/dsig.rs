//! Enveloped XML signatures over elements that are already in exclusive canonical form.
//! The one signer used by the Response, the Assertion and the IdP metadata.
//!
//! Guarantees:
//! - The SignatureMethod is the algorithm of the key that signs (RSA-SHA256, RSA-PSS-SHA256 with
//!   MGF1-SHA256 and a 32-octet salt, or ECDSA-P256-SHA256 with an `r || s` value), and KeyInfo
//!   carries that key's certificate; SHA-256 digest, exclusive c14n (no comments) only.
//! - The Reference URI is `#` + the ID of the signed element, and the ID must be an NCName,
//!   so the signature always covers exactly that element.
//! - The digest is taken over the exact bytes that are published (the caller writes the element
//!   in canonical form with `CanonWriter`), and the signature is inserted where the schema wants
//!   it (the caller splits the element into `head` and `tail`).
use base64::Engine as _;

use crate::keys::{Algorithm, KeyError, RingKey};

pub(crate) const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// RFC 6931 2.3.10: RSASSA-PSS, MGF1 with the same digest, salt as long as the digest.
const RSA_PSS_SHA256: &str = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1";
/// RFC 6931 2.3.6 / RFC 4050: the value is `r || s`.
const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// The SignatureMethod URI of an algorithm.
pub(crate) fn signature_method(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::RsaSha256 => RSA_SHA256,
        Algorithm::RsaPssSha256 => RSA_PSS_SHA256,
        Algorithm::EcdsaP256Sha256 => ECDSA_SHA256,
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum DsigError {
    #[error("ID {0:?} is not a valid xs:ID (NCName)")]
    BadId(String),
    #[error("signing failed")]
    Key(#[from] KeyError),
}

/// True when `id` is an NCName (what xs:ID requires), restricted to ASCII.
pub(crate) fn is_ncname(id: &str) -> bool {
    let mut chars = id.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// An element with its SignedInfo ready, waiting for the signature value.
struct Unsigned<'a> {
    head: &'a str,
    tail: &'a str,
    signed_info_body: String,
}

impl<'a> Unsigned<'a> {
    fn new(key: &RingKey, id: &str, head: &'a str, tail: &'a str) -> Result<Self, DsigError> {
        if !is_ncname(id) {
            return Err(DsigError::BadId(id.to_string()));
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut h = openssl::sha::Sha256::new();
        h.update(head.as_bytes());
        h.update(tail.as_bytes());
        let digest = b64.encode(h.finish());
        // SignedInfo as it appears inside ds:Signature (inherits xmlns:ds) ...
        let signed_info_body = format!(
            concat!(
                "<ds:CanonicalizationMethod Algorithm=\"{c14n}\"></ds:CanonicalizationMethod>",
                "<ds:SignatureMethod Algorithm=\"{sig}\"></ds:SignatureMethod>",
                "<ds:Reference URI=\"#{id}\"><ds:Transforms>",
                "<ds:Transform Algorithm=\"{env}\"></ds:Transform>",
                "<ds:Transform Algorithm=\"{c14n}\"></ds:Transform>",
                "</ds:Transforms><ds:DigestMethod Algorithm=\"{sha}\"></ds:DigestMethod>",
                "<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"
            ),
            c14n = EXC_C14N,
            sig = signature_method(key.algorithm()),
            id = id,
            env = ENVELOPED,
            sha = SHA256,
            digest = digest
        );
        Ok(Unsigned {
            head,
            tail,
            signed_info_body,
        })
    }

    /// ... and canonicalized alone: the apex declares the ds prefix it uses. What is signed.
    fn signed_info_c14n(&self) -> Vec<u8> {
        format!(
            "<ds:SignedInfo xmlns:ds=\"{DS_NS}\">{}",
            self.signed_info_body
        )
        .into_bytes()
    }

    fn finish(self, key: &RingKey, signature: &[u8]) -> String {
        let signature_value = base64::engine::general_purpose::STANDARD.encode(signature);
        let cert = key.certificate().base64();
        let mut out = String::with_capacity(
            self.head.len() + self.tail.len() + self.signed_info_body.len() + cert.len() + 1024,
        );
        out.push_str(self.head);
        out.push_str("<ds:Signature xmlns:ds=\"");
        out.push_str(DS_NS);
        out.push_str("\"><ds:SignedInfo>");
        out.push_str(&self.signed_info_body);
        out.push_str("<ds:SignatureValue>");
        out.push_str(&signature_value);
        out.push_str("</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>");
        out.push_str(cert);
        out.push_str("</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>");
        out.push_str(self.tail);
        out
    }
}

/// Given the canonical element split as `head` + `tail` (the signature goes between them), with
/// `ID="id"` on the element, returns `head + <ds:Signature…> + tail`. A key that may block (a
/// PKCS#11 token) signs on a blocking thread, so the runtime is not held up.
pub(crate) async fn sign_enveloped_async(
    key: &RingKey,
    id: &str,
    head: &str,
    tail: &str,
) -> Result<String, DsigError> {
    let u = Unsigned::new(key, id, head, tail)?;
    let sig = key.sign_async(u.signed_info_c14n()).await?;
    Ok(u.finish(key, &sig))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ncname_check() {
        for ok in ["_abc", "a1", "_0f3c-9.x", "ID_1"] {
            assert!(is_ncname(ok), "{ok}");
        }
        for bad in ["", "1abc", "-a", "a b", "a\"b", "a:b", "a#b", "č"] {
            assert!(!is_ncname(bad), "{bad}");
        }
    }
}
