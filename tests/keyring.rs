//! The key ring against the running server: a SoftHSM2-held key signs Responses and metadata
//! that xmlsec1, pysaml2 and samael accept; ECDSA-P256 and RSA-PSS signatures (PEM and PKCS#11);
//! rollover (metadata lists both keys, and an e-service that trusts both keeps working when the
//! active key is switched). Without SoftHSM2 the PKCS#11 parts are skipped with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;
#[path = "common/softhsm.rs"]
mod softhsm;

use base64::Engine;
use common::sp::Req;
use common::*;
use pass_idp::config::{Config, Pkcs11KeyConfig, SigningKeyConfig};
use softhsm::SoftHsm;
use std::path::{Path, PathBuf};

const PHONE: &str = "+38641555666";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const RSA_PSS: &str = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1";
const ECDSA: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
const RESPONSE: &str = "urn:oasis:names:tc:SAML:2.0:protocol:Response";
const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion";
const METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor";

fn pem_entry(
    id: &str,
    key_use: &str,
    key: &Path,
    cert: &Path,
    alg: Option<&str>,
) -> SigningKeyConfig {
    SigningKeyConfig {
        id: id.into(),
        key_use: key_use.into(),
        pem_key: Some(key.to_path_buf()),
        pem_cert: cert.to_path_buf(),
        pkcs11: None,
        algorithm: alg.map(str::to_string),
    }
}

fn hsm_entry(
    hsm: &SoftHsm,
    id: &str,
    key_use: &str,
    label: &str,
    cert: &Path,
    alg: Option<&str>,
) -> SigningKeyConfig {
    SigningKeyConfig {
        id: id.into(),
        key_use: key_use.into(),
        pem_key: None,
        pem_cert: cert.to_path_buf(),
        pkcs11: Some(Pkcs11KeyConfig {
            module: softhsm::MODULE.into(),
            token_label: softhsm::TOKEN.into(),
            key_label: label.into(),
            pin_file: hsm.pin_file.clone(),
            max_sessions: 4,
        }),
        algorithm: alg.map(str::to_string),
    }
}

/// A PEM key pair written to `dir`: RSA-2048 or EC P-256 (the key ring's own generators).
fn pem_pair(dir: &Path, name: &str, ec: bool) -> (PathBuf, PathBuf) {
    let (k, c) = if ec {
        pass_idp::keys::generate_self_signed_ec(name, 30).unwrap()
    } else {
        pass_idp::keys::generate_self_signed(name, 30).unwrap()
    };
    let (kp, cp) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.crt")),
    );
    std::fs::write(&kp, k).unwrap();
    std::fs::write(&cp, c).unwrap();
    (kp, cp)
}

fn sp() -> TestSp {
    TestSp::new("keys", false).with_policy("sign_response = true\nsign_assertion = true\n")
}

/// The IdP's entityID, the same across restarts (each start gets a new port).
const ENTITY_ID: &str = "https://login.keyring.test/saml/metadata";

async fn app_with(sp: &TestSp, ring: Vec<SigningKeyConfig>) -> TestApp {
    let app = TestApp::spawn_with(Backend::Sqlite, &[sp], move |c: &mut Config| {
        c.saml.signing_keys = ring;
        c.entity_id = ENTITY_ID.into();
    })
    .await;
    app.add_citizen("ana", Some(PHONE)).await;
    // Say why, should the e-service not be served (a start that loses it is not a key-ring fault).
    let reg = app.services.ports.registry.snapshot();
    assert!(
        reg.get(&sp.entity_id).is_some(),
        "the test e-service is not served; problems: {:?}; files: {:?}",
        reg.problems
            .iter()
            .map(|p| format!("{}: {}", p.file.display(), p.problem))
            .collect::<Vec<_>>(),
        std::fs::read_dir(&app.metadata_dir).map(|d| d.count())
    );
    app
}

/// A whole login; returns the posted Response and the request ID.
async fn login(app: &TestApp, sp: &TestSp) -> (Posted, String) {
    let b = app.browser();
    let req = Req::new(&app.sso_url());
    let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
    let start = b.get(&format!("/saml/sso?{q}")).await;
    (full_login(app, &b, start, "ana", PHONE).await, req.id)
}

