//! The whole smsPASS login as a browser does it, for both bindings, signed and unsigned requests; the
//! Response is checked by samael (Rust SP), pysaml2 (Python SP), xmlsec1 and the OASIS schemas.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::sp::{Req, RSA_SHA256};
use common::*;

const PHONE: &str = "+38641111222";

async fn check_everywhere(
    app: &TestApp,
    sp: &TestSp,
    posted: &Posted,
    request_id: &str,
    response_signed: bool,
) {
    let md = app.idp_metadata().await;
    let xml = posted.xml();
    // samael (Rust SP library)
    let assertion = sp
        .samael_accepts(&md, &posted.saml_response, request_id)
        .unwrap_or_else(|e| panic!("samael refused: {e}\n{xml}"));
    let attrs: Vec<(String, String)> = assertion
        .attribute_statements
        .unwrap_or_default()
        .into_iter()
        .flat_map(|s| s.attributes)
        .map(|a| {
            (
                a.friendly_name.unwrap_or_default(),
                a.values
                    .first()
                    .and_then(|v| v.value.clone())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        attrs.contains(&("givenName".into(), "Janez".into())),
        "{attrs:?}"
    );
    assert!(attrs.contains(&("sn".into(), "Novak".into())), "{attrs:?}");
    // pysaml2 (Python SP library)
    let v = sp.pysaml2(
        &md,
        &posted.saml_response,
        Some(request_id),
        &posted.acs_url,
        response_signed,
    );
    assert_eq!(v["ok"], true, "pysaml2 refused: {v}\n{xml}");
    assert_eq!(v["authn_context_class_ref"], pass_idp::domain::loa::SMSPASS);
    assert_eq!(
        v["name_id_format"],
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    );
    // xmlsec1 and the schema
    xmlsec1_verify(
        &assertion_of(&xml),
        &idp_cert_path(),
        "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
    )
    .unwrap_or_else(|e| panic!("xmlsec1: {e}"));
    if response_signed {
        xmlsec1_verify(
            &xml,
            &idp_cert_path(),
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
        )
        .unwrap_or_else(|e| panic!("xmlsec1 (Response): {e}"));
    }
    xsd_valid(&xml).unwrap_or_else(|e| panic!("schema: {e}\n{xml}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_unsigned_login_is_accepted_by_two_sp_libraries() {
    for backend in backends() {
        let sp = TestSp::new("plain", false);
        let app = TestApp::spawn_with(backend, &[&sp], |_| {}).await;
        app.add_citizen("janez", Some(PHONE)).await;
        let b = app.browser();
        let req = Req::new(&app.sso_url());
        let q = sp.redirect_query(&sp.authn_request(&req, false), Some("state-ž 1"), None);
        let start = b.get(&format!("/saml/sso?{q}")).await;
        let posted = full_login(&app, &b, start, "janez", PHONE).await;
        assert_eq!(posted.acs_url, sp.acs_url);
        assert_eq!(
            posted.relay_state.as_deref(),
            Some("state-ž 1"),
            "RelayState comes back unchanged"
        );
        check_everywhere(&app, &sp, &posted, &req.id, false).await;
        // The SMS names the e-service and ends with the WebOTP line.
        let (_, text) = app.sms().pop().unwrap();
        assert!(
            text.contains(&sp.entity_id) || text.contains("plain"),
            "{text}"
        );
        let host = "127.0.0.1";
        assert!(
            text.lines()
                .last()
                .unwrap()
                .starts_with(&format!("@{host} #")),
            "{text}"
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_signed_and_post_signed_logins_work() {
    let sp =
        TestSp::new("signed", true).with_policy("sign_response = true\nsign_assertion = true\n");
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("metka", Some(PHONE)).await;
    // Redirect, signed over the query.
    let b = app.browser();
    let req = Req::new(&app.sso_url());
    let q = sp.redirect_query(&sp.authn_request(&req, false), None, Some(RSA_SHA256));
    let posted = full_login(
        &app,
        &b,
        b.get(&format!("/saml/sso?{q}")).await,
        "metka",
        PHONE,
    )
    .await;
    check_everywhere(&app, &sp, &posted, &req.id, true).await;
    // POST, enveloped signature, a fresh browser (no session).
    let b2 = app.browser();
    let req2 = Req::new(&app.sso_url());
    let body = sp.post_body(&req2, true);
    let start = b2
        .post("/saml/sso", &[("SAMLRequest", &body), ("RelayState", "x")])
        .await;
    let posted2 = full_login(&app, &b2, start, "metka", PHONE).await;
    check_everywhere(&app, &sp, &posted2, &req2.id, true).await;
    // Pairwise persistent NameID: stable for the same citizen at the same SP.
    let md = app.idp_metadata().await;
    let a1 = sp
        .samael_accepts(&md, &posted.saml_response, &req.id)
        .unwrap();
    let a2 = sp
        .samael_accepts(&md, &posted2.saml_response, &req2.id)
        .unwrap();
    let nid = |a: &samael::schema::Assertion| {
        a.subject
            .as_ref()
            .and_then(|s| s.name_id.as_ref())
            .map(|n| n.value.clone())
    };
    assert_eq!(nid(&a1), nid(&a2));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_session_serves_a_second_eservice_without_login_and_pairwise_ids_differ() {
    let sp1 = TestSp::new("one", false);
    let sp2 = TestSp::new("two", false);
    let app = TestApp::spawn(&[&sp1, &sp2]).await;
    app.add_citizen("ana", Some(PHONE)).await;
    let b = app.browser();
    let r1 = Req::new(&app.sso_url());
    let q1 = sp1.redirect_query(&sp1.authn_request(&r1, false), None, None);
    let p1 = full_login(
        &app,
        &b,
        b.get(&format!("/saml/sso?{q1}")).await,
        "ana",
        PHONE,
    )
    .await;
    let sms_before = app.sms().len();
    // Second e-service: straight back with a Response.
    let r2 = Req::new(&app.sso_url());
    let q2 = sp2.redirect_query(&sp2.authn_request(&r2, false), None, None);
    let page = b.get(&format!("/saml/sso?{q2}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let p2 = Posted::from_page(&page).expect("post form");
    assert_eq!(p2.acs_url, sp2.acs_url);
    assert_eq!(app.sms().len(), sms_before, "no new SMS for session SSO");
    let md = app.idp_metadata().await;
    let a1 = sp1.samael_accepts(&md, &p1.saml_response, &r1.id).unwrap();
    let a2 = sp2.samael_accepts(&md, &p2.saml_response, &r2.id).unwrap();
    let nid = |a: &samael::schema::Assertion| {
        a.subject
            .as_ref()
            .and_then(|s| s.name_id.as_ref())
            .map(|n| n.value.clone())
    };
    assert_ne!(
        nid(&a1),
        nid(&a2),
        "pairwise identifiers differ between e-services"
    );
    // The same session index in both.
    let si = |a: &samael::schema::Assertion| {
        a.authn_statements
            .as_ref()
            .and_then(|s| s.first())
            .and_then(|s| s.session_index.clone())
    };
    assert_eq!(si(&a1), si(&a2));
    // ForceAuthn makes the citizen log in again.
    let mut r3 = Req::new(&app.sso_url());
    r3.force_authn = true;
    let q3 = sp2.redirect_query(&sp2.authn_request(&r3, false), None, None);
    let page = b.get(&format!("/saml/sso?{q3}")).await;
    assert_eq!(page.status, 303, "ForceAuthn must not reuse the session");
    // IsPassive with a session: answered at once.
    let mut r4 = Req::new(&app.sso_url());
    r4.is_passive = true;
    let q4 = sp1.redirect_query(&sp1.authn_request(&r4, false), None, None);
    let page = b.get(&format!("/saml/sso?{q4}")).await;
    assert_eq!(page.status, 200);
    let p4 = Posted::from_page(&page).unwrap();
    assert!(p4
        .xml()
        .contains("urn:oasis:names:tc:SAML:2.0:status:Success"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_only_session_steps_up_with_sms_code_only() {
    let low = TestSp::new("low", false).with_policy("required_level = \"password\"\n");
    let high = TestSp::new("high", false);
    let app = TestApp::spawn(&[&low, &high]).await;
    app.add_citizen("marko", Some(PHONE)).await;
    let b = app.browser();
    let r1 = Req::new(&app.sso_url());
    let q1 = low.redirect_query(&low.authn_request(&r1, false), None, None);
    assert_eq!(b.get(&format!("/saml/sso?{q1}")).await.status, 303);
    let pw = b.get("/login/password").await;
    let done = b
        .post(
            "/login/password",
            &[
                ("csrf_token", &pw.csrf()),
                ("username", "marko"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        done.status, 200,
        "password-only e-service finishes after the password"
    );
    let p1 = Posted::from_page(&done).unwrap();
    assert!(p1
        .xml()
        .contains(pass_idp::domain::loa::PASSWORD_PROTECTED_TRANSPORT));
    assert!(app.sms().is_empty(), "no SMS for a password-only login");
    // The smsPASS e-service: only the code is asked.
    let r2 = Req::new(&app.sso_url());
    let q2 = high.redirect_query(&high.authn_request(&r2, false), None, None);
    assert_eq!(b.get(&format!("/saml/sso?{q2}")).await.status, 303);
    let choose = b.get("/login").await;
    assert!(
        choose.body.contains("/login/otp/send"),
        "step-up page offers to send the code"
    );
    let sent = b
        .post("/login/otp/send", &[("csrf_token", &choose.csrf())])
        .await;
    assert_eq!(sent.status, 200);
    let code = app.last_code(PHONE);
    let done = b
        .post(
            "/login/otp",
            &[("csrf_token", &sent.csrf()), ("otp", &code)],
        )
        .await;
    let p2 = Posted::from_page(&done).unwrap_or_else(|| panic!("{}", done.body));
    let md = app.idp_metadata().await;
    let a = high.samael_accepts(&md, &p2.saml_response, &r2.id).unwrap();
    let ctx = a.authn_statements.unwrap()[0]
        .authn_context
        .clone()
        .unwrap()
        .value
        .unwrap();
    assert_eq!(ctx.value.as_deref(), Some(pass_idp::domain::loa::SMSPASS));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eidas_minimum_substantial_is_named_in_eidas_terms() {
    let sp = TestSp::new("eidas", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("eva", Some(PHONE)).await;
    let b = app.browser();
    let mut r = Req::new(&app.sso_url());
    r.requested = Some((
        "minimum".into(),
        vec![pass_idp::domain::loa::EIDAS_SUBSTANTIAL.into()],
    ));
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    let posted = full_login(
        &app,
        &b,
        b.get(&format!("/saml/sso?{q}")).await,
        "eva",
        PHONE,
    )
    .await;
    assert!(posted
        .xml()
        .contains(pass_idp::domain::loa::EIDAS_SUBSTANTIAL));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attribute_values_with_markup_stay_one_value_and_verify() {
    let sp = TestSp::new("escape", false);
    let app = TestApp::spawn(&[&sp]).await;
    app.services
        .citizens.add_citizen(
            pass_idp::service::citizens::NewCitizenInput {
                username: "zoran".into(),
                given_name: "Žiga</saml:AttributeValue></saml:Attribute><saml:Attribute Name=\"admin\"><saml:AttributeValue>1".into(),
                family_name: "Čop & \"Šuštar\" ]]> <!-- x -->".into(),
                email: None,
                phone: Some(PHONE.into()),
                password: pass_idp::auth::Secret::new(PASSWORD),
            },
            "test",
        )
        .await
        .unwrap();
    let b = app.browser();
    let r = Req::new(&app.sso_url());
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    let posted = full_login(
        &app,
        &b,
        b.get(&format!("/saml/sso?{q}")).await,
        "zoran",
        PHONE,
    )
    .await;
    let md = app.idp_metadata().await;
    let a = sp
        .samael_accepts(&md, &posted.saml_response, &r.id)
        .unwrap();
    let attrs: Vec<_> = a
        .attribute_statements
        .unwrap()
        .into_iter()
        .flat_map(|s| s.attributes)
        .collect();
    assert!(
        attrs.iter().all(|a| a.name.as_deref() != Some("admin")),
        "no injected attribute"
    );
    let given = attrs
        .iter()
        .find(|a| a.friendly_name.as_deref() == Some("givenName"))
        .unwrap();
    assert_eq!(given.values.len(), 1);
    assert!(given.values[0]
        .value
        .as_deref()
        .unwrap()
        .starts_with("Žiga</saml:AttributeValue>"));
    let v = sp.pysaml2(
        &md,
        &posted.saml_response,
        Some(&r.id),
        &posted.acs_url,
        false,
    );
    assert_eq!(v["ok"], true, "{v}");
    app.stop().await;
}
