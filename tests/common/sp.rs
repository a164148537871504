//! A test e-service: its keys and metadata, AuthnRequests built the way an SP library would, and
//! Response validation with samael's service-provider code.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509Builder, X509NameBuilder};
use std::io::Write;

pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";

pub struct TestSp {
    pub name: String,
    pub entity_id: String,
    pub acs_url: String,
    pub acs_url_2: String,
    pub key: PKey<Private>,
    pub cert_der: Vec<u8>,
    pub cert_pem: Vec<u8>,
    pub signed_requests: bool,
    pub policy: Option<String>,
    pub name_id_formats: Vec<String>,
}

pub fn keypair(cn: &str) -> (PKey<Private>, Vec<u8>, Vec<u8>) {
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(365).unwrap())
        .unwrap();
    let serial = openssl::bn::BigNum::from_u32(rand::random::<u32>() >> 1)
        .unwrap()
        .to_asn1_integer()
        .unwrap();
    b.set_serial_number(&serial).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    (key, cert.to_der().unwrap(), cert.to_pem().unwrap())
}

#[derive(Clone)]
pub struct Req {
    pub id: String,
    pub issue_instant: DateTime<Utc>,
    pub destination: Option<String>,
    pub acs_url: Option<String>,
    pub acs_index: Option<u16>,
    pub force_authn: bool,
    pub is_passive: bool,
    pub name_id_format: Option<String>,
    pub requested: Option<(String, Vec<String>)>,
    /// Raw XML for the Issuer element content (to test hostile issuers).
    pub issuer_raw: Option<String>,
}

