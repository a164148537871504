//! AuthnRequest: [`UnverifiedAuthnRequest`] (parsed, nothing trusted) → [`VerifiedAuthnRequest`].
//!
//! Guarantees (each has a negative test in `request/tests.rs`, `acs_tests.rs` or
//! `wrapping_tests.rs`):
//! - every message passes the strict XML guard (no DOCTYPE/ENTITY, no comments, no PI, caps);
//! - the root must be a SAML 2.0 samlp:AuthnRequest with an ID and a non-empty Issuer
//!   (a LogoutRequest gets its own error);
//! - before verification only the Issuer is available (to find the SP's metadata); nothing
//!   else of an unverified message is used, not even to answer with an error;
//! - signatures are verified only with certificates from the SP's metadata, never one carried
//!   by the message; a signature that is present is always verified, even when not required;
//! - Redirect: the query signature over the raw query octets (see `binding`);
//!   POST: exactly one enveloped ds:Signature, a direct child of the root, whose only Reference is
//!   "#" + root ID, verified by xmlsec with SHA-256+ only; the root's ID is carried by the root
//!   alone (no namespaced ID attribute anywhere, no duplicate), and the signed content must be
//!   the root itself; every field is then read ONLY from the signed XML;
//! - SHA-1 is refused; a missing signature is refused when required;
//! - IssueInstant must be within ±skew of `now`; a Destination, if present, must be ours, and
//!   a signed request must carry one (SAML bindings 3.4.5.2, 3.5.5.2);
//! - the ACS URL always comes from metadata (index, exact URL, or default), never from the
//!   request, and it is chosen by the verified fields only;
//! - a refusal may be answered with a SAML status only when it names an [`ErrorReply`], which
//!   exists only for an authenticated request (verified signature, or unsigned where allowed)
//!   whose ACS was resolved from metadata.

mod fields;
pub(crate) mod xmlsig;

use super::binding::{verify_redirect_signature, BindingError, InboundMessage};
use super::metadata::{AcsEndpoint, MetadataError, SpMetadata};
use super::types::{status, Binding};
use super::xmlguard::{tree, GuardOptions, XmlGuardError};
use chrono::{DateTime, Utc};
use fields::Fields;
use thiserror::Error;

