#![allow(clippy::unwrap_used, clippy::expect_used)]
//! XML signature wrapping variants of a signed POST AuthnRequest: every one is refused and the
//! attacker's ACS URL is never used.

use super::testutil::*;
use super::*;
use crate::saml::binding::decode_post;
use crate::saml::xmlguard::{tree, GuardOptions};

const EVIL_ACS: &str = "https://evil.example/acs";

fn signed_body() -> String {
    let signed = Req::default().signed(sp_key(), RSA_SHA256, SHA256);
    let body = if signed.starts_with("<?xml") {
        signed
            .split_once('\n')
            .map(|x| x.1)
            .unwrap_or("")
            .to_string()
    } else {
        signed
    };
    body.trim().to_string()
}

fn signature_of(body: &str) -> String {
    let start = body.find("<ds:Signature").unwrap();
    let end = body.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    body[start..end].to_string()
}

fn evil_root(id: &str, inner: &str) -> String {
    format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="2026-05-04T09:59:30Z" Destination="{IDP_SSO}" AssertionConsumerServiceURL="{EVIL_ACS}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>{SP_ID}</saml:Issuer>{inner}</samlp:AuthnRequest>"#
    )
}

fn verify_with(r: UnverifiedAuthnRequest, required: bool) -> Result<VerifiedAuthnRequest, Refusal> {
    r.verify(
        &sp_metadata(true),
        required,
        now(),
        chrono::Duration::seconds(180),
        &[IDP_SSO],
    )
}

/// Refused at verify, whether a signature is required or not, and never answered with a SAML
/// status (so nothing goes to any ACS).
fn assert_refused(xml: &str) -> RequestError {
    let msg = decode_post(&b64(xml), None, 1 << 20).unwrap();
    let r = match UnverifiedAuthnRequest::parse(msg) {
        Ok(r) => r,
        Err(e) => return e,
    };
    // not required: a present signature must still be valid
    for required in [false, true] {
        match verify_with(r.clone(), required) {
            Ok(v) => panic!("wrapped request accepted: acs_url={}", v.acs_url),
            Err(refusal) => {
                assert!(refusal.error.saml_status().is_none(), "{}", refusal.error);
                assert!(refusal.status_reply().is_none(), "{}", refusal.error);
            }
        }
    }
    verify_with(r, true).unwrap_err().error
}

#[test]
fn baseline_signed_body_verifies() {
    let sp = sp_metadata(true);
    let r =
        UnverifiedAuthnRequest::parse(decode_post(&b64(&signed_body()), None, 1 << 20).unwrap())
            .unwrap();
    let v = r
        .verify(&sp, true, now(), chrono::Duration::seconds(180), &[IDP_SSO])
        .unwrap();
    assert_eq!(v.acs_url, ACS1);
}

#[test]
fn wrapping_a_signed_original_in_extensions_of_evil_root_refused() {
    let xml = evil_root(
        "_evil",
        &format!("<samlp:Extensions>{}</samlp:Extensions>", signed_body()),
    );
    let e = assert_refused(&xml);
    assert!(matches!(e, RequestError::SignatureStructure(_)), "{e}");
}

#[test]
fn wrapping_signature_moved_to_evil_root_with_other_id_refused() {
    let body = signed_body();
    let sig = signature_of(&body);
    let original_without_sig = body.replace(&sig, "");
    let xml = evil_root(
        "_evil",
        &format!("{sig}<samlp:Extensions>{original_without_sig}</samlp:Extensions>"),
    );
    let e = assert_refused(&xml);
    assert!(matches!(e, RequestError::SignatureStructure(_)), "{e}");
}

#[test]
fn wrapping_evil_root_with_same_id_duplicated_refused() {
    let body = signed_body();
    let sig = signature_of(&body);
    let original_without_sig = body.replace(&sig, "");
    let xml = evil_root(
        "_req1",
        &format!("{sig}<samlp:Extensions>{original_without_sig}</samlp:Extensions>"),
    );
    let e = assert_refused(&xml);
    assert!(matches!(e, RequestError::SignatureStructure(_)), "{e}");
}

#[test]
fn wrapping_evil_root_same_id_without_copy_refused() {
    // Same ID, evil ACS, the genuine signature: the digest no longer matches.
    let sig = signature_of(&signed_body());
    let e = assert_refused(&evil_root("_req1", &sig));
    assert!(matches!(e, RequestError::SignatureInvalid(_)), "{e}");
}

