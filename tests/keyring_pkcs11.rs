//! The PKCS#11 signer on its own (SoftHSM2): many threads signing through a small session pool,
//! a log-out behind the signer's back (it logs in again), and signing from a current-thread
//! runtime as actix workers have. Skipped with a message without SoftHSM2.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#[path = "common/softhsm.rs"]
mod softhsm;

use pass_idp::keys::{Algorithm, Certificate, Pkcs11Settings, Pkcs11Signer, RingKey, Signer};
use std::sync::Arc;

/// (Takes the token so that it is set up first.)
fn signer(
    _token: &softhsm::SoftHsm,
    label: &str,
    cert: &std::path::Path,
    max: usize,
) -> Pkcs11Signer {
    let cert = Certificate::from_pem(&std::fs::read(cert).unwrap()).unwrap();
    Pkcs11Signer::open(
        &Pkcs11Settings {
            module: softhsm::MODULE.into(),
            token_label: softhsm::TOKEN.into(),
            key_label: label.into(),
            pin: softhsm::PIN.into(),
            max_sessions: max,
        },
        cert,
    )
    .unwrap()
}

/// Checked with openssl directly (not through the ring's own verify).
fn openssl_verifies(cert: &Certificate, alg: Algorithm, data: &[u8], sig: &[u8]) -> bool {
    use openssl::hash::MessageDigest;
    let x = openssl::x509::X509::from_der(cert.der()).unwrap();
    let key = x.public_key().unwrap();
    let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), &key).unwrap();
    let der;
    let sig = match alg {
        Algorithm::RsaSha256 => sig,
        Algorithm::RsaPssSha256 => {
            v.set_rsa_padding(openssl::rsa::Padding::PKCS1_PSS).unwrap();
            v.set_rsa_mgf1_md(MessageDigest::sha256()).unwrap();
            v.set_rsa_pss_saltlen(openssl::sign::RsaPssSaltlen::custom(32))
                .unwrap();
            sig
        }
        Algorithm::EcdsaP256Sha256 => {
            assert_eq!(sig.len(), 64, "r || s");
            let r = openssl::bn::BigNum::from_slice(&sig[..32]).unwrap();
            let s = openssl::bn::BigNum::from_slice(&sig[32..]).unwrap();
            der = openssl::ecdsa::EcdsaSig::from_private_components(r, s)
                .unwrap()
                .to_der()
                .unwrap();
            &der
        }
    };
    v.update(data).unwrap();
    v.verify(sig).unwrap()
}

#[test]
fn eight_threads_sign_through_three_sessions() {
    let Some(h) = softhsm::shared("eight_threads_sign_through_three_sessions") else {
        return;
    };
    let rsa = Arc::new(signer(h, softhsm::RSA_LABEL, &h.rsa_cert, 3));
    let ec = Arc::new(signer(h, softhsm::EC_LABEL, &h.ec_cert, 3));
    assert!(format!("{rsa:?}").contains("redacted"));
    assert!(!format!("{rsa:?}").contains(softhsm::PIN));
    let threads: Vec<_> = (0..8u32)
        .map(|t| {
            let (rsa, ec) = (rsa.clone(), ec.clone());
            std::thread::spawn(move || {
                for i in 0..15u32 {
                    let data = format!("thread {t} message {i}");
                    for (s, alg) in [
                        (&rsa, Algorithm::RsaSha256),
                        (&rsa, Algorithm::RsaPssSha256),
                        (&ec, Algorithm::EcdsaP256Sha256),
                    ] {
                        let sig = s.sign(alg, data.as_bytes()).unwrap();
                        assert!(
                            openssl_verifies(s.certificate(), alg, data.as_bytes(), &sig),
                            "{alg} {data}"
                        );
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(rsa.idle_sessions() <= 3 && rsa.idle_sessions() >= 1);
    assert!(matches!(
        ec.sign(Algorithm::RsaSha256, b"x"),
        Err(pass_idp::keys::KeyError::AlgorithmNotSupported { .. })
    ));
}

#[test]
fn a_logout_behind_the_signers_back_is_followed_by_a_new_login() {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    let Some(h) = softhsm::shared("a_logout_behind_the_signers_back") else {
        return;
    };
    let s = signer(h, softhsm::RSA_LABEL, &h.rsa_cert, 2);
    let sig = s.sign(Algorithm::RsaSha256, b"before").unwrap();
    assert!(openssl_verifies(
        s.certificate(),
        Algorithm::RsaSha256,
        b"before",
        &sig
    ));
    // Another session of this process logs the user out: PKCS#11 log-in state is per application
    // and token, so the signer's pooled session is logged out too.
    let ctx = Pkcs11::new(softhsm::MODULE).unwrap();
    let _ = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    let slot = ctx
        .get_slots_with_token()
        .unwrap()
        .into_iter()
        .find(|s| ctx.get_token_info(*s).unwrap().label() == softhsm::TOKEN)
        .unwrap();
    let other = ctx.open_ro_session(slot).unwrap();
    other.logout().unwrap();
    let before = s.recoveries();
    let sig = s.sign(Algorithm::RsaPssSha256, b"after").unwrap();
    assert!(
        s.recoveries() > before,
        "the signer noticed and logged in again"
    );
    assert!(openssl_verifies(
        s.certificate(),
        Algorithm::RsaPssSha256,
        b"after",
        &sig
    ));
}

#[test]
fn async_signing_from_a_current_thread_runtime() {
    let Some(h) = softhsm::shared("async_signing_from_a_current_thread_runtime") else {
        return;
    };
    let key = RingKey::new(
        "hsm",
        None,
        Arc::new(signer(h, softhsm::EC_LABEL, &h.ec_cert, 2)),
    )
    .unwrap();
    assert_eq!(key.algorithm(), Algorithm::EcdsaP256Sha256);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sigs = rt.block_on(async {
        let (a, b, c) = tokio::join!(
            key.sign_async(vec![0; 100]),
            key.sign_async(vec![1; 100]),
            key.sign_async(vec![2; 100])
        );
        [a, b, c]
    });
    for (i, sig) in sigs.into_iter().enumerate() {
        let sig = sig.unwrap();
        assert!(openssl_verifies(
            key.certificate(),
            Algorithm::EcdsaP256Sha256,
            &[i as u8; 100],
            &sig
        ));
    }
}
