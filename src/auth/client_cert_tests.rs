#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;

#[path = "client_cert_testpki.rs"]
mod pki;
use pki::{Kind, DAY};

fn cas_of(list: &[&pki::Issued]) -> QualifiedCas {
    let pems: Vec<(String, Vec<u8>)> = list
        .iter()
        .map(|c| ("ca.pem".to_string(), c.pem().into_bytes()))
        .collect();
    QualifiedCas::from_pems(&pems).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

#[test]
fn leaf_of_a_qualified_ca_is_accepted_with_its_fields() {
    let ca = pki::ca("Kvalificirani CA");
    let leaf = pki::client(&ca, "Janez Novak Šiška");
    let q = cas_of(&[&ca]).verify(&leaf.der(), &[], now()).unwrap();
    assert_eq!(q.issuer, "CN=Kvalificirani CA,O=Test PKI,C=SI");
    assert_eq!(q.subject, "CN=Janez Novak Šiška,O=Test PKI,C=SI");
    let serial = leaf
        .cert
        .serial_number()
        .to_bn()
        .unwrap()
        .to_hex_str()
        .unwrap()
        .to_string();
    assert_eq!(q.serial, serial);
    assert_eq!(q.fingerprint_sha256.len(), 64);
    let not_after = leaf.cert.not_after().to_string();
    assert!(!not_after.is_empty());
    assert!(q.not_after_ms > now().timestamp_millis());
}

#[test]
fn leaf_of_another_ca_is_refused() {
    let ca = pki::ca("Kvalificirani CA");
    let other = pki::ca("Other CA");
    let leaf = pki::client(&other, "Mallory");
    let err = cas_of(&[&ca]).verify(&leaf.der(), &[], now()).unwrap_err();
    assert_eq!(err, CertError::UnknownIssuer);
    // Sending the other CA along as "intermediate" does not make it trusted.
    let err = cas_of(&[&ca])
        .verify(&leaf.der(), &[other.der()], now())
        .unwrap_err();
    assert_eq!(err, CertError::UnknownIssuer);
}

#[test]
fn self_signed_leaf_is_refused() {
    let ca = pki::ca("Kvalificirani CA");
    let n = now().timestamp();
    let me = pki::issue(None, "Self", Kind::Client, n - DAY, n + DAY);
    let err = cas_of(&[&ca]).verify(&me.der(), &[], now()).unwrap_err();
    assert!(
        matches!(err, CertError::UnknownIssuer | CertError::Invalid(_)),
        "{err:?}"
    );
}

#[test]
fn expired_and_not_yet_valid_leaves_are_refused_by_the_given_time() {
    let ca = pki::ca("Kvalificirani CA");
    let n = now().timestamp();
    let old = pki::issue(Some(&ca), "Old", Kind::Client, n - 10 * DAY, n - DAY);
    let cas = cas_of(&[&ca]);
    assert_eq!(
        cas.verify(&old.der(), &[], now()).unwrap_err(),
        CertError::NotValidNow
    );
    // The time is the caller's: at a time inside the validity the same certificate is fine.
    let then = now() - chrono::Duration::days(5);
    assert!(cas.verify(&old.der(), &[], then).is_ok());
    let fresh = pki::client(&ca, "Fresh");
    let later = now() + chrono::Duration::days(400);
    assert_eq!(
        cas.verify(&fresh.der(), &[], later).unwrap_err(),
        CertError::NotValidNow
    );
}

#[test]
fn ca_certificate_as_leaf_is_refused() {
    let root = pki::ca("Kvalificirani CA");
    let n = now().timestamp();
    let sub = pki::issue(Some(&root), "Sub CA", Kind::Ca, n - DAY, n + 100 * DAY);
    let err = cas_of(&[&root]).verify(&sub.der(), &[], now()).unwrap_err();
    assert_eq!(err, CertError::CaAsLeaf);
}

#[test]
fn server_only_certificate_is_refused() {
    let ca = pki::ca("Kvalificirani CA");
    let n = now().timestamp();
    let srv = pki::issue(Some(&ca), "srv", Kind::ServerOnly, n - DAY, n + DAY);
    let err = cas_of(&[&ca]).verify(&srv.der(), &[], now()).unwrap_err();
    assert_eq!(err, CertError::WrongUsage);
}

#[test]
fn chain_through_an_intermediate_and_intermediate_as_anchor() {
    let root = pki::ca("Root");
    let n = now().timestamp();
    let sub = pki::issue(Some(&root), "Issuing CA", Kind::Ca, n - DAY, n + 100 * DAY);
    let leaf = pki::client(&sub, "Ana");
    // Root configured: the intermediate must come along.
    let cas = cas_of(&[&root]);
    assert!(cas.verify(&leaf.der(), &[sub.der()], now()).is_ok());
    assert_eq!(
        cas.verify(&leaf.der(), &[], now()).unwrap_err(),
        CertError::UnknownIssuer
    );
    // Only the issuing CA configured: enough by itself.
    assert!(cas_of(&[&sub]).verify(&leaf.der(), &[], now()).is_ok());
}

#[test]
fn nothing_is_accepted_without_configured_cas() {
    let ca = pki::ca("CA");
    let leaf = pki::client(&ca, "Ana");
    let empty = QualifiedCas::from_pems(&[]).unwrap();
    assert_eq!(
        empty.verify(&leaf.der(), &[], now()).unwrap_err(),
        CertError::NoQualifiedCas
    );
    assert!(QualifiedCas::from_pems(&[("x".into(), b"not pem".to_vec())]).is_err());
}

#[test]
fn garbage_is_malformed() {
    let ca = pki::ca("CA");
    let err = cas_of(&[&ca]).verify(b"garbage", &[], now()).unwrap_err();
    assert!(matches!(err, CertError::Malformed(_)), "{err:?}");
}

fn escaped(pem: &str) -> String {
    percent_encoding::utf8_percent_encode(pem, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[test]
fn proxy_header_only_from_a_trusted_proxy() {
    let ca = pki::ca("CA");
    let leaf = pki::client(&ca, "Ana");
    let cas = cas_of(&[&ca]);
    let trust = ProxyTrust::new(&["10.1.2.3".into()], "X-SSL-Client-Cert");
    let header = escaped(&leaf.pem());
    let proxy: IpAddr = "10.1.2.3".parse().unwrap();
    let other: IpAddr = "10.1.2.4".parse().unwrap();
    let got = from_proxy_header(Some(proxy), &header, &trust, &cas, now()).unwrap();
    assert_eq!(
        got.map(|q| q.subject),
        Some("CN=Ana,O=Test PKI,C=SI".into())
    );
    // IPv4-mapped IPv6 form of the proxy address counts as the proxy.
    let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
    assert!(from_proxy_header(Some(mapped), &header, &trust, &cas, now()).is_ok());
    assert_eq!(
        from_proxy_header(Some(other), &header, &trust, &cas, now()).unwrap_err(),
        CertError::UntrustedProxy("10.1.2.4".into())
    );
    assert!(from_proxy_header(None, &header, &trust, &cas, now()).is_err());
    // An empty header from the proxy: no certificate.
    assert_eq!(
        from_proxy_header(Some(proxy), "", &trust, &cas, now()),
        Ok(None)
    );
    // What the proxy passes is verified too.
    let foreign = pki::client(&pki::ca("Other"), "Mallory");
    assert_eq!(
        from_proxy_header(Some(proxy), &escaped(&foreign.pem()), &trust, &cas, now()).unwrap_err(),
        CertError::UnknownIssuer
    );
}

#[test]
fn rfc4514_escapes_special_characters() {
    assert_eq!(escape_value("a,b+c"), "a\\,b\\+c");
    assert_eq!(escape_value(" lead"), "\\ lead");
    assert_eq!(escape_value("#x"), "\\#x");
    assert_eq!(escape_value("trail "), "trail\\ ");
}
