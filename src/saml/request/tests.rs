#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::testutil::*;
use super::*;
use crate::saml::binding::{decode_post, decode_redirect, encode_redirect_query, sig_alg};
use crate::saml::xmlguard::XmlGuardError;

const MAX: usize = 256 * 1024;

fn skew() -> chrono::Duration {
    chrono::Duration::seconds(180)
}

fn post(xml: &str) -> UnverifiedAuthnRequest {
    UnverifiedAuthnRequest::parse(decode_post(&b64(xml), Some("rs"), MAX).unwrap()).unwrap()
}

fn redirect(xml: &str, key: Option<&TestKey>) -> UnverifiedAuthnRequest {
    let q =
        encode_redirect_query(xml, Some("rs"), key.map(|k| (&k.key, sig_alg::RSA_SHA256))).unwrap();
    UnverifiedAuthnRequest::parse(decode_redirect(&q, MAX).unwrap()).unwrap()
}

fn verify(
    r: UnverifiedAuthnRequest,
    sp: &SpMetadata,
    require: bool,
) -> Result<VerifiedAuthnRequest, RequestError> {
    r.verify(sp, require, now(), skew(), &[IDP_SSO])
        .map_err(|r| r.error)
}

fn parse_err(xml: &str) -> RequestError {
    UnverifiedAuthnRequest::parse(decode_post(&b64(xml), None, MAX).unwrap()).unwrap_err()
}

// ---- Redirect ----

#[test]
fn redirect_unsigned_ok() {
    let r = redirect(&Req::default().xml(), None);
    assert_eq!(r.issuer(), SP_ID);
    assert!(!r.is_signed());
    let v = verify(r, &sp_metadata(false), false).unwrap();
    assert_eq!(v.acs_url, ACS1);
    assert_eq!(v.binding, Binding::HttpRedirect);
    assert_eq!(v.relay_state.as_deref(), Some("rs"));
    assert!(!v.was_signed);
    assert_eq!(
        v.name_id_policy,
        Some(NameIdPolicy {
            format: Some(crate::saml::types::nameid::PERSISTENT.into()),
            allow_create: true,
            sp_name_qualifier: None
        })
    );
}

#[test]
fn redirect_signed_rsa_sha256_ok() {
    let r = redirect(&Req::default().xml(), Some(sp_key()));
    assert!(r.is_signed());
    let v = verify(r, &sp_metadata(true), true).unwrap();
    assert!(v.was_signed);
}

#[test]
fn redirect_signed_with_rollover_cert_ok() {
    let r = redirect(&Req::default().xml(), Some(sp_key2()));
    assert!(verify(r, &sp_metadata(true), true).unwrap().was_signed);
}

#[test]
fn redirect_signed_by_other_key_refused() {
    let r = redirect(&Req::default().xml(), Some(other_key()));
    assert_eq!(
        verify(r, &sp_metadata(true), true).unwrap_err(),
        RequestError::RedirectSignature(BindingError::SignatureInvalid)
    );
}

#[test]
fn redirect_bad_signature_refused_even_when_not_required() {
    let r = redirect(&Req::default().xml(), Some(other_key()));
    assert!(verify(r, &sp_metadata(false), false).is_err());
}

#[test]
fn redirect_missing_signature_when_required_refused() {
    let r = redirect(&Req::default().xml(), None);
    assert_eq!(
        verify(r, &sp_metadata(true), true).unwrap_err(),
        RequestError::SignatureRequired
    );
    // IdP policy can require it although metadata does not
    let r = redirect(&Req::default().xml(), None);
    assert_eq!(
        verify(r, &sp_metadata(false), true).unwrap_err(),
        RequestError::SignatureRequired
    );
}

#[test]
fn redirect_with_embedded_xml_signature_refused() {
    let xml = Req::default().signed(sp_key(), RSA_SHA256, SHA256);
    let r = redirect(&xml, None);
    assert!(matches!(
        verify(r, &sp_metadata(false), false),
        Err(RequestError::SignatureStructure(_))
    ));
}

// ---- POST ----

#[test]
fn post_signed_ok() {
    let xml = Req::default().signed(sp_key(), RSA_SHA256, SHA256);
    let r = post(&xml);
    assert!(r.is_signed());
    let v = verify(r, &sp_metadata(true), true).unwrap();
    assert!(v.was_signed);
    assert_eq!(v.id, "_req1");
    assert_eq!(v.acs_url, ACS1);
    assert_eq!(v.binding, Binding::HttpPost);
}

#[test]
fn post_signed_with_second_metadata_cert_ok() {
    let xml = Req::default().signed(sp_key2(), RSA_SHA256, SHA256);
    assert!(
        verify(post(&xml), &sp_metadata(true), true)
            .unwrap()
            .was_signed
    );
}

#[test]
fn post_unsigned_when_required_refused() {
    let r = post(&Req::default().xml());
    assert!(!r.is_signed());
    assert_eq!(
        verify(r, &sp_metadata(true), true).unwrap_err(),
        RequestError::SignatureRequired
    );
}

#[test]
fn post_unsigned_when_not_required_ok() {
    let v = verify(post(&Req::default().xml()), &sp_metadata(false), false).unwrap();
    assert!(!v.was_signed);
}

