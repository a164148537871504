//! smsPASS after activation and around it: change of phone (needs an smsPASS login), suspend / resume
//! by the citizen, rejection, revocation and re-activation by an officer, and path B (qualified
//! certificate: identity verified at once, the code issued for a letter).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::account::account_login_default;
use common::activation::*;
use common::staff::kinds;
use common::*;

const OLD: &str = "+38641100200";
const NEW: &str = "+38631300400";

async fn citizen(app: &TestApp, user: &str) -> pass_idp::domain::citizen::Citizen {
    app.services
        .citizens
        .citizen_by_username(user)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_change_needs_an_smspass_login_and_the_new_number() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |_| {}).await;
        app.add_citizen("eva", None).await;

        // A password-level session (made before smsPASS was active) is sent to the smsPASS login, for
        // the page and for the form posts, and no SMS goes out.
        let pw_only = app.browser();
        let r = account_login_default(&app, &pw_only, "eva", None).await;
        assert_eq!(r.location.as_deref(), Some("/account"), "{}", r.body);
        app.services
            .citizens
            .set_citizen_phone("eva", OLD, "test")
            .await
            .unwrap();
        let c = citizen(&app, "eva").await;
        let home = pw_only.get("/account").await;
        assert_eq!(home.status, 200);
        let r = pw_only.get("/account/phone").await;
        assert_eq!(r.status, 303);
        assert_eq!(
            r.location.as_deref(),
            Some("/account/login?next=%2Faccount%2Fphone&level=smspass")
        );
        for (path, form) in [
            (
                "/account/phone",
                vec![("csrf_token", home.csrf()), ("phone", NEW.to_string())],
            ),
            (
                "/account/phone/confirm",
                vec![("csrf_token", home.csrf()), ("otp", "123456".to_string())],
            ),
        ] {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = pw_only.post(path, &form).await;
            assert_eq!(r.status, 303, "{path}");
            assert!(r.location.unwrap().contains("level=smspass"));
        }
        assert!(app.sms().iter().all(|(to, _)| to != NEW));

        // With an smsPASS login: a code goes to the NEW number; confirming switches the login phone.
        let b = app.browser();
        let r = account_login_default(&app, &b, "eva", Some(OLD)).await;
        assert_eq!(r.location.as_deref(), Some("/account"), "{}", r.body);
        let p = b.get("/account/phone").await;
        assert_eq!(p.status, 200, "{}", p.body);
        let r = b
            .post(
                "/account/phone",
                &[("csrf_token", &p.csrf()), ("phone", "031 300 400")],
            )
            .await;
        assert!(r.body.contains("id=\"confirm-form\""), "{}", r.body);
        let code = app.last_code(NEW);
        // A wrong code changes nothing.
        let r = b
            .post(
                "/account/phone/confirm",
                &[("csrf_token", &p.csrf()), ("otp", "000000")],
            )
            .await;
        assert!(r.body.contains("id=\"phone-msg\""));
        assert_eq!(
            citizen(&app, "eva")
                .await
                .smspass
                .login_phone()
                .map(|p| p.as_str().to_string()),
            Some(OLD.to_string())
        );
        let r = b
            .post(
                "/account/phone/confirm",
                &[("csrf_token", &p.csrf()), ("otp", &code)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            citizen(&app, "eva")
                .await
                .smspass
                .login_phone()
                .map(|p| p.as_str().to_string()),
            Some(NEW.to_string())
        );
        // The next login's code goes to the new number.
        let b3 = app.browser();
        let r = account_login_default(&app, &b3, "eva", Some(NEW)).await;
        assert_eq!(r.location.as_deref(), Some("/account"), "{}", r.body);
        assert!(kinds(&app)
            .await
            .contains(&"smspass.phone_changed".to_string()));
        assert_eq!(c.smspass.code(), "active");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_suspends_and_resumes() {
    let app = TestApp::spawn(&[]).await;
    app.add_citizen("franc", Some(OLD)).await;
    let b = app.browser();
    account_login_default(&app, &b, "franc", Some(OLD)).await;
    let p = b.get("/account/activation").await;
    assert!(p.body.contains("id=\"suspend-form\""), "{}", p.body);
    let r = b
        .post("/account/smspass/suspend", &[("csrf_token", "forged")])
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post("/account/smspass/suspend", &[("csrf_token", &p.csrf())])
        .await;
    assert_eq!(r.status, 303);
    let c = citizen(&app, "franc").await;
    assert_eq!(c.smspass.code(), "suspended");
    assert!(
        c.smspass.login_phone().is_none(),
        "no login codes while suspended"
    );
    assert_eq!(
        c.smspass.phone().map(|p| p.as_str()),
        Some(OLD),
        "phone kept"
    );
    // Resuming twice: the second is refused by the state machine.
    let r = b
        .post("/account/smspass/resume", &[("csrf_token", &p.csrf())])
        .await;
    assert_eq!(r.status, 303);
    let r = b
        .post("/account/smspass/resume", &[("csrf_token", &p.csrf())])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(citizen(&app, "franc").await.smspass.code(), "active");
    let k = kinds(&app).await;
    assert!(
        k.contains(&"smspass.suspended".to_string()) && k.contains(&"smspass.resumed".to_string())
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officer_rejects_revokes_and_citizen_reactivates() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |_| {}).await;
        app.add_citizen("greta", None).await;
        let b = app.browser();
        account_login_default(&app, &b, "greta", None).await;
        let reference = start_activation(&b).await;
        let ob = officer(&app, "urska").await;
        let page = format!("/office/requests/{reference}");

        // Approval before the check and the signature is refused.
        let p = ob.get(&page).await;
        let r = ob
            .post(&format!("{page}/approve"), &[("csrf_token", &p.csrf())])
            .await;
        assert_eq!(r.location, Some(format!("{page}?msg=refused")));
        // An expired document is refused.
        let r = ob
            .post(
                &format!("{page}/identity"),
                &[
                    ("csrf_token", &p.csrf()),
                    ("document_type", "passport"),
                    ("document_number", "PA123"),
                    ("document_expiry", "2001-01-01"),
                    ("office", "UE Maribor"),
                ],
            )
            .await;
        assert_eq!(r.location, Some(format!("{page}?msg=refused")));
        // Rejection needs a reason; the citizen sees it and may file a new request.
        let r = ob
            .post(
                &format!("{page}/reject"),
                &[("csrf_token", &p.csrf()), ("reason", " ")],
            )
            .await;
        assert_eq!(r.location, Some(format!("{page}?msg=refused")));
        let r = ob
            .post(
                &format!("{page}/reject"),
                &[
                    ("csrf_token", &p.csrf()),
                    ("reason", "Dokument ni bil predložen"),
                ],
            )
            .await;
        assert_eq!(r.location, Some(format!("{page}?msg=rejected")));
        let home = b.get("/account").await;
        assert!(home.body.contains("data-state=\"not_requested\""));
        assert!(
            home.body.contains("Dokument ni bil predložen"),
            "{}",
            home.body
        );

        // A new request goes all the way; then the officer revokes; the citizen can ask again.
        let reference2 = start_activation(&b).await;
        assert_ne!(reference, reference2);
        officer_approves(&ob, &reference2).await;
        let code = mailed_code(&app, "greta@example.si");
        submit_code(&b, &code, OLD).await;
        let p = b.get("/account/activation").await;
        b.post(
            "/account/activation/confirm",
            &[("csrf_token", &p.csrf()), ("otp", &app.last_code(OLD))],
        )
        .await;
        assert_eq!(citizen(&app, "greta").await.smspass.code(), "active");
        let page2 = format!("/office/requests/{reference2}");
        let p = ob.get(&page2).await;
        assert!(p.body.contains("name=\"action\" value=\"revoke\""));
        let r = ob
            .post(
                &format!("{page2}/smspass"),
                &[
                    ("csrf_token", &p.csrf()),
                    ("action", "revoke"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(
            r.location,
            Some(format!("{page2}?msg=refused")),
            "revocation needs a reason"
        );
        let r = ob
            .post(
                &format!("{page2}/smspass"),
                &[
                    ("csrf_token", &p.csrf()),
                    ("action", "revoke"),
                    ("reason", "Izguba telefona"),
                ],
            )
            .await;
        assert_eq!(r.location, Some(format!("{page2}?msg=revoke")));
        let c = citizen(&app, "greta").await;
        assert_eq!(c.smspass.code(), "revoked");
        assert!(c.smspass.phone().is_none());
        // The old code stays dead; a new request starts re-activation.
        let r = submit_code(&b, &code, OLD).await;
        assert!(!r.body.contains("id=\"confirm-form\""));
        let reference3 = start_activation(&b).await;
        assert!(reference3.starts_with("A-") && reference3 != reference2);
        let k = kinds(&app).await;
        assert!(
            k.contains(&"activation.rejected".to_string())
                && k.contains(&"smspass.revoked".to_string())
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_b_verifies_identity_at_once_and_issues_a_letter_code() {
    let app = TestApp::spawn(&[]).await;
    app.add_citizen("hana", None).await;
    let c = citizen(&app, "hana").await;
    let refused = app
        .services
        .activation
        .start_activation_with_certificate(&c, false, "sl", None)
        .await;
    assert!(refused.is_err());
    assert_eq!(citizen(&app, "hana").await.smspass.code(), "not_requested");
    let req = app
        .services
        .activation
        .start_activation_with_certificate(&c, true, "sl", None)
        .await
        .unwrap();
    assert!(req.reference.starts_with("B-"));
    assert_eq!(
        citizen(&app, "hana").await.smspass.code(),
        "identity_verified"
    );
    // Path B requests are not approved at the desk.
    let ob = officer(&app, "vesna").await;
    let p = ob.get(&format!("/office/requests/{}", req.reference)).await;
    assert!(!p.body.contains("/approve\""), "{}", p.body);
    let code = app
        .services
        .activation
        .issue_letter_code(&req.id)
        .await
        .unwrap();
    assert_eq!(citizen(&app, "hana").await.smspass.code(), "code_issued");
    assert!(
        app.services
            .activation
            .issue_letter_code(&req.id)
            .await
            .is_err(),
        "one code per request"
    );
    // The letter's code activates like the e-mailed one.
    let b = app.browser();
    account_login_default(&app, &b, "hana", None).await;
    let r = submit_code(&b, code.expose(), OLD).await;
    assert!(r.body.contains("id=\"confirm-form\""), "{}", r.body);
    let p = b.get("/account/activation").await;
    b.post(
        "/account/activation/confirm",
        &[("csrf_token", &p.csrf()), ("otp", &app.last_code(OLD))],
    )
    .await;
    assert_eq!(citizen(&app, "hana").await.smspass.code(), "active");
    app.stop().await;
}
