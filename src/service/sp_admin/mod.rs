//! Administration of connected e-services (SP metadata + policy files), for the operator pages and
//! the `pass-idp sp …` commands. Files stay the source of truth; every saved version is kept.
//!
//! Order of a change, so that no change can reach the live files unaudited:
//! 1. validate (a refused change touches nothing);
//! 2. claim history version n (`<n>.xml` / `<n>.policy.toml`, not yet listed);
//! 3. write the audit row (database) — if this fails the claim is dropped and nothing is live;
//! 4. complete the version (`<n>.json`), then replace the live policy and metadata atomically.
//!
//! A crash after 3 leaves an audit row for a change that may not be live; [`consistency_problems`]
//! (run at start-up) reports live files that differ from their newest recorded version.
mod files;
mod list;

pub use files::{safe_name, VersionInfo};
pub use list::{list, CertInfo, SkippedFile, SpList, SpSummary};

use super::SpAdmin;
use crate::audit::{AuditEvent, AuditKind};
use crate::saml::metadata_check::{check_metadata, CheckContext, CheckReport, Finding, Severity};
use crate::saml::registry::{LoadRules, SpRegistry};
use crate::storage::StorageError;
use chrono::{DateTime, Utc};
use files::VersionFiles;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SpAdminError {
    #[error("change refused: {}", describe(.0))]
    Refused(Vec<Finding>),
    #[error("no e-service with entityID {0} in the metadata folder")]
    NotFound(String),
    #[error("{file} describes several e-services; edit it by hand or split it into one file per e-service")]
    SharedFile { file: String },
    #[error("no saved version {0}")]
    NoSuchVersion(u32),
    #[error("metadata folder: {0}")]
    Io(String),
    #[error("audit: {0}")]
    Storage(#[from] StorageError),
}

fn describe(f: &[Finding]) -> String {
    f.iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{}: {}", f.code, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Which e-service a change is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpTarget {
    /// A new file; the entityID must not exist yet.
    New,
    /// Replace the file of this entityID (the new metadata must keep the entityID).
    Existing(String),
}

/// What an operator sees before saving.
#[derive(Debug, Clone, Serialize)]
pub struct ChangePreview {
    /// Live file name the change goes to (`<stem>.xml`).
    pub file: String,
    pub is_new: bool,
    pub entity_id: Option<String>,
    /// True when the change can be saved (no error findings).
    pub ok: bool,
    pub findings: Vec<Finding>,
    /// Unified diffs (current → new); empty when that file does not change.
    pub metadata_diff: String,
    pub policy_diff: String,
}

/// A saved change: the new version and the warnings it was saved with.
#[derive(Debug, Clone, Serialize)]
pub struct SavedChange {
    pub version: VersionInfo,
    pub warnings: Vec<Finding>,
}

/// The resolved target of a change: the live file and what it holds now.
struct Current {
    xml_path: PathBuf,
    entity_id: Option<String>,
    xml: Option<String>,
    policy: Option<String>,
    taken: BTreeSet<String>,
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

fn resolve(
    dir: &Path,
    target: &SpTarget,
    new_entity: Option<&str>,
) -> Result<Current, SpAdminError> {
    // Every file that parses, served or not: a skipped file is repaired in place, and its
    // entityID stays taken.
    let reg = SpRegistry::load_dir(dir, &LoadRules::ParseOnly);
    let (xml_path, entity_id) = match target {
        SpTarget::Existing(id) => {
            let sp = reg
                .get(id)
                .ok_or_else(|| SpAdminError::NotFound(id.clone()))?;
            if reg.all().filter(|o| o.file == sp.file).count() > 1 {
                return Err(SpAdminError::SharedFile {
                    file: file_name(&sp.file),
                });
            }
            (sp.file.clone(), Some(id.clone()))
        }
        SpTarget::New => {
            let stem = new_entity
                .map(safe_name)
                .unwrap_or_else(|| "e-service".into());
            let mut n = 1;
            let mut p = dir.join(format!("{stem}.xml"));
            while p.exists() || files::policy_path(&p).exists() {
                n += 1;
                p = dir.join(format!("{stem}-{n}.xml"));
            }
            (p, None)
        }
    };
    let taken = reg
        .all()
        .filter(|sp| sp.file != xml_path)
        .map(|sp| sp.metadata.entity_id.clone())
        .collect();
    Ok(Current {
        xml: files::read_opt(&xml_path)?,
        policy: files::read_opt(&files::policy_path(&xml_path))?,
        xml_path,
        entity_id,
        taken,
    })
}

fn first_entity(xml: &str) -> Option<String> {
    crate::saml::metadata::parse_sp_metadata(xml)
        .ok()
        .and_then(|v| v.into_iter().next().map(|m| m.entity_id))
}

fn diff(old: &str, new: &str, name: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{name} (current)"), &format!("{name} (new)"))
        .to_string()
}

impl SpAdmin {
    fn sp_check(
        &self,
        cur: &Current,
        xml: &str,
        policy: Option<&str>,
        now: DateTime<Utc>,
    ) -> CheckReport {
        let mut report = check_metadata(
            xml,
            policy,
            &CheckContext {
                now,
                dev_mode: self.cfg.dev_mode,
                taken_entity_ids: &cur.taken,
            },
        );
        if report.entities.len() > 1 {
            report.findings.push(Finding {
                severity: Severity::Error,
                code: "several-entities",
                message: format!(
                    "the metadata describes {} e-services; upload one EntityDescriptor per e-service",
                    report.entities.len()
                ),
            });
        }
        if let (Some(want), Some(got)) = (&cur.entity_id, report.entities.first()) {
            if &got.entity_id != want {
                report.findings.push(Finding {
                    severity: Severity::Error,
                    code: "entity-id-changed",
                    message: format!(
                        "the new metadata has entityID {} but the e-service being edited is {want}; add it as a new e-service instead",
                        got.entity_id
                    ),
                });
            }
        }
        report
    }
}

/// Validation report and diffs for a proposed change. Touches nothing.
/// `policy_toml`: None keeps the current policy file.
impl SpAdmin {
    /// [`preview_change`] at the Clock's time.
    pub fn sp_preview_change(
        &self,
        target: &SpTarget,
        metadata_xml: &str,
        policy_toml: Option<&str>,
    ) -> Result<ChangePreview, SpAdminError> {
        preview_change(self, target, metadata_xml, policy_toml, self.clock.now())
    }
}

pub fn preview_change(
    svc: &SpAdmin,
    target: &SpTarget,
    metadata_xml: &str,
    policy_toml: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ChangePreview, SpAdminError> {
    let cur = resolve(
        &svc.cfg.metadata_dir,
        target,
        first_entity(metadata_xml).as_deref(),
    )?;
    let report = svc.sp_check(&cur, metadata_xml, policy_toml, now);
    let name = file_name(&cur.xml_path);
    let old_policy = cur.policy.clone().unwrap_or_default();
    Ok(ChangePreview {
        is_new: cur.xml.is_none(),
        entity_id: report.entities.first().map(|e| e.entity_id.clone()),
        ok: report.is_ok(),
        metadata_diff: diff(cur.xml.as_deref().unwrap_or(""), metadata_xml, &name),
        policy_diff: policy_toml
            .map(|p| {
                diff(
                    &old_policy,
                    p,
                    &file_name(&files::policy_path(&cur.xml_path)),
                )
            })
            .unwrap_or_default(),
        findings: report.findings,
        file: name,
    })
}

/// Validates again and saves (see the module comment for the order). `policy_toml`: None keeps
/// the current policy file. A refused change leaves every file byte-for-byte as it was.
pub async fn save_change(
    svc: &SpAdmin,
    target: &SpTarget,
    metadata_xml: &str,
    policy_toml: Option<&str>,
    who: &str,
    why: &str,
) -> Result<SavedChange, SpAdminError> {
    let cur = resolve(
        &svc.cfg.metadata_dir,
        target,
        first_entity(metadata_xml).as_deref(),
    )?;
    let report = svc.sp_check(&cur, metadata_xml, policy_toml, svc.clock.now());
    if !report.is_ok() {
        return Err(SpAdminError::Refused(report.findings));
    }
    let entity_id = report
        .entities
        .first()
        .map(|e| e.entity_id.clone())
        .ok_or_else(|| SpAdminError::Refused(report.findings.clone()))?;
    let policy = policy_toml.map(str::to_string).or(cur.policy.clone());
    let new = VersionFiles {
        xml: metadata_xml.to_string(),
        policy,
    };
    let kind = if cur.xml.is_some() { "save" } else { "add" };
    let version = commit(
        svc,
        &cur,
        &entity_id,
        &new,
        who,
        why,
        kind,
        AuditKind::SpSaved,
    )
    .await?;
    Ok(SavedChange {
        version,
        warnings: report.findings,
    })
}

#[allow(clippy::too_many_arguments)]
async fn commit(
    svc: &SpAdmin,
    cur: &Current,
    entity_id: &str,
    new: &VersionFiles,
    who: &str,
    why: &str,
    action: &str,
    kind: AuditKind,
) -> Result<VersionInfo, SpAdminError> {
    let hdir = files::history_dir(&svc.cfg.metadata_dir, entity_id);
    let now = svc.clock.now();
    let file = file_name(&cur.xml_path);
    let info_for =
        |version: u32, f: &VersionFiles, who: &str, why: &str, action: &str| VersionInfo {
            version,
            entity_id: entity_id.to_string(),
            file: file.clone(),
            has_policy: f.policy.is_some(),
            who: who.to_string(),
            at: now,
            why: why.to_string(),
            action: action.to_string(),
            metadata_sha256: files::sha256_hex(f.xml.as_bytes()),
            policy_sha256: f.policy.as_ref().map(|p| files::sha256_hex(p.as_bytes())),
        };
    // The files as found before the first recorded change become version 1 ("baseline").
    if let Some(xml) = &cur.xml {
        if files::list_versions(&hdir)?.is_empty() {
            let base = VersionFiles {
                xml: xml.clone(),
                policy: cur.policy.clone(),
            };
            let n = files::claim_version(&hdir, &base)?;
            let info = info_for(
                n,
                &base,
                "(before recorded history)",
                "files as found",
                "baseline",
            );
            files::complete_version(&hdir, &info, &svc.rng.token())?;
        }
    }
    let n = files::claim_version(&hdir, new)?;
    let info = info_for(n, new, who, why, action);
    let ev = AuditEvent::new(kind)
        .actor(who)
        .sp(entity_id)
        .detail(json!({
            "version": n,
            "action": action,
            "why": why,
            "file": file,
            "metadata_sha256": info.metadata_sha256,
            "policy_sha256": info.policy_sha256,
        }));
    if let Err(e) = svc.store.audit(&ev, now.timestamp_millis()).await {
        files::abandon_version(&hdir, n);
        return Err(e.into());
    }
    files::complete_version(&hdir, &info, &svc.rng.token())?;
    let ppath = files::policy_path(&cur.xml_path);
    match &new.policy {
        Some(p) if cur.policy.as_deref() != Some(p.as_str()) => {
            files::write_atomic(&ppath, p.as_bytes(), &svc.rng.token())?
        }
        Some(_) => {}
        None => files::remove_if_exists(&ppath)?,
    }
    if cur.xml.as_deref() != Some(new.xml.as_str()) {
        files::write_atomic(&cur.xml_path, new.xml.as_bytes(), &svc.rng.token())?;
    }
    let reg = svc.registry.reload();
    tracing::info!(
        entity_id,
        version = n,
        action,
        who,
        sps = reg.len(),
        "e-service saved"
    );
    Ok(info)
}

/// The live metadata and policy text of an e-service (for editing).
pub fn current_files(
    svc: &SpAdmin,
    entity_id: &str,
) -> Result<(String, Option<String>), SpAdminError> {
    let cur = resolve(
        &svc.cfg.metadata_dir,
        &SpTarget::Existing(entity_id.to_string()),
        None,
    )?;
    let xml = cur
        .xml
        .ok_or_else(|| SpAdminError::NotFound(entity_id.to_string()))?;
    Ok((xml, cur.policy))
}

/// Saved versions of an e-service, oldest first.
pub fn history(svc: &SpAdmin, entity_id: &str) -> Result<Vec<VersionInfo>, SpAdminError> {
    files::list_versions(&files::history_dir(&svc.cfg.metadata_dir, entity_id))
}

/// Makes version `version` current again (validated like a new change; recorded as a new version).
pub async fn restore(
    svc: &SpAdmin,
    entity_id: &str,
    version: u32,
    who: &str,
    why: &str,
) -> Result<SavedChange, SpAdminError> {
    let hdir = files::history_dir(&svc.cfg.metadata_dir, entity_id);
    let (old, content) = files::read_version(&hdir, version)?;
    if old.entity_id != entity_id {
        return Err(SpAdminError::NoSuchVersion(version));
    }
    let target = SpTarget::Existing(entity_id.to_string());
    let cur = match resolve(&svc.cfg.metadata_dir, &target, None) {
        Ok(c) => c,
        // The live file was removed by hand: restore to the file name the version used.
        Err(SpAdminError::NotFound(_)) => {
            let mut c = resolve(&svc.cfg.metadata_dir, &SpTarget::New, Some(entity_id))?;
            c.xml_path = svc.cfg.metadata_dir.join(&old.file);
            c.entity_id = Some(entity_id.to_string());
            c
        }
        Err(e) => return Err(e),
    };
    let report = svc.sp_check(
        &cur,
        &content.xml,
        content.policy.as_deref(),
        svc.clock.now(),
    );
    if !report.is_ok() {
        return Err(SpAdminError::Refused(report.findings));
    }
    let why = format!("restore of version {version}: {why}");
    let version = commit(
        svc,
        &cur,
        entity_id,
        &content,
        who,
        &why,
        "restore",
        AuditKind::SpRestored,
    )
    .await?;
    Ok(SavedChange {
        version,
        warnings: report.findings,
    })
}

/// Sets `enabled` in the policy file (created if missing), keeping its other lines as they are.
/// Disabling never depends on the metadata still being valid (e.g. an expired certificate).
pub async fn set_enabled(
    svc: &SpAdmin,
    entity_id: &str,
    enabled: bool,
    who: &str,
    why: &str,
) -> Result<SavedChange, SpAdminError> {
    let target = SpTarget::Existing(entity_id.to_string());
    let cur = resolve(&svc.cfg.metadata_dir, &target, None)?;
    let xml = cur
        .xml
        .clone()
        .ok_or_else(|| SpAdminError::NotFound(entity_id.to_string()))?;
    let policy = set_enabled_line(cur.policy.as_deref().unwrap_or(""), enabled);
    let findings = if enabled {
        let report = svc.sp_check(&cur, &xml, Some(&policy), svc.clock.now());
        if !report.is_ok() {
            return Err(SpAdminError::Refused(report.findings));
        }
        report.findings
    } else {
        Vec::new()
    };
    let (action, kind) = if enabled {
        ("enable", AuditKind::SpEnabled)
    } else {
        ("disable", AuditKind::SpDisabled)
    };
    let new = VersionFiles {
        xml,
        policy: Some(policy),
    };
    let version = commit(svc, &cur, entity_id, &new, who, why, action, kind).await?;
    Ok(SavedChange {
        version,
        warnings: findings,
    })
}

fn set_enabled_line(text: &str, enabled: bool) -> String {
    let line = format!("enabled = {enabled}");
    let mut found = false;
    let mut out: Vec<String> = text
        .lines()
        .map(|l| {
            let t = l.trim_start();
            let is_key = t
                .strip_prefix("enabled")
                .is_some_and(|rest| rest.trim_start().starts_with('='));
            if is_key && !found {
                found = true;
                line.clone()
            } else {
                l.to_string()
            }
        })
        .collect();
    if !found {
        out.insert(0, line);
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// Live files that differ from the newest recorded version of their e-service (a change
/// interrupted by a crash, or a hand edit). Reported at start-up; fixed by saving or restoring.
pub fn consistency_problems(dir: &Path) -> Vec<String> {
    let reg = SpRegistry::load_dir(dir, &LoadRules::ParseOnly);
    let mut out = Vec::new();
    for sp in reg.all() {
        let id = &sp.metadata.entity_id;
        let Ok(versions) = files::list_versions(&files::history_dir(dir, id)) else {
            continue;
        };
        let Some(last) = versions.last() else {
            continue;
        };
        let xml = files::read_opt(&sp.file).ok().flatten().unwrap_or_default();
        let policy = files::read_opt(&files::policy_path(&sp.file))
            .ok()
            .flatten();
        if files::sha256_hex(xml.as_bytes()) != last.metadata_sha256
            || policy.map(|p| files::sha256_hex(p.as_bytes())) != last.policy_sha256
        {
            out.push(format!(
                "{id}: {} differs from its newest recorded version {} ({} by {})",
                sp.file.display(),
                last.version,
                last.at,
                last.who
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::set_enabled_line;

    #[test]
    fn enabled_line_is_replaced_or_added() {
        assert_eq!(set_enabled_line("", false), "enabled = false\n");
        assert_eq!(
            set_enabled_line(
                "# c\nenabled = true\nrequired_level = \"password\"\n",
                false
            ),
            "# c\nenabled = false\nrequired_level = \"password\"\n"
        );
        assert_eq!(
            set_enabled_line("required_level = \"password\"", true),
            "enabled = true\nrequired_level = \"password\"\n"
        );
        assert_eq!(
            set_enabled_line("enabled_x = 1\n", true),
            "enabled = true\nenabled_x = 1\n"
        );
    }
}
