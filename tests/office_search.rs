//! The desk's search: case-insensitive for Slovenian letters on SQLite and PostgreSQL, and citizens
//! found by name or username even without an activation request, with their smsPASS state and
//! suspend / resume / revoke on the citizen's page (officers only).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::activation::officer;
use common::staff::{add_staff, kinds, staff_login, urlenc};
use common::*;
use pass_idp::service::citizens::NewCitizenInput;

async fn citizen(app: &TestApp, username: &str, given: &str, family: &str, phone: Option<&str>) {
    app.services
        .citizens
        .add_citizen(
            NewCitizenInput {
                username: username.into(),
                given_name: given.into(),
                family_name: family.into(),
                email: Some(format!("{username}@example.si")),
                phone: phone.map(str::to_string),
                password: pass_idp::auth::Secret::new(PASSWORD),
            },
            "test",
        )
        .await
        .expect("add citizen");
}

async fn search(b: &Browser, q: &str) -> String {
    let p = b.get(&format!("/office?q={}", urlenc(q))).await;
    assert_eq!(p.status, 200, "{}", p.body);
    p.body
}

/// The citizens listed in a search result page (usernames, sorted: the order depends on collation).
fn listed(body: &str) -> Vec<String> {
    let re = regex::Regex::new(
        r#"href="/office/citizens/[0-9a-f-]{36}"><strong>[^<]*</strong> \(([a-z0-9._-]+)\)"#,
    )
    .unwrap();
    let mut v: Vec<String> = re.captures_iter(body).map(|c| c[1].to_string()).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upper_and_lower_case_slovenian_letters_match() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |_| {}).await;
        citizen(&app, "spela", "Špela", "Čebulj", None).await;
        citizen(&app, "marko", "Marko", "čebulj", None).await;
        citizen(&app, "zan", "ŽAN", "Novak", None).await;
        let spela = app
            .services
            .citizens
            .citizen_by_username("spela")
            .await
            .expect("spela");
        let req = app
            .services
            .activation
            .start_activation(&spela, "sl", None)
            .await
            .expect("request");
        let ob = officer(&app, "uradnik").await;

        for q in [
            "ČEBULJ",
            "čebulj",
            "Čebulj",
            "ebulj",
            "  čEBULJ  ",
            "cebulj",
            "CEBULJ",
        ] {
            let body = search(&ob, q).await;
            assert_eq!(listed(&body), ["marko", "spela"], "{q}: {body}");
            // Spela's request is found by her name too (Marko has none).
            assert!(body.contains(&req.reference), "{q}");
            assert_eq!(body.matches("href=\"/office/requests/").count(), 1, "{q}");
        }
        for (q, who) in [
            ("ŠPELA", vec!["spela"]),
            ("SPELA cebulj", vec!["spela"]),
            ("špela čebulj", vec!["spela"]),
            ("žan", vec!["zan"]),
            ("Žan NOVAK", vec!["zan"]),
            ("zan", vec!["zan"]),
            ("marko ČEBULJ", vec!["marko"]),
        ] {
            assert_eq!(listed(&search(&ob, q).await), who, "{q}");
        }
        // Negative: other letters, a word that is not there, wildcards alone.
        for q in ["čebulja", "špela novak", "%", "__", "š"] {
            let body = search(&ob, q).await;
            assert!(listed(&body).is_empty(), "{q}: {body}");
            assert!(!body.contains(&req.reference), "{q}");
        }
        app.stop().await;
    }
}

