//! Remote signed metadata (how federations publish): an aggregate (md:EntitiesDescriptor, or a
//! single md:EntityDescriptor) accepted only through its signature. Protocol only, no HTTP.
//!
//! Guarantees (each has a negative test below or in tests/remote_metadata.rs):
//! - the document passes the XML guard (metadata profile) first;
//! - the root is md:EntitiesDescriptor or md:EntityDescriptor and carries an ID;
//! - there is exactly one ds:Signature, a direct child of the root, whose single Reference is
//!   "#" + the root ID, with SHA-256-or-better algorithms; it is verified by xmlsec with the
//!   configured certificate only (never one carried in the document);
//! - the root's ID is carried by the root alone (no namespace-qualified ID attribute anywhere,
//!   no duplicate ID) and the signed content must be the root itself (see `request::xmlsig`);
//! - validUntil on the root is required and must be in the future;
//! - the SPs are read ONLY from the XML the verification reduced to (the signed content);
//! - that content then passes the operator-page checks ([`ServeRules`]): schema for the whole
//!   document, and each entry alone (a failing entry is skipped with the reason, see
//!   `metadata_check::serve`).

use super::metadata::{parse_datetime, parse_sp_metadata, MetadataError, SpMetadata};
pub use super::metadata_check::serve::ServeRules;
use super::metadata_check::serve::{check_aggregate, SkippedEntity};
use super::request::xmlsig;
use super::request::RequestError;
use super::xmlguard::tree;
use super::xmlguard::{GuardOptions, XmlGuardError};
use chrono::{DateTime, Duration, Utc};
use thiserror::Error;

const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// Largest aggregate accepted (the same cap as a local metadata file).
pub const MAX_AGGREGATE_BYTES: usize = super::metadata::MAX_METADATA_BYTES;

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum RemoteMetadataError {
    #[error("unsafe or malformed metadata XML: {0}")]
    Xml(#[from] XmlGuardError),
    #[error("root element is {0}, expected md:EntitiesDescriptor or md:EntityDescriptor")]
    BadRoot(String),
    #[error("the root element has no ID, so no signature can cover it")]
    MissingId,
    #[error("signature refused: {0}")]
    Signature(String),
    #[error("the signed content is not the document's root element")]
    SignedContentMismatch,
    #[error("the root element has no validUntil")]
    MissingValidUntil,
    #[error("validUntil {0:?} is not an xs:dateTime")]
    BadValidUntil(String),
    #[error("the metadata expired at {0}")]
    Expired(DateTime<Utc>),
    #[error("cacheDuration {0:?} is not a supported xs:duration")]
    BadCacheDuration(String),
    #[error("metadata content: {0}")]
    Metadata(#[from] MetadataError),
    #[error("certificate does not load: {0}")]
    Certificate(String),
    #[error("the signed content fails the metadata checks: {0}")]
    Invalid(String),
}

impl From<RequestError> for RemoteMetadataError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Xml(x) => RemoteMetadataError::Xml(x),
            other => RemoteMetadataError::Signature(other.to_string()),
        }
    }
}

/// The DER of the first certificate in a PEM file's contents.
pub fn cert_der_from_pem(pem: &[u8]) -> Result<Vec<u8>, RemoteMetadataError> {
    openssl::x509::X509::from_pem(pem)
        .and_then(|c| c.to_der())
        .map_err(|e| RemoteMetadataError::Certificate(e.to_string()))
}

/// An accepted aggregate: its SPs that passed the checks, the entries skipped (and why), its
/// validity end and its cacheDuration (if any).
#[derive(Debug, Clone)]
pub struct VerifiedAggregate {
    pub sps: Vec<SpMetadata>,
    pub skipped: Vec<SkippedEntity>,
    pub valid_until: DateTime<Utc>,
    pub cache_duration: Option<Duration>,
}

