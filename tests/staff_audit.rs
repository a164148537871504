//! Staff sessions (expiry, rotation, lock) and the auditor's audit viewer and CSV export.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::staff::*;
use common::*;
use pass_idp::audit::{AuditEvent, AuditKind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auditor_sees_events_and_exports_filtered_csv() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let now = app.services.ports.now_ms();
    let sp_a = "https://a.example/sp";
    let sp_b = "https://b.example/sp";
    let hostile = "=HYPERLINK(\"http://evil\",\"x\")";
    for (sp, actor) in [(sp_a, "staff:olga"), (sp_a, hostile), (sp_b, "staff:olga")] {
        let ev = AuditEvent::new(AuditKind::AssertionIssued)
            .actor(actor)
            .sp(sp)
            .detail(serde_json::json!({"note": "a,b \"q\"\nline"}));
        app.services.ports.store.audit(&ev, now).await.unwrap();
    }
    let b = app.browser();
    staff_login(&app, &b, "ana", "").await;
    let all = b.get("/audit").await;
    assert_eq!(all.status, 200);
    // Newest first: the staff login comes before the events written earlier.
    let first = all.body.find("staff.login").unwrap();
    let assertion = all.body.find("assertion.issued").unwrap();
    assert!(first < assertion);
    assert!(!all.body.contains("<script"), "values are escaped");
    let page = b.get(&format!("/audit?sp={}", urlenc(sp_a))).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body.matches("class=\"audit-row\"").count(), 2);
    let r = b.get(&format!("/audit.csv?sp={}", urlenc(sp_a))).await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let mut rd = csv::Reader::from_reader(r.body.as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 2, "{}", r.body);
    assert!(rows.iter().all(|row| &row[5] == sp_a));
    let actors: Vec<&str> = rows.iter().map(|row| &row[3]).collect();
    assert!(actors.contains(&"staff:olga"));
    assert!(
        actors.contains(&format!("'{hostile}").as_str()),
        "{actors:?}"
    );
    assert!(rows
        .iter()
        .all(|row| row[6].contains("a,b \\\"q\\\"\\nline")));
    // Filters combine: kind and actor.
    let r = b
        .get(&format!(
            "/audit.csv?kind=staff.login&actor={}",
            urlenc("staff:ana")
        ))
        .await;
    let n = csv::Reader::from_reader(r.body.as_bytes())
        .records()
        .count();
    assert_eq!(n, 1, "{}", r.body);
    // A time window that ends before the events finds nothing of them.
    let r = b.get("/audit.csv?to=2000-01-01").await;
    assert_eq!(
        csv::Reader::from_reader(r.body.as_bytes())
            .records()
            .count(),
        0
    );
    assert_eq!(b.get("/audit?from=yesterday").await.status, 400);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_pages_through_many_events() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let now = app.services.ports.now_ms();
    for i in 0..60 {
        let ev = AuditEvent::new(AuditKind::OtpSent)
            .sp("https://p.example/sp")
            .detail(serde_json::json!({"i": i}));
        app.services
            .ports
            .store
            .audit(&ev, now - 1000 + i)
            .await
            .unwrap();
    }
    let b = app.browser();
    staff_login(&app, &b, "ana", "").await;
    let p1 = b.get("/audit?sp=https%3A%2F%2Fp.example%2Fsp").await;
    assert_eq!(p1.body.matches("class=\"audit-row\"").count(), 50);
    assert!(p1.body.contains("rel=\"next\""));
    let p2 = b.get("/audit?sp=https%3A%2F%2Fp.example%2Fsp&page=2").await;
    assert_eq!(p2.body.matches("class=\"audit-row\"").count(), 10);
    assert!(!p2.body.contains("rel=\"next\""));
    assert!(p2.body.contains("{&quot;i&quot;:0}") || p2.body.contains("&quot;i&quot;:0"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_staff_session_expires() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    staff_login(&app, &b, "ana", "").await;
    app.clock.advance(chrono::Duration::minutes(14));
    assert_eq!(
        b.get("/staff").await.status,
        200,
        "activity within the idle time"
    );
    app.clock.advance(chrono::Duration::minutes(16));
    let r = b.get("/audit").await;
    assert_eq!(r.status, 303);
    assert!(r.location.unwrap().starts_with("/staff/login"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_staff_session_ends_at_the_absolute_lifetime() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    staff_login(&app, &b, "ana", "").await;
    for _ in 0..47 {
        app.clock.advance(chrono::Duration::minutes(10));
        assert_eq!(b.get("/staff").await.status, 200);
    }
    app.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(b.get("/staff").await.status, 303);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locking_a_staff_member_ends_the_session_and_refuses_login() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    staff_login(&app, &b, "ana", "").await;
    app.services
        .staff
        .set_staff_locked("ana", true, "test")
        .await
        .unwrap();
    assert_eq!(b.get("/staff").await.status, 303);
    let r = password_step(&b, "", "ana", STAFF_PW).await;
    assert_eq!(
        r.status, 200,
        "a locked account looks like a wrong password"
    );
    assert_eq!(app.sms().len(), 1, "no new code");
    app.services
        .staff
        .set_staff_locked("ana", false, "test")
        .await
        .unwrap();
    app.clock.advance(chrono::Duration::seconds(60));
    staff_login(&app, &b, "ana", "").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_rotates_the_staff_session() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    let first = staff_login(&app, &b, "ana", "").await;
    let old = set_cookies(&first)
        .into_iter()
        .find(|c| c.starts_with("pidp_staff="))
        .unwrap();
    let old = old["pidp_staff=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_string();
    app.clock.advance(chrono::Duration::seconds(60));
    staff_login(&app, &b, "ana", "").await;
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = raw
        .get(format!("{}/staff", app.base))
        .header("cookie", format!("pidp_staff={old}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the old session token is revoked");
    assert_eq!(b.get("/staff").await.status, 200);
    app.stop().await;
}
