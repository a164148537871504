//! Path A as a new citizen lives it, over HTTP pages only: register → verify the e-mail by the link
//! that arrives over real SMTP → log in → start activation → an officer logs in, checks the identity,
//! records the signature and approves → the activation code arrives over real SMTP → code + phone →
//! SMS code → an SSO login to an e-service with smsPASS succeeds. No account is made behind the
//! pages' back, and nothing is read from the .eml outbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::account::{account_login, confirm_email};
use common::activation::{mails, officer, officer_approves, start_activation};
use common::journey::*;
use common::smtp::SmtpSink;
use common::sp::Req;
use common::staff::kinds;
use common::*;

const USER: &str = "Nina.Zupan";
const PW: &str = "Planika-na-Triglavu-8";
const EMAIL: &str = "nina.zupan@example.si";
const PHONE: &str = "+38631222333";

/// An SSO login attempt before smsPASS is active: the password step does not lead to an SMS code.
async fn sso_refused_before_activation(app: &TestApp, sp: &TestSp) {
    let sent_before = app.sms().iter().filter(|(to, _)| to == PHONE).count();
    let b = app.browser();
    let req = Req::new(&app.sso_url());
    let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
    let start = b.get(&format!("/saml/sso?{q}")).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let pw = b.get("/login/password").await;
    let r = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &pw.csrf()),
                ("username", USER),
                ("password", PW),
            ],
        )
        .await;
    assert_ne!(r.location.as_deref(), Some("/login/otp"), "{}", r.body);
    assert!(Posted::from_page(&r).is_none(), "{}", r.body);
    let sent_after = app.sms().iter().filter(|(to, _)| to == PHONE).count();
    assert_eq!(
        sent_before, sent_after,
        "no SMS code for an inactive smsPASS"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_citizen_path_a_over_real_smtp_then_sso_with_smspass() {
    for backend in backends() {
        let smtp = SmtpSink::start();
        let sp = TestSp::new("eservice", false);
        let app = TestApp::spawn_with(backend, &[&sp], |c| smtp.configure(c)).await;
        let b = app.browser();

        // 1. Register on the page; the verification link comes by SMTP.
        let r = register(&b, USER, PW, "Nina", "Zupan", EMAIL).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(outcome(&r).contains(EMAIL), "{}", r.body);
        let verify = mail_to(&smtp, EMAIL, "Potrdite svoj e-naslov").await;
        assert!(verify.body.contains("Nina"), "{}", verify.body);
        let link = link_in(&verify, "/account/verify");

        // 2. Open the link and confirm: the address is confirmed.
        let v = confirm_email(&b, &link).await;
        assert_eq!(v.status, 200, "{}", v.body);
        assert!(outcome(&v).contains("potrjen"), "{}", v.body);

        // 3. Log in to the user pages with the chosen password (the username as typed, any case).
        let r = account_login(&app, &b, "/account/login", "nina.zupan", PW, None).await;
        assert_eq!(r.location.as_deref(), Some("/account"), "{}", r.body);
        let home = b.get("/account").await;
        assert!(
            home.body.contains("data-verified=\"true\""),
            "{}",
            home.body
        );
        assert!(
            home.body.contains("data-state=\"not_requested\""),
            "{}",
            home.body
        );
        sso_refused_before_activation(&app, &sp).await;

        // 4. Start activation (path A): a reference to take to the registration office.
        let reference = start_activation(&b).await;
        assert!(reference.starts_with("A-"), "{reference}");
        let home = b.get("/account").await;
        assert!(
            home.body.contains("data-state=\"requested\""),
            "{}",
            home.body
        );
        let form = b.get("/account/activation/form").await;
        assert_eq!(form.status, 200);
        assert!(form.body.contains(&reference) && form.body.contains("Nina Zupan"));

        // 5. The officer logs in (password + SMS code), finds the request by the citizen's name,
        //    records the identity check and the signature, and approves.
        let ob = officer(&app, "uradnica").await;
        let found = ob.get("/office?q=zupan").await;
        assert_eq!(found.status, 200, "{}", found.body);
        assert!(found.body.contains(&reference), "{}", found.body);
        officer_approves(&ob, &reference).await;

        // 6. The activation code arrives by SMTP (the .eml outbox stays empty).
        let mail = mail_to(&smtp, EMAIL, "Vaša aktivacijska koda za smsPASS").await;
        assert!(mail.body.contains(&reference), "{}", mail.body);
        let code = code_in(&mail);
        assert!(mails(&app).is_empty(), "nothing goes to the .eml outbox");
        let home = b.get("/account").await;
        assert!(
            home.body.contains("data-state=\"code_issued\""),
            "{}",
            home.body
        );
        sso_refused_before_activation(&app, &sp).await;

        // 7. Code + phone (national form) → SMS code → confirm: smsPASS is active.
        let done = activate_with_code(&app, &b, &code, "031 222 333", PHONE).await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(done.body.contains("data-state=\"active\""), "{}", done.body);

        // 8. An SSO login to the e-service with smsPASS succeeds, and the e-service accepts it.
        let (req, posted) = sso_login(&app, &sp, USER, PW, PHONE).await;
        assert_eq!(posted.acs_url, sp.acs_url);
        let xml = posted.xml();
        assert!(xml.contains(pass_idp::domain::loa::SMSPASS), "{xml}");
        assert!(
            xml.contains(&format!("InResponseTo=\"{}\"", req.id)),
            "{xml}"
        );
        let md = app.idp_metadata().await;
        sp.samael_accepts(&md, &posted.saml_response, &req.id)
            .unwrap_or_else(|e| panic!("the e-service refuses the Response: {e}"));

        // Every step left its audit record.
        let k = kinds(&app).await;
        for kind in [
            "citizen.created",
            "citizen.email_verification_sent",
            "citizen.email_verified",
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

/// The same journey with mistakes: a mistyped activation code and a wrong SMS code do not activate
/// smsPASS (no SMS for the wrong code, no SSO login meanwhile); the right ones then do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_citizen_with_a_wrong_code_stays_inactive() {
    let smtp = SmtpSink::start();
    let sp = TestSp::new("eservice", false);
    let app = TestApp::spawn_with(Backend::Sqlite, &[&sp], |c| smtp.configure(c)).await;
    let b = app.browser();
    register(&b, USER, PW, "Nina", "Zupan", EMAIL).await;
    let link = link_in(
        &mail_to(&smtp, EMAIL, "Potrdite svoj e-naslov").await,
        "/account/verify",
    );
    assert!(outcome(&confirm_email(&b, &link).await).contains("potrjen"));
    account_login(&app, &b, "/account/login", USER, PW, None).await;
    let reference = start_activation(&b).await;
    let ob = officer(&app, "uradnik").await;
    officer_approves(&ob, &reference).await;
    let code = code_in(&mail_to(&smtp, EMAIL, "Vaša aktivacijska koda za smsPASS").await);

    // One character changed: refused, no SMS, still waiting for the code.
    let mut wrong: Vec<char> = code.chars().collect();
    wrong[0] = if wrong[0] == 'A' { 'B' } else { 'A' };
    let wrong: String = wrong.into_iter().collect();
    let r = common::activation::submit_code(&b, &wrong, "031 222 333").await;
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("id=\"confirm-form\""), "{}", r.body);
    assert!(app.sms().iter().all(|(to, _)| to != PHONE));
    let home = b.get("/account").await;
    assert!(
        home.body.contains("data-state=\"code_issued\""),
        "{}",
        home.body
    );
    sso_refused_before_activation(&app, &sp).await;

    // A wrong SMS code does not activate either; the right one then does.
    let r = common::activation::submit_code(&b, &code, "031 222 333").await;
    assert!(r.body.contains("id=\"confirm-form\""), "{}", r.body);
    let right = app.last_code(PHONE);
    let bad = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let p = b.get("/account/activation").await;
    let r = b
        .post(
            "/account/activation/confirm",
            &[("csrf_token", &p.csrf()), ("otp", bad)],
        )
        .await;
    assert!(!r.body.contains("data-state=\"active\""), "{}", r.body);
    sso_refused_before_activation(&app, &sp).await;
    let p = b.get("/account/activation").await;
    let r = b
        .post(
            "/account/activation/confirm",
            &[("csrf_token", &p.csrf()), ("otp", &right)],
        )
        .await;
    assert!(r.body.contains("data-state=\"active\""), "{}", r.body);
    let (_, posted) = sso_login(&app, &sp, USER, PW, PHONE).await;
    assert!(posted.xml().contains(pass_idp::domain::loa::SMSPASS));
    app.stop().await;
}
