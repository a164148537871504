//! Staff accounts and staff login (password + SMS code), CSRF, and the role guards of the staff areas.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::sp::Req;
use common::staff::*;
use common::*;
use pass_idp::auth::Secret;
use pass_idp::service::staff::{NewStaffInput, StaffError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_add_validates_and_lists() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["operator", "auditor"]).await;
    let list = app.services.staff.list_staff().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].roles.to_list(), "operator,auditor");
    assert_eq!(list[0].phone.as_str(), phone_of("ana"));
    let again = app
        .services
        .staff
        .add_staff(
            NewStaffInput {
                username: "ANA".into(),
                display_name: "x".into(),
                phone: "041000111".into(),
                roles: vec!["officer".into()],
                password: Secret::new(STAFF_PW),
            },
            "test",
        )
        .await;
    assert!(matches!(again, Err(StaffError::Taken(_))), "{again:?}");
    for (roles, phone) in [
        (vec!["root"], "041000111"),
        (vec![], "041000111"),
        (vec!["officer"], "12"),
    ] {
        let r = app
            .services
            .staff
            .add_staff(
                NewStaffInput {
                    username: "bojan".into(),
                    display_name: "Bojan".into(),
                    phone: phone.into(),
                    roles: roles.iter().map(|s| s.to_string()).collect(),
                    password: Secret::new(STAFF_PW),
                },
                "test",
            )
            .await;
        assert!(
            matches!(r, Err(StaffError::Invalid(_))),
            "{roles:?} {phone}: {r:?}"
        );
    }
    assert!(kinds(&app).await.contains(&"staff.created".to_string()));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_staff_login_with_sms_code_then_logout() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    let done = staff_login(&app, &b, "ana", "/audit").await;
    assert_eq!(done.location.as_deref(), Some("/audit"));
    let cookies = set_cookies(&done);
    let staff_cookie = cookies
        .iter()
        .find(|c| c.starts_with("pidp_staff="))
        .expect("staff session cookie");
    assert!(staff_cookie.contains("HttpOnly") && staff_cookie.contains("SameSite=Strict"));
    assert_eq!(app.sms().len(), 1);
    assert_eq!(app.sms()[0].0, phone_of("ana"));
    let home = b.get("/staff").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Staff ana (ana)"), "{}", home.body);
    assert!(home.body.contains("href=\"/audit\""));
    assert!(!home.body.contains("href=\"/operator\""));
    assert_eq!(b.get("/audit").await.status, 200);
    let out = b
        .post("/staff/logout", &[("csrf_token", &home.csrf())])
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/staff/login"));
    assert_eq!(b.get("/staff").await.status, 303);
    let k = kinds(&app).await;
    for want in [
        "staff.password_ok",
        "staff.otp_sent",
        "staff.login",
        "staff.logout",
    ] {
        assert!(k.contains(&want.to_string()), "{want} in {k:?}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_unknown_user_look_alike_and_send_nothing() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    let wrong = password_step(&b, "", "ana", "Napacno-geslo-1").await;
    let unknown = password_step(&b, "", "nobody", "Napacno-geslo-1").await;
    assert_eq!(wrong.status, 200);
    assert_eq!(unknown.status, 200);
    let msg = |p: &Page| {
        let d = scraper::Html::parse_document(&p.body);
        let s = scraper::Selector::parse(".msg").unwrap();
        d.select(&s).next().map(|e| e.text().collect::<String>())
    };
    assert!(msg(&wrong).is_some());
    assert_eq!(msg(&wrong), msg(&unknown));
    assert!(app.sms().is_empty());
    assert_eq!(
        b.get("/staff/login/otp").await.status,
        303,
        "no code step without a password"
    );
    let failed = kinds(&app)
        .await
        .iter()
        .filter(|k| *k == "staff.login_failed")
        .count();
    assert_eq!(failed, 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_passwords_lock_the_staff_username() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    for _ in 0..5 {
        password_step(&b, "", "ana", "Napacno-geslo-1").await;
    }
    let locked = password_step(&b, "", "ana", STAFF_PW).await;
    assert_eq!(locked.status, 200);
    assert!(locked.body.contains("min."), "{}", locked.body);
    assert!(
        app.sms().is_empty(),
        "the right password is refused while locked"
    );
    assert!(kinds(&app)
        .await
        .contains(&"staff.login_throttled".to_string()));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_code_is_refused_and_voids_after_the_cap() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    let r = password_step(&b, "/audit", "ana", STAFF_PW).await;
    assert_eq!(r.status, 303);
    let otp = b.get("/staff/login/otp").await;
    let code = app.last_code(&phone_of("ana"));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        let p = b
            .post(
                "/staff/login/otp",
                &[("csrf_token", &otp.csrf()), ("otp", wrong)],
            )
            .await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(!set_cookies(&p).iter().any(|c| c.starts_with("pidp_staff=")));
    }
    // The cap is reached: even the right code no longer opens a session.
    let late = b
        .post(
            "/staff/login/otp",
            &[("csrf_token", &otp.csrf()), ("otp", &code)],
        )
        .await;
    assert_eq!(late.status, 200);
    assert_eq!(b.get("/staff").await.status, 303);
    assert!(kinds(&app).await.contains(&"staff.otp_failed".to_string()));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_login_post_without_csrf_is_refused() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    assert_eq!(b.get("/staff/login").await.status, 200);
    let r = b
        .post(
            "/staff/login",
            &[("username", "ana"), ("password", STAFF_PW)],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(app.sms().is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_login_post_with_another_browsers_csrf_is_refused() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let attacker = app.browser();
    let foreign = attacker.get("/staff/login").await.csrf();
    let b = app.browser();
    assert_eq!(b.get("/staff/login").await.status, 200);
    let r = b
        .post(
            "/staff/login",
            &[
                ("csrf_token", &foreign),
                ("username", "ana"),
                ("password", STAFF_PW),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(app.sms().is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_without_csrf_is_refused() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    staff_login(&app, &b, "ana", "").await;
    let r = b.post("/staff/logout", &[]).await;
    assert_eq!(r.status, 403);
    let r = b.post("/staff/logout", &[("csrf_token", "forged")]).await;
    assert_eq!(r.status, 403);
    assert_eq!(b.get("/staff").await.status, 200, "still logged in");
    app.stop().await;
}

/// A citizen login (password + code) that returns the citizen's SSO cookie value.
async fn citizen_sso_token(app: &TestApp, sp: &TestSp, b: &Browser) -> String {
    use pass_idp::clock::Clock;
    const PHONE: &str = "+38641555666";
    app.add_citizen("janez", Some(PHONE)).await;
    let mut r = Req::new(&app.sso_url());
    r.issue_instant = app.clock.now();
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    assert_eq!(b.get(&format!("/saml/sso?{q}")).await.status, 303);
    let pw = b.get("/login/password").await;
    let r = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &pw.csrf()),
                ("username", "janez"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let otp = b.get("/login/otp").await;
    let done = b
        .post(
            "/login/otp",
            &[("csrf_token", &otp.csrf()), ("otp", &app.last_code(PHONE))],
        )
        .await;
    assert_eq!(done.status, 200);
    let c = set_cookies(&done)
        .into_iter()
        .find(|c| c.starts_with("pidp_sso="))
        .expect("SSO cookie");
    c["pidp_sso=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_sso_session_does_not_open_staff_pages() {
    let sp = TestSp::new("c", false);
    let app = TestApp::spawn(&[&sp]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    let token = citizen_sso_token(&app, &sp, &b).await;
    // The browser holds a valid citizen session: staff pages still want a staff login.
    let r = b.get("/staff").await;
    assert_eq!(r.status, 303);
    assert!(r.location.unwrap().starts_with("/staff/login"));
    assert_eq!(b.get("/audit").await.status, 303);
    // Nor does the citizen's token presented under the staff cookie name.
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = raw
        .get(format!("{}/audit", app.base))
        .header("cookie", format!("pidp_staff={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_only_staff_gets_403_on_audit() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "olga", &["operator"]).await;
    let b = app.browser();
    staff_login(&app, &b, "olga", "").await;
    let home = b.get("/staff").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("href=\"/operator\""));
    assert!(!home.body.contains("href=\"/audit\""));
    let r = b.get("/audit").await;
    assert_eq!(r.status, 403);
    assert!(!r.body.contains("audit-row"));
    assert_eq!(b.get("/audit.csv").await.status, 403);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_logged_in_is_sent_to_login_and_back() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    let r = b.get("/audit?sp=x").await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.location.as_deref(),
        Some("/staff/login?next=%2Faudit%3Fsp%3Dx")
    );
    assert_eq!(b.get("/audit.csv").await.status, 303);
    let done = staff_login(&app, &b, "ana", "/audit?sp=x").await;
    assert_eq!(done.location.as_deref(), Some("/audit?sp=x"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_must_be_a_local_path() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "ana", &["auditor"]).await;
    let b = app.browser();
    let done = staff_login(&app, &b, "ana", "https://evil.example/x").await;
    assert_eq!(done.location.as_deref(), Some("/staff"));
    let b = app.browser();
    app.clock.advance(chrono::Duration::seconds(60));
    let done = staff_login(&app, &b, "ana", "//evil.example/x").await;
    assert_eq!(done.location.as_deref(), Some("/staff"));
    app.stop().await;
}
