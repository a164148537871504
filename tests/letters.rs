//! Path B postal letters: queue, export as one PDF batch (checked with pdftotext), dispatch marking,
//! and the operator's queue page. SQLite, and PostgreSQL when TEST_DATABASE_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::staff::{add_staff, kinds, staff_login};
use common::{backends, TestApp};
use futures_util::future::BoxFuture;
use pass_idp::audit::{AuditEvent, AuditKind};
use pass_idp::auth::Secret;
use pass_idp::domain::citizen::{Address, Citizen};
use pass_idp::domain::ids::{CitizenId, Username};
use pass_idp::service::letters::{IssuedCode, LetterCodeIssuer, LettersError};
use pass_idp::service::Activation;
use pass_idp::storage::NewCitizen;
use pass_idp::storage::{LetterRecord, LetterStatus};
use std::sync::Mutex;

/// Codes made up here and remembered so the test can look for them.
struct Inputs {
    issued: Mutex<Vec<String>>,
}

impl Inputs {
    fn new() -> Self {
        Inputs {
            issued: Mutex::new(Vec::new()),
        }
    }
}

impl LetterCodeIssuer for Inputs {
    fn issue_code<'a>(
        &'a self,
        _svc: &'a Activation,
        letter: &'a LetterRecord,
        _c: &'a Citizen,
    ) -> BoxFuture<'a, Result<IssuedCode, String>> {
        Box::pin(async move {
            let code = format!("K{}", &letter.id.replace('-', "")[..11].to_uppercase());
            self.issued.lock().unwrap().push(code.clone());
            Ok(IssuedCode {
                code: Secret::new(code),
                expires_on: chrono::Utc::now().date_naive() + chrono::Days::new(30),
            })
        })
    }
}

/// A citizen with a permanent address (street, postcode, city) unless `address` is `None`.
async fn citizen(
    app: &TestApp,
    username: &str,
    given: &str,
    family: &str,
    address: Option<(&str, &str, &str)>,
) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let ev = AuditEvent::new(AuditKind::CitizenCreated).actor("test");
    app.services
        .ports
        .store
        .create_citizen(
            &NewCitizen {
                id: CitizenId(id.clone()),
                username: Username::parse(username).unwrap(),
                given_name: given.into(),
                family_name: family.into(),
                email: None,
                address: address.map(|(s, p, c)| Address {
                    street: s.into(),
                    postcode: p.into(),
                    city: c.into(),
                }),
            },
            "not-a-real-hash",
            app.services.ports.now_ms(),
            &ev,
        )
        .await
        .unwrap();
    id
}

fn pdftotext(path: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn pdfinfo(path: &std::path::Path) -> String {
    let out = std::process::Command::new("pdfinfo")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn export_writes_one_batch_and_marks_the_letters_dispatched() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |_| {}).await;
        let svc = &app.services;
        let ziga = citizen(
            &app,
            "ziga",
            "Žiga",
            "Šuštar",
            Some(("Šmartinska cesta 152", "1000", "Ljubljana")),
        )
        .await;
        let mojca = citizen(
            &app,
            "mojca",
            "Mojca",
            "Čebašek",
            Some(("Čopova ulica 14", "2000", "Maribor")),
        )
        .await;
        let nonaddr = citizen(&app, "nonaddr", "Brez", "Naslova", None).await;
        svc.activation
            .queue_activation_letter(&ziga, "B-ZIGA-0001", "test")
            .await
            .unwrap();
        app.clock.advance(chrono::Duration::seconds(1));
        svc.activation
            .queue_activation_letter(&mojca, "B-MOJC-0002", "test")
            .await
            .unwrap();
        svc.activation
            .queue_activation_letter(&nonaddr, "B-NONA-0003", "test")
            .await
            .unwrap();
        let q = svc.activation.letter_queue(10).await.unwrap();
        assert_eq!((q.counts.pending, q.counts.dispatched), (3, 0));

        let out = tempfile::tempdir().unwrap();
        let inputs = Inputs::new();
        let r = svc
            .activation
            .export_letters(out.path(), &inputs, "cli:test")
            .await
            .unwrap();
        assert_eq!(r.dispatched, 2);
        assert_eq!(r.skipped.len(), 1, "{:?}", r.skipped);
        let file = r.file.expect("a batch file");
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.starts_with("letters-") && name.ends_with(".pdf"),
            "{name}"
        );
        let files: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
        assert_eq!(files.len(), 1, "one file, no leftovers");
        assert!(pdfinfo(&file).contains("Pages:           2"));
        assert!(pdfinfo(&file).contains("(A4)"));
        let text = pdftotext(&file);
        let codes = inputs.issued.lock().unwrap().clone();
        assert_eq!(codes.len(), 2);
        for needle in [
            "Žiga Šuštar",
            "Šmartinska cesta 152",
            "1000 Ljubljana",
            "Mojca Čebašek",
            "Čopova ulica 14",
            "B-ZIGA-0001",
            codes[0].as_str(),
            codes[1].as_str(),
        ] {
            assert!(text.contains(needle), "{needle} missing:\n{text}");
        }
        assert!(!text.contains("Naslova"));
        // Oldest first: Žiga's letter is on page 1.
        assert!(text.split('\u{c}').next().unwrap().contains("Žiga Šuštar"));

        let q = svc.activation.letter_queue(10).await.unwrap();
        assert_eq!((q.counts.pending, q.counts.dispatched), (1, 2));
        for l in &q.recent {
            match l.request_ref.as_str() {
                "B-NONA-0003" => assert_eq!(l.status, LetterStatus::Pending),
                _ => {
                    assert_eq!(l.status, LetterStatus::Dispatched);
                    assert_eq!(l.batch.as_deref(), Some(name.as_str()));
                    assert!(l.dispatched_at.is_some());
                }
            }
        }
        assert!(kinds(&app)
            .await
            .contains(&"letters.dispatched".to_string()));
        // Nothing new to print: no file, nothing issued.
        let again = svc
            .activation
            .export_letters(out.path(), &inputs, "cli:test")
            .await
            .unwrap();
        assert_eq!((again.file, again.dispatched), (None, 0));
        assert_eq!(inputs.issued.lock().unwrap().len(), 2);
        app.stop().await;
    }
}

