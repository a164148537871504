//! Tests for response.rs, idp_metadata.rs and the shared signer: every signature is checked by
//! samael (xmlsec library) and by the xmlsec1 command line tool.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::process::Command;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{Duration, TimeZone, Utc};
use samael::crypto::{CertificateDer, Crypto, CryptoProvider, ReduceMode};

use super::*;
use crate::keys::{generate_self_signed, KeyRing, PemSigner, RingKey};
use crate::saml::idp_metadata::IdpMetadataParams;
use crate::saml::types::{nameid, status};

const INJECTION: &str = r#"x</saml:AttributeValue></saml:Attribute><saml:Attribute Name="admin"><saml:AttributeValue>1"#;
const RESPONSE_ELEM: &str = "urn:oasis:names:tc:SAML:2.0:protocol:Response";
const ASSERTION_ELEM: &str = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion";
const METADATA_ELEM: &str = "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor";

struct TestKey {
    key: KeyRing,
    cert_pem: Vec<u8>,
}

/// A ring of one PEM key.
pub(super) fn ring(
    key_pem: &[u8],
    cert_pem: &[u8],
    alg: Option<crate::keys::Algorithm>,
) -> KeyRing {
    let signer = std::sync::Arc::new(PemSigner::from_pem(key_pem, cert_pem).unwrap());
    KeyRing::single(RingKey::new("test", alg, signer).unwrap())
}

fn test_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| {
        let (k, c) = generate_self_signed("pass-idp response test", 30).unwrap();
        TestKey {
            key: ring(&k, &c, None),
            cert_pem: c,
        }
    })
}

fn other_key() -> KeyRing {
    let (k, c) = generate_self_signed("someone else", 30).unwrap();
    ring(&k, &c, None)
}

/// The async builders, run to completion here.
pub(super) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn build_success(k: &KeyRing, r: &SuccessResponse) -> Result<String, ResponseError> {
    block_on(super::build_success(k, r))
}

fn build_idp_metadata(k: &KeyRing, p: &IdpMetadataParams) -> Result<String, ResponseError> {
    block_on(crate::saml::idp_metadata::build_idp_metadata(k, p))
}

fn cert() -> CertificateDer {
    CertificateDer::from(test_key().key.active().certificate().der().to_vec())
}

fn samael_verify(xml: &str) -> bool {
    Crypto::verify_signed_xml(xml, &cert(), Some("ID")).is_ok()
}

/// Verifies every signature in the document (samael's reduce verifies each Signature node).
fn samael_verify_all(xml: &str) -> bool {
    Crypto::reduce_xml_to_signed(xml, &[cert()], ReduceMode::ValidateAndMark).is_ok()
}

/// `Some(ok)` from `xmlsec1 --verify`, `None` when xmlsec1 is not installed.
fn xmlsec1_verify(xml: &str, id_elem: &str) -> Option<bool> {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let file = dir.path().join("doc.xml");
    std::fs::write(&cert, &test_key().cert_pem).unwrap();
    std::fs::write(&file, xml).unwrap();
    let out = match Command::new("xmlsec1")
        .arg("--verify")
        .arg("--pubkey-cert-pem")
        .arg(&cert)
        .arg("--id-attr:ID")
        .arg(id_elem)
        .arg(&file)
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("SKIP: xmlsec1 not installed, CLI verification skipped");
            return None;
        }
        Err(e) => panic!("xmlsec1: {e}"),
    };
    if !out.status.success() {
        println!("xmlsec1 stderr: {}", String::from_utf8_lossy(&out.stderr));
    }
    Some(out.status.success())
}

/// With `PASS_IDP_TEST_DUMP=dir`, writes the document there (for manual XSD validation).
fn dump(name: &str, xml: &str) {
    if let Ok(dir) = std::env::var("PASS_IDP_TEST_DUMP") {
        std::fs::write(std::path::Path::new(&dir).join(name), xml).unwrap();
    }
}