#[test]
fn signature_not_a_direct_child_of_root_refused() {
    let body = signed_body();
    let sig = signature_of(&body);
    let issuer_end = body.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let without = body.replace(&sig, "");
    let xml = format!(
        "{}<samlp:Extensions>{sig}</samlp:Extensions>{}",
        &without[..issuer_end],
        &without[issuer_end..]
    );
    let e = assert_refused(&xml);
    assert_eq!(
        e,
        RequestError::SignatureStructure("ds:Signature is not a direct child of the root element")
    );
}

#[test]
fn two_signatures_refused() {
    let body = signed_body();
    let sig = signature_of(&body);
    let xml = body.replace(
        "<samlp:NameIDPolicy",
        &format!("<samlp:Extensions>{sig}</samlp:Extensions><samlp:NameIDPolicy"),
    );
    let e = assert_refused(&xml);
    assert_eq!(
        e,
        RequestError::SignatureStructure("more than one ds:Signature in the request")
    );
}

#[test]
fn reference_to_other_element_refused() {
    // A genuinely signed request whose Reference URI points elsewhere than the root.
    let mut r = Req {
        tail: r#"<samlp:Extensions><x:Other xmlns:x="urn:x" ID="_other"/></samlp:Extensions>"#
            .into(),
        ..Req::default()
    };
    r.after_issuer = signature_template("_other", &sp_key().b64(), RSA_SHA256, SHA256);
    let xml = sign_xml(&r.xml(), sp_key());
    let e = assert_refused(&xml);
    assert_eq!(
        e,
        RequestError::SignatureStructure(
            "the signature's Reference URI is not \"#\" + the root ID"
        )
    );
}

// ---- the ID lookup: libxml finds "ID" without regard to namespace ----

/// An unsigned outer AuthnRequest of the same SP naming its other ACS (ACS2), with the given
/// root attributes (its ID) and children after the Issuer.
fn outer_root(id_attrs: &str, children: &str) -> String {
    format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:x="urn:x" {id_attrs} Version="2.0" IssueInstant="2026-05-04T09:59:30Z" Destination="{IDP_SSO}" AssertionConsumerServiceURL="{ACS2}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>{SP_ID}</saml:Issuer>{children}</samlp:AuthnRequest>"#
    )
}

/// The genuine signature as a child of the outer root, the genuine request (without it) inside.
fn sig_then_genuine_in_extensions() -> String {
    let body = signed_body();
    let sig = signature_of(&body);
    format!(
        "{sig}<samlp:Extensions>{}</samlp:Extensions>",
        body.replace(&sig, "")
    )
}

#[test]
fn namespaced_id_before_the_root_id_refused() {
    // libxml registers "_outer" for the root (x:ID comes first) and "_req1" for the genuine
    // inner request, so "#_req1" resolves to the inner one while the root's ID is "_req1".
    let xml = outer_root(
        r#"x:ID="_outer" ID="_req1""#,
        &sig_then_genuine_in_extensions(),
    );
    assert_eq!(
        assert_refused(&xml),
        RequestError::SignatureStructure("a namespace-qualified ID attribute")
    );
}

#[test]
fn namespaced_id_after_the_root_id_refused() {
    let xml = outer_root(
        r#"ID="_req1" x:ID="_outer""#,
        &sig_then_genuine_in_extensions(),
    );
    assert!(matches!(
        assert_refused(&xml),
        RequestError::SignatureStructure(_)
    ));
}

#[test]
fn xml_id_on_the_root_refused() {
    let xml = outer_root(
        r#"xml:id="_outer" ID="_req1""#,
        &sig_then_genuine_in_extensions(),
    );
    assert_eq!(
        assert_refused(&xml),
        RequestError::SignatureStructure("a namespace-qualified ID attribute")
    );
}

