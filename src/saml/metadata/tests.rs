#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::saml::request::testutil::{
    entity_xml, key_descriptor, sp_key, sp_key2, sp_metadata, standard_acs, ACS1, ACS2, SP_ID,
};
use crate::saml::xmlguard::XmlGuardError;

#[test]
fn reads_all_acs_all_certs_and_ui_info() {
    let sp = sp_metadata(true);
    assert_eq!(sp.entity_id, SP_ID);
    // the Redirect ACS is ignored; both POST endpoints are kept in document order
    assert_eq!(
        sp.acs,
        vec![
            AcsEndpoint {
                index: Some(1),
                is_default: None,
                binding: Binding::HttpPost,
                location: ACS1.into()
            },
            AcsEndpoint {
                index: Some(2),
                is_default: Some(true),
                binding: Binding::HttpPost,
                location: ACS2.into()
            },
        ]
    );
    assert_eq!(sp.signing_certs, vec![sp_key().der(), sp_key2().der()]);
    assert_eq!(sp.encryption_certs, vec![sp_key2().der()]);
    assert!(sp.authn_requests_signed);
    assert!(sp.want_assertions_signed);
    assert_eq!(
        sp.name_id_formats,
        vec!["urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".to_string()]
    );
    assert_eq!(sp.display_name("en"), "Test service");
    assert_eq!(sp.display_name("de"), "Testna storitev");
    assert_eq!(sp.description("sl").as_deref(), Some("A test e-service"));
    assert_eq!(
        sp.information_url.as_deref(),
        Some("https://sp.example.si/info")
    );
    assert_eq!(
        sp.logo_url.as_deref(),
        Some("https://sp.example.si/logo.png")
    );
    assert_eq!(
        sp.slo,
        vec![(
            Binding::HttpRedirect,
            "https://sp.example.si/slo".to_string()
        )]
    );
    assert_eq!(sp.cert_expiries().len(), 3);
    assert_eq!(sp.cert_expiries()[0].timestamp(), 2_000_000_000);
}

#[test]
fn entities_descriptor_with_two_sps_and_one_idp() {
    let keys = key_descriptor(Some("signing"), &sp_key().b64());
    let a = entity_xml("https://a.example/sp", false, &keys, &standard_acs());
    let b = entity_xml("https://b.example/sp", true, &keys, &standard_acs());
    let idp = r#"<md:EntityDescriptor entityID="https://idp.example/"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>"#;
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><!-- federation --><md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" validUntil="2030-01-01T00:00:00Z">{a}{idp}<md:EntitiesDescriptor>{b}</md:EntitiesDescriptor></md:EntitiesDescriptor>"#
    );
    let sps = parse_sp_metadata(&xml).unwrap();
    let ids: Vec<_> = sps.iter().map(|s| s.entity_id.as_str()).collect();
    assert_eq!(ids, vec!["https://a.example/sp", "https://b.example/sp"]);
    assert!(!sps[0].authn_requests_signed && sps[1].authn_requests_signed);
    assert_eq!(
        sps[1].valid_until.unwrap().to_rfc3339(),
        "2030-01-01T00:00:00+00:00"
    );
}

#[test]
fn organization_display_name_is_the_fallback() {
    let keys = key_descriptor(None, &sp_key().b64());
    let xml = format!(
        r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://c.example/sp"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{}<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://c.example/acs" index="0"/></SPSSODescriptor><Organization><OrganizationName xml:lang="en">C</OrganizationName><OrganizationDisplayName xml:lang="en">C Corp</OrganizationDisplayName><OrganizationURL xml:lang="en">https://c.example</OrganizationURL></Organization></EntityDescriptor>"#,
        keys.replace("md:", "")
    );
    let sp = parse_sp_metadata(&xml).unwrap().remove(0);
    assert_eq!(sp.display_name("sl"), "C Corp");
    assert!(!sp.authn_requests_signed);
    let no_name = SpMetadata {
        display_names: vec![],
        ..sp
    };
    assert_eq!(no_name.display_name("sl"), "https://c.example/sp");
}

#[test]
fn missing_post_acs_is_an_error_naming_the_problem() {
    let keys = key_descriptor(None, &sp_key().b64());
    let acs = r#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://x/acs" index="0"/>"#;
    let err = parse_sp_metadata(&entity_xml(SP_ID, false, &keys, acs)).unwrap_err();
    assert_eq!(
        err,
        MetadataError::NoPostAcs {
            entity: SP_ID.into()
        }
    );
    assert!(err
        .to_string()
        .contains("no AssertionConsumerService with HTTP-POST binding"));
}

