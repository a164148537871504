//! Checks a candidate SP metadata file (and its policy) before an operator saves it.
//!
//! Guarantees (each has a negative test in `metadata_check/tests.rs` or `tests/sp_admin.rs`):
//! - the XML guard runs first (no DOCTYPE/ENTITY, no PI, size/depth caps); nothing else parses
//!   a document that fails it;
//! - the document must be valid against the OASIS SAML 2.0 metadata schema (plus MDUI and
//!   algorithm-support extensions), compiled from the copies in `saml/xsd/`, offline;
//! - every signing/digest algorithm the metadata names (alg:SigningMethod, alg:DigestMethod, and
//!   the methods of its own ds:Signature) must be SHA-256 or better; a ds:Signature with a weaker
//!   one refuses the file; alg: lists that name only weak ones refuse it, mixed lists warn;
//! - every certificate parses; an expired one is an error, one expiring in < 30 days a warning;
//! - ACS URLs must be https outside dev mode; entityIDs must not be taken by another file;
//! - outside dev mode no certificate may carry a published development key (`certs-dev/`);
//! - the policy TOML must parse and pass `ServicePolicy::validate`.
//!
//! The registry applies the same checks to every source before it serves an e-service
//! ([`serve`]): a folder file with an error is skipped whole, an aggregate entry alone.
//!
//! The report's messages name the problem; an operator page shows them as they are.

use super::metadata::{cert_not_after, parse_sp_metadata, SpMetadata, MAX_METADATA_BYTES};
use super::xmlguard::tree::{self, Element};
use super::xmlguard::GuardOptions;
use crate::domain::sp::ServicePolicy;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeSet;

mod schema;
pub mod serve;

const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const ALG: &str = "urn:oasis:names:tc:SAML:metadata:algsupport";

/// Algorithms accepted as "SHA-256 or better" (signature and digest URIs).
const STRONG: &[&str] = &[
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
    "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
    "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1",
    "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1",
    "http://www.w3.org/2009/xmldsig11#dsa-sha256",
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-256",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-384",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-512",
];

/// Certificates that expire sooner than this give a warning.
pub const CERT_WARN_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found. `code` is stable (for tests and translations), `message` names the problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub findings: Vec<Finding>,
    /// The e-services found in the metadata (empty if it could not be read).
    pub entities: Vec<SpMetadata>,
    /// The parsed policy (None when no policy text was given or it is invalid).
    pub policy: Option<ServicePolicy>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }
    /// All error messages joined, for a CLI or a log line.
    pub fn error_text(&self) -> String {
        self.errors()
            .map(|f| format!("{}: {}", f.code, f.message))
            .collect::<Vec<_>>()
            .join("; ")
    }
    fn error(&mut self, code: &'static str, message: impl Into<String>) {
        self.findings.push(Finding {
            severity: Severity::Error,
            code,
            message: message.into(),
        });
    }
    fn warning(&mut self, code: &'static str, message: impl Into<String>) {
        self.findings.push(Finding {
            severity: Severity::Warning,
            code,
            message: message.into(),
        });
    }
}

/// What the check needs to know besides the document.
#[derive(Debug, Clone)]
pub struct CheckContext<'a> {
    pub now: DateTime<Utc>,
    pub dev_mode: bool,
    /// entityIDs defined by OTHER files of the folder (the file being replaced is left out).
    pub taken_entity_ids: &'a BTreeSet<String>,
}

/// Expiry status of one certificate at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertStatus {
    Ok,
    ExpiresSoon,
    Expired,
}

pub fn cert_status(not_after: DateTime<Utc>, now: DateTime<Utc>) -> CertStatus {
    if not_after <= now {
        CertStatus::Expired
    } else if not_after - now < Duration::days(CERT_WARN_DAYS) {
        CertStatus::ExpiresSoon
    } else {
        CertStatus::Ok
    }
}

/// Checks metadata XML and the optional policy TOML. Never panics; every problem is a finding.
pub fn check_metadata(xml: &str, policy_toml: Option<&str>, ctx: &CheckContext<'_>) -> CheckReport {
    let mut report = CheckReport::default();
    check_policy(policy_toml, &mut report);
    let root = match tree::parse(xml, &GuardOptions::metadata(MAX_METADATA_BYTES)) {
        Ok(r) => r,
        Err(e) => {
            report.error("xml", format!("unsafe or malformed metadata XML: {e}"));
            return report;
        }
    };
    match schema::validate(xml) {
        Ok(errors) => {
            for e in errors.into_iter().take(10) {
                report.error(
                    "schema",
                    format!("not valid against the SAML metadata schema: {e}"),
                );
            }
        }
        Err(e) => report.error("schema", format!("schema validation could not run: {e}")),
    }
    check_algorithms(&root, &mut report);
    let entities = match parse_sp_metadata(xml) {
        Ok(v) => v,
        Err(e) => {
            report.error("metadata", e.to_string());
            return report;
        }
    };
    if entities.is_empty() {
        report.error(
            "no-sp",
            "the metadata has no SPSSODescriptor for SAML 2.0 (not an e-service)",
        );
    }
    let mut seen = BTreeSet::new();
    for sp in &entities {
        check_entity(sp, ctx, &mut report);
        if !seen.insert(sp.entity_id.clone()) {
            report.error(
                "duplicate-entity-id",
                format!("entityID {} appears twice in this metadata", sp.entity_id),
            );
        }
    }
    report.entities = entities;
    report
}

