//! `pass-idp sp check FILE` and `sp list`: what the IdP will use from a metadata file, and what it
//! serves — with the same checks as the operator pages and the registry.
use crate::clock::SharedClock;
use crate::config::Config;
use crate::saml::metadata_check::{check_metadata, CheckContext, Severity};
use crate::saml::registry::{load_file, LoadRules, SharedRegistry, SpRegistry};
use crate::service::remote_metadata::{verify_cache, RemoteSource};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;
use std::path::Path;

/// Checks `file` (and the policy file beside it) as the operator pages would, prints every finding
/// and, when there is no error, what the IdP will use from it.
pub fn check_file(file: &Path, cfg: &Config, now: DateTime<Utc>) -> Result<(), String> {
    let name = file.display();
    let xml = std::fs::read_to_string(file).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let policy_path = file.with_file_name(format!(
        "{}.policy.toml",
        file.file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default()
    ));
    let policy = match std::fs::read_to_string(&policy_path) {
        Ok(p) => Some(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("{}: cannot read: {e}", policy_path.display())),
    };
    // entityIDs of the other files of the metadata folder (this one, if it is there, left out).
    let this = file.canonicalize().ok();
    let taken: BTreeSet<String> = SpRegistry::load_dir(&cfg.metadata_dir, &LoadRules::ParseOnly)
        .all()
        .filter(|sp| sp.file.canonicalize().ok() != this)
        .map(|sp| sp.metadata.entity_id.clone())
        .collect();
    let report = check_metadata(
        &xml,
        policy.as_deref(),
        &CheckContext {
            now,
            dev_mode: cfg.dev_mode,
            taken_entity_ids: &taken,
        },
    );
    for f in &report.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        println!("{level} {}: {}", f.code, f.message);
    }
    if !report.is_ok() {
        return Err(format!(
            "{name} is refused{}: {}",
            if cfg.dev_mode {
                ""
            } else {
                " (outside dev mode)"
            },
            report.error_text()
        ));
    }
    let sps = load_file(file, &LoadRules::ParseOnly).map_err(|e| format!("{name}: {e}"))?;
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
            p.enabled, p.required_level.name(), p.attribute_names().join(", "), p.sign_assertion, p.sign_response);
        println!();
    }
    println!("OK");
    Ok(())
}

/// What the IdP would serve now: the metadata folder and the cached copies of the remote
/// aggregates, through the same checks as the running registry; every skipped file or entry is
/// printed with the reason.
pub fn list(cfg: &Config, clock: SharedClock) {
    let reg = SharedRegistry::load(&cfg.metadata_dir, cfg.dev_mode, clock);
    for (slot, rm) in cfg.remote_metadata.iter().cloned().enumerate() {
        let url = rm.url.clone();
        let cache = rm.cache_file.display().to_string();
        let src = match RemoteSource::new(slot, rm) {
            Ok(s) => s,
            Err(e) => {
                println!("SKIPPED {url}: {e}");
                continue;
            }
        };
        match verify_cache(&src, &reg.serve_rules()) {
            Ok(Some(v)) => {
                reg.install_remote(slot, src.remote_set(v));
            }
            Ok(None) => println!("NOT LOADED {url}: no cached copy in {cache} yet"),
            Err(e) => println!("SKIPPED {url} (cache {cache}): {e}"),
        }
    }
    let snap = reg.snapshot();
    for sp in snap.all() {
        println!(
            "{}\t{}\t{}",
            sp.metadata.entity_id,
            sp.display_name("sl"),
            sp.remote_source
                .clone()
                .unwrap_or_else(|| sp.file.display().to_string())
        );
    }
    for p in &snap.problems {
        println!("SKIPPED {}: {}", p.file.display(), p.problem);
    }
}
