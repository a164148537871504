//! One password policy for every new password: the registration page, a citizen added from the
//! command line, a staff member added from the command line. A password the policy refuses is
//! refused at each, for the same reason; nothing is stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::journey::outcome;
use common::*;
use pass_idp::auth::Secret;
use pass_idp::service::citizens::NewCitizenInput;
use pass_idp::service::staff::NewStaffInput;

/// Refused by the policy (two kinds of characters and long enough, so the old CLI rule let them
/// through): a dictionary word with a sequence, one character repeated, the person's own names.
const WEAK: [&str; 3] = ["Password1234!", "aaaaaaaaaaaaaaaa", "Janez-Novak-1000"];
/// The registration page's message for such a password.
const WEAK_SL: &str = "Geslo je preveč lahko uganiti.";

async fn add_citizen(app: &TestApp, username: &str, pw: &str) -> Result<(), String> {
    app.services
        .citizens
        .add_citizen(
            NewCitizenInput {
                username: username.into(),
                given_name: "Janez".into(),
                family_name: "Novak".into(),
                email: Some(format!("{username}@example.si")),
                phone: None,
                password: Secret::new(pw),
            },
            "test",
        )
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn add_staff(app: &TestApp, username: &str, pw: &str) -> Result<(), String> {
    app.services
        .staff
        .add_staff(
            NewStaffInput {
                username: username.into(),
                display_name: "Janez Novak".into(),
                phone: "+38640123456".into(),
                roles: vec!["auditor".into()],
                password: Secret::new(pw),
            },
            "test",
        )
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn register(app: &TestApp, username: &str, pw: &str) -> Page {
    let b = app.browser();
    let p = b.get("/account/register").await;
    b.post(
        "/account/register",
        &[
            ("csrf_token", &p.csrf()),
            ("username", username),
            ("password", pw),
            ("password_repeat", pw),
            ("given_name", "Janez"),
            ("family_name", "Novak"),
            ("email", &format!("{username}@example.si")),
            ("street", "Trubarjeva cesta 5"),
            ("postcode", "1000"),
            ("city", "Ljubljana"),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entry_point_refuses_the_same_weak_passwords() {
    let app = TestApp::spawn(&[]).await;
    for (i, pw) in WEAK.iter().enumerate() {
        let user = format!("oseba{i}");
        let e = add_citizen(&app, &user, pw).await.unwrap_err();
        assert!(e.contains("too easy to guess"), "citizen {pw}: {e}");
        let e = add_staff(&app, &format!("staff{i}"), pw).await.unwrap_err();
        assert!(e.contains("too easy to guess"), "staff {pw}: {e}");
        let page = register(&app, &format!("reg{i}"), pw).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            outcome(&page).contains(WEAK_SL) || page.body.contains(WEAK_SL),
            "{pw}: {}",
            page.body
        );
        assert!(app
            .services
            .citizens
            .citizen_by_username(&user)
            .await
            .is_err());
    }
    // Too short and the username itself: the same reasons everywhere.
    let e = add_citizen(&app, "kratko", "Kz-7-jb").await.unwrap_err();
    assert!(e.contains("too short"), "{e}");
    let e = add_staff(&app, "kratka", "Kz-7-jb").await.unwrap_err();
    assert!(e.contains("too short"), "{e}");
    // A strong password passes at each.
    add_citizen(&app, "mojca", PASSWORD).await.unwrap();
    add_staff(&app, "ana", "Sluzbeno-geslo-77").await.unwrap();
    app.stop().await;
}
