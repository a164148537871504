//! SP metadata (EntityDescriptor / EntitiesDescriptor) → [`SpMetadata`], and ACS selection.
//!
//! Guarantees (each has a negative test in `metadata/tests.rs`):
//! - every file passes the XML guard first (no DOCTYPE/ENTITY, no PI, size/depth caps);
//! - ALL AssertionConsumerService endpoints and ALL KeyDescriptors are read (key rollover),
//!   and every certificate must parse, else the file is refused naming the certificate;
//! - an SP without an HTTP-POST AssertionConsumerService is refused; ACS locations must be
//!   absolute http(s) URLs; ACS indexes are unique;
//! - [`SpMetadata::resolve_acs`] only ever returns an endpoint listed in the metadata.

mod parse;

use super::types::Binding;
use chrono::{DateTime, TimeZone, Utc};
use openssl::x509::X509;
use thiserror::Error;

pub(crate) use parse::{parse_bool, parse_datetime};
pub use parse::{parse_sp_metadata, MAX_METADATA_BYTES};

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum MetadataError {
    #[error("unsafe or malformed metadata XML: {0}")]
    Xml(#[from] super::xmlguard::XmlGuardError),
    #[error("root element is {0}, expected md:EntityDescriptor or md:EntitiesDescriptor")]
    BadRoot(String),
    #[error("an EntityDescriptor has no entityID")]
    MissingEntityId,
    #[error("{entity}: no AssertionConsumerService with HTTP-POST binding")]
    NoPostAcs { entity: String },
    #[error(
        "{entity}: AssertionConsumerService Location {location:?} is not an absolute http(s) URL"
    )]
    BadAcsLocation { entity: String, location: String },
    #[error("{entity}: AssertionConsumerService index {value:?} is not a number 0..65535")]
    BadAcsIndex { entity: String, value: String },
    #[error("{entity}: AssertionConsumerService index {index} is used twice")]
    DuplicateAcsIndex { entity: String, index: u16 },
    #[error("{entity}: certificate #{number} does not parse: {reason}")]
    BadCertificate {
        entity: String,
        number: usize,
        reason: String,
    },
    #[error("{entity}: attribute {attribute} has the non-boolean value {value:?}")]
    BadBoolean {
        entity: String,
        attribute: String,
        value: String,
    },
    #[error("{entity}: validUntil {value:?} is not an xs:dateTime")]
    BadValidUntil { entity: String, value: String },
    #[error("{entity}: SingleLogoutService Location {location:?} is not an absolute http(s) URL")]
    BadSloLocation { entity: String, location: String },
    #[error("AssertionConsumerServiceIndex {0} is not in the SP's metadata")]
    AcsIndexUnknown(u16),
    #[error("AssertionConsumerServiceURL {0:?} is not in the SP's metadata")]
    AcsUrlNotListed(String),
    #[error("ProtocolBinding {0:?} is not supported for responses (only HTTP-POST)")]
    UnsupportedBinding(String),
    #[error("the SP's metadata lists no AssertionConsumerService")]
    NoAcs,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcsEndpoint {
    pub index: Option<u16>,
    pub is_default: Option<bool>,
    pub binding: Binding,
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpMetadata {
    pub entity_id: String,
    /// Only bindings we support (POST; Redirect ACS ignored for responses).
    pub acs: Vec<AcsEndpoint>,
    /// DER, KeyDescriptor use="signing" or no use attribute (rollover: all of them).
    pub signing_certs: Vec<Vec<u8>>,
    pub encryption_certs: Vec<Vec<u8>>,
    pub authn_requests_signed: bool,
    pub want_assertions_signed: bool,
    pub name_id_formats: Vec<String>,
    /// (lang, text): mdui:DisplayName, else md:OrganizationDisplayName.
    pub display_names: Vec<(String, String)>,
    /// (lang, text): mdui:Description.
    pub descriptions: Vec<(String, String)>,
    pub information_url: Option<String>,
    pub logo_url: Option<String>,
    pub slo: Vec<(Binding, String)>,
    pub valid_until: Option<DateTime<Utc>>,
}

impl SpMetadata {
    /// SAML core 3.4.1 / profiles 4.1.4.1 ACS selection: by index; else exact URL match (and
    /// binding if given); else the default (isDefault="true", else first without
    /// isDefault="false", else first). Never a URL that metadata doesn't list.
    pub fn resolve_acs(
        &self,
        index: Option<u16>,
        url: Option<&str>,
        binding: Option<&str>,
    ) -> Result<&AcsEndpoint, MetadataError> {
        let wanted_binding = match binding {
            None => None,
            Some(b) => match Binding::from_uri(b) {
                Some(Binding::HttpPost) => Some(Binding::HttpPost),
                _ => return Err(MetadataError::UnsupportedBinding(b.to_string())),
            },
        };
        if let Some(i) = index {
            return self
                .acs
                .iter()
                .find(|a| a.index == Some(i))
                .ok_or(MetadataError::AcsIndexUnknown(i));
        }
        if let Some(u) = url {
            return self
                .acs
                .iter()
                .find(|a| a.location == u && wanted_binding.is_none_or(|b| b == a.binding))
                .ok_or_else(|| MetadataError::AcsUrlNotListed(u.to_string()));
        }
        let candidates = || {
            self.acs
                .iter()
                .filter(move |a| wanted_binding.is_none_or(|b| b == a.binding))
        };
        candidates()
            .find(|a| a.is_default == Some(true))
            .or_else(|| candidates().find(|a| a.is_default.is_none()))
            .or_else(|| candidates().next())
            .ok_or(MetadataError::NoAcs)
    }

    /// Display name for `lang`; falls back to sl, en, any, then the entityID.
    pub fn display_name(&self, lang: &str) -> String {
        pick_lang(&self.display_names, lang).unwrap_or_else(|| self.entity_id.clone())
    }

    /// Description for `lang` (same fallbacks as [`SpMetadata::display_name`]), if any.
    pub fn description(&self, lang: &str) -> Option<String> {
        pick_lang(&self.descriptions, lang)
    }

    /// notAfter of every certificate (signing and encryption) in the metadata.
    pub fn cert_expiries(&self) -> Vec<DateTime<Utc>> {
        self.signing_certs
            .iter()
            .chain(self.encryption_certs.iter())
            .filter_map(|der| cert_not_after(der))
            .collect()
    }
}

fn pick_lang(values: &[(String, String)], lang: &str) -> Option<String> {
    [lang, "sl", "en"]
        .iter()
        .find_map(|l| values.iter().find(|(vl, _)| vl.eq_ignore_ascii_case(l)))
        .or_else(|| values.first())
        .map(|(_, v)| v.clone())
}

/// notAfter of a DER certificate as UTC, None if it does not parse.
pub(crate) fn cert_not_after(der: &[u8]) -> Option<DateTime<Utc>> {
    let cert = X509::from_der(der).ok()?;
    let epoch = openssl::asn1::Asn1Time::from_unix(0).ok()?;
    let diff = epoch.diff(cert.not_after()).ok()?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    Utc.timestamp_opt(secs, 0).single()
}

#[cfg(test)]
mod tests;
