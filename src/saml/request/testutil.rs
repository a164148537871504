#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Test helpers: SP keys/certs generated in-process, SP metadata and AuthnRequest XML builders.

use crate::saml::metadata::{parse_sp_metadata, SpMetadata};
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509NameBuilder, X509};
use samael::crypto::{Crypto, CryptoProvider};
use std::sync::OnceLock;

pub const SP_ID: &str = "https://sp.example.si/sp";
pub const ACS1: &str = "https://sp.example.si/acs";
pub const ACS2: &str = "https://sp.example.si/acs2";
pub const IDP_SSO: &str = "https://idp.example.si/saml/sso";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

pub struct TestKey {
    pub key: PKey<Private>,
    pub cert: X509,
}

impl TestKey {
    pub fn der(&self) -> Vec<u8> {
        self.cert.to_der().expect("cert der")
    }
    pub fn b64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.der())
    }
}

fn make_key(cn: &str) -> TestKey {
    let key = PKey::from_rsa(Rsa::generate(2048).expect("rsa")).expect("pkey");
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_text("CN", cn).expect("cn");
    let name = name.build();
    let mut b = X509::builder().expect("builder");
    b.set_version(2).expect("v3");
    let serial = BigNum::from_u32(1)
        .expect("bn")
        .to_asn1_integer()
        .expect("serial");
    b.set_serial_number(&serial).expect("serial");
    b.set_subject_name(&name).expect("subject");
    b.set_issuer_name(&name).expect("issuer");
    b.set_pubkey(&key).expect("pubkey");
    b.set_not_before(&Asn1Time::from_unix(1_700_000_000).expect("t"))
        .expect("nb");
    b.set_not_after(&Asn1Time::from_unix(2_000_000_000).expect("t"))
        .expect("na");
    b.sign(&key, MessageDigest::sha256()).expect("sign");
    TestKey {
        key,
        cert: b.build(),
    }
}

/// The SP's key (listed in metadata).
pub fn sp_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| make_key("sp.example.si"))
}

/// The SP's second key (rollover: listed in metadata after the first).
pub fn sp_key2() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| make_key("sp.example.si rollover"))
}

/// A key that is NOT in the metadata.
pub fn other_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| make_key("attacker.example"))
}

pub fn key_descriptor(usage: Option<&str>, b64: &str) -> String {
    let usage = usage.map(|u| format!(" use=\"{u}\"")).unwrap_or_default();
    format!(
        r#"<md:KeyDescriptor{usage}><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#
    )
}

/// An SP EntityDescriptor with the given KeyDescriptors and ACS elements (raw XML snippets).
pub fn entity_xml(entity_id: &str, authn_signed: bool, keys: &str, acs: &str) -> String {
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui" entityID="{entity_id}"><md:SPSSODescriptor AuthnRequestsSigned="{authn_signed}" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:Extensions><mdui:UIInfo><mdui:DisplayName xml:lang="sl">Testna storitev</mdui:DisplayName><mdui:DisplayName xml:lang="en">Test service</mdui:DisplayName><mdui:Description xml:lang="en">A test e-service</mdui:Description><mdui:InformationURL xml:lang="en">https://sp.example.si/info</mdui:InformationURL><mdui:Logo height="16" width="16">https://sp.example.si/logo.png</mdui:Logo></mdui:UIInfo></md:Extensions>{keys}<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.example.si/slo"/><md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>{acs}</md:SPSSODescriptor></md:EntityDescriptor>"#
    )
}

pub fn standard_acs() -> String {
    format!(
        r#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.example.si/redirect-acs" index="0"/><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ACS1}" index="1"/><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ACS2}" index="2" isDefault="true"/>"#
    )
}

/// Metadata of the test SP: signing certs = sp_key, sp_key2 (rollover); two POST ACS, #2 default.
pub fn sp_metadata(authn_signed: bool) -> SpMetadata {
    let keys = format!(
        "{}{}",
        key_descriptor(Some("signing"), &sp_key().b64()),
        key_descriptor(None, &sp_key2().b64())
    );
    let xml = entity_xml(SP_ID, authn_signed, &keys, &standard_acs());
    parse_sp_metadata(&xml).expect("metadata").remove(0)
}

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0)
        .single()
        .expect("time")
}

/// Builder for AuthnRequest XML.
#[derive(Clone)]
pub struct Req {
    pub id: String,
    pub issuer: String,
    pub issue_instant: String,
    pub destination: Option<String>,
    pub acs_url: Option<String>,
    pub acs_index: Option<u16>,
    /// Raw XML inserted right after the Issuer (e.g. a signature template).
    pub after_issuer: String,
    /// Raw XML inserted at the end (NameIDPolicy, RequestedAuthnContext, ...).
    pub tail: String,
    pub root_attrs: String,
}

impl Default for Req {
    fn default() -> Self {
        Req {
            id: "_req1".into(),
            issuer: SP_ID.into(),
            issue_instant: "2026-05-04T09:59:30Z".into(),
            destination: Some(IDP_SSO.into()),
            acs_url: Some(ACS1.into()),
            acs_index: None,
            after_issuer: String::new(),
            tail: String::new(),
            root_attrs: String::new(),
        }
    }
}

impl Req {
    pub fn xml(&self) -> String {
        let mut attrs = format!(
            r#" ID="{}" Version="2.0" IssueInstant="{}""#,
            self.id, self.issue_instant
        );
        if let Some(d) = &self.destination {
            attrs.push_str(&format!(r#" Destination="{d}""#));
        }
        if let Some(u) = &self.acs_url {
            attrs.push_str(&format!(
                r#" AssertionConsumerServiceURL="{u}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST""#
            ));
        }
        if let Some(i) = self.acs_index {
            attrs.push_str(&format!(r#" AssertionConsumerServiceIndex="{i}""#));
        }
        attrs.push_str(&self.root_attrs);
        format!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"{attrs}><saml:Issuer>{}</saml:Issuer>{}<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/>{}</samlp:AuthnRequest>"#,
            self.issuer, self.after_issuer, self.tail
        )
    }

    /// The request with an enveloped signature template and signed by `key` (samael sign_xml).
    pub fn signed(&self, key: &TestKey, sig_alg: &str, digest: &str) -> String {
        let mut r = self.clone();
        r.after_issuer = signature_template(&self.id, &key.b64(), sig_alg, digest);
        sign_xml(&r.xml(), key)
    }
}

pub fn signature_template(id: &str, cert_b64: &str, sig_alg: &str, digest: &str) -> String {
    format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{sig_alg}"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"##
    )
}

pub fn sign_xml(xml: &str, key: &TestKey) -> String {
    let der = key.key.private_key_to_der().expect("key der");
    Crypto::sign_xml(xml, &der).expect("sign_xml")
}

pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}
