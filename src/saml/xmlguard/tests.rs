#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const OK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a" Version="2.0"><saml:Issuer>https://sp.example/ &amp; &#269;</saml:Issuer></samlp:AuthnRequest>"#;

#[test]
fn accepts_plain_document_and_resolves_namespaces() {
    check_safe(OK, 10_000).unwrap();
    let root = tree::parse(OK, &GuardOptions::message(10_000)).unwrap();
    assert!(root.is("urn:oasis:names:tc:SAML:2.0:protocol", "AuthnRequest"));
    let issuer = root
        .child("urn:oasis:names:tc:SAML:2.0:assertion", "Issuer")
        .unwrap();
    assert_eq!(issuer.text(), "https://sp.example/ & č");
}

#[test]
fn refuses_doctype_xxe() {
    let xml = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>"#;
    assert_eq!(check_safe(xml, 10_000), Err(XmlGuardError::Doctype));
}

#[test]
fn refuses_billion_laughs() {
    let xml = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>"#;
    assert_eq!(check_safe(xml, 10_000), Err(XmlGuardError::Doctype));
}

#[test]
fn refuses_doctype_even_when_comments_are_allowed() {
    let xml = r#"<!DOCTYPE r><r/>"#;
    assert_eq!(
        check_safe_with(xml, &GuardOptions::metadata(10_000)),
        Err(XmlGuardError::Doctype)
    );
}

#[test]
fn refuses_undeclared_entity_in_text_and_attribute() {
    assert_eq!(
        check_safe("<r>&foo;</r>", 100),
        Err(XmlGuardError::UnknownEntity("foo".into()))
    );
    assert_eq!(
        check_safe(r#"<r a="&foo;"/>"#, 100),
        Err(XmlGuardError::UnknownEntity("foo".into()))
    );
}

#[test]
fn refuses_processing_instruction() {
    let xml = r#"<?xml version="1.0"?><?xml-stylesheet href="x"?><r/>"#;
    assert_eq!(
        check_safe(xml, 1000),
        Err(XmlGuardError::ProcessingInstruction(
            "xml-stylesheet".into()
        ))
    );
    assert!(matches!(
        check_safe("<r><?php echo 1; ?></r>", 1000),
        Err(XmlGuardError::ProcessingInstruction(_))
    ));
}

#[test]
fn refuses_comment_inside_issuer() {
    let xml = r#"<r xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Issuer>https://sp.example<!---->.evil.com</saml:Issuer></r>"#;
    assert_eq!(check_safe(xml, 1000), Err(XmlGuardError::Comment));
}

#[test]
fn metadata_profile_skips_comments() {
    let xml = "<!-- a comment --><r><!-- another --><x/></r>";
    check_safe_with(xml, &GuardOptions::metadata(1000)).unwrap();
    assert_eq!(check_safe(xml, 1000), Err(XmlGuardError::Comment));
}

#[test]
fn refuses_oversize_document() {
    assert_eq!(
        check_safe(OK, 50),
        Err(XmlGuardError::TooLarge {
            size: OK.len(),
            max: 50
        })
    );
}

#[test]
fn refuses_deep_nesting() {
    let deep = format!("{}{}", "<a>".repeat(65), "</a>".repeat(65));
    assert_eq!(check_safe(&deep, 10_000), Err(XmlGuardError::TooDeep(64)));
    let ok = format!("{}{}", "<a>".repeat(64), "</a>".repeat(64));
    check_safe(&ok, 10_000).unwrap();
}

#[test]
fn refuses_non_utf8_encoding_declaration() {
    let xml = r#"<?xml version="1.0" encoding="ISO-8859-1"?><r/>"#;
    assert!(matches!(
        check_safe(xml, 1000),
        Err(XmlGuardError::Encoding(_))
    ));
}

#[test]
fn refuses_second_root_and_trailing_text() {
    assert_eq!(
        check_safe("<a/><b/>", 100),
        Err(XmlGuardError::TrailingContent)
    );
    assert_eq!(
        check_safe("<a/>junk", 100),
        Err(XmlGuardError::TrailingContent)
    );
    assert_eq!(check_safe("", 100), Err(XmlGuardError::NoRoot));
}

#[test]
fn refuses_undeclared_prefix_and_malformed() {
    assert!(matches!(
        check_safe("<x:a/>", 100),
        Err(XmlGuardError::UnknownPrefix(_))
    ));
    assert!(matches!(
        check_safe("<a><b></a>", 100),
        Err(XmlGuardError::Malformed(_))
    ));
    assert!(matches!(
        check_safe("<a>", 100),
        Err(XmlGuardError::Malformed(_))
    ));
}
