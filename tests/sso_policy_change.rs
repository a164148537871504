//! The e-service's policy is read again when the Response is built: changes made while a login is in
//! progress (or before a session answers) decide what is sent — nothing at all for a disabled or
//! vanished e-service, a SAML status for a level or NameID format that can no longer be given, and
//! only the attributes the policy names now. An e-mail address leaves the IdP only once confirmed.
//! A login that ends without an assertion leaves no session, no session cookie, and is closed.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::policy::*;
use common::sp::Req;
use common::*;
use pass_idp::domain::loa;

const EMAIL_FMT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_between_request_and_code_gets_no_assertion_and_no_session() {
    for backend in backends() {
        let sp = TestSp::new("dis", false);
        let app = TestApp::spawn_with(backend, &[&sp], |_| {}).await;
        app.add_citizen("ana", Some(PHONE)).await;
        let m = to_code_step(&app, &sp, Req::new(&app.sso_url()), "ana").await;
        set_policy(&app, &sp, "enabled = false\n");
        let p = m.finish(&app).await;
        assert_unavailable_page(&p);
        assert_eq!(sessions(&app).await, 0, "no session row");
        let k = kinds(&app).await;
        assert!(!k.iter().any(|k| k == "assertion.issued"), "{k:?}");
        assert!(!k.iter().any(|k| k == "session.created"), "{k:?}");
        assert_eq!(response_refusal(&app).await["reason"], "e-service disabled");
        assert_login_closed(&app, &m).await;
        // Enabled again: the closed login stays closed, and a new one works.
        set_policy(&app, &sp, "enabled = true\n");
        assert_login_closed(&app, &m).await;
        assert_eq!(sessions(&app).await, 0);
        let m = to_code_step(&app, &sp, Req::new(&app.sso_url()), "ana").await;
        let p = m.finish(&app).await;
        let posted = Posted::from_page(&p).unwrap_or_else(|| panic!("{}", p.body));
        assert_eq!(posted.acs_url, sp.acs_url);
        assert!(sso_cookie_set(&p));
        assert_eq!(sessions(&app).await, 1);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vanished_sp_or_removed_acs_gets_no_assertion() {
    let sp = TestSp::new("gone", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("bojan", Some(PHONE)).await;
    // The metadata file is removed mid-login.
    let m = to_code_step(&app, &sp, Req::new(&app.sso_url()), "bojan").await;
    std::fs::remove_file(app.metadata_dir.join("gone.xml")).unwrap();
    app.services.ports.registry.reload();
    assert_unavailable_page(&m.finish(&app).await);
    assert_eq!(
        response_refusal(&app).await["reason"],
        "e-service no longer registered"
    );
    // Back, but its metadata no longer lists the ACS the request named.
    set_metadata(&app, &sp, &sp.metadata());
    let m = to_code_step(&app, &sp, Req::new(&app.sso_url()), "bojan").await;
    let moved = sp.metadata().replace(
        &format!("Location=\"{}\"", sp.acs_url),
        "Location=\"https://gone.sp.test/new-acs\"",
    );
    set_metadata(&app, &sp, &moved);
    let p = m.finish(&app).await;
    assert_unavailable_page(&p);
    assert!(!p.body.contains(&sp.acs_url), "old ACS not named");
    assert_eq!(
        response_refusal(&app).await["reason"],
        "ACS no longer in metadata"
    );
    assert_eq!(sessions(&app).await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_before_the_password_step_sends_no_code() {
    let sp = TestSp::new("early", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("cene", Some(PHONE)).await;
    let b = app.browser();
    let q = sp.redirect_query(
        &sp.authn_request(&Req::new(&app.sso_url()), false),
        None,
        None,
    );
    assert_eq!(b.get(&format!("/saml/sso?{q}")).await.status, 303);
    let pw = b.get("/login/password").await;
    set_policy(&app, &sp, "enabled = false\n");
    let p = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &pw.csrf()),
                ("username", "cene"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_unavailable_page(&p);
    assert!(app.sms().is_empty(), "no SMS for an unavailable e-service");
    assert_eq!(sessions(&app).await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn level_raised_during_login_asks_for_the_code_or_says_no_authn_context() {
    let sp = TestSp::new("lvl", false).with_policy("required_level = \"password\"\n");
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("dana", Some(PHONE)).await;
    let md = app.idp_metadata().await;
    // No RequestedAuthnContext: the password is no longer enough, the login continues with the code.
    let req = Req::new(&app.sso_url());
    let b = app.browser();
    let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
    assert_eq!(b.get(&format!("/saml/sso?{q}")).await.status, 303);
    let pw = b.get("/login/password").await;
    set_policy(&app, &sp, "required_level = \"smspass\"\n");
    let r = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &pw.csrf()),
                ("username", "dana"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/login/otp"), "{}", r.body);
    assert_eq!(sessions(&app).await, 0, "no session after the password");
    let choose = b.get("/login").await;
    assert_eq!(
        choose.location.as_deref(),
        Some("/login/otp"),
        "{}",
        choose.body
    );
    let otp = b.get("/login/otp").await;
    let done = b
        .post(
            "/login/otp",
            &[("csrf_token", &otp.csrf()), ("otp", &app.last_code(PHONE))],
        )
        .await;
    let posted = Posted::from_page(&done).unwrap_or_else(|| panic!("{}", done.body));
    let a = sp
        .samael_accepts(&md, &posted.saml_response, &req.id)
        .unwrap();
    let ctx = a.authn_statements.unwrap()[0]
        .authn_context
        .clone()
        .unwrap()
        .value
        .unwrap();
    assert_eq!(ctx.value.as_deref(), Some(loa::SMSPASS));

    // The request asked for exactly the password context: it can no longer be given.
    set_policy(&app, &sp, "required_level = \"password\"\n");
    let mut req = Req::new(&app.sso_url());
    req.requested = Some((
        "exact".into(),
        vec![loa::PASSWORD_PROTECTED_TRANSPORT.into()],
    ));
    let b = app.browser();
    let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
    assert_eq!(b.get(&format!("/saml/sso?{q}")).await.status, 303);
    let pw = b.get("/login/password").await;
    set_policy(&app, &sp, "required_level = \"smspass\"\n");
    let sessions_before = sessions(&app).await;
    let p = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &pw.csrf()),
                ("username", "dana"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_status(
        &p,
        &sp,
        &req,
        "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext",
    );
    assert_eq!(sessions(&app).await, sessions_before, "no new session");
    assert_eq!(
        response_refusal(&app).await["status"],
        "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attribute_removed_during_login_is_not_released() {
    let sp = TestSp::new("attr", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("eva", Some(PHONE)).await;
    let md = app.idp_metadata().await;
    let m = to_code_step(&app, &sp, Req::new(&app.sso_url()), "eva").await;
    set_policy(&app, &sp, "attributes = [\"given_name\"]\n");
    let p = m.finish(&app).await;
    let posted = Posted::from_page(&p).unwrap_or_else(|| panic!("{}", p.body));
    assert_eq!(posted.acs_url, sp.acs_url);
    assert_eq!(attributes(&md, &sp, &posted, &m.req), vec!["givenName"]);
    assert!(!posted.xml().contains("Novak"), "family name not released");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_id_format_removed_during_login() {
    let mut sp = TestSp::new("fmt", false).with_policy(&format!(
        "name_id_formats = [\"{PERSISTENT}\", \"{TRANSIENT}\"]\n"
    ));
    sp.name_id_formats = vec![TRANSIENT.into()];
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("filip", Some(PHONE)).await;
    let md = app.idp_metadata().await;
    let only_persistent = format!("name_id_formats = [\"{PERSISTENT}\"]\n");
    // Asked for transient explicitly: InvalidNameIDPolicy, no session.
    let mut req = Req::new(&app.sso_url());
    req.name_id_format = Some(TRANSIENT.into());
    let m = to_code_step(&app, &sp, req, "filip").await;
    set_policy(&app, &sp, &only_persistent);
    let p = m.finish(&app).await;
    assert_status(
        &p,
        &sp,
        &m.req,
        "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy",
    );
    assert_eq!(sessions(&app).await, 0);
    assert_login_closed(&app, &m).await;
    // IdP's choice (metadata prefers transient): the format is chosen again, persistent.
    set_policy(
        &app,
        &sp,
        &format!("name_id_formats = [\"{PERSISTENT}\", \"{TRANSIENT}\"]\n"),
    );
    let m = to_code_step(&app, &sp, Req::new(&app.sso_url()), "filip").await;
    set_policy(&app, &sp, &only_persistent);
    let p = m.finish(&app).await;
    let posted = Posted::from_page(&p).unwrap_or_else(|| panic!("{}", p.body));
    assert_eq!(name_id(&md, &sp, &posted, &m.req).1, PERSISTENT);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_from_a_session_follows_the_policy_in_force() {
    let sp = TestSp::new("sess", false).with_policy("required_level = \"password\"\n");
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("gaja", Some(PHONE)).await;
    let md = app.idp_metadata().await;
    // A password-level session.
    let b = app.browser();
    let q = sp.redirect_query(
        &sp.authn_request(&Req::new(&app.sso_url()), false),
        None,
        None,
    );
    assert_eq!(b.get(&format!("/saml/sso?{q}")).await.status, 303);
    let pw = b.get("/login/password").await;
    let done = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &pw.csrf()),
                ("username", "gaja"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(Posted::from_page(&done).is_some(), "{}", done.body);
    assert_eq!(sessions(&app).await, 1);
    let again = |req: &Req| sp.redirect_query(&sp.authn_request(req, false), None, None);
    // An attribute removed: the session answers without it.
    set_policy(
        &app,
        &sp,
        "required_level = \"password\"\nattributes = [\"family_name\"]\n",
    );
    let req = Req::new(&app.sso_url());
    let p = b.get(&format!("/saml/sso?{}", again(&req))).await;
    let posted = Posted::from_page(&p).unwrap_or_else(|| panic!("{}", p.body));
    assert_eq!(attributes(&md, &sp, &posted, &req), vec!["sn"]);
    // Disabled: no assertion from the session either.
    set_policy(&app, &sp, "enabled = false\n");
    let p = b
        .get(&format!("/saml/sso?{}", again(&Req::new(&app.sso_url()))))
        .await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains(DISABLED_SL), "{}", p.body);
    assert!(Posted::from_page(&p).is_none());
    // Level raised: the session is stepped up with the code; disabled during the step-up, nothing is
    // sent and the session is not upgraded.
    set_policy(&app, &sp, "required_level = \"smspass\"\n");
    let p = b
        .get(&format!("/saml/sso?{}", again(&Req::new(&app.sso_url()))))
        .await;
    assert_eq!(p.location.as_deref(), Some("/login"), "step-up: {}", p.body);
    let choose = b.get("/login").await;
    let sent = b
        .post("/login/otp/send", &[("csrf_token", &choose.csrf())])
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    set_policy(&app, &sp, "enabled = false\nrequired_level = \"smspass\"\n");
    let p = b
        .post(
            "/login/otp",
            &[("csrf_token", &sent.csrf()), ("otp", &app.last_code(PHONE))],
        )
        .await;
    assert_unavailable_page(&p);
    assert_eq!(sessions(&app).await, 1, "no upgraded session");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM sso_sessions WHERE level = 1 AND revoked = false"
        )
        .await,
        1,
        "the password session is kept as it was"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unconfirmed_email_is_never_released() {
    for backend in backends() {
        let mut sp = TestSp::new("mail", false).with_policy(&format!(
            "name_id_formats = [\"{EMAIL_FMT}\", \"{PERSISTENT}\"]\n"
        ));
        sp.name_id_formats = vec![EMAIL_FMT.into(), PERSISTENT.into()];
        let app = TestApp::spawn_with(backend, &[&sp], |_| {}).await;
        app.add_citizen("hana", Some(PHONE)).await;
        let md = app.idp_metadata().await;
        // E-mail NameID asked for, the address unconfirmed: InvalidNameIDPolicy; no session.
        let mut req = Req::new(&app.sso_url());
        req.name_id_format = Some(EMAIL_FMT.into());
        let m = to_code_step(&app, &sp, req, "hana").await;
        let p = m.finish(&app).await;
        assert_status(
            &p,
            &sp,
            &m.req,
            "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy",
        );
        assert!(!p.body.contains("hana@example.si"), "address not sent");
        assert_eq!(sessions(&app).await, 0, "no session row");
        let k = kinds(&app).await;
        assert!(!k.iter().any(|k| k == "session.created"), "{k:?}");
        assert!(!k.iter().any(|k| k == "assertion.issued"), "{k:?}");
        assert_eq!(
            response_refusal(&app).await["reason"],
            "NameID format not available"
        );
        assert_login_closed(&app, &m).await;
        // IdP's choice (metadata prefers e-mail): persistent instead, and no mail attribute.
        let m = to_code_step(&app, &sp, Req::new(&app.sso_url()), "hana").await;
        let p = m.finish(&app).await;
        let posted = Posted::from_page(&p).unwrap_or_else(|| panic!("{}", p.body));
        assert_eq!(name_id(&md, &sp, &posted, &m.req).1, PERSISTENT);
        let attrs = attributes(&md, &sp, &posted, &m.req);
        assert!(!attrs.contains(&"mail".to_string()), "{attrs:?}");
        assert!(!posted.xml().contains("hana@example.si"));
        // From that session, asked for an e-mail NameID: a status, not an error.
        let mut req = Req::new(&app.sso_url());
        req.name_id_format = Some(EMAIL_FMT.into());
        let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
        let p = m.b.get(&format!("/saml/sso?{q}")).await;
        assert_status(
            &p,
            &sp,
            &req,
            "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy",
        );
        // Confirmed: the address is the NameID and the mail attribute.
        confirm_email(&app, "hana").await;
        let mut req = Req::new(&app.sso_url());
        req.name_id_format = Some(EMAIL_FMT.into());
        let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
        let p = m.b.get(&format!("/saml/sso?{q}")).await;
        let posted = Posted::from_page(&p).unwrap_or_else(|| panic!("{}", p.body));
        assert_eq!(
            name_id(&md, &sp, &posted, &req),
            ("hana@example.si".to_string(), EMAIL_FMT.to_string())
        );
        assert!(attributes(&md, &sp, &posted, &req).contains(&"mail".to_string()));
        app.stop().await;
    }
}
