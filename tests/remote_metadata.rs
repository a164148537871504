//! Remote signed metadata: a federation aggregate served over HTTP by the test, signed by the test's
//! federation key, fetched with `refresh_once` (no timers), cached on disk, refused when bad.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use chrono::{DateTime, Duration, Utc};
use common::sp::{keypair, sign_xml, Req, RSA_SHA256};
use common::{Backend, TestApp, TestSp};
use openssl::pkey::{PKey, Private};
use pass_idp::config::RemoteMetadata;
use pass_idp::service::remote_metadata::{load_cache, refresh_once, RemoteError, RemoteSource};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FED_ID: &str = "_federation-aggregate-1";

/// A signed EntitiesDescriptor holding `sp`; ds:Signature is the first child (schema order).
fn aggregate(sp: &TestSp, valid_until: DateTime<Utc>, key: &PKey<Private>) -> String {
    let entity = sp.metadata().replacen(r#"<?xml version="1.0"?>"#, "", 1);
    let template = format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{RSA_SHA256}"/><ds:Reference URI="#{FED_ID}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>"##
    );
    let xml = format!(
        r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="{FED_ID}" Name="urn:test:federation" validUntil="{}" cacheDuration="PT6H">{template}{entity}</md:EntitiesDescriptor>"#,
        valid_until.format("%Y-%m-%dT%H:%M:%SZ")
    );
    sign_xml(&xml, key)
}

/// A one-route HTTP server: every GET gets the current (status, body).
struct Feed {
    url: String,
    answer: Arc<Mutex<(u16, String)>>,
    task: tokio::task::JoinHandle<()>,
}

impl Feed {
    async fn start() -> Feed {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/federation.xml", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new((404, String::new())));
        let shared = answer.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let mut req = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => req.extend_from_slice(&buf[..n]),
                        }
                    }
                    let (status, body) = shared.lock().unwrap().clone();
                    let head = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/samlmetadata+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.write_all(body.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Feed { url, answer, task }
    }

    fn serve(&self, status: u16, body: &str) {
        *self.answer.lock().unwrap() = (status, body.to_string());
    }

    /// The source goes down: nothing listens on its port any more.
    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

struct Federation {
    key: PKey<Private>,
    dir: tempfile::TempDir,
    cert: PathBuf,
}

impl Federation {
    fn new() -> Federation {
        let (key, _der, pem) = keypair("Test federation");
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("federation.crt");
        std::fs::write(&cert, pem).unwrap();
        Federation { key, dir, cert }
    }
    fn cache_file(&self) -> PathBuf {
        self.dir.path().join("cache").join("federation.xml")
    }
    fn config(&self, url: &str) -> RemoteMetadata {
        RemoteMetadata {
            url: url.to_string(),
            cert: self.cert.clone(),
            cache_file: self.cache_file(),
            min_refresh_secs: 300,
            max_refresh_secs: 86_400,
        }
    }
    fn signed(&self, sp: &TestSp, valid_until: DateTime<Utc>) -> String {
        aggregate(sp, valid_until, &self.key)
    }
}

async fn app_with(fed: &Federation, url: &str, local: &[&TestSp]) -> (TestApp, RemoteSource) {
    let rm = fed.config(url);
    let app = TestApp::spawn_with(Backend::Sqlite, local, move |c| {
        c.remote_metadata = vec![rm]
    })
    .await;
    let src = RemoteSource::all(&app.services.sp_admin).unwrap().remove(0);
    (app, src)
}

fn week() -> DateTime<Utc> {
    Utc::now() + Duration::days(7)
}

/// Starts an SSO with an unsigned Redirect request from `sp`; returns the status and Location.
async fn sso_start(app: &TestApp, sp: &TestSp) -> (u16, Option<String>) {
    let q = sp.redirect_query(
        &sp.authn_request(&Req::new(&app.sso_url()), false),
        None,
        None,
    );
    let page = app.browser().get(&format!("/saml/sso?{q}")).await;
    (page.status, page.location)
}

