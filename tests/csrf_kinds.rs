//! The one CSRF guard (`web::csrf`), across its kinds: in a browser that holds the cookies of every
//! kind at once, the token of one kind is refused (403, the form-expired message) on a form of
//! another kind, and accepted on its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::account::account_login;
use common::staff::{add_staff, staff_login};
use common::*;

const CSRF_SL: &str = "Obrazec ni veljaven ali je potekel.";

fn assert_refused(p: &Page, what: &str) {
    assert_eq!(p.status, 403, "{what}: {}", p.body);
    assert!(p.body.contains(CSRF_SL), "{what}: {}", p.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_one_kind_never_passes_as_another() {
    let app = TestApp::spawn(&[]).await;
    app.add_citizen("mojca", None).await;
    add_staff(&app, "ana", &["auditor"]).await;

    // One browser: a citizen session, the anonymous cookie, a login transaction.
    let b = app.browser();
    let done = account_login(&app, &b, "/account/login", "mojca", PASSWORD, None).await;
    assert_eq!(done.location.as_deref(), Some("/account"));
    let account = b.get("/account/password").await.csrf();
    let anonymous = b.get("/account/reset").await.csrf();
    let start = b.get("/account/login?level=smspass").await;
    assert_eq!(start.status, 303, "{}", start.body);
    let login = b.get(start.location.as_deref().unwrap()).await.csrf();

    assert_refused(
        &b.post("/account/logout", &[("csrf_token", &anonymous)])
            .await,
        "anonymous token, account form",
    );
    assert_refused(
        &b.post("/account/logout", &[("csrf_token", &login)]).await,
        "login token, account form",
    );
    assert_refused(
        &b.post(
            "/account/reset",
            &[("csrf_token", &account), ("who", "mojca")],
        )
        .await,
        "account token, anonymous form",
    );
    assert_refused(
        &b.post("/login/cancel", &[("csrf_token", &account)]).await,
        "account token, login form",
    );
    assert_refused(
        &b.post("/login/cancel", &[("csrf_token", &anonymous)]).await,
        "anonymous token, login form",
    );
    // Each on its own kind.
    let ok = b
        .post(
            "/account/reset",
            &[("csrf_token", &anonymous), ("who", "mojca")],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let ok = b.post("/login/cancel", &[("csrf_token", &login)]).await;
    assert_eq!(ok.status, 303, "{}", ok.body);

    // Staff: the session's token on the login transaction's form, and the other way round.
    let s = app.browser();
    let done = staff_login(&app, &s, "ana", "").await;
    assert_eq!(done.location.as_deref(), Some("/staff"));
    let session = s.get("/staff").await.csrf();
    let tx = s.get("/staff/login").await.csrf();
    assert_refused(
        &s.post(
            "/staff/login",
            &[
                ("csrf_token", &session),
                ("username", "ana"),
                ("password", common::staff::STAFF_PW),
            ],
        )
        .await,
        "staff session token, staff login form",
    );
    assert_refused(
        &s.post("/staff/logout", &[("csrf_token", &tx)]).await,
        "staff login token, staff session form",
    );
    let out = s.post("/staff/logout", &[("csrf_token", &session)]).await;
    assert_eq!(out.status, 303, "{}", out.body);
    app.stop().await;
}
