//! Reading the AuthnRequest fields out of a guarded element tree. Used twice for a signed POST
//! request: on the original (for routing only) and on the reduced, signature-covered XML.

use super::{Comparison, NameIdPolicy, RequestError, RequestedAuthnContext};
use crate::saml::metadata::{parse_bool, parse_datetime};
use crate::saml::xmlguard::tree::Element;
use chrono::{DateTime, Utc};

pub(crate) const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub(crate) const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub(crate) const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const ENTITY_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

/// Everything the IdP uses from an AuthnRequest. Nothing here is trusted until `verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fields {
    pub id: String,
    pub issuer: String,
    pub issue_instant: DateTime<Utc>,
    pub destination: Option<String>,
    pub acs_index: Option<u16>,
    pub acs_url: Option<String>,
    pub protocol_binding: Option<String>,
    pub force_authn: bool,
    pub is_passive: bool,
    pub name_id_policy: Option<NameIdPolicy>,
    pub requested_authn_context: Option<RequestedAuthnContext>,
    /// A problem that is reported only after the request has been verified, so that the
    /// caller can answer with a SAML status (e.g. AuthnContextDeclRef → RequestUnsupported).
    pub deferred_error: Option<RequestError>,
}

/// xs:ID as produced by SAML implementations: an ASCII NCName of at most 256 characters.
fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && id.len() <= 256
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn bool_attr(el: &Element, name: &str) -> Result<bool, RequestError> {
    match el.attr(name) {
        None => Ok(false),
        Some(v) => parse_bool(v).ok_or_else(|| {
            RequestError::Malformed(format!("attribute {name} is not a boolean: {v:?}"))
        }),
    }
}

/// Check the root element is a SAML 2.0 AuthnRequest and read its fields.
pub(crate) fn extract(root: &Element) -> Result<Fields, RequestError> {
    if root.is(SAMLP, "LogoutRequest") {
        return Err(RequestError::LogoutRequest);
    }
    if !root.is(SAMLP, "AuthnRequest") {
        return Err(RequestError::NotAuthnRequest(format!(
            "{{{}}}{}",
            root.ns, root.name
        )));
    }
    let version = root.attr("Version").unwrap_or("");
    if version != "2.0" {
        return Err(RequestError::VersionMismatch(version.to_string()));
    }
    let id = root.attr("ID").unwrap_or("").to_string();
    if !valid_id(&id) {
        return Err(RequestError::Malformed(format!(
            "invalid or missing ID {id:?}"
        )));
    }
    let mut issuers = root.children_named(SAML, "Issuer");
    let issuer_el = issuers.next().ok_or(RequestError::MissingIssuer)?;
    if issuers.next().is_some() {
        return Err(RequestError::Malformed("more than one Issuer".into()));
    }
    if issuer_el.elements().next().is_some() {
        return Err(RequestError::Malformed("Issuer contains markup".into()));
    }
    if let Some(f) = issuer_el.attr("Format") {
        if f != ENTITY_FORMAT {
            return Err(RequestError::Malformed(format!(
                "Issuer Format {f:?} is not entity"
            )));
        }
    }
    let issuer = issuer_el.text().trim().to_string();
    if issuer.is_empty() {
        return Err(RequestError::MissingIssuer);
    }
    let instant_raw = root.attr("IssueInstant").unwrap_or("");
    let issue_instant = parse_datetime(instant_raw).ok_or_else(|| {
        RequestError::Malformed(format!(
            "IssueInstant {instant_raw:?} is not an xs:dateTime"
        ))
    })?;
    let acs_index = root
        .attr("AssertionConsumerServiceIndex")
        .map(|v| {
            v.trim().parse::<u16>().map_err(|_| {
                RequestError::Malformed(format!("AssertionConsumerServiceIndex {v:?}"))
            })
        })
        .transpose()?;

    let mut deferred_error = None;
    if root.child(SAML, "Subject").is_some() {
        deferred_error = Some(RequestError::Unsupported(
            "a Subject in the AuthnRequest".into(),
        ));
    }
    let name_id_policy = root.child(SAMLP, "NameIDPolicy").map(|p| {
        Ok::<_, RequestError>(NameIdPolicy {
            format: p.attr("Format").map(|s| s.trim().to_string()),
            allow_create: bool_attr(p, "AllowCreate")?,
            sp_name_qualifier: p.attr("SPNameQualifier").map(str::to_string),
        })
    });
    let name_id_policy = name_id_policy.transpose()?;
    let requested_authn_context = match root.child(SAMLP, "RequestedAuthnContext") {
        None => None,
        Some(rac) => match requested_context(rac) {
            Ok(r) => Some(r),
            Err(e) => {
                if deferred_error.is_none() {
                    deferred_error = Some(e);
                }
                None
            }
        },
    };

    Ok(Fields {
        id,
        issuer,
        issue_instant,
        destination: root.attr("Destination").map(str::to_string),
        acs_index,
        acs_url: root.attr("AssertionConsumerServiceURL").map(str::to_string),
        protocol_binding: root.attr("ProtocolBinding").map(str::to_string),
        force_authn: bool_attr(root, "ForceAuthn")?,
        is_passive: bool_attr(root, "IsPassive")?,
        name_id_policy,
        requested_authn_context,
        deferred_error,
    })
}

fn requested_context(rac: &Element) -> Result<RequestedAuthnContext, RequestError> {
    if rac.child(SAML, "AuthnContextDeclRef").is_some() {
        return Err(RequestError::Unsupported(
            "RequestedAuthnContext with AuthnContextDeclRef".into(),
        ));
    }
    let comparison = match rac.attr("Comparison").map(str::trim) {
        None | Some("exact") => Comparison::Exact,
        Some("minimum") => Comparison::Minimum,
        Some("maximum") => Comparison::Maximum,
        Some("better") => Comparison::Better,
        Some(other) => {
            return Err(RequestError::BadAuthnContext(format!(
                "unknown Comparison {other:?}"
            )))
        }
    };
    let class_refs: Vec<String> = rac
        .children_named(SAML, "AuthnContextClassRef")
        .map(|c| c.text().trim().to_string())
        .collect();
    if class_refs.is_empty() || class_refs.iter().any(String::is_empty) {
        return Err(RequestError::BadAuthnContext(
            "RequestedAuthnContext without AuthnContextClassRef values".into(),
        ));
    }
    Ok(RequestedAuthnContext {
        comparison,
        class_refs,
    })
}
