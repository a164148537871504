//! Every endpoint that sends the browser to a caller-given path, walked with every hostile variant:
//! TAB, CR, LF, NUL, `\`, `//`, their percent-encoded forms (`%09`, `%0D%0A`, `%5C`, `%2F%2F`, …),
//! schemes and absolute URLs. Each answer is a redirect whose `Location` is exactly the area's home
//! (`/`, `/account`, `/staff`) — or a 400 for an over-long value — never the value itself, never a
//! 5xx. The `next` a login page is sent to is checked the same way.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::account::account_login;
use common::staff::{add_staff, staff_login, urlenc};
use common::*;
use percent_encoding::percent_decode_str;

/// Values as the server receives them (after the query is decoded once); each is sent encoded.
fn variants() -> Vec<String> {
    let mut v: Vec<String> = [
        // control characters
        "/\t/evil.example",
        "/\r/evil.example",
        "/\n/evil.example",
        "/x\r\nLocation: https://evil.example/",
        "/\0/evil.example",
        // backslash and scheme-relative
        "/\\evil.example",
        "\\/evil.example",
        "//evil.example",
        "///evil.example",
        // the same once more percent-encoded (a later decoder must not make them dangerous)
        "/%09/evil.example",
        "/%0d/evil.example",
        "/%0A/evil.example",
        "/%00/evil.example",
        "/%5Cevil.example",
        "/%5cevil.example",
        "%2F%2Fevil.example",
        "/%2F/evil.example",
        "/%2f%2fevil.example",
        "%5C%5Cevil.example",
        // absolute URLs and schemes
        "https://evil.example/",
        "http://evil.example",
        "HTTPS://evil.example",
        "//evil.example/account",
        "javascript:alert(1)",
        "data:text/html,x",
        "evil.example",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("/{}", "a".repeat(1100)));
    v
}

/// The raw `Location` header (bytes: a TAB or CR must not hide behind a failed `to_str`).
fn location(p: &Page) -> Option<String> {
    p.headers
        .get("location")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// A path on this host, as sent and once decoded.
fn assert_same_origin(l: &str, what: &str) {
    let decoded = percent_decode_str(l).decode_utf8_lossy().into_owned();
    for form in [l, decoded.as_str()] {
        assert!(
            form.starts_with('/') && !form.starts_with("//") && !form.starts_with("/\\"),
            "{what:?}: Location {l:?}"
        );
        assert!(
            !form.contains('\\') && !form.chars().any(|c| c.is_control()),
            "{what:?}: Location {l:?}"
        );
    }
}

/// A redirect to exactly `home`; or, for an over-long value, a 400 page. Never a 5xx.
fn assert_home(p: &Page, home: &str, what: &str) {
    assert!(p.status < 500, "{what:?}: {} {}", p.status, p.body);
    if p.status == 400 && what.len() > 1000 {
        assert!(location(p).is_none(), "{what:?}");
        return;
    }
    assert_eq!(p.status, 303, "{what:?}: {}", p.body);
    let l = location(p).unwrap();
    assert_same_origin(&l, what);
    assert_eq!(l, home, "{what:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_switch() {
    let app = TestApp::spawn(&[]).await;
    let b = app.browser();
    for v in variants() {
        let p = b.get(&format!("/lang?to=en&back={}", urlenc(&v))).await;
        assert_home(&p, "/", &v);
    }
    // The issue's own example, written as it is sent.
    let p = b.get("/lang?to=en&back=/%09/evil.example").await;
    assert_home(&p, "/", "/%09/evil.example (raw)");
    for raw in [
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "/%0D%0Ax",
        "/%252F/x",
    ] {
        let p = b.get(&format!("/lang?to=sl&back={raw}")).await;
        assert_home(&p, "/", raw);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_login_next_before_and_after_logging_in() {
    let app = TestApp::spawn(&[]).await;
    app.add_citizen("mojca", None).await;
    let logged_in = app.browser();
    let done = account_login(&app, &logged_in, "/account/login", "mojca", PASSWORD, None).await;
    assert_eq!(location(&done).as_deref(), Some("/account"));
    for v in variants() {
        let next = format!("/account/login?next={}", urlenc(&v));
        // Already logged in: straight back.
        assert_home(&logged_in.get(&next).await, "/account", &v);
        if v.len() > 1000 {
            continue;
        }
        // Not yet: the login stores the return address and ends there.
        let fresh = app.browser();
        let done = account_login(&app, &fresh, &next, "mojca", PASSWORD, None).await;
        assert_home(&done, "/account", &v);
        // Cancelling a login started with it goes to a local page too.
        let fresh = app.browser();
        let start = fresh.get(&next).await;
        assert_eq!(start.status, 303, "{v:?}");
        let page = fresh.get(&location(&start).unwrap()).await;
        let cancelled = fresh
            .post("/login/cancel", &[("csrf_token", &page.csrf())])
            .await;
        assert!(cancelled.status < 500, "{v:?}: {}", cancelled.body);
        if let Some(l) = location(&cancelled) {
            assert_same_origin(&l, &v);
            assert!(l == "/" || l == "/account", "{v:?}: {l}");
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_login_next() {
    let app = TestApp::spawn(&[]).await;
    add_staff(&app, "revizorka", &["auditor"]).await;
    for v in variants() {
        let b = app.browser();
        if v.len() > 1000 {
            let p = b.get(&format!("/staff/login?next={}", urlenc(&v))).await;
            assert_eq!(p.status, 400, "{}", p.body);
            continue;
        }
        let done = staff_login(&app, &b, "revizorka", &v).await;
        assert_home(&done, "/staff", &v);
    }
    app.stop().await;
}

/// A guarded page reached with a hostile query sends the browser to its login page with a `next`
/// that is itself a local path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guarded_pages_send_a_local_next() {
    let app = TestApp::spawn(&[]).await;
    for v in variants().into_iter().filter(|v| v.len() < 1000) {
        let q = urlenc(&v);
        for (page, login) in [
            (format!("/account?x={q}"), "/account/login?"),
            (format!("/account/password?next={q}"), "/account/login?"),
            (format!("/audit?kind={q}"), "/staff/login?"),
            (format!("/office?q={q}"), "/staff/login?"),
        ] {
            let p = app.browser().get(&page).await;
            assert!(p.status < 500, "{page}: {}", p.body);
            if p.status == 400 {
                continue;
            }
            assert_eq!(p.status, 303, "{page}: {}", p.body);
            let l = location(&p).unwrap();
            assert_same_origin(&l, &page);
            let query = l
                .strip_prefix(login)
                .unwrap_or_else(|| panic!("{page}: {l}"));
            let next: String = url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "next")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            assert_same_origin(&next, &page);
        }
    }
    app.stop().await;
}
