//! Mail over STARTTLS with lettre on rustls (ring): the server's certificate is verified against the
//! system trust store (here pointed at a test CA with `SSL_CERT_FILE`), a server the store does not
//! trust gets nothing — the mail is not sent in plain text instead — and a trusted one receives it.
//! One test in this file: it sets the process's trust-store variables.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::smtp::SmtpSink;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509Name, X509};
use pass_idp::config::MailConfig;
use pass_idp::notify::mail::{Mail, Mailer, SmtpMailer};
use std::path::Path;
use std::sync::Arc;

fn key() -> PKey<Private> {
    let ec = openssl::ec::EcKey::generate(
        &openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap(),
    )
    .unwrap();
    PKey::from_ec_key(ec).unwrap()
}

fn name(cn: &str) -> X509Name {
    let mut n = X509Name::builder().unwrap();
    n.append_entry_by_text("CN", cn).unwrap();
    n.build()
}

/// A certificate for `cn`, signed by `issuer` (or self-signed: a CA).
fn cert(cn: &str, k: &PKey<Private>, issuer: Option<(&X509, &PKey<Private>)>) -> X509 {
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(rand_serial())
        .unwrap()
        .to_asn1_integer()
        .unwrap();
    b.set_serial_number(&serial).unwrap();
    b.set_subject_name(&name(cn)).unwrap();
    b.set_pubkey(k).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    match issuer {
        None => {
            b.set_issuer_name(&name(cn)).unwrap();
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            b.append_extension(KeyUsage::new().critical().key_cert_sign().build().unwrap())
                .unwrap();
            b.sign(k, MessageDigest::sha256()).unwrap();
        }
        Some((ca, ca_key)) => {
            b.set_issuer_name(ca.subject_name()).unwrap();
            b.append_extension(BasicConstraints::new().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .build()
                    .unwrap(),
            )
            .unwrap();
            b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
                .unwrap();
            let san = SubjectAlternativeName::new()
                .ip("127.0.0.1")
                .build(&b.x509v3_context(Some(ca), None))
                .unwrap();
            b.append_extension(san).unwrap();
            b.sign(ca_key, MessageDigest::sha256()).unwrap();
        }
    }
    b.build()
}

fn rand_serial() -> u32 {
    let mut buf = [0u8; 4];
    openssl::rand::rand_bytes(&mut buf).unwrap();
    u32::from_be_bytes(buf) >> 1
}

fn write(dir: &Path, file: &str, pem: &[u8]) -> std::path::PathBuf {
    let p = dir.join(file);
    std::fs::write(&p, pem).unwrap();
    p
}

fn mail() -> Mail {
    Mail {
        to: "janez@example.si".into(),
        subject: "Prek TLS".into(),
        text: "Pozdravljeni".into(),
    }
}

fn trust_only(ca_file: &Path) {
    // The system store as rustls-native-certs reads it: these variables, when set, are all it reads.
    std::env::remove_var("SSL_CERT_DIR");
    std::env::set_var("SSL_CERT_FILE", ca_file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_verifies_the_server_and_never_falls_back_to_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let (ca_key, other_key, leaf_key) = (key(), key(), key());
    let ca = cert("pass-idp test mail CA", &ca_key, None);
    let other_ca = cert("some other CA", &other_key, None);
    let leaf = cert("127.0.0.1", &leaf_key, Some((&ca, &ca_key)));
    let ca_pem = write(dir.path(), "ca.pem", &ca.to_pem().unwrap());
    let other_pem = write(dir.path(), "other.pem", &other_ca.to_pem().unwrap());
    let chain = write(dir.path(), "chain.pem", &leaf.to_pem().unwrap());
    let key_pem = write(
        dir.path(),
        "key.pem",
        &leaf_key.private_key_to_pem_pkcs8().unwrap(),
    );
    let sink = SmtpSink::start_tls(&chain, &key_pem);
    let cfg = MailConfig {
        provider: "smtp".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: sink.port,
        smtp_tls: "starttls".into(),
        ..MailConfig::default()
    };
    let clock: pass_idp::clock::SharedClock =
        Arc::new(pass_idp::clock::FixedClock::at_system_now());

    // A server certificate the store does not trust: refused, nothing delivered.
    trust_only(&other_pem);
    let untrusting = SmtpMailer::new(&cfg, clock.clone()).unwrap();
    let e = untrusting.send(&mail()).await.unwrap_err().to_string();
    assert!(e.to_lowercase().contains("certificate"), "{e}");
    assert!(
        sink.messages().is_empty(),
        "nothing sent without trusted TLS"
    );

    // The same server trusted: delivered over TLS.
    trust_only(&ca_pem);
    let trusting = SmtpMailer::new(&cfg, clock).unwrap();
    trusting.send(&mail()).await.unwrap();
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].subject, "Prek TLS");
    assert_eq!(got[0].to, vec!["janez@example.si".to_string()]);
}
