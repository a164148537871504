//! Building and signing SAML 2.0 Responses (success and error status) for the HTTP-POST binding.
//!
//! Guarantees:
//! - Every value (IDs, URLs, NameID, attribute names and values, status message) is escaped as
//!   Canonical XML requires; a value can never add elements or attributes. Characters XML 1.0
//!   forbids are refused with an error.
//! - A success Response is always signed: the Assertion, the Response, or both (the assertion
//!   first, then the Response over it). Asking for neither is an error.
//! - Signatures are made with the ring's active key, under its algorithm (RSA-SHA256,
//!   RSA-PSS-SHA256 or ECDSA-P256-SHA256), with exclusive c14n; the Reference points at the ID of
//!   the element that carries the signature, and IDs must be NCNames.
//! - A success Response is signed without holding up the async runtime when the key may block
//!   (a PKCS#11 token); a status Response is signed on the caller's thread.
//! - The XML is emitted in exclusive canonical form, so what is digested is what is sent.
//! - Timestamps are UTC without fractional seconds; the caller supplies all times and IDs.
pub(crate) mod dsig;

use chrono::{DateTime, Utc};

use crate::keys::{KeyError, KeyRing};
use crate::saml::xmlwrite::{saml_time, CanonWriter, XmlWriteError};
use dsig::{is_ncname, sign_enveloped_async, DsigError};

pub(crate) const SAMLP_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub(crate) const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    #[error("a value cannot be written as XML: {0}")]
    InvalidValue(String),
    #[error("ID {0:?} is not a valid xs:ID (NCName)")]
    BadId(String),
    #[error("a success response must sign the assertion, the response or both")]
    NothingSigned,
    #[error("signing failed")]
    Key(#[from] KeyError),
}

impl From<XmlWriteError> for ResponseError {
    fn from(e: XmlWriteError) -> Self {
        ResponseError::InvalidValue(e.to_string())
    }
}

