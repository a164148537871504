//! Enveloped XML signature of an HTTP-POST AuthnRequest.
//!
//! The signature must be the only ds:Signature in the document, a direct child of the root,
//! with exactly one Reference whose URI is "#" + the root's ID, SHA-256-or-better algorithms and
//! only the enveloped-signature / canonicalization transforms. It is verified by xmlsec (via
//! samael) with the certificates from metadata only, and the caller uses ONLY the XML that the
//! verification reduced to (the signed content), after checking its root ID is the original one.

use super::fields::{DS, SAMLP};
use super::RequestError;
use crate::saml::xmlguard::tree::{self, Element};
use crate::saml::xmlguard::GuardOptions;
use samael::crypto::{
    AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider, ReduceMode,
};

const ALLOWED: &[AllowedSignatureAlgorithm] = &[
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

const WEAK: &[&str] = &[
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
    "http://www.w3.org/2000/09/xmldsig#sha1",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
    "http://www.w3.org/2001/04/xmldsig-more#md5",
    "http://www.w3.org/2001/04/xmldsig-more#sha224",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha224",
];

const DIGESTS: &[&str] = &[
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];

const CANONICALIZATIONS: &[&str] = &[
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/2006/12/xml-c14n11",
];

const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

fn structure(msg: &'static str) -> RequestError {
    RequestError::SignatureStructure(msg)
}

fn algorithm_of(el: Option<&Element>) -> &str {
    el.and_then(|e| e.attr("Algorithm")).unwrap_or("")
}

fn check_algorithm(alg: &str, allowed: &[&str]) -> Result<(), RequestError> {
    if WEAK.contains(&alg) {
        return Err(RequestError::WeakAlgorithm(alg.to_string()));
    }
    if !allowed.contains(&alg) {
        return Err(RequestError::UnsupportedAlgorithm(alg.to_string()));
    }
    Ok(())
}

/// Whether the document carries any ds:Signature element (anywhere).
pub(crate) fn has_any_signature(root: &Element) -> bool {
    root.count_descendants(DS, "Signature") > 0
}

/// Structural checks that bind the one signature to the root element (also used for signed
/// metadata aggregates).
pub(crate) fn check_structure(root: &Element) -> Result<(), RequestError> {
    let root_id = root.attr("ID").unwrap_or("");
    match root.count_descendants(DS, "Signature") {
        0 => return Err(RequestError::SignatureRequired),
        1 => {}
        _ => return Err(structure("more than one ds:Signature in the request")),
    }
    let sig = root
        .child(DS, "Signature")
        .ok_or_else(|| structure("ds:Signature is not a direct child of the root element"))?;
    let mut infos = sig.children_named(DS, "SignedInfo");
    let info = infos
        .next()
        .ok_or_else(|| structure("ds:Signature has no SignedInfo"))?;
    if infos.next().is_some() {
        return Err(structure("more than one SignedInfo"));
    }
    let c14n = algorithm_of(info.child(DS, "CanonicalizationMethod"));
    if !CANONICALIZATIONS.contains(&c14n) {
        return Err(RequestError::UnsupportedAlgorithm(c14n.to_string()));
    }
    let sig_uris: Vec<&str> = ALLOWED.iter().map(|a| a.signature_uri()).collect();
    check_algorithm(algorithm_of(info.child(DS, "SignatureMethod")), &sig_uris)?;

    let mut refs = info.children_named(DS, "Reference");
    let reference = refs
        .next()
        .ok_or_else(|| structure("SignedInfo has no Reference"))?;
    if refs.next().is_some() {
        return Err(structure("SignedInfo has more than one Reference"));
    }
    if reference.attr("URI") != Some(format!("#{root_id}").as_str()) {
        return Err(structure(
            "the signature's Reference URI is not \"#\" + the root ID",
        ));
    }
    check_algorithm(algorithm_of(reference.child(DS, "DigestMethod")), DIGESTS)?;
    if let Some(transforms) = reference.child(DS, "Transforms") {
        for t in transforms.elements() {
            let alg = algorithm_of(Some(t));
            if !t.is(DS, "Transform") || !(alg == ENVELOPED || CANONICALIZATIONS.contains(&alg)) {
                return Err(RequestError::UnsupportedAlgorithm(format!(
                    "transform {alg}"
                )));
            }
        }
    }
    Ok(())
}

/// Verify the enveloped signature of a POST request and return the root of the signed content.
pub(crate) fn verify_post(
    xml: &str,
    root: &Element,
    certs_der: &[Vec<u8>],
) -> Result<Element, RequestError> {
    check_structure(root)?;
    let reduced = reduce_to_signed(xml, certs_der)?;
    let signed_root = tree::parse(
        &reduced,
        &GuardOptions::message(xml.len().saturating_mul(2)),
    )?;
    if !signed_root.is(SAMLP, "AuthnRequest") {
        return Err(structure("the signed element is not the AuthnRequest"));
    }
    if signed_root.attr("ID") != root.attr("ID") {
        return Err(structure(
            "the signed element's ID differs from the root ID",
        ));
    }
    Ok(signed_root)
}

/// Verifies the signatures in `xml` with xmlsec against `certs_der` only (SHA-256 or better) and
/// returns the XML reduced to the signed content. Call [`check_structure`] first.
pub(crate) fn reduce_to_signed(xml: &str, certs_der: &[Vec<u8>]) -> Result<String, RequestError> {
    if certs_der.is_empty() {
        return Err(RequestError::NoSigningCertificate);
    }
    let certs: Vec<CertificateDer> = certs_der
        .iter()
        .cloned()
        .map(CertificateDer::from)
        .collect();
    Crypto::reduce_xml_to_signed_with_allowed_algorithms(
        xml,
        &certs,
        ReduceMode::ValidateAndMarkNoAncestors,
        Some(ALLOWED),
    )
    .map_err(|e| RequestError::SignatureInvalid(e.to_string()))
}
