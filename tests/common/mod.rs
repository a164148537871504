//! Test harness: the real app on a random loopback port with a fresh database (SQLite file, or a
//! fresh PostgreSQL database when TEST_DATABASE_URL is set), SMS to a JSON-lines outbox, a FixedClock,
//! and a cookie-keeping browser. SP-side helpers build AuthnRequests the way an e-service would
//! (independently of the IdP's own SAML code) and check Responses with samael's SP validation,
//! pysaml2 (tests/python) and xmlsec1.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod account;
pub mod activation;
pub mod cli;
pub mod faults;
pub mod journey;
pub mod policy;
pub mod smtp;
pub mod sp;
pub mod staff;
pub mod tls;

use chrono::Utc;
use pass_idp::clock::{FixedClock, SharedClock};
use pass_idp::config::Config;
use pass_idp::service::citizens::NewCitizenInput;
use pass_idp::service::Services;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

pub use sp::TestSp;

pub const PASSWORD: &str = "Pravilno-geslo-42";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (said once per test when skipped).
pub fn backends() -> Vec<Backend> {
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        vec![Backend::Sqlite, Backend::Postgres]
    } else {
        eprintln!("note: TEST_DATABASE_URL not set: PostgreSQL variant skipped, SQLite only");
        vec![Backend::Sqlite]
    }
}

pub struct TestApp {
    pub base: String,
    pub services: Services,
    pub clock: FixedClock,
    pub dir: tempfile::TempDir,
    pub sms_path: PathBuf,
    pub metadata_dir: PathBuf,
    handle: actix_web::dev::ServerHandle,
    pg: Option<(String, String)>,
}

async fn fresh_database(
    backend: Backend,
    dir: &std::path::Path,
) -> (String, Option<(String, String)>) {
    match backend {
        Backend::Sqlite => (format!("sqlite://{}/idp.db?mode=rwc", dir.display()), None),
        Backend::Postgres => {
            use sea_orm::ConnectionTrait;
            let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
            let name = format!("passidp_t_{}", uuid::Uuid::new_v4().simple());
            let db = sea_orm::Database::connect(&admin)
                .await
                .expect("connect to TEST_DATABASE_URL");
            db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
            let mut url = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&format!("/{name}"));
            (url.to_string(), Some((admin, name)))
        }
    }
}

impl TestApp {
    pub async fn spawn(sps: &[&TestSp]) -> TestApp {
        Self::spawn_with(Backend::Sqlite, sps, |_| {}).await
    }

