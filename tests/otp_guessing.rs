//! Guessing SMS codes across logins: wrong codes are counted per account in the database, whatever
//! the login or the code's purpose. After `[otp] account_max_failures` (10) wrong codes within the
//! window, even the right code is refused with a translated "try again in N min." message, no SAML
//! Response, staff session or smsPASS activation comes of it, and no new SMS is sent; the lock ends
//! after `lock_secs` (FixedClock) and a right code resets the count.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::account::account_login_default;
use common::activation::{mailed_code, officer, officer_approves, start_activation, submit_code};
use common::journey::sso_password;
use common::staff::{
    add_staff, kinds, password_step, phone_of, set_cookies, staff_login, STAFF_PW,
};
use common::*;

const PHONE: &str = "+38641555777";

/// A message of the catalog, as the pages show it.
fn catalog(lang: &str, key: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates/i18n")
        .join(format!("{lang}.json"));
    let m: std::collections::HashMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    m.get(key)
        .unwrap_or_else(|| panic!("{key} missing in {lang}"))
        .clone()
}

/// The page's message (error or confirmation) as the citizen reads it.
fn outcome(p: &Page) -> String {
    let d = scraper::Html::parse_document(&p.body);
    let s = scraper::Selector::parse("[role=alert]").unwrap();
    d.select(&s)
        .next()
        .map(|e| e.text().collect::<String>().trim().to_string())
        .unwrap_or_default()
}

/// The page says the account's codes are locked, in `lang`, with the minutes left.
fn assert_locked(p: &Page, lang: &str, minutes: i64) {
    let text = outcome(p);
    assert!(
        text.starts_with(&catalog(lang, "otp.locked")),
        "lock message ({lang}) expected, got {text:?}"
    );
    assert!(
        text.ends_with(&format!("{minutes} min.")),
        "says when to try again ({minutes} min.): {text:?}"
    );
}

fn wrong_for(code: &str) -> &'static str {
    if code == "000000" {
        "111111"
    } else {
        "000000"
    }
}

fn count(k: &[String], kind: &str) -> usize {
    k.iter().filter(|x| x.as_str() == kind).count()
}

async fn staff_code(b: &Browser, code: &str) -> Page {
    let p = b.get("/staff/login/otp").await;
    assert_eq!(p.status, 200, "{}", p.body);
    b.post(
        "/staff/login/otp",
        &[("csrf_token", &p.csrf()), ("otp", code)],
    )
    .await
}

async fn confirm_phone(b: &Browser, code: &str) -> Page {
    let p = b.get("/account/activation").await;
    b.post(
        "/account/activation/confirm",
        &[("csrf_token", &p.csrf()), ("otp", code)],
    )
    .await
}

async fn resend_phone(b: &Browser) -> Page {
    let p = b.get("/account/activation").await;
    b.post("/account/activation/resend", &[("csrf_token", &p.csrf())])
        .await
}

async fn post_code(b: &Browser, code: &str) -> Page {
    let p = b.get("/login/otp").await;
    assert_eq!(p.status, 200, "{}", p.body);
    b.post("/login/otp", &[("csrf_token", &p.csrf()), ("otp", code)])
        .await
}

