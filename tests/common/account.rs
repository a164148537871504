//! Logging a browser in to the citizen's user pages.
use super::{Browser, Page, TestApp, PASSWORD};

/// Logs `b` in to `/account` through `/account/login` (password, and the SMS code when the citizen has
/// an active smsPASS on `phone`). Returns the page the login ended on (a 303 to the `next` path).
pub async fn account_login(
    app: &TestApp,
    b: &Browser,
    path: &str,
    username: &str,
    password: &str,
    phone: Option<&str>,
) -> Page {
    let start = b.get(path).await;
    assert_eq!(start.status, 303, "login start: {}", start.body);
    let to = start.location.clone().unwrap_or_default();
    let pw = b.get(&to).await;
    assert_eq!(pw.status, 200, "password page ({to}): {}", pw.body);
    let r = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &pw.csrf()),
                ("username", username),
                ("password", password),
            ],
        )
        .await;
    let Some(phone) = phone else {
        return r;
    };
    assert_eq!(r.location.as_deref(), Some("/login/otp"), "{}", r.body);
    let otp_page = b.get("/login/otp").await;
    b.post(
        "/login/otp",
        &[
            ("csrf_token", &otp_page.csrf()),
            ("otp", &app.last_code(phone)),
        ],
    )
    .await
}

/// The same with the test password.
pub async fn account_login_default(
    app: &TestApp,
    b: &Browser,
    username: &str,
    phone: Option<&str>,
) -> Page {
    account_login(app, b, "/account/login", username, PASSWORD, phone).await
}

/// Opens an e-mail verification link and presses the button on its page (the link alone confirms
/// nothing). A link that cannot be used gives its refusal page, returned as it is.
pub async fn confirm_email(b: &Browser, link: &str) -> Page {
    let p = b.get(link).await;
    let Some(token) = p.hidden("token") else {
        return p;
    };
    b.post(
        "/account/verify",
        &[("csrf_token", &p.csrf()), ("token", &token)],
    )
    .await
}
