//! Password and SMS-code steps: refusals, throttling, expiry, CSRF, and the audit trail.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::sp::Req;
use common::*;

const PHONE: &str = "+38641555666";

/// Starts a login at the SP and returns the password page.
async fn start(app: &TestApp, sp: &TestSp, b: &Browser) -> Page {
    use pass_idp::clock::Clock;
    let mut r = Req::new(&app.sso_url());
    r.issue_instant = app.clock.now();
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    assert_eq!(b.get(&format!("/saml/sso?{q}")).await.status, 303);
    b.get("/login/password").await
}

async fn password(b: &Browser, pw_page: &Page, user: &str, pass: &str) -> Page {
    b.post(
        "/login/password",
        &[
            ("csrf_token", &pw_page.csrf()),
            ("username", user),
            ("password", pass),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_unknown_user_look_alike() {
    let sp = TestSp::new("l", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("janez", Some(PHONE)).await;
    let b = app.browser();
    let pw = start(&app, &sp, &b).await;
    let wrong = password(&b, &pw, "janez", "Napacno-geslo-1").await;
    let unknown = password(&b, &pw, "nobody", "Napacno-geslo-1").await;
    assert_eq!(wrong.status, 200);
    assert_eq!(unknown.status, wrong.status);
    let msg = |p: &Page| {
        let d = scraper::Html::parse_document(&p.body);
        let s = scraper::Selector::parse(".msg").unwrap();
        d.select(&s).next().map(|e| e.text().collect::<String>())
    };
    assert!(msg(&wrong).is_some());
    assert_eq!(msg(&wrong), msg(&unknown));
    assert!(app.sms().is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_lock_the_username_temporarily() {
    let sp = TestSp::new("l", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("janez", Some(PHONE)).await;
    let b = app.browser();
    let pw = start(&app, &sp, &b).await;
    for _ in 0..5 {
        password(&b, &pw, "janez", "Napacno-geslo-1").await;
    }
    let locked = password(&b, &pw, "janez", PASSWORD).await;
    assert_eq!(locked.status, 200);
    assert!(
        locked.body.contains("min."),
        "says when to try again: {}",
        locked.body
    );
    assert!(
        app.sms().is_empty(),
        "the right password is refused while locked"
    );
    // Unknown usernames lock the same way (a lock reveals nothing).
    for _ in 0..5 {
        password(&b, &pw, "ghost", "Napacno-geslo-1").await;
    }
    let ghost = password(&b, &pw, "ghost", "Napacno-geslo-1").await;
    assert!(ghost.body.contains("min."));
    // After the lock time the right password works again.
    // (the login transaction has expired by then too: a new login is started)
    app.clock.advance(chrono::Duration::minutes(16));
    let pw = start(&app, &sp, &b).await;
    let ok = password(&b, &pw, "janez", PASSWORD).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administratively_locked_account_is_refused() {
    let sp = TestSp::new("l", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("janez", Some(PHONE)).await;
    app.services
        .citizens
        .set_citizen_locked("janez", true, "test")
        .await
        .unwrap();
    let b = app.browser();
    let pw = start(&app, &sp, &b).await;
    let p = password(&b, &pw, "janez", PASSWORD).await;
    assert_eq!(p.status, 200);
    assert!(p.hidden("SAMLResponse").is_none());
    assert!(app.sms().is_empty());
    app.services
        .citizens
        .set_citizen_locked("janez", false, "test")
        .await
        .unwrap();
    assert_eq!(password(&b, &pw, "janez", PASSWORD).await.status, 303);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_wrong_codes_void_the_code() {
    let sp = TestSp::new("l", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("janez", Some(PHONE)).await;
    let b = app.browser();
    let pw = start(&app, &sp, &b).await;
    assert_eq!(password(&b, &pw, "janez", PASSWORD).await.status, 303);
    let page = b.get("/login/otp").await;
    let code = app.last_code(PHONE);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        let p = b
            .post(
                "/login/otp",
                &[("csrf_token", &page.csrf()), ("otp", wrong)],
            )
            .await;
        assert!(Posted::from_page(&p).is_none());
    }
    let p = b
        .post(
            "/login/otp",
            &[("csrf_token", &page.csrf()), ("otp", &code)],
        )
        .await;
    assert!(
        Posted::from_page(&p).is_none(),
        "the right code no longer works after 3 wrong ones"
    );
    // A new code can be requested after the resend interval and works.
    app.clock.advance(chrono::Duration::seconds(31));
    let sent = b
        .post("/login/otp/send", &[("csrf_token", &page.csrf())])
        .await;
    assert_eq!(sent.status, 200);
    let code2 = app.last_code(PHONE);
    let p = b
        .post(
            "/login/otp",
            &[("csrf_token", &page.csrf()), ("otp", &code2)],
        )
        .await;
    assert!(Posted::from_page(&p).is_some(), "{}", p.body);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_code_refused() {
    let sp = TestSp::new("l", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("janez", Some(PHONE)).await;
    let b = app.browser();
    let pw = start(&app, &sp, &b).await;
    password(&b, &pw, "janez", PASSWORD).await;
    let page = b.get("/login/otp").await;
    let code = app.last_code(PHONE);
    app.clock.advance(chrono::Duration::minutes(6));
    let p = b
        .post(
            "/login/otp",
            &[("csrf_token", &page.csrf()), ("otp", &code)],
        )
        .await;
    assert!(Posted::from_page(&p).is_none());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_is_limited_in_count_and_interval() {
    let sp = TestSp::new("l", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("janez", Some(PHONE)).await;
    let b = app.browser();
    let pw = start(&app, &sp, &b).await;
    password(&b, &pw, "janez", PASSWORD).await;
    let page = b.get("/login/otp").await;
    assert_eq!(app.sms().len(), 1);
    b.post("/login/otp/send", &[("csrf_token", &page.csrf())])
        .await;
    assert_eq!(app.sms().len(), 1, "too soon: no new SMS");
    for _ in 0..5 {
        app.clock.advance(chrono::Duration::seconds(31));
        b.post("/login/otp/send", &[("csrf_token", &page.csrf())])
            .await;
    }
    assert_eq!(app.sms().len(), 3, "at most 3 codes per login");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_right_csrf_token_are_refused() {
    let sp = TestSp::new("l", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("janez", Some(PHONE)).await;
    let b = app.browser();
    let _ = start(&app, &sp, &b).await;
    let p = b
        .post(
            "/login/password",
            &[("username", "janez"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(p.status, 403);
    // A token from another browser's login does not fit this one.
    let other = app.browser();
    let other_pw = start(&app, &sp, &other).await;
    let p = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &other_pw.csrf()),
                ("username", "janez"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    assert!(app.sms().is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_active_smspass_no_sms_is_sent() {
    let sp = TestSp::new("l", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("nophone", None).await;
    let b = app.browser();
    let pw = start(&app, &sp, &b).await;
    let p = password(&b, &pw, "nophone", PASSWORD).await;
    assert_eq!(p.status, 403);
    assert!(p.body.contains("smsPASS"));
    assert!(app.sms().is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_pages_without_a_transaction_show_an_error_page() {
    let sp = TestSp::new("l", false);
    let app = TestApp::spawn(&[&sp]).await;
    let p = app.browser().get("/login/password").await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("<code>"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_security_headers_and_cookies_are_httponly() {
    let sp = TestSp::new("l", false);
    let app = TestApp::spawn(&[&sp]).await;
    let b = app.browser();
    let q = sp.redirect_query(
        &sp.authn_request(&Req::new(&app.sso_url()), false),
        None,
        None,
    );
    let start = b.get(&format!("/saml/sso?{q}")).await;
    let cookie = start
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let page = b.get("/login/password").await;
    let h = |n: &str| {
        page.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert!(h("content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(h("x-frame-options"), "DENY");
    assert!(h("cache-control").contains("no-store"));
    assert!(page.body.contains("autocomplete=\"username\""));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_is_audited() {
    let sp = TestSp::new("l", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("janez", Some(PHONE)).await;
    let b = app.browser();
    let q = sp.redirect_query(
        &sp.authn_request(&Req::new(&app.sso_url()), false),
        None,
        None,
    );
    full_login(
        &app,
        &b,
        b.get(&format!("/saml/sso?{q}")).await,
        "janez",
        PHONE,
    )
    .await;
    let kinds: Vec<String> = app
        .services
        .ports
        .store
        .recent_audit(50)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .collect();
    for k in [
        "login.started",
        "login.password_ok",
        "otp.sent",
        "otp.ok",
        "session.created",
        "assertion.issued",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing in {kinds:?}");
    }
    let issued = app
        .services
        .ports
        .store
        .recent_audit(50)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == "assertion.issued")
        .unwrap();
    assert_eq!(issued.sp_entity_id.as_deref(), Some(sp.entity_id.as_str()));
    assert!(issued.detail.contains("name_id"));
    app.stop().await;
}

/// An SSO session does not outlive a lock of its account: the next AuthnRequest gets no Response
/// from the session but the login pages, and unlocking lets the session answer again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_account_session_gives_no_response() {
    use pass_idp::clock::Clock;
    let sp = TestSp::new("l", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("janez", Some(PHONE)).await;
    let b = app.browser();
    let sso = |app: &TestApp| {
        let mut r = Req::new(&app.sso_url());
        r.issue_instant = app.clock.now();
        format!(
            "/saml/sso?{}",
            sp.redirect_query(&sp.authn_request(&r, false), None, None)
        )
    };
    let first = b.get(&sso(&app)).await;
    full_login(&app, &b, first, "janez", PHONE).await;
    let again = b.get(&sso(&app)).await;
    assert_eq!(again.status, 200, "the session answers: {}", again.body);
    assert!(again.hidden("SAMLResponse").is_some());
    app.services
        .citizens
        .set_citizen_locked("janez", true, "test")
        .await
        .unwrap();
    let locked = b.get(&sso(&app)).await;
    assert_eq!(locked.status, 303, "no Response for a locked account");
    assert_eq!(locked.location.as_deref(), Some("/login"));
    assert!(locked.hidden("SAMLResponse").is_none());
    app.services
        .citizens
        .set_citizen_locked("janez", false, "test")
        .await
        .unwrap();
    let unlocked = b.get(&sso(&app)).await;
    assert_eq!(unlocked.status, 200, "{}", unlocked.body);
    assert!(unlocked.hidden("SAMLResponse").is_some());
    app.stop().await;
}