#[test]
fn genuine_request_inside_the_signature_object_refused() {
    let body = signed_body();
    let sig = signature_of(&body);
    let inner = body.replace(&sig, "");
    let sig_with_object = sig.replace(
        "</ds:Signature>",
        &format!("<ds:Object>{inner}</ds:Object></ds:Signature>"),
    );
    let xml = outer_root(r#"ID="_req1""#, &sig_with_object);
    assert_eq!(
        assert_refused(&xml),
        RequestError::SignatureStructure("another element carries the root's ID")
    );
}

#[test]
fn another_id_attribute_with_the_root_id_value_refused() {
    // A genuinely signed request that also carries the root's ID value in an "Id" attribute.
    let r = Req {
        tail: r#"<samlp:Extensions><x:Other xmlns:x="urn:x" Id="_req1"/></samlp:Extensions>"#
            .into(),
        ..Req::default()
    };
    let xml = r.signed(sp_key(), RSA_SHA256, SHA256);
    assert_eq!(
        assert_refused(&xml),
        RequestError::SignatureStructure("another element carries the root's ID")
    );
}

#[test]
fn namespaced_id_anywhere_in_a_signed_request_refused() {
    let r = Req {
        tail: r#"<samlp:Extensions><x:Other xmlns:x="urn:x" x:ID="_z"/></samlp:Extensions>"#.into(),
        ..Req::default()
    };
    let xml = r.signed(sp_key(), RSA_SHA256, SHA256);
    assert_eq!(
        assert_refused(&xml),
        RequestError::SignatureStructure("a namespace-qualified ID attribute")
    );
}

#[test]
fn duplicate_ids_in_a_signed_request_refused() {
    let r = Req {
        tail: r#"<samlp:Extensions><x:A xmlns:x="urn:x" ID="_d"/><x:B xmlns:x="urn:x" ID="_d"/></samlp:Extensions>"#
            .into(),
        ..Req::default()
    };
    let xml = r.signed(sp_key(), RSA_SHA256, SHA256);
    assert_eq!(
        assert_refused(&xml),
        RequestError::SignatureStructure("an ID value appears more than once")
    );
}

#[test]
fn signed_request_with_other_ids_is_accepted() {
    // IDs on other elements are fine when they are unique and unqualified.
    let r = Req {
        tail: r#"<samlp:Extensions><x:A xmlns:x="urn:x" ID="_a"/></samlp:Extensions>"#.into(),
        ..Req::default()
    };
    let xml = r.signed(sp_key(), RSA_SHA256, SHA256);
    let v = verify_with(
        UnverifiedAuthnRequest::parse(decode_post(&b64(&xml), None, 1 << 20).unwrap()).unwrap(),
        true,
    )
    .unwrap();
    assert_eq!(v.acs_url, ACS1);
}

// ---- the signed content must be the root itself ----

fn tree_of(xml: &str) -> tree::Element {
    tree::parse(xml, &GuardOptions::message(1 << 20)).unwrap()
}

#[test]
fn root_itself_ignores_attribute_order_whitespace_and_the_enveloped_signature() {
    let root = tree_of(
        r#"<r xmlns="urn:r" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" a="1" b="2">
  <ds:Signature/>
  <c>x</c>
</r>"#,
    );
    let signed = tree_of(r#"<p:r xmlns:p="urn:r" b="2" a="1"><p:c>x</p:c></p:r>"#);
    assert!(xmlsig::is_root_itself(&signed, &root));
}

#[test]
fn root_itself_sees_every_difference() {
    let root = tree_of(r#"<r xmlns="urn:r" a="1"><c>x</c><d/></r>"#);
    for other in [
        r#"<r xmlns="urn:r" a="2"><c>x</c><d/></r>"#,
        r#"<r xmlns="urn:r" a="1" e="3"><c>x</c><d/></r>"#,
        r#"<r xmlns="urn:r" xmlns:x="urn:x" x:a="1"><c>x</c><d/></r>"#,
        r#"<r xmlns="urn:r" a="1"><c>y</c><d/></r>"#,
        r#"<r xmlns="urn:r" a="1"><c>x</c></r>"#,
        r#"<r xmlns="urn:r" a="1"><d/><c>x</c></r>"#,
        r#"<r xmlns="urn:other" a="1"><c>x</c><d/></r>"#,
        r#"<r xmlns="urn:r" a="1"><c>x</c><d/><d/></r>"#,
    ] {
        assert!(!xmlsig::is_root_itself(&tree_of(other), &root), "{other}");
    }
    // a ds:Signature is ignored only as the root's own child
    let nested = tree_of(
        r#"<r xmlns="urn:r" a="1"><c>x<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></c><d/></r>"#,
    );
    assert!(!xmlsig::is_root_itself(&root, &nested));
}
