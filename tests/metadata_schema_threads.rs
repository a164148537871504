//! Metadata checked on several threads at once, as e-service folders are loaded by concurrent
//! starts or saves: the schema check gives every thread the same verdict. libxml2 sets up its
//! built-in schema types lazily and not thread-safely; before schema compilation was serialised, two
//! first compilations at the same moment could fail with "schemas do not compile" and a valid
//! e-service was skipped (without the lock this test failed about one run in six).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use pass_idp::saml::metadata_check::{check_metadata, CheckContext};
use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

/// Eight first schema checks of this process at the same moment; each must find nothing. (The
/// race exists once per process, at the first compilation: this binary holds only this test.)
#[test]
fn first_schema_checks_on_many_threads_at_once_all_pass() {
    let xml = Arc::new(common::TestSp::new("threads", false).metadata());
    let n = 8;
    let start = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (xml, start) = (xml.clone(), start.clone());
            std::thread::spawn(move || {
                let taken = BTreeSet::new();
                start.wait();
                let r = check_metadata(
                    &xml,
                    None,
                    &CheckContext {
                        now: chrono::Utc::now(),
                        dev_mode: true,
                        taken_entity_ids: &taken,
                    },
                );
                r.findings
                    .iter()
                    .map(|f| format!("{}: {}", f.code, f.message))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        let findings = h.join().unwrap();
        assert!(findings.is_empty(), "{findings:?}");
    }
}