/// Both verifiers agree that the document verifies (xmlsec1 only when installed).
fn assert_verifies(xml: &str, id_elem: &str) {
    assert!(samael_verify(xml), "samael rejected:\n{xml}");
    if let Some(ok) = xmlsec1_verify(xml, id_elem) {
        assert!(ok, "xmlsec1 rejected:\n{xml}");
    }
}

fn assert_rejected(xml: &str, id_elem: &str) {
    assert!(!samael_verify(xml), "samael accepted tampered:\n{xml}");
    if let Some(ok) = xmlsec1_verify(xml, id_elem) {
        assert!(!ok, "xmlsec1 accepted tampered:\n{xml}");
    }
}

/// The Assertion element cut out as a document of its own (it is canonical and declares its
/// namespaces, so its signature verifies alone).
fn assertion_alone(xml: &str) -> &str {
    let start = xml.find("<saml:Assertion ").unwrap();
    let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    &xml[start..end]
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, 10, 20, 30).unwrap()
}

fn name_id() -> NameId {
    NameId {
        value: "pw-7Hq2mX".into(),
        format: nameid::PERSISTENT.into(),
        name_qualifier: Some("https://idp.example.si/saml".into()),
        sp_name_qualifier: Some("https://sp.example.si".into()),
    }
}

fn attrs(given: &str) -> Vec<Attribute> {
    vec![
        Attribute {
            name: "urn:oid:2.5.4.42".into(),
            friendly_name: Some("givenName".into()),
            name_format: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri".into(),
            values: vec![given.into()],
        },
        Attribute {
            name: "urn:oid:2.5.4.4".into(),
            friendly_name: None,
            name_format: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri".into(),
            values: vec!["Novak".into(), "Kovač".into()],
        },
    ]
}

fn success<'a>(
    nid: &'a NameId,
    attributes: &'a [Attribute],
    sa: bool,
    sr: bool,
) -> SuccessResponse<'a> {
    SuccessResponse {
        response_id: "_resp1",
        assertion_id: "_assert1",
        issuer: "https://idp.example.si/saml",
        destination: "https://sp.example.si/acs?a=1&b=2",
        in_response_to: Some("_req42"),
        audience: "https://sp.example.si",
        name_id: nid,
        issue_instant: t0(),
        not_before: t0() - Duration::seconds(60),
        not_on_or_after: t0() + Duration::seconds(300),
        authn_instant: t0() - Duration::seconds(5),
        session_index: "_sess9",
        session_not_on_or_after: Some(t0() + Duration::hours(8)),
        authn_context_class_ref: "http://eidas.europa.eu/LoA/substantial",
        attributes,
        sign_assertion: sa,
        sign_response: sr,
    }
}

fn build(given: &str, sa: bool, sr: bool) -> String {
    let nid = name_id();
    let a = attrs(given);
    build_success(&test_key().key, &success(&nid, &a, sa, sr)).unwrap()
}

