//! The operator's list of e-services.
use super::files::{self, VersionInfo};
use super::SpAdminError;
use crate::saml::metadata_check::serve::ServeRules;
use crate::saml::metadata_check::{cert_status, CertStatus};
use crate::saml::registry::{LoadRules, SpRegistry};
use crate::service::SpAdmin;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    pub not_after: DateTime<Utc>,
    pub status: CertStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpSummary {
    pub entity_id: String,
    pub name_sl: String,
    pub name_en: String,
    /// Live metadata file name.
    pub file: String,
    pub acs: Vec<String>,
    pub certificates: Vec<CertInfo>,
    /// Worst status of all certificates (Ok when there are none).
    pub cert_status: CertStatus,
    pub enabled: bool,
    /// e.g. "smspass; attributes: given_name, family_name; sign: assertion".
    pub policy_summary: String,
    pub last_change: Option<VersionInfo>,
}

/// A file of the folder that could not be loaded, and why.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedFile {
    pub file: String,
    pub problem: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpList {
    pub services: Vec<SpSummary>,
    pub skipped: Vec<SkippedFile>,
}

fn worst(a: CertStatus, b: CertStatus) -> CertStatus {
    let rank = |s| match s {
        CertStatus::Ok => 0,
        CertStatus::ExpiresSoon => 1,
        CertStatus::Expired => 2,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Every e-service in the metadata folder (local files) that is served, ordered by entityID, plus
/// the files that are not (cannot be loaded, or fail the checks), with the reason.
impl SpAdmin {
    /// The operator's list of e-services, judged at the Clock's time.
    pub fn sp_list(&self) -> Result<SpList, SpAdminError> {
        list(self, self.clock.now())
    }
}

pub fn list(svc: &SpAdmin, now: DateTime<Utc>) -> Result<SpList, SpAdminError> {
    let dir = &svc.cfg.metadata_dir;
    let rules = LoadRules::Serve(ServeRules {
        now,
        dev_mode: svc.cfg.dev_mode,
    });
    let reg = SpRegistry::load_dir(dir, &rules);
    let mut out = Vec::new();
    for sp in reg.all() {
        let m = &sp.metadata;
        let certificates: Vec<CertInfo> = m
            .cert_expiries()
            .into_iter()
            .map(|not_after| CertInfo {
                not_after,
                status: cert_status(not_after, now),
            })
            .collect();
        let p = &sp.policy;
        let mut sign = Vec::new();
        if p.sign_response {
            sign.push("response");
        }
        if p.sign_assertion {
            sign.push("assertion");
        }
        let history = files::list_versions(&files::history_dir(dir, &m.entity_id))?;
        out.push(SpSummary {
            entity_id: m.entity_id.clone(),
            name_sl: sp.display_name("sl"),
            name_en: sp.display_name("en"),
            file: sp
                .file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            acs: m.acs.iter().map(|a| a.location.clone()).collect(),
            cert_status: certificates
                .iter()
                .fold(CertStatus::Ok, |acc, c| worst(acc, c.status)),
            certificates,
            enabled: p.enabled,
            policy_summary: format!(
                "{}; attributes: {}; sign: {}",
                p.required_level.name(),
                p.attribute_names().join(", "),
                sign.join("+")
            ),
            last_change: history.last().cloned(),
        });
    }
    let skipped = reg
        .problems
        .iter()
        .map(|p| SkippedFile {
            file: p.file.display().to_string(),
            problem: p.problem.clone(),
        })
        .collect();
    Ok(SpList {
        services: out,
        skipped,
    })
}
