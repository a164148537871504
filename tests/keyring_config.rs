//! Key ring configuration that must not start: every mistake is named by its entry
//! (`saml.signing_keys[1].use` …) — two active keys, a missing file, a certificate of another
//! key, a short RSA key, a wrong token or key label, a development key anywhere in the ring
//! outside dev mode — and a wrong PIN stops the real binary with a clear message, not a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#[path = "common/cli.rs"]
mod cli;
#[path = "common/softhsm.rs"]
mod softhsm;

use pass_idp::config::{Config, Pkcs11KeyConfig, SigningKeyConfig};
use std::path::{Path, PathBuf};

use cli::{openssl, root};

/// An RSA key of `bits` and its self-signed certificate: (key, cert).
fn rsa_pair(dir: &Path, name: &str, bits: u32) -> (PathBuf, PathBuf) {
    let (k, c) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.crt")),
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        &format!("rsa:{bits}"),
        "-nodes",
        "-keyout",
        k.to_str().unwrap(),
        "-out",
        c.to_str().unwrap(),
        "-subj",
        &format!("/CN={name}"),
        "-days",
        "30",
    ]);
    (k, c)
}

fn pem(id: &str, key_use: &str, key: &Path, cert: &Path) -> SigningKeyConfig {
    SigningKeyConfig {
        id: id.into(),
        key_use: key_use.into(),
        pem_key: Some(key.into()),
        pem_cert: cert.into(),
        pkcs11: None,
        algorithm: None,
    }
}

fn hsm(id: &str, label: &str, token: &str, cert: &Path, pin_file: &Path) -> SigningKeyConfig {
    SigningKeyConfig {
        id: id.into(),
        key_use: "active".into(),
        pem_key: None,
        pem_cert: cert.into(),
        pkcs11: Some(Pkcs11KeyConfig {
            module: softhsm::MODULE.into(),
            token_label: token.into(),
            key_label: label.into(),
            pin_file: pin_file.into(),
            max_sessions: 2,
        }),
        algorithm: None,
    }
}

fn config(dev: bool, ring: Vec<SigningKeyConfig>) -> Config {
    let mut c = Config {
        dev_mode: dev,
        ..Config::default()
    };
    c.saml.signing_keys = ring;
    c
}

/// What start-up says about this ring: validation first, then loading.
fn start_error(cfg: &Config) -> String {
    let mut cfg = cfg.clone();
    cfg.secrets.nameid = "a-production-secret-of-enough-length-1".into();
    cfg.secrets.token = "a-production-secret-of-enough-length-2".into();
    cfg.base_url = "https://login.example.test".into();
    cfg.entity_id = "https://login.example.test/saml/metadata".into();
    if let Err(e) = cfg.validate() {
        return e.to_string();
    }
    match pass_idp::bootstrap::load_signing_key(&cfg) {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

fn assert_named(err: &str, parts: &[&str]) {
    for p in parts {
        assert!(err.contains(p), "{p:?} missing in: {err}");
    }
}

#[test]
fn pem_ring_mistakes_are_named_by_entry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a_key, a_crt) = rsa_pair(d, "a", 2048);
    let (b_key, b_crt) = rsa_pair(d, "b", 2048);
    let (short_key, short_crt) = rsa_pair(d, "short", 1024);

    assert_eq!(
        start_error(&config(false, vec![pem("a", "active", &a_key, &a_crt)])),
        ""
    );
    let both = vec![
        pem("a", "active", &a_key, &a_crt),
        pem("b", "next", &b_key, &b_crt),
    ];
    assert_eq!(start_error(&config(false, both)), "");

    let e = start_error(&config(
        false,
        vec![
            pem("a", "active", &a_key, &a_crt),
            pem("b", "active", &b_key, &b_crt),
        ],
    ));
    assert_named(
        &e,
        &["`saml.signing_keys[1].use`", "(\"a\") is active already"],
    );

    let missing = d.join("no-such.crt");
    let e = start_error(&config(
        false,
        vec![
            pem("a", "active", &a_key, &a_crt),
            pem("b", "next", &b_key, &missing),
        ],
    ));
    assert_named(
        &e,
        &[
            "saml.signing_keys[1].pem_cert",
            "no-such.crt",
            "No such file",
        ],
    );

    let e = start_error(&config(
        false,
        vec![
            pem("a", "active", &a_key, &a_crt),
            pem("b", "next", &b_key, &a_crt),
        ],
    ));
    assert_named(
        &e,
        &[
            "saml.signing_keys[1].pem_key",
            "b.key",
            "a.crt",
            "does not belong to the private key",
        ],
    );

    let e = start_error(&config(
        false,
        vec![pem("s", "active", &short_key, &short_crt)],
    ));
    assert_named(
        &e,
        &["saml.signing_keys[0].pem_key", "1024 bits", "at least 2048"],
    );

    // An EC key asked to sign with RSA-PSS.
    let ec = pass_idp::keys::generate_self_signed_ec("ec", 30).unwrap();
    std::fs::write(d.join("ec.key"), ec.0).unwrap();
    std::fs::write(d.join("ec.crt"), ec.1).unwrap();
    let mut e_pss = pem("ec", "active", &d.join("ec.key"), &d.join("ec.crt"));
    e_pss.algorithm = Some("rsa-pss-sha256".into());
    let e = start_error(&config(false, vec![e_pss]));
    assert_named(
        &e,
        &[
            "saml.signing_keys[0]",
            "EC P-256 key cannot sign with rsa-pss-sha256",
        ],
    );
}

