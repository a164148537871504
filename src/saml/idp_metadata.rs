//! The IdP's own SAML metadata (`GET /saml/metadata`): a signed EntityDescriptor with one
//! IDPSSODescriptor.
//!
//! Guarantees:
//! - Elements are emitted in the order saml-schema-metadata-2.0.xsd requires (Signature first,
//!   then IDPSSODescriptor: KeyDescriptor, SingleLogoutService, NameIDFormat,
//!   SingleSignOnService; then Organization).
//! - The document is always signed (exclusive c14n) by the same signer as the Responses: the
//!   ring's active key, under its algorithm.
//! - Every certificate of the ring is published as a `KeyDescriptor use="signing"`: the active
//!   key's first, then the next key's, so e-services trust the next key before it signs.
//! - Every value is escaped; characters XML 1.0 forbids are refused.
use chrono::{DateTime, Utc};

use crate::keys::KeyRing;
use crate::saml::response::dsig::{sign_enveloped_async, DS_NS};
use crate::saml::response::{ResponseError, SAMLP_NS};
use crate::saml::types::Binding;
use crate::saml::xmlwrite::{saml_time, CanonWriter};

const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// Language of the Organization strings (xml:lang is required there).
const ORG_LANG: &str = "sl";

#[derive(Debug, Clone)]
pub struct IdpMetadataParams<'a> {
    pub entity_id: &'a str,
    /// Same URL for Redirect and POST.
    pub sso_url: &'a str,
    pub slo_url: Option<&'a str>,
    pub name_id_formats: &'a [&'a str],
    pub valid_until: DateTime<Utc>,
    pub id: &'a str,
    pub want_authn_requests_signed: bool,
    /// name, display name, url
    pub organization: Option<(&'a str, &'a str, &'a str)>,
}

/// Builds the signed IdP metadata document.
pub async fn build_idp_metadata(
    keys: &KeyRing,
    p: &IdpMetadataParams<'_>,
) -> Result<String, ResponseError> {
    if !crate::saml::response::dsig::is_ncname(p.id) {
        return Err(ResponseError::BadId(p.id.to_string()));
    }
    let valid_until = saml_time(p.valid_until);
    let mut w = CanonWriter::new();
    w.start(
        "md:EntityDescriptor",
        &[("md", MD_NS)],
        &[
            ("ID", p.id),
            ("entityID", p.entity_id),
            ("validUntil", &valid_until),
        ],
    )?;
    let head = w.take();

    let want = if p.want_authn_requests_signed {
        "true"
    } else {
        "false"
    };
    w.start(
        "md:IDPSSODescriptor",
        &[],
        &[
            ("WantAuthnRequestsSigned", want),
            ("protocolSupportEnumeration", SAMLP_NS),
        ],
    )?;
    for cert in keys.published() {
        w.start("md:KeyDescriptor", &[], &[("use", "signing")])?;
        w.start("ds:KeyInfo", &[("ds", DS_NS)], &[])?;
        w.start("ds:X509Data", &[], &[])?;
        w.text_element("ds:X509Certificate", &[], &[], cert.base64())?;
        w.end("ds:X509Data");
        w.end("ds:KeyInfo");
        w.end("md:KeyDescriptor");
    }
    let bindings = [Binding::HttpRedirect, Binding::HttpPost];
    if let Some(slo) = p.slo_url {
        for b in bindings {
            w.empty(
                "md:SingleLogoutService",
                &[],
                &[("Binding", b.uri()), ("Location", slo)],
            )?;
        }
    }
    for f in p.name_id_formats {
        w.text_element("md:NameIDFormat", &[], &[], f)?;
    }
    for b in bindings {
        w.empty(
            "md:SingleSignOnService",
            &[],
            &[("Binding", b.uri()), ("Location", p.sso_url)],
        )?;
    }
    w.end("md:IDPSSODescriptor");
    if let Some((name, display, url)) = p.organization {
        let lang = [("xml:lang", ORG_LANG)];
        w.start("md:Organization", &[], &[])?;
        w.text_element("md:OrganizationName", &[], &lang, name)?;
        w.text_element("md:OrganizationDisplayName", &[], &lang, display)?;
        w.text_element("md:OrganizationURL", &[], &lang, url)?;
        w.end("md:Organization");
    }
    w.end("md:EntityDescriptor");
    let tail = w.finish();
    Ok(sign_enveloped_async(keys.active(), p.id, &head, &tail).await?)
}
