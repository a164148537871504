//! Logging in to the citizen's user pages: password, SMS code once smsPASS is active, return paths,
//! log out, and the guards of the user pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::account::{account_login, account_login_default};
use common::*;

const PHONE: &str = "+38641222333";

#[tokio::test]
async fn password_login_reaches_account_page_and_logout_ends_it() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |_| {}).await;
        app.add_citizen("mojca", None).await;
        let b = app.browser();

        // Without a session the user pages send the browser to the login, and back afterwards.
        let r = b.get("/account").await;
        assert_eq!(r.status, 303);
        assert_eq!(
            r.location.as_deref(),
            Some("/account/login?next=%2Faccount")
        );

        let done = account_login_default(&app, &b, "mojca", None).await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(done.location.as_deref(), Some("/account"));
        assert!(app.sms().is_empty(), "no SMS for a citizen without smsPASS");

        let home = b.get("/account").await;
        assert_eq!(home.status, 200, "{}", home.body);
        assert!(home.body.contains("id=\"account-username\">mojca<"));
        assert!(home.body.contains("data-state=\"not_requested\""));

        // Log out: without the CSRF token refused, with it the session ends.
        let r = b.post("/account/logout", &[]).await;
        assert_eq!(r.status, 403);
        let r = b.post("/account/logout", &[("csrf_token", "forged")]).await;
        assert_eq!(r.status, 403);
        let r = b
            .post("/account/logout", &[("csrf_token", &home.csrf())])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(b.get("/account").await.status, 303);
        app.stop().await;
    }
}

#[tokio::test]
async fn active_smspass_asks_for_the_sms_code_too() {
    let app = TestApp::spawn(&[]).await;
    app.add_citizen("tone", Some(PHONE)).await;
    let b = app.browser();
    let done = account_login_default(&app, &b, "tone", Some(PHONE)).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/account"));
    let home = b.get("/account").await;
    assert!(home.body.contains("data-state=\"active\""), "{}", home.body);
    app.stop().await;
}

#[tokio::test]
async fn wrong_password_gives_no_session() {
    let app = TestApp::spawn(&[]).await;
    app.add_citizen("mojca", None).await;
    let b = app.browser();
    let r = account_login(
        &app,
        &b,
        "/account/login",
        "mojca",
        "Napacno-geslo-99",
        None,
    )
    .await;
    assert_eq!(r.status, 200, "the password page again with a message");
    assert_eq!(b.get("/account").await.status, 303);
    app.stop().await;
}

#[tokio::test]
async fn return_path_must_be_a_user_page() {
    let app = TestApp::spawn(&[]).await;
    app.add_citizen("mojca", None).await;
    for evil in [
        "https%3A%2F%2Fevil.example%2Faccount",
        "%2F%2Fevil.example",
        "%2Fsaml%2Fsso",
    ] {
        let b = app.browser();
        let r = account_login(
            &app,
            &b,
            &format!("/account/login?next={evil}"),
            "mojca",
            PASSWORD,
            None,
        )
        .await;
        assert_eq!(r.location.as_deref(), Some("/account"), "next={evil}");
    }
    let b = app.browser();
    let r = account_login(
        &app,
        &b,
        "/account/login?next=%2Faccount%2Fsomething",
        "mojca",
        PASSWORD,
        None,
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/account/something"));
    // With a session the login page goes straight on.
    let r = b.get("/account/login?next=%2Faccount").await;
    assert_eq!(r.location.as_deref(), Some("/account"));
    app.stop().await;
}

#[tokio::test]
async fn smspass_level_needs_an_active_smspass() {
    let app = TestApp::spawn(&[]).await;
    app.add_citizen("mojca", None).await;
    let b = app.browser();
    let done = account_login_default(&app, &b, "mojca", None).await;
    assert_eq!(done.location.as_deref(), Some("/account"));
    // A page that needs smsPASS: the password session is not enough; a step-up is offered, and
    // without an active smsPASS no code can be sent.
    let r = b.get("/account/login?level=smspass&next=%2Faccount").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/login"));
    let choose = b.get("/login").await;
    assert_eq!(choose.status, 200);
    let r = b
        .post("/login/otp/send", &[("csrf_token", &choose.csrf())])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(app.sms().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn staff_and_transaction_cookies_do_not_open_user_pages() {
    let app = TestApp::spawn(&[]).await;
    let b = app.browser();
    // A login transaction cookie alone (login started, not finished) is not a session.
    let r = b.get("/account/login").await;
    assert_eq!(r.status, 303);
    assert_eq!(b.get("/account").await.status, 303);
    // A forged session cookie neither.
    let r = app
        .browser()
        .client
        .get(format!("{}/account", app.base))
        .header("cookie", "pidp_sso=forged-token-value")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    app.stop().await;
}
