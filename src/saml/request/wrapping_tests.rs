#![allow(clippy::unwrap_used, clippy::expect_used)]
//! XML signature wrapping variants of a signed POST AuthnRequest: every one is refused and the
//! attacker's ACS URL is never used.

use super::testutil::*;
use super::*;
use crate::saml::binding::decode_post;

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

/// Refused at verify, and the evil ACS is not resolvable either.
fn assert_refused(xml: &str) -> RequestError {
    let sp = sp_metadata(true);
    let msg = decode_post(&b64(xml), None, 1 << 20).unwrap();
    let r = match UnverifiedAuthnRequest::parse(msg) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if let Ok(acs) = r.resolve_acs(&sp) {
        assert_ne!(acs.location, EVIL_ACS);
    }
    // not required: a present signature must still be valid
    let r2 = r.clone();
    for (req, x) in [(true, r), (false, r2)] {
        match x.verify(&sp, req, now(), chrono::Duration::seconds(180), &[IDP_SSO]) {
            Ok(v) => panic!("wrapped request accepted: acs_url={}", v.acs_url),
            Err(e) => assert!(e.saml_status().is_none(), "{e}"),
        }
    }
    let r = UnverifiedAuthnRequest::parse(decode_post(&b64(xml), None, 1 << 20).unwrap()).unwrap();
    r.verify(&sp, true, now(), chrono::Duration::seconds(180), &[IDP_SSO])
        .unwrap_err()
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
    assert!(matches!(e, RequestError::SignatureInvalid(_)), "{e}");
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
