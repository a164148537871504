//! SMS limits against SMS pumping (`[sms.limits]`), counted in the database over all logins and
//! purposes: codes per phone per hour and per day, per client address per hour, per foreign
//! country per day; and codes only to `sms.allowed_country_codes`. Each limit is reached through
//! the pages: the page says why and from when, no SMS beyond the limit is written to the outbox,
//! and the audit trail records `sms.limited` with the limit. The hour window passes on the test
//! clock. Phones outside the allowed countries and premium-rate numbers are refused where entered.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::account::account_login_default;
use common::activation::{mailed_code, officer, officer_approves, start_activation, submit_code};
use common::journey::sso_password;
use common::sp::Req;
use common::staff::{add_staff, password_step, phone_of, STAFF_PW};
use common::*;
use pass_idp::config::{Config, SmsLimitsConfig};

const PHONE: &str = "+38641555777";

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

/// The page's message as the user reads it.
fn outcome(p: &Page) -> String {
    let d = scraper::Html::parse_document(&p.body);
    let s = scraper::Selector::parse("[role=alert]").unwrap();
    d.select(&s)
        .next()
        .map(|e| e.text().collect::<String>().trim().to_string())
        .unwrap_or_default()
}

/// The page gives the limit's message in `lang`, ending with the time to try again (HH:MM).
fn assert_limited(p: &Page, lang: &str, key: &str) {
    let text = outcome(p);
    assert!(
        text.starts_with(&catalog(lang, key)),
        "{key} ({lang}) expected, got {text:?}"
    );
    let re = regex::Regex::new(r" ([01][0-9]|2[0-3]):[0-5][0-9]$").unwrap();
    assert!(re.is_match(&text), "says when to try again: {text:?}");
}

/// The real limits (the test app raises them for tests of other things).
fn limits(cfg: &mut Config) {
    cfg.sms.limits = SmsLimitsConfig::default();
}

