//! The citizen's own account pages: registration, e-mail verification, password change and reset.
//! Mails go by real SMTP to a local aiosmtpd server (tests/common/smtp.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::account::{account_login, confirm_email};
use common::smtp::{ReceivedMail, SmtpSink};
use common::*;

const NEW_PW: &str = "Kozolec-v-megli-7-jabolk";
const OTHER_PW: &str = "Lipov-cvet-na-Krasu-19";

async fn spawn(backend: Backend, smtp: &SmtpSink) -> TestApp {
    TestApp::spawn_with(backend, &[], |c| smtp.configure(c)).await
}

async fn register(b: &Browser, username: &str, password: &str, email: &str) -> Page {
    let p = b.get("/account/register").await;
    assert_eq!(p.status, 200, "{}", p.body);
    b.post(
        "/account/register",
        &[
            ("csrf_token", &p.csrf()),
            ("username", username),
            ("password", password),
            ("password_repeat", password),
            ("given_name", "Mojca"),
            ("family_name", "Kranjc"),
            ("email", email),
            ("street", "Trubarjeva cesta 5"),
            ("postcode", "1000"),
            ("city", "Ljubljana"),
        ],
    )
    .await
}

/// The link to `path` in a mail body (absolute URL).
fn link_in(mail: &ReceivedMail, path: &str) -> String {
    let re = regex::Regex::new(&format!(
        r"http://127\.0\.0\.1:\d+{}\?token=[A-Za-z0-9_-]{{43}}",
        regex::escape(path)
    ))
    .unwrap();
    re.find(&mail.body)
        .unwrap_or_else(|| panic!("no {path} link in: {}", mail.body))
        .as_str()
        .to_string()
}

/// The text of the page's outcome paragraph (`#outcome`), or of the error message.
fn outcome(p: &Page) -> String {
    let d = scraper::Html::parse_document(&p.body);
    let s = scraper::Selector::parse("#outcome, .msg").unwrap();
    d.select(&s)
        .next()
        .map(|e| e.text().collect::<String>().trim().to_string())
        .unwrap_or_default()
}

async fn login(app: &TestApp, b: &Browser, user: &str, pw: &str) -> Page {
    account_login(app, b, "/account/login", user, pw, None).await
}

