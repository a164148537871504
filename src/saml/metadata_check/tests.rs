#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::saml::request::testutil::{
    entity_xml, key_descriptor, now, sp_key, standard_acs, SP_ID,
};
use chrono::TimeZone;

fn good() -> String {
    entity_xml(
        SP_ID,
        true,
        &key_descriptor(Some("signing"), &sp_key().b64()),
        &standard_acs(),
    )
}

fn check_at(
    xml: &str,
    policy: Option<&str>,
    at: DateTime<Utc>,
    dev: bool,
    taken: &[&str],
) -> CheckReport {
    let taken: BTreeSet<String> = taken.iter().map(|s| s.to_string()).collect();
    check_metadata(
        xml,
        policy,
        &CheckContext {
            now: at,
            dev_mode: dev,
            taken_entity_ids: &taken,
        },
    )
}

fn check(xml: &str) -> CheckReport {
    check_at(xml, None, now(), false, &[])
}

fn codes(r: &CheckReport) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.code).collect()
}

#[test]
fn valid_metadata_passes() {
    let r = check(&good());
    assert!(r.is_ok(), "{:?}", r.findings);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.entities.len(), 1);
}

#[test]
fn malformed_xml_is_named() {
    let r = check("<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">");
    assert!(!r.is_ok());
    assert_eq!(codes(&r), vec!["xml"]);
    assert!(r.error_text().contains("malformed"), "{}", r.error_text());
}

#[test]
fn doctype_is_refused_before_schema() {
    let x = format!(
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}",
        good()
    );
    let r = check(&x);
    assert_eq!(codes(&r), vec!["xml"]);
    assert!(r.error_text().contains("DOCTYPE"));
}

#[test]
fn schema_violation_is_named() {
    // NameIDFormat after the ACS: wrong order for the SPSSODescriptor content model.
    let x = good().replace(
        "</md:SPSSODescriptor>",
        "<md:NameIDFormat>urn:x</md:NameIDFormat></md:SPSSODescriptor>",
    );
    let r = check(&x);
    assert!(codes(&r).contains(&"schema"), "{:?}", r.findings);
    assert!(
        r.error_text().contains("NameIDFormat"),
        "{}",
        r.error_text()
    );
}

#[test]
fn unknown_md_element_is_a_schema_error() {
    let x = good().replace("<md:NameIDFormat>", "<md:Bogus/><md:NameIDFormat>");
    assert!(codes(&check(&x)).contains(&"schema"));
}

fn with_alg(signing: &[&str]) -> String {
    let methods: String = signing
        .iter()
        .map(|a| {
            format!(
                r#"<alg:SigningMethod xmlns:alg="urn:oasis:names:tc:SAML:metadata:algsupport" Algorithm="{a}"/>"#
            )
        })
        .collect();
    good().replace("<md:Extensions>", &format!("<md:Extensions>{methods}"))
}

#[test]
fn sha1_only_signing_methods_are_refused() {
    let r = check(&with_alg(&["http://www.w3.org/2000/09/xmldsig#rsa-sha1"]));
    assert!(codes(&r).contains(&"weak-algorithm"), "{:?}", r.findings);
    assert!(r.error_text().contains("rsa-sha1"));
}

#[test]
fn mixed_signing_methods_warn_only() {
    let r = check(&with_alg(&[
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    ]));
    assert!(r.is_ok(), "{:?}", r.findings);
    assert!(codes(&r).contains(&"weak-algorithm-listed"));
}

#[test]
fn own_signature_with_sha1_is_refused() {
    let sig = r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/><ds:Reference URI="#x"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>"##;
    let x = good().replacen(
        "<md:SPSSODescriptor",
        &format!("{sig}<md:SPSSODescriptor"),
        1,
    );
    let r = check(&x);
    let n = codes(&r).iter().filter(|c| **c == "weak-signature").count();
    assert_eq!(n, 2, "{:?}", r.findings);
}

#[test]
fn expired_certificate_is_an_error_and_expiring_a_warning() {
    // the test key's certificate ends at 2_000_000_000 (2033-05-18)
    let after = Utc.timestamp_opt(2_000_000_001, 0).unwrap();
    let r = check_at(&good(), None, after, false, &[]);
    assert!(codes(&r).contains(&"cert-expired"), "{:?}", r.findings);
    assert!(r.error_text().contains("expired on 2033-05-18"));
    let soon = Utc.timestamp_opt(2_000_000_000 - 10 * 86_400, 0).unwrap();
    let r = check_at(&good(), None, soon, false, &[]);
    assert!(r.is_ok());
    assert!(codes(&r).contains(&"cert-expires-soon"));
}

#[test]
fn http_acs_refused_outside_dev_mode_only() {
    let x = good().replace("https://sp.example.si/acs2", "http://sp.example.si/acs2");
    let r = check(&x);
    assert!(codes(&r).contains(&"acs-not-https"));
    assert!(r.error_text().contains("http://sp.example.si/acs2"));
    assert!(check_at(&x, None, now(), true, &[]).is_ok());
}

#[test]
fn taken_entity_id_is_refused() {
    let r = check_at(&good(), None, now(), false, &[SP_ID]);
    assert!(codes(&r).contains(&"duplicate-entity-id"));
    assert!(r.error_text().contains(SP_ID));
}

#[test]
fn bad_policy_is_named() {
    let r = check_at(
        &good(),
        Some("required_level = \"magic\"\n"),
        now(),
        false,
        &[],
    );
    assert!(codes(&r).contains(&"policy"));
    assert!(r.error_text().contains("required_level"));
    let r = check_at(&good(), Some("colour = 1\n"), now(), false, &[]);
    assert!(r.error_text().contains("colour"), "{}", r.error_text());
    let r = check_at(&good(), Some("enabled = false\n"), now(), false, &[]);
    assert!(r.is_ok());
    assert!(!r.policy.unwrap().enabled);
}

#[test]
fn idp_metadata_is_not_an_e_service() {
    let x = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#;
    assert!(codes(&check(x)).contains(&"no-sp"));
}

#[test]
fn a_published_dev_key_is_refused_outside_dev_mode() {
    let pem = include_bytes!("../../../certs-dev/demo-sp-signed.crt");
    let der = openssl::x509::X509::from_pem(pem)
        .unwrap()
        .to_der()
        .unwrap();
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der);
    let x = entity_xml(
        SP_ID,
        true,
        &key_descriptor(Some("signing"), &b64),
        &standard_acs(),
    );
    let r = check_at(&x, None, now(), false, &[]);
    assert!(codes(&r).contains(&"dev-key"), "{:?}", r.findings);
    assert!(r.error_text().contains("certs-dev/demo-sp-signed.key"));
    assert!(check_at(&x, None, now(), true, &[]).is_ok());
}

#[test]
fn serving_a_file_applies_every_check() {
    let rules = serve::ServeRules {
        now: now(),
        dev_mode: false,
    };
    assert!(serve::check_file(&good(), None, &rules).is_ok());
    let http = good().replace("https://sp.example.si/acs2", "http://sp.example.si/acs2");
    let err = serve::check_file(&http, None, &rules).unwrap_err();
    assert!(
        err.contains("acs-not-https") && err.contains("http://sp.example.si/acs2"),
        "{err}"
    );
    let dev = serve::ServeRules {
        dev_mode: true,
        ..rules
    };
    assert!(serve::check_file(&http, None, &dev).is_ok());
    let err =
        serve::check_file(&good(), Some("required_level = \"nonsense\""), &rules).unwrap_err();
    assert!(err.contains("policy"), "{err}");
}
