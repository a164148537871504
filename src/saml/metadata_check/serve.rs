//! The operator-page checks, applied to metadata the IdP is about to serve: files in the metadata
//! folder (placed by hand or by the pages) and the signed content of remote aggregates.
//!
//! Guarantees (negative tests in `metadata_check/tests.rs` and `tests/startup_edge.rs`):
//! - a folder file is served only when [`check_metadata`] finds no error in it (with its policy),
//!   exactly as the pages would have saved it — otherwise the whole file is skipped with the reason;
//! - an aggregate's signed content must be valid against the metadata schema (else the aggregate is
//!   refused and the copy in force stays); each entry is then checked alone (ACS https outside dev
//!   mode, certificates, development keys, validUntil, algorithms) and a failing entry is skipped
//!   with the reason while the others are served;
//! - an entityID that appears twice in one aggregate is skipped in both places.
use super::{check_algorithms, check_entity, check_metadata, visit, CheckContext, CheckReport};
use crate::saml::metadata::SpMetadata;
use crate::saml::xmlguard::tree::Element;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// When and how metadata is being accepted for serving.
#[derive(Debug, Clone, Copy)]
pub struct ServeRules {
    pub now: DateTime<Utc>,
    pub dev_mode: bool,
}

impl ServeRules {
    fn context<'a>(&self, taken: &'a BTreeSet<String>) -> CheckContext<'a> {
        CheckContext {
            now: self.now,
            dev_mode: self.dev_mode,
            taken_entity_ids: taken,
        }
    }
}

/// A folder file: Ok when it may be served, else the errors (entityID clashes between files are
/// the registry's to judge, so none is taken here).
pub fn check_file(xml: &str, policy_toml: Option<&str>, rules: &ServeRules) -> Result<(), String> {
    let none = BTreeSet::new();
    let report = check_metadata(xml, policy_toml, &rules.context(&none));
    if report.is_ok() {
        Ok(())
    } else {
        Err(report.error_text())
    }
}

/// An aggregate entry that is not served, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntity {
    pub entity_id: String,
    pub problem: String,
}

/// What of an aggregate may be served.
#[derive(Debug, Clone, Default)]
pub struct AggregateVerdict {
    pub accepted: Vec<SpMetadata>,
    pub skipped: Vec<SkippedEntity>,
}

/// Checks the signed content of an aggregate (`signed_xml`, parsed as `root`, whose e-services are
/// `sps`). Err: the document itself is unacceptable (schema).
pub(crate) fn check_aggregate(
    signed_xml: &str,
    root: &Element,
    sps: Vec<SpMetadata>,
    rules: &ServeRules,
) -> Result<AggregateVerdict, String> {
    let errors = super::schema::validate(signed_xml)?;
    if !errors.is_empty() {
        let shown: Vec<String> = errors.into_iter().take(5).collect();
        return Err(format!(
            "not valid against the SAML metadata schema: {}",
            shown.join("; ")
        ));
    }
    // Algorithm lists, per EntityDescriptor.
    let mut per_entity: BTreeMap<String, Vec<String>> = BTreeMap::new();
    visit(root, &mut |el| {
        if el.is(MD, "EntityDescriptor") {
            let mut r = CheckReport::default();
            check_algorithms(el, &mut r);
            if !r.is_ok() {
                per_entity
                    .entry(el.attr("entityID").unwrap_or("").to_string())
                    .or_default()
                    .push(r.error_text());
            }
        }
    });
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for sp in &sps {
        *count.entry(sp.entity_id.as_str()).or_default() += 1;
    }
    let dup: BTreeSet<String> = count
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(id, _)| id.to_string())
        .collect();
    let none = BTreeSet::new();
    let ctx = rules.context(&none);
    let mut verdict = AggregateVerdict::default();
    for sp in sps {
        let mut r = CheckReport::default();
        check_entity(&sp, &ctx, &mut r);
        let mut problems = per_entity.get(&sp.entity_id).cloned().unwrap_or_default();
        if !r.is_ok() {
            problems.push(r.error_text());
        }
        if dup.contains(&sp.entity_id) {
            problems.push(format!(
                "duplicate-entity-id: entityID {} appears more than once in the aggregate",
                sp.entity_id
            ));
        }
        if problems.is_empty() {
            verdict.accepted.push(sp);
        } else {
            verdict.skipped.push(SkippedEntity {
                entity_id: sp.entity_id,
                problem: problems.join("; "),
            });
        }
    }
    Ok(verdict)
}
