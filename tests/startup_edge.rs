//! Start-up and HTTP edge: published development keys refused outside dev mode whatever
//! certificate wraps them (every key setting), Strict-Transport-Security, the operator-page checks
//! applied to every metadata source (folder files and remote aggregate entries), and `/metrics`
//! behind a bearer token.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use chrono::{Duration, Utc};
use common::sp::{keypair, sign_xml, Req, RSA_SHA256};
use common::{Backend, Browser, TestApp, TestSp};
use pass_idp::config::{Config, RemoteMetadata};
use pass_idp::service::remote_metadata::{load_cache, RemoteSource};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The public URL of the non-dev test IdPs (a TLS proxy in front of the plain listener).
const PUBLIC: &str = "https://login.example.test";
const UNKNOWN_SP_SL: &str = "E-storitev, iz katere prihajate, ni povezana s tem sistemom.";
const METRICS_TOKEN: &str = "scrape-token-0123456789-abcdefghijkl";

use common::cli::{openssl, root};

/// A new self-signed certificate for an existing key, with an ordinary subject (no DEV ONLY).
fn rewrap(key: &Path, out: &Path) {
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        key.to_str().unwrap(),
        "-subj",
        "/O=Republika Slovenija/CN=login.example.test",
        "-days",
        "365",
        "-sha256",
        "-out",
        out.to_str().unwrap(),
    ]);
}

/// A key and certificate of our own: (key, cert).
fn own_key(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (key, cert) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.crt")),
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        cert.to_str().unwrap(),
        "-subj",
        &format!("/CN={name}"),
        "-days",
        "365",
    ]);
    (key, cert)
}

