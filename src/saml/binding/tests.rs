#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::saml::request::testutil::{other_key, sp_key, Req};

const MAX: usize = 64 * 1024;

fn certs() -> Vec<Vec<u8>> {
    vec![sp_key().der()]
}

fn signed_query(rs: Option<&str>) -> String {
    encode_redirect_query(
        &Req::default().xml(),
        rs,
        Some((&sp_key().key, sig_alg::RSA_SHA256)),
    )
    .unwrap()
}

fn param<'a>(q: &'a str, name: &str) -> &'a str {
    q.split('&')
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap()
}

#[test]
fn redirect_roundtrip_unsigned() {
    let xml = Req::default().xml();
    let q = encode_redirect_query(&xml, Some("state 1/ž"), None).unwrap();
    let m = decode_redirect(&q, MAX).unwrap();
    assert_eq!(m.binding, Binding::HttpRedirect);
    assert_eq!(m.xml, xml);
    assert_eq!(m.relay_state.as_deref(), Some("state 1/ž"));
    assert!(m.redirect_signature.is_none());
}

#[test]
fn redirect_signed_rsa_sha256_verifies_over_raw_octets() {
    let q = signed_query(Some("rs"));
    let m = decode_redirect(&format!("?{q}"), MAX).unwrap();
    let sig = m.redirect_signature.unwrap();
    let expected = format!(
        "SAMLRequest={}&RelayState=rs&SigAlg={}",
        param(&q, "SAMLRequest"),
        param(&q, "SigAlg")
    );
    assert_eq!(sig.signed_octets, expected.into_bytes());
    verify_redirect_signature(&sig, &certs()).unwrap();
}

#[test]
fn redirect_signature_with_lowercase_percent_escapes_verifies() {
    // The SP encodes with lowercase hex escapes and signs exactly those octets.
    let xml = Req::default().xml();
    let plain = encode_redirect_query(&xml, Some("a b/c"), None).unwrap();
    let lower = |s: &str| {
        let mut out = String::new();
        let mut it = s.chars().peekable();
        while let Some(c) = it.next() {
            out.push(c);
            if c == '%' {
                for _ in 0..2 {
                    out.extend(it.next().map(|h| h.to_ascii_lowercase()));
                }
            }
        }
        out
    };
    let mut q = lower(&plain);
    q.push_str("&SigAlg=");
    q.push_str(&lower(
        &utf8_percent_encode(sig_alg::RSA_SHA256, QUERY_VALUE).to_string(),
    ));
    assert!(
        q.contains("%3a"),
        "test must really use lowercase escapes: {q}"
    );
    let mut signer = Signer::new(MessageDigest::sha256(), &sp_key().key).unwrap();
    signer.update(q.as_bytes()).unwrap();
    let s = STANDARD.encode(signer.sign_to_vec().unwrap());
    q.push_str("&Signature=");
    q.push_str(&lower(&utf8_percent_encode(&s, QUERY_VALUE).to_string()));

    let m = decode_redirect(&q, MAX).unwrap();
    assert_eq!(m.relay_state.as_deref(), Some("a b/c"));
    verify_redirect_signature(m.redirect_signature.as_ref().unwrap(), &certs()).unwrap();
}

#[test]
fn redirect_sha1_sigalg_refused() {
    let q = encode_redirect_query(&Req::default().xml(), None, None).unwrap();
    let mut signed = format!(
        "{q}&SigAlg={}",
        utf8_percent_encode(sig_alg::RSA_SHA1, QUERY_VALUE)
    );
    let mut signer = Signer::new(MessageDigest::sha1(), &sp_key().key).unwrap();
    signer.update(signed.as_bytes()).unwrap();
    let s = STANDARD.encode(signer.sign_to_vec().unwrap());
    signed.push_str(&format!(
        "&Signature={}",
        utf8_percent_encode(&s, QUERY_VALUE)
    ));
    let m = decode_redirect(&signed, MAX).unwrap();
    assert_eq!(
        verify_redirect_signature(m.redirect_signature.as_ref().unwrap(), &certs()),
        Err(BindingError::WeakAlgorithm(sig_alg::RSA_SHA1.into()))
    );
    // and we never produce one
    assert!(matches!(
        encode_redirect_query("<x/>", None, Some((&sp_key().key, sig_alg::RSA_SHA1))),
        Err(BindingError::WeakAlgorithm(_))
    ));
}

#[test]
fn redirect_signature_by_other_key_refused() {
    let q = encode_redirect_query(
        &Req::default().xml(),
        None,
        Some((&other_key().key, sig_alg::RSA_SHA256)),
    )
    .unwrap();
    let m = decode_redirect(&q, MAX).unwrap();
    assert_eq!(
        verify_redirect_signature(m.redirect_signature.as_ref().unwrap(), &certs()),
        Err(BindingError::SignatureInvalid)
    );
}

#[test]
fn redirect_tampered_saml_request_refused() {
    let q = signed_query(None);
    let evil = Req {
        acs_url: Some("https://evil.example/acs".into()),
        ..Req::default()
    };
    let evil_q = encode_redirect_query(&evil.xml(), None, None).unwrap();
    let tampered = q.replace(param(&q, "SAMLRequest"), param(&evil_q, "SAMLRequest"));
    let m = decode_redirect(&tampered, MAX).unwrap();
    assert!(m.xml.contains("evil.example"));
    assert_eq!(
        verify_redirect_signature(m.redirect_signature.as_ref().unwrap(), &certs()),
        Err(BindingError::SignatureInvalid)
    );
}

#[test]
fn redirect_tampered_relay_state_refused() {
    let q = signed_query(Some("good"));
    let m = decode_redirect(&q.replace("RelayState=good", "RelayState=evil"), MAX).unwrap();
    assert_eq!(
        verify_redirect_signature(m.redirect_signature.as_ref().unwrap(), &certs()),
        Err(BindingError::SignatureInvalid)
    );
}