/// Every `Algorithm="…"` of a SignatureMethod in the document.
fn signature_methods(xml: &str) -> Vec<String> {
    xml.match_indices("<ds:SignatureMethod Algorithm=\"")
        .map(|(i, m)| {
            let rest = &xml[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// Every `ds:X509Certificate` value of the document.
fn certificates(xml: &str) -> Vec<String> {
    xml.match_indices("<ds:X509Certificate>")
        .map(|(i, m)| {
            let rest = &xml[i + m.len()..];
            rest[..rest.find('<').unwrap()].to_string()
        })
        .collect()
}

fn cert_b64(cert_pem: &Path) -> String {
    let x = openssl::x509::X509::from_pem(&std::fs::read(cert_pem).unwrap()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(x.to_der().unwrap())
}

/// signxml's verdict on the signature of the document's root (see tests/python/dsig_check.py).
fn signxml(xml: &str, cert_pem: &Path, method: &str) -> serde_json::Value {
    python(
        "dsig_check.py",
        &serde_json::json!({
            "xml": xml,
            "cert_pem": std::fs::read_to_string(cert_pem).unwrap(),
            "signature_method": method,
        })
        .to_string(),
    )
}

/// The Response (both signatures) and the metadata verify with `cert` under `method`, checked by
/// tools that are not ours: xmlsec1 (RSA-SHA256, ECDSA), signxml (RSA-PSS, which the xmlsec1 1.2
/// of Debian 12 does not implement), pysaml2 and samael where they support the method.
async fn check_signed_with(
    app: &TestApp,
    sp: &TestSp,
    posted: &Posted,
    request_id: &str,
    cert: &Path,
    method: &str,
) {
    let xml = posted.xml();
    let md = app.idp_metadata().await;
    assert_eq!(signature_methods(&xml), vec![method, method], "{xml}");
    assert_eq!(signature_methods(&md), vec![method], "{md}");
    let want = cert_b64(cert);
    assert_eq!(certificates(&xml), vec![want.clone(), want.clone()]);
    assert_eq!(
        certificates(&md)[0],
        want,
        "KeyInfo of the metadata signature"
    );
    let assertion = assertion_of(&xml);
    if method == RSA_PSS {
        for (doc, what) in [
            (&xml, "Response"),
            (&assertion, "Assertion"),
            (&md, "metadata"),
        ] {
            let v = signxml(doc, cert, method);
            assert_eq!(v["ok"], true, "signxml, {what}: {v}\n{doc}");
        }
        // A PKCS#1 v1.5 verifier must not accept it (the padding really is PSS).
        let v = signxml(&xml, cert, RSA_SHA256);
        assert_eq!(v["ok"], false, "{v}");
    } else {
        xmlsec1_verify(&xml, cert, RESPONSE).unwrap_or_else(|e| panic!("xmlsec1 Response: {e}"));
        xmlsec1_verify(&assertion, cert, ASSERTION)
            .unwrap_or_else(|e| panic!("xmlsec1 Assertion: {e}"));
        xmlsec1_verify(&md, cert, METADATA).unwrap_or_else(|e| panic!("xmlsec1 metadata: {e}"));
        let v = sp.pysaml2(
            &md,
            &posted.saml_response,
            Some(request_id),
            &posted.acs_url,
            true,
        );
        assert_eq!(v["ok"], true, "pysaml2: {v}\n{xml}");
        assert_eq!(v["response_signed"], true);
        assert_eq!(v["assertion_signed"], true);
    }
    if method == RSA_SHA256 {
        sp.samael_accepts(&md, &posted.saml_response, request_id)
            .unwrap_or_else(|e| panic!("samael: {e}"));
    }
    xsd_valid(&xml).unwrap_or_else(|e| panic!("schema: {e}"));
    xsd_valid(&md).unwrap_or_else(|e| panic!("schema (metadata): {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn softhsm_key_signs_responses_and_metadata_that_three_verifiers_accept() {
    let Some(hsm) = softhsm::shared("softhsm_key_signs_responses_and_metadata") else {
        return;
    };
    let sp = sp();
    let ring = vec![hsm_entry(
        hsm,
        "hsm",
        "active",
        softhsm::RSA_LABEL,
        &hsm.rsa_cert,
        None,
    )];
    let app = app_with(&sp, ring).await;
    assert_eq!(app.services.ports.keys.active().id(), "hsm");
    let (posted, id) = login(&app, &sp).await;
    check_signed_with(&app, &sp, &posted, &id, &hsm.rsa_cert, RSA_SHA256).await;
    // A second login in the same session pool (SSO with the session, a new request).
    let (posted, id) = login(&app, &sp).await;
    check_signed_with(&app, &sp, &posted, &id, &hsm.rsa_cert, RSA_SHA256).await;
    // Only one key: metadata publishes one certificate.
    assert_eq!(
        certificates(&app.idp_metadata().await).len(),
        2,
        "KeyInfo + one KeyDescriptor"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecdsa_p256_and_rsa_pss_signatures_verify_from_files_and_from_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let sp = sp();
    let (ec_key, ec_cert) = pem_pair(dir.path(), "idp-ec", true);
    let (rsa_key, rsa_cert) = pem_pair(dir.path(), "idp-rsa", false);
    let mut cases = vec![
        (
            pem_entry("ec", "active", &ec_key, &ec_cert, None),
            ec_cert.clone(),
            ECDSA,
        ),
        (
            pem_entry("pss", "active", &rsa_key, &rsa_cert, Some("rsa-pss-sha256")),
            rsa_cert.clone(),
            RSA_PSS,
        ),
    ];
    if let Some(hsm) = softhsm::shared("ecdsa_and_rsa_pss from the token") {
        cases.push((
            hsm_entry(
                hsm,
                "hsm-ec",
                "active",
                softhsm::EC_LABEL,
                &hsm.ec_cert,
                None,
            ),
            hsm.ec_cert.clone(),
            ECDSA,
        ));
        cases.push((
            hsm_entry(
                hsm,
                "hsm-pss",
                "active",
                softhsm::RSA_LABEL,
                &hsm.rsa_cert,
                Some("rsa-pss-sha256"),
            ),
            hsm.rsa_cert.clone(),
            RSA_PSS,
        ));
    }
    for (entry, cert, method) in cases {
        let name = entry.id.clone();
        let app = app_with(&sp, vec![entry]).await;
        let (posted, id) = login(&app, &sp).await;
        eprintln!("checking {name} ({method})");
        check_signed_with(&app, &sp, &posted, &id, &cert, method).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollover_metadata_lists_both_keys_and_a_switch_keeps_sps_working() {
    let dir = tempfile::tempdir().unwrap();
    let sp = sp();
    let (old_key, old_cert) = pem_pair(dir.path(), "idp-2026", false);
    let hsm = softhsm::shared("rollover to a token key (a PEM EC key stands in)");
    // The next key: on the token when there is one, else a PEM EC key.
    let (next_key, ec_cert) = pem_pair(dir.path(), "idp-ec", true);
    let (next_cert, next_method) = match hsm {
        Some(h) => (h.rsa_cert.clone(), RSA_SHA256),
        None => (ec_cert, ECDSA),
    };
    let next = |u: &str| -> SigningKeyConfig {
        match hsm {
            Some(h) => hsm_entry(h, "hsm", u, softhsm::RSA_LABEL, &h.rsa_cert, None),
            None => pem_entry("ec", u, &next_key, &next_cert, None),
        }
    };

    // 1. Add the next key: the old one still signs, metadata publishes both (active first).
    let app = app_with(
        &sp,
        vec![
            pem_entry("2026", "active", &old_key, &old_cert, None),
            next("next"),
        ],
    )
    .await;
    let md_both = app.idp_metadata().await;
    assert_eq!(
        certificates(&md_both)[1..],
        [cert_b64(&old_cert), cert_b64(&next_cert)],
        "KeyDescriptors: active, then next"
    );
    assert_eq!(
        md_both
            .matches("<md:KeyDescriptor use=\"signing\">")
            .count(),
        2
    );
    xmlsec1_verify(&md_both, &old_cert, METADATA).unwrap();
    let (posted, id) = login(&app, &sp).await;
    check_signed_with(&app, &sp, &posted, &id, &old_cert, RSA_SHA256).await;
    // An e-service that still has the metadata of before (the old key only).
    let md_old_only = {
        let app1 = app_with(
            &sp,
            vec![pem_entry("2026", "active", &old_key, &old_cert, None)],
        )
        .await;
        let md = app1.idp_metadata().await;
        app1.stop().await;
        md
    };
    app.stop().await;

    // 2. Swap: restart with next ↔ active. The e-service refreshed to md_both keeps working.
    let app = app_with(
        &sp,
        vec![
            pem_entry("2026", "next", &old_key, &old_cert, None),
            next("active"),
        ],
    )
    .await;
    let (posted, id) = login(&app, &sp).await;
    let xml = posted.xml();
    assert_eq!(certificates(&xml)[0], cert_b64(&next_cert));
    assert!(
        xmlsec1_verify(&xml, &old_cert, RESPONSE).is_err(),
        "no longer signed by the old key"
    );
    let v = sp.pysaml2(
        &md_both,
        &posted.saml_response,
        Some(&id),
        &posted.acs_url,
        true,
    );
    assert_eq!(
        v["ok"], true,
        "an SP that trusts both keys accepts the switch: {v}"
    );
    // The new metadata: signed by the new key, new key first, the old one still published.
    let md_new = app.idp_metadata().await;
    assert_eq!(
        certificates(&md_new)[1..],
        [cert_b64(&next_cert), cert_b64(&old_cert)]
    );
    check_signed_with(&app, &sp, &posted, &id, &next_cert, next_method).await;
    // The e-service that never refreshed its metadata refuses: why the next key is published first.
    let v = sp.pysaml2(
        &md_old_only,
        &posted.saml_response,
        Some(&id),
        &posted.acs_url,
        true,
    );
    assert_eq!(v["ok"], false, "{v}");
    app.stop().await;

    // 3. Remove the old key: one certificate is left.
    let app = app_with(&sp, vec![next("active")]).await;
    let md = app.idp_metadata().await;
    assert_eq!(certificates(&md)[1..], [cert_b64(&next_cert)]);
    app.stop().await;
}