impl Req {
    pub fn new(destination: &str) -> Req {
        Req {
            id: format!("_req{}", uuid::Uuid::new_v4().simple()),
            issue_instant: Utc::now(),
            destination: Some(destination.to_string()),
            acs_url: None,
            acs_index: None,
            force_authn: false,
            is_passive: false,
            name_id_format: None,
            requested: None,
            issuer_raw: None,
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

impl TestSp {
    pub fn new(name: &str, signed_requests: bool) -> TestSp {
        let (key, cert_der, cert_pem) = keypair(&format!("{name} test SP"));
        TestSp {
            name: name.to_string(),
            entity_id: format!("https://{name}.sp.test/metadata"),
            acs_url: format!("https://{name}.sp.test/acs"),
            acs_url_2: format!("https://{name}.sp.test/acs2"),
            key,
            cert_der,
            cert_pem,
            signed_requests,
            policy: None,
            name_id_formats: vec![],
        }
    }

    pub fn with_policy(mut self, toml: &str) -> TestSp {
        self.policy = Some(toml.to_string());
        self
    }

    pub fn metadata(&self) -> String {
        let formats: String = self
            .name_id_formats
            .iter()
            .map(|f| format!("<md:NameIDFormat>{f}</md:NameIDFormat>"))
            .collect();
        format!(
            r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{eid}">
  <md:SPSSODescriptor AuthnRequestsSigned="{signed}" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    {formats}
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{acs}" index="0" isDefault="true"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{acs2}" index="1"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"#,
            eid = self.entity_id,
            signed = self.signed_requests,
            cert = STANDARD.encode(&self.cert_der),
            acs = self.acs_url,
            acs2 = self.acs_url_2,
        )
    }

    /// An AuthnRequest; `with_signature_template` puts an empty enveloped-signature template (for
    /// signing with xmlsec) right after the Issuer.
    pub fn authn_request(&self, r: &Req, with_signature_template: bool) -> String {
        let mut attrs = format!(
            r#"ID="{}" Version="2.0" IssueInstant="{}""#,
            r.id,
            r.issue_instant.format("%Y-%m-%dT%H:%M:%SZ")
        );
        if let Some(d) = &r.destination {
            attrs += &format!(r#" Destination="{}""#, esc(d));
        }
        if let Some(a) = &r.acs_url {
            attrs += &format!(
                r#" AssertionConsumerServiceURL="{}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST""#,
                esc(a)
            );
        }
        if let Some(i) = r.acs_index {
            attrs += &format!(r#" AssertionConsumerServiceIndex="{i}""#);
        }
        if r.force_authn {
            attrs += r#" ForceAuthn="true""#;
        }
        if r.is_passive {
            attrs += r#" IsPassive="true""#;
        }
        let issuer = r.issuer_raw.clone().unwrap_or_else(|| esc(&self.entity_id));
        let sig = if with_signature_template {
            format!(
                r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{RSA_SHA256}"/><ds:Reference URI="#{}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>"##,
                r.id
            )
        } else {
            String::new()
        };
        let policy = r
            .name_id_format
            .as_ref()
            .map(|f| format!(r#"<samlp:NameIDPolicy Format="{f}" AllowCreate="true"/>"#))
            .unwrap_or_default();
        let ctx = r
            .requested
            .as_ref()
            .map(|(cmp, refs)| {
                let refs: String = refs
                    .iter()
                    .map(|c| format!("<saml:AuthnContextClassRef>{c}</saml:AuthnContextClassRef>"))
                    .collect();
                format!(r#"<samlp:RequestedAuthnContext Comparison="{cmp}">{refs}</samlp:RequestedAuthnContext>"#)
            })
            .unwrap_or_default();
        format!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" {attrs}><saml:Issuer>{issuer}</saml:Issuer>{sig}{policy}{ctx}</samlp:AuthnRequest>"#
        )
    }

    /// The HTTP-Redirect query for an AuthnRequest, signed over the query octets if `sig_alg` is given.
    pub fn redirect_query(
        &self,
        xml: &str,
        relay_state: Option<&str>,
        sig_alg: Option<&str>,
    ) -> String {
        redirect_query_with(xml, relay_state, sig_alg.map(|a| (&self.key, a)))
    }

    /// POST binding: signed with xmlsec (through samael) when `sign`.
    pub fn post_body(&self, r: &Req, sign: bool) -> String {
        let xml = self.authn_request(r, sign);
        let xml = if sign { sign_xml(&xml, &self.key) } else { xml };
        STANDARD.encode(xml)
    }

    /// Checks a Response the way an e-service using samael would.
    pub fn samael_accepts(
        &self,
        idp_metadata: &str,
        saml_response: &str,
        request_id: &str,
    ) -> Result<samael::schema::Assertion, String> {
        let md: samael::metadata::EntityDescriptor = idp_metadata
            .parse()
            .map_err(|e| format!("IdP metadata: {e:?}"))?;
        let sp = samael::service_provider::ServiceProvider {
            entity_id: Some(self.entity_id.clone()),
            acs_url: Some(self.acs_url.clone()),
            idp_metadata: md,
            allowed_signature_algorithms: Some(vec![
                samael::crypto::AllowedSignatureAlgorithm::RsaSha256,
            ]),
            ..Default::default()
        };
        sp.parse_base64_response(saml_response, Some(&[request_id]))
            .map_err(|e| e.to_string())
    }

    /// Checks a Response with pysaml2.
    pub fn pysaml2(
        &self,
        idp_metadata: &str,
        saml_response: &str,
        request_id: Option<&str>,
        acs: &str,
        want_response_signed: bool,
    ) -> serde_json::Value {
        super::python(
            "sp_check.py",
            &serde_json::json!({
                "idp_metadata_xml": idp_metadata,
                "sp_entity_id": self.entity_id,
                "acs_url": acs,
                "saml_response_b64": saml_response,
                "in_response_to": request_id,
                "want_assertions_signed": true,
                "want_response_signed": want_response_signed,
                "allow_unsolicited": false,
            })
            .to_string(),
        )
    }
}

pub fn deflate_b64(xml: &str) -> String {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(xml.as_bytes()).unwrap();
    STANDARD.encode(enc.finish().unwrap())
}

pub fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn redirect_query_with(
    xml: &str,
    relay_state: Option<&str>,
    sign: Option<(&PKey<Private>, &str)>,
) -> String {
    let mut q = format!("SAMLRequest={}", urlenc(&deflate_b64(xml)));
    if let Some(rs) = relay_state {
        q += &format!("&RelayState={}", urlenc(rs));
    }
    if let Some((key, alg)) = sign {
        q += &format!("&SigAlg={}", urlenc(alg));
        let md = if alg == RSA_SHA1 {
            MessageDigest::sha1()
        } else {
            MessageDigest::sha256()
        };
        let mut s = openssl::sign::Signer::new(md, key).unwrap();
        s.update(q.as_bytes()).unwrap();
        let sig = s.sign_to_vec().unwrap();
        q += &format!("&Signature={}", urlenc(&STANDARD.encode(sig)));
    }
    q
}

/// Signs an XML document that carries a signature template, with xmlsec (via samael).
pub fn sign_xml(xml: &str, key: &PKey<Private>) -> String {
    use samael::crypto::CryptoProvider;
    let der = key.private_key_to_der().unwrap();
    samael::crypto::Crypto::sign_xml(xml, &der).expect("xmlsec signs the template")
}

/// The document without its XML declaration (so it can be put inside another element).
pub fn without_xml_decl(xml: &str) -> String {
    let xml = xml.trim_start();
    match xml.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map(|(_, body)| body.trim().to_string())
            .unwrap_or_default(),
        None => xml.trim().to_string(),
    }
}

/// The first `<ds:Signature>…</ds:Signature>` element of a document, as text.
pub fn signature_element(xml: &str) -> String {
    let start = xml.find("<ds:Signature").expect("a ds:Signature");
    let end = xml.find("</ds:Signature>").expect("ds:Signature end") + "</ds:Signature>".len();
    xml[start..end].to_string()
}

impl TestSp {
    /// An AuthnRequest signed with xmlsec (enveloped), without the XML declaration.
    pub fn signed_request_xml(&self, r: &Req) -> String {
        without_xml_decl(&sign_xml(&self.authn_request(r, true), &self.key))
    }
}
