//! E-service administration: refused changes leave the folder untouched, saved changes take effect
//! without a restart, history/restore, enable/disable, and the public catalog.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::sp::Req;
use common::*;
use pass_idp::service::sp_admin::{self, SpAdminError, SpTarget};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.insert(p.display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    walk(dir, &mut out);
    out
}

/// SSO start for `sp`: Some(()) when the request is accepted (redirect to the login page).
async fn sso_accepted(app: &TestApp, sp: &TestSp, acs: Option<&str>) -> bool {
    let mut r = Req::new(&app.sso_url());
    r.acs_url = acs.map(str::to_string);
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    let p = app.browser().get(&format!("/saml/sso?{q}")).await;
    if p.status == 303 && p.location.as_deref() == Some("/login") {
        return true;
    }
    assert!(
        p.status == 400 || p.status == 403,
        "{} {}",
        p.status,
        p.body
    );
    false
}

async fn refused(
    app: &TestApp,
    svc: &pass_idp::service::SpAdmin,
    xml: &str,
    policy: Option<&str>,
    code: &str,
    names: &str,
) {
    let before = snapshot(&app.metadata_dir);
    let err = sp_admin::save_change(svc, &SpTarget::New, xml, policy, "op:test", "test")
        .await
        .expect_err("must be refused");
    let msg = err.to_string();
    assert!(matches!(err, SpAdminError::Refused(_)), "{msg}");
    assert!(msg.contains(code), "code {code} in {msg}");
    assert!(msg.contains(names), "{names} in {msg}");
    assert_eq!(
        before,
        snapshot(&app.metadata_dir),
        "folder changed after a refused change"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_xml_refused_and_folder_unchanged() {
    let old = TestSp::new("old", false);
    let app = TestApp::spawn(&[&old]).await;
    let new = TestSp::new("new", false);
    let xml = new.metadata().replace("</md:EntityDescriptor>", "");
    refused(&app, &app.services.sp_admin, &xml, None, "xml", "malformed").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sha1_only_refused_and_folder_unchanged() {
    let app = TestApp::spawn(&[]).await;
    let new = TestSp::new("new", false);
    let xml = new.metadata().replace(
        "<md:KeyDescriptor",
        r#"<md:Extensions><alg:SigningMethod xmlns:alg="urn:oasis:names:tc:SAML:metadata:algsupport" Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/></md:Extensions><md:KeyDescriptor"#,
    );
    refused(
        &app,
        &app.services.sp_admin,
        &xml,
        None,
        "weak-algorithm",
        "rsa-sha1",
    )
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_certificate_refused_and_folder_unchanged() {
    let app = TestApp::spawn(&[]).await;
    app.clock.set(now() + chrono::Duration::days(400));
    let new = TestSp::new("new", false);
    refused(
        &app,
        &app.services.sp_admin,
        &new.metadata(),
        None,
        "cert-expired",
        "expired on",
    )
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_entity_id_refused_and_folder_unchanged() {
    let old = TestSp::new("old", false);
    let app = TestApp::spawn(&[&old]).await;
    refused(
        &app,
        &app.services.sp_admin,
        &old.metadata(),
        None,
        "duplicate-entity-id",
        &old.entity_id,
    )
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_acs_refused_outside_dev_mode_and_folder_unchanged() {
    let app = TestApp::spawn(&[]).await;
    let mut ports = app.services.ports.clone();
    let mut cfg = (*ports.cfg).clone();
    cfg.dev_mode = false;
    ports.cfg = Arc::new(cfg);
    let svc = pass_idp::service::Services::assemble(ports);
    let new = TestSp::new("new", false);
    let xml = new
        .metadata()
        .replace("https://new.sp.test/acs2", "http://new.sp.test/acs2");
    refused(
        &app,
        &svc.sp_admin,
        &xml,
        None,
        "acs-not-https",
        "http://new.sp.test/acs2",
    )
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_policy_refused_and_folder_unchanged() {
    let app = TestApp::spawn(&[]).await;
    let new = TestSp::new("new", false);
    refused(
        &app,
        &app.services.sp_admin,
        &new.metadata(),
        Some("required_level = \"none\"\n"),
        "policy",
        "required_level",
    )
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_edit_restore_disable_without_restart() {
    let app = TestApp::spawn(&[]).await;
    pass_idp::service::jobs::spawn_metadata_watch(app.services.ports.registry.clone());
    let sp = TestSp::new("added", false);
    assert!(
        !sso_accepted(&app, &sp, None).await,
        "unknown before it is added"
    );

    // preview: a diff against nothing, no findings
    let preview = sp_admin::preview_change(
        &app.services.sp_admin,
        &SpTarget::New,
        &sp.metadata(),
        Some("required_level = \"password\"\n"),
        now(),
    )
    .unwrap();
    assert!(preview.ok, "{:?}", preview.findings);
    assert!(preview.is_new);
    assert!(
        preview.metadata_diff.contains("+<md:EntityDescriptor"),
        "{}",
        preview.metadata_diff
    );

    // add → SSO works at once, and the catalog lists it
    let v1 = sp_admin::save_change(&app.services.sp_admin, &SpTarget::New, &sp.metadata(), Some("required_level = \"password\"\ndisplay_name_sl = \"Čudovita storitev\"\ndisplay_name_en = \"Wonderful service\"\n"), "operator:ana", "new e-service")
        .await
        .unwrap();
    assert_eq!(v1.version.version, 1);
    assert!(sso_accepted(&app, &sp, Some(&sp.acs_url_2)).await);
    let cat = app.browser().get("/storitve?q=CUDOVITA").await;
    assert_eq!(cat.status, 200);
    assert!(cat.body.contains("Čudovita storitev"), "{}", cat.body);
    assert!(
        cat.body.contains("uporabniško ime in geslo"),
        "{}",
        cat.body
    );
    let cat_en = app.browser().get("/services").await;
    assert!(cat_en.body.contains("Wonderful service"), "{}", cat_en.body);
    let none = app.browser().get("/services?q=nothing-like-this").await;
    assert!(!none.body.contains("Wonderful service"));

    // edit: drop the second ACS → requests for it are refused
    let entity = SpTarget::Existing(sp.entity_id.clone());
    let edited = sp
        .metadata()
        .lines()
        .filter(|l| !l.contains("acs2"))
        .collect::<Vec<_>>()
        .join("\n");
    let preview =
        sp_admin::preview_change(&app.services.sp_admin, &entity, &edited, None, now()).unwrap();
    assert!(
        preview
            .metadata_diff
            .contains("-    <md:AssertionConsumerService"),
        "{}",
        preview.metadata_diff
    );
    sp_admin::save_change(
        &app.services.sp_admin,
        &entity,
        &edited,
        None,
        "operator:bor",
        "remove old ACS",
    )
    .await
    .unwrap();
    assert!(!sso_accepted(&app, &sp, Some(&sp.acs_url_2)).await);

    // history shows who/when/why
    let h = sp_admin::history(&app.services.sp_admin, &sp.entity_id).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(
        (h[0].who.as_str(), h[0].why.as_str()),
        ("operator:ana", "new e-service")
    );
    assert_eq!(
        (h[1].who.as_str(), h[1].why.as_str()),
        ("operator:bor", "remove old ACS")
    );
    assert_eq!(h[1].at, app.services.ports.clock.now());

    // restore version 1 brings the second ACS back
    let r = sp_admin::restore(
        &app.services.sp_admin,
        &sp.entity_id,
        1,
        "operator:ana",
        "undo",
    )
    .await
    .unwrap();
    assert_eq!(r.version.version, 3);
    assert!(sso_accepted(&app, &sp, Some(&sp.acs_url_2)).await);
    assert!(
        sp_admin::history(&app.services.sp_admin, &sp.entity_id).unwrap()[2]
            .why
            .contains("restore of version 1")
    );

    // disable → SSO refused and gone from the catalog; enable brings it back
    sp_admin::set_enabled(
        &app.services.sp_admin,
        &sp.entity_id,
        false,
        "operator:ana",
        "maintenance",
    )
    .await
    .unwrap();
    assert!(!sso_accepted(&app, &sp, None).await);
    assert!(!app
        .browser()
        .get("/services")
        .await
        .body
        .contains("Wonderful service"));
    let list = sp_admin::list(&app.services.sp_admin, now())
        .unwrap()
        .services;
    assert!(!list[0].enabled);
    assert_eq!(list[0].last_change.as_ref().unwrap().action, "disable");
    sp_admin::set_enabled(
        &app.services.sp_admin,
        &sp.entity_id,
        true,
        "operator:ana",
        "back",
    )
    .await
    .unwrap();
    assert!(sso_accepted(&app, &sp, None).await);

    // every change is audited
    let audit = app.services.ports.store.recent_audit(50).await.unwrap();
    let kinds: Vec<&str> = audit.iter().map(|a| a.kind.as_str()).collect();
    for k in ["sp.saved", "sp.restored", "sp.disabled", "sp.enabled"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    assert!(sp_admin::consistency_problems(&app.metadata_dir).is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_change_keeps_the_original_files_as_baseline() {
    let sp = TestSp::new("hand", false).with_policy("required_level = \"password\"\n");
    let app = TestApp::spawn(&[&sp]).await;
    let original = std::fs::read(app.metadata_dir.join("hand.policy.toml")).unwrap();
    sp_admin::set_enabled(&app.services.sp_admin, &sp.entity_id, false, "cli:x", "")
        .await
        .unwrap();
    let h = sp_admin::history(&app.services.sp_admin, &sp.entity_id).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].action, "baseline");
    sp_admin::restore(&app.services.sp_admin, &sp.entity_id, 1, "cli:x", "")
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(app.metadata_dir.join("hand.policy.toml")).unwrap(),
        original
    );
    // a hand edit is reported by the consistency check
    std::fs::write(
        app.metadata_dir.join("hand.policy.toml"),
        "enabled = false\n",
    )
    .unwrap();
    assert_eq!(sp_admin::consistency_problems(&app.metadata_dir).len(), 1);
    app.stop().await;
}
