//! Reading SP metadata XML into [`SpMetadata`] (all ACS endpoints, all certificates).

use super::{AcsEndpoint, MetadataError, SpMetadata};
use crate::saml::types::Binding;
use crate::saml::xmlguard::tree::{self, Element};
use crate::saml::xmlguard::GuardOptions;
use base64::Engine;
use chrono::{DateTime, Utc};
use openssl::x509::X509;

pub(crate) const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub(crate) const MDUI: &str = "urn:oasis:names:tc:SAML:metadata:ui";
pub(crate) const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const SAML2_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

/// Largest metadata file accepted (federation aggregates are not loaded through this path).
pub const MAX_METADATA_BYTES: usize = 4 * 1024 * 1024;

/// Parse one file: returns all SPs in it (SPSSODescriptor only; entities without one are
/// skipped). The XML guard runs first (comments allowed, DOCTYPE/PI refused).
pub fn parse_sp_metadata(xml: &str) -> Result<Vec<SpMetadata>, MetadataError> {
    let root = tree::parse(xml, &GuardOptions::metadata(MAX_METADATA_BYTES))?;
    let mut out = Vec::new();
    walk(&root, None, &mut out)?;
    Ok(out)
}

fn walk(
    el: &Element,
    inherited_valid_until: Option<DateTime<Utc>>,
    out: &mut Vec<SpMetadata>,
) -> Result<(), MetadataError> {
    if el.is(MD, "EntitiesDescriptor") {
        let vu = min_time(
            inherited_valid_until,
            valid_until(el, "EntitiesDescriptor")?,
        );
        for child in el.elements() {
            if child.is(MD, "EntitiesDescriptor") || child.is(MD, "EntityDescriptor") {
                walk(child, vu, out)?;
            }
        }
        Ok(())
    } else if el.is(MD, "EntityDescriptor") {
        if let Some(sp) = entity(el, inherited_valid_until)? {
            out.push(sp);
        }
        Ok(())
    } else {
        Err(MetadataError::BadRoot(format!("{{{}}}{}", el.ns, el.name)))
    }
}

