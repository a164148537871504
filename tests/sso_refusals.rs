//! Every refusal at the SSO endpoint, each its own test: the attack must be refused with the outcome
//! it calls for — the error page with its message, or a SAML status to the metadata ACS — and
//! nothing must be sent to a URL that metadata does not list.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::sp::{keypair, redirect_query_with, Req, RSA_SHA1, RSA_SHA256};
use common::*;

/// The error page for message `key` (its status, its text in the default language, a reference id),
/// never a form posting anywhere.
fn assert_error_page(p: &Page, key: &str) {
    let status = match key {
        "error.unknown_sp" | "error.sp_disabled" => 403,
        _ => 400,
    };
    assert_eq!(p.status, status, "{key}: {}", p.body);
    let messages = pass_idp::i18n::Messages::load().unwrap();
    let text = messages
        .get("sl", key)
        .unwrap_or_else(|| panic!("no {key}"));
    assert!(
        p.body.contains(&handlebars::html_escape(text)),
        "expected the message {key} ({text:?}) in {}",
        p.body
    );
    assert!(
        Posted::from_page(p).is_none(),
        "an error must not post anywhere: {}",
        p.body
    );
    assert!(p.body.contains("<code>"), "error page shows a reference id");
}

/// The refusal was audited for this reason (the newest `request.refused` row).
async fn assert_refused_because(app: &TestApp, why: &str) {
    let rows = app.services.ports.store.recent_audit(50).await.unwrap();
    let row = rows
        .iter()
        .find(|r| r.kind == "request.refused")
        .unwrap_or_else(|| panic!("no refusal audited: {rows:?}"));
    assert!(row.detail.contains(why), "{why:?} not in {}", row.detail);
}

/// A SAML status Response posted to the SP's metadata ACS.
fn assert_status(p: &Page, sp: &TestSp, second: &str) {
    assert_eq!(p.status, 200, "{}", p.body);
    let posted = Posted::from_page(p).expect("status response form");
    assert!(
        posted.acs_url == sp.acs_url || posted.acs_url == sp.acs_url_2,
        "to a metadata ACS only"
    );
    let xml = posted.xml();
    assert!(xml.contains(second), "expected {second} in {xml}");
    assert!(!xml.contains("saml:Assertion"), "no assertion in an error");
}

