//! Storage faults: a Response leaves only after its record is committed, whatever the storage does.
//! SQLite on a tmpfs of the test's own (root: here and in CI; otherwise skipped with a note) that
//! fills up under concurrent logins, or is read-only when the IdP starts; PostgreSQL (when
//! TEST_DATABASE_URL is set) with its connections terminated under load, refused for a while,
//! and a table held under an ACCESS EXCLUSIVE lock. During a fault the citizen gets a 503 page
//! with `Retry-After` and "try again in a moment" (never a Success without a record, never a 500),
//! /healthz says 503, and when the storage is back the IdP works again without a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::faults::{remove, session_sso, spawn_load, Answer, Tmpfs};
use common::{full_login, Backend, Browser, TestApp, TestSp};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PHONE: &str = "+38641555010";
/// The default language's (Slovenian) "try again in a moment" text of the 503 page.
const UNAVAILABLE_SL: &str = "poskusite znova čez trenutek";
const UNAVAILABLE_EN: &str = "please try again in a moment";

/// `n` browsers of one citizen, each with an IdP session (one full login each).
async fn browsers_with_sessions(app: &TestApp, sp: &TestSp, n: usize) -> Vec<Browser> {
    let mut out = Vec::new();
    for _ in 0..n {
        let b = app.browser();
        let req = common::sp::Req::new(&app.sso_url());
        let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
        let start = b.get(&format!("/saml/sso?{q}")).await;
        let posted = full_login(app, &b, start, "ana", PHONE).await;
        assert_eq!(posted.acs_url, sp.acs_url);
        out.push(b);
    }
    out
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect(sql)
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect(sql)
        .expect("a row");
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Every Success Response in `answers` has its replay-cache row, its `assertion.issued` event and
/// a session participant, as seen by a connection of its own to `url`.
async fn assert_recorded(url: &str, sp: &TestSp, answers: &[Answer], earlier_logins: i64) {
    let db = Database::connect(url).await.expect("second connection");
    let seen: HashSet<String> = strings(
        &db,
        &format!(
            "SELECT request_id FROM seen_requests WHERE sp_entity_id = '{}'",
            sp.entity_id
        ),
    )
    .await
    .into_iter()
    .collect();
    let events = strings(
        &db,
        "SELECT detail FROM audit_events WHERE kind = 'assertion.issued'",
    )
    .await;
    let participants = count(&db, "SELECT COUNT(*) FROM session_participants").await;
    let mut successes = 0;
    for a in answers {
        if let Answer::Success { request_id, acs } = a {
            successes += 1;
            assert_eq!(acs, &sp.acs_url, "a Response went elsewhere");
            assert!(
                seen.contains(request_id),
                "{request_id}: no replay-cache row"
            );
            let needle = format!("\"in_response_to\":\"{request_id}\"");
            assert!(
                events.iter().any(|d| d.contains(&needle)),
                "{request_id}: no assertion.issued event"
            );
        }
    }
    assert!(
        participants >= successes + earlier_logins,
        "{participants} session participants for {successes} + {earlier_logins} Responses"
    );
    db.close().await.ok();
}

fn tally(answers: &[Answer]) -> (usize, usize) {
    let ok = answers
        .iter()
        .filter(|a| matches!(a, Answer::Success { .. }))
        .count();
    let unavailable = answers
        .iter()
        .filter(|a| matches!(a, Answer::Unavailable))
        .count();
    for a in answers {
        assert!(
            matches!(
                a,
                Answer::Success { .. } | Answer::Unavailable | Answer::SamlError
            ),
            "neither a Response nor the 503 page: {a:?}"
        );
    }
    (ok, unavailable)
}

/// The IdP's log on the test's output (shown for a failing test).
fn log() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("pass_idp=debug,sqlx=warn")
        .try_init();
}

async fn healthz(app: &TestApp) -> (u16, Option<String>, serde_json::Value) {
    let r = reqwest::Client::new()
        .get(format!("{}/healthz", app.base))
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .expect("healthz answers");
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, retry, r.json().await.unwrap_or_default())
}

