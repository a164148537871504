//! Registration is not a username oracle: a free and a taken username get the same page (same text,
//! same status) in the same timing class; only the mailbox given in the form learns the outcome.
//! Mails go by real SMTP to a local aiosmtpd server (tests/common/smtp.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::smtp::{ReceivedMail, SmtpSink};
use common::*;
use std::time::{Duration, Instant};

const PW: &str = "Kozolec-v-megli-7-jabolk";

async fn spawn(backend: Backend, smtp: &SmtpSink) -> TestApp {
    TestApp::spawn_with(backend, &[], |c| smtp.configure(c)).await
}

/// Posts the registration form; returns the answer and how long it took.
async fn register(b: &Browser, username: &str, email: &str) -> (Page, Duration) {
    let p = b.get("/account/register").await;
    assert_eq!(p.status, 200, "{}", p.body);
    let csrf = p.csrf();
    let start = Instant::now();
    let r = b
        .post(
            "/account/register",
            &[
                ("csrf_token", csrf.as_str()),
                ("username", username),
                ("password", PW),
                ("password_repeat", PW),
                ("given_name", "Mojca"),
                ("family_name", "Kranjc"),
                ("email", email),
                ("street", "Trubarjeva cesta 5"),
                ("postcode", "1000"),
                ("city", "Ljubljana"),
            ],
        )
        .await;
    (r, start.elapsed())
}

/// The page with the e-mail address and the per-response values (error reference, nonces) taken out.
fn normalised(p: &Page, email: &str) -> String {
    p.body.replace(email, "<email>")
}

fn mails_to(smtp: &SmtpSink, to: &str) -> Vec<ReceivedMail> {
    smtp.messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_and_taken_usernames_get_the_same_page_and_the_mailbox_the_outcome() {
    for backend in backends() {
        let smtp = SmtpSink::start();
        let app = spawn(backend, &smtp).await;
        app.add_citizen("zasedeno", None).await;
        let b = app.browser();

        let (taken, _) = register(&b, "zasedeno", "vsiljivec@example.si").await;
        let (free, _) = register(&b, "prosto", "mojca@example.si").await;
        // Same status, same page: nothing on it tells the two apart.
        assert_eq!(taken.status, 200, "{}", taken.body);
        assert_eq!(free.status, taken.status);
        assert_eq!(
            normalised(&taken, "vsiljivec@example.si"),
            normalised(&free, "mojca@example.si")
        );
        assert!(!taken.body.contains("zasedeno"), "{}", taken.body);
        assert!(taken.body.contains("Registracija je sprejeta"));
        assert!(taken.body.contains("vsiljivec@example.si"));
        // The same for another spelling of the taken name (usernames are case-insensitive).
        let (upper, _) = register(&b, "ZASEDENO", "vsiljivec@example.si").await;
        assert_eq!(
            normalised(&upper, "vsiljivec@example.si"),
            normalised(&free, "mojca@example.si")
        );

        // The mailboxes learn the outcome: a verification link for the new account, a note for the
        // taken username (with the way to log in or reset the password), and no link.
        let mails = smtp.wait_for(3).await;
        assert_eq!(mails.len(), 3, "{mails:?}");
        let to_free = mails_to(&smtp, "mojca@example.si");
        assert_eq!(to_free.len(), 1);
        assert_eq!(to_free[0].subject, "Potrdite svoj e-naslov");
        assert!(to_free[0].body.contains("/account/verify?token="));
        let to_taken = mails_to(&smtp, "vsiljivec@example.si");
        assert_eq!(to_taken.len(), 2);
        for m in &to_taken {
            assert_eq!(m.subject, "Vaša registracija");
            assert!(m.body.contains("zasedeno") && m.body.contains("že zasedeno"));
            assert!(m.body.contains("/account/reset") && m.body.contains("/account/login"));
            assert!(!m.body.contains("token="), "{}", m.body);
        }
        // Nobody got a mail at the existing account's own address, and the account is unchanged.
        assert!(mails_to(&smtp, "zasedeno@example.si").is_empty());
        let existing = app
            .services
            .citizens
            .citizen_by_username("zasedeno")
            .await
            .unwrap();
        assert_eq!(existing.email.as_deref(), Some("zasedeno@example.si"));
        assert_eq!(existing.given_name, "Janez");
        assert!(app
            .services
            .citizens
            .citizen_by_username("prosto")
            .await
            .is_ok());

        // The attempts are in the audit trail; only the free username became an account.
        let audit = app.services.ports.store.recent_audit(100).await.unwrap();
        let taken_rows: Vec<_> = audit
            .iter()
            .filter(|a| a.kind == "citizen.registration_taken")
            .collect();
        assert_eq!(taken_rows.len(), 2);
        assert!(taken_rows
            .iter()
            .all(|a| a.actor.as_deref() == Some("zasedeno")));
        let created: Vec<_> = audit
            .iter()
            .filter(|a| a.kind == "citizen.created" && a.detail.contains("self-registration"))
            .collect();
        assert_eq!(created.len(), 1, "{created:?}");
        assert_eq!(created[0].actor.as_deref(), Some("prosto"));
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_and_taken_usernames_take_the_same_time() {
    let smtp = SmtpSink::start();
    let app = spawn(Backend::Sqlite, &smtp).await;
    app.add_citizen("zasedeno", None).await;
    let b = app.browser();
    // Warm up (first hash, first connection).
    register(&b, "ogrevanje", "o@example.si").await;
    let (mut free, mut taken) = (vec![], vec![]);
    for i in 0..5 {
        let (p, t) = register(&b, "zasedeno", "x@example.si").await;
        assert_eq!(p.status, 200);
        taken.push(t);
        let (p, t) = register(&b, &format!("prosto{i}"), "y@example.si").await;
        assert_eq!(p.status, 200);
        free.push(t);
    }
    let (f, t) = (median(free), median(taken));
    // Both hash the password and send one mail: the same class, not a hash-less shortcut for one.
    let (lo, hi) = if f < t { (f, t) } else { (t, f) };
    assert!(
        hi < lo * 3 + Duration::from_millis(30),
        "free {f:?}, taken {t:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_taken_note_is_in_the_page_language() {
    let smtp = SmtpSink::start();
    let app = spawn(Backend::Sqlite, &smtp).await;
    app.add_citizen("zasedeno", None).await;
    let b = app.browser();
    b.get("/lang?to=en&back=/").await;
    let (taken, _) = register(&b, "zasedeno", "peter@example.si").await;
    let (free, _) = register(&b, "peter", "peter2@example.si").await;
    assert_eq!(taken.status, 200);
    assert!(
        taken.body.contains("Registration received"),
        "{}",
        taken.body
    );
    assert_eq!(
        normalised(&taken, "peter@example.si"),
        normalised(&free, "peter2@example.si")
    );
    smtp.wait_for(2).await;
    let m = &mails_to(&smtp, "peter@example.si")[0];
    assert_eq!(m.subject, "Your registration");
    assert!(m.body.contains("already taken"), "{}", m.body);
    app.stop().await;
}
