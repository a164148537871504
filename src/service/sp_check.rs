//! `pass-idp sp check FILE` and `sp list`: what the IdP will use from a metadata file.
use crate::saml::registry::{load_file, SpRegistry};
use std::path::Path;

pub fn check_file(file: &Path) -> Result<(), String> {
    let sps = load_file(file).map_err(|e| format!("{}: {e}", file.display()))?;
    for sp in sps {
        let m = &sp.metadata;
        println!("entityID:            {}", m.entity_id);
        println!(
            "display name:        {} / {}",
            sp.display_name("sl"),
            sp.display_name("en")
        );
        for a in &m.acs {
            println!(
                "ACS:                 {} ({:?}, index {}, default {})",
                a.location,
                a.binding,
                a.index.map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
                a.is_default
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into())
            );
        }
        println!("signing certs:       {}", m.signing_certs.len());
        for exp in m.cert_expiries() {
            println!("  certificate valid until {exp}");
        }
        println!("AuthnRequestsSigned: {}", m.authn_requests_signed);
        println!(
            "NameID formats:      {}",
            if m.name_id_formats.is_empty() {
                "-".into()
            } else {
                m.name_id_formats.join(", ")
            }
        );
        let p = &sp.policy;
        println!("policy:              enabled={} level={} attributes=[{}] sign_assertion={} sign_response={}",
            p.enabled, p.required_level, p.attributes.join(", "), p.sign_assertion, p.sign_response);
        println!();
    }
    println!("OK");
    Ok(())
}

pub fn list(dir: &Path) {
    let reg = SpRegistry::load_dir(dir);
    for sp in reg.all() {
        println!(
            "{}\t{}\t{}",
            sp.metadata.entity_id,
            sp.display_name("sl"),
            sp.file.display()
        );
    }
    for p in &reg.problems {
        println!("SKIPPED {}: {}", p.file.display(), p.problem);
    }
}
