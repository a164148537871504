//! Registration-office desk follow-ups: an activation code whose e-mail could not be sent (the officer
//! is told, and issues a new code that voids the old one), a new code for an expired one, and a name
//! search that ignores the case of Slovenian letters.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::account::account_login_default;
use common::activation::*;
use common::staff::kinds;
use common::*;

const PHONE: &str = "+38641555777";

async fn reissue(b: &Browser, reference: &str) -> Page {
    let page = format!("/office/requests/{reference}");
    let p = b.get(&page).await;
    b.post(&format!("{page}/reissue"), &[("csrf_token", &p.csrf())])
        .await
}

fn count(k: &[String], kind: &str) -> usize {
    k.iter().filter(|x| *x == kind).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsent_code_is_reported_and_a_new_code_voids_the_old_one() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |_| {}).await;
        app.add_citizen("mara", None).await;
        let b = app.browser();
        account_login_default(&app, &b, "mara", None).await;
        let reference = start_activation(&b).await;
        let ob = officer(&app, "uradnik").await;
        let page = format!("/office/requests/{reference}");

        // Before approval there is no code to replace: refused, nothing issued.
        let r = reissue(&ob, &reference).await;
        assert_eq!(r.location, Some(format!("{page}?msg=refused")));

        // The outbox folder cannot be created (a file is in its place): the e-mail fails.
        let outbox = app.dir.path().join("mail");
        assert!(!outbox.exists());
        std::fs::write(&outbox, b"not a folder").unwrap();
        let r = check_sign_approve(&ob, &reference).await;
        assert_eq!(r.location, Some(format!("{page}?msg=mail_failed")));
        let p = ob.get(&format!("{page}?msg=mail_failed")).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(
            p.body.contains("e-pošte ni bilo mogoče poslati"),
            "{}",
            p.body
        );
        assert!(p.body.contains("class=\"msg\""), "{}", p.body);
        assert!(p.body.contains("id=\"reissue-form\""), "{}", p.body);
        let k = kinds(&app).await;
        assert_eq!(count(&k, "activation.code_issued"), 1);
        assert_eq!(count(&k, "activation.code_mail_failed"), 1);
        assert_eq!(count(&k, "activation.code_mailed"), 0);
        let home = b.get("/account").await;
        assert!(home.body.contains("data-state=\"code_issued\""));

        // Still failing: a new code is issued, and the officer is told again.
        let r = reissue(&ob, &reference).await;
        assert_eq!(r.location, Some(format!("{page}?msg=mail_failed")));

        // Mail works again: a new code is issued and arrives.
        std::fs::remove_file(&outbox).unwrap();
        let r = reissue(&ob, &reference).await;
        assert_eq!(r.location, Some(format!("{page}?msg=reissued")));
        let first = mailed_code(&app, "mara@example.si");
        // The citizen starts with it (an SMS code goes out) ...
        let r = submit_code(&b, &first, "041 555 777").await;
        assert!(r.body.contains("id=\"confirm-form\""), "{}", r.body);
        let stale_otp = app.last_code(PHONE);

        // ... but says it was lost: the officer issues another; the first code and the SMS code it
        // opened no longer work. (A minute later, so the outbox lists the mails in order.)
        app.clock.advance(chrono::Duration::minutes(1));
        let r = reissue(&ob, &reference).await;
        assert_eq!(r.location, Some(format!("{page}?msg=reissued")));
        let second = mailed_code(&app, "mara@example.si");
        assert_ne!(first, second);
        assert_eq!(mails(&app).len(), 2);
        let p = b.get("/account/activation").await;
        let r = b
            .post(
                "/account/activation/confirm",
                &[("csrf_token", &p.csrf()), ("otp", &stale_otp)],
            )
            .await;
        assert!(!r.body.contains("data-state=\"active\""), "{}", r.body);
        let r = submit_code(&b, &first, "041 555 777").await;
        assert!(!r.body.contains("id=\"confirm-form\""), "{}", r.body);
        assert!(r.body.contains("id=\"activation-msg\""), "{}", r.body);

        // The newest code activates smsPASS.
        let r = submit_code(&b, &second, "041 555 777").await;
        assert!(r.body.contains("id=\"confirm-form\""), "{}", r.body);
        let otp = app.last_code(PHONE);
        assert_ne!(otp, stale_otp);
        let p = b.get("/account/activation").await;
        let r = b
            .post(
                "/account/activation/confirm",
                &[("csrf_token", &p.csrf()), ("otp", &otp)],
            )
            .await;
        assert!(r.body.contains("data-state=\"active\""), "{}", r.body);

        // A used code is not replaced.
        let p = ob.get(&page).await;
        assert!(!p.body.contains("id=\"reissue-form\""));
        let r = reissue(&ob, &reference).await;
        assert_eq!(r.location, Some(format!("{page}?msg=refused")));
        let k = kinds(&app).await;
        assert_eq!(count(&k, "activation.code_reissued"), 3);
        assert_eq!(count(&k, "activation.code_mail_failed"), 2);
        assert_eq!(count(&k, "activation.code_mailed"), 2);
        assert_eq!(mails(&app).len(), 2);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_code_is_replaced_by_a_new_one() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |_| {}).await;
        app.add_citizen("rok", None).await;
        let b = app.browser();
        account_login_default(&app, &b, "rok", None).await;
        let reference = start_activation(&b).await;
        let ob = officer(&app, "uradnica").await;
        officer_approves(&ob, &reference).await;
        let old = mailed_code(&app, "rok@example.si");

        app.clock.advance(chrono::Duration::days(31));
        let b = app.browser();
        account_login_default(&app, &b, "rok", None).await;
        let r = submit_code(&b, &old, "041 555 777").await;
        assert!(!r.body.contains("id=\"confirm-form\""), "{}", r.body);
        let page = format!("/office/requests/{reference}");
        let ob = officer(&app, "uradnica2").await;
        let p = ob.get(&page).await;
        assert!(p.body.contains("id=\"reissue-form\""), "{}", p.body);
        let r = reissue(&ob, &reference).await;
        assert_eq!(r.location, Some(format!("{page}?msg=reissued")));
        let new = mailed_code(&app, "rok@example.si");
        assert_ne!(old, new);
        let r = submit_code(&b, &new, "041 555 777").await;
        assert!(r.body.contains("id=\"confirm-form\""), "{}", r.body);
        app.stop().await;
    }
}