fn acs_in_force(app: &TestApp, sp: &TestSp) -> Option<String> {
    app.services
        .ports
        .registry
        .snapshot()
        .get(&sp.entity_id)
        .map(|s| s.metadata.acs[0].location.clone())
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_signed_aggregate_loads_and_its_sp_is_accepted() {
    let fed = Federation::new();
    let feed = Feed::start().await;
    let sp = TestSp::new("fedsp", false);
    let (app, src) = app_with(&fed, &feed.url, &[]).await;
    // Not known before the aggregate is loaded.
    assert_ne!(sso_start(&app, &sp).await.0, 303);
    let xml = fed.signed(&sp, week());
    feed.serve(200, &xml);
    let next = refresh_once(&app.services.sp_admin, &src).await.unwrap();
    assert_eq!(
        next.as_secs(),
        6 * 3600,
        "cacheDuration PT6H within [min, max]"
    );
    let reg = app.services.ports.registry.snapshot();
    let got = reg.get(&sp.entity_id).expect("the federation SP is loaded");
    assert_eq!(got.remote_source.as_deref(), Some(feed.url.as_str()));
    assert_eq!(read(&fed.cache_file()), xml, "the accepted copy is cached");
    assert_eq!(
        sso_start(&app, &sp).await,
        (303, Some("/login".to_string()))
    );
    // Reloading the folder keeps the remote SPs.
    assert!(app
        .services
        .ports
        .registry
        .reload()
        .get(&sp.entity_id)
        .is_some());
    app.stop().await;
    feed.stop().await;
}

/// Loads a good copy, then serves `bad`: refused, and the good copy stays in force and on disk.
async fn bad_after_good(bad: impl FnOnce(&Federation, &TestSp) -> (u16, String)) -> RemoteError {
    let fed = Federation::new();
    let feed = Feed::start().await;
    let sp = TestSp::new("fedsp", false);
    let (app, src) = app_with(&fed, &feed.url, &[]).await;
    let good = fed.signed(&sp, week());
    feed.serve(200, &good);
    refresh_once(&app.services.sp_admin, &src).await.unwrap();
    let (status, body) = bad(&fed, &sp);
    feed.serve(status, &body);
    let err = refresh_once(&app.services.sp_admin, &src)
        .await
        .unwrap_err();
    assert_eq!(
        acs_in_force(&app, &sp).as_deref(),
        Some(sp.acs_url.as_str())
    );
    assert_eq!(
        read(&fed.cache_file()),
        good,
        "the cache keeps the last good copy"
    );
    assert_eq!(sso_start(&app, &sp).await.0, 303);
    app.stop().await;
    feed.stop().await;
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_aggregate_is_refused_and_last_good_stays() {
    let err = bad_after_good(|fed, sp| {
        let xml = fed
            .signed(sp, week())
            .replace(&sp.acs_url, "https://attacker.example/acs");
        (200, xml)
    })
    .await;
    assert!(err.to_string().contains("signature"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_aggregate_is_refused_and_last_good_stays() {
    let err =
        bad_after_good(|fed, sp| (200, fed.signed(sp, Utc::now() - Duration::hours(1)))).await;
    assert!(err.to_string().contains("expired"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregate_signed_by_another_key_is_refused_and_last_good_stays() {
    let err = bad_after_good(|_, sp| {
        let (other, _, _) = keypair("Not the federation");
        (200, aggregate(sp, week(), &other))
    })
    .await;
    assert!(err.to_string().contains("signature"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_error_keeps_last_good() {
    let err = bad_after_good(|fed, sp| (500, fed.signed(sp, week()))).await;
    assert!(matches!(err, RemoteError::Status(500)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_keeps_last_good() {
    let err = bad_after_good(|_, _| (200, "<html>maintenance</html>".into())).await;
    assert!(matches!(err, RemoteError::Refused(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_down_after_restart_serves_the_cache() {
    let fed = Federation::new();
    let feed = Feed::start().await;
    let url = feed.url.clone();
    let sp = TestSp::new("fedsp", false);
    let (app, src) = app_with(&fed, &url, &[]).await;
    feed.serve(200, &fed.signed(&sp, week()));
    refresh_once(&app.services.sp_admin, &src).await.unwrap();
    app.stop().await;
    feed.stop().await;

    // "Restart": a new IdP with the same configuration while the source is down.
    let (app, src) = app_with(&fed, &url, &[]).await;
    assert!(acs_in_force(&app, &sp).is_none());
    assert_eq!(load_cache(&app.services.sp_admin, &src).unwrap(), Some(1));
    let err = refresh_once(&app.services.sp_admin, &src)
        .await
        .unwrap_err();
    assert!(matches!(err, RemoteError::Fetch(_)), "{err}");
    assert_eq!(
        acs_in_force(&app, &sp).as_deref(),
        Some(sp.acs_url.as_str())
    );
    assert_eq!(
        sso_start(&app, &sp).await,
        (303, Some("/login".to_string()))
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_cache_file_is_not_used() {
    let fed = Federation::new();
    let sp = TestSp::new("fedsp", false);
    std::fs::create_dir_all(fed.cache_file().parent().unwrap()).unwrap();
    std::fs::write(
        fed.cache_file(),
        fed.signed(&sp, week())
            .replace(&sp.acs_url, "https://attacker.example/acs"),
    )
    .unwrap();
    let (app, src) = app_with(&fed, "http://127.0.0.1:9/none.xml", &[]).await;
    assert!(load_cache(&app.services.sp_admin, &src).is_err());
    assert!(acs_in_force(&app, &sp).is_none());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_file_wins_an_entity_id_clash() {
    let fed = Federation::new();
    let feed = Feed::start().await;
    let local = TestSp::new("clash", false);
    let (app, src) = app_with(&fed, &feed.url, &[&local]).await;
    // The federation publishes the same entityID with another ACS.
    let mut remote = TestSp::new("clash", false);
    remote.acs_url = "https://federation-copy.example/acs".into();
    feed.serve(200, &fed.signed(&remote, week()));
    refresh_once(&app.services.sp_admin, &src).await.unwrap();
    let reg = app.services.ports.registry.snapshot();
    let sp = reg.get(&local.entity_id).unwrap();
    assert!(sp.remote_source.is_none(), "the local file wins");
    assert_eq!(sp.metadata.acs[0].location, local.acs_url);
    assert!(reg
        .problems
        .iter()
        .any(|p| p.problem.contains(&local.entity_id) && p.problem.contains("already defined")));
    app.stop().await;
    feed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_past_valid_until_is_withdrawn_when_refresh_fails() {
    let fed = Federation::new();
    let feed = Feed::start().await;
    let sp = TestSp::new("fedsp", false);
    let (app, src) = app_with(&fed, &feed.url, &[]).await;
    feed.serve(200, &fed.signed(&sp, Utc::now() + Duration::hours(1)));
    refresh_once(&app.services.sp_admin, &src).await.unwrap();
    feed.serve(503, "");
    assert!(refresh_once(&app.services.sp_admin, &src).await.is_err());
    assert!(acs_in_force(&app, &sp).is_some(), "still valid: kept");
    app.clock.advance(Duration::hours(2));
    assert!(refresh_once(&app.services.sp_admin, &src).await.is_err());
    assert!(acs_in_force(&app, &sp).is_none(), "expired: withdrawn");
    assert_ne!(sso_start(&app, &sp).await.0, 303);
    app.stop().await;
    feed.stop().await;
}