/// A production-like configuration file in `dir` (plus `extra` TOML).
fn config_file(dir: &Path, signing: (&Path, &Path), extra: &str) -> PathBuf {
    std::fs::create_dir_all(dir.join("metadata")).unwrap();
    let d = dir.display();
    let toml = format!(
        r#"base_url = "{PUBLIC}"
bind = "127.0.0.1:0"
database_url = "sqlite://{d}/idp.db?mode=rwc"
signing_key = "{}"
signing_cert = "{}"
metadata_dir = "{d}/metadata"
[secrets]
nameid = "a-production-secret-of-enough-length-1"
token = "a-production-secret-of-enough-length-2"
[sms]
outbox_path = "{d}/sms.jsonl"
[mail]
outbox_dir = "{d}/mail"
{extra}"#,
        signing.0.display(),
        signing.1.display()
    );
    let path = dir.join("pass-idp.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// Runs the real binary; a process still running after 60 s (a server that started) is reported as
/// started.
fn run(config: &Path, args: &[&str]) -> (bool, String) {
    common::cli::run_binary(config, args, &[], std::time::Duration::from_secs(60))
}

fn assert_refused(out: &(bool, String), key: &str, dev_file: &str) {
    let (ok, text) = out;
    assert!(!ok, "the server must not start: {text}");
    assert!(
        text.contains(key)
            && text.contains("refused outside dev mode")
            && text.contains(&format!("published development key {dev_file}")),
        "the message names the setting, the key and why: {text}"
    );
}

#[test]
fn dev_signing_key_in_a_new_certificate_is_refused_outside_dev_mode() {
    for dev_key in ["certs-dev/idp-signing.key", "certs-dev/demo-sp-signed.key"] {
        let dir = tempfile::tempdir().unwrap();
        let key = root().join(dev_key);
        let cert = dir.path().join("fresh.crt");
        rewrap(&key, &cert);
        let subject = Command::new("openssl")
            .args(["x509", "-noout", "-subject", "-in", cert.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(!String::from_utf8_lossy(&subject.stdout).contains("DEV ONLY"));
        let cfg = config_file(dir.path(), (&key, &cert), "");
        assert_refused(&run(&cfg, &["serve"]), "signing_key", dev_key);
        // Every command that builds the services refuses it as well.
        assert_refused(
            &run(&cfg, &["user", "show", "nobody"]),
            "signing_key",
            dev_key,
        );
    }
}

#[test]
fn dev_key_as_tls_key_client_ca_or_federation_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (own, own_crt) = own_key(dir.path(), "signing");
    let dev_key = root().join("certs-dev/idp-signing.key");
    let wrapped = dir.path().join("wrapped.crt");
    rewrap(&dev_key, &wrapped);
    let (tls_key, tls_crt) = own_key(dir.path(), "tls");
    let cases = [
        (
            format!(
                "[tls]\nenabled = true\ncert = \"{}\"\nkey = \"{}\"\n",
                wrapped.display(),
                dev_key.display()
            ),
            "tls.key",
        ),
        (
            // Our own TLS key, but a chain that carries the dev key.
            format!(
                "[tls]\nenabled = true\ncert = \"{}\"\nkey = \"{}\"\n",
                wrapped.display(),
                tls_key.display()
            ),
            "tls.cert",
        ),
        (
            format!(
                "[client_cert]\nqualified_cas = [\"{}\", \"{}\"]\n",
                tls_crt.display(),
                wrapped.display()
            ),
            "client_cert.qualified_cas",
        ),
        (
            format!(
                "[[remote_metadata]]\nurl = \"https://federation.example/md.xml\"\ncert = \"{}\"\ncache_file = \"{}/fed.xml\"\n",
                wrapped.display(),
                dir.path().display()
            ),
            "remote_metadata.cert",
        ),
    ];
    for (extra, key) in cases {
        let cfg = config_file(dir.path(), (&own, &own_crt), &extra);
        let out = run(&cfg, &["serve"]);
        assert_refused(&out, key, "certs-dev/idp-signing.key");
    }
}

#[test]
fn own_keys_pass_and_dev_keys_pass_in_dev_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (own, own_crt) = own_key(dir.path(), "signing");
    let dev_key = root().join("certs-dev/idp-signing.key");
    let wrapped = dir.path().join("wrapped.crt");
    rewrap(&dev_key, &wrapped);
    let mut cfg = Config {
        dev_mode: false,
        signing_key: own.clone(),
        signing_cert: own_crt.clone(),
        ..Config::default()
    };
    cfg.tls.enabled = true;
    cfg.tls.key = own.clone();
    cfg.tls.cert = own_crt.clone();
    cfg.client_cert.qualified_cas = vec![own_crt.clone()];
    assert!(pass_idp::bootstrap::load_signing_key(&cfg).is_ok());
    assert!(pass_idp::bootstrap::refuse_dev_keys(&cfg).is_ok());
    let dev = Config {
        dev_mode: true,
        signing_key: dev_key.clone(),
        signing_cert: wrapped.clone(),
        ..cfg.clone()
    };
    assert!(pass_idp::bootstrap::load_signing_key(&dev).is_ok());
    let mut dev = dev;
    dev.tls.key = dev_key;
    dev.tls.cert = wrapped;
    assert!(pass_idp::bootstrap::refuse_dev_keys(&dev).is_ok());
}

/// A non-dev IdP behind a TLS proxy: public URL https, plain listener, own signing key.
async fn prod_app(sps: &[&TestSp], tweak: impl FnOnce(&mut Config)) -> TestApp {
    let keys = tempfile::tempdir().unwrap();
    let (key, cert) = own_key(keys.path(), "idp-signing");
    let app = TestApp::spawn_with(Backend::Sqlite, sps, move |c| {
        c.dev_mode = false;
        c.base_url = PUBLIC.into();
        c.entity_id = format!("{PUBLIC}/saml/metadata");
        c.signing_key = key;
        c.signing_cert = cert;
        tweak(c);
    })
    .await;
    app.services.ports.store.migrate().await.unwrap();
    app
}

fn hsts(p: &common::Page) -> Option<String> {
    p.headers
        .get("strict-transport-security")
        .map(|v| v.to_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_on_the_tls_listener_and_behind_a_proxy_not_on_dev_plain_http() {
    // Dev mode: the TLS listener sends it, the plain-http one does not.
    let tls = common::tls::TlsTestApp::spawn(Backend::Sqlite, &[]).await;
    let client = tls.client(None);
    for path in ["/", "/no-such-page", "/saml/sso"] {
        let r = client
            .get(format!("{}{path}", tls.tls_base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap()),
            Some("max-age=31536000"),
            "https {path} (status {})",
            r.status()
        );
        let plain = tls.app.browser().get(path).await;
        assert_eq!(hsts(&plain), None, "dev plain http {path}");
    }
    tls.stop().await;

    // Outside dev mode the plain listener sits behind the https proxy: every answer carries it,
    // error pages too, with the configured max-age.
    let app = prod_app(&[], |c| c.hsts.max_age_secs = 86_400).await;
    for path in ["/", "/healthz", "/no-such-page", "/saml/sso"] {
        let p = app.browser().get(path).await;
        assert_eq!(
            hsts(&p).as_deref(),
            Some("max-age=86400"),
            "{path} ({})",
            p.status
        );
    }
    app.stop().await;
}

fn http_acs_sp(name: &str) -> TestSp {
    let mut sp = TestSp::new(name, false);
    sp.acs_url = format!("http://{name}.sp.test/acs");
    sp
}

async fn sso_start(app: &TestApp, sp: &TestSp) -> common::Page {
    let r = Req::new(&format!("{PUBLIC}/saml/sso"));
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    app.browser().get(&format!("/saml/sso?{q}")).await
}

fn assert_unknown_sp(p: &common::Page, sp: &TestSp) {
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains(UNKNOWN_SP_SL), "{}", p.body);
    assert!(common::Posted::from_page(p).is_none(), "nothing is posted");
    assert!(!p.body.contains(&sp.acs_url), "the ACS is not used");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_placed_http_acs_file_is_skipped_outside_dev_mode() {
    let plain = http_acs_sp("plain");
    // Only the second ACS is http: one bad endpoint is enough.
    let mut mixed = TestSp::new("mixed", false);
    mixed.acs_url_2 = "http://mixed.sp.test/acs2".into();
    let good = TestSp::new("good", false);
    let app = prod_app(&[&plain, &mixed, &good], |_| {}).await;
    assert_unknown_sp(&sso_start(&app, &plain).await, &plain);
    assert_unknown_sp(&sso_start(&app, &mixed).await, &mixed);
    let p = sso_start(&app, &good).await;
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/login")));
    let reg = app.services.ports.registry.snapshot();
    assert_eq!(reg.len(), 1);
    for (sp, url) in [(&plain, &plain.acs_url), (&mixed, &mixed.acs_url_2)] {
        assert!(
            reg.problems
                .iter()
                .any(|p| p.file.ends_with(format!("{}.xml", sp.name))
                    && p.problem.contains("acs-not-https")
                    && p.problem.contains(url.as_str())),
            "{:?}",
            reg.problems
        );
    }
    // A reload (file change, SIGHUP, operator save) applies the same checks.
    std::fs::write(
        app.metadata_dir.join("late.xml"),
        http_acs_sp("late").metadata(),
    )
    .unwrap();
    let reg = app.services.ports.registry.reload();
    assert!(reg.get(&http_acs_sp("late").entity_id).is_none());
    assert!(reg.get(&good.entity_id).is_some());
    app.stop().await;

    // In dev mode the same file is served.
    let app = TestApp::spawn(&[&plain]).await;
    let q = plain.redirect_query(
        &plain.authn_request(&Req::new(&app.sso_url()), false),
        None,
        None,
    );
    let p = app.browser().get(&format!("/saml/sso?{q}")).await;
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/login")));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_with_a_dev_key_is_skipped_outside_dev_mode() {
    let mut sp = TestSp::new("devkey", true);
    let dev_crt = std::fs::read(root().join("certs-dev/demo-sp-signed.crt")).unwrap();
    sp.cert_der = openssl::x509::X509::from_pem(&dev_crt)
        .unwrap()
        .to_der()
        .unwrap();
    let app = prod_app(&[&sp], |_| {}).await;
    assert_unknown_sp(&sso_start(&app, &sp).await, &sp);
    let reg = app.services.ports.registry.snapshot();
    assert!(
        reg.problems
            .iter()
            .any(|p| p.problem.contains("dev-key") && p.problem.contains("demo-sp-signed.key")),
        "{:?}",
        reg.problems
    );
    app.stop().await;
}

const FED_ID: &str = "_federation-aggregate-edge";

/// A signed EntitiesDescriptor of `sps`.
fn aggregate(sps: &[&TestSp], key: &openssl::pkey::PKey<openssl::pkey::Private>) -> String {
    let entities: String = sps
        .iter()
        .map(|sp| sp.metadata().replacen(r#"<?xml version="1.0"?>"#, "", 1))
        .collect();
    let template = format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{RSA_SHA256}"/><ds:Reference URI="#{FED_ID}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>"##
    );
    let valid_until = (Utc::now() + Duration::days(7)).format("%Y-%m-%dT%H:%M:%SZ");
    sign_xml(
        &format!(
            r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="{FED_ID}" validUntil="{valid_until}">{template}{entities}</md:EntitiesDescriptor>"#
        ),
        key,
    )
}

/// A federation with a cached aggregate of `sps`: (its tempdir, the source configuration).
fn federation(sps: &[&TestSp]) -> (tempfile::TempDir, RemoteMetadata) {
    let dir = tempfile::tempdir().unwrap();
    let (key, _, pem) = keypair("Edge test federation");
    let cert = dir.path().join("federation.crt");
    std::fs::write(&cert, pem).unwrap();
    let cache_file = dir.path().join("federation.xml");
    std::fs::write(&cache_file, aggregate(sps, &key)).unwrap();
    let rm = RemoteMetadata {
        url: "https://federation.example/metadata.xml".into(),
        cert,
        cache_file,
        min_refresh_secs: 300,
        max_refresh_secs: 86_400,
    };
    (dir, rm)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_aggregate_entry_with_http_acs_is_skipped_outside_dev_mode() {
    let fed_plain = http_acs_sp("fedplain");
    let fed_good = TestSp::new("fedgood", false);
    let (_fed, rm) = federation(&[&fed_plain, &fed_good]);
    let cfg_rm = rm.clone();
    let app = prod_app(&[], move |c| c.remote_metadata = vec![cfg_rm]).await;
    let src = RemoteSource::all(&app.services.sp_admin).unwrap().remove(0);
    assert_eq!(load_cache(&app.services.sp_admin, &src).unwrap(), Some(1));
    assert_unknown_sp(&sso_start(&app, &fed_plain).await, &fed_plain);
    let p = sso_start(&app, &fed_good).await;
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/login")));
    let reg = app.services.ports.registry.snapshot();
    assert!(
        reg.problems
            .iter()
            .any(|p| p.problem.contains(&fed_plain.entity_id)
                && p.problem.contains("acs-not-https")
                && p.problem.contains(&fed_plain.acs_url)),
        "{:?}",
        reg.problems
    );
    // A folder reload keeps the verdict on the remote entries.
    let reg = app.services.ports.registry.reload();
    assert!(reg.get(&fed_plain.entity_id).is_none());
    assert!(reg.get(&fed_good.entity_id).is_some());
    app.stop().await;

    // Dev mode: the same aggregate serves both.
    let mut rm_dev = rm;
    rm_dev.url = "http://127.0.0.1:9/metadata.xml".into();
    let app = TestApp::spawn_with(Backend::Sqlite, &[], move |c| {
        c.remote_metadata = vec![rm_dev]
    })
    .await;
    let src = RemoteSource::all(&app.services.sp_admin).unwrap().remove(0);
    assert_eq!(load_cache(&app.services.sp_admin, &src).unwrap(), Some(2));
    app.stop().await;
}

#[test]
fn sp_list_shows_skipped_files_and_aggregate_entries_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (own, own_crt) = own_key(dir.path(), "signing");
    let plain = http_acs_sp("listplain");
    let good = TestSp::new("listgood", false);
    let fed_plain = http_acs_sp("listfedplain");
    let fed_good = TestSp::new("listfedgood", false);
    let (_fed, rm) = federation(&[&fed_plain, &fed_good]);
    let extra = format!(
        "[[remote_metadata]]\nurl = \"{}\"\ncert = \"{}\"\ncache_file = \"{}\"\n",
        rm.url,
        rm.cert.display(),
        rm.cache_file.display()
    );
    let cfg = config_file(dir.path(), (&own, &own_crt), &extra);
    let md = dir.path().join("metadata");
    std::fs::write(md.join("listplain.xml"), plain.metadata()).unwrap();
    std::fs::write(md.join("listgood.xml"), good.metadata()).unwrap();
    let (ok, out) = run(&cfg, &["sp", "list"]);
    assert!(ok, "{out}");
    let line = |needle: &str| {
        out.lines()
            .find(|l| l.contains(needle))
            .unwrap_or("")
            .to_string()
    };
    assert!(line(&good.entity_id).ends_with("listgood.xml"), "{out}");
    assert!(line(&fed_good.entity_id).ends_with(&rm.url), "{out}");
    let skipped = line("listplain.xml");
    assert!(
        skipped.starts_with("SKIPPED")
            && skipped.contains("acs-not-https")
            && skipped.contains(&plain.acs_url),
        "{out}"
    );
    let skipped = line(&fed_plain.entity_id);
    assert!(
        skipped.starts_with("SKIPPED")
            && skipped.contains("acs-not-https")
            && skipped.contains(&fed_plain.acs_url),
        "{out}"
    );
    // `sp check` says the same about the file and exits with an error.
    let (ok, out) = run(
        &cfg,
        &["sp", "check", md.join("listplain.xml").to_str().unwrap()],
    );
    assert!(
        !ok && out.contains("acs-not-https") && out.contains("outside dev mode"),
        "{out}"
    );
    // In dev mode the file and the entry are served.
    let (ok, dev_out) = run(&cfg, &["--dev", "sp", "list"]);
    assert!(ok, "{dev_out}");
    assert!(!dev_out.contains("SKIPPED"), "{dev_out}");
    assert!(dev_out
        .lines()
        .any(|l| l.starts_with(&plain.entity_id) && l.ends_with("listplain.xml")));
    assert!(dev_out
        .lines()
        .any(|l| l.starts_with(&fed_plain.entity_id) && l.ends_with(&rm.url)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_token_outside_dev_mode() {
    let stranger = TestSp::new("stranger", false);
    // No token configured: not served at all.
    let app = prod_app(&[], |_| {}).await;
    assert_unknown_sp(&sso_start(&app, &stranger).await, &stranger);
    for auth in [None, Some(format!("Bearer {METRICS_TOKEN}"))] {
        let mut r = app.browser().client.get(format!("{}/metrics", app.base));
        if let Some(a) = &auth {
            r = r.header("authorization", a);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 404, "{auth:?}");
        assert!(!r.text().await.unwrap().contains("passidp_"));
    }
    app.stop().await;

    let app = prod_app(&[], |c| {
        c.metrics.token = pass_idp::config::SecretValue::new(METRICS_TOKEN)
    })
    .await;
    assert_unknown_sp(&sso_start(&app, &stranger).await, &stranger);
    let wrong_same_length = format!("{}X", &METRICS_TOKEN[..METRICS_TOKEN.len() - 1]);
    for auth in [
        None,
        Some(String::new()),
        Some("Bearer".to_string()),
        Some(format!("Bearer {wrong_same_length}")),
        Some(format!("Bearer {}", &METRICS_TOKEN[..20])),
        Some(format!("Bearer {METRICS_TOKEN}extra")),
        Some(format!("Basic {METRICS_TOKEN}")),
        Some(METRICS_TOKEN.to_string()),
    ] {
        let mut r = app.browser().client.get(format!("{}/metrics", app.base));
        if let Some(a) = &auth {
            r = r.header("authorization", a);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        assert_eq!(
            r.headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap()),
            Some("Bearer realm=\"metrics\"")
        );
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("passidp_") && !body.contains("unknown_sp"),
            "no counters in a refusal: {body}"
        );
    }
    for scheme in ["Bearer", "bearer"] {
        let r = app
            .browser()
            .client
            .get(format!("{}/metrics", app.base))
            .header("authorization", format!("{scheme} {METRICS_TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"));
        let body = r.text().await.unwrap();
        assert!(
            body.contains("passidp_refused_requests_total{reason=\"unknown_sp\"} 1"),
            "{body}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_mode_metrics_are_open_without_a_token_and_closed_with_one() {
    let app = TestApp::spawn(&[]).await;
    let r = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
    let app = TestApp::spawn_with(Backend::Sqlite, &[], |c| {
        c.metrics.token = pass_idp::config::SecretValue::new(METRICS_TOKEN)
    })
    .await;
    let b = Browser::new(&app.base);
    assert_eq!(b.get("/metrics").await.status, 401);
    let r = b
        .client
        .get(format!("{}/metrics", app.base))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}