/// Types `n` wrong codes into the login on `b`, asking for a new code after every third (the resend
/// interval is waited out on the clock). None of them may give a Response or say "locked".
async fn wrong_codes_without_lock(app: &TestApp, b: &Browser, n: usize) {
    for i in 0..n {
        if i > 0 && i % 3 == 0 {
            app.clock.advance(chrono::Duration::seconds(31));
            let p = b.get("/login/otp").await;
            let r = b
                .post("/login/otp/send", &[("csrf_token", &p.csrf())])
                .await;
            assert!(
                outcome(&r).starts_with(&catalog("sl", "otp.resent")),
                "{}",
                r.body
            );
        }
        let r = post_code(b, wrong_for(&app.last_code(PHONE))).await;
        assert!(Posted::from_page(&r).is_none());
        assert!(
            !outcome(&r).starts_with(&catalog("sl", "otp.locked")),
            "wrong code {} of {n} must not lock yet",
            i + 1
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_codes_guessed_over_ten_logins_lock_every_login_of_the_account() {
    for backend in backends() {
        let sp = TestSp::new("g", false);
        let app = TestApp::spawn_with(backend, &[&sp], |_| {}).await;
        app.add_citizen("janez", Some(PHONE)).await;

        // A login opened first whose right code is kept for after the lock.
        let (kept, r) = sso_password(&app, &sp, "janez").await;
        assert_eq!(r.location.as_deref(), Some("/login/otp"), "{}", r.body);
        let kept_code = app.last_code(PHONE);

        // Ten new logins, one wrong code each (each login's own caps are never reached).
        for i in 1..=10 {
            let (b, r) = sso_password(&app, &sp, "janez").await;
            assert_eq!(
                r.location.as_deref(),
                Some("/login/otp"),
                "login {i}: {}",
                r.body
            );
            let code = app.last_code(PHONE);
            let r = post_code(&b, wrong_for(&code)).await;
            assert_eq!(r.status, 200);
            assert!(Posted::from_page(&r).is_none());
            if i < 10 {
                assert!(
                    outcome(&r).starts_with(&catalog("sl", "otp.wrong")),
                    "login {i}: {}",
                    outcome(&r)
                );
            } else {
                assert_locked(&r, "sl", 15);
                // The right code of this very login is refused now.
                let r = post_code(&b, &code).await;
                assert_locked(&r, "sl", 15);
                assert!(Posted::from_page(&r).is_none(), "{}", r.body);
            }
        }

        // The right code of the login opened before: refused, no Response, no SSO session.
        let r = post_code(&kept, &kept_code).await;
        assert_eq!(r.status, 200);
        assert_locked(&r, "sl", 15);
        assert!(Posted::from_page(&r).is_none() && r.hidden("SAMLResponse").is_none());
        assert!(set_cookies(&r).iter().all(|c| !c.starts_with("pidp_sso=")));

        // A new login with the right password: no SMS is sent, the password page says why; asking
        // for a code on the code page sends none either.
        let sent = app.sms().len();
        let (b, r) = sso_password(&app, &sp, "janez").await;
        assert_eq!(r.status, 200, "no redirect to the code page");
        assert_locked(&r, "sl", 15);
        let p = b.get("/login/otp").await;
        let r = b
            .post("/login/otp/send", &[("csrf_token", &p.csrf())])
            .await;
        assert_locked(&r, "sl", 15);
        // The user pages' login shares the account's count.
        let ab = app.browser();
        let r = account_login_default(&app, &ab, "janez", None).await;
        assert_eq!(r.status, 200);
        assert_locked(&r, "sl", 15);
        assert_eq!(app.sms().len(), sent, "no SMS while the account is locked");

        // The minutes count down with the clock.
        app.clock.advance(chrono::Duration::minutes(10));
        let (_, r) = sso_password(&app, &sp, "janez").await;
        assert_locked(&r, "sl", 5);

        let k = kinds(&app).await;
        assert_eq!(count(&k, "otp.account_locked"), 1, "{k:?}");
        assert!(count(&k, "otp.lock_refused") >= 5, "{k:?}");

        // After the lock time the right code works again: a Response to the SP's ACS.
        app.clock.advance(chrono::Duration::minutes(6));
        let (b, r) = sso_password(&app, &sp, "janez").await;
        assert_eq!(r.location.as_deref(), Some("/login/otp"), "{}", r.body);
        let r = post_code(&b, &app.last_code(PHONE)).await;
        let posted = Posted::from_page(&r).unwrap_or_else(|| panic!("{}", r.body));
        assert_eq!(posted.acs_url, sp.acs_url);
        assert!(posted
            .xml()
            .contains(&format!("Destination=\"{}\"", sp.acs_url)));

        // A right code resets the count: 9 wrong, the right one (it would have been the 10th),
        // then 9 wrong again lock nothing; the 10th since the success does.
        let (b, _) = sso_password(&app, &sp, "janez").await;
        wrong_codes_without_lock(&app, &b, 9).await;
        let (b, _) = sso_password(&app, &sp, "janez").await;
        let r = post_code(&b, &app.last_code(PHONE)).await;
        assert!(Posted::from_page(&r).is_some(), "{}", r.body);
        let (b, _) = sso_password(&app, &sp, "janez").await;
        wrong_codes_without_lock(&app, &b, 9).await;
        let (b, _) = sso_password(&app, &sp, "janez").await;
        let r = post_code(&b, wrong_for(&app.last_code(PHONE))).await;
        assert_locked(&r, "sl", 15);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_codes_guessed_over_ten_logins_lock_the_staff_member() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |_| {}).await;
        add_staff(&app, "mojca", &["operator"]).await;
        let phone = phone_of("mojca");

        let kept = app.browser();
        kept.get("/lang?to=en&back=/").await;
        let r = password_step(&kept, "", "mojca", STAFF_PW).await;
        assert_eq!(r.location.as_deref(), Some("/staff/login/otp"));
        let kept_code = app.last_code(&phone);

        for i in 1..=10 {
            let b = app.browser();
            let r = password_step(&b, "", "mojca", STAFF_PW).await;
            assert_eq!(r.location.as_deref(), Some("/staff/login/otp"), "login {i}");
            let code = app.last_code(&phone);
            let r = staff_code(&b, wrong_for(&code)).await;
            assert_eq!(r.status, 200, "login {i}");
            assert!(set_cookies(&r)
                .iter()
                .all(|c| !c.starts_with("pidp_staff=")));
            if i < 10 {
                assert!(outcome(&r).starts_with(&catalog("sl", "otp.wrong")));
            } else {
                assert_locked(&r, "sl", 15);
            }
        }
        // The right code (English page): refused with the English message, no staff session.
        let r = staff_code(&kept, &kept_code).await;
        assert_eq!(r.status, 200, "no redirect into the staff area");
        assert_locked(&r, "en", 15);
        assert!(set_cookies(&r)
            .iter()
            .all(|c| !c.starts_with("pidp_staff=")));
        assert_eq!(kept.get("/staff").await.status, 303, "not logged in");

        // Password step: no SMS, the reason on the page; "send a new code" sends none either.
        let sent = app.sms().len();
        let b = app.browser();
        let r = password_step(&b, "", "mojca", STAFF_PW).await;
        assert_eq!(r.status, 200);
        assert_locked(&r, "sl", 15);
        let p = b.get("/staff/login/otp").await;
        let r = b
            .post("/staff/login/otp/send", &[("csrf_token", &p.csrf())])
            .await;
        assert_locked(&r, "sl", 15);
        assert_eq!(app.sms().len(), sent);
        let k = kinds(&app).await;
        assert_eq!(count(&k, "otp.account_locked"), 1, "{k:?}");

        // The lock ends; a right code logs in and resets the count.
        app.clock.advance(chrono::Duration::minutes(16));
        let b = app.browser();
        let done = staff_login(&app, &b, "mojca", "").await;
        assert_eq!(done.location.as_deref(), Some("/staff"));
        for i in 1..=9 {
            let b = app.browser();
            password_step(&b, "", "mojca", STAFF_PW).await;
            let r = staff_code(&b, wrong_for(&app.last_code(&phone))).await;
            assert!(
                outcome(&r).starts_with(&catalog("sl", "otp.wrong")),
                "wrong code {i} after a success: {}",
                outcome(&r)
            );
        }
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_phone_proof_shares_the_citizens_limit() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |_| {}).await;
        app.add_citizen("greta", None).await;
        let b = app.browser();
        account_login_default(&app, &b, "greta", None).await;
        let reference = start_activation(&b).await;
        let ob = officer(&app, "urska").await;
        officer_approves(&ob, &reference).await;
        let code = mailed_code(&app, "greta@example.si");
        let r = submit_code(&b, &code, PHONE).await;
        assert!(r.body.contains("id=\"confirm-form\""), "{}", r.body);

        // 3 codes × 3 wrong entries = 9: within the per-code caps, not locked.
        for i in 0..9 {
            if i > 0 && i % 3 == 0 {
                app.clock.advance(chrono::Duration::seconds(31));
                let r = resend_phone(&b).await;
                assert!(
                    outcome(&r).starts_with(&catalog("sl", "otp.resent")),
                    "{}",
                    r.body
                );
            }
            let r = confirm_phone(&b, wrong_for(&app.last_code(PHONE))).await;
            assert!(
                !outcome(&r).starts_with(&catalog("sl", "otp.locked")),
                "{i}"
            );
        }
        // The activation code opens a fresh verification; its first wrong code is the 10th.
        let r = submit_code(&b, &code, PHONE).await;
        assert!(r.body.contains("id=\"confirm-form\""), "{}", r.body);
        let right = app.last_code(PHONE);
        let r = confirm_phone(&b, wrong_for(&right)).await;
        assert_locked(&r, "sl", 15);
        // Even the right code is refused; smsPASS stays inactive.
        let r = confirm_phone(&b, &right).await;
        assert_locked(&r, "sl", 15);
        let c = app
            .services
            .citizens
            .citizen_by_username("greta")
            .await
            .unwrap();
        assert_eq!(c.smspass.code(), "code_issued");
        // No new code is sent: neither "send again" nor the activation code again.
        let sent = app.sms().len();
        assert_locked(&resend_phone(&b).await, "sl", 15);
        assert_locked(&submit_code(&b, &code, PHONE).await, "sl", 15);
        assert_eq!(app.sms().len(), sent);

        // After the lock the activation code (not spent meanwhile) and a right code activate.
        app.clock.advance(chrono::Duration::minutes(16));
        let r = submit_code(&b, &code, PHONE).await;
        assert!(r.body.contains("id=\"confirm-form\""), "{}", r.body);
        let r = confirm_phone(&b, &app.last_code(PHONE)).await;
        assert!(
            outcome(&r).starts_with(&catalog("sl", "activation.done")),
            "{}",
            r.body
        );
        let c = app
            .services
            .citizens
            .citizen_by_username("greta")
            .await
            .unwrap();
        assert_eq!(c.smspass.code(), "active");
        let k = kinds(&app).await;
        assert_eq!(count(&k, "otp.account_locked"), 1, "{k:?}");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_from_many_logins_never_exceed_the_limit() {
    for backend in backends() {
        let sp = TestSp::new("p", false);
        let app = TestApp::spawn_with(backend, &[&sp], |c| c.otp.account_max_failures = 4).await;
        app.add_citizen("janez", Some(PHONE)).await;
        // Three logins: 3 codes × 3 attempts = 9 guesses their own caps would allow.
        let mut logins = Vec::new();
        for _ in 0..3 {
            let (b, r) = sso_password(&app, &sp, "janez").await;
            assert_eq!(r.location.as_deref(), Some("/login/otp"));
            let code = app.last_code(PHONE);
            let csrf = b.get("/login/otp").await.csrf();
            logins.push((b, code, csrf));
        }
        let mut tasks = Vec::new();
        for (b, code, csrf) in &logins {
            for _ in 0..3 {
                let client = b.client.clone();
                let url = format!("{}/login/otp", app.base);
                let form = vec![
                    ("csrf_token".to_string(), csrf.clone()),
                    ("otp".to_string(), wrong_for(code).to_string()),
                ];
                tasks.push(tokio::spawn(async move {
                    let r = client.post(url).form(&form).send().await.unwrap();
                    (r.status().as_u16(), r.text().await.unwrap())
                }));
            }
        }
        for t in tasks {
            let (status, body) = t.await.unwrap();
            assert_eq!(status, 200, "{body}");
            assert!(!body.contains("SAMLResponse"));
        }
        let k = kinds(&app).await;
        let compared = count(&k, "otp.failed") + count(&k, "otp.voided");
        assert_eq!(compared, 4, "exactly the limit was compared: {k:?}");
        assert_eq!(count(&k, "otp.account_locked"), 1, "{k:?}");
        // Every login's right code is refused now.
        for (b, code, _) in &logins {
            let r = post_code(b, code).await;
            assert_locked(&r, "sl", 15);
            assert!(Posted::from_page(&r).is_none());
        }
        app.stop().await;
    }
}
