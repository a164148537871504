//! XML signature wrapping against the real server, on both bindings, with and without an SSO
//! session. The e-service signs its AuthnRequests and names its ACS #0; the attacker wraps that
//! genuine request in an unsigned outer AuthnRequest of the same e-service naming its ACS #1. Every
//! variant gets an error page and nothing is posted anywhere; the genuine request is answered at the
//! ACS it named (the Response's Destination and the assertion's Recipient). A signed request must
//! carry this IdP's Destination, on both bindings.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::sp::{deflate_b64, signature_element, urlenc, Req, RSA_SHA256};
use common::*;

const PHONE: &str = "+38641777888";
/// The error page's text for an unusable request (Slovenian is the default language).
const BAD_REQUEST_SL: &str = "Zahteva e-storitve ni veljavna";
const REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
const REQUEST_DENIED: &str = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// What the IdP posted, read from the Response XML.
#[derive(Debug, Default)]
struct Answer {
    destination: String,
    in_response_to: Option<String>,
    status_codes: Vec<String>,
    recipients: Vec<String>,
    assertions: usize,
}

fn answer_of(posted: &Posted) -> Answer {
    use quick_xml::events::Event;
    let xml = posted.xml();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut a = Answer::default();
    let mut is_root = true;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => {
                let attr = |name: &str| {
                    e.try_get_attribute(name)
                        .unwrap()
                        .map(|v| String::from_utf8(v.value.to_vec()).unwrap())
                };
                match e.local_name().as_ref() {
                    b"Response" if is_root => {
                        a.destination = attr("Destination").unwrap_or_default();
                        a.in_response_to = attr("InResponseTo");
                    }
                    b"StatusCode" => a.status_codes.push(attr("Value").unwrap_or_default()),
                    b"SubjectConfirmationData" => {
                        a.recipients.push(attr("Recipient").unwrap_or_default())
                    }
                    b"Assertion" => a.assertions += 1,
                    _ => {}
                }
                is_root = false;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    a
}

/// The refusal page: 400, the translated message, a reference id, and no form to any ACS.
fn assert_refused(p: &Page, what: &str) {
    assert_eq!(p.status, 400, "{what}: {}", p.body);
    assert!(
        Posted::from_page(p).is_none(),
        "{what}: a refusal must not post anywhere: {}",
        p.body
    );
    assert!(p.body.contains(BAD_REQUEST_SL), "{what}: {}", p.body);
    assert!(p.body.contains("<code>"), "{what}: a reference id");
}

/// A Response posted to `acs`, addressed to it, answering `request_id`.
fn answered_at(p: &Page, acs: &str, request_id: &str) -> Answer {
    assert_eq!(p.status, 200, "{}", p.body);
    let posted = Posted::from_page(p).unwrap_or_else(|| panic!("no SAML form: {}", p.body));
    answered_posted_at(&posted, acs, request_id)
}

fn answered_posted_at(posted: &Posted, acs: &str, request_id: &str) -> Answer {
    assert_eq!(posted.acs_url, acs, "the form's action");
    let a = answer_of(posted);
    assert_eq!(a.destination, acs, "the Response's Destination");
    assert_eq!(a.in_response_to.as_deref(), Some(request_id));
    a
}

/// An assertion for `acs` only: Success, and every Recipient is `acs`.
fn assert_assertion_for(a: &Answer, acs: &str) {
    assert_eq!(a.status_codes.first().map(String::as_str), Some(SUCCESS));
    assert_eq!(a.assertions, 1);
    assert!(!a.recipients.is_empty());
    assert!(a.recipients.iter().all(|r| r == acs), "{:?}", a.recipients);
}

async fn setup() -> (TestSp, TestApp) {
    let sp = TestSp::new("wrap", true);
    let app = TestApp::spawn(&[&sp]).await;
    app.add_citizen("janez", Some(PHONE)).await;
    (sp, app)
}

/// The e-service's genuine request for its ACS #0.
fn genuine(app: &TestApp) -> Req {
    let mut r = Req::new(&app.sso_url());
    r.acs_index = Some(0);
    r
}

/// The same e-service's unsigned AuthnRequest for its other ACS (#1), with `id_attrs` in place of
/// its ID attribute and `children` right after its Issuer.
fn outer(sp: &TestSp, app: &TestApp, id: &str, id_attrs: &str, children: &str) -> String {
    let mut r = Req::new(&app.sso_url());
    r.id = id.to_string();
    r.acs_index = Some(1);
    sp.authn_request(&r, false)
        .replacen(
            &format!(r#"ID="{id}""#),
            &format!(r#"xmlns:x="urn:x" {id_attrs}"#),
            1,
        )
        .replacen("</saml:Issuer>", &format!("</saml:Issuer>{children}"), 1)
}

fn extensions(inner: &str) -> String {
    format!("<samlp:Extensions>{inner}</samlp:Extensions>")
}

/// Wrapped HTTP-POST messages around the genuine XML-signed request `g`.
fn post_variants(sp: &TestSp, app: &TestApp, g: &Req) -> Vec<(&'static str, String)> {
    let signed = sp.signed_request_xml(g);
    let sig = signature_element(&signed);
    let copy = signed.replace(&sig, "");
    let id = g.id.as_str();
    let sig_then_copy = format!("{sig}{}", extensions(&copy));
    vec![
        (
            "x:ID before the root ID, the signature on the outer root",
            outer(
                sp,
                app,
                id,
                &format!(r#"x:ID="_o" ID="{id}""#),
                &sig_then_copy,
            ),
        ),
        (
            "x:ID after the root ID",
            outer(
                sp,
                app,
                id,
                &format!(r#"ID="{id}" x:ID="_o""#),
                &sig_then_copy,
            ),
        ),
        (
            "x:Id on the outer root",
            outer(
                sp,
                app,
                id,
                &format!(r#"x:Id="_o" ID="{id}""#),
                &sig_then_copy,
            ),
        ),
        (
            "xml:id on the outer root",
            outer(
                sp,
                app,
                id,
                &format!(r#"xml:id="_o" ID="{id}""#),
                &sig_then_copy,
            ),
        ),
        (
            "the same ID twice, the signature on the outer root",
            outer(sp, app, id, &format!(r#"ID="{id}""#), &sig_then_copy),
        ),
        (
            "the genuine request inside a ds:Object of the signature",
            outer(
                sp,
                app,
                id,
                &format!(r#"ID="{id}""#),
                &sig.replace(
                    "</ds:Signature>",
                    &format!("<ds:Object>{copy}</ds:Object></ds:Signature>"),
                ),
            ),
        ),
        (
            "the signed request in Extensions of an outer root with another ID",
            outer(sp, app, "_o", r#"ID="_o""#, &extensions(&signed)),
        ),
        (
            "the signed request in Extensions of an outer root with its ID",
            outer(sp, app, id, &format!(r#"ID="{id}""#), &extensions(&signed)),
        ),
        (
            "the genuine signature on an outer root with its ID, no copy",
            outer(sp, app, id, &format!(r#"ID="{id}""#), &sig),
        ),
        (
            "the signature inside Extensions of the outer root",
            outer(
                sp,
                app,
                id,
                &format!(r#"x:ID="_o" ID="{id}""#),
                &extensions(&format!("{sig}{copy}")),
            ),
        ),
    ]
}

/// Wrapped HTTP-Redirect queries around the genuine request `g`.
fn redirect_variants(sp: &TestSp, app: &TestApp, g: &Req) -> Vec<(&'static str, String)> {
    let plain = sp.authn_request(g, false);
    let signed_q = sp.redirect_query(&plain, Some("rs"), Some(RSA_SHA256));
    let sig_part = signed_q.split_once("&SigAlg=").unwrap().1;
    let id = g.id.as_str();
    let wrapped = outer(
        sp,
        app,
        id,
        &format!(r#"x:ID="_o" ID="{id}""#),
        &extensions(&plain),
    );
    let xml_signed = sp.signed_request_xml(g);
    let sig = signature_element(&xml_signed);
    let xml_wrapped = outer(
        sp,
        app,
        id,
        &format!(r#"x:ID="_o" ID="{id}""#),
        &format!("{sig}{}", extensions(&xml_signed.replace(&sig, ""))),
    );
    vec![
        (
            "the wrapped request under the genuine query signature",
            format!(
                "SAMLRequest={}&RelayState=rs&SigAlg={sig_part}",
                urlenc(&deflate_b64(&wrapped))
            ),
        ),
        (
            "the wrapped request without a query signature",
            sp.redirect_query(&wrapped, Some("rs"), None),
        ),
        (
            "an XML-signed request wrapped with x:ID, by Redirect",
            sp.redirect_query(&xml_wrapped, Some("rs"), None),
        ),
        (
            "a second SAMLRequest after the genuine signed query",
            format!("{signed_q}&SAMLRequest={}", urlenc(&deflate_b64(&wrapped))),
        ),
        (
            "the wrapped request first, then the genuine signed query",
            format!("SAMLRequest={}&{signed_q}", urlenc(&deflate_b64(&wrapped))),
        ),
    ]
}

/// Every POST variant, plus the wrapped request posted with the genuine query signature in the URL.
async fn post_all_refused(sp: &TestSp, app: &TestApp, b: &Browser, g: &Req) {
    for (what, xml) in post_variants(sp, app, g) {
        let p = b
            .post(
                "/saml/sso",
                &[
                    ("SAMLRequest", &STANDARD.encode(&xml)),
                    ("RelayState", "rs"),
                ],
            )
            .await;
        assert_refused(&p, what);
    }
    let signed_q = sp.redirect_query(&sp.authn_request(g, false), None, Some(RSA_SHA256));
    let wrapped = outer(
        sp,
        app,
        &g.id,
        &format!(r#"ID="{}""#, g.id),
        &extensions(&sp.authn_request(g, false)),
    );
    let p = b
        .post(
            &format!("/saml/sso?{signed_q}"),
            &[("SAMLRequest", &STANDARD.encode(&wrapped))],
        )
        .await;
    assert_refused(&p, "a POST with the genuine query signature in its URL");
}

async fn redirect_all_refused(sp: &TestSp, app: &TestApp, b: &Browser, g: &Req) {
    for (what, q) in redirect_variants(sp, app, g) {
        assert_refused(&b.get(&format!("/saml/sso?{q}")).await, what);
    }
}

/// A whole login started by the genuine signed POST request `g`: the assertion is for ACS #0.
async fn login_with_signed_post(sp: &TestSp, app: &TestApp, b: &Browser, g: &Req) {
    let body = sp.post_body(g, true);
    let start = b
        .post("/saml/sso", &[("SAMLRequest", &body), ("RelayState", "rs")])
        .await;
    let posted = full_login(app, b, start, "janez", PHONE).await;
    assert_eq!(posted.relay_state.as_deref(), Some("rs"));
    let a = answered_posted_at(&posted, &sp.acs_url, &g.id);
    assert_assertion_for(&a, &sp.acs_url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_wrapping_without_a_session_is_refused() {
    let (sp, app) = setup().await;
    let g = genuine(&app);
    post_all_refused(&sp, &app, &app.browser(), &g).await;
    // The genuine request (its ID was not used up by the refusals) logs in at the ACS it named.
    login_with_signed_post(&sp, &app, &app.browser(), &g).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_wrapping_with_a_session_is_refused() {
    let (sp, app) = setup().await;
    let b = app.browser();
    login_with_signed_post(&sp, &app, &b, &genuine(&app)).await;
    let g = genuine(&app);
    post_all_refused(&sp, &app, &b, &g).await;
    // With the session, the genuine request is answered at once, at its ACS #0 ...
    let p = b
        .post("/saml/sso", &[("SAMLRequest", &sp.post_body(&g, true))])
        .await;
    assert_assertion_for(&answered_at(&p, &sp.acs_url, &g.id), &sp.acs_url);
    // ... and ACS #1 is reached only by a genuine request that names it.
    let mut g1 = Req::new(&app.sso_url());
    g1.acs_index = Some(1);
    let p = b
        .post("/saml/sso", &[("SAMLRequest", &sp.post_body(&g1, true))])
        .await;
    assert_assertion_for(&answered_at(&p, &sp.acs_url_2, &g1.id), &sp.acs_url_2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_wrapping_without_a_session_is_refused() {
    let (sp, app) = setup().await;
    let g = genuine(&app);
    redirect_all_refused(&sp, &app, &app.browser(), &g).await;
    let b = app.browser();
    let q = sp.redirect_query(&sp.authn_request(&g, false), Some("rs"), Some(RSA_SHA256));
    let start = b.get(&format!("/saml/sso?{q}")).await;
    let posted = full_login(&app, &b, start, "janez", PHONE).await;
    assert_assertion_for(
        &answered_posted_at(&posted, &sp.acs_url, &g.id),
        &sp.acs_url,
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_wrapping_with_a_session_is_refused() {
    let (sp, app) = setup().await;
    let b = app.browser();
    login_with_signed_post(&sp, &app, &b, &genuine(&app)).await;
    let g = genuine(&app);
    redirect_all_refused(&sp, &app, &b, &g).await;
    let q = sp.redirect_query(&sp.authn_request(&g, false), Some("rs"), Some(RSA_SHA256));
    let p = b.get(&format!("/saml/sso?{q}")).await;
    assert_assertion_for(&answered_at(&p, &sp.acs_url, &g.id), &sp.acs_url);
    app.stop().await;
}

// ---- Destination of a signed request (SAML bindings 3.4.5.2, 3.5.5.2) ----

/// Sends `r` signed on both bindings; returns the two pages (Redirect, POST).
async fn send_signed_both(sp: &TestSp, app: &TestApp, r: &Req) -> [Page; 2] {
    let q = sp.redirect_query(&sp.authn_request(r, false), Some("rs"), Some(RSA_SHA256));
    let redirect = app.browser().get(&format!("/saml/sso?{q}")).await;
    let post = app
        .browser()
        .post(
            "/saml/sso",
            &[
                ("SAMLRequest", &sp.post_body(r, true)),
                ("RelayState", "rs"),
            ],
        )
        .await;
    [redirect, post]
}

/// RequestDenied, with no assertion, at the ACS the signed request named (#1).
fn assert_request_denied_at_acs2(p: &Page, sp: &TestSp, r: &Req) {
    let a = answered_at(p, &sp.acs_url_2, &r.id);
    assert_eq!(
        a.status_codes,
        vec![REQUESTER.to_string(), REQUEST_DENIED.to_string()]
    );
    assert_eq!(a.assertions, 0, "no assertion in a refusal");
    assert_eq!(
        Posted::from_page(p).unwrap().relay_state.as_deref(),
        Some("rs")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_request_without_destination_gets_request_denied_on_both_bindings() {
    let (sp, app) = setup().await;
    let mut r = Req::new(&app.sso_url());
    r.destination = None;
    r.acs_index = Some(1);
    for p in send_signed_both(&sp, &app, &r).await {
        assert_request_denied_at_acs2(&p, &sp, &r);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_request_with_another_destination_gets_request_denied_on_both_bindings() {
    let (sp, app) = setup().await;
    for destination in [
        "https://other-idp.example/saml/sso".to_string(),
        format!("{}/other", app.sso_url()),
        String::new(),
    ] {
        let mut r = Req::new(&app.sso_url());
        r.destination = Some(destination);
        r.acs_index = Some(1);
        for p in send_signed_both(&sp, &app, &r).await {
            assert_request_denied_at_acs2(&p, &sp, &r);
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destination_stays_optional_for_an_unsigned_request() {
    let sp = TestSp::new("plain", false);
    let app = TestApp::spawn(&[&sp]).await;
    let mut r = Req::new(&app.sso_url());
    r.destination = None;
    let q = sp.redirect_query(&sp.authn_request(&r, false), None, None);
    let p = app.browser().get(&format!("/saml/sso?{q}")).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/login"));
    app.stop().await;
}
