//! smsPASS activation, path A (registration office), over HTTP: the citizen starts, an officer checks
//! and approves, the code arrives by e-mail, code + phone + SMS code activate smsPASS, and an SSO login
//! with smsPASS succeeds. Plus the refusals: wrong / expired / reused codes, too many attempts, the
//! desk without the officer role.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::account::account_login_default;
use common::activation::*;
use common::sp::Req;
use common::staff::{add_staff, kinds, staff_login};
use common::*;

const PHONE: &str = "+38641555666";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_a_end_to_end_then_sso_login_with_smspass() {
    for backend in backends() {
        let sp = TestSp::new("eservice", false);
        let app = TestApp::spawn_with(backend, &[&sp], |_| {}).await;
        app.add_citizen("ana", None).await;
        let b = app.browser();
        let r = account_login_default(&app, &b, "ana", None).await;
        assert_eq!(r.location.as_deref(), Some("/account"), "{}", r.body);
        let home = b.get("/account").await;
        assert!(
            home.body.contains("data-state=\"not_requested\""),
            "{}",
            home.body
        );

        // Before activation an smsPASS login is refused (no SMS is sent).
        let reference = start_activation(&b).await;
        assert!(reference.starts_with("A-"));
        let home = b.get("/account").await;
        assert!(
            home.body.contains("data-state=\"requested\""),
            "{}",
            home.body
        );
        assert!(home.body.contains(&reference));
        let form = b.get("/account/activation/form").await;
        assert_eq!(form.status, 200);
        assert!(form.body.contains(&reference) && form.body.contains("Janez Novak"));

        // The officer finds the request by name and by reference, checks, records the signature, approves.
        let ob = officer(&app, "uradnik").await;
        let found = ob.get("/office?q=novak").await;
        assert_eq!(found.status, 200, "{}", found.body);
        assert!(found.body.contains(&reference), "{}", found.body);
        let found = ob
            .get(&format!("/office?q={}", reference.to_lowercase()))
            .await;
        assert!(found.body.contains(&reference));
        officer_approves(&ob, &reference).await;
        let code = mailed_code(&app, "ana@example.si");
        let home = b.get("/account").await;
        assert!(home.body.contains("data-state=\"code_issued\""));

        // Code + phone (national form) → an SMS code to that phone → confirm → active.
        let r = submit_code(&b, &code.to_lowercase(), "041 555 666").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("id=\"confirm-form\""), "{}", r.body);
        let otp = app.last_code(PHONE);
        let p = b.get("/account/activation").await;
        let r = b
            .post(
                "/account/activation/confirm",
                &[("csrf_token", &p.csrf()), ("otp", &otp)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("data-state=\"active\""), "{}", r.body);

        // The code cannot be used again.
        let r = submit_code(&b, &code, "041 777 888").await;
        assert!(r.body.contains("data-state=\"active\""));
        assert!(app.sms().iter().all(|(to, _)| to != "+38641777888"));

        // Usable in the SSO flow at once.
        let b2 = app.browser();
        let req = Req::new(&app.sso_url());
        let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
        let start = b2.get(&format!("/saml/sso?{q}")).await;
        let posted = full_login(&app, &b2, start, "ana", PHONE).await;
        assert_eq!(posted.acs_url, sp.acs_url);
        assert!(posted.xml().contains(pass_idp::domain::loa::SMSPASS));

        let k = kinds(&app).await;
        for kind in [
            "activation.requested",
            "activation.identity_checked",
            "activation.form_signed",
            "activation.code_issued",
            "activation.code_mailed",
            "activation.phone_code_sent",
            "smspass.activated",
        ] {
            assert!(k.contains(&kind.to_string()), "{kind} not audited: {k:?}");
        }
        app.stop().await;
    }
}