fn check_policy(policy_toml: Option<&str>, report: &mut CheckReport) {
    let Some(text) = policy_toml else { return };
    match ServicePolicy::from_toml(text) {
        Ok(p) => report.policy = Some(p),
        Err(e) => report.error("policy", format!("policy: {e}")),
    }
}

pub(crate) fn check_entity(sp: &SpMetadata, ctx: &CheckContext<'_>, report: &mut CheckReport) {
    let e = &sp.entity_id;
    if ctx.taken_entity_ids.contains(e) {
        report.error(
            "duplicate-entity-id",
            format!(
                "entityID {e} is already used by another e-service file in the metadata folder"
            ),
        );
    }
    for a in &sp.acs {
        let https = url::Url::parse(&a.location).is_ok_and(|u| u.scheme() == "https");
        if !https && !ctx.dev_mode {
            report.error(
                "acs-not-https",
                format!(
                    "{e}: AssertionConsumerService {} is not https (plain http is allowed only in dev mode)",
                    a.location
                ),
            );
        }
    }
    let certs = sp.signing_certs.iter().chain(sp.encryption_certs.iter());
    let mut seen: Vec<&Vec<u8>> = Vec::new();
    for der in certs {
        if seen.contains(&der) {
            continue;
        }
        seen.push(der);
        if let Some(why) = super::dev_keys::dev_cert_der(der).filter(|_| !ctx.dev_mode) {
            report.error(
                "dev-key",
                format!("{e}: a certificate is refused outside dev mode: {why}"),
            );
        }
        let Some(not_after) = cert_not_after(der) else {
            report.error(
                "cert-unreadable",
                format!("{e}: a certificate's validity cannot be read"),
            );
            continue;
        };
        match cert_status(not_after, ctx.now) {
            CertStatus::Expired => report.error(
                "cert-expired",
                format!(
                    "{e}: certificate expired on {}",
                    not_after.format("%Y-%m-%d %H:%M UTC")
                ),
            ),
            CertStatus::ExpiresSoon => report.warning(
                "cert-expires-soon",
                format!(
                    "{e}: certificate expires on {} (in less than {CERT_WARN_DAYS} days)",
                    not_after.format("%Y-%m-%d %H:%M UTC")
                ),
            ),
            CertStatus::Ok => {}
        }
    }
    if let Some(vu) = sp.valid_until {
        if vu <= ctx.now {
            report.error(
                "valid-until",
                format!("{e}: the metadata's validUntil {vu} has passed"),
            );
        }
    }
}

pub(crate) fn visit<'a>(el: &'a Element, f: &mut dyn FnMut(&'a Element)) {
    f(el);
    for c in el.elements() {
        visit(c, f);
    }
}

pub(crate) fn check_algorithms(root: &Element, report: &mut CheckReport) {
    // alg: lists in each Extensions element: only weak → error, mixed → warning.
    let mut lists: Vec<(&str, Vec<String>)> = Vec::new();
    visit(root, &mut |el| {
        for name in ["SigningMethod", "DigestMethod"] {
            let algs: Vec<String> = el
                .children_named(ALG, name)
                .filter_map(|m| m.attr("Algorithm").map(|a| a.trim().to_string()))
                .collect();
            if !algs.is_empty() {
                lists.push((name, algs));
            }
        }
    });
    for (name, algs) in lists {
        let weak: Vec<&String> = algs
            .iter()
            .filter(|a| !STRONG.contains(&a.as_str()))
            .collect();
        if weak.len() == algs.len() {
            report.error(
                "weak-algorithm",
                format!(
                    "alg:{name} lists only algorithms weaker than SHA-256 ({}); the IdP uses SHA-256 or better only",
                    join(&weak)
                ),
            );
        } else if !weak.is_empty() {
            report.warning(
                "weak-algorithm-listed",
                format!(
                    "alg:{name} also lists {} which the IdP will not use",
                    join(&weak)
                ),
            );
        }
    }
    // The metadata's own signatures.
    let mut sig_algs: Vec<String> = Vec::new();
    visit(root, &mut |el| {
        if el.is(DS, "Signature") {
            if let Some(info) = el.child(DS, "SignedInfo") {
                if let Some(m) = info.child(DS, "SignatureMethod") {
                    sig_algs.push(m.attr("Algorithm").unwrap_or("").to_string());
                }
                for r in info.children_named(DS, "Reference") {
                    if let Some(d) = r.child(DS, "DigestMethod") {
                        sig_algs.push(d.attr("Algorithm").unwrap_or("").to_string());
                    }
                }
            }
        }
    });
    for a in sig_algs {
        if !STRONG.contains(&a.as_str()) {
            report.error(
                "weak-signature",
                format!(
                    "the metadata's ds:Signature uses {a}, weaker than SHA-256 (SHA-1 is refused)"
                ),
            );
        }
    }
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests;