/// Verifies a signed aggregate with `cert_der` under `rules`; returns its SPs that may be served
/// and its cacheDuration.
pub fn verify_aggregate(
    xml: &str,
    cert_der: &[u8],
    rules: &ServeRules,
) -> Result<(Vec<SpMetadata>, Option<Duration>), RemoteMetadataError> {
    verify_aggregate_full(xml, cert_der, rules).map(|v| (v.sps, v.cache_duration))
}

/// Like [`verify_aggregate`], also returning validUntil.
pub fn verify_aggregate_full(
    xml: &str,
    cert_der: &[u8],
    rules: &ServeRules,
) -> Result<VerifiedAggregate, RemoteMetadataError> {
    let now = rules.now;
    let opts = GuardOptions::metadata(MAX_AGGREGATE_BYTES);
    let root = tree::parse(xml, &opts)?;
    if !(root.is(MD, "EntitiesDescriptor") || root.is(MD, "EntityDescriptor")) {
        return Err(RemoteMetadataError::BadRoot(format!(
            "{{{}}}{}",
            root.ns, root.name
        )));
    }
    if root.attr("ID").filter(|v| !v.is_empty()).is_none() {
        return Err(RemoteMetadataError::MissingId);
    }
    xmlsig::check_structure(&root)?;
    let reduced = xmlsig::reduce_to_signed(xml, &[cert_der.to_vec()])?;
    let signed = tree::parse(&reduced, &opts)?;
    if !xmlsig::is_root_itself(&signed, &root) {
        return Err(RemoteMetadataError::SignedContentMismatch);
    }
    // Everything from here on is read from the signed content only.
    let vu_text = signed
        .attr("validUntil")
        .ok_or(RemoteMetadataError::MissingValidUntil)?;
    let valid_until = parse_datetime(vu_text)
        .ok_or_else(|| RemoteMetadataError::BadValidUntil(vu_text.to_string()))?;
    if valid_until <= now {
        return Err(RemoteMetadataError::Expired(valid_until));
    }
    let cache_duration = signed
        .attr("cacheDuration")
        .map(|d| parse_duration(d).ok_or_else(|| RemoteMetadataError::BadCacheDuration(d.into())))
        .transpose()?;
    let sps = parse_sp_metadata(&reduced)?;
    let verdict =
        check_aggregate(&reduced, &signed, sps, rules).map_err(RemoteMetadataError::Invalid)?;
    Ok(VerifiedAggregate {
        sps: verdict.accepted,
        skipped: verdict.skipped,
        valid_until,
        cache_duration,
    })
}

/// xs:duration in the common forms (`PnYnMnDTnHnMnS`, any subset, seconds may have a fraction).
/// Years count 365 days and months 30 days; a negative duration is refused.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let rest = s.trim().strip_prefix('P')?;
    if rest.is_empty() {
        return None;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut secs: f64 = 0.0;
    secs += units(
        date,
        &[
            ('Y', 365.0 * 86400.0),
            ('M', 30.0 * 86400.0),
            ('D', 86400.0),
        ],
    )?;
    if let Some(t) = time {
        secs += units(t, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    if !secs.is_finite() || secs > 1e12 {
        return None;
    }
    Some(Duration::milliseconds((secs * 1000.0) as i64))
}

/// Sums `<number><unit>` parts, units in the given order, each at most once.
fn units(mut s: &str, table: &[(char, f64)]) -> Option<f64> {
    let mut total = 0.0;
    let mut next = 0;
    while !s.is_empty() {
        let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (num, tail) = s.split_at(end);
        let unit = tail.chars().next()?;
        let pos = table[next..].iter().position(|(u, _)| *u == unit)? + next;
        if num.is_empty() || (num.contains('.') && unit != 'S') {
            return None;
        }
        total += num.parse::<f64>().ok()? * table[pos].1;
        next = pos + 1;
        s = &tail[unit.len_utf8()..];
    }
    Some(total)
}

#[cfg(test)]
mod tests;
