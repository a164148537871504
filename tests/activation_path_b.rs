//! smsPASS activation, path B (qualified certificate), end to end: the citizen registers a qualified
//! client certificate over the IdP's own TLS, starts activation with it, which queues a letter; the
//! `pass-idp letters export` command writes the PDF batch (its text, read with pdftotext, holds the
//! address and the code); code + phone + SMS code activate smsPASS; an SSO login with smsPASS succeeds.
//! SQLite, and PostgreSQL when TEST_DATABASE_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::account::account_login_default;
use common::activation::{reference_on, submit_code};
use common::sp::Req;
use common::staff::kinds;
use common::tls::{pki, TlsTestApp};
use common::*;
use pass_idp::audit::{AuditEvent, AuditKind};
use pass_idp::auth::Secret;
use pass_idp::domain::citizen::Address;
use pass_idp::domain::ids::{CitizenId, Username};
use pass_idp::storage::NewCitizen;

const PHONE: &str = "+38641555666";

/// A citizen with a password and a permanent address.
async fn citizen_with_address(app: &TestApp, username: &str) {
    let s = &app.services.ports;
    let hash = s.hasher.hash(&Secret::new(PASSWORD)).await.unwrap();
    let id = uuid::Uuid::new_v4().to_string();
    s.store
        .create_citizen(
            &NewCitizen {
                id: CitizenId(id.clone()),
                username: Username::parse(username).unwrap(),
                given_name: "Ana".into(),
                family_name: "Šuštar".into(),
                email: None,
                address: Some(Address {
                    street: "Čopova ulica 14".into(),
                    postcode: "1000".into(),
                    city: "Ljubljana".into(),
                }),
            },
            &hash,
            s.now_ms(),
            &AuditEvent::new(AuditKind::CitizenCreated).actor("test"),
        )
        .await
        .unwrap();
}

/// Runs `pass-idp --dev letters export --out DIR` against the test app's database and secrets.
fn cli_export(app: &TestApp, out: &std::path::Path) -> String {
    let cfg = &app.services.ports.cfg;
    let root = env!("CARGO_MANIFEST_DIR");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pass-idp"))
        .current_dir(root)
        .args(["--dev", "letters", "export", "--out"])
        .arg(out)
        .env("PASS_IDP__DATABASE_URL", &cfg.database_url)
        .env("PASS_IDP__SECRETS__TOKEN", &cfg.secrets.token)
        .env("PASS_IDP__SECRETS__NAMEID", &cfg.secrets.nameid)
        .env("PASS_IDP__METADATA_DIR", &cfg.metadata_dir)
        .env(
            "PASS_IDP__SMS__OUTBOX_PATH",
            app.dir.path().join("cli-sms.jsonl"),
        )
        .env(
            "PASS_IDP__MAIL__OUTBOX_DIR",
            app.dir.path().join("cli-mail"),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "letters export failed: {stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout
}

/// An activation code as printed: three groups of four.
fn code_re() -> regex::Regex {
    regex::Regex::new(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}").unwrap()
}

fn pdftotext(path: &std::path::Path) -> String {
    let o = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_b_end_to_end_then_sso_login_with_smspass() {
    for backend in backends() {
        let sp = TestSp::new("eservice", false);
        let t = TlsTestApp::spawn_with(backend, &[&sp], &[], |_| {}).await;
        let app = &t.app;
        citizen_with_address(app, "ana").await;
        let leaf = pki::client(&t.qualified_ca, "Ana Šuštar");
        let b = t.browser(Some(&leaf));
        let r = account_login_default(app, &b, "ana", None).await;
        assert_eq!(r.location.as_deref(), Some("/account"), "{}", r.body);
        let cert_page = format!("{}/account/certificate", t.tls_base);
        let home = b.get("/account").await;
        assert!(
            home.body.contains("href=\"/account/certificate\""),
            "{}",
            home.body
        );

        // Without a registered certificate path B cannot start.
        let p = b.get(&cert_page).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(!p.body.contains("id=\"start-path-b\""));
        let csrf = p.csrf();
        let r = b
            .post(
                &format!("{}/account/certificate/activate", t.tls_base),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(
            app.services
                .activation
                .letter_queue(10)
                .await
                .unwrap()
                .counts
                .pending,
            0
        );

        // Register the certificate presented over TLS, then start path B.
        let r = b.post(&cert_page, &[("csrf_token", &csrf)]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let p = b.get(&cert_page).await;
        assert!(p.body.contains("id=\"start-path-b\""), "{}", p.body);
        let r = b
            .post(
                &format!("{}/account/certificate/activate", t.tls_base),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.location.as_deref(), Some("/account/activation"));
        let act = b.get("/account/activation").await;
        let reference = reference_on(&act);
        assert!(reference.starts_with("B-"), "{reference}");
        assert!(
            act.body.contains("data-state=\"identity_verified\""),
            "{}",
            act.body
        );
        let q = app.services.activation.letter_queue(10).await.unwrap();
        assert_eq!((q.counts.pending, q.counts.dispatched), (1, 0));
        assert_eq!(q.recent[0].request_ref, reference);
        // Starting again is refused; still one letter.
        let r = b
            .post(
                &format!("{}/account/certificate/activate", t.tls_base),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(
            app.services
                .activation
                .letter_queue(10)
                .await
                .unwrap()
                .counts
                .pending,
            1
        );

        // The print run: one PDF, the letter marked dispatched, the code issued now.
        let out = tempfile::tempdir().unwrap();
        let said = cli_export(app, out.path());
        assert!(said.contains("wrote 1 letter(s)"), "{said}");
        let files: Vec<_> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let text = pdftotext(&files[0]);
        for needle in [
            "Ana Šuštar",
            "Čopova ulica 14",
            "1000 Ljubljana",
            reference.as_str(),
        ] {
            assert!(text.contains(needle), "{needle} missing:\n{text}");
        }
        let code = code_re()
            .find(&text)
            .unwrap_or_else(|| panic!("no code in:\n{text}"))
            .as_str()
            .to_string();
        let q = app.services.activation.letter_queue(10).await.unwrap();
        assert_eq!((q.counts.pending, q.counts.dispatched), (0, 1));
        let home = b.get("/account").await;
        assert!(
            home.body.contains("data-state=\"code_issued\""),
            "{}",
            home.body
        );
        // A second run has nothing to print.
        let out2 = tempfile::tempdir().unwrap();
        assert!(cli_export(app, out2.path()).contains("no letters"));

        // Code + phone → SMS code → confirm → active.
        let r = submit_code(&b, &code, "041 555 666").await;
        assert!(r.body.contains("id=\"confirm-form\""), "{}", r.body);
        let p = b.get("/account/activation").await;
        let r = b
            .post(
                "/account/activation/confirm",
                &[("csrf_token", &p.csrf()), ("otp", &app.last_code(PHONE))],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("data-state=\"active\""), "{}", r.body);

        // An SSO login with smsPASS succeeds.
        let b2 = app.browser();
        let req = Req::new(&app.sso_url());
        let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
        let start = b2.get(&format!("/saml/sso?{q}")).await;
        let posted = full_login(app, &b2, start, "ana", PHONE).await;
        assert_eq!(posted.acs_url, sp.acs_url);
        assert!(posted.xml().contains(pass_idp::domain::loa::SMSPASS));

        let k = kinds(app).await;
        for kind in [
            "citizen.cert_registered",
            "activation.requested",
            "letter.queued",
            "activation.code_issued",
            "letters.dispatched",
            "smspass.activated",
        ] {
            assert!(k.contains(&kind.to_string()), "{kind} not audited: {k:?}");
        }
        t.stop().await;
    }
}