#[tokio::test]
async fn failed_write_marks_nothing() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |_| {}).await;
        let svc = &app.services;
        let id = citizen(
            &app,
            "ana",
            "Ana",
            "Novak",
            Some(("Trg 1", "4000", "Kranj")),
        )
        .await;
        svc.activation
            .queue_activation_letter(&id, "B-ANA-0001", "test")
            .await
            .unwrap();
        let out = tempfile::tempdir().unwrap();
        let missing = out.path().join("no-such-folder");
        let inputs = Inputs::new();
        let err = svc
            .activation
            .export_letters(&missing, &inputs, "cli:test")
            .await
            .unwrap_err();
        assert!(matches!(err, LettersError::Write(..)), "{err:?}");
        // The folder is checked before any code is issued.
        assert!(inputs.issued.lock().unwrap().is_empty());
        let q = svc.activation.letter_queue(10).await.unwrap();
        assert_eq!((q.counts.pending, q.counts.dispatched), (1, 0));
        assert!(!kinds(&app)
            .await
            .contains(&"letters.dispatched".to_string()));
        // A later export into a good folder prints it.
        let r = svc
            .activation
            .export_letters(out.path(), &Inputs::new(), "cli:test")
            .await
            .unwrap();
        assert_eq!(r.dispatched, 1);
        app.stop().await;
    }
}

#[tokio::test]
async fn operator_sees_the_queue_others_do_not() {
    let app = TestApp::spawn(&[]).await;
    let id = citizen(
        &app,
        "ana",
        "Ana",
        "Novak",
        Some(("Trg 1", "4000", "Kranj")),
    )
    .await;
    app.services
        .activation
        .queue_activation_letter(&id, "B-ANA-0042", "test")
        .await
        .unwrap();
    // Not logged in: to the staff login.
    let anon = app.browser().get("/operator/letters").await;
    assert_eq!(anon.status, 303);
    assert!(anon.location.unwrap().starts_with("/staff/login"));
    // An auditor is not an operator.
    add_staff(&app, "revizor", &["auditor"]).await;
    let b = app.browser();
    staff_login(&app, &b, "revizor", "/staff").await;
    assert_eq!(b.get("/operator/letters").await.status, 403);
    add_staff(&app, "operater", &["operator"]).await;
    let b = app.browser();
    staff_login(&app, &b, "operater", "/staff").await;
    let page = b.get("/operator/letters").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("B-ANA-0042"));
    assert!(
        page.body.contains("<dd id=\"letters-pending\">1</dd>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<dd id=\"letters-dispatched\">0</dd>"));
    app.stop().await;
}