/// Largest AuthnRequest XML accepted by [`UnverifiedAuthnRequest::parse`].
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum RequestError {
    #[error("unsafe or malformed XML: {0}")]
    Xml(#[from] XmlGuardError),
    #[error("malformed AuthnRequest: {0}")]
    Malformed(String),
    #[error("the message is a LogoutRequest, not an AuthnRequest")]
    LogoutRequest,
    #[error("the root element {0} is not samlp:AuthnRequest")]
    NotAuthnRequest(String),
    #[error("SAML Version {0:?} is not 2.0")]
    VersionMismatch(String),
    #[error("the AuthnRequest has no Issuer")]
    MissingIssuer,
    #[error("the request's Issuer {request:?} is not the metadata's entityID {metadata:?}")]
    IssuerMismatch { request: String, metadata: String },
    #[error("the request is not signed but a signature is required")]
    SignatureRequired,
    #[error("query signature refused: {0}")]
    RedirectSignature(#[from] BindingError),
    #[error("XML signature does not verify with the metadata certificates: {0}")]
    SignatureInvalid(String),
    #[error("XML signature refused: {0}")]
    SignatureStructure(&'static str),
    #[error("algorithm {0} is too weak; SHA-256 or better is required")]
    WeakAlgorithm(String),
    #[error("algorithm {0} is not supported")]
    UnsupportedAlgorithm(String),
    #[error("the request is signed but the SP's metadata has no signing certificate")]
    NoSigningCertificate,
    #[error("the request has both AssertionConsumerServiceIndex and AssertionConsumerServiceURL")]
    AcsIndexAndUrl,
    #[error("assertion consumer service: {0}")]
    Acs(#[from] MetadataError),
    #[error("IssueInstant {issue_instant} is too old")]
    Stale { issue_instant: DateTime<Utc> },
    #[error("IssueInstant {issue_instant} is in the future")]
    FromTheFuture { issue_instant: DateTime<Utc> },
    #[error("Destination {0:?} is not this IdP's SSO endpoint")]
    WrongDestination(String),
    #[error("the request is signed but has no Destination")]
    MissingDestination,
    #[error("unsupported request: {0}")]
    Unsupported(String),
    #[error("invalid RequestedAuthnContext: {0}")]
    BadAuthnContext(String),
}

impl RequestError {
    /// `Some((top, second))` when the error may be reported to the SP as a SAML status Response
    /// (to an ACS taken from metadata); `None` when the caller must show an error page instead:
    /// unsafe/unparsable XML, unknown or unusable ACS, and every signature/integrity failure
    /// (an unauthenticated message must not make the IdP talk to the SP).
    pub fn saml_status(&self) -> Option<(&'static str, Option<&'static str>)> {
        use RequestError::*;
        match self {
            VersionMismatch(_) => Some((status::VERSION_MISMATCH, None)),
            Stale { .. } | FromTheFuture { .. } | WrongDestination(_) | MissingDestination => {
                Some((status::REQUESTER, Some(status::REQUEST_DENIED)))
            }
            Unsupported(_) => Some((status::REQUESTER, Some(status::REQUEST_UNSUPPORTED))),
            BadAuthnContext(_) => Some((status::REQUESTER, None)),
            Xml(_)
            | Malformed(_)
            | LogoutRequest
            | NotAuthnRequest(_)
            | MissingIssuer
            | IssuerMismatch { .. }
            | SignatureRequired
            | RedirectSignature(_)
            | SignatureInvalid(_)
            | SignatureStructure(_)
            | WeakAlgorithm(_)
            | UnsupportedAlgorithm(_)
            | NoSigningCertificate
            | AcsIndexAndUrl
            | Acs(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Comparison {
    Exact,
    Minimum,
    Maximum,
    Better,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequestedAuthnContext {
    pub comparison: Comparison,
    pub class_refs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NameIdPolicy {
    pub format: Option<String>,
    pub allow_create: bool,
    pub sp_name_qualifier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VerifiedAuthnRequest {
    pub id: String,
    pub issuer: String,
    pub issue_instant: DateTime<Utc>,
    pub binding: Binding,
    /// Resolved from metadata.
    pub acs_url: String,
    pub force_authn: bool,
    pub is_passive: bool,
    pub name_id_policy: Option<NameIdPolicy>,
    pub requested_authn_context: Option<RequestedAuthnContext>,
    pub relay_state: Option<String>,
    pub was_signed: bool,
}

/// Where a refusal of an authenticated request may be answered with a SAML status: the ACS
/// that the verified request chose from metadata, the verified request ID and the RelayState.
/// Only [`UnverifiedAuthnRequest::verify`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    acs_url: String,
    in_response_to: String,
    relay_state: Option<String>,
}

impl ErrorReply {
    pub fn acs_url(&self) -> &str {
        &self.acs_url
    }
    pub fn in_response_to(&self) -> &str {
        &self.in_response_to
    }
    pub fn relay_state(&self) -> Option<&str> {
        self.relay_state.as_deref()
    }
}

/// Why [`UnverifiedAuthnRequest::verify`] refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub error: RequestError,
    reply_to: Option<Box<ErrorReply>>,
}

impl From<RequestError> for Refusal {
    /// A refusal that can only be shown as an error page.
    fn from(error: RequestError) -> Self {
        Refusal {
            error,
            reply_to: None,
        }
    }
}

impl Refusal {
    /// The SAML status (top, second) and where to send it, when the refusal may be answered
    /// to the SP; `None`: show an error page.
    pub fn status_reply(&self) -> Option<(&ErrorReply, &'static str, Option<&'static str>)> {
        let (top, second) = self.error.saml_status()?;
        self.reply_to.as_deref().map(|r| (r, top, second))
    }
}

/// A decoded AuthnRequest that has passed the XML guard and basic shape checks. Only
/// `issuer()` (to look up metadata) may be used before `verify`.
#[derive(Debug, Clone)]
pub struct UnverifiedAuthnRequest {
    msg: InboundMessage,
    root: tree::Element,
    fields: Fields,
}

fn resolve_acs_for<'m>(f: &Fields, sp: &'m SpMetadata) -> Result<&'m AcsEndpoint, RequestError> {
    if f.acs_index.is_some() && f.acs_url.is_some() {
        return Err(RequestError::AcsIndexAndUrl);
    }
    Ok(sp.resolve_acs(
        f.acs_index,
        f.acs_url.as_deref(),
        f.protocol_binding.as_deref(),
    )?)
}

/// Checks of an authenticated request's own fields (time window, Destination, deferred errors).
fn check_fields(
    fields: &Fields,
    was_signed: bool,
    now: DateTime<Utc>,
    skew: chrono::Duration,
    expected_destinations: &[&str],
) -> Result<(), RequestError> {
    if let Some(e) = fields.deferred_error.clone() {
        return Err(e);
    }
    if fields.issue_instant < now - skew {
        return Err(RequestError::Stale {
            issue_instant: fields.issue_instant,
        });
    }
    if fields.issue_instant > now + skew {
        return Err(RequestError::FromTheFuture {
            issue_instant: fields.issue_instant,
        });
    }
    match &fields.destination {
        Some(d) if !expected_destinations.contains(&d.as_str()) => {
            Err(RequestError::WrongDestination(d.clone()))
        }
        None if was_signed => Err(RequestError::MissingDestination),
        _ => Ok(()),
    }
}

impl UnverifiedAuthnRequest {
    /// XML guard (no DOCTYPE/comments/PI), root must be samlp:AuthnRequest (LogoutRequest → a
    /// distinct error), Version 2.0, ID present, Issuer present and not empty.
    pub fn parse(msg: InboundMessage) -> Result<Self, RequestError> {
        let root = tree::parse(&msg.xml, &GuardOptions::message(MAX_REQUEST_BYTES))?;
        let fields = fields::extract(&root)?;
        Ok(UnverifiedAuthnRequest { msg, root, fields })
    }

    /// The claimed Issuer: only for finding the SP's metadata.
    pub fn issuer(&self) -> &str {
        &self.fields.issuer
    }

    /// Redirect signature present, or a ds:Signature child of the root.
    #[cfg(test)]
    pub fn is_signed(&self) -> bool {
        self.msg.redirect_signature.is_some() || self.root.child(fields::DS, "Signature").is_some()
    }

    /// The signature step: the fields that may be trusted (those the signature covers, or the
    /// message's own when it is unsigned and no signature is required) and whether it was signed.
    fn authenticate(
        self,
        sp: &SpMetadata,
        require_signature: bool,
    ) -> Result<(Fields, bool, InboundMessage), RequestError> {
        if self.fields.issuer != sp.entity_id {
            return Err(RequestError::IssuerMismatch {
                request: self.fields.issuer,
                metadata: sp.entity_id.clone(),
            });
        }
        let has_xml_signature = xmlsig::has_any_signature(&self.root);
        match self.msg.binding {
            Binding::HttpRedirect => {
                if has_xml_signature {
                    return Err(RequestError::SignatureStructure(
                        "an HTTP-Redirect message must not carry a ds:Signature",
                    ));
                }
                match &self.msg.redirect_signature {
                    Some(sig) => {
                        if sp.signing_certs.is_empty() {
                            return Err(RequestError::NoSigningCertificate);
                        }
                        verify_redirect_signature(sig, &sp.signing_certs)?;
                        Ok((self.fields, true, self.msg))
                    }
                    None if require_signature => Err(RequestError::SignatureRequired),
                    None => Ok((self.fields, false, self.msg)),
                }
            }
            Binding::HttpPost => {
                if self.msg.redirect_signature.is_some() {
                    return Err(RequestError::SignatureStructure(
                        "a query signature on an HTTP-POST message",
                    ));
                }
                if has_xml_signature {
                    let signed_root =
                        xmlsig::verify_post(&self.msg.xml, &self.root, &sp.signing_certs)?;
                    Ok((fields::extract(&signed_root)?, true, self.msg))
                } else if require_signature {
                    Err(RequestError::SignatureRequired)
                } else {
                    Ok((self.fields, false, self.msg))
                }
            }
        }
    }

    /// Full check; `require_signature = sp.authn_requests_signed || idp_policy_requires`.
    /// Everything in the result (and in a refusal's [`ErrorReply`]) is read from the verified
    /// fields only.
    pub fn verify(
        self,
        sp: &SpMetadata,
        require_signature: bool,
        now: DateTime<Utc>,
        skew: chrono::Duration,
        expected_destinations: &[&str],
    ) -> Result<VerifiedAuthnRequest, Refusal> {
        let (fields, was_signed, msg) = self.authenticate(sp, require_signature)?;
        if fields.issuer != sp.entity_id {
            return Err(Refusal::from(RequestError::IssuerMismatch {
                request: fields.issuer,
                metadata: sp.entity_id.clone(),
            }));
        }
        let acs_url = resolve_acs_for(&fields, sp)?.location.clone();
        if let Err(error) = check_fields(&fields, was_signed, now, skew, expected_destinations) {
            return Err(Refusal {
                error,
                reply_to: Some(Box::new(ErrorReply {
                    acs_url,
                    in_response_to: fields.id,
                    relay_state: msg.relay_state,
                })),
            });
        }
        Ok(VerifiedAuthnRequest {
            id: fields.id,
            issuer: fields.issuer,
            issue_instant: fields.issue_instant,
            binding: msg.binding,
            acs_url,
            force_authn: fields.force_authn,
            is_passive: fields.is_passive,
            name_id_policy: fields.name_id_policy,
            requested_authn_context: fields.requested_authn_context,
            relay_state: msg.relay_state,
            was_signed,
        })
    }
}

#[cfg(test)]
mod acs_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;
#[cfg(test)]
mod wrapping_tests;