/// The `limit` of every `sms.limited` record, oldest first.
async fn limited(app: &TestApp) -> Vec<String> {
    let mut rows = app.services.ports.store.recent_audit(1000).await.unwrap();
    rows.reverse();
    rows.into_iter()
        .filter(|r| r.kind == "sms.limited")
        .map(|r| {
            let d: serde_json::Value = serde_json::from_str(&r.detail).unwrap();
            d["limit"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

fn sent_to(app: &TestApp, phone: &str) -> usize {
    app.sms().iter().filter(|(to, _)| to == phone).count()
}

/// "Send a new code" on the login's code page, after the resend interval.
async fn resend(app: &TestApp, b: &Browser) -> Page {
    app.clock.advance(chrono::Duration::seconds(31));
    let p = b.get("/login/otp").await;
    assert_eq!(p.status, 200, "{}", p.body);
    b.post("/login/otp/send", &[("csrf_token", &p.csrf())])
        .await
}

/// A login whose password step sends a code, then `resends` more codes; every one is sent.
async fn login_with_codes(app: &TestApp, sp: &TestSp, user: &str, resends: usize) -> Browser {
    let (b, r) = sso_password(app, sp, user).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/login/otp"),
        "{} after {} SMS, {:?}",
        outcome(&r),
        app.sms().len(),
        limited(app).await
    );
    for _ in 0..resends {
        let r = resend(app, &b).await;
        assert!(
            outcome(&r).starts_with(&catalog("sl", "otp.resent")),
            "{} after {} SMS, {:?}",
            outcome(&r),
            app.sms().len(),
            limited(app).await
        );
    }
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_to_one_phone_stop_at_six_an_hour_and_twenty_a_day() {
    for backend in backends() {
        let sp = TestSp::new("l", false);
        let app = TestApp::spawn_with(backend, &[&sp], limits).await;
        app.add_citizen("janez", Some(PHONE)).await;

        // Six codes over three logins (the first code of each and resends).
        login_with_codes(&app, &sp, "janez", 2).await;
        login_with_codes(&app, &sp, "janez", 1).await;
        let b = login_with_codes(&app, &sp, "janez", 0).await;
        assert_eq!(sent_to(&app, PHONE), 6);

        // The seventh: refused on the code page ("send a new code") ...
        let r = resend(&app, &b).await;
        assert_eq!(r.status, 200);
        assert_limited(&r, "sl", "sms.limited.phone");
        // ... and on the password page of a new login (in English too), which stays there.
        let (_, r) = sso_password(&app, &sp, "janez").await;
        assert_eq!(r.status, 200, "no redirect to the code page");
        assert_limited(&r, "sl", "sms.limited.phone");
        let en = app.browser();
        en.get("/lang?to=en&back=/").await;
        let r = account_login_default(&app, &en, "janez", None).await;
        assert_eq!(r.status, 200);
        assert_limited(&r, "en", "sms.limited.phone");
        assert_eq!(sent_to(&app, PHONE), 6, "no SMS beyond the limit");
        assert_eq!(limited(&app).await, vec!["phone_hour"; 3]);

        // An hour after the first code the window has room again; by the 21st code in a day the
        // daily limit holds.
        for hour in 1..=2 {
            app.clock.advance(chrono::Duration::minutes(60));
            login_with_codes(&app, &sp, "janez", 2).await;
            login_with_codes(&app, &sp, "janez", 2).await;
            assert_eq!(sent_to(&app, PHONE), 6 + hour * 6);
            let (_, r) = sso_password(&app, &sp, "janez").await;
            assert_limited(&r, "sl", "sms.limited.phone");
        }
        app.clock.advance(chrono::Duration::minutes(60));
        let b = login_with_codes(&app, &sp, "janez", 1).await;
        assert_eq!(sent_to(&app, PHONE), 20);
        let r = resend(&app, &b).await;
        assert_limited(&r, "sl", "sms.limited.phone");
        assert_eq!(sent_to(&app, PHONE), 20, "no 21st code in a day");
        let l = limited(&app).await;
        assert_eq!(l.last().map(String::as_str), Some("phone_day"), "{l:?}");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_codes_count_in_the_phone_limit_too() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |c| {
            limits(c);
            c.sms.limits.phone_per_hour = 2;
        })
        .await;
        add_staff(&app, "mojca", &["operator"]).await;
        let phone = phone_of("mojca");
        for _ in 0..2 {
            let b = app.browser();
            let r = password_step(&b, "", "mojca", STAFF_PW).await;
            assert_eq!(r.location.as_deref(), Some("/staff/login/otp"));
        }
        let b = app.browser();
        let r = password_step(&b, "", "mojca", STAFF_PW).await;
        assert_eq!(r.status, 200);
        assert_limited(&r, "sl", "sms.limited.phone");
        assert_eq!(sent_to(&app, &phone), 2);
        assert_eq!(limited(&app).await, vec!["phone_hour"]);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_address_is_limited_over_several_citizens() {
    for backend in backends() {
        let sp = TestSp::new("a", false);
        let app = TestApp::spawn_with(backend, &[&sp], |c| {
            limits(c);
            c.sms.limits.address_per_hour = 5;
        })
        .await;
        let phones = [
            "+38641000101",
            "+38641000102",
            "+38641000103",
            "+38641000104",
        ];
        for (i, p) in phones.iter().enumerate() {
            app.add_citizen(&format!("citizen{i}"), Some(p)).await;
        }
        login_with_codes(&app, &sp, "citizen0", 2).await;
        let b = login_with_codes(&app, &sp, "citizen1", 1).await;
        assert_eq!(app.sms().len(), 5);
        let r = resend(&app, &b).await;
        assert_limited(&r, "sl", "sms.limited.address");
        let (_, r) = sso_password(&app, &sp, "citizen2").await;
        assert_eq!(r.status, 200);
        assert_limited(&r, "sl", "sms.limited.address");
        assert_eq!(app.sms().len(), 5, "no SMS beyond the limit");
        assert_eq!(sent_to(&app, phones[2]), 0);
        assert_eq!(limited(&app).await, vec!["address_hour"; 2]);

        // The hour passes.
        app.clock.advance(chrono::Duration::minutes(60));
        login_with_codes(&app, &sp, "citizen3", 0).await;
        assert_eq!(sent_to(&app, phones[3]), 1);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_country_is_limited_for_all_its_numbers_together() {
    for backend in backends() {
        let sp = TestSp::new("c", false);
        let app = TestApp::spawn_with(backend, &[&sp], |c| {
            limits(c);
            c.sms.allowed_country_codes = vec!["386".into(), "49".into()];
            c.sms.limits.country_per_day = 3;
        })
        .await;
        let de = ["+4915112345671", "+4915112345672", "+4915112345673"];
        for (i, p) in de.iter().enumerate() {
            app.add_citizen(&format!("hans{i}"), Some(p)).await;
        }
        app.add_citizen("janez", Some(PHONE)).await;
        login_with_codes(&app, &sp, "hans0", 1).await;
        login_with_codes(&app, &sp, "hans1", 0).await;
        let (_, r) = sso_password(&app, &sp, "hans2").await;
        assert_eq!(r.status, 200);
        assert_limited(&r, "sl", "sms.limited.country_day");
        assert_eq!(sent_to(&app, de[2]), 0);
        assert_eq!(limited(&app).await, vec!["country_day"]);
        // Slovenian numbers are not counted in it.
        login_with_codes(&app, &sp, "janez", 0).await;
        // A day later there is room again.
        app.clock.advance(chrono::Duration::hours(24));
        login_with_codes(&app, &sp, "hans2", 0).await;
        assert_eq!(sent_to(&app, de[2]), 1);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_sends_to_one_phone_never_exceed_the_limit() {
    for backend in backends() {
        let sp = TestSp::new("p", false);
        let app = TestApp::spawn_with(backend, &[&sp], limits).await;
        app.add_citizen("janez", Some(PHONE)).await;
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (b, _) = {
                use pass_idp::clock::Clock;
                let b = app.browser();
                let mut r = Req::new(&app.sso_url());
                r.issue_instant = app.clock.now();
                let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
                assert_eq!(b.get(&format!("/saml/sso?{q}")).await.status, 303);
                (b, ())
            };
            let pw = b.get("/login/password").await;
            let csrf = pw.csrf();
            tasks.push(tokio::spawn(async move {
                b.post(
                    "/login/password",
                    &[
                        ("csrf_token", csrf.as_str()),
                        ("username", "janez"),
                        ("password", PASSWORD),
                    ],
                )
                .await
            }));
        }
        let mut to_code_page = 0;
        for t in tasks {
            let r = t.await.unwrap();
            assert!(r.status == 303 || r.status == 200, "{}", r.status);
            if r.status == 303 {
                to_code_page += 1;
            } else {
                assert_limited(&r, "sl", "sms.limited.phone");
            }
        }
        assert_eq!(sent_to(&app, PHONE), 6, "exactly the limit");
        assert_eq!(to_code_page, 6);
        assert_eq!(limited(&app).await.len(), 10);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_and_premium_numbers_are_refused_where_phones_are_entered() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], limits).await;
        // The command line and the desk (`user add --phone`, `set_citizen_phone`).
        let add = |phone: &str| {
            app.services.citizens.add_citizen(
                pass_idp::service::citizens::NewCitizenInput {
                    username: format!("u{}", phone.len()),
                    given_name: "Janez".into(),
                    family_name: "Novak".into(),
                    email: None,
                    phone: Some(phone.to_string()),
                    password: pass_idp::auth::Secret::new(PASSWORD),
                },
                "test",
            )
        };
        let e = add("+4915112345678").await.err().map(|e| e.to_string());
        assert!(
            e.as_deref().unwrap_or_default().contains("country"),
            "{e:?}"
        );
        let e = add("090 123 456").await.err().map(|e| e.to_string());
        assert!(
            e.as_deref().unwrap_or_default().contains("premium"),
            "{e:?}"
        );
        app.add_citizen("greta", None).await;
        let e = app
            .services
            .citizens
            .set_citizen_phone("greta", "089 123 456", "test")
            .await
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref().unwrap_or_default().contains("premium"),
            "{e:?}"
        );
        // A staff member's phone.
        let e = app
            .services
            .staff
            .add_staff(
                pass_idp::service::staff::NewStaffInput {
                    username: "tuji".into(),
                    display_name: "Staff tuji".into(),
                    phone: "+436641234567".into(),
                    roles: vec!["operator".into()],
                    password: pass_idp::auth::Secret::new(STAFF_PW),
                },
                "test",
            )
            .await
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref().unwrap_or_default().contains("country"),
            "{e:?}"
        );

        // The citizen's phone at activation: the page says why; no SMS.
        let b = app.browser();
        account_login_default(&app, &b, "greta", None).await;
        let reference = start_activation(&b).await;
        let ob = officer(&app, "urska").await;
        officer_approves(&ob, &reference).await;
        let code = mailed_code(&app, "greta@example.si");
        let before = app.sms().len();
        let r = submit_code(&b, &code, "+4915112345678").await;
        assert!(
            outcome(&r).starts_with(&catalog("sl", "phone.country_not_allowed")),
            "{}",
            outcome(&r)
        );
        let r = submit_code(&b, &code, "090 123 456").await;
        assert!(
            outcome(&r).starts_with(&catalog("sl", "phone.not_personal")),
            "{}",
            outcome(&r)
        );
        assert_eq!(app.sms().len(), before, "no SMS to a refused number");
        // A Slovenian mobile number goes on.
        let r = submit_code(&b, &code, "041 777 888").await;
        assert!(
            outcome(&r).starts_with(&catalog("sl", "activation.sms_sent")),
            "{}",
            outcome(&r)
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_count_is_race_free_when_many_nodes_send_at_once() {
    use pass_idp::clock::Clock;
    use pass_idp::storage::{SmsCounted, SmsQuota, SmsSendRecord};
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], limits).await;
        let now = app.clock.now().timestamp_millis();
        let quotas = [
            SmsQuota {
                counted: SmsCounted::Phone,
                window_ms: 3_600_000,
                max: 6,
            },
            SmsQuota {
                counted: SmsCounted::Address,
                window_ms: 3_600_000,
                max: 1000,
            },
        ];
        let mut tasks = Vec::new();
        for i in 0..40 {
            let store = app.services.ports.store.clone();
            tasks.push(tokio::spawn(async move {
                let rec = SmsSendRecord {
                    id: format!("race-{i}"),
                    phone: PHONE.into(),
                    country_code: "386".into(),
                    client_addr: Some(format!("192.0.2.{i}")),
                    sent_at: now,
                };
                store.sms_send_take(&rec, &quotas).await
            }));
        }
        let mut taken = 0;
        for t in tasks {
            match t
                .await
                .unwrap()
                .expect("no storage error under concurrency")
            {
                Ok(()) => taken += 1,
                Err(full) => {
                    assert_eq!(full.index, 0);
                    assert_eq!(full.until_ms, now + 3_600_000);
                }
            }
        }
        assert_eq!(taken, 6, "never more than the limit");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_number_of_a_country_no_longer_allowed_gets_no_code() {
    for backend in backends() {
        let sp = TestSp::new("d", false);
        let app = TestApp::spawn_with(backend, &[&sp], limits).await;
        app.add_citizen("hans", Some(PHONE)).await;
        // A number stored before `sms.allowed_country_codes` was narrowed (written past the
        // checks of the pages, as an older version or an import would have left it).
        let de = "+4915112345671";
        let c = app
            .services
            .citizens
            .citizen_by_username("hans")
            .await
            .unwrap();
        let phone = pass_idp::domain::ids::PhoneNumber::parse(de, "386").unwrap();
        let ev =
            pass_idp::audit::AuditEvent::new(pass_idp::audit::AuditKind::PhoneSet).actor("test");
        app.services
            .ports
            .store
            .set_phone(&c.id.0, &phone, app.services.ports.now_ms(), &ev)
            .await
            .unwrap();
        let (_, r) = sso_password(&app, &sp, "hans").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            outcome(&r).starts_with(&catalog("sl", "sms.limited.country")),
            "{}",
            outcome(&r)
        );
        assert_eq!(sent_to(&app, de), 0);
        assert!(app.sms().is_empty(), "no SMS at all: {:?}", app.sms());
        assert_eq!(limited(&app).await, vec!["country"]);
        app.stop().await;
    }
}
