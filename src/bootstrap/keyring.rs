//! From the configuration to the key ring: reads the key, certificate and PIN files, opens the
//! PKCS#11 tokens, and refuses development keys outside dev mode. Every failure names the
//! configuration key and file (`saml.signing_keys[1].pem_cert keys/idp.crt: …`).
use super::{checked, read, InitError};
use crate::config::{Config, SigningKeyConfig};
use crate::keys::{
    Algorithm, Certificate, KeyRing, PemSigner, Pkcs11Settings, Pkcs11Signer, RingKey, Signer,
};
use crate::saml::dev_keys::{self, DevKey};
use std::path::Path;
use std::sync::Arc;

/// The configuration names of one entry's settings.
struct Names {
    pem_key: String,
    pem_cert: String,
    pkcs11: String,
    pin_file: String,
    entry: String,
}

impl Names {
    fn ring(i: usize) -> Names {
        let p = format!("saml.signing_keys[{i}]");
        Names {
            pem_key: format!("{p}.pem_key"),
            pem_cert: format!("{p}.pem_cert"),
            pkcs11: format!("{p}.pkcs11"),
            pin_file: format!("{p}.pkcs11.pin_file"),
            entry: p,
        }
    }

    /// `signing_key` / `signing_cert`: the names they always had.
    fn legacy() -> Names {
        Names {
            pem_key: "signing_key".into(),
            pem_cert: "signing_cert".into(),
            pkcs11: String::new(),
            pin_file: String::new(),
            entry: "signing_key".into(),
        }
    }
}

fn key_err(name: &str, path: &Path, e: impl ToString) -> InitError {
    InitError::Key(format!("{name} {}", path.display()), e.to_string())
}

fn dev(name: &str, path: &Path, why: DevKey) -> InitError {
    InitError::DevKey {
        key: name.to_string(),
        file: path.display().to_string(),
        why,
    }
}

/// A secret file's text without one trailing newline (`\n` or `\r\n`).
pub(crate) fn read_secret(name: &str, path: &Path) -> Result<String, InitError> {
    let bytes = read(name, path)?;
    let mut s = String::from_utf8(bytes).map_err(|_| key_err(name, path, "is not UTF-8 text"))?;
    if s.ends_with("\r\n") {
        s.truncate(s.len() - 2);
    } else if s.ends_with('\n') {
        s.truncate(s.len() - 1);
    }
    if s.is_empty() {
        return Err(key_err(name, path, "is empty"));
    }
    Ok(s)
}

/// A PEM key and certificate; outside dev mode a committed dev key (in whatever certificate) or a
/// certificate marked DEV ONLY is refused.
fn pem_signer(
    cfg: &Config,
    n: &Names,
    key_path: &Path,
    cert_path: &Path,
) -> Result<PemSigner, InitError> {
    let key_pem = read(&n.pem_key, key_path)?;
    let cert_pem = read(&n.pem_cert, cert_path)?;
    let signer = PemSigner::from_pem(&key_pem, &cert_pem).map_err(|e| {
        let files = format!(
            "{} {} / {} {}",
            n.pem_key,
            key_path.display(),
            n.pem_cert,
            cert_path.display()
        );
        InitError::Key(files, e.to_string())
    })?;
    if !cfg.dev_mode {
        // The certificate carries the private key's public key (checked above), so this one test
        // covers the key in any certificate; the marker covers `pass-idp keys dev` output.
        let spki = signer
            .certificate()
            .public_key_der()
            .map_err(|e| key_err(&n.pem_key, key_path, e))?;
        if let Some(why) = dev_keys::committed_dev_key(&spki).map(DevKey::Committed) {
            return Err(dev(&n.pem_key, key_path, why));
        }
        refuse_dev_cert(n, &cert_pem, cert_path)?;
    }
    Ok(signer)
}

fn refuse_dev_cert(n: &Names, cert_pem: &[u8], cert_path: &Path) -> Result<(), InitError> {
    if let Some(why) = checked(dev_keys::dev_cert_in_pem(cert_pem), &n.pem_cert, cert_path)? {
        return Err(dev(&n.pem_cert, cert_path, why));
    }
    Ok(())
}