async fn setup(signed: bool) -> (TestSp, TestApp) {
    let sp = TestSp::new("r", signed);
    let app = TestApp::spawn(&[&sp]).await;
    (sp, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_sp_gets_an_error_page() {
    let (_sp, app) = setup(false).await;
    let stranger = TestSp::new("stranger", false);
    let q = stranger.redirect_query(
        &stranger.authn_request(&Req::new(&app.sso_url()), false),
        None,
        None,
    );
    assert_error_page(
        &app.browser().get(&format!("/saml/sso?{q}")).await,
        "error.unknown_sp",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acs_url_not_in_metadata_is_refused_without_redirect() {
    let (sp, app) = setup(false).await;
    let mut r = Req::new(&app.sso_url());
    r.acs_url = Some("https://evil.example/acs".into());
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    let p = app.browser().get(&format!("/saml/sso?{q}")).await;
    assert_error_page(&p, "error.acs");
    assert!(!p.body.contains("evil.example"));
    assert_refused_because(&app, "evil.example/acs").await;
    let mut r = Req::new(&app.sso_url());
    r.acs_index = Some(7);
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    assert_error_page(
        &app.browser().get(&format!("/saml/sso?{q}")).await,
        "error.acs",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acs_chosen_by_index_or_exact_url() {
    let (sp, app) = setup(false).await;
    app.add_citizen("janez", Some("+38640000001")).await;
    let mut r = Req::new(&app.sso_url());
    r.acs_index = Some(1);
    let b = app.browser();
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    let posted = full_login(
        &app,
        &b,
        b.get(&format!("/saml/sso?{q}")).await,
        "janez",
        "+38640000001",
    )
    .await;
    assert_eq!(posted.acs_url, sp.acs_url_2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_request_refused_when_metadata_requires_signing() {
    let (sp, app) = setup(true).await;
    let q = sp.redirect_query(
        &sp.authn_request(&Req::new(&app.sso_url()), false),
        None,
        None,
    );
    let p = app.browser().get(&format!("/saml/sso?{q}")).await;
    assert_error_page(&p, "error.bad_request");
    assert_refused_because(&app, "not signed but a signature is required").await;
    let body = sp.post_body(&Req::new(&app.sso_url()), false);
    let p = app
        .browser()
        .post("/saml/sso", &[("SAMLRequest", &body)])
        .await;
    assert_error_page(&p, "error.bad_request");
    assert_refused_because(&app, "not signed but a signature is required").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_redirect_request_refused() {
    let (sp, app) = setup(true).await;
    let q = sp.redirect_query(
        &sp.authn_request(&Req::new(&app.sso_url()), false),
        Some("abc"),
        Some(RSA_SHA256),
    );
    let tampered = q.replace("RelayState=abc", "RelayState=abd");
    let p = app.browser().get(&format!("/saml/sso?{tampered}")).await;
    assert_error_page(&p, "error.bad_request");
    assert_refused_because(&app, "query signature refused").await;
    // and the untampered one is accepted
    let p = app.browser().get(&format!("/saml/sso?{q}")).await;
    assert_eq!(p.status, 303, "{}", p.body);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_by_a_certificate_not_in_metadata_refused() {
    let (sp, app) = setup(true).await;
    let (other_key, _, _) = keypair("intruder");
    let xml = sp.authn_request(&Req::new(&app.sso_url()), false);
    let q = redirect_query_with(&xml, None, Some((&other_key, RSA_SHA256)));
    assert_error_page(
        &app.browser().get(&format!("/saml/sso?{q}")).await,
        "error.bad_request",
    );
    assert_refused_because(&app, "query signature refused").await;
    let r = Req::new(&app.sso_url());
    let signed = common::sp::sign_xml(&sp.authn_request(&r, true), &other_key);
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(signed);
    assert_error_page(
        &app.browser()
            .post("/saml/sso", &[("SAMLRequest", &body)])
            .await,
        "error.bad_request",
    );
    assert_refused_because(&app, "does not verify with the metadata certificates").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sha1_signature_refused() {
    let (sp, app) = setup(true).await;
    let q = sp.redirect_query(
        &sp.authn_request(&Req::new(&app.sso_url()), false),
        None,
        Some(RSA_SHA1),
    );
    assert_error_page(
        &app.browser().get(&format!("/saml/sso?{q}")).await,
        "error.bad_request",
    );
    assert_refused_because(&app, "SHA-1").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_request_id_refused() {
    for backend in backends() {
        let sp = TestSp::new("replay", false);
        let app = TestApp::spawn_with(backend, &[&sp], |_| {}).await;
        let q = sp.redirect_query(
            &sp.authn_request(&Req::new(&app.sso_url()), false),
            None,
            None,
        );
        assert_eq!(
            app.browser().get(&format!("/saml/sso?{q}")).await.status,
            303
        );
        let p = app.browser().get(&format!("/saml/sso?{q}")).await;
        assert_status(&p, &sp, "urn:oasis:names:tc:SAML:2.0:status:RequestDenied");
        app.stop().await;
    }
}

/// A request answered from an existing SSO session is recorded in the replay cache in the same
/// transaction as the assertion: sent again (from the same browser, with the session) it gets
/// RequestDenied and no second assertion; a request ID first used to start a login is refused
/// the same way when it comes back to the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_request_id_refused_with_a_session() {
    const PHONE: &str = "+38641555111";
    for backend in backends() {
        let sp = TestSp::new("replay-session", false);
        let app = TestApp::spawn_with(backend, &[&sp], |_| {}).await;
        app.add_citizen("janez", Some(PHONE)).await;
        let b = app.browser();
        let login_q = sp.redirect_query(
            &sp.authn_request(&Req::new(&app.sso_url()), false),
            None,
            None,
        );
        let start = b.get(&format!("/saml/sso?{login_q}")).await;
        full_login(&app, &b, start, "janez", PHONE).await;
        let q = sp.redirect_query(
            &sp.authn_request(&Req::new(&app.sso_url()), false),
            None,
            None,
        );
        let first = b.get(&format!("/saml/sso?{q}")).await;
        let posted = Posted::from_page(&first).expect("answered from the session");
        assert!(posted.xml().contains("saml:Assertion"));
        let audit_before = app
            .services
            .ports
            .store
            .recent_audit(1000)
            .await
            .unwrap()
            .len();
        let again = b.get(&format!("/saml/sso?{q}")).await;
        assert_status(
            &again,
            &sp,
            "urn:oasis:names:tc:SAML:2.0:status:RequestDenied",
        );
        let old = b.get(&format!("/saml/sso?{login_q}")).await;
        assert_status(
            &old,
            &sp,
            "urn:oasis:names:tc:SAML:2.0:status:RequestDenied",
        );
        // Two refusals audited, no assertion issued for either.
        let audit = app.services.ports.store.recent_audit(1000).await.unwrap();
        let new_rows = &audit[..audit.len() - audit_before];
        assert_eq!(new_rows.len(), 2, "{new_rows:?}");
        assert!(
            new_rows.iter().all(|r| r.kind == "request.refused"),
            "{new_rows:?}"
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_or_future_issue_instant_refused() {
    let (sp, app) = setup(false).await;
    let mut r = Req::new(&app.sso_url());
    r.issue_instant = chrono::Utc::now() - chrono::Duration::minutes(30);
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    assert_status(
        &app.browser().get(&format!("/saml/sso?{q}")).await,
        &sp,
        "urn:oasis:names:tc:SAML:2.0:status:RequestDenied",
    );
    assert_refused_because(&app, "too old").await;
    let mut r = Req::new(&app.sso_url());
    r.issue_instant = chrono::Utc::now() + chrono::Duration::minutes(30);
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    assert_status(
        &app.browser().get(&format!("/saml/sso?{q}")).await,
        &sp,
        "urn:oasis:names:tc:SAML:2.0:status:RequestDenied",
    );
    assert_refused_because(&app, "in the future").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn is_passive_without_session_gets_no_passive() {
    let (sp, app) = setup(false).await;
    let mut r = Req::new(&app.sso_url());
    r.is_passive = true;
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    assert_status(
        &app.browser().get(&format!("/saml/sso?{q}")).await,
        &sp,
        "urn:oasis:names:tc:SAML:2.0:status:NoPassive",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requested_authn_context_that_cannot_be_met_gets_no_authn_context() {
    let (sp, app) = setup(false).await;
    for (cmp, refs) in [
        ("minimum", vec![pass_idp::domain::loa::EIDAS_HIGH]),
        (
            "exact",
            vec!["urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard"],
        ),
        ("better", vec![pass_idp::domain::loa::EIDAS_LOW]),
        ("better", vec![pass_idp::domain::loa::SMSPASS]),
    ] {
        let mut r = Req::new(&app.sso_url());
        r.requested = Some((cmp.into(), refs.iter().map(|s| s.to_string()).collect()));
        let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
        assert_status(
            &app.browser().get(&format!("/saml/sso?{q}")).await,
            &sp,
            "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext",
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_id_policy_not_allowed_gets_invalid_name_id_policy() {
    let (sp, app) = setup(false).await;
    let mut r = Req::new(&app.sso_url());
    r.name_id_format = Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".into());
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    assert_status(
        &app.browser().get(&format!("/saml/sso?{q}")).await,
        &sp,
        "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctype_and_entities_refused() {
    let (sp, app) = setup(false).await;
    let base = sp.authn_request(&Req::new(&app.sso_url()), false);
    let xxe = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{}",
        base.replacen(&sp.entity_id, &format!("{}&x;", sp.entity_id), 1)
    );
    let lol = format!("<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>{base}");
    for xml in [xxe, lol] {
        let q = sp.redirect_query(&xml, None, None);
        let p = app.browser().get(&format!("/saml/sso?{q}")).await;
        assert_error_page(&p, "error.bad_request");
        assert!(!p.body.contains("root:"), "no file contents");
        use base64::Engine;
        let body = base64::engine::general_purpose::STANDARD.encode(&xml);
        assert_error_page(
            &app.browser()
                .post("/saml/sso", &[("SAMLRequest", &body)])
                .await,
            "error.bad_request",
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_payload_inflating_past_the_cap_refused() {
    let (sp, app) = setup(false).await;
    let big = sp.authn_request(&Req::new(&app.sso_url()), false).replace(
        "</samlp:AuthnRequest>",
        &format!(
            "<samlp:Extensions>{}</samlp:Extensions></samlp:AuthnRequest>",
            " ".repeat(5_000_000)
        ),
    );
    let q = sp.redirect_query(&big, None, None);
    assert!(q.len() < 100_000, "the deflated form is small");
    assert_error_page(
        &app.browser().get(&format!("/saml/sso?{q}")).await,
        "error.bad_request",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuer_with_comment_refused() {
    let (sp, app) = setup(false).await;
    // "https://r.sp.test/meta<!-- -->data": a parser that drops comments would read the real issuer.
    let split = sp.entity_id.replacen("meta", "meta<!-- x -->", 1);
    let mut r = Req::new(&app.sso_url());
    r.issuer_raw = Some(split);
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    let p = app.browser().get(&format!("/saml/sso?{q}")).await;
    assert_error_page(&p, "error.bad_request");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_state_over_80_bytes_refused() {
    let (sp, app) = setup(false).await;
    let q = sp.redirect_query(
        &sp.authn_request(&Req::new(&app.sso_url()), false),
        Some(&"a".repeat(81)),
        None,
    );
    assert_error_page(
        &app.browser().get(&format!("/saml/sso?{q}")).await,
        "error.bad_request",
    );
    app.stop().await;
}

/// XML signature wrapping of a signed POST AuthnRequest: only the element the signature's Reference
/// points to may be used, so the attacker's ACS is never reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_wrapping_variants_refused() {
    use base64::Engine;
    let (sp, app) = setup(true).await;
    let evil_acs = "https://evil.example/acs";
    let r = Req::new(&app.sso_url());
    let signed = common::sp::sign_xml(&sp.authn_request(&r, true), &sp.key);
    let inner_no_decl = signed.trim_start_matches(|c| c != '<').to_string();
    let inner_no_decl = match inner_no_decl.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map(|(_, b)| b.trim_start().to_string())
            .unwrap_or_default(),
        None => inner_no_decl,
    };
    let mut evil_req = Req::new(&app.sso_url());
    evil_req.acs_url = Some(evil_acs.into());
    // (a) signed original moved into Extensions of an evil root with another ID
    let mut evil_a = evil_req.clone();
    evil_a.id = "_evil".into();
    let a = sp.authn_request(&evil_a, false).replace(
        "</samlp:AuthnRequest>",
        &format!("<samlp:Extensions>{inner_no_decl}</samlp:Extensions></samlp:AuthnRequest>"),
    );
    // (b) evil root with the SAME ID, the signed original inside
    let mut evil_b = evil_req.clone();
    evil_b.id = r.id.clone();
    let b = sp.authn_request(&evil_b, false).replace(
        "</samlp:AuthnRequest>",
        &format!("<samlp:Extensions>{inner_no_decl}</samlp:Extensions></samlp:AuthnRequest>"),
    );
    // (c) the Signature not a direct child of the root: moved into Extensions of the signed request
    let sig_start = inner_no_decl.find("<ds:Signature").unwrap();
    let sig_end = inner_no_decl.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let sig = &inner_no_decl[sig_start..sig_end];
    let without_sig = format!(
        "{}{}",
        &inner_no_decl[..sig_start],
        &inner_no_decl[sig_end..]
    );
    let c = without_sig.replace(
        "</samlp:AuthnRequest>",
        &format!("<samlp:Extensions>{sig}</samlp:Extensions></samlp:AuthnRequest>"),
    );
    // (d) two Signatures
    let d = inner_no_decl.replacen("</ds:Signature>", &format!("</ds:Signature>{sig}"), 1);
    for (name, xml) in [("a", a), ("b", b), ("c", c), ("d", d)] {
        let body = base64::engine::general_purpose::STANDARD.encode(&xml);
        let p = app
            .browser()
            .post("/saml/sso", &[("SAMLRequest", &body)])
            .await;
        assert_error_page(&p, "error.bad_request");
        assert!(
            !p.body.contains("evil.example"),
            "variant {name} reached the evil ACS: {}",
            p.body
        );
    }
    // The untouched signed request still works.
    let body = base64::engine::general_purpose::STANDARD.encode(&signed);
    assert_eq!(
        app.browser()
            .post("/saml/sso", &[("SAMLRequest", &body)])
            .await
            .status,
        303
    );
    app.stop().await;
}
