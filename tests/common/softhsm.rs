//! A SoftHSM2 token of the test process's own: a token directory and `softhsm2.conf` in a temp
//! dir (`SOFTHSM2_CONF`), a token labelled `idp` initialised with `softhsm2-util`, and keys
//! generated with openssl and imported as PKCS#8. One per test process: SoftHSM reads its
//! configuration once, when the module is first initialised in a process.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
pub const TOKEN: &str = "idp";
pub const PIN: &str = "4711-user-pin";
pub const SO_PIN: &str = "0815-so-pin";

/// An RSA-2048 key on the token (label `saml`, id 01).
pub const RSA_LABEL: &str = "saml";
/// An EC P-256 key on the token (label `ec`, id 02).
pub const EC_LABEL: &str = "ec";

pub struct SoftHsm {
    pub dir: tempfile::TempDir,
    pub conf: PathBuf,
    /// The user PIN followed by a newline, as an operator's file would end.
    pub pin_file: PathBuf,
    /// Certificates (PEM) of the imported keys.
    pub rsa_cert: PathBuf,
    pub ec_cert: PathBuf,
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn openssl(args: &[&str]) {
    run(Command::new("openssl").args(args));
}

/// True when `softhsm2-util` and the module are installed; otherwise says so once per call site.
pub fn available(test: &str) -> bool {
    let util = Command::new("softhsm2-util").arg("--version").output();
    let ok = util.map(|o| o.status.success()).unwrap_or(false) && Path::new(MODULE).exists();
    if !ok {
        eprintln!(
            "SKIPPED {test}: softhsm2-util or {MODULE} is missing (apt-get install softhsm2); the PKCS#11 part is not tested"
        );
    }
    ok
}

/// The process's token, set up on first use (`None`, with a message, when SoftHSM2 is missing).
pub fn shared(test: &str) -> Option<&'static SoftHsm> {
    static HSM: OnceLock<SoftHsm> = OnceLock::new();
    if !available(test) {
        return None;
    }
    Some(HSM.get_or_init(setup))
}

impl SoftHsm {
    fn util(&self) -> Command {
        let mut c = Command::new("softhsm2-util");
        c.env("SOFTHSM2_CONF", &self.conf);
        c
    }

    /// Generates a key with openssl (`genpkey` args), writes its self-signed certificate and
    /// imports the key into the token under `label` / `id`.
    pub fn import_new_key(&self, genpkey: &[&str], label: &str, id: &str) -> PathBuf {
        let d = self.dir.path();
        let key = d.join(format!("{label}.key"));
        let p8 = d.join(format!("{label}.p8"));
        let cert = d.join(format!("{label}.crt"));
        let mut args = vec!["genpkey"];
        args.extend_from_slice(genpkey);
        args.extend_from_slice(&["-out", key.to_str().unwrap()]);
        openssl(&args);
        openssl(&[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            key.to_str().unwrap(),
            "-out",
            p8.to_str().unwrap(),
        ]);
        openssl(&[
            "req",
            "-x509",
            "-new",
            "-key",
            key.to_str().unwrap(),
            "-subj",
            &format!("/O=pass-idp tests/CN=HSM key {label}"),
            "-days",
            "365",
            "-sha256",
            "-out",
            cert.to_str().unwrap(),
        ]);
        run(self.util().args([
            "--import",
            p8.to_str().unwrap(),
            "--token",
            TOKEN,
            "--label",
            label,
            "--id",
            id,
            "--pin",
            PIN,
        ]));
        // Only the token holds the private key from now on.
        std::fs::remove_file(&key).unwrap();
        std::fs::remove_file(&p8).unwrap();
        cert
    }

    /// A PIN file with other content (e.g. a wrong PIN).
    pub fn pin_file_with(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
}

fn setup() -> SoftHsm {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    // The in-process IdP loads the module after this; SoftHSM reads the variable then.
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let pin_file = dir.path().join("pin");
    std::fs::write(&pin_file, format!("{PIN}\n")).unwrap();
    let mut hsm = SoftHsm {
        dir,
        conf,
        pin_file,
        rsa_cert: PathBuf::new(),
        ec_cert: PathBuf::new(),
    };
    run(hsm.util().args([
        "--init-token",
        "--free",
        "--label",
        TOKEN,
        "--so-pin",
        SO_PIN,
        "--pin",
        PIN,
    ]));
    hsm.rsa_cert = hsm.import_new_key(
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        RSA_LABEL,
        "01",
    );
    hsm.ec_cert = hsm.import_new_key(
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        EC_LABEL,
        "02",
    );
    hsm
}
