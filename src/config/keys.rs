//! `[[saml.signing_keys]]`: the key ring. When present it replaces `signing_key`/`signing_cert`
//! (which otherwise stay one active PEM key). Exactly one key is `active`, at most one is `next`,
//! ids are unique, and each key is in a PEM file (`pem_key`) or on a PKCS#11 token (`pkcs11`),
//! never both. The files themselves are read at start (`bootstrap`).
use super::ConfigError;
use crate::keys::Algorithm;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[saml]`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SamlConfig {
    /// The key ring (`[[saml.signing_keys]]`); empty: `signing_key`/`signing_cert`.
    pub signing_keys: Vec<SigningKeyConfig>,
}

/// One `[[saml.signing_keys]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKeyConfig {
    pub id: String,
    /// `active` (signs) or `next` (published only).
    #[serde(rename = "use")]
    pub key_use: String,
    /// PEM private key file (or `pkcs11`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pem_key: Option<PathBuf>,
    /// The certificate is always a PEM file.
    pub pem_cert: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkcs11: Option<Pkcs11KeyConfig>,
    /// `rsa-sha256` (default for RSA), `rsa-pss-sha256` (RSA) or `ecdsa-sha256` (EC P-256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
}

/// `pkcs11 = { module = …, token_label = …, key_label = …, pin_file = … }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pkcs11KeyConfig {
    pub module: PathBuf,
    pub token_label: String,
    pub key_label: String,
    /// File holding the user PIN (one trailing newline is ignored).
    pub pin_file: PathBuf,
    /// Sessions opened at most at once.
    #[serde(default = "default_max_sessions")]
    pub max_sessions: usize,
}

fn default_max_sessions() -> usize {
    4
}

impl SigningKeyConfig {
    pub fn is_active(&self) -> bool {
        self.key_use == "active"
    }
}

fn at(i: usize, field: &str, why: impl Into<String>) -> ConfigError {
    ConfigError::InvalidAt {
        key: if field.is_empty() {
            format!("saml.signing_keys[{i}]")
        } else {
            format!("saml.signing_keys[{i}].{field}")
        },
        why: why.into(),
    }
}