/// Waits up to `within` for /healthz to give `status`.
async fn wait_health(app: &TestApp, status: u16, within: Duration) {
    let start = Instant::now();
    loop {
        let (s, _, body) = healthz(app).await;
        if s == status {
            return;
        }
        assert!(start.elapsed() < within, "/healthz still {s} {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_disk_full_under_load_never_sends_a_response_without_its_record() {
    log();
    let Some(fs) = Tmpfs::mount("16m") else {
        return;
    };
    let url = fs.sqlite_url();
    let sp = Arc::new(TestSp::new("full", false));
    let u = url.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, &[&sp], move |c| c.database_url = u).await;
    app.add_citizen("ana", Some(PHONE)).await;
    let browsers = browsers_with_sessions(&app, &sp, 6).await;
    let app = Arc::new(app);
    let stop = Arc::new(AtomicBool::new(false));
    let (answers, tasks) = spawn_load(
        app.clone(),
        sp.clone(),
        browsers,
        UNAVAILABLE_SL,
        stop.clone(),
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let filler = fs.fill();
    let during_from = answers.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // While the disk is full the health check says so.
    let (status, retry, body) = healthz(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["database"], false);
    assert!(retry.is_some(), "503 without Retry-After");
    let during_to = answers.lock().unwrap().len();
    remove(&filler);
    // Space is back: healthy again without a restart, and logins go through and are recorded.
    wait_health(&app, 200, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    let answers = answers.lock().unwrap().clone();
    let (ok, unavailable) = tally(&answers);
    assert!(
        answers[during_from..during_to]
            .iter()
            .any(|a| matches!(a, Answer::Unavailable)),
        "the full disk was never noticed ({ok} ok, {unavailable} refused)"
    );
    let after: Vec<_> = answers[during_to..].to_vec();
    let recovered = after
        .iter()
        .rev()
        .take(6)
        .filter(|a| matches!(a, Answer::Success { .. }))
        .count();
    assert_eq!(
        recovered, 6,
        "logins after the disk has space again: {after:?}"
    );
    // Committed, as another connection sees while the IdP still runs (no transaction left open).
    assert_recorded(&url, &sp, &answers, 6).await;
    let app = Arc::try_unwrap(app).ok().expect("no other owner");
    app.stop().await;
    // ... and after the IdP has stopped.
    assert_recorded(&url, &sp, &answers, 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_read_only_at_start_is_a_503_until_writable_then_recovers_without_restart() {
    log();
    let Some(fs) = Tmpfs::mount("16m") else {
        return;
    };
    let url = fs.sqlite_url();
    let sp = TestSp::new("ro", false);
    let u = url.clone();
    let first = TestApp::spawn_with(Backend::Sqlite, &[&sp], move |c| c.database_url = u).await;
    first.add_citizen("ana", Some(PHONE)).await;
    first.stop().await;
    fs.remount(true).await;

    let u = url.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, &[&sp], move |c| c.database_url = u).await;
    let (status, retry, body) = healthz(&app).await;
    assert_eq!(
        (status, &body["database"]),
        (503, &serde_json::json!(false))
    );
    assert!(retry.is_some());
    // A login cannot start: the 503 page in the citizen's language, with Retry-After.
    let b = app.browser();
    let req = common::sp::Req::new(&app.sso_url());
    let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
    let page = b.get(&format!("/saml/sso?{q}")).await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.headers.contains_key("retry-after"));
    assert!(page.body.contains(UNAVAILABLE_SL), "{}", page.body);
    assert!(!page.body.contains("SAMLResponse"));
    let en = reqwest::Client::new()
        .get(format!("{}/saml/sso?{q}", app.base))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(en.status().as_u16(), 503);
    assert!(en.text().await.unwrap().contains(UNAVAILABLE_EN));

    // Writable again: healthy within seconds, and a whole login works and is recorded.
    fs.remount(false).await;
    wait_health(&app, 200, Duration::from_secs(5)).await;
    let b = app.browser();
    let req = common::sp::Req::new(&app.sso_url());
    let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
    let posted = full_login(
        &app,
        &b,
        b.get(&format!("/saml/sso?{q}")).await,
        "ana",
        PHONE,
    )
    .await;
    assert_eq!(posted.acs_url, sp.acs_url);
    let answer = Answer::Success {
        request_id: req.id.clone(),
        acs: posted.acs_url,
    };
    assert_recorded(&url, &sp, &[answer], 0).await;
    app.stop().await;
}

/// The IdP's database on the PostgreSQL server, and an admin connection to the server.
async fn pg_admin(app: &TestApp) -> (String, DatabaseConnection) {
    let url = url::Url::parse(&app.services.ports.cfg.database_url).unwrap();
    let name = url.path().trim_start_matches('/').to_string();
    let admin = Database::connect(std::env::var("TEST_DATABASE_URL").unwrap())
        .await
        .unwrap();
    (name, admin)
}

async fn pg_exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.expect(sql);
}

fn pg_enabled() -> bool {
    let on = std::env::var("TEST_DATABASE_URL").is_ok();
    if !on {
        eprintln!("note: TEST_DATABASE_URL not set: PostgreSQL fault test skipped");
    }
    on
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_terminated_connections_under_load_give_no_500_and_no_unrecorded_response() {
    if !pg_enabled() {
        return;
    }
    let sp = Arc::new(TestSp::new("term", false));
    let app = TestApp::spawn_with(Backend::Postgres, &[&sp], |_| {}).await;
    app.add_citizen("ana", Some(PHONE)).await;
    let browsers = browsers_with_sessions(&app, &sp, 6).await;
    let (name, admin) = pg_admin(&app).await;
    let url = app.services.ports.cfg.database_url.clone();
    let app = Arc::new(app);
    let stop = Arc::new(AtomicBool::new(false));
    let (answers, tasks) = spawn_load(
        app.clone(),
        sp.clone(),
        browsers,
        UNAVAILABLE_SL,
        stop.clone(),
    );
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        pg_exec(
            &admin,
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    let answers = answers.lock().unwrap().clone();
    let (ok, _) = tally(&answers);
    assert!(ok > 20, "logins went on: {ok}");
    assert!(
        answers
            .iter()
            .rev()
            .take(6)
            .all(|a| matches!(a, Answer::Success { .. })),
        "the last logins worked"
    );
    assert_recorded(&url, &sp, &answers, 6).await;
    let app = Arc::try_unwrap(app).ok().expect("no other owner");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refusing_connections_is_a_503_with_retry_after_and_recovers_at_once() {
    if !pg_enabled() {
        return;
    }
    let sp = TestSp::new("refuse", false);
    let app = TestApp::spawn_with(Backend::Postgres, &[&sp], |_| {}).await;
    app.add_citizen("ana", Some(PHONE)).await;
    let b = browsers_with_sessions(&app, &sp, 1).await.remove(0);
    let (name, admin) = pg_admin(&app).await;
    pg_exec(
        &admin,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
    )
    .await;
    pg_exec(
        &admin,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ),
    )
    .await;
    let started = Instant::now();
    let a = session_sso(&app, &b, &sp, UNAVAILABLE_SL).await;
    assert!(matches!(a, Answer::Unavailable), "{a:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "bounded wait");
    let (status, retry, _) = healthz(&app).await;
    assert_eq!(status, 503);
    assert!(retry.is_some());
    tokio::time::sleep(Duration::from_secs(2)).await;
    pg_exec(
        &admin,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
    )
    .await;
    let back = Instant::now();
    let a = session_sso(&app, &b, &sp, UNAVAILABLE_SL).await;
    assert!(matches!(a, Answer::Success { .. }), "{a:?}");
    assert!(
        back.elapsed() < Duration::from_secs(1),
        "{:?}",
        back.elapsed()
    );
    wait_health(&app, 200, Duration::from_secs(3)).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_long_lock_ends_requests_within_the_bound_with_a_503() {
    if !pg_enabled() {
        return;
    }
    let sp = TestSp::new("lock", false);
    let app = TestApp::spawn_with(Backend::Postgres, &[&sp], |c| {
        c.storage.statement_timeout_ms = 1000;
    })
    .await;
    app.add_citizen("ana", Some(PHONE)).await;
    let b = browsers_with_sessions(&app, &sp, 1).await.remove(0);
    let url = app.services.ports.cfg.database_url.clone();
    let locker = Database::connect(&url).await.unwrap();
    let tx = sea_orm::TransactionTrait::begin(&locker).await.unwrap();
    tx.execute_unprepared("LOCK TABLE seen_requests IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = Instant::now();
    let a = session_sso(&app, &b, &sp, UNAVAILABLE_SL).await;
    let took = started.elapsed();
    assert!(matches!(a, Answer::Unavailable), "{a:?}");
    assert!(took < Duration::from_secs(3), "ended after {took:?}");
    // The health check answers at once meanwhile.
    let h = Instant::now();
    healthz(&app).await;
    assert!(h.elapsed() < Duration::from_millis(1500));
    tx.rollback().await.unwrap();
    let a = session_sso(&app, &b, &sp, UNAVAILABLE_SL).await;
    assert!(matches!(a, Answer::Success { .. }), "{a:?}");
    assert_recorded(&url, &sp, &[a], 1).await;
    locker.close().await.ok();
    app.stop().await;
}
