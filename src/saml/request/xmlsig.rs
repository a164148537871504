//! Enveloped XML signature of an HTTP-POST AuthnRequest.
//!
//! The signature must be the only ds:Signature in the document, a direct child of the root,
//! with exactly one Reference whose URI is "#" + the root's ID, SHA-256-or-better algorithms and
//! only the enveloped-signature / canonicalization transforms. It is verified by xmlsec (via
//! samael) with the certificates from metadata only.
//!
//! libxml (under xmlsec) finds IDs by attribute name without regard to namespace, so `x:ID` or
//! `xml:id` can make "#" + root ID name another element than the root. Therefore:
//! - no attribute whose local name is ID (any case) may be namespace-qualified, anywhere;
//! - unqualified `ID` values are unique in the whole document, and no attribute named
//!   ID/Id/id other than the root's own `ID` carries the root's ID value;
//! - the content the signature verified must BE the root (same names, attributes and content,
//!   the root's ds:Signature child aside), so what the caller reads from the root is signed.

use super::fields::{DS, SAMLP};
use super::RequestError;
use crate::saml::xmlguard::tree::{self, Element, Node};
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

fn is_id_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("id")
}

/// The ID rules of the module documentation, over the whole document below `root`.
fn check_ids(root: &Element) -> Result<(), RequestError> {
    let root_id = root.attr("ID").unwrap_or("");
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![(root, true)];
    while let Some((el, is_root)) = stack.pop() {
        for a in el.attrs.iter().filter(|a| is_id_name(&a.name)) {
            if !a.ns.is_empty() {
                return Err(structure("a namespace-qualified ID attribute"));
            }
            let own_root_id = is_root && a.name == "ID";
            if a.value == root_id && !own_root_id {
                return Err(structure("another element carries the root's ID"));
            }
            if a.name == "ID" && !seen.insert(a.value.as_str()) {
                return Err(structure("an ID value appears more than once"));
            }
        }
        stack.extend(el.elements().map(|c| (c, false)));
    }
    Ok(())
}

/// Structural checks that bind the one signature to the root element (also used for signed
/// metadata aggregates).
pub(crate) fn check_structure(root: &Element) -> Result<(), RequestError> {
    let root_id = root.attr("ID").unwrap_or("");
    check_ids(root)?;
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
    if !is_root_itself(&signed_root, root) {
        return Err(structure(
            "the signed content is not the message's root element",
        ));
    }
    if !signed_root.is(SAMLP, "AuthnRequest") {
        return Err(structure("the signed element is not the AuthnRequest"));
    }
    Ok(signed_root)
}

/// Whether `signed` (the content a signature verified) is `root` itself: the same element names,
/// attributes (in any order) and content, ignoring the root's direct ds:Signature children
/// (the enveloped signature is not part of what it signs) and whitespace-only text.
pub(crate) fn is_root_itself(signed: &Element, root: &Element) -> bool {
    same_element(signed, root, true)
}

fn same_element(a: &Element, b: &Element, top: bool) -> bool {
    if a.ns != b.ns || a.name != b.name || a.attrs.len() != b.attrs.len() {
        return false;
    }
    let mut attrs_a: Vec<_> = a.attrs.iter().map(|x| (&x.ns, &x.name, &x.value)).collect();
    let mut attrs_b: Vec<_> = b.attrs.iter().map(|x| (&x.ns, &x.name, &x.value)).collect();
    attrs_a.sort();
    attrs_b.sort();
    if attrs_a != attrs_b {
        return false;
    }
    let (ca, cb) = (content(a, top), content(b, top));
    ca.len() == cb.len()
        && ca.iter().zip(&cb).all(|pair| match pair {
            (Content::Text(x), Content::Text(y)) => x == y,
            (Content::Element(x), Content::Element(y)) => same_element(x, y, false),
            _ => false,
        })
}

enum Content<'a> {
    Text(String),
    Element(&'a Element),
}

/// Children with adjacent text merged and whitespace-only text dropped; at the top, without the
/// ds:Signature children.
fn content(el: &Element, top: bool) -> Vec<Content<'_>> {
    let mut out: Vec<Content<'_>> = Vec::new();
    for child in &el.children {
        match child {
            Node::Element(e) if top && e.is(DS, "Signature") => {}
            Node::Element(e) => out.push(Content::Element(e)),
            Node::Text(t) => match out.last_mut() {
                Some(Content::Text(prev)) => prev.push_str(t),
                _ => out.push(Content::Text(t.clone())),
            },
        }
    }
    out.retain(|c| match c {
        Content::Text(t) => !t.chars().all(|ch| matches!(ch, ' ' | '\t' | '\r' | '\n')),
        Content::Element(_) => true,
    });
    out
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