#[test]
fn a_dev_key_anywhere_in_the_ring_is_refused_outside_dev_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (own_key, own_crt) = rsa_pair(dir.path(), "own", 2048);
    let dev_key = root().join("certs-dev/idp-signing.key");
    let dev_crt = root().join("certs-dev/idp-signing.crt");
    // A fresh certificate around the dev key: refused by its public key.
    let wrapped = dir.path().join("wrapped.crt");
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        dev_key.to_str().unwrap(),
        "-subj",
        "/CN=login.example.test",
        "-days",
        "30",
        "-out",
        wrapped.to_str().unwrap(),
    ]);
    for (ring, name) in [
        (
            vec![
                pem("own", "active", &own_key, &own_crt),
                pem("dev", "next", &dev_key, &wrapped),
            ],
            "saml.signing_keys[1].pem_key",
        ),
        (
            vec![
                pem("dev", "active", &dev_key, &dev_crt),
                pem("own", "next", &own_key, &own_crt),
            ],
            "saml.signing_keys[0].pem_key",
        ),
    ] {
        let e = start_error(&config(false, ring.clone()));
        assert_named(
            &e,
            &[
                name,
                "refused outside dev mode",
                "certs-dev/idp-signing.key",
            ],
        );
        assert_eq!(start_error(&config(true, ring)), "", "dev mode accepts it");
    }
    // A token key whose certificate file is a development one.
    let pin = dir.path().join("pin");
    std::fs::write(&pin, "1234\n").unwrap();
    let e = start_error(&config(
        false,
        vec![hsm("h", "saml", "idp", &dev_crt, &pin)],
    ));
    assert_named(
        &e,
        &["saml.signing_keys[0].pem_cert", "refused outside dev mode"],
    );
}

