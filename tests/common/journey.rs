//! The steps a new citizen takes through the pages, for end-to-end tests: register, open the link
//! from the mail, enter the activation code and the phone, confirm the SMS code, log in to an
//! e-service. Mails are read from a real SMTP server (`super::smtp::SmtpSink`).
use super::smtp::{ReceivedMail, SmtpSink};
use super::sp::Req;
use super::{Browser, Page, Posted, TestApp, TestSp};
use std::time::{Duration, Instant};

/// Fills in and posts the registration form (a permanent address in Ljubljana).
pub async fn register(
    b: &Browser,
    username: &str,
    password: &str,
    given: &str,
    family: &str,
    email: &str,
) -> Page {
    let p = b.get("/account/register").await;
    assert_eq!(p.status, 200, "{}", p.body);
    b.post(
        "/account/register",
        &[
            ("csrf_token", &p.csrf()),
            ("username", username),
            ("password", password),
            ("password_repeat", password),
            ("given_name", given),
            ("family_name", family),
            ("email", email),
            ("street", "Trubarjeva cesta 5"),
            ("postcode", "1000"),
            ("city", "Ljubljana"),
        ],
    )
    .await
}

/// The text of the page's outcome paragraph (`#outcome`), or of the error message.
pub fn outcome(p: &Page) -> String {
    let d = scraper::Html::parse_document(&p.body);
    let s = scraper::Selector::parse("#outcome, .msg").unwrap();
    d.select(&s)
        .next()
        .map(|e| e.text().collect::<String>().trim().to_string())
        .unwrap_or_default()
}

/// Waits (up to 10 s) for a mail to `to` whose subject is `subject`; the newest such mail.
pub async fn mail_to(smtp: &SmtpSink, to: &str, subject: &str) -> ReceivedMail {
    let start = Instant::now();
    loop {
        let all = smtp.messages();
        if let Some(m) = all
            .iter()
            .rev()
            .find(|m| m.to.iter().any(|t| t == to) && m.subject == subject)
        {
            return m.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no mail to {to} with subject {subject:?}; received: {all:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The link to `path` in a mail body (absolute URL with a 43-character token).
pub fn link_in(mail: &ReceivedMail, path: &str) -> String {
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

/// The activation code (`XXXX-XXXX-XXXX`) on the "Aktivacijska koda:" / "Activation code:" line.
pub fn code_in(mail: &ReceivedMail) -> String {
    let re = regex::Regex::new(
        r"(?:Aktivacijska koda|Activation code): ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})",
    )
    .unwrap();
    re.captures(&mail.body)
        .unwrap_or_else(|| panic!("no activation code in: {}", mail.body))[1]
        .to_string()
}

/// On the activation page (logged-in citizen on `b`): code + phone, then the SMS code sent to
/// `phone_e164`. Returns the page after the confirmation.
pub async fn activate_with_code(
    app: &TestApp,
    b: &Browser,
    code: &str,
    phone_typed: &str,
    phone_e164: &str,
) -> Page {
    let r = super::activation::submit_code(b, code, phone_typed).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"confirm-form\""), "{}", r.body);
    let otp = app.last_code(phone_e164);
    let p = b.get("/account/activation").await;
    b.post(
        "/account/activation/confirm",
        &[("csrf_token", &p.csrf()), ("otp", &otp)],
    )
    .await
}

/// An SP-initiated SSO login (HTTP-Redirect) to `sp` on a fresh browser with password + SMS code.
/// Returns the request and what the IdP posted back (panics with the page when a step fails).
pub async fn sso_login(
    app: &TestApp,
    sp: &TestSp,
    username: &str,
    password: &str,
    phone: &str,
) -> (Req, Posted) {
    let b = app.browser();
    let req = Req::new(&app.sso_url());
    let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
    let start = b.get(&format!("/saml/sso?{q}")).await;
    assert_eq!(start.status, 303, "SSO start: {}", start.body);
    assert_eq!(start.location.as_deref(), Some("/login"));
    assert_eq!(b.get("/login").await.status, 200);
    let pw = b.get("/login/password").await;
    assert_eq!(pw.status, 200, "{}", pw.body);
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
    assert_eq!(r.status, 303, "password step: {}", r.body);
    assert_eq!(r.location.as_deref(), Some("/login/otp"), "{}", r.body);
    let otp_page = b.get("/login/otp").await;
    assert_eq!(otp_page.status, 200, "{}", otp_page.body);
    let done = b
        .post(
            "/login/otp",
            &[
                ("csrf_token", &otp_page.csrf()),
                ("otp", &app.last_code(phone)),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let posted =
        Posted::from_page(&done).unwrap_or_else(|| panic!("no SAML post form in: {}", done.body));
    (req, posted)
}

/// An SP-initiated login on a fresh browser up to the password step's answer.
pub async fn sso_password(app: &TestApp, sp: &TestSp, user: &str) -> (Browser, Page) {
    use pass_idp::clock::Clock;
    let b = app.browser();
    let mut r = Req::new(&app.sso_url());
    r.issue_instant = app.clock.now();
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    assert_eq!(b.get(&format!("/saml/sso?{q}")).await.status, 303);
    let pw = b.get("/login/password").await;
    assert_eq!(pw.status, 200, "{}", pw.body);
    let p = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &pw.csrf()),
                ("username", user),
                ("password", super::PASSWORD),
            ],
        )
        .await;
    (b, p)
}
