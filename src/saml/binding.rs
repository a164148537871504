//! SAML HTTP-Redirect and HTTP-POST bindings (decode, query-signature verification, encode).
//!
//! Guarantees (each has a negative test in `binding/tests.rs`):
//! - the Redirect signature is checked over the *raw* query octets exactly as received
//!   (`SAMLRequest=…&RelayState=…&SigAlg=…`), never over a re-encoded query, so lowercase
//!   %-escapes chosen by the SP still verify and any change to a signed octet is refused;
//! - only SHA-256-or-better algorithms are accepted; SHA-1 (rsa-sha1, dsa-sha1, ecdsa-sha1) is
//!   refused with [`BindingError::WeakAlgorithm`];
//! - SigAlg without Signature (and the reverse) is refused, never a panic; garbage signatures,
//!   keys of the wrong type and unparsable certificates are refusals, never panics;
//! - only certificates given by the caller (from SP metadata) are used;
//! - DEFLATE output is capped: inflating stops at `max_inflated + 1` bytes and is refused;
//! - a POST payload larger than `max_bytes` is refused before decoding;
//! - RelayState longer than 80 bytes is refused; duplicated query parameters are refused.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::sign::{Signer, Verifier};
use openssl::x509::X509;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::io::{Read, Write};
use thiserror::Error;

pub use super::types::Binding;

/// SAML bindings 3.4.3 / 3.5.3: RelayState MUST NOT exceed 80 bytes.
pub const MAX_RELAY_STATE: usize = 80;

pub mod sig_alg {
    pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    pub const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
    pub const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
    pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
    pub const ECDSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384";
    pub const ECDSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512";
    pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
    pub const DSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#dsa-sha1";
    pub const ECDSA_SHA1: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1";
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum BindingError {
    #[error("the message has no SAMLRequest parameter")]
    MissingSamlRequest,
    #[error("query parameter {0} appears more than once")]
    DuplicateParameter(String),
    #[error("query parameter {0} is not valid percent-encoded UTF-8")]
    BadPercentEncoding(&'static str),
    #[error("{0} is not valid base64")]
    BadBase64(&'static str),
    #[error("SAMLRequest inflates to more than {max} bytes")]
    InflatedTooLarge { max: usize },
    #[error("SAMLRequest is not valid DEFLATE data: {0}")]
    Inflate(String),
    #[error("SAMLRequest is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("SAMLRequest is not UTF-8 text")]
    NotUtf8,
    #[error("RelayState is {len} bytes, more than the 80 allowed")]
    RelayStateTooLong { len: usize },
    #[error("SigAlg is present but Signature is missing")]
    SigAlgWithoutSignature,
    #[error("Signature is present but SigAlg is missing")]
    SignatureWithoutSigAlg,
    #[error("signature algorithm {0} is too weak (SHA-1); SHA-256 or better is required")]
    WeakAlgorithm(String),
    #[error("signature algorithm {0} is not supported")]
    UnsupportedAlgorithm(String),
    #[error("the service provider's metadata has no signing certificate")]
    NoCertificates,
    #[error("the signature does not verify with any certificate from the metadata")]
    SignatureInvalid,
    #[error("could not sign or encode: {0}")]
    Encode(String),
}

/// A message decoded from one of the bindings. Nothing in it is trusted yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    pub binding: Binding,
    pub xml: String,
    pub relay_state: Option<String>,
    pub redirect_signature: Option<RedirectSignature>,
}

/// Query signature of an HTTP-Redirect message (SAML bindings 3.4.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectSignature {
    pub sig_alg: String,
    pub signature: Vec<u8>,
    pub signed_octets: Vec<u8>,
}

/// Base64 that tolerates missing padding (some SPs strip it); whitespace is removed beforehand.
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn b64_decode(s: &str, field: &'static str) -> Result<Vec<u8>, BindingError> {
    let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT_B64
        .decode(compact.as_bytes())
        .map_err(|_| BindingError::BadBase64(field))
}

/// Percent-decode a raw query value. `plus_is_space` applies form encoding (`+` → space); for
/// base64 values a literal `+` is kept, since base64 never contains spaces.
fn pct_decode(raw: &str, field: &'static str, plus_is_space: bool) -> Result<String, BindingError> {
    let replaced;
    let input = if plus_is_space {
        replaced = raw.replace('+', " ");
        replaced.as_str()
    } else {
        raw
    };
    percent_decode_str(input)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| BindingError::BadPercentEncoding(field))
}

fn check_relay_state(rs: Option<String>) -> Result<Option<String>, BindingError> {
    match rs {
        Some(r) if r.len() > MAX_RELAY_STATE => {
            Err(BindingError::RelayStateTooLong { len: r.len() })
        }
        other => Ok(other),
    }
}

