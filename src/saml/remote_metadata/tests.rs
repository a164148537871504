#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use crate::saml::request::testutil::{
    entity_xml, key_descriptor, now, other_key, sign_xml, signature_template, sp_key, standard_acs,
    TestKey, RSA_SHA1, RSA_SHA256, SHA1, SHA256, SP_ID,
};

const FED_ID: &str = "_fed1";

fn aggregate(valid_until: &str, extra_attrs: &str, sig: &str) -> String {
    let entity = entity_xml(
        SP_ID,
        false,
        &key_descriptor(Some("signing"), &sp_key().b64()),
        &standard_acs(),
    );
    format!(
        r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="{FED_ID}" validUntil="{valid_until}"{extra_attrs}>{sig}{entity}</md:EntitiesDescriptor>"#
    )
}

fn signed(valid_until: &str, key: &TestKey, alg: &str, digest: &str) -> String {
    let tpl = signature_template(FED_ID, &key.b64(), alg, digest);
    sign_xml(
        &aggregate(valid_until, r#" cacheDuration="PT6H""#, &tpl),
        key,
    )
}

fn rules() -> ServeRules {
    ServeRules {
        now: now(),
        dev_mode: false,
    }
}

const FUTURE: &str = "2026-06-01T00:00:00Z";

#[test]
fn good_aggregate_is_accepted() {
    let xml = signed(FUTURE, sp_key(), RSA_SHA256, SHA256);
    let (sps, cache) = verify_aggregate(&xml, &sp_key().der(), &rules()).unwrap();
    assert_eq!(sps.len(), 1);
    assert_eq!(sps[0].entity_id, SP_ID);
    assert_eq!(cache, Some(Duration::hours(6)));
}

/// A signed aggregate of the good test SP and `others` (entity XML), under `rules`.
fn signed_with(others: &[String]) -> String {
    let good = entity_xml(
        SP_ID,
        false,
        &key_descriptor(Some("signing"), &sp_key().b64()),
        &standard_acs(),
    );
    let tpl = signature_template(FED_ID, &sp_key().b64(), RSA_SHA256, SHA256);
    let xml = format!(
        r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="{FED_ID}" validUntil="{FUTURE}">{tpl}{good}{}</md:EntitiesDescriptor>"#,
        others.concat()
    );
    sign_xml(&xml, sp_key())
}

#[test]
fn an_entry_with_an_http_acs_is_skipped_outside_dev_mode_only() {
    let plain = entity_xml(
        "https://plain.example/sp",
        false,
        "",
        r#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="http://plain.example/acs" index="0"/>"#,
    );
    let xml = signed_with(&[plain]);
    let v = verify_aggregate_full(&xml, &sp_key().der(), &rules()).unwrap();
    assert_eq!(v.sps.len(), 1);
    assert_eq!(v.sps[0].entity_id, SP_ID, "the good entry is still served");
    assert_eq!(v.skipped.len(), 1);
    assert_eq!(v.skipped[0].entity_id, "https://plain.example/sp");
    assert!(
        v.skipped[0].problem.contains("acs-not-https")
            && v.skipped[0].problem.contains("http://plain.example/acs"),
        "{:?}",
        v.skipped
    );
    let dev = ServeRules {
        dev_mode: true,
        ..rules()
    };
    let v = verify_aggregate_full(&xml, &sp_key().der(), &dev).unwrap();
    assert_eq!((v.sps.len(), v.skipped.len()), (2, 0));
}

#[test]
fn a_duplicated_or_weak_entry_is_skipped_and_a_schema_error_refuses_all() {
    let again = entity_xml(SP_ID, false, "", &standard_acs());
    let weak = entity_xml(
        "https://weak.example/sp",
        false,
        "",
        &standard_acs(),
    )
    .replace(
        "<mdui:UIInfo>",
        r#"<alg:SigningMethod xmlns:alg="urn:oasis:names:tc:SAML:metadata:algsupport" Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/><mdui:UIInfo>"#,
    );
    let xml = signed_with(&[again, weak]);
    let v = verify_aggregate_full(&xml, &sp_key().der(), &rules()).unwrap();
    assert!(v.sps.is_empty(), "{:?}", v.sps);
    let problems: Vec<&str> = v.skipped.iter().map(|s| s.problem.as_str()).collect();
    assert_eq!(v.skipped.len(), 3, "{problems:?}");
    assert!(
        problems
            .iter()
            .filter(|p| p.contains("duplicate-entity-id"))
            .count()
            == 2
    );
    assert!(problems.iter().any(|p| p.contains("weak-algorithm")));
    let bad = entity_xml("https://odd.example/sp", false, "", &standard_acs())
        .replace("<md:NameIDFormat>", "<md:Unknown/><md:NameIDFormat>");
    let err = verify_aggregate_full(&signed_with(&[bad]), &sp_key().der(), &rules()).unwrap_err();
    assert!(
        matches!(&err, RemoteMetadataError::Invalid(t) if t.contains("schema")),
        "{err}"
    );
}

#[test]
fn unsigned_is_refused() {
    let xml = aggregate(FUTURE, "", "");
    let err = verify_aggregate(&xml, &sp_key().der(), &rules()).unwrap_err();
    assert!(matches!(err, RemoteMetadataError::Signature(_)), "{err}");
}

#[test]
fn other_key_is_refused() {
    let xml = signed(FUTURE, other_key(), RSA_SHA256, SHA256);
    let err = verify_aggregate(&xml, &sp_key().der(), &rules()).unwrap_err();
    assert!(matches!(err, RemoteMetadataError::Signature(_)), "{err}");
}

#[test]
fn tampered_is_refused() {
    let xml = signed(FUTURE, sp_key(), RSA_SHA256, SHA256)
        .replace("https://sp.example.si/acs2", "https://evil.example/acs");
    let err = verify_aggregate(&xml, &sp_key().der(), &rules()).unwrap_err();
    assert!(matches!(err, RemoteMetadataError::Signature(_)), "{err}");
}

#[test]
fn expired_is_refused() {
    let xml = signed("2026-05-04T09:00:00Z", sp_key(), RSA_SHA256, SHA256);
    let err = verify_aggregate(&xml, &sp_key().der(), &rules()).unwrap_err();
    assert!(matches!(err, RemoteMetadataError::Expired(_)), "{err}");
}

#[test]
fn missing_valid_until_is_refused() {
    let entity = entity_xml(SP_ID, false, "", &standard_acs());
    let tpl = signature_template(FED_ID, &sp_key().b64(), RSA_SHA256, SHA256);
    let xml = sign_xml(
        &format!(
            r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="{FED_ID}">{tpl}{entity}</md:EntitiesDescriptor>"#
        ),
        sp_key(),
    );
    let err = verify_aggregate(&xml, &sp_key().der(), &rules()).unwrap_err();
    assert_eq!(err, RemoteMetadataError::MissingValidUntil);
}

#[test]
fn sha1_is_refused() {
    let xml = signed(FUTURE, sp_key(), RSA_SHA1, SHA1);
    let err = verify_aggregate(&xml, &sp_key().der(), &rules()).unwrap_err();
    assert!(matches!(err, RemoteMetadataError::Signature(_)), "{err}");
}

#[test]
fn reference_to_other_element_is_refused() {
    let tpl = signature_template("_other", &sp_key().b64(), RSA_SHA256, SHA256);
    let xml = aggregate(FUTURE, "", &tpl);
    let err = verify_aggregate(&xml, &sp_key().der(), &rules()).unwrap_err();
    assert!(matches!(err, RemoteMetadataError::Signature(_)), "{err}");
}

#[test]
fn missing_id_and_bad_root_are_refused() {
    let xml = r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" validUntil="2026-06-01T00:00:00Z"/>"#;
    assert_eq!(
        verify_aggregate(xml, &sp_key().der(), &rules()).unwrap_err(),
        RemoteMetadataError::MissingId
    );
    let xml = r#"<x:Other xmlns:x="urn:x" ID="_a"/>"#;
    assert!(matches!(
        verify_aggregate(xml, &sp_key().der(), &rules()).unwrap_err(),
        RemoteMetadataError::BadRoot(_)
    ));
}

/// A genuine signed aggregate wrapped in an outer one that carries its signature and ID (plus a
/// namespaced x:ID that libxml would take for the outer's ID) and an SP of the attacker's.
#[test]
fn wrapped_aggregate_is_refused() {
    let genuine = signed(FUTURE, sp_key(), RSA_SHA256, SHA256);
    let start = genuine.find("<ds:Signature").unwrap();
    let end = genuine.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let sig = &genuine[start..end];
    let inner = genuine.replace(sig, "");
    let inner = inner.trim_start_matches(|c| c != '<');
    let inner = match inner.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map(|x| x.1)
            .unwrap_or("")
            .trim_start(),
        None => inner,
    };
    let evil = entity_xml("https://evil.example/sp", false, "", &standard_acs());
    for id_attrs in [
        format!(r#"x:ID="_o" ID="{FED_ID}""#),
        format!(r#"ID="{FED_ID}""#),
    ] {
        let xml = format!(
            r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:x="urn:x" {id_attrs} validUntil="2030-01-01T00:00:00Z">{sig}{evil}{inner}</md:EntitiesDescriptor>"#
        );
        let err = verify_aggregate(&xml, &sp_key().der(), &rules()).unwrap_err();
        assert!(matches!(err, RemoteMetadataError::Signature(_)), "{err}");
    }
}

#[test]
fn doctype_is_refused() {
    let xml = format!(
        "<!DOCTYPE x [<!ENTITY a \"b\">]>{}",
        signed(FUTURE, sp_key(), RSA_SHA256, SHA256)
    );
    assert!(matches!(
        verify_aggregate(&xml, &sp_key().der(), &rules()).unwrap_err(),
        RemoteMetadataError::Xml(_)
    ));
}

#[test]
fn durations() {
    assert_eq!(parse_duration("PT6H"), Some(Duration::hours(6)));
    assert_eq!(parse_duration("P1D"), Some(Duration::days(1)));
    assert_eq!(
        parse_duration("P1DT2H30M"),
        Some(Duration::minutes(26 * 60 + 30))
    );
    assert_eq!(parse_duration("PT1.5S"), Some(Duration::milliseconds(1500)));
    assert_eq!(parse_duration("PT90M"), Some(Duration::minutes(90)));
    for bad in [
        "", "P", "PT", "6H", "PT6", "-PT6H", "PH", "PT6H5H", "PT1M2H", "P1.5D", "P1H",
    ] {
        assert_eq!(parse_duration(bad), None, "{bad}");
    }
}
