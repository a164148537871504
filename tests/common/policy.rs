//! Helpers for the tests of policy changes during a login: an operator's edit of a policy file (with a
//! registry reload), database counts, a login stopped at the code step, and the expected outcomes.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::sp::Req;
use super::{Browser, Page, Posted, TestApp, TestSp, PASSWORD};

pub const PHONE: &str = "+38641555666";
pub const DISABLED_SL: &str = "E-storitev trenutno ni na voljo.";

/// Writes the e-service's policy file and reloads the registry, as an operator would.
pub fn set_policy(app: &TestApp, sp: &TestSp, toml: &str) {
    std::fs::write(
        app.metadata_dir.join(format!("{}.policy.toml", sp.name)),
        toml,
    )
    .unwrap();
    let reg = app.services.ports.registry.reload();
    assert!(reg.problems.is_empty(), "{:?}", reg.problems);
}

pub fn set_metadata(app: &TestApp, sp: &TestSp, xml: &str) {
    std::fs::write(app.metadata_dir.join(format!("{}.xml", sp.name)), xml).unwrap();
    app.services.ports.registry.reload();
}

pub async fn count(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = sea_orm::Database::connect(&app.services.ports.cfg.database_url)
        .await
        .unwrap();
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get_by_index(0).unwrap();
    db.close().await.unwrap();
    n
}

pub async fn sessions(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM sso_sessions").await
}

pub async fn kinds(app: &TestApp) -> Vec<String> {
    super::staff::kinds(app).await
}

/// The refusal written when the Response was decided (the newest request.refused record).
pub async fn response_refusal(app: &TestApp) -> serde_json::Value {
    let rec = app
        .services
        .ports
        .store
        .recent_audit(50)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == "request.refused")
        .expect("a request.refused record");
    let d: serde_json::Value = serde_json::from_str(&rec.detail).unwrap();
    assert_eq!(d["stage"], "response", "{d}");
    d
}

/// A browser part-way through a login: the AuthnRequest was accepted and the password given (the
/// code was sent); `finish` types the code.
pub struct Midway {
    pub b: Browser,
    pub req: Req,
    otp_csrf: String,
}

pub async fn to_code_step(app: &TestApp, sp: &TestSp, req: Req, user: &str) -> Midway {
    let b = app.browser();
    let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
    let start = b.get(&format!("/saml/sso?{q}")).await;
    assert_eq!(start.status, 303, "SSO start: {}", start.body);
    let pw = b.get("/login/password").await;
    let r = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &pw.csrf()),
                ("username", user),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/login/otp"), "{}", r.body);
    let otp = b.get("/login/otp").await;
    assert_eq!(otp.status, 200, "{}", otp.body);
    Midway {
        b,
        req,
        otp_csrf: otp.csrf(),
    }
}

impl Midway {
    pub async fn finish(&self, app: &TestApp) -> Page {
        let code = app.last_code(PHONE);
        self.b
            .post(
                "/login/otp",
                &[("csrf_token", &self.otp_csrf), ("otp", &code)],
            )
            .await
    }
}

pub fn sso_cookie_set(p: &Page) -> bool {
    super::staff::set_cookies(p)
        .iter()
        .any(|c| c.starts_with("pidp_sso=") && !c.starts_with("pidp_sso=;"))
}

/// The citizen sees the translated "not available" page; nothing is posted anywhere.
pub fn assert_unavailable_page(p: &Page) {
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains(DISABLED_SL), "{}", p.body);
    assert!(p.body.contains("<code>"), "reference id shown");
    assert!(Posted::from_page(p).is_none(), "nothing posted: {}", p.body);
    assert!(!p.body.contains("SAMLResponse"));
    assert!(!sso_cookie_set(p), "no session cookie");
}

/// A SAML status Response (no assertion) posted to the metadata ACS, addressed to it.
pub fn assert_status(p: &Page, sp: &TestSp, req: &Req, second: &str) {
    assert_eq!(p.status, 200, "{}", p.body);
    let posted = Posted::from_page(p).expect("a status Response form");
    assert_eq!(posted.acs_url, sp.acs_url, "to the metadata ACS");
    let xml = posted.xml();
    assert!(
        xml.contains(&format!("Destination=\"{}\"", sp.acs_url)),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("InResponseTo=\"{}\"", req.id)),
        "{xml}"
    );
    assert!(
        xml.contains("urn:oasis:names:tc:SAML:2.0:status:Requester"),
        "{xml}"
    );
    assert!(xml.contains(second), "expected {second} in {xml}");
    assert!(!xml.contains("Assertion"), "no assertion: {xml}");
    assert!(!sso_cookie_set(p), "no session cookie");
}

/// After a refused finish the login is closed: the code cannot be typed again.
pub async fn assert_login_closed(app: &TestApp, m: &Midway) {
    let again = m.finish(app).await;
    assert!(Posted::from_page(&again).is_none(), "{}", again.body);
    assert_ne!(again.status, 200, "{}", again.body);
}

pub fn attributes(app_md: &str, sp: &TestSp, posted: &Posted, req: &Req) -> Vec<String> {
    let a = sp
        .samael_accepts(app_md, &posted.saml_response, &req.id)
        .unwrap_or_else(|e| panic!("samael refused: {e}\n{}", posted.xml()));
    a.attribute_statements
        .unwrap_or_default()
        .into_iter()
        .flat_map(|s| s.attributes)
        .filter_map(|a| a.friendly_name)
        .collect()
}

pub fn name_id(app_md: &str, sp: &TestSp, posted: &Posted, req: &Req) -> (String, String) {
    let a = sp
        .samael_accepts(app_md, &posted.saml_response, &req.id)
        .unwrap_or_else(|e| panic!("samael refused: {e}\n{}", posted.xml()));
    let n = a.subject.unwrap().name_id.unwrap();
    (n.value, n.format.unwrap_or_default())
}

pub async fn confirm_email(app: &TestApp, username: &str) {
    use pass_idp::audit::{AuditEvent, AuditKind};
    let u = pass_idp::domain::ids::Username::parse(username).unwrap();
    let (c, _) = app
        .services
        .ports
        .store
        .find_login(&u)
        .await
        .unwrap()
        .unwrap();
    app.services
        .ports
        .store
        .set_email_verified(
            &c.id.0,
            app.services.ports.now_ms(),
            &AuditEvent::new(AuditKind::EmailVerified).citizen(&c.id.0),
        )
        .await
        .unwrap();
}