fn inflate_capped(data: &[u8], max_inflated: usize) -> Result<Vec<u8>, BindingError> {
    let limit = u64::try_from(max_inflated)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut out = Vec::new();
    DeflateDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| BindingError::Inflate(e.to_string()))?;
    if out.len() > max_inflated {
        return Err(BindingError::InflatedTooLarge { max: max_inflated });
    }
    Ok(out)
}

/// Decode HTTP-Redirect from the RAW query string (exactly as received, not re-encoded).
pub fn decode_redirect(
    raw_query: &str,
    max_inflated: usize,
) -> Result<InboundMessage, BindingError> {
    let raw_query = raw_query.strip_prefix('?').unwrap_or(raw_query);
    let (mut req, mut rs, mut alg, mut sig) = (None, None, None, None);
    for part in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let slot = match key {
            "SAMLRequest" => &mut req,
            "RelayState" => &mut rs,
            "SigAlg" => &mut alg,
            "Signature" => &mut sig,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(BindingError::DuplicateParameter(key.to_string()));
        }
    }
    let raw_req: &str = req.ok_or(BindingError::MissingSamlRequest)?;
    let relay_state = rs.map(|r| pct_decode(r, "RelayState", true)).transpose()?;
    let relay_state = check_relay_state(relay_state)?;

    let redirect_signature = match (alg, sig) {
        (None, None) => None,
        (Some(_), None) => return Err(BindingError::SigAlgWithoutSignature),
        (None, Some(_)) => return Err(BindingError::SignatureWithoutSigAlg),
        (Some(raw_alg), Some(raw_sig)) => {
            let sig_alg = pct_decode(raw_alg, "SigAlg", true)?;
            let signature = b64_decode(&pct_decode(raw_sig, "Signature", false)?, "Signature")?;
            let mut signed = format!("SAMLRequest={raw_req}");
            if let Some(r) = rs {
                signed.push_str("&RelayState=");
                signed.push_str(r);
            }
            signed.push_str("&SigAlg=");
            signed.push_str(raw_alg);
            Some(RedirectSignature {
                sig_alg,
                signature,
                signed_octets: signed.into_bytes(),
            })
        }
    };

    let deflated = b64_decode(&pct_decode(raw_req, "SAMLRequest", false)?, "SAMLRequest")?;
    let inflated = inflate_capped(&deflated, max_inflated)?;
    let xml = String::from_utf8(inflated).map_err(|_| BindingError::NotUtf8)?;
    Ok(InboundMessage {
        binding: Binding::HttpRedirect,
        xml,
        relay_state,
        redirect_signature,
    })
}