#[test]
fn assertion_only_signature_verifies() {
    let xml = build("Ana", true, false);
    assert!(xml.starts_with("<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" Destination=\"https://sp.example.si/acs?a=1&amp;b=2\" ID=\"_resp1\" InResponseTo=\"_req42\" IssueInstant=\"2025-03-04T10:20:30Z\" Version=\"2.0\"><saml:Issuer xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">https://idp.example.si/saml</saml:Issuer><samlp:Status>"), "{xml}");
    assert!(xml.contains("<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_assert1\" IssueInstant=\"2025-03-04T10:20:30Z\" Version=\"2.0\"><saml:Issuer>https://idp.example.si/saml</saml:Issuer><ds:Signature xmlns:ds="));
    assert_eq!(xml.matches("<ds:Signature ").count(), 1);
    assert_verifies(&xml, ASSERTION_ELEM);
    assert_verifies(assertion_alone(&xml), ASSERTION_ELEM);
}

#[test]
fn response_only_signature_verifies() {
    let xml = build("Ana", false, true);
    assert_eq!(xml.matches("<ds:Signature ").count(), 1);
    assert!(xml.contains("</saml:Issuer><ds:Signature xmlns:ds="));
    assert!(!assertion_alone(&xml).contains("ds:Signature"));
    assert_verifies(&xml, RESPONSE_ELEM);
}

#[test]
fn both_signatures_verify() {
    let xml = build("Ana", true, true);
    dump("response-both.xml", &xml);
    assert_eq!(xml.matches("<ds:Signature ").count(), 2);
    // The first signature in document order is the Response's; the assertion's is checked alone.
    assert!(xml.contains("<ds:Reference URI=\"#_resp1\">"));
    assert!(xml.contains("<ds:Reference URI=\"#_assert1\">"));
    assert_verifies(&xml, RESPONSE_ELEM);
    assert_verifies(assertion_alone(&xml), ASSERTION_ELEM);
    assert!(samael_verify_all(&xml));
}

#[test]
fn uses_sha256_and_exclusive_c14n_only() {
    let xml = build("Ana", true, true);
    assert!(!xml.contains("sha1"));
    assert_eq!(xml.matches("xmldsig-more#rsa-sha256").count(), 2);
    assert_eq!(xml.matches("xmlenc#sha256").count(), 2);
    assert_eq!(xml.matches("xml-exc-c14n#").count(), 4);
}

#[test]
fn signature_by_another_key_does_not_verify() {
    let nid = name_id();
    let a = attrs("Ana");
    let xml = build_success(&other_key(), &success(&nid, &a, true, true)).unwrap();
    assert_rejected(&xml, RESPONSE_ELEM);
    assert_rejected(assertion_alone(&xml), ASSERTION_ELEM);
}

#[test]
fn tampered_attribute_value_fails_every_signature_mode() {
    for (sa, sr) in [(true, false), (false, true), (true, true)] {
        let xml = build("Ana", sa, sr);
        let tampered = xml.replacen(">Ana<", ">Anb<", 1);
        assert_ne!(xml, tampered);
        let elem = if sr { RESPONSE_ELEM } else { ASSERTION_ELEM };
        assert_rejected(&tampered, elem);
        if sa {
            assert_rejected(assertion_alone(&tampered), ASSERTION_ELEM);
        }
    }
}

#[test]
fn tampered_destination_fails_response_signature() {
    let xml = build("Ana", false, true);
    let tampered = xml.replacen("https://sp.example.si/acs", "https://evil.example/acs", 1);
    assert_rejected(&tampered, RESPONSE_ELEM);
}

#[test]
fn nothing_signed_is_refused() {
    let nid = name_id();
    let a = attrs("Ana");
    let r = build_success(&test_key().key, &success(&nid, &a, false, false));
    assert!(matches!(r, Err(ResponseError::NothingSigned)));
}

#[test]
fn markup_in_attribute_value_stays_one_value_and_verifies() {
    let xml = build(INJECTION, true, true);
    assert_verifies(&xml, RESPONSE_ELEM);
    assert_verifies(assertion_alone(&xml), ASSERTION_ELEM);
    let resp = samael::schema::Response::from_str(&xml).unwrap();
    let a = resp.assertion.unwrap();
    let stmts = a.attribute_statements.unwrap();
    assert_eq!(stmts.len(), 1);
    let all: Vec<_> = stmts[0].attributes.iter().collect();
    assert_eq!(all.len(), 2, "an extra attribute was injected");
    assert!(all.iter().all(|a| a.name.as_deref() != Some("admin")));
    assert_eq!(all[0].values.len(), 1);
    assert_eq!(all[0].values[0].value.as_deref(), Some(INJECTION));
    assert_eq!(xml.matches("<saml:Attribute ").count(), 2);
}

#[test]
fn tricky_values_round_trip() {
    let values = [
        "a & b",
        "\"double\" 'single'",
        "]]>",
        "<!-- comment -->",
        "<![CDATA[x]]>",
        "čšž ČŠŽ",
        "tab\there",
    ];
    for v in values {
        let nid = NameId {
            value: format!("n{v}"),
            ..name_id()
        };
        let a = vec![Attribute {
            name: format!("attr {v}"),
            friendly_name: Some(v.to_string()),
            name_format: "urn:oasis:names:tc:SAML:2.0:attrname-format:basic".into(),
            values: vec![v.to_string()],
        }];
        let xml = build_success(&test_key().key, &success(&nid, &a, true, true)).unwrap();
        assert_verifies(&xml, RESPONSE_ELEM);
        assert_verifies(assertion_alone(&xml), ASSERTION_ELEM);
        let resp = samael::schema::Response::from_str(&xml).unwrap();
        let asr = resp.assertion.unwrap();
        let attr = &asr.attribute_statements.unwrap()[0].attributes;
        assert_eq!(attr.len(), 1, "{v}");
        assert_eq!(attr[0].name.as_deref(), Some(format!("attr {v}").as_str()));
        assert_eq!(attr[0].friendly_name.as_deref(), Some(v));
        assert_eq!(attr[0].values[0].value.as_deref(), Some(v), "{v}");
        assert_eq!(asr.subject.unwrap().name_id.unwrap().value, format!("n{v}"));
    }
}

#[test]
fn control_character_is_refused() {
    let nid = name_id();
    let a = attrs("bad\u{1}value");
    let r = build_success(&test_key().key, &success(&nid, &a, true, false));
    assert!(matches!(r, Err(ResponseError::InvalidValue(_))), "{r:?}");
}

#[test]
fn non_ncname_ids_are_refused() {
    let nid = name_id();
    let a = attrs("Ana");
    for bad in ["1abc", "a\"b", "x y", ""] {
        let mut r = success(&nid, &a, true, true);
        r.response_id = bad;
        assert!(matches!(
            build_success(&test_key().key, &r),
            Err(ResponseError::BadId(_))
        ));
        let mut r = success(&nid, &a, true, true);
        r.assertion_id = bad;
        assert!(matches!(
            build_success(&test_key().key, &r),
            Err(ResponseError::BadId(_))
        ));
        let mut r = success(&nid, &a, true, true);
        r.in_response_to = Some(bad);
        assert!(matches!(
            build_success(&test_key().key, &r),
            Err(ResponseError::BadId(_))
        ));
    }
}

#[test]
fn samael_parses_success_and_fields_match() {
    let xml = build("Ana", true, false);
    let r = samael::schema::Response::from_str(&xml).unwrap();
    assert_eq!(r.id, "_resp1");
    assert_eq!(r.version, "2.0");
    assert_eq!(r.in_response_to.as_deref(), Some("_req42"));
    assert_eq!(
        r.destination.as_deref(),
        Some("https://sp.example.si/acs?a=1&b=2")
    );
    assert_eq!(r.issue_instant, t0());
    assert_eq!(
        r.issuer.unwrap().value.as_deref(),
        Some("https://idp.example.si/saml")
    );
    assert_eq!(
        r.status.unwrap().status_code.value.as_deref(),
        Some(status::SUCCESS)
    );
    let a = r.assertion.unwrap();
    assert_eq!(a.id, "_assert1");
    assert_eq!(a.issue_instant, t0());
    assert!(a.signature.is_some());
    let subj = a.subject.unwrap();
    let n = subj.name_id.unwrap();
    assert_eq!(n.value, "pw-7Hq2mX");
    assert_eq!(n.format.as_deref(), Some(nameid::PERSISTENT));
    let sc = &subj.subject_confirmations.unwrap()[0];
    assert_eq!(
        sc.method.as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:cm:bearer")
    );
    let scd = sc.subject_confirmation_data.as_ref().unwrap();
    assert_eq!(
        scd.recipient.as_deref(),
        Some("https://sp.example.si/acs?a=1&b=2")
    );
    assert_eq!(scd.in_response_to.as_deref(), Some("_req42"));
    assert_eq!(scd.not_on_or_after, Some(t0() + Duration::seconds(300)));
    let c = a.conditions.unwrap();
    assert_eq!(c.not_before, Some(t0() - Duration::seconds(60)));
    assert_eq!(c.not_on_or_after, Some(t0() + Duration::seconds(300)));
    assert_eq!(
        c.audience_restrictions.unwrap()[0].audience,
        vec!["https://sp.example.si"]
    );
    let st = &a.authn_statements.unwrap()[0];
    assert_eq!(st.authn_instant, Some(t0() - Duration::seconds(5)));
    assert_eq!(st.session_index.as_deref(), Some("_sess9"));
    assert_eq!(st.session_not_on_or_after, Some(t0() + Duration::hours(8)));
    let cref = st.authn_context.as_ref().unwrap().value.as_ref().unwrap();
    assert_eq!(
        cref.value.as_deref(),
        Some("http://eidas.europa.eu/LoA/substantial")
    );
    let attrs = &a.attribute_statements.unwrap()[0].attributes;
    assert_eq!(attrs.len(), 2);
    assert_eq!(attrs[1].name.as_deref(), Some("urn:oid:2.5.4.4"));
    assert_eq!(attrs[1].friendly_name, None);
    let vals: Vec<_> = attrs[1]
        .values
        .iter()
        .map(|v| v.value.clone().unwrap())
        .collect();
    assert_eq!(vals, vec!["Novak", "Kovač"]);
}

#[test]
fn optional_parts_are_omitted() {
    let nid = NameId {
        value: "t-1".into(),
        format: nameid::TRANSIENT.into(),
        name_qualifier: None,
        sp_name_qualifier: None,
    };
    let mut r = success(&nid, &[], true, false);
    r.in_response_to = None;
    r.session_not_on_or_after = None;
    let xml = build_success(&test_key().key, &r).unwrap();
    dump("response-minimal.xml", &xml);
    assert!(!xml.contains("AttributeStatement"));
    assert!(!xml.contains("InResponseTo"));
    assert!(!xml.contains("SessionNotOnOrAfter"));
    assert!(!xml.contains("NameQualifier"));
    assert!(!xml.contains("xsi:"));
    assert_verifies(&xml, ASSERTION_ELEM);
    let p = samael::schema::Response::from_str(&xml).unwrap();
    assert_eq!(p.in_response_to, None);
}

fn status_resp(sign: bool) -> StatusResponse<'static> {
    StatusResponse {
        response_id: "_err1",
        issuer: "https://idp.example.si/saml",
        destination: "https://sp.example.si/acs",
        in_response_to: Some("_req42"),
        issue_instant: t0(),
        top_status: status::RESPONDER,
        second_status: Some(status::NO_PASSIVE),
        message: Some("Ni seje <& \"prijava\">"),
        sign,
    }
}

#[test]
fn status_response_signed_verifies_and_parses() {
    let xml = block_on(build_status(&test_key().key, &status_resp(true))).unwrap();
    dump("response-status.xml", &xml);
    assert_verifies(&xml, RESPONSE_ELEM);
    let r = samael::schema::Response::from_str(&xml).unwrap();
    let st = r.status.unwrap();
    assert_eq!(st.status_code.value.as_deref(), Some(status::RESPONDER));
    assert_eq!(
        st.status_message.unwrap().value.as_deref(),
        Some("Ni seje <& \"prijava\">")
    );
    assert!(r.assertion.is_none());
    assert!(xml.contains(&format!(
        "<samlp:StatusCode Value=\"{}\"><samlp:StatusCode Value=\"{}\"></samlp:StatusCode></samlp:StatusCode>",
        status::RESPONDER,
        status::NO_PASSIVE
    )));
    let tampered = xml.replacen(status::NO_PASSIVE, status::SUCCESS, 1);
    assert_rejected(&tampered, RESPONSE_ELEM);
}

#[test]
fn status_response_unsigned_has_no_signature() {
    let xml = block_on(build_status(&test_key().key, &status_resp(false))).unwrap();
    assert!(!xml.contains("Signature"));
    assert!(samael::schema::Response::from_str(&xml).is_ok());
}

fn md_params<'a>(formats: &'a [&'a str]) -> IdpMetadataParams<'a> {
    IdpMetadataParams {
        entity_id: "https://idp.example.si/saml",
        sso_url: "https://idp.example.si/saml/sso",
        slo_url: Some("https://idp.example.si/saml/slo"),
        name_id_formats: formats,
        valid_until: t0() + Duration::days(7),
        id: "_md1",
        want_authn_requests_signed: true,
        organization: Some((
            "Ministrstvo & co",
            "Državni portal",
            "https://gov.example.si",
        )),
    }
}

#[test]
fn metadata_signed_verifies_and_parses() {
    let formats = [nameid::PERSISTENT, nameid::TRANSIENT];
    let xml = build_idp_metadata(&test_key().key, &md_params(&formats)).unwrap();
    dump("metadata.xml", &xml);
    assert_verifies(&xml, METADATA_ELEM);
    // Signature is the first child of EntityDescriptor (schema order).
    assert!(xml.contains("validUntil=\"2025-03-11T10:20:30Z\"><ds:Signature "));
    let ed = samael::metadata::EntityDescriptor::from_str(&xml).unwrap();
    assert_eq!(ed.entity_id.as_deref(), Some("https://idp.example.si/saml"));
    let idp = &ed.idp_sso_descriptors.unwrap()[0];
    assert_eq!(idp.want_authn_requests_signed, Some(true));
    assert_eq!(idp.name_id_formats, formats.map(String::from).to_vec());
    let sso: Vec<_> = idp
        .single_sign_on_services
        .iter()
        .map(|e| (e.binding.as_str(), e.location.as_str()))
        .collect();
    assert_eq!(
        sso,
        vec![
            (
                crate::saml::types::Binding::REDIRECT_URI,
                "https://idp.example.si/saml/sso"
            ),
            (
                crate::saml::types::Binding::POST_URI,
                "https://idp.example.si/saml/sso"
            ),
        ]
    );
    assert_eq!(idp.single_logout_services.len(), 2);
    let kd = &idp.key_descriptors[0];
    assert_eq!(kd.key_use.as_deref(), Some("signing"));
    let tampered = xml.replacen("/saml/sso", "/saml/ssx", 1);
    assert_rejected(&tampered, METADATA_ELEM);
}

#[test]
fn metadata_element_order_follows_schema() {
    let formats = [nameid::PERSISTENT];
    let xml = build_idp_metadata(&test_key().key, &md_params(&formats)).unwrap();
    let order = [
        "<md:EntityDescriptor ",
        "<ds:Signature ",
        "<md:IDPSSODescriptor ",
        "<md:KeyDescriptor ",
        "<md:SingleLogoutService ",
        "<md:NameIDFormat>",
        "<md:SingleSignOnService ",
        "</md:IDPSSODescriptor>",
        "<md:Organization>",
        "<md:OrganizationName xml:lang=",
        "<md:OrganizationDisplayName xml:lang=",
        "<md:OrganizationURL xml:lang=",
    ];
    let pos: Vec<usize> = order.iter().map(|s| xml.find(s).unwrap()).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}\n{xml}");
}

#[test]
fn metadata_minimal_verifies() {
    let formats: [&str; 0] = [];
    let mut p = md_params(&formats);
    p.slo_url = None;
    p.organization = None;
    p.want_authn_requests_signed = false;
    let xml = build_idp_metadata(&test_key().key, &p).unwrap();
    dump("metadata-minimal.xml", &xml);
    assert!(!xml.contains("Organization"));
    assert!(!xml.contains("SingleLogoutService"));
    assert!(xml.contains("WantAuthnRequestsSigned=\"false\""));
    assert_verifies(&xml, METADATA_ELEM);
}