/// The first citizen-page link on a search result page.
fn citizen_link(body: &str) -> String {
    let re = regex::Regex::new(r#"href="(/office/citizens/[0-9a-f-]{36})""#).unwrap();
    re.captures(body).unwrap()[1].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officer_manages_smspass_from_the_citizen_page_without_a_request() {
    for backend in backends() {
        let app = TestApp::spawn_with(backend, &[], |_| {}).await;
        citizen(&app, "ursa", "Urša", "Šušteršič", Some("+38641999111")).await;
        let ob = officer(&app, "uradnik").await;
        let body = search(&ob, "ursa").await;
        assert_eq!(listed(&body), ["ursa"]);
        let page = citizen_link(&body);
        let p = ob.get(&page).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(p.body.contains("data-state=\"active\""), "{}", p.body);
        assert!(p.body.contains("id=\"suspend-form\""));
        assert!(!p.body.contains("id=\"resume-form\""));

        let post = |action: &'static str, reason: &'static str| {
            let ob = &ob;
            let page = page.clone();
            async move {
                let p = ob.get(&page).await;
                ob.post(
                    &format!("{page}/smspass"),
                    &[
                        ("csrf_token", &p.csrf()),
                        ("action", action),
                        ("reason", reason),
                    ],
                )
                .await
            }
        };
        let r = post("suspend", "lost phone").await;
        assert_eq!(r.location, Some(format!("{page}?msg=suspend")));
        let p = ob.get(&page).await;
        assert!(p.body.contains("data-state=\"suspended\""), "{}", p.body);
        // Resume only from suspended; a second resume is refused.
        let r = post("resume", "").await;
        assert_eq!(r.location, Some(format!("{page}?msg=resume")));
        let r = post("resume", "").await;
        assert_eq!(r.location, Some(format!("{page}?msg=refused")));
        // Revoke needs a reason.
        let r = post("revoke", "").await;
        assert_eq!(r.location, Some(format!("{page}?msg=refused")));
        assert!(ob.get(&page).await.body.contains("data-state=\"active\""));
        let r = post("revoke", "fraud").await;
        assert_eq!(r.location, Some(format!("{page}?msg=revoke")));
        let p = ob.get(&page).await;
        assert!(p.body.contains("data-state=\"revoked\""), "{}", p.body);
        let k = kinds(&app).await;
        for kind in ["smspass.suspended", "smspass.resumed", "smspass.revoked"] {
            assert_eq!(k.iter().filter(|x| *x == kind).count(), 1, "{kind}: {k:?}");
        }

        // Unknown or malformed ids: 404.
        for bad in [
            "/office/citizens/00000000-0000-0000-0000-000000000000",
            "/office/citizens/not-an-id",
        ] {
            assert_eq!(ob.get(bad).await.status, 404, "{bad}");
        }
        // Without the CSRF token: 403.
        let r = ob
            .post(&format!("{page}/smspass"), &[("action", "suspend")])
            .await;
        assert_eq!(r.status, 403);
        // Anonymous: to the staff login; an operator: 403; nothing changes.
        let anon = app.browser();
        let r = anon.get(&page).await;
        assert_eq!(r.status, 303);
        assert!(r.location.unwrap().starts_with("/staff/login?next="));
        add_staff(&app, "opera", &["operator"]).await;
        let b = app.browser();
        staff_login(&app, &b, "opera", "/staff").await;
        let home = b.get("/staff").await;
        assert_eq!(b.get(&page).await.status, 403);
        assert_eq!(b.get("/office?q=ursa").await.status, 403);
        let r = b
            .post(
                &format!("{page}/smspass"),
                &[("csrf_token", &home.csrf()), ("action", "resume")],
            )
            .await;
        assert_eq!(r.status, 403);
        assert!(ob.get(&page).await.body.contains("data-state=\"revoked\""));
        let k = kinds(&app).await;
        assert_eq!(k.iter().filter(|x| *x == "smspass.resumed").count(), 1);
        app.stop().await;
    }
}

/// A database whose search column was written before diacritics were folded: migration m0008
/// rewrites it on upgrade. (SQLite file; the migration runs the same code on PostgreSQL.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_folds_search_names_stored_before() {
    use migration::MigratorTrait;
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn(&[]).await;
    citizen(&app, "spela", "Špela", "Čebulj", None).await;
    let ob = officer(&app, "uradnik").await;
    assert_eq!(listed(&search(&ob, "cebulj").await), ["spela"]);

    let url = format!("sqlite://{}/idp.db", app.dir.path().display());
    let db = sea_orm::Database::connect(&url).await.unwrap();
    db.execute_unprepared("UPDATE citizens SET search_name = 'špela čebulj spela'")
        .await
        .unwrap();
    assert!(
        listed(&search(&ob, "cebulj").await).is_empty(),
        "as stored before"
    );
    // Back to before m0008 (the migrations after it are reverted first), then up again.
    let after_m0008 = migration::Migrator::migrations().len() - 8;
    migration::Migrator::down(&db, Some(after_m0008 as u32 + 1))
        .await
        .unwrap();
    migration::Migrator::up(&db, None).await.unwrap();
    assert_eq!(listed(&search(&ob, "cebulj").await), ["spela"]);
    assert_eq!(listed(&search(&ob, "ČEBULJ").await), ["spela"]);
    app.stop().await;
}