async fn verified_citizen(app: &TestApp, username: &str) {
    app.add_citizen(username, None).await;
    let c = app
        .services
        .citizens
        .citizen_by_username(username)
        .await
        .unwrap();
    let ev = pass_idp::audit::AuditEvent::new(pass_idp::audit::AuditKind::EmailVerified);
    app.services
        .ports
        .store
        .set_email_verified(&c.id.0, app.services.ports.now_ms(), &ev)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_verify_by_mail_and_log_in() {
    for backend in backends() {
        let smtp = SmtpSink::start();
        let app = spawn(backend, &smtp).await;
        let b = app.browser();
        let r = register(&b, "Mojca.K", NEW_PW, "mojca@example.si").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(outcome(&r).contains("mojca@example.si"), "{}", r.body);

        let mails = smtp.wait_for(1).await;
        assert_eq!(mails[0].to, vec!["mojca@example.si".to_string()]);
        assert_eq!(mails[0].subject, "Potrdite svoj e-naslov");
        assert!(mails[0].body.contains("Mojca"), "{}", mails[0].body);
        let link = link_in(&mails[0], "/account/verify");

        // Before verification the account page says so.
        let done = login(&app, &b, "mojca.k", NEW_PW).await;
        assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
        let home = b.get("/account").await;
        assert!(
            home.body.contains("data-verified=\"false\""),
            "{}",
            home.body
        );
        assert!(home.body.contains("Trubarjeva cesta 5"));
        assert!(home.body.contains("1000 Ljubljana"));

        // Opening the link (as a mail filter would) confirms nothing; its button does.
        for _ in 0..2 {
            let opened = b.get(&link).await;
            assert_eq!(opened.status, 200, "{}", opened.body);
            assert!(opened.hidden("token").is_some(), "{}", opened.body);
        }
        let home = b.get("/account").await;
        assert!(
            home.body.contains("data-verified=\"false\""),
            "{}",
            home.body
        );
        let token = link.rsplit('=').next().unwrap();
        let r = b.post("/account/verify", &[("token", token)]).await;
        assert_eq!(r.status, 403, "confirming without the page's CSRF token");
        let v = confirm_email(&b, &link).await;
        assert_eq!(v.status, 200, "{}", v.body);
        assert!(outcome(&v).contains("potrjen"), "{}", v.body);
        let home = b.get("/account").await;
        assert!(
            home.body.contains("data-verified=\"true\""),
            "{}",
            home.body
        );

        // The link works once.
        let again = b.get(&link).await;
        assert_eq!(again.status, 200);
        assert!(outcome(&again).contains("že uporabljena"), "{}", again.body);
        let page = b.get("/account/reset").await; // any public form: its CSRF token
        let replay = b
            .post(
                "/account/verify",
                &[("csrf_token", &page.csrf()), ("token", token)],
            )
            .await;
        assert!(
            outcome(&replay).contains("že uporabljena"),
            "{}",
            replay.body
        );

        // The token is stored only as a hash: the database does not contain it.
        let audit = app.services.ports.store.recent_audit(50).await.unwrap();
        assert!(audit.iter().any(|a| a.kind == "citizen.email_verified"));
        assert!(audit.iter().all(|a| !a.detail.contains(token)));

        // Mail in the page language: an English registration gets an English mail.
        let en = app.browser();
        en.get("/lang?to=en&back=/").await;
        let r = register(&en, "peter", OTHER_PW, "peter@example.si").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let mails = smtp.wait_for(2).await;
        assert_eq!(mails[1].subject, "Confirm your e-mail address");
        assert!(
            mails[1].body.contains("valid for 24 h"),
            "{}",
            mails[1].body
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weak_password_and_bad_username_are_refused_with_reasons() {
    // (A taken username is not refused on the page: tests/registration_enum.rs.)
    let smtp = SmtpSink::start();
    let app = spawn(Backend::Sqlite, &smtp).await;
    let b = app.browser();
    for (user, pw, says) in [
        ("novi", "geslo12345", "preveč lahko uganiti"),
        ("novi", "Kratko-1", "prekratko"),
        ("novi", "Mojca-Kranjc-1000", "preveč lahko uganiti"),
        ("x", NEW_PW, "Uporabniško ime ni veljavno"),
    ] {
        let r = register(&b, user, pw, "novi@example.si").await;
        assert_eq!(r.status, 200, "{user}/{pw}: {}", r.body);
        assert!(outcome(&r).contains(says), "{user}/{pw}: {}", outcome(&r));
        // What was typed stays, the password does not.
        assert!(r.body.contains("value=\"novi@example.si\""));
        assert!(!r.body.contains(pw));
    }
    let p = b.get("/account/register").await;
    let r = b
        .post(
            "/account/register",
            &[
                ("csrf_token", &p.csrf()),
                ("username", "drugi"),
                ("password", NEW_PW),
                ("password_repeat", OTHER_PW),
                ("given_name", "A"),
                ("family_name", "B"),
                ("email", "ni-naslov"),
                ("street", "Ulica 1"),
                ("postcode", "12"),
                ("city", "Kraj"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let text = outcome(&r);
    for says in ["ne ujemata", "veljaven e-naslov", "poštno številko"] {
        assert!(text.contains(says), "{says}: {text}");
    }
    assert!(app
        .services
        .citizens
        .citizen_by_username("novi")
        .await
        .is_err());
    assert!(app
        .services
        .citizens
        .citizen_by_username("drugi")
        .await
        .is_err());
    assert!(
        smtp.settled(&app.services).await.is_empty(),
        "no mail for refused registrations"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_link_expired_wrong_and_resent() {
    for backend in backends() {
        let smtp = SmtpSink::start();
        let app = spawn(backend, &smtp).await;
        let b = app.browser();
        assert_eq!(
            register(&b, "mojca", NEW_PW, "m@example.si").await.status,
            200
        );
        let first = link_in(&smtp.wait_for(1).await[0], "/account/verify");

        for wrong in [
            "/account/verify?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "/account/verify?token=short",
            "/account/verify?token=%27%3B--",
            "/account/verify",
        ] {
            let r = b.get(wrong).await;
            assert_eq!(r.status, 200, "{wrong}");
            assert!(outcome(&r).contains("ni veljavna"), "{wrong}: {}", r.body);
        }

        app.clock
            .advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
        let r = b.get(&first).await;
        assert_eq!(r.status, 200);
        assert!(outcome(&r).contains("potekla"), "{}", r.body);

        // A new link from the account page; the expired one stays refused, the new one works.
        login(&app, &b, "mojca", NEW_PW).await;
        let home = b.get("/account").await;
        let r = b.post("/account/verify/resend", &[]).await;
        assert_eq!(r.status, 403, "resend without CSRF token");
        let r = b
            .post("/account/verify/resend", &[("csrf_token", &home.csrf())])
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let second = link_in(&smtp.wait_for(2).await[1], "/account/verify");
        assert_ne!(first, second);
        assert!(outcome(&b.get(&first).await).contains("uporabljena"));
        assert!(outcome(&confirm_email(&b, &second).await).contains("je potrjen"));
        let c = app
            .services
            .citizens
            .citizen_by_username("mojca")
            .await
            .unwrap();
        assert!(c.email_verified);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_password_checks_current_and_ends_other_sessions() {
    for backend in backends() {
        let smtp = SmtpSink::start();
        let app = spawn(backend, &smtp).await;
        app.add_citizen("janez", None).await;
        let (b1, b2) = (app.browser(), app.browser());
        login(&app, &b1, "janez", PASSWORD).await;
        login(&app, &b2, "janez", PASSWORD).await;
        assert_eq!(b2.get("/account").await.status, 200);

        let page = b1.get("/account/password").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = page.csrf();
        let change = |current: &'static str, new: &'static str, csrf: String| {
            let b1 = &b1;
            async move {
                b1.post(
                    "/account/password",
                    &[
                        ("csrf_token", csrf.as_str()),
                        ("current_password", current),
                        ("password", new),
                        ("password_repeat", new),
                    ],
                )
                .await
            }
        };
        let r = b1
            .post(
                "/account/password",
                &[
                    ("current_password", PASSWORD),
                    ("password", NEW_PW),
                    ("password_repeat", NEW_PW),
                ],
            )
            .await;
        assert_eq!(r.status, 403, "no CSRF token");
        let r = change("Napacno-geslo-99", NEW_PW, csrf.clone()).await;
        assert_eq!(r.status, 200);
        assert!(
            outcome(&r).contains("Trenutno geslo ni pravilno"),
            "{}",
            r.body
        );
        let r = change(PASSWORD, "janez", csrf.clone()).await;
        assert_eq!(r.status, 200);
        assert!(outcome(&r).contains("prekratko"), "{}", r.body);
        // Nothing changed so far: the other session lives.
        assert_eq!(b2.get("/account").await.status, 200);

        let r = change(PASSWORD, NEW_PW, csrf.clone()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(b1.get("/account").await.status, 200, "this session stays");
        assert_eq!(b2.get("/account").await.status, 303, "the other one ended");

        let b3 = app.browser();
        let old = login(&app, &b3, "janez", PASSWORD).await;
        assert_eq!(old.status, 200, "old password refused: {}", old.body);
        let new = login(&app, &b3, "janez", NEW_PW).await;
        assert_eq!(new.location.as_deref(), Some("/account"), "{}", new.body);
        let audit = app.services.ports.store.recent_audit(50).await.unwrap();
        assert!(audit.iter().any(|a| a.kind == "citizen.password_changed"));
        app.stop().await;
    }
}

async fn ask_reset(b: &Browser, who: &str) -> Page {
    let p = b.get("/account/reset").await;
    assert_eq!(p.status, 200, "{}", p.body);
    b.post("/account/reset", &[("csrf_token", &p.csrf()), ("who", who)])
        .await
}

async fn set_new(b: &Browser, link: &str, pw: &str) -> Page {
    let p = b.get(link).await;
    assert_eq!(p.status, 200, "{}", p.body);
    b.post(
        "/account/reset/confirm",
        &[
            ("csrf_token", &p.csrf()),
            ("token", &p.hidden("token").unwrap()),
            ("password", pw),
            ("password_repeat", pw),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_by_mail_works_once_and_ends_all_sessions() {
    for backend in backends() {
        let smtp = SmtpSink::start();
        let app = spawn(backend, &smtp).await;
        verified_citizen(&app, "ana").await;
        let logged_in = app.browser();
        login(&app, &logged_in, "ana", PASSWORD).await;
        assert_eq!(logged_in.get("/account").await.status, 200);

        // Unknown accounts get the same page and no mail.
        let b = app.browser();
        let unknown = ask_reset(&b, "nihce").await;
        let unknown_mail = ask_reset(&b, "nihce@example.si").await;
        let known = ask_reset(&b, "ana@example.si").await;
        assert_eq!(unknown.status, 200);
        assert_eq!(unknown.status, known.status);
        assert_eq!(outcome(&unknown), outcome(&known));
        assert_eq!(outcome(&unknown_mail), outcome(&known));
        let mails = smtp.wait_for(1).await;
        let mails_after = smtp.settled(&app.services).await;
        assert_eq!(
            mails_after.len(),
            1,
            "only the known account: {mails_after:?}"
        );
        assert_eq!(mails[0].to, vec!["ana@example.si".to_string()]);
        assert_eq!(mails[0].subject, "Ponastavitev gesla");
        let link = link_in(&mails[0], "/account/reset/confirm");

        // Lock the account with failed logins: the reset clears the lock.
        let attacker = app.browser();
        for _ in 0..5 {
            login(&app, &attacker, "ana", "Napacno-geslo-1").await;
        }
        let locked = login(&app, &attacker, "ana", PASSWORD).await;
        assert!(locked.body.contains("min."), "locked: {}", locked.body);

        // A weak new password is refused and the link stays usable.
        let weak = set_new(&b, &link, "ana12345678").await;
        assert_eq!(weak.status, 200, "{}", weak.body);
        let done = set_new(&b, &link, NEW_PW).await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(outcome(&done).contains("Novo geslo je nastavljeno"));

        assert_eq!(logged_in.get("/account").await.status, 303, "session ended");
        let fresh = app.browser();
        let ok = login(&app, &fresh, "ana", NEW_PW).await;
        assert_eq!(ok.location.as_deref(), Some("/account"), "{}", ok.body);

        // Used once: the page and a direct post are refused.
        let again = b.get(&link).await;
        assert_eq!(again.status, 200);
        assert!(outcome(&again).contains("že uporabljena"), "{}", again.body);
        let p = b.get("/account/reset").await;
        let token = link.rsplit('=').next().unwrap();
        let r = b
            .post(
                "/account/reset/confirm",
                &[
                    ("csrf_token", &p.csrf()),
                    ("token", token),
                    ("password", OTHER_PW),
                    ("password_repeat", OTHER_PW),
                ],
            )
            .await;
        assert_eq!(r.status, 200);
        let still = login(&app, &app.browser(), "ana", NEW_PW).await;
        assert_eq!(still.location.as_deref(), Some("/account"));
        let audit = app.services.ports.store.recent_audit(100).await.unwrap();
        assert!(audit.iter().any(|a| a.kind == "citizen.password_reset"));
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_link_expires_and_unverified_address_gets_nothing() {
    for backend in backends() {
        let smtp = SmtpSink::start();
        let app = spawn(backend, &smtp).await;
        app.add_citizen("neverjen", None).await; // e-mail not verified
        verified_citizen(&app, "ana").await;
        let b = app.browser();
        ask_reset(&b, "neverjen").await;
        ask_reset(&b, "ana").await;
        let mails = smtp.settled(&app.services).await;
        assert_eq!(mails.len(), 1, "{mails:?}");
        assert_eq!(mails[0].to, vec!["ana@example.si".to_string()]);
        assert!(mails[0].body.contains("30 min"), "{}", mails[0].body);
        let link = link_in(&mails[0], "/account/reset/confirm");

        app.clock
            .advance(chrono::Duration::minutes(30) + chrono::Duration::seconds(1));
        let r = b.get(&link).await;
        assert_eq!(r.status, 200);
        assert!(outcome(&r).contains("potekla"), "{}", r.body);
        let ok = login(&app, &app.browser(), "ana", PASSWORD).await;
        assert_eq!(
            ok.location.as_deref(),
            Some("/account"),
            "password unchanged"
        );

        let r = b
            .get("/account/reset/confirm?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            .await;
        assert_eq!(r.status, 200);
        assert!(outcome(&r).contains("ni veljavna"));
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_forms_need_the_csrf_token() {
    let smtp = SmtpSink::start();
    let app = spawn(Backend::Sqlite, &smtp).await;
    verified_citizen(&app, "ana").await;
    let fields = |csrf: &'static str| {
        vec![
            ("csrf_token", csrf),
            ("username", "napadalec"),
            ("password", NEW_PW),
            ("password_repeat", NEW_PW),
            ("given_name", "N"),
            ("family_name", "N"),
            ("email", "n@example.si"),
            ("street", "Ulica 1"),
            ("postcode", "1000"),
            ("city", "Kraj"),
        ]
    };
    // No cookie and no token; a cookie but no token; a cookie and a token of another browser.
    let fresh = app.browser();
    let r = fresh.post("/account/register", &fields("")[1..]).await;
    assert_eq!(r.status, 403);
    let r = fresh.post("/account/reset", &[("who", "ana")]).await;
    assert_eq!(r.status, 403);

    let b = app.browser();
    let other = app.browser();
    b.get("/account/register").await;
    let foreign = other.get("/account/reset").await.csrf();
    let r = b.post("/account/register", &fields("")[1..]).await;
    assert_eq!(r.status, 403);
    let mut f = fields("");
    f[0].1 = &foreign;
    let r = b.post("/account/register", &f).await;
    assert_eq!(r.status, 403);
    let r = b
        .post(
            "/account/reset",
            &[("csrf_token", &foreign), ("who", "ana")],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post(
            "/account/reset/confirm",
            &[
                ("token", "x"),
                ("password", NEW_PW),
                ("password_repeat", NEW_PW),
            ],
        )
        .await;
    assert_eq!(r.status, 403);

    assert!(app
        .services
        .citizens
        .citizen_by_username("napadalec")
        .await
        .is_err());
    assert!(
        smtp.settled(&app.services).await.is_empty(),
        "no reset mail without a token"
    );
    app.stop().await;
}