/// Checks the entries; the offending one is named by its index (from 0) and field.
pub(super) fn validate(keys: &[SigningKeyConfig]) -> Result<(), ConfigError> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut active: Option<usize> = None;
    let mut next: Option<usize> = None;
    for (i, k) in keys.iter().enumerate() {
        if k.id.is_empty()
            || k.id.len() > 64
            || !k
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(at(i, "id", "must be 1-64 letters, digits, '-', '_' or '.'"));
        }
        if let Some(j) = keys[..i].iter().position(|o| o.id == k.id) {
            return Err(at(
                i,
                "id",
                format!("\"{}\" is the id of saml.signing_keys[{j}] already", k.id),
            ));
        }
        let slot = match k.key_use.as_str() {
            "active" => &mut active,
            "next" => &mut next,
            other => {
                return Err(at(
                    i,
                    "use",
                    format!("\"{other}\" is neither \"active\" nor \"next\""),
                ))
            }
        };
        if let Some(j) = *slot {
            return Err(at(
                i,
                "use",
                format!(
                    "saml.signing_keys[{j}] (\"{}\") is {} already; there is one {} key at most",
                    keys[j].id, k.key_use, k.key_use
                ),
            ));
        }
        *slot = Some(i);
        match (&k.pem_key, &k.pkcs11) {
            (Some(_), Some(_)) => {
                return Err(at(
                    i,
                    "",
                    format!(
                        "key \"{}\" has both pem_key and pkcs11; a key is in a file or on a token, not both",
                        k.id
                    ),
                ))
            }
            (None, None) => {
                return Err(at(
                    i,
                    "",
                    format!("key \"{}\" needs pem_key or pkcs11", k.id),
                ))
            }
            (Some(_), None) => {}
            (None, Some(p)) => {
                for (field, empty) in [
                    ("pkcs11.module", p.module.as_os_str().is_empty()),
                    ("pkcs11.token_label", p.token_label.is_empty()),
                    ("pkcs11.key_label", p.key_label.is_empty()),
                    ("pkcs11.pin_file", p.pin_file.as_os_str().is_empty()),
                ] {
                    if empty {
                        return Err(at(i, field, "must not be empty"));
                    }
                }
                if p.token_label.len() > 32 {
                    return Err(at(
                        i,
                        "pkcs11.token_label",
                        "a PKCS#11 token label has at most 32 octets",
                    ));
                }
                if !(1..=64).contains(&p.max_sessions) {
                    return Err(at(i, "pkcs11.max_sessions", "must be 1-64"));
                }
            }
        }
        if k.pem_cert.as_os_str().is_empty() {
            return Err(at(i, "pem_cert", "must not be empty"));
        }
        if let Some(a) = &k.algorithm {
            if Algorithm::from_name(a).is_none() {
                let names: Vec<_> = Algorithm::ALL.iter().map(|a| a.name()).collect();
                return Err(at(
                    i,
                    "algorithm",
                    format!("\"{a}\" is not one of {}", names.join(", ")),
                ));
            }
        }
    }
    if active.is_none() {
        return Err(ConfigError::InvalidAt {
            key: "saml.signing_keys".into(),
            why: "no key has use = \"active\"; exactly one key must be active".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn pem(id: &str, key_use: &str) -> SigningKeyConfig {
        SigningKeyConfig {
            id: id.into(),
            key_use: key_use.into(),
            pem_key: Some("k.pem".into()),
            pem_cert: "c.pem".into(),
            pkcs11: None,
            algorithm: None,
        }
    }

    fn hsm(id: &str, key_use: &str) -> SigningKeyConfig {
        SigningKeyConfig {
            pem_key: None,
            pkcs11: Some(Pkcs11KeyConfig {
                module: "/usr/lib/softhsm/libsofthsm2.so".into(),
                token_label: "idp".into(),
                key_label: "saml".into(),
                pin_file: "keys/pin".into(),
                max_sessions: 4,
            }),
            ..pem(id, key_use)
        }
    }

    fn err(keys: &[SigningKeyConfig]) -> String {
        validate(keys)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn a_good_ring_passes() {
        assert!(validate(&[]).is_ok());
        assert!(validate(&[pem("2026", "active"), hsm("hsm", "next")]).is_ok());
        assert!(validate(&[hsm("hsm", "active")]).is_ok());
    }

    #[test]
    fn each_mistake_names_the_entry() {
        let e = err(&[pem("a", "active"), pem("b", "active")]);
        assert!(e.contains("`saml.signing_keys[1].use`"), "{e}");
        assert!(
            e.contains("saml.signing_keys[0] (\"a\") is active already"),
            "{e}"
        );
        let e = err(&[pem("a", "active"), pem("b", "next"), pem("c", "next")]);
        assert!(e.contains("`saml.signing_keys[2].use`"), "{e}");
        let e = err(&[pem("a", "next")]);
        assert!(
            e.contains("`saml.signing_keys`") && e.contains("active"),
            "{e}"
        );
        let e = err(&[pem("a", "active"), pem("a", "next")]);
        assert!(e.contains("`saml.signing_keys[1].id`"), "{e}");
        let e = err(&[pem("a", "standby")]);
        assert!(e.contains("`saml.signing_keys[0].use`"), "{e}");
        let mut both = hsm("h", "active");
        both.pem_key = Some("k.pem".into());
        let e = err(&[both]);
        assert!(
            e.contains("`saml.signing_keys[0]`") && e.contains("not both"),
            "{e}"
        );
        let mut neither = pem("n", "active");
        neither.pem_key = None;
        assert!(err(&[neither]).contains("needs pem_key or pkcs11"));
        let mut bad_alg = pem("a", "active");
        bad_alg.algorithm = Some("rsa-sha1".into());
        assert!(err(&[bad_alg]).contains("`saml.signing_keys[0].algorithm`"));
        let mut no_label = hsm("h", "active");
        if let Some(p) = no_label.pkcs11.as_mut() {
            p.token_label.clear();
        }
        assert!(err(&[no_label]).contains("`saml.signing_keys[0].pkcs11.token_label`"));
        assert!(err(&[pem("", "active")]).contains("`saml.signing_keys[0].id`"));
    }

    #[test]
    fn the_issue_example_parses() {
        let toml = r#"
[[saml.signing_keys]]
id = "2026"
use = "active"
pem_key = "keys/idp-2026.key"
pem_cert = "keys/idp-2026.crt"

[[saml.signing_keys]]
id = "hsm"
use = "next"
pem_cert = "keys/idp-hsm.crt"
pkcs11 = { module = "/usr/lib/softhsm/libsofthsm2.so", token_label = "idp", key_label = "saml", pin_file = "keys/pin" }
"#;
        #[derive(Deserialize)]
        struct Top {
            saml: SamlConfig,
        }
        let t: Top = toml::from_str(toml).unwrap();
        let k = &t.saml.signing_keys;
        assert_eq!(k.len(), 2);
        assert!(k[0].is_active() && !k[1].is_active());
        assert_eq!(k[1].pkcs11.as_ref().unwrap().max_sessions, 4);
        assert!(validate(k).is_ok());
    }
}