impl From<DsigError> for ResponseError {
    fn from(e: DsigError) -> Self {
        match e {
            DsigError::BadId(id) => ResponseError::BadId(id),
            DsigError::Key(k) => ResponseError::Key(k),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub friendly_name: Option<String>,
    pub name_format: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameId {
    pub value: String,
    pub format: String,
    pub name_qualifier: Option<String>,
    pub sp_name_qualifier: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SuccessResponse<'a> {
    pub response_id: &'a str,
    pub assertion_id: &'a str,
    /// IdP entityID
    pub issuer: &'a str,
    /// ACS URL (from metadata)
    pub destination: &'a str,
    /// AuthnRequest ID (None for IdP-initiated)
    pub in_response_to: Option<&'a str>,
    /// SP entityID
    pub audience: &'a str,
    pub name_id: &'a NameId,
    pub issue_instant: DateTime<Utc>,
    /// Conditions NotBefore (issue_instant - skew)
    pub not_before: DateTime<Utc>,
    /// Conditions NotOnOrAfter and SubjectConfirmationData NotOnOrAfter
    pub not_on_or_after: DateTime<Utc>,
    pub authn_instant: DateTime<Utc>,
    pub session_index: &'a str,
    pub session_not_on_or_after: Option<DateTime<Utc>>,
    pub authn_context_class_ref: &'a str,
    /// AttributeStatement omitted when empty
    pub attributes: &'a [Attribute],
    pub sign_assertion: bool,
    pub sign_response: bool,
}

#[derive(Debug, Clone)]
pub struct StatusResponse<'a> {
    pub response_id: &'a str,
    pub issuer: &'a str,
    pub destination: &'a str,
    pub in_response_to: Option<&'a str>,
    pub issue_instant: DateTime<Utc>,
    pub top_status: &'a str,
    pub second_status: Option<&'a str>,
    pub message: Option<&'a str>,
    pub sign: bool,
}

fn check_id(id: &str) -> Result<(), ResponseError> {
    if is_ncname(id) {
        Ok(())
    } else {
        Err(ResponseError::BadId(id.to_string()))
    }
}

/// Writes `<samlp:Response …><saml:Issuer>…</saml:Issuer>` (the part before the signature).
fn response_head(
    id: &str,
    issuer: &str,
    destination: &str,
    in_response_to: Option<&str>,
    issue_instant: &str,
) -> Result<String, ResponseError> {
    check_id(id)?;
    if let Some(irt) = in_response_to {
        check_id(irt)?;
    }
    let mut w = CanonWriter::new();
    let mut attrs = vec![
        ("Destination", destination),
        ("ID", id),
        ("IssueInstant", issue_instant),
        ("Version", "2.0"),
    ];
    if let Some(irt) = in_response_to {
        attrs.push(("InResponseTo", irt));
    }
    w.start("samlp:Response", &[("samlp", SAMLP_NS)], &attrs)?;
    w.text_element("saml:Issuer", &[("saml", SAML_NS)], &[], issuer)?;
    Ok(w.finish())
}

fn assertion(r: &SuccessResponse, now: &str) -> Result<(String, String), ResponseError> {
    check_id(r.assertion_id)?;
    let mut w = CanonWriter::new();
    w.start(
        "saml:Assertion",
        &[("saml", SAML_NS)],
        &[
            ("ID", r.assertion_id),
            ("IssueInstant", now),
            ("Version", "2.0"),
        ],
    )?;
    w.text_element("saml:Issuer", &[], &[], r.issuer)?;
    let head = w.take();

    let not_before = saml_time(r.not_before);
    let not_on_or_after = saml_time(r.not_on_or_after);
    w.start("saml:Subject", &[], &[])?;
    let n = r.name_id;
    let mut nattrs = vec![("Format", n.format.as_str())];
    if let Some(q) = &n.name_qualifier {
        nattrs.push(("NameQualifier", q));
    }
    if let Some(q) = &n.sp_name_qualifier {
        nattrs.push(("SPNameQualifier", q));
    }
    w.text_element("saml:NameID", &[], &nattrs, &n.value)?;
    w.start("saml:SubjectConfirmation", &[], &[("Method", BEARER)])?;
    let mut scd = vec![
        ("NotOnOrAfter", not_on_or_after.as_str()),
        ("Recipient", r.destination),
    ];
    if let Some(irt) = r.in_response_to {
        scd.push(("InResponseTo", irt));
    }
    w.empty("saml:SubjectConfirmationData", &[], &scd)?;
    w.end("saml:SubjectConfirmation");
    w.end("saml:Subject");

    w.start(
        "saml:Conditions",
        &[],
        &[
            ("NotBefore", &not_before),
            ("NotOnOrAfter", &not_on_or_after),
        ],
    )?;
    w.start("saml:AudienceRestriction", &[], &[])?;
    w.text_element("saml:Audience", &[], &[], r.audience)?;
    w.end("saml:AudienceRestriction");
    w.end("saml:Conditions");

    let authn_instant = saml_time(r.authn_instant);
    let session_end = r.session_not_on_or_after.map(saml_time);
    let mut aattrs = vec![
        ("AuthnInstant", authn_instant.as_str()),
        ("SessionIndex", r.session_index),
    ];
    if let Some(s) = &session_end {
        aattrs.push(("SessionNotOnOrAfter", s));
    }
    w.start("saml:AuthnStatement", &[], &aattrs)?;
    w.start("saml:AuthnContext", &[], &[])?;
    w.text_element(
        "saml:AuthnContextClassRef",
        &[],
        &[],
        r.authn_context_class_ref,
    )?;
    w.end("saml:AuthnContext");
    w.end("saml:AuthnStatement");

    if !r.attributes.is_empty() {
        w.start("saml:AttributeStatement", &[], &[])?;
        for a in r.attributes {
            let mut at = vec![
                ("Name", a.name.as_str()),
                ("NameFormat", a.name_format.as_str()),
            ];
            if let Some(f) = &a.friendly_name {
                at.push(("FriendlyName", f));
            }
            w.start("saml:Attribute", &[], &at)?;
            for v in &a.values {
                w.text_element("saml:AttributeValue", &[], &[], v)?;
            }
            w.end("saml:Attribute");
        }
        w.end("saml:AttributeStatement");
    }
    w.end("saml:Assertion");
    Ok((head, w.finish()))
}

/// Builds a success Response with one Assertion, signed as `r.sign_assertion` /
/// `r.sign_response` ask. Returns the XML (not base64).
pub async fn build_success(
    keys: &KeyRing,
    r: &SuccessResponse<'_>,
) -> Result<String, ResponseError> {
    let key = keys.active();
    if !r.sign_assertion && !r.sign_response {
        return Err(ResponseError::NothingSigned);
    }
    let now = saml_time(r.issue_instant);
    let (a_head, a_tail) = assertion(r, &now)?;
    let assertion = if r.sign_assertion {
        sign_enveloped_async(key, r.assertion_id, &a_head, &a_tail).await?
    } else {
        a_head + &a_tail
    };

    let head = response_head(
        r.response_id,
        r.issuer,
        r.destination,
        r.in_response_to,
        &now,
    )?;
    let mut w = CanonWriter::new();
    w.start("samlp:Status", &[], &[])?;
    w.empty(
        "samlp:StatusCode",
        &[],
        &[("Value", crate::saml::types::status::SUCCESS)],
    )?;
    w.end("samlp:Status");
    w.raw_canonical(&assertion);
    w.end("samlp:Response");
    let tail = w.finish();
    if r.sign_response {
        Ok(sign_enveloped_async(key, r.response_id, &head, &tail).await?)
    } else {
        Ok(head + &tail)
    }
}

/// Builds an error (or other status-only) Response: Status with the top-level code, an
/// optional second-level code and an optional StatusMessage; signed when `r.sign`.
pub async fn build_status(keys: &KeyRing, r: &StatusResponse<'_>) -> Result<String, ResponseError> {
    let key = keys.active();
    let now = saml_time(r.issue_instant);
    let head = response_head(
        r.response_id,
        r.issuer,
        r.destination,
        r.in_response_to,
        &now,
    )?;
    let mut w = CanonWriter::new();
    w.start("samlp:Status", &[], &[])?;
    w.start("samlp:StatusCode", &[], &[("Value", r.top_status)])?;
    if let Some(second) = r.second_status {
        w.empty("samlp:StatusCode", &[], &[("Value", second)])?;
    }
    w.end("samlp:StatusCode");
    if let Some(m) = r.message {
        w.text_element("samlp:StatusMessage", &[], &[], m)?;
    }
    w.end("samlp:Status");
    w.end("samlp:Response");
    let tail = w.finish();
    if r.sign {
        Ok(sign_enveloped_async(key, r.response_id, &head, &tail).await?)
    } else {
        Ok(head + &tail)
    }
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