    pub async fn spawn_with(
        backend: Backend,
        sps: &[&TestSp],
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let metadata_dir = dir.path().join("metadata");
        std::fs::create_dir_all(&metadata_dir).unwrap();
        for sp in sps {
            std::fs::write(metadata_dir.join(format!("{}.xml", sp.name)), sp.metadata()).unwrap();
            if let Some(p) = &sp.policy {
                std::fs::write(metadata_dir.join(format!("{}.policy.toml", sp.name)), p).unwrap();
            }
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let (database_url, pg) = fresh_database(backend, dir.path()).await;
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut cfg = Config {
            dev_mode: true,
            base_url: base.clone(),
            bind: format!("127.0.0.1:{port}"),
            database_url,
            signing_key: root.join("certs-dev/idp-signing.key"),
            signing_cert: root.join("certs-dev/idp-signing.crt"),
            metadata_dir: metadata_dir.clone(),
            ..Config::default()
        };
        cfg.entity_id = format!("{base}/saml/metadata");
        cfg.secrets.nameid = "test-nameid-secret-0123456789abcdef".into();
        cfg.secrets.token = "test-token-secret-0123456789abcdefgh".into();
        cfg.password.memory_kib = 8192;
        cfg.password.iterations = 1;
        cfg.sms.outbox_path = dir.path().join("sms-outbox.jsonl");
        cfg.mail.outbox_dir = dir.path().join("mail");
        // Tests of other things send many codes to one number from one address; the SMS limits
        // have their own tests (`sms_limits.rs`), which set them back.
        cfg.sms.limits.phone_per_hour = 10_000;
        cfg.sms.limits.phone_per_day = 10_000;
        cfg.sms.limits.address_per_hour = 10_000;
        tweak(&mut cfg);
        let sms_path = cfg.sms.outbox_path.clone();
        let clock = FixedClock::at_system_now();
        let shared: SharedClock = Arc::new(clock.clone());
        let services = pass_idp::bootstrap::services(cfg, shared, None)
            .await
            .expect("services");
        let state = pass_idp::app_state(&services).expect("state");
        let server = actix_web::HttpServer::new(move || pass_idp::build_app(state.clone()))
            .listen(listener)
            .unwrap()
            .workers(2)
            .disable_signals()
            .run();
        let handle = server.handle();
        tokio::spawn(server);
        TestApp {
            base,
            services,
            clock,
            dir,
            sms_path,
            metadata_dir,
            handle,
            pg,
        }
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
        if let Some((admin, name)) = &self.pg {
            use sea_orm::ConnectionTrait;
            drop(self.services);
            if let Ok(db) = sea_orm::Database::connect(admin).await {
                let _ = db
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    }

    pub fn sso_url(&self) -> String {
        format!("{}/saml/sso", self.base)
    }

    pub async fn add_citizen(&self, username: &str, phone: Option<&str>) {
        self.services
            .citizens
            .add_citizen(
                NewCitizenInput {
                    username: username.into(),
                    given_name: "Janez".into(),
                    family_name: "Novak".into(),
                    email: Some(format!("{username}@example.si")),
                    phone: phone.map(str::to_string),
                    password: pass_idp::auth::Secret::new(PASSWORD),
                },
                "test",
            )
            .await
            .expect("add citizen");
    }

    /// All SMS in the outbox: (to, text).
    pub fn sms(&self) -> Vec<(String, String)> {
        let Ok(text) = std::fs::read_to_string(&self.sms_path) else {
            return vec![];
        };
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("outbox line is JSON");
                assert!(v["sent_at"]
                    .as_str()
                    .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()));
                (
                    v["to"].as_str().unwrap().to_string(),
                    v["text"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// The code in the newest SMS to `to` (taken from the WebOTP line `@host #code`).
    pub fn last_code(&self, to: &str) -> String {
        let (_, text) = self
            .sms()
            .into_iter()
            .rev()
            .find(|(t, _)| t == to)
            .expect("an SMS to this phone");
        text.rsplit('#').next().unwrap().trim().to_string()
    }

    pub async fn idp_metadata(&self) -> String {
        reqwest::get(format!("{}/saml/metadata", self.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn hidden(&self, name: &str) -> Option<String> {
        hidden_inputs(&self.body).remove(name)
    }
    pub fn csrf(&self) -> String {
        self.hidden("csrf_token").expect("page has a csrf_token")
    }
}

pub fn hidden_inputs(html: &str) -> HashMap<String, String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("input[type=hidden]").unwrap();
    doc.select(&sel)
        .filter_map(|e| {
            Some((
                e.value().attr("name")?.to_string(),
                e.value().attr("value")?.to_string(),
            ))
        })
        .collect()
}

pub fn form_action(html: &str, id: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(&format!("form#{id}")).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("action").map(str::to_string))
}

pub struct Browser {
    pub client: reqwest::Client,
    base: String,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            client,
            base: base.to_string(),
        }
    }

    fn url(&self, p: &str) -> String {
        if p.starts_with("http") {
            p.to_string()
        } else {
            format!("{}{}", self.base, p)
        }
    }

    async fn page(r: reqwest::Response) -> Page {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = r.text().await.unwrap();
        Page {
            status,
            location,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Self::page(
            self.client
                .post(self.url(path))
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

/// What the IdP posted back to the e-service.
#[derive(Debug, Clone)]
pub struct Posted {
    pub acs_url: String,
    pub saml_response: String,
    pub relay_state: Option<String>,
}

impl Posted {
    pub fn from_page(p: &Page) -> Option<Posted> {
        let h = hidden_inputs(&p.body);
        Some(Posted {
            acs_url: form_action(&p.body, "saml-post")?,
            saml_response: h.get("SAMLResponse")?.clone(),
            relay_state: h.get("RelayState").cloned(),
        })
    }
    pub fn xml(&self) -> String {
        use base64::Engine;
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(&self.saml_response)
                .unwrap(),
        )
        .unwrap()
    }
}

/// Drives a whole smsPASS login from the SSO URL (GET with a query, or a POST form) to the posted
/// Response. Panics with the page body when a step does not go as expected.
pub async fn full_login(
    app: &TestApp,
    b: &Browser,
    start: Page,
    username: &str,
    phone: &str,
) -> Posted {
    assert_eq!(start.status, 303, "SSO start: {}", start.body);
    assert_eq!(start.location.as_deref(), Some("/login"));
    let choose = b.get("/login").await;
    assert_eq!(choose.status, 200, "{}", choose.body);
    let pw = b.get("/login/password").await;
    assert_eq!(pw.status, 200);
    let r = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &pw.csrf()),
                ("username", username),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "password step: {}", r.body);
    assert_eq!(r.location.as_deref(), Some("/login/otp"));
    let otp_page = b.get("/login/otp").await;
    assert_eq!(otp_page.status, 200);
    let code = app.last_code(phone);
    let done = b
        .post(
            "/login/otp",
            &[("csrf_token", &otp_page.csrf()), ("otp", &code)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    Posted::from_page(&done).unwrap_or_else(|| panic!("no SAML post form in: {}", done.body))
}

pub fn now() -> chrono::DateTime<Utc> {
    Utc::now()
}

/// Runs a tests/python script with JSON or XML on stdin and returns its JSON answer.
pub fn python(script: &str, input: &str) -> serde_json::Value {
    use std::io::Write;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let py = root.join("var/test-venv/bin/python");
    assert!(
        py.exists(),
        "the test venv is missing: run `make test-venv` (make test does it)"
    );
    let mut child = std::process::Command::new(py)
        .arg(root.join("tests/python").join(script))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap_or_else(|_| {
        panic!(
            "{script} said: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn xsd_valid(xml: &str) -> Result<(), String> {
    let v = python("xsd_check.py", xml);
    if v["ok"] == serde_json::Value::Bool(true) {
        Ok(())
    } else {
        Err(v["error"].to_string())
    }
}

/// The `saml:Assertion` element cut out of a Response (it declares its own namespaces).
pub fn assertion_of(xml: &str) -> String {
    let start = xml.find("<saml:Assertion").expect("an assertion");
    let end = xml.find("</saml:Assertion>").expect("assertion end") + "</saml:Assertion>".len();
    xml[start..end].to_string()
}

/// `xmlsec1 --verify` of the first signature in the document, whose reference is an element of type
/// `id_node` (e.g. "urn:oasis:names:tc:SAML:2.0:assertion:Assertion").
pub fn xmlsec1_verify(
    xml: &str,
    cert_pem_path: &std::path::Path,
    id_node: &str,
) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("doc.xml");
    std::fs::write(&f, xml).unwrap();
    let out = std::process::Command::new("xmlsec1")
        .args([
            "--verify",
            "--enabled-reference-uris",
            "same-doc",
            "--pubkey-cert-pem",
        ])
        .arg(cert_pem_path)
        .arg("--id-attr:ID")
        .arg(id_node)
        .arg(&f)
        .output()
        .map_err(|e| format!("xmlsec1 not runnable: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

pub fn idp_cert_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs-dev/idp-signing.crt")
}