fn min_time(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn valid_until(el: &Element, entity: &str) -> Result<Option<DateTime<Utc>>, MetadataError> {
    el.attr("validUntil")
        .map(|v| {
            parse_datetime(v).ok_or_else(|| MetadataError::BadValidUntil {
                entity: entity.to_string(),
                value: v.to_string(),
            })
        })
        .transpose()
}

/// xs:dateTime as used in SAML: RFC 3339, or without a zone (then taken as UTC).
pub(crate) fn parse_datetime(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// xs:boolean.
pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    match v.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn bool_attr(el: &Element, name: &str, entity: &str) -> Result<Option<bool>, MetadataError> {
    el.attr(name)
        .map(|v| {
            parse_bool(v).ok_or_else(|| MetadataError::BadBoolean {
                entity: entity.to_string(),
                attribute: name.to_string(),
                value: v.to_string(),
            })
        })
        .transpose()
}

fn is_http_url(s: &str) -> bool {
    url::Url::parse(s)
        .map(|u| matches!(u.scheme(), "https" | "http") && u.host_str().is_some())
        .unwrap_or(false)
}

fn lang_of(el: &Element) -> String {
    el.attr_ns(XML_NS, "lang").unwrap_or("").trim().to_string()
}

fn localized(parent: Option<&Element>, ns: &str, name: &str) -> Vec<(String, String)> {
    parent
        .map(|p| {
            p.children_named(ns, name)
                .map(|e| (lang_of(e), e.text().trim().to_string()))
                .filter(|(_, t)| !t.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn entity(
    ed: &Element,
    inherited_valid_until: Option<DateTime<Utc>>,
) -> Result<Option<SpMetadata>, MetadataError> {
    let entity_id = ed
        .attr("entityID")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(MetadataError::MissingEntityId)?
        .to_string();
    let Some(sp) = ed.children_named(MD, "SPSSODescriptor").find(|d| {
        d.attr("protocolSupportEnumeration")
            .is_some_and(|p| p.split_whitespace().any(|x| x == SAML2_PROTOCOL))
    }) else {
        return Ok(None);
    };
    let e = entity_id.as_str();
    let valid_until = min_time(
        inherited_valid_until,
        min_time(valid_until(ed, e)?, valid_until(sp, e)?),
    );

    let acs = acs_endpoints(sp, e)?;
    let (signing_certs, encryption_certs) = certificates(sp, e)?;

    let ui = sp
        .child(MD, "Extensions")
        .and_then(|x| x.child(MDUI, "UIInfo"));
    let mut display_names = localized(ui, MDUI, "DisplayName");
    if display_names.is_empty() {
        display_names = localized(ed.child(MD, "Organization"), MD, "OrganizationDisplayName");
    }
    let descriptions = localized(ui, MDUI, "Description");
    let first_text = |name: &str| {
        ui.and_then(|u| {
            u.children_named(MDUI, name)
                .map(|x| x.text().trim().to_string())
                .find(|t| !t.is_empty())
        })
    };

    let mut slo = Vec::new();
    for s in sp.children_named(MD, "SingleLogoutService") {
        let Some(binding) = s.attr("Binding").and_then(Binding::from_uri) else {
            continue;
        };
        let location = s.attr("Location").unwrap_or("").trim().to_string();
        if !is_http_url(&location) {
            return Err(MetadataError::BadSloLocation {
                entity: entity_id.clone(),
                location,
            });
        }
        slo.push((binding, location));
    }

    Ok(Some(SpMetadata {
        acs,
        signing_certs,
        encryption_certs,
        authn_requests_signed: bool_attr(sp, "AuthnRequestsSigned", e)?.unwrap_or(false),
        want_assertions_signed: bool_attr(sp, "WantAssertionsSigned", e)?.unwrap_or(false),
        name_id_formats: sp
            .children_named(MD, "NameIDFormat")
            .map(|n| n.text().trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        display_names,
        descriptions,
        information_url: first_text("InformationURL"),
        logo_url: first_text("Logo"),
        slo,
        valid_until,
        entity_id,
    }))
}

fn acs_endpoints(sp: &Element, entity: &str) -> Result<Vec<AcsEndpoint>, MetadataError> {
    let mut acs: Vec<AcsEndpoint> = Vec::new();
    for a in sp.children_named(MD, "AssertionConsumerService") {
        if a.attr("Binding").map(str::trim) != Some(Binding::POST_URI) {
            continue;
        }
        let location = a.attr("Location").unwrap_or("").trim().to_string();
        if !is_http_url(&location) {
            return Err(MetadataError::BadAcsLocation {
                entity: entity.to_string(),
                location,
            });
        }
        let index = a
            .attr("index")
            .map(|v| {
                v.trim()
                    .parse::<u16>()
                    .map_err(|_| MetadataError::BadAcsIndex {
                        entity: entity.to_string(),
                        value: v.to_string(),
                    })
            })
            .transpose()?;
        if let Some(i) = index {
            if acs.iter().any(|x| x.index == Some(i)) {
                return Err(MetadataError::DuplicateAcsIndex {
                    entity: entity.to_string(),
                    index: i,
                });
            }
        }
        acs.push(AcsEndpoint {
            index,
            is_default: bool_attr(a, "isDefault", entity)?,
            binding: Binding::HttpPost,
            location,
        });
    }
    if acs.is_empty() {
        return Err(MetadataError::NoPostAcs {
            entity: entity.to_string(),
        });
    }
    Ok(acs)
}

type Certs = (Vec<Vec<u8>>, Vec<Vec<u8>>);

fn certificates(sp: &Element, entity: &str) -> Result<Certs, MetadataError> {
    let (mut signing, mut encryption) = (Vec::new(), Vec::new());
    let mut number = 0usize;
    for kd in sp.children_named(MD, "KeyDescriptor") {
        let usage = kd.attr("use").map(str::trim);
        let Some(key_info) = kd.child(DS, "KeyInfo") else {
            continue;
        };
        for x509 in key_info.children_named(DS, "X509Data") {
            for c in x509.children_named(DS, "X509Certificate") {
                number += 1;
                let bad = |reason: String| MetadataError::BadCertificate {
                    entity: entity.to_string(),
                    number,
                    reason,
                };
                let b64: String = c.text().chars().filter(|ch| !ch.is_whitespace()).collect();
                let der = base64::engine::general_purpose::STANDARD
                    .decode(b64.as_bytes())
                    .map_err(|e| bad(format!("not base64 ({e})")))?;
                X509::from_der(&der).map_err(|e| bad(format!("not an X.509 certificate ({e})")))?;
                match usage {
                    Some("signing") => signing.push(der),
                    Some("encryption") => encryption.push(der),
                    None | Some("") => {
                        signing.push(der.clone());
                        encryption.push(der);
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok((signing, encryption))
}