#[test]
fn token_mistakes_are_named() {
    let Some(h) = softhsm::shared("token_mistakes_are_named") else {
        return;
    };
    let ok = config(
        false,
        vec![hsm(
            "h",
            softhsm::RSA_LABEL,
            softhsm::TOKEN,
            &h.rsa_cert,
            &h.pin_file,
        )],
    );
    assert_eq!(start_error(&ok), "");
    let e = start_error(&config(
        false,
        vec![hsm(
            "h",
            softhsm::RSA_LABEL,
            "nope",
            &h.rsa_cert,
            &h.pin_file,
        )],
    ));
    assert_named(
        &e,
        &[
            "saml.signing_keys[0].pkcs11",
            "no token labelled \"nope\"",
            "\"idp\"",
        ],
    );
    let e = start_error(&config(
        false,
        vec![hsm(
            "h",
            "missing",
            softhsm::TOKEN,
            &h.rsa_cert,
            &h.pin_file,
        )],
    ));
    assert_named(
        &e,
        &[
            "saml.signing_keys[0].pkcs11",
            "no private key labelled \"missing\"",
        ],
    );
    // The RSA token key with the EC key's certificate; the RSA key with another RSA certificate.
    let e = start_error(&config(
        false,
        vec![hsm(
            "h",
            softhsm::RSA_LABEL,
            softhsm::TOKEN,
            &h.ec_cert,
            &h.pin_file,
        )],
    ));
    assert_named(
        &e,
        &[
            "saml.signing_keys[0].pkcs11",
            "is RSA but the certificate carries a EC P-256 key",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, other) = rsa_pair(dir.path(), "other", 2048);
    let e = start_error(&config(
        false,
        vec![hsm(
            "h",
            softhsm::RSA_LABEL,
            softhsm::TOKEN,
            &other,
            &h.pin_file,
        )],
    ));
    assert_named(
        &e,
        &[
            "saml.signing_keys[0] (key \"h\"",
            "does not verify with the certificate",
        ],
    );
    let e = start_error(&config(
        false,
        vec![hsm(
            "h",
            softhsm::RSA_LABEL,
            softhsm::TOKEN,
            &h.rsa_cert,
            &dir.path().join("no-pin"),
        )],
    ));
    assert_named(&e, &["saml.signing_keys[0].pkcs11.pin_file", "no-pin"]);
}

/// Runs `pass-idp --config FILE serve` with this process's SoftHSM configuration; returns
/// (exited successfully or still running after 20 s, output).
fn serve(config: &Path, hsm_conf: &Path) -> (bool, String) {
    cli::run_binary(
        config,
        &["serve"],
        &[("SOFTHSM2_CONF", hsm_conf)],
        std::time::Duration::from_secs(20),
    )
}

fn ring_toml(dir: &Path, entries: &str) -> PathBuf {
    let d = dir.display();
    let toml = format!(
        "dev_mode = true\nbind = \"127.0.0.1:0\"\ndatabase_url = \"sqlite://{d}/idp.db?mode=rwc\"\nmetadata_dir = \"{d}\"\n[sms]\noutbox_path = \"{d}/sms.jsonl\"\n[mail]\noutbox_dir = \"{d}/mail\"\n{entries}"
    );
    let p = dir.join("pass-idp.toml");
    std::fs::write(&p, toml).unwrap();
    p
}

#[test]
fn a_wrong_pin_or_two_active_keys_stop_the_binary_with_a_clear_message() {
    let Some(h) = softhsm::shared("a_wrong_pin_stops_the_binary") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let wrong = h.pin_file_with("wrong-pin", "0000-not-the-pin\r\n");
    let entry = |id: &str, key_use: &str, pin: &Path| {
        format!(
            "[[saml.signing_keys]]\nid = \"{id}\"\nuse = \"{key_use}\"\npem_cert = \"{}\"\npkcs11 = {{ module = \"{}\", token_label = \"{}\", key_label = \"{}\", pin_file = \"{}\" }}\n",
            h.rsa_cert.display(),
            softhsm::MODULE,
            softhsm::TOKEN,
            softhsm::RSA_LABEL,
            pin.display()
        )
    };
    let (ok, out) = serve(
        &ring_toml(dir.path(), &entry("hsm", "active", &wrong)),
        &h.conf,
    );
    assert!(!ok, "must not start: {out}");
    assert_named(
        &out,
        &[
            "saml.signing_keys[0].pkcs11",
            "the PIN from pin_file is wrong",
            "C_Login: CKR PinIncorrect",
        ],
    );
    assert!(!out.contains("panicked"), "{out}");
    assert!(
        !out.contains("0000-not-the-pin"),
        "the PIN is not printed: {out}"
    );

    let two = format!(
        "{}{}",
        entry("a", "active", &h.pin_file),
        entry("b", "active", &h.pin_file)
    );
    let (ok, out) = serve(&ring_toml(dir.path(), &two), &h.conf);
    assert!(!ok, "must not start: {out}");
    assert_named(&out, &["`saml.signing_keys[1].use`"]);

    // The right PIN (with its trailing newline) starts the server.
    let (ok, out) = serve(
        &ring_toml(dir.path(), &entry("hsm", "active", &h.pin_file)),
        &h.conf,
    );
    assert!(ok && out.starts_with("STILL RUNNING"), "{out}");
}
