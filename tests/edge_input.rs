//! Input at the edge: every redirect target is a same-origin path (control characters, `//`, `/\`,
//! encoded variants, schemes, over-long values → the safe default or 400, never 500), and every form
//! field and query parameter that reaches storage, the audit trail, a search or a page is bounded:
//! over-long input gets a translated page that names the field and its limit, and nothing of it is
//! stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::account::account_login_default;
use common::staff::{add_staff, kinds, staff_login, urlenc};
use common::*;

/// Redirect targets that must never reach `Location` as they are (decoded values; sent encoded).
fn bad_targets() -> Vec<String> {
    let mut v: Vec<String> = [
        "/\t/evil.example",
        "\t/evil.example",
        "/x\r\nSet-Cookie: a=b",
        "/x\ry",
        "/x\ny",
        "/x\0y",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%09/evil.example",
        "%2F%2Fevil.example",
        "/%2F/evil.example",
        "/%5Cevil.example",
        "/%0d%0aSet-Cookie:%20a=b",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "https://evil.example/",
        "http:evil.example",
        "evil.example",
        " /x",
        "/x y",
        "/č",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("/{}", "a".repeat(1100)));
    v
}

/// A `Location` that stays on this host.
fn same_origin(l: &str) -> bool {
    l.starts_with('/')
        && !l.starts_with("//")
        && !l.starts_with("/\\")
        && l.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

fn assert_refused_or(p: &Page, default: &str, what: &str) {
    match p.status {
        303 => assert_eq!(p.location.as_deref(), Some(default), "{what:?}"),
        400 => assert!(p.location.is_none(), "{what:?}"),
        s => panic!("{what:?}: status {s}: {}", p.body),
    }
}

/// The translated page for an over-long entry, naming the field and its limit.
fn assert_too_long(p: &Page, label: &str, max: usize, what: &str) {
    assert_eq!(
        p.status,
        400,
        "{what}: {}",
        &p.body[..p.body.len().min(500)]
    );
    assert!(p.body.contains("Vnos je predolg"), "{what}: {}", p.body);
    assert!(p.body.contains(label), "{what}: {label}: {}", p.body);
    assert!(
        p.body.contains(&max.to_string()),
        "{what}: {max}: {}",
        p.body
    );
    assert!(p.body.len() < 20_000, "{what}: the value is not echoed");
}

/// Nothing over-long reached the audit trail.
async fn audit_is_bounded(app: &TestApp) {
    for r in app.services.ports.store.recent_audit(1000).await.unwrap() {
        assert!(r.actor.as_deref().unwrap_or("").len() <= 400, "{r:?}");
        assert!(r.sp_entity_id.as_deref().unwrap_or("").len() <= 400);
        assert!(r.detail.len() <= 4096, "{}: {}", r.kind, r.detail.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_switch_goes_back_to_local_paths_only() {
    let app = TestApp::spawn(&[]).await;
    let b = app.browser();
    for good in ["/", "/account", "/office?q=%C4%8Cebulj", "/staff/login"] {
        let p = b.get(&format!("/lang?to=en&back={}", urlenc(good))).await;
        assert_eq!(p.status, 303, "{good}");
        assert_eq!(p.location.as_deref(), Some(good));
    }
    for bad in bad_targets() {
        let p = b.get(&format!("/lang?to=en&back={}", urlenc(&bad))).await;
        assert_refused_or(&p, "/", &bad);
    }
    // Raw (once-encoded) forms in the query: %09 decodes to a TAB, %2F%2F to `//`, %5C to `\`.
    for raw in [
        "/%09/evil.example",
        "%2F%2Fevil.example",
        "/%2F/evil.example",
        "%2F%5Cevil.example",
        "/%0D%0ALocation:%20https://evil.example",
        "/%00",
        "%09%2F%2Fevil.example",
        "/%252F/evil.example",
        "/%2509/evil.example",
    ] {
        let p = b.get(&format!("/lang?to=sl&back={raw}")).await;
        assert_refused_or(&p, "/", raw);
    }
    // Over-long: refused with 400, never 500.
    let p = b
        .get(&format!("/lang?to=en&back=/{}", "a".repeat(20_000)))
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_login_next_is_a_local_path_only() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "revizorka", &["auditor"]).await;
    let b = app.browser();
    let done = staff_login(&app, &b, "revizorka", "/audit?kind=staff.login").await;
    assert_eq!(done.location.as_deref(), Some("/audit?kind=staff.login"));
    for bad in bad_targets()
        .into_iter()
        .filter(|b| b.len() < 1000)
        .chain(["/staff/login".to_string(), "/staff/login/otp".into()])
    {
        let b = app.browser();
        let done = staff_login(&app, &b, "revizorka", &bad).await;
        assert_eq!(done.location.as_deref(), Some("/staff"), "{bad:?}");
    }
    // Over-long: the login page refuses it.
    let p = b
        .get(&format!("/staff/login?next=/{}", "a".repeat(1100)))
        .await;
    assert_eq!(p.status, 400);
    // A guarded page with an unusual query still sends the browser to a local login page.
    let other = app.browser();
    let p = other.get("/audit?actor=%09x&kind=%2F%2Fevil").await;
    assert_eq!(p.status, 303);
    assert!(
        same_origin(p.location.as_deref().unwrap()),
        "{:?}",
        p.location
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_login_next_is_a_user_page_only() {
    let app = TestApp::spawn(&[]).await;
    app.add_citizen("mojca", None).await;
    let b = app.browser();
    let done = account_login_default(&app, &b, "mojca", None).await;
    assert_eq!(done.location.as_deref(), Some("/account"));
    let p = b.get("/account/login?next=%2Faccount%2Fpassword").await;
    assert_eq!(p.location.as_deref(), Some("/account/password"));
    for bad in bad_targets().into_iter().chain([
        "/account/../staff".to_string(),
        "/account/%2e%2e/staff".into(),
    ]) {
        let p = b
            .get(&format!("/account/login?next={}", urlenc(&bad)))
            .await;
        assert_refused_or(&p, "/account", &bad);
    }
    // Before a login, too: the stored return address is the user pages' home.
    let fresh = app.browser();
    let r = common::account::account_login(
        &app,
        &fresh,
        &format!("/account/login?next={}", urlenc("/\t/evil.example")),
        "mojca",
        PASSWORD,
        None,
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/account"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_long_login_and_registration_input_is_refused_and_not_stored() {
    let app = TestApp::spawn(&[]).await;
    app.add_citizen("mojca", None).await;
    let huge = "a".repeat(150_000);

    // Citizen login: the username field.
    let b = app.browser();
    let start = b.get("/account/login").await;
    let pw = b.get(start.location.as_deref().unwrap()).await;
    for (value, what) in [
        (huge.as_str(), "150 kB"),
        (&"b".repeat(65), "65 characters"),
    ] {
        let r = b
            .post(
                "/login/password",
                &[
                    ("csrf_token", &pw.csrf()),
                    ("username", value),
                    ("password", "x"),
                ],
            )
            .await;
        assert_too_long(&r, "Uporabniško ime", 64, what);
    }
    // The transaction still works afterwards.
    let ok = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &pw.csrf()),
                ("username", "mojca"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.location.as_deref(), Some("/account"), "{}", ok.body);

    // Staff login.
    let s = app.browser();
    let login = s.get("/staff/login").await;
    let r = s
        .post(
            "/staff/login",
            &[
                ("csrf_token", &login.csrf()),
                ("username", &huge),
                ("password", "x"),
            ],
        )
        .await;
    assert_too_long(&r, "Uporabniško ime", 64, "staff login");

    // Registration: every field.
    let reg = app.browser();
    let base = [
        ("username", "novinka"),
        ("password", "Kozolec-v-megli-7-jabolk"),
        ("password_repeat", "Kozolec-v-megli-7-jabolk"),
        ("given_name", "Mojca"),
        ("family_name", "Kranjc"),
        ("email", "novinka@example.si"),
        ("street", "Trubarjeva cesta 5"),
        ("postcode", "1000"),
        ("city", "Ljubljana"),
    ];
    for (field, label, max) in [
        ("username", "Uporabniško ime", 64),
        ("password", "Geslo", 1024),
        ("given_name", "Ime", 200),
        ("family_name", "Priimek", 200),
        ("email", "E-naslov", 254),
        ("street", "Ulica in hišna številka", 200),
        ("postcode", "Poštna številka", 10),
        ("city", "Kraj", 100),
    ] {
        for long in ["ž".repeat(max + 1), huge.clone()] {
            let page = reg.get("/account/register").await;
            let csrf = page.csrf();
            let mut form: Vec<(&str, &str)> = base
                .iter()
                .map(|(k, v)| {
                    if *k == field {
                        (*k, long.as_str())
                    } else {
                        (*k, *v)
                    }
                })
                .collect();
            form.push(("csrf_token", &csrf));
            let r = reg.post("/account/register", &form).await;
            assert_too_long(&r, label, max, field);
        }
    }
    assert!(app
        .services
        .citizens
        .citizen_by_username("novinka")
        .await
        .is_err());

    // Password reset request.
    let page = reg.get("/account/reset").await;
    let r = reg
        .post(
            "/account/reset",
            &[("csrf_token", &page.csrf()), ("who", &huge)],
        )
        .await;
    assert_too_long(&r, "Uporabniško ime ali e-naslov", 254, "reset");

    // The account's password change (a logged-in form).
    let page = b.get("/account/password").await;
    assert_eq!(page.status, 200);
    let r = b
        .post(
            "/account/password",
            &[
                ("csrf_token", &page.csrf()),
                ("current_password", &huge),
                ("password", "x"),
                ("password_repeat", "x"),
            ],
        )
        .await;
    assert_too_long(&r, "Geslo", 1024, "password change");

    // A body over the form size limit: 413, not 500.
    let r = reg
        .post(
            "/account/register",
            &[("csrf_token", "x"), ("username", &"a".repeat(400_000))],
        )
        .await;
    assert_eq!(r.status, 413);
    assert!(r.body.contains("Vnos je predolg"));

    // English pages say it in English.
    reg.get("/lang?to=en&back=/").await;
    let page = reg.get("/account/reset").await;
    let r = reg
        .post(
            "/account/reset",
            &[("csrf_token", &page.csrf()), ("who", &huge)],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("An entry is too long") && r.body.contains("Username or e-mail"));

    audit_is_bounded(&app).await;
    assert!(!kinds(&app)
        .await
        .iter()
        .any(|k| k == "login.password_failed"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_long_staff_input_is_refused_and_not_stored() {
    let app = TestApp::spawn(&[]).await;
    app.add_citizen("mojca", Some("+38641222333")).await;
    let huge = "a".repeat(150_000);

    // Officer: the desk search and the reason of an action.
    let ob = common::activation::officer(&app, "uradnik").await;
    assert_eq!(ob.get("/office?q=novak").await.status, 200);
    let r = ob.get(&format!("/office?q={}", "ž".repeat(101))).await;
    assert_too_long(&r, "Iskanje", 100, "search");
    let r = ob.get(&format!("/office?q={}", "a".repeat(20_000))).await;
    assert_eq!(r.status, 400);
    let id = app
        .services
        .citizens
        .citizen_by_username("mojca")
        .await
        .unwrap()
        .id
        .0;
    let page = ob.get(&format!("/office/citizens/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for reason in ["ž".repeat(501), huge.clone()] {
        let r = ob
            .post(
                &format!("/office/citizens/{id}/smspass"),
                &[
                    ("csrf_token", &page.csrf()),
                    ("action", "suspend"),
                    ("reason", &reason),
                ],
            )
            .await;
        assert_too_long(&r, "Razlog", 500, "reason");
    }
    assert!(!kinds(&app).await.iter().any(|k| k == "smspass.suspended"));

    // Operator: the reason of a change.
    add_staff(&app, "operaterka", &["operator"]).await;
    let opb = app.browser();
    staff_login(&app, &opb, "operaterka", "/operator").await;
    let edit = opb.get("/operator/sp/edit").await;
    assert_eq!(edit.status, 200, "{}", edit.body);
    let r = opb
        .post(
            "/operator/sp/enabled",
            &[
                ("csrf_token", &edit.csrf()),
                ("entity", "https://sp.example/metadata"),
                ("enabled", "false"),
                ("why", &huge),
            ],
        )
        .await;
    assert_too_long(&r, "Razlog za spremembo", 500, "why");
    let r = opb
        .post(
            "/operator/sp/save",
            &[
                ("csrf_token", &edit.csrf()),
                ("metadata", "<x/>"),
                ("policy", ""),
                ("why", &"ž".repeat(501)),
            ],
        )
        .await;
    assert_too_long(&r, "Razlog za spremembo", 500, "why on save");
    assert!(!kinds(&app).await.iter().any(|k| k.starts_with("sp.")));

    // Auditor: the viewer's filters (page and CSV).
    add_staff(&app, "revizorka", &["auditor"]).await;
    let ab = app.browser();
    staff_login(&app, &ab, "revizorka", "/audit").await;
    assert_eq!(ab.get("/audit?actor=uradnik").await.status, 200);
    for path in ["/audit", "/audit.csv"] {
        let r = ab.get(&format!("{path}?actor={}", "a".repeat(257))).await;
        assert_too_long(&r, "Izvajalec", 256, path);
        let r = ab.get(&format!("{path}?kind={}", "k".repeat(65))).await;
        assert_too_long(&r, "Vrsta dogodka", 64, path);
    }

    audit_is_bounded(&app).await;
    app.stop().await;
}