#[test]
fn bad_certificate_is_named_by_number() {
    let keys = format!(
        "{}{}",
        key_descriptor(Some("signing"), &sp_key().b64()),
        key_descriptor(Some("signing"), "TUlJQmFkQ2VydA==")
    );
    let err = parse_sp_metadata(&entity_xml(SP_ID, false, &keys, &standard_acs())).unwrap_err();
    assert!(matches!(
        err,
        MetadataError::BadCertificate { number: 2, .. }
    ));
    assert!(
        err.to_string().contains("certificate #2 does not parse"),
        "{err}"
    );
}

#[test]
fn doctype_in_metadata_refused() {
    let keys = key_descriptor(None, &sp_key().b64());
    let xml = format!(
        r#"<!DOCTYPE md [<!ENTITY x SYSTEM "file:///etc/passwd">]>{}"#,
        entity_xml(SP_ID, false, &keys, &standard_acs())
    );
    assert_eq!(
        parse_sp_metadata(&xml),
        Err(MetadataError::Xml(XmlGuardError::Doctype))
    );
}

#[test]
fn acs_location_must_be_absolute_http_url() {
    let keys = key_descriptor(None, &sp_key().b64());
    let acs = r#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="javascript:alert(1)" index="0"/>"#;
    assert!(matches!(
        parse_sp_metadata(&entity_xml(SP_ID, false, &keys, acs)),
        Err(MetadataError::BadAcsLocation { .. })
    ));
}

#[test]
fn duplicate_acs_index_refused() {
    let keys = key_descriptor(None, &sp_key().b64());
    let acs = format!(
        r#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ACS1}" index="3"/><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ACS2}" index="3"/>"#
    );
    assert!(matches!(
        parse_sp_metadata(&entity_xml(SP_ID, false, &keys, &acs)),
        Err(MetadataError::DuplicateAcsIndex { index: 3, .. })
    ));
}

#[test]
fn wrong_root_refused() {
    assert!(matches!(
        parse_sp_metadata("<foo/>"),
        Err(MetadataError::BadRoot(_))
    ));
}

#[test]
fn acs_selection_by_index_url_and_default() {
    let sp = sp_metadata(false);
    assert_eq!(sp.resolve_acs(Some(1), None, None).unwrap().location, ACS1);
    assert_eq!(
        sp.resolve_acs(None, Some(ACS1), None).unwrap().location,
        ACS1
    );
    assert_eq!(
        sp.resolve_acs(None, Some(ACS1), Some(Binding::POST_URI))
            .unwrap()
            .location,
        ACS1
    );
    // default: isDefault="true"
    assert_eq!(sp.resolve_acs(None, None, None).unwrap().location, ACS2);
    // without isDefault=true: first without isDefault=false
    let mut sp2 = sp.clone();
    sp2.acs[1].is_default = None;
    sp2.acs[0].is_default = Some(false);
    assert_eq!(sp2.resolve_acs(None, None, None).unwrap().location, ACS2);
    sp2.acs[1].is_default = Some(false);
    assert_eq!(sp2.resolve_acs(None, None, None).unwrap().location, ACS1);
}

#[test]
fn acs_url_not_in_metadata_refused() {
    let sp = sp_metadata(false);
    assert_eq!(
        sp.resolve_acs(None, Some("https://evil.example/acs"), None),
        Err(MetadataError::AcsUrlNotListed(
            "https://evil.example/acs".into()
        ))
    );
    // a listed URL with a different case/trailing slash is not "exact"
    assert!(sp
        .resolve_acs(None, Some(&format!("{ACS1}/")), None)
        .is_err());
    // the Redirect ACS is never used for responses
    assert!(sp
        .resolve_acs(None, Some("https://sp.example.si/redirect-acs"), None)
        .is_err());
}

#[test]
fn acs_index_unknown_refused() {
    let sp = sp_metadata(false);
    assert_eq!(
        sp.resolve_acs(Some(0), None, None),
        Err(MetadataError::AcsIndexUnknown(0))
    );
    assert_eq!(
        sp.resolve_acs(Some(9), None, None),
        Err(MetadataError::AcsIndexUnknown(9))
    );
}

#[test]
fn unsupported_protocol_binding_refused() {
    let sp = sp_metadata(false);
    assert!(matches!(
        sp.resolve_acs(
            None,
            Some(ACS1),
            Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact")
        ),
        Err(MetadataError::UnsupportedBinding(_))
    ));
}