#[test]
fn redirect_sigalg_without_signature_refused() {
    let q = signed_query(None);
    let no_sig: String = q
        .split('&')
        .filter(|p| !p.starts_with("Signature="))
        .collect::<Vec<_>>()
        .join("&");
    assert_eq!(
        decode_redirect(&no_sig, MAX),
        Err(BindingError::SigAlgWithoutSignature)
    );
    let no_alg: String = q
        .split('&')
        .filter(|p| !p.starts_with("SigAlg="))
        .collect::<Vec<_>>()
        .join("&");
    assert_eq!(
        decode_redirect(&no_alg, MAX),
        Err(BindingError::SignatureWithoutSigAlg)
    );
}

#[test]
fn redirect_garbage_signature_and_certs_never_panic() {
    let sig = RedirectSignature {
        sig_alg: sig_alg::ECDSA_SHA256.into(),
        signature: vec![1, 2, 3],
        signed_octets: b"x".to_vec(),
    };
    assert_eq!(
        verify_redirect_signature(&sig, &[vec![0, 1, 2], certs()[0].clone()]),
        Err(BindingError::SignatureInvalid)
    );
    let sig = RedirectSignature {
        sig_alg: sig_alg::RSA_SHA256.into(),
        signature: vec![],
        signed_octets: vec![],
    };
    assert_eq!(
        verify_redirect_signature(&sig, &certs()),
        Err(BindingError::SignatureInvalid)
    );
    assert_eq!(
        verify_redirect_signature(&sig, &[]),
        Err(BindingError::NoCertificates)
    );
    let sig = RedirectSignature {
        sig_alg: "urn:unknown".into(),
        signature: vec![1],
        signed_octets: vec![],
    };
    assert!(matches!(
        verify_redirect_signature(&sig, &certs()),
        Err(BindingError::UnsupportedAlgorithm(_))
    ));
    assert!(decode_redirect("SAMLRequest=%%%&SigAlg=x&Signature=!!", MAX).is_err());
}

#[test]
fn redirect_inflate_bomb_refused_at_cap() {
    let zeros = vec![0u8; 10 * 1024 * 1024];
    let mut enc = DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&zeros).unwrap();
    let deflated = enc.finish().unwrap();
    assert!(deflated.len() < 64 * 1024);
    let q = format!(
        "SAMLRequest={}",
        utf8_percent_encode(&STANDARD.encode(deflated), QUERY_VALUE)
    );
    assert_eq!(
        decode_redirect(&q, MAX),
        Err(BindingError::InflatedTooLarge { max: MAX })
    );
}

#[test]
fn redirect_relay_state_of_81_bytes_refused() {
    let xml = Req::default().xml();
    let q80 = encode_redirect_query(&xml, Some(&"a".repeat(80)), None).unwrap();
    assert!(decode_redirect(&q80, MAX).is_ok());
    let q81 = format!(
        "{}&RelayState={}",
        encode_redirect_query(&xml, None, None).unwrap(),
        "a".repeat(81)
    );
    assert_eq!(
        decode_redirect(&q81, MAX),
        Err(BindingError::RelayStateTooLong { len: 81 })
    );
    assert!(matches!(
        encode_redirect_query(&xml, Some(&"a".repeat(81)), None),
        Err(BindingError::RelayStateTooLong { .. })
    ));
}

#[test]
fn redirect_duplicate_parameter_refused() {
    let q = encode_redirect_query("<x/>", Some("a"), None).unwrap();
    assert_eq!(
        decode_redirect(&format!("{q}&RelayState=b"), MAX),
        Err(BindingError::DuplicateParameter("RelayState".into()))
    );
}

#[test]
fn redirect_missing_saml_request_refused() {
    assert_eq!(
        decode_redirect("RelayState=x", MAX),
        Err(BindingError::MissingSamlRequest)
    );
}

#[test]
fn ecdsa_redirect_signature_verifies() {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut b = openssl::x509::X509::builder().unwrap();
    b.set_pubkey(&key).unwrap();
    let mut name = openssl::x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "ec.example").unwrap();
    let name = name.build();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::from_unix(1_700_000_000).unwrap())
        .unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::from_unix(2_000_000_000).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build().to_der().unwrap();
    assert!(openssl::x509::X509::from_der(&cert).is_ok());
    let q = encode_redirect_query("<x/>", None, Some((&key, sig_alg::ECDSA_SHA256))).unwrap();
    let m = decode_redirect(&q, MAX).unwrap();
    let sig = m.redirect_signature.unwrap();
    assert_eq!(sig.signature.len(), 64, "XML-DSig ECDSA is r||s");
    verify_redirect_signature(&sig, &[certs()[0].clone(), cert]).unwrap();
}

#[test]
fn post_decodes_with_whitespace_and_limits() {
    let xml = Req::default().xml();
    let mut b = STANDARD.encode(&xml);
    b.insert(10, '\n');
    b.insert(20, ' ');
    let m = decode_post(&b, Some("rs"), MAX).unwrap();
    assert_eq!(m.xml, xml);
    assert_eq!(m.binding, Binding::HttpPost);
    assert_eq!(
        decode_post(&STANDARD.encode(&xml), None, 100),
        Err(BindingError::TooLarge { max: 100 })
    );
    assert_eq!(
        decode_post(&b, Some(&"x".repeat(81)), MAX),
        Err(BindingError::RelayStateTooLong { len: 81 })
    );
    assert_eq!(
        decode_post("!!!", None, MAX),
        Err(BindingError::BadBase64("SAMLRequest"))
    );
}
