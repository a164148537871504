//! IdP metadata, the SP registry (reload, broken files), operations endpoints, language switch, the
//! command line, and the refusal of dev certificates outside dev mode.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::sp::Req;
use common::*;
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idp_metadata_is_signed_and_schema_valid() {
    let sp = TestSp::new("m", false);
    let app = TestApp::spawn(&[&sp]).await;
    let r = reqwest::get(format!("{}/saml/metadata", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("samlmetadata+xml"));
    let xml = r.text().await.unwrap();
    assert!(xml.contains(&format!("entityID=\"{}/saml/metadata\"", app.base)));
    assert!(xml.contains("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"));
    assert!(xml.contains("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"));
    xsd_valid(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    xmlsec1_verify(
        &xml,
        &idp_cert_path(),
        "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
    )
    .unwrap();
    // A changed byte breaks the signature.
    let tampered = xml.replacen("HTTP-Redirect", "HTTP-Redirecx", 1);
    assert!(xmlsec1_verify(
        &tampered,
        &idp_cert_path(),
        "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor"
    )
    .is_err());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_folder_changes_are_picked_up_and_broken_files_skipped() {
    let first = TestSp::new("first", false);
    let app = TestApp::spawn(&[&first]).await;
    pass_idp::service::jobs::spawn_metadata_watch(app.services.ports.registry.clone());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // A broken file and a good new one arrive.
    std::fs::write(app.metadata_dir.join("broken.xml"), "<md:EntityDescriptor").unwrap();
    let second = TestSp::new("second", false);
    std::fs::write(app.metadata_dir.join("second.xml"), second.metadata()).unwrap();
    let mut ok = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if app
            .services
            .ports
            .registry
            .snapshot()
            .get(&second.entity_id)
            .is_some()
        {
            ok = true;
            break;
        }
    }
    assert!(ok, "the new e-service was loaded without a restart");
    let reg = app.services.ports.registry.snapshot();
    assert!(
        reg.get(&first.entity_id).is_some(),
        "a broken file does not take the others down"
    );
    assert!(
        reg.problems.iter().any(|p| p.file.ends_with("broken.xml")),
        "{:?}",
        reg.problems
    );
    let q = second.redirect_query(
        &second.authn_request(&Req::new(&app.sso_url()), false),
        None,
        None,
    );
    assert_eq!(
        app.browser().get(&format!("/saml/sso?{q}")).await.status,
        303
    );
    // Removing it disconnects the e-service.
    std::fs::remove_file(app.metadata_dir.join("second.xml")).unwrap();
    let mut gone = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if app
            .services
            .ports
            .registry
            .snapshot()
            .get(&second.entity_id)
            .is_none()
        {
            gone = true;
            break;
        }
    }
    assert!(gone);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_eservice_is_refused() {
    let sp = TestSp::new("off", false).with_policy("enabled = false\n");
    let app = TestApp::spawn(&[&sp]).await;
    let q = sp.redirect_query(
        &sp.authn_request(&Req::new(&app.sso_url()), false),
        None,
        None,
    );
    let p = app.browser().get(&format!("/saml/sso?{q}")).await;
    assert_eq!(p.status, 403);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics() {
    let sp = TestSp::new("h", false);
    let app = TestApp::spawn(&[&sp]).await;
    let h: serde_json::Value = reqwest::get(format!("{}/healthz", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["service_providers"], 1);
    // One refused request shows in the metrics.
    let stranger = TestSp::new("nobody", false);
    let q = stranger.redirect_query(
        &stranger.authn_request(&Req::new(&app.sso_url()), false),
        None,
        None,
    );
    app.browser().get(&format!("/saml/sso?{q}")).await;
    let m = reqwest::get(format!("{}/metrics", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        m.contains("passidp_refused_requests_total{reason=\"unknown_sp\"} 1"),
        "{m}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_switch_and_no_open_redirect() {
    let sp = TestSp::new("lang", false);
    let app = TestApp::spawn(&[&sp]).await;
    let b = app.browser();
    assert!(b.get("/").await.body.contains("lang=\"sl\""));
    let r = b.get("/lang?to=en&back=/").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/"));
    let home = b.get("/").await;
    assert!(home.body.contains("lang=\"en\"") && home.body.contains("National login service"));
    for evil in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
    ] {
        let r = b
            .get(&format!("/lang?to=en&back={}", common::sp::urlenc(evil)))
            .await;
        assert_eq!(r.location.as_deref(), Some("/"), "{evil}");
    }
    // Accept-Language is honoured without a cookie.
    let en = app
        .browser()
        .client
        .get(format!("{}/", app.base))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("lang=\"en\""));
    app.stop().await;
}

#[test]
fn dev_certificates_are_refused_outside_dev_mode() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cfg = pass_idp::config::Config {
        dev_mode: false,
        signing_key: root.join("certs-dev/idp-signing.key"),
        signing_cert: root.join("certs-dev/idp-signing.crt"),
        ..Default::default()
    };
    let err = pass_idp::bootstrap::load_signing_key(&cfg)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("DEV ONLY"), "{err}");
    let dev = pass_idp::config::Config {
        dev_mode: true,
        ..cfg
    };
    assert!(pass_idp::bootstrap::load_signing_key(&dev).is_ok());
}

fn cli(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    use std::io::Write;
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_pass-idp"))
        .args(args)
        .current_dir(&root)
        .env(
            "PASS_IDP__DATABASE_URL",
            format!("sqlite://{}/cli.db?mode=rwc", dir.display()),
        )
        .env("PASS_IDP__METADATA_DIR", root.join("metadata"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn cli_user_and_sp_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, out) = cli(
        d,
        &[
            "--dev",
            "user",
            "add",
            "petra",
            "--given-name",
            "Petra",
            "--family-name",
            "Zupan",
            "--phone",
            "031 222 333",
        ],
        Some("Dolgo-geslo-123\n"),
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("+386•••••333") || out.contains("active"),
        "{out}"
    );
    let (ok, out) = cli(d, &["--dev", "user", "show", "petra"], None);
    assert!(
        ok && out.contains("Petra Zupan") && out.contains("smsPASS:      active"),
        "{out}"
    );
    assert!(!out.contains("Dolgo-geslo"), "no password in output");
    // A weak password and a taken username are refused with a reason.
    let (ok, out) = cli(
        d,
        &[
            "--dev",
            "user",
            "add",
            "weak",
            "--given-name",
            "W",
            "--family-name",
            "K",
        ],
        Some("short\n"),
    );
    assert!(!ok && out.contains("password"), "{out}");
    let (ok, out) = cli(
        d,
        &[
            "--dev",
            "user",
            "add",
            "petra",
            "--given-name",
            "P",
            "--family-name",
            "Z",
        ],
        Some("Dolgo-geslo-123\n"),
    );
    assert!(!ok && out.contains("taken"), "{out}");
    let (ok, out) = cli(d, &["--dev", "user", "lock", "petra"], None);
    assert!(ok && out.contains("locked:       true"), "{out}");
    let (ok, out) = cli(d, &["--dev", "user", "show", "nobody"], None);
    assert!(!ok && out.contains("nobody"), "{out}");
    // sp check / list
    let (ok, out) = cli(
        d,
        &["--dev", "sp", "check", "metadata/demo-ezdravje.xml"],
        None,
    );
    assert!(
        ok && out.contains("AuthnRequestsSigned: true") && out.contains("OK"),
        "{out}"
    );
    // Outside dev mode the demo e-service (http ACS, published dev key) is refused, as the
    // operator pages and the registry would refuse it.
    let (ok, out) = cli(d, &["sp", "check", "metadata/demo-ezdravje.xml"], None);
    assert!(
        !ok && out.contains("acs-not-https") && out.contains("dev-key") && !out.contains("OK"),
        "{out}"
    );
    let bad = d.join("bad.xml");
    std::fs::write(
        &bad,
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"/>",
    )
    .unwrap();
    let (ok, out) = cli(d, &["sp", "check", bad.to_str().unwrap()], None);
    assert!(!ok && out.contains("bad.xml"), "{out}");
    let (ok, out) = cli(d, &["--dev", "sp", "list"], None);
    assert!(
        ok && out.contains("demo-sp/euprava") && out.contains("demo-sp/ezdravje"),
        "{out}"
    );
    assert!(!out.contains("SKIPPED"), "{out}");
    let (ok, out) = cli(d, &["sp", "list"], None);
    assert!(
        ok && out
            .lines()
            .filter(|l| l.starts_with("SKIPPED") && l.contains("acs-not-https"))
            .count()
            == 2,
        "outside dev mode the demo e-services are not served: {out}"
    );
}

#[test]
fn serve_refuses_dev_certificates_and_bad_config_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_pass-idp"))
        .arg("serve")
        .current_dir(&root)
        .env("PASS_IDP__BASE_URL", "https://login.example")
        .env(
            "PASS_IDP__SECRETS__NAMEID",
            "a-production-secret-of-enough-length-1",
        )
        .env(
            "PASS_IDP__SECRETS__TOKEN",
            "another-production-secret-of-enough-len",
        )
        .env(
            "PASS_IDP__DATABASE_URL",
            format!("sqlite://{}/x.db?mode=rwc", dir.path().display()),
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("DEV ONLY"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_pass-idp"))
        .args(["--dev", "serve"])
        .current_dir(&root)
        .env("PASS_IDP__OTP__DIGITS", "4")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("otp.digits"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_shows_https_logos_only() {
    let with_logo = TestSp::new("logo", false);
    let app = TestApp::spawn(&[]).await;
    let ui = |logo: &str| {
        format!(
            r#"<md:Extensions><mdui:UIInfo xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui"><mdui:DisplayName xml:lang="en">Logo service</mdui:DisplayName><mdui:Logo height="48" width="48">{logo}</mdui:Logo></mdui:UIInfo></md:Extensions>"#
        )
    };
    let md = with_logo.metadata().replacen(
        "<md:KeyDescriptor",
        &format!("{}<md:KeyDescriptor", ui("https://logo.sp.test/logo.png")),
        1,
    );
    std::fs::write(app.metadata_dir.join("logo.xml"), md).unwrap();
    let plain = TestSp::new("plainlogo", false);
    let md = plain.metadata().replacen(
        "<md:KeyDescriptor",
        &format!(
            "{}<md:KeyDescriptor",
            ui("http://insecure.sp.test/logo.png")
        ),
        1,
    );
    std::fs::write(app.metadata_dir.join("plainlogo.xml"), md).unwrap();
    app.services.ports.registry.reload();
    let p = app.browser().get("/services").await;
    assert_eq!(p.status, 200);
    assert!(
        p.body.contains("src=\"https://logo.sp.test/logo.png\""),
        "{}",
        p.body
    );
    assert!(
        !p.body.contains("insecure.sp.test"),
        "http logos are not shown"
    );
    let csp = p
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("img-src 'self' https:") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    app.stop().await;
}

/// `kill -HUP` makes the running server reload the e-service folder (a SIGHUP it did not handle would
/// end the process): the log names the SIGHUP reload, a file added before the signal is served, and
/// the server keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_metadata_and_the_server_keeps_running() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let md = dir.path().join("metadata");
    std::fs::create_dir_all(&md).unwrap();
    let first = TestSp::new("hup-a", false);
    std::fs::write(md.join("a.xml"), first.metadata()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = dir.path().join("server.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pass-idp"))
        .args(["--dev", "serve"])
        .current_dir(&root)
        .env("RUST_LOG", "info")
        .env("PASS_IDP__BIND", format!("127.0.0.1:{port}"))
        .env("PASS_IDP__BASE_URL", format!("http://127.0.0.1:{port}"))
        .env(
            "PASS_IDP__DATABASE_URL",
            format!("sqlite://{}/hup.db?mode=rwc", dir.path().display()),
        )
        .env("PASS_IDP__METADATA_DIR", &md)
        .env("PASS_IDP__SMS__OUTBOX_PATH", dir.path().join("sms.jsonl"))
        .env("PASS_IDP__MAIL__OUTBOX_DIR", dir.path().join("mail"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let health = |http: reqwest::Client, base: String| async move {
        let r = http.get(format!("{base}/healthz")).send().await.ok()?;
        r.json::<serde_json::Value>().await.ok()
    };
    let mut up = None;
    for _ in 0..300 {
        if let Some(v) = health(http.clone(), base.clone()).await {
            up = Some(v);
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "server exited: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let up =
        up.unwrap_or_else(|| panic!("no /healthz: {}", std::fs::read_to_string(&log).unwrap()));
    assert_eq!(up["service_providers"], 1, "{up}");
    let sighup_reloads = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("metadata reloaded") && l.contains("SIGHUP"))
            .count()
    };
    assert_eq!(sighup_reloads(), 0);

    let second = TestSp::new("hup-b", false);
    std::fs::write(md.join("b.xml"), second.metadata()).unwrap();
    let status = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut reloaded = false;
    for _ in 0..100 {
        if sighup_reloads() > 0 {
            reloaded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        reloaded,
        "no SIGHUP reload in the log: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP ended the server"
    );
    let after = health(http.clone(), base.clone())
        .await
        .expect("still answering after SIGHUP");
    assert_eq!(after["service_providers"], 2, "{after}");
    // The new e-service is served: an AuthnRequest from it starts a login.
    let q = second.redirect_query(
        &second.authn_request(&Req::new(&format!("{base}/saml/sso")), false),
        None,
        None,
    );
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}/saml/sso?{q}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let _ = child.kill();
    let _ = child.wait();
}