/// Citizen logged in, request approved by an officer; returns (citizen browser, officer browser, code).
async fn approved(app: &TestApp, user: &str) -> (Browser, Browser, String) {
    app.add_citizen(user, None).await;
    let b = app.browser();
    account_login_default(app, &b, user, None).await;
    let reference = start_activation(&b).await;
    let ob = officer(app, &format!("off{user}")).await;
    officer_approves(&ob, &reference).await;
    let code = mailed_code(app, &format!("{user}@example.si"));
    (b, ob, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_expired_and_exhausted_codes_are_refused() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |c| c.activation.code_max_attempts = 3).await;

        // Wrong code: refused, attempts counted; no SMS.
        let (b, _, code) = approved(&app, "bojan").await;
        let r = submit_code(&b, "AAAA-BBBB-CCCC", PHONE).await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("id=\"activation-msg\""), "{}", r.body);
        assert!(!r.body.contains("id=\"confirm-form\""));
        assert!(app.sms().iter().all(|(to, _)| to != PHONE));
        // A bad phone number costs no attempt.
        let r = submit_code(&b, &code, "12").await;
        assert!(!r.body.contains("id=\"confirm-form\""));
        // Two more wrong codes use up the attempts: then even the right one is refused.
        submit_code(&b, "AAAA-BBBB-CCCD", PHONE).await;
        submit_code(&b, "AAAA-BBBB-CCCE", PHONE).await;
        let r = submit_code(&b, &code, PHONE).await;
        assert!(!r.body.contains("id=\"confirm-form\""), "{}", r.body);
        assert!(app.sms().iter().all(|(to, _)| to != PHONE));
        let k = kinds(&app).await;
        assert_eq!(
            k.iter().filter(|x| *x == "activation.code_failed").count(),
            3
        );
        // With a void code the citizen may start a new request.
        let p = b.get("/account/activation").await;
        assert!(p.body.contains("id=\"start-form\""), "{}", p.body);

        // Expired code: refused after the TTL (30 days by default).
        let (_, _, code) = approved(&app, "cvetka").await;
        app.clock.advance(chrono::Duration::days(31));
        let b = app.browser();
        account_login_default(&app, &b, "cvetka", None).await;
        let r = submit_code(&b, &code, PHONE).await;
        assert!(!r.body.contains("id=\"confirm-form\""), "{}", r.body);
        assert!(app.sms().iter().all(|(to, _)| to != PHONE));
        let p = b.get("/account/activation").await;
        assert!(p.body.contains("id=\"start-form\""), "{}", p.body);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_is_for_officers_only() {
    let app = TestApp::spawn(&[]).await;
    app.add_citizen("dusan", None).await;
    let cb = app.browser();
    account_login_default(&app, &cb, "dusan", None).await;
    let reference = start_activation(&cb).await;
    let paths = [
        "/office".to_string(),
        format!("/office/requests/{reference}"),
    ];

    // Anonymous and citizens: to the staff login.
    for b in [app.browser(), cb] {
        for p in &paths {
            let r = b.get(p).await;
            assert_eq!(r.status, 303, "{p}");
            assert!(r.location.unwrap().starts_with("/staff/login?next="));
        }
        let r = b
            .post(
                &format!("/office/requests/{reference}/approve"),
                &[("csrf_token", "x")],
            )
            .await;
        assert_eq!(r.status, 303);
    }
    // Operators and auditors: 403, and nothing changes.
    for (user, role) in [("opera", "operator"), ("audit", "auditor")] {
        add_staff(&app, user, &[role]).await;
        let b = app.browser();
        staff_login(&app, &b, user, "/staff").await;
        let home = b.get("/staff").await;
        for p in &paths {
            assert_eq!(b.get(p).await.status, 403, "{role} {p}");
        }
        for action in ["identity", "signed", "approve", "reject", "smspass"] {
            let r = b
                .post(
                    &format!("/office/requests/{reference}/{action}"),
                    &[("csrf_token", &home.csrf()), ("reason", "x")],
                )
                .await;
            assert_eq!(r.status, 403, "{role} {action}");
        }
    }
    // An officer without the CSRF token: 403.
    let ob = officer(&app, "uradnica").await;
    let r = ob
        .post(&format!("/office/requests/{reference}/signed"), &[])
        .await;
    assert_eq!(r.status, 403);
    let r = ob.get(&format!("/office/requests/{reference}")).await;
    assert!(!r.body.contains("office.msg"));
    assert!(kinds(&app)
        .await
        .iter()
        .all(|k| k != "activation.form_signed" && k != "activation.code_issued"));
    app.stop().await;
}