/// HTTP-POST: base64 SAMLRequest (whitespace tolerated), RelayState (<= 80 bytes).
pub fn decode_post(
    saml_request_b64: &str,
    relay_state: Option<&str>,
    max_bytes: usize,
) -> Result<InboundMessage, BindingError> {
    // 4 base64 characters carry 3 bytes: refuse oversize input before decoding it.
    if saml_request_b64.len() / 4 > max_bytes / 3 + 4 {
        return Err(BindingError::TooLarge { max: max_bytes });
    }
    let relay_state = check_relay_state(relay_state.map(str::to_string))?;
    let bytes = b64_decode(saml_request_b64, "SAMLRequest")?;
    if bytes.len() > max_bytes {
        return Err(BindingError::TooLarge { max: max_bytes });
    }
    let xml = String::from_utf8(bytes).map_err(|_| BindingError::NotUtf8)?;
    Ok(InboundMessage {
        binding: Binding::HttpPost,
        xml,
        relay_state,
        redirect_signature: None,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    Ec,
}

fn algorithm(uri: &str) -> Result<(MessageDigest, KeyKind), BindingError> {
    use sig_alg::*;
    match uri {
        RSA_SHA256 => Ok((MessageDigest::sha256(), KeyKind::Rsa)),
        RSA_SHA384 => Ok((MessageDigest::sha384(), KeyKind::Rsa)),
        RSA_SHA512 => Ok((MessageDigest::sha512(), KeyKind::Rsa)),
        ECDSA_SHA256 => Ok((MessageDigest::sha256(), KeyKind::Ec)),
        ECDSA_SHA384 => Ok((MessageDigest::sha384(), KeyKind::Ec)),
        ECDSA_SHA512 => Ok((MessageDigest::sha512(), KeyKind::Ec)),
        RSA_SHA1 | DSA_SHA1 | ECDSA_SHA1 => Err(BindingError::WeakAlgorithm(uri.to_string())),
        _ => Err(BindingError::UnsupportedAlgorithm(uri.to_string())),
    }
}

fn key_kind(id: Id) -> Option<KeyKind> {
    match id {
        Id::RSA => Some(KeyKind::Rsa),
        Id::EC => Some(KeyKind::Ec),
        _ => None,
    }
}

/// XML-DSig ECDSA signature values are r||s; convert to DER for OpenSSL. DER input is accepted too.
fn ecdsa_to_der(sig: &[u8]) -> Option<Vec<u8>> {
    if sig.first() == Some(&0x30) {
        if let Ok(s) = EcdsaSig::from_der(sig) {
            return s.to_der().ok();
        }
    }
    if sig.is_empty() || !sig.len().is_multiple_of(2) {
        return None;
    }
    let (r, s) = sig.split_at(sig.len() / 2);
    let s =
        EcdsaSig::from_private_components(BigNum::from_slice(r).ok()?, BigNum::from_slice(s).ok()?)
            .ok()?;
    s.to_der().ok()
}

fn verify_with_key(
    key: &PKey<Public>,
    md: MessageDigest,
    kind: KeyKind,
    sig: &RedirectSignature,
) -> bool {
    let signature = match kind {
        KeyKind::Rsa => sig.signature.clone(),
        KeyKind::Ec => match ecdsa_to_der(&sig.signature) {
            Some(der) => der,
            None => return false,
        },
    };
    let Ok(mut verifier) = Verifier::new(md, key) else {
        return false;
    };
    if verifier.update(&sig.signed_octets).is_err() {
        return false;
    }
    verifier.verify(&signature).unwrap_or(false)
}

/// Verify a redirect signature over signed_octets with the SP's metadata certs (any of them).
pub fn verify_redirect_signature(
    sig: &RedirectSignature,
    certs_der: &[Vec<u8>],
) -> Result<(), BindingError> {
    let (md, kind) = algorithm(&sig.sig_alg)?;
    if certs_der.is_empty() {
        return Err(BindingError::NoCertificates);
    }
    if sig.signature.is_empty() {
        return Err(BindingError::SignatureInvalid);
    }
    for der in certs_der {
        let Ok(cert) = X509::from_der(der) else {
            continue;
        };
        let Ok(key) = cert.public_key() else {
            continue;
        };
        if key_kind(key.id()) != Some(kind) {
            continue;
        }
        if verify_with_key(&key, md, kind, sig) {
            return Ok(());
        }
    }
    Err(BindingError::SignatureInvalid)
}

/// Characters left as they are in a query value: RFC 3986 unreserved.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc_err(e: impl std::fmt::Display) -> BindingError {
    BindingError::Encode(e.to_string())
}

/// For tests and for the project's own test SP: sign + encode a redirect query
/// (deflate + base64 + urlencode). Returns the query string without a leading `?`.
pub fn encode_redirect_query(
    xml: &str,
    relay_state: Option<&str>,
    sign_with: Option<(&PKey<Private>, &str)>,
) -> Result<String, BindingError> {
    let mut enc = DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(xml.as_bytes()).map_err(enc_err)?;
    let deflated = enc.finish().map_err(enc_err)?;
    let mut query = format!(
        "SAMLRequest={}",
        utf8_percent_encode(&STANDARD.encode(deflated), QUERY_VALUE)
    );
    if let Some(rs) = relay_state {
        if rs.len() > MAX_RELAY_STATE {
            return Err(BindingError::RelayStateTooLong { len: rs.len() });
        }
        query.push_str("&RelayState=");
        query.push_str(&utf8_percent_encode(rs, QUERY_VALUE).to_string());
    }
    if let Some((key, alg)) = sign_with {
        let (md, kind) = algorithm(alg)?;
        if key_kind(key.id()) != Some(kind) {
            return Err(BindingError::Encode(format!(
                "key type does not match {alg}"
            )));
        }
        query.push_str("&SigAlg=");
        query.push_str(&utf8_percent_encode(alg, QUERY_VALUE).to_string());
        let mut signer = Signer::new(md, key).map_err(enc_err)?;
        signer.update(query.as_bytes()).map_err(enc_err)?;
        let mut signature = signer.sign_to_vec().map_err(enc_err)?;
        if kind == KeyKind::Ec {
            signature = ecdsa_der_to_raw(key, &signature)?;
        }
        query.push_str("&Signature=");
        query.push_str(&utf8_percent_encode(&STANDARD.encode(signature), QUERY_VALUE).to_string());
    }
    Ok(query)
}

fn ecdsa_der_to_raw(key: &PKey<Private>, der: &[u8]) -> Result<Vec<u8>, BindingError> {
    let sig = EcdsaSig::from_der(der).map_err(enc_err)?;
    let ec = key.ec_key().map_err(enc_err)?;
    let mut ctx = openssl::bn::BigNumContext::new().map_err(enc_err)?;
    let mut order = BigNum::new().map_err(enc_err)?;
    ec.group().order(&mut order, &mut ctx).map_err(enc_err)?;
    let width = usize::try_from(order.num_bytes()).map_err(enc_err)?;
    let mut out = sig.r().to_vec_padded(order.num_bytes()).map_err(enc_err)?;
    out.extend(sig.s().to_vec_padded(order.num_bytes()).map_err(enc_err)?);
    debug_assert_eq!(out.len(), 2 * width);
    Ok(out)
}

#[cfg(test)]
mod tests;