#[test]
fn post_signed_by_cert_not_in_metadata_refused() {
    // The message even carries the attacker's certificate in KeyInfo: it must not be used.
    let xml = Req::default().signed(other_key(), RSA_SHA256, SHA256);
    assert!(xml.contains(&other_key().b64()));
    assert!(matches!(
        verify(post(&xml), &sp_metadata(true), true),
        Err(RequestError::SignatureInvalid(_))
    ));
    // and also when a signature is present but not required
    assert!(matches!(
        verify(post(&xml), &sp_metadata(false), false),
        Err(RequestError::SignatureInvalid(_))
    ));
}

#[test]
fn post_rsa_sha1_refused() {
    let mut r = Req::default();
    r.after_issuer = signature_template(&r.id, &sp_key().b64(), RSA_SHA1, SHA1);
    // xmlsec may or may not still sign SHA-1; the refusal must not depend on it.
    let der = sp_key().key.private_key_to_der().unwrap();
    let xml = <samael::crypto::Crypto as samael::crypto::CryptoProvider>::sign_xml(r.xml(), &der)
        .unwrap_or_else(|_| r.xml());
    assert_eq!(
        verify(post(&xml), &sp_metadata(true), true).unwrap_err(),
        RequestError::WeakAlgorithm(RSA_SHA1.into())
    );
}

#[test]
fn post_sha256_signature_with_sha1_digest_refused() {
    let mut r = Req::default();
    r.after_issuer = signature_template(&r.id, &sp_key().b64(), RSA_SHA256, SHA1);
    let der = sp_key().key.private_key_to_der().unwrap();
    let xml = <samael::crypto::Crypto as samael::crypto::CryptoProvider>::sign_xml(r.xml(), &der)
        .unwrap_or_else(|_| r.xml());
    assert_eq!(
        verify(post(&xml), &sp_metadata(true), true).unwrap_err(),
        RequestError::WeakAlgorithm(SHA1.into())
    );
}

#[test]
fn post_tampered_after_signing_refused() {
    let xml = Req::default().signed(sp_key(), RSA_SHA256, SHA256);
    let tampered = xml.replace(ACS1, ACS2);
    assert_ne!(xml, tampered);
    assert!(matches!(
        verify(post(&tampered), &sp_metadata(true), true),
        Err(RequestError::SignatureInvalid(_))
    ));
}

// ---- parse-level refusals ----

#[test]
fn doctype_xxe_refused() {
    let xml = format!(
        r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>{}"#,
        Req::default().xml().replace(SP_ID, "&xxe;")
    );
    assert_eq!(parse_err(&xml), RequestError::Xml(XmlGuardError::Doctype));
}

#[test]
fn billion_laughs_refused() {
    let xml = format!(
        r#"<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>{}"#,
        Req::default().xml().replace(SP_ID, "&b;")
    );
    assert_eq!(parse_err(&xml), RequestError::Xml(XmlGuardError::Doctype));
}

#[test]
fn undeclared_entity_refused() {
    let xml = Req::default().xml().replace(SP_ID, "&b;");
    assert!(matches!(
        parse_err(&xml),
        RequestError::Xml(XmlGuardError::UnknownEntity(_))
    ));
}

#[test]
fn comment_inside_issuer_refused() {
    let xml = Req::default()
        .xml()
        .replace(SP_ID, "https://sp.example.si/sp<!-- -->.evil.example");
    assert_eq!(parse_err(&xml), RequestError::Xml(XmlGuardError::Comment));
}

#[test]
fn processing_instruction_refused() {
    let xml = format!("<?xml version=\"1.0\"?><?evil x?>{}", Req::default().xml());
    assert!(matches!(
        parse_err(&xml),
        RequestError::Xml(XmlGuardError::ProcessingInstruction(_))
    ));
}

#[test]
fn logout_request_is_a_distinct_error() {
    let xml = r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_l" Version="2.0" IssueInstant="2026-05-04T10:00:00Z"/>"#;
    assert_eq!(parse_err(xml), RequestError::LogoutRequest);
    assert!(matches!(
        parse_err(r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>"#),
        RequestError::NotAuthnRequest(_)
    ));
    // right local name, wrong namespace
    assert!(matches!(
        parse_err(r#"<AuthnRequest ID="_a" Version="2.0"/>"#),
        RequestError::NotAuthnRequest(_)
    ));
}

#[test]
fn version_other_than_2_0_refused() {
    let xml = Req::default()
        .xml()
        .replace("Version=\"2.0\"", "Version=\"1.1\"");
    let e = parse_err(&xml);
    assert_eq!(e, RequestError::VersionMismatch("1.1".into()));
    assert_eq!(
        e.saml_status(),
        Some((crate::saml::types::status::VERSION_MISMATCH, None))
    );
}

#[test]
fn missing_or_empty_issuer_refused() {
    let empty = Req {
        issuer: "  ".into(),
        ..Req::default()
    };
    assert_eq!(parse_err(&empty.xml()), RequestError::MissingIssuer);
    let none = Req::default()
        .xml()
        .replace(&format!("<saml:Issuer>{SP_ID}</saml:Issuer>"), "");
    assert_eq!(parse_err(&none), RequestError::MissingIssuer);
}

#[test]
fn issuer_must_match_metadata() {
    let r = post(
        &Req {
            issuer: "https://other.example/sp".into(),
            ..Req::default()
        }
        .xml(),
    );
    assert!(matches!(
        verify(r, &sp_metadata(false), false),
        Err(RequestError::IssuerMismatch { .. })
    ));
}
