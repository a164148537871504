//! Password-reset mails are rate-limited per account (3 an hour by default, counted in the database)
//! and the background reset work is bounded; the reset page answers the same in every case.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::journey::{link_in, outcome};
use common::smtp::SmtpSink;
use common::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn verified_citizen(app: &TestApp, username: &str) {
    app.add_citizen(username, None).await;
    let c = app
        .services
        .citizens
        .citizen_by_username(username)
        .await
        .unwrap();
    let ev = pass_idp::audit::AuditEvent::new(pass_idp::audit::AuditKind::EmailVerified);
    app.services
        .ports
        .store
        .set_email_verified(&c.id.0, app.services.ports.now_ms(), &ev)
        .await
        .unwrap();
}

async fn ask_reset(b: &Browser, who: &str) -> Page {
    let p = b.get("/account/reset").await;
    assert_eq!(p.status, 200, "{}", p.body);
    b.post("/account/reset", &[("csrf_token", &p.csrf()), ("who", who)])
        .await
}

fn mails_to(smtp: &SmtpSink, to: &str) -> usize {
    smtp.messages()
        .iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .count()
}

/// Reset links audited as sent to `username`.
async fn resets_sent(app: &TestApp, username: &str) -> usize {
    app.services
        .ports
        .store
        .recent_audit(1000)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.kind == "citizen.password_reset_sent" && a.actor.as_deref() == Some(username))
        .count()
}

/// The same page, whatever happened behind it (status and body).
fn assert_same_page(a: &Page, b: &Page) {
    assert_eq!(a.status, b.status);
    assert_eq!(outcome(a), outcome(b));
    assert_eq!(a.body, b.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fourth_reset_within_the_hour_sends_no_mail_and_looks_the_same() {
    for backend in backends() {
        let smtp = SmtpSink::start();
        let app = TestApp::spawn_with(backend, &[], |c| smtp.configure(c)).await;
        verified_citizen(&app, "ana").await;
        verified_citizen(&app, "bojan").await;
        let b = app.browser();

        let first = ask_reset(&b, "ana").await;
        assert_eq!(first.status, 200, "{}", first.body);
        assert!(!outcome(&first).is_empty(), "{}", first.body);
        ask_reset(&b, "ana@example.si").await;
        ask_reset(&b, "ANA").await;
        let mails = smtp.wait_for(3).await;
        let links: Vec<String> = mails
            .iter()
            .map(|m| link_in(m, "/account/reset/confirm"))
            .collect();
        assert!(links[0] != links[1] && links[1] != links[2]);

        // The 4th (by name or by address) sends nothing, and the page is the same as before and as
        // for an account that does not exist.
        let fourth = ask_reset(&b, "ana").await;
        let fifth = ask_reset(&b, "ana@example.si").await;
        let unknown = ask_reset(&b, "nihce").await;
        assert_same_page(&first, &fourth);
        assert_same_page(&first, &fifth);
        assert_same_page(&first, &unknown);
        // Another account is not affected (and its mail shows the background work has run).
        ask_reset(&b, "bojan").await;
        smtp.wait_for(4).await;
        smtp.settled(&app.services).await;
        assert_eq!(
            mails_to(&smtp, "ana@example.si"),
            3,
            "{:?}",
            smtp.messages()
        );
        assert_eq!(mails_to(&smtp, "bojan@example.si"), 1);
        assert_eq!(resets_sent(&app, "ana").await, 3);

        // The newest link sent still works (each new link voids the older ones; the three mails
        // are prepared in the background at once, so they may arrive in any order).
        let mut usable = 0;
        for link in &links {
            let p = b.get(link).await;
            assert_eq!(p.status, 200);
            usable += usize::from(p.hidden("token").is_some());
        }
        assert_eq!(usable, 1, "exactly the newest of the three links is usable");

        // Fifty-nine minutes later still nothing; after the hour a new mail goes out.
        app.clock.advance(chrono::Duration::minutes(59));
        ask_reset(&b, "ana").await;
        smtp.settled(&app.services).await;
        assert_eq!(mails_to(&smtp, "ana@example.si"), 3);
        app.clock.advance(chrono::Duration::minutes(1));
        ask_reset(&b, "ana").await;
        smtp.wait_for(5).await;
        assert_eq!(mails_to(&smtp, "ana@example.si"), 4);
        assert_eq!(resets_sent(&app, "ana").await, 4);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_resets_do_not_pass_the_limit() {
    for backend in backends() {
        let smtp = SmtpSink::start();
        let app = TestApp::spawn_with(backend, &[], |c| smtp.configure(c)).await;
        verified_citizen(&app, "ana").await;
        let browsers: Vec<Browser> = (0..10).map(|_| app.browser()).collect();
        let pages: Vec<Page> = futures_util::future::join_all(
            browsers
                .iter()
                .map(|b| async move { b.get("/account/reset").await }),
        )
        .await;
        let answers =
            futures_util::future::join_all(browsers.iter().zip(&pages).map(|(b, p)| async move {
                b.post(
                    "/account/reset",
                    &[("csrf_token", &p.csrf()), ("who", "ana")],
                )
                .await
            }))
            .await;
        for a in &answers {
            assert_same_page(&answers[0], a);
        }
        smtp.wait_for(3).await;
        // Every request has been handled (each one either took a slot or found none).
        smtp.settled(&app.services).await;
        assert_eq!(
            mails_to(&smtp, "ana@example.si"),
            3,
            "{:?}",
            smtp.messages()
        );
        assert_eq!(resets_sent(&app, "ana").await, 3);
        app.stop().await;
    }
}

/// An SMTP server that accepts connections and never answers (so a send hangs until it is closed).
struct StalledSmtp {
    port: u16,
    held: Arc<Mutex<Vec<std::net::TcpStream>>>,
}

impl StalledSmtp {
    fn start() -> StalledSmtp {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let held = Arc::new(Mutex::new(Vec::new()));
        let h = held.clone();
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                h.lock().unwrap().push(s);
            }
        });
        StalledSmtp { port, held }
    }
    /// Closes the connections held so far: the sends waiting on them fail at once.
    fn release(&self) {
        self.held.lock().unwrap().clear();
    }
    fn connections(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_reset_work_is_bounded() {
    let smtp = StalledSmtp::start();
    let app = TestApp::spawn_with(Backend::Sqlite, &[], |c| {
        c.mail.provider = "smtp".into();
        c.mail.smtp_host = "127.0.0.1".into();
        c.mail.smtp_port = smtp.port;
        c.mail.smtp_tls = "none".into();
        c.account.reset_max_pending = 1;
    })
    .await;
    verified_citizen(&app, "ana").await;
    verified_citizen(&app, "bojan").await;
    let b = app.browser();

    // Ana's request takes the only slot and hangs on the mail server.
    let first = ask_reset(&b, "ana").await;
    let start = Instant::now();
    while smtp.connections() < 1 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no SMTP connection"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(resets_sent(&app, "ana").await, 1);

    // Meanwhile Bojan's request is dropped, with the same page.
    let dropped = ask_reset(&b, "bojan").await;
    assert_same_page(&first, &dropped);
    // Dropped at once: Ana's request is still the only one in progress, nothing of Bojan's runs.
    assert_eq!(app.services.account.resets_in_progress(), 1);
    assert_eq!(resets_sent(&app, "bojan").await, 0);
    assert_eq!(smtp.connections(), 1);

    // Once Ana's send ends, the slot is free again.
    smtp.release();
    let start = Instant::now();
    while resets_sent(&app, "bojan").await == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the slot was not freed"
        );
        ask_reset(&b, "bojan").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    smtp.release();
    app.stop().await;
}