/// One `[[saml.signing_keys]]` entry, loaded and self-tested.
fn ring_key(cfg: &Config, i: usize, k: &SigningKeyConfig) -> Result<RingKey, InitError> {
    let n = Names::ring(i);
    let signer: Arc<dyn Signer> = match (&k.pem_key, &k.pkcs11) {
        (Some(key), None) => Arc::new(pem_signer(cfg, &n, key, &k.pem_cert)?),
        (None, Some(p)) => {
            let cert_pem = read(&n.pem_cert, &k.pem_cert)?;
            let cert = Certificate::from_pem(&cert_pem)
                .map_err(|e| key_err(&n.pem_cert, &k.pem_cert, e))?;
            if !cfg.dev_mode {
                refuse_dev_cert(&n, &cert_pem, &k.pem_cert)?;
            }
            let settings = Pkcs11Settings {
                module: p.module.clone(),
                token_label: p.token_label.clone(),
                key_label: p.key_label.clone(),
                pin: read_secret(&n.pin_file, &p.pin_file)?,
                max_sessions: p.max_sessions,
            };
            let signer = Pkcs11Signer::open(&settings, cert)
                .map_err(|e| InitError::Key(n.pkcs11.clone(), e.to_string()))?;
            Arc::new(signer)
        }
        // validate() allows exactly one of them.
        _ => {
            return Err(InitError::Key(
                n.entry,
                "needs either pem_key or pkcs11".into(),
            ))
        }
    };
    // validate() checked the name.
    let alg = k.algorithm.as_deref().and_then(Algorithm::from_name);
    RingKey::new(k.id.clone(), alg, signer).map_err(|e| {
        InitError::Key(
            format!(
                "{} (key \"{}\", certificate {})",
                n.entry,
                k.id,
                k.pem_cert.display()
            ),
            e.to_string(),
        )
    })
}

/// The signing key ring: `[[saml.signing_keys]]` when present, else `signing_key`/`signing_cert`
/// as one active PEM key.
pub fn load_key_ring(cfg: &Config) -> Result<KeyRing, InitError> {
    let entries = &cfg.saml.signing_keys;
    if entries.is_empty() {
        let n = Names::legacy();
        let signer = pem_signer(cfg, &n, &cfg.signing_key, &cfg.signing_cert)?;
        let key = RingKey::new("default", None, Arc::new(signer))
            .map_err(|e| key_err(&n.entry, &cfg.signing_key, e))?;
        return Ok(KeyRing::single(key));
    }
    let mut active = None;
    let mut next = None;
    for (i, k) in entries.iter().enumerate() {
        let key = ring_key(cfg, i, k)?;
        if k.is_active() {
            active = Some(key);
        } else {
            next = Some(key);
        }
    }
    let active = active.ok_or_else(|| {
        InitError::Key(
            "saml.signing_keys".into(),
            "no key has use = \"active\"".into(),
        )
    })?;
    KeyRing::new(active, next)
        .map_err(|e| InitError::Key("saml.signing_keys".into(), e.to_string()))
}

/// Says at start which keys sign and are published, and warns about a certificate that ends
/// within 30 days (or has ended).
pub(crate) fn log_keys(ring: &KeyRing, now: chrono::DateTime<chrono::Utc>) {
    let keys = std::iter::once(("active", ring.active())).chain(ring.next().map(|k| ("next", k)));
    for (role, k) in keys {
        let cert = k.certificate();
        tracing::info!(
            role,
            id = k.id(),
            algorithm = %k.algorithm(),
            subject = cert.subject(),
            not_after = %cert.not_after(),
            "signing key"
        );
        if cert.not_after() < now + chrono::Duration::days(30) {
            tracing::warn!(role, id = k.id(), not_after = %cert.not_after(), "signing certificate ends within 30 days (or has ended): roll over to a new key");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn secret_files_lose_one_trailing_newline_only() {
        let dir = tempfile::tempdir().unwrap();
        for (content, want) in [
            ("1234", "1234"),
            ("1234\n", "1234"),
            ("1234\r\n", "1234"),
            ("1234\n\n", "1234\n"),
            (" 12 34 \n", " 12 34 "),
        ] {
            let p = dir.path().join("pin");
            std::fs::write(&p, content).unwrap();
            assert_eq!(read_secret("pin_file", &p).unwrap(), want, "{content:?}");
        }
        let p = dir.path().join("empty");
        std::fs::write(&p, "\n").unwrap();
        let e = read_secret("saml.signing_keys[0].pkcs11.pin_file", &p)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("saml.signing_keys[0].pkcs11.pin_file") && e.contains("empty"),
            "{e}"
        );
        assert!(read_secret("pin_file", &dir.path().join("missing")).is_err());
    }
}
