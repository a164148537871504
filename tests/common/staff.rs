//! Staff helpers: create staff members and log them in (password + SMS code).
use super::{Browser, Page, TestApp};
use pass_idp::auth::Secret;
use pass_idp::service::staff::NewStaffInput;

pub const STAFF_PW: &str = "Sluzbeno-geslo-77";

pub fn phone_of(username: &str) -> String {
    // Distinct per username, stable.
    let n: u32 = username.bytes().map(u32::from).sum();
    format!("+386401{n:05}")
}

pub async fn add_staff(app: &TestApp, username: &str, roles: &[&str]) {
    app.services
        .staff
        .add_staff(
            NewStaffInput {
                username: username.into(),
                display_name: format!("Staff {username}"),
                phone: phone_of(username),
                roles: roles.iter().map(|r| r.to_string()).collect(),
                password: Secret::new(STAFF_PW),
            },
            "test",
        )
        .await
        .expect("add staff");
}

pub async fn password_step(b: &Browser, next: &str, user: &str, pass: &str) -> Page {
    let path = if next.is_empty() {
        "/staff/login".to_string()
    } else {
        format!("/staff/login?next={}", urlenc(next))
    };
    let login = b.get(&path).await;
    assert_eq!(login.status, 200, "{}", login.body);
    b.post(
        "/staff/login",
        &[
            ("csrf_token", &login.csrf()),
            ("username", user),
            ("password", pass),
        ],
    )
    .await
}

pub fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Logs in fully; returns the final response (303 to `next`).
pub async fn staff_login(app: &TestApp, b: &Browser, user: &str, next: &str) -> Page {
    let r = password_step(b, next, user, STAFF_PW).await;
    assert_eq!(r.status, 303, "password step: {}", r.body);
    assert_eq!(r.location.as_deref(), Some("/staff/login/otp"));
    let otp = b.get("/staff/login/otp").await;
    assert_eq!(otp.status, 200);
    let code = app.last_code(&phone_of(user));
    let done = b
        .post(
            "/staff/login/otp",
            &[("csrf_token", &otp.csrf()), ("otp", &code)],
        )
        .await;
    assert_eq!(done.status, 303, "code step: {}", done.body);
    done
}

pub async fn kinds(app: &TestApp) -> Vec<String> {
    app.services
        .ports
        .store
        .recent_audit(500)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .collect()
}

pub fn set_cookies(p: &Page) -> Vec<String> {
    p.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}
