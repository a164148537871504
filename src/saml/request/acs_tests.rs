#![allow(clippy::unwrap_used, clippy::expect_used)]
//! AuthnRequest: time window, Destination, ACS selection and request options.

use super::testutil::*;
use super::*;
use crate::saml::binding::decode_post;

const MAX: usize = 256 * 1024;

fn skew() -> chrono::Duration {
    chrono::Duration::seconds(180)
}

fn post(xml: &str) -> UnverifiedAuthnRequest {
    UnverifiedAuthnRequest::parse(decode_post(&b64(xml), Some("rs"), MAX).unwrap()).unwrap()
}

fn verify(
    r: UnverifiedAuthnRequest,
    sp: &SpMetadata,
    require: bool,
) -> Result<VerifiedAuthnRequest, RequestError> {
    r.verify(sp, require, now(), skew(), &[IDP_SSO])
        .map_err(|r| r.error)
}

// ---- time, destination, ACS ----

#[test]
fn stale_issue_instant_refused() {
    let r = post(
        &Req {
            issue_instant: "2026-05-04T09:56:59Z".into(),
            ..Req::default()
        }
        .xml(),
    );
    let e = verify(r, &sp_metadata(false), false).unwrap_err();
    assert!(matches!(e, RequestError::Stale { .. }));
    assert!(e.saml_status().is_some());
}

#[test]
fn future_issue_instant_beyond_skew_refused() {
    let r = post(
        &Req {
            issue_instant: "2026-05-04T10:03:01Z".into(),
            ..Req::default()
        }
        .xml(),
    );
    assert!(matches!(
        verify(r, &sp_metadata(false), false),
        Err(RequestError::FromTheFuture { .. })
    ));
    // inside the skew is fine
    let r = post(
        &Req {
            issue_instant: "2026-05-04T10:02:59Z".into(),
            ..Req::default()
        }
        .xml(),
    );
    assert!(verify(r, &sp_metadata(false), false).is_ok());
}

#[test]
fn wrong_destination_refused() {
    let r = post(
        &Req {
            destination: Some("https://other-idp.example/sso".into()),
            ..Req::default()
        }
        .xml(),
    );
    assert_eq!(
        verify(r, &sp_metadata(false), false).unwrap_err(),
        RequestError::WrongDestination("https://other-idp.example/sso".into())
    );
    let r = post(
        &Req {
            destination: None,
            ..Req::default()
        }
        .xml(),
    );
    assert!(verify(r, &sp_metadata(false), false).is_ok());
}

#[test]
fn acs_url_not_in_metadata_refused() {
    let r = post(
        &Req {
            acs_url: Some("https://evil.example/acs".into()),
            ..Req::default()
        }
        .xml(),
    );
    let sp = sp_metadata(false);
    let refusal = r.verify(&sp, false, now(), skew(), &[IDP_SSO]).unwrap_err();
    assert!(matches!(
        refusal.error,
        RequestError::Acs(MetadataError::AcsUrlNotListed(_))
    ));
    assert_eq!(refusal.error.saml_status(), None);
    assert!(
        refusal.status_reply().is_none(),
        "no SAML status to an unlisted ACS"
    );
}

#[test]
fn acs_index_unknown_refused() {
    let r = post(
        &Req {
            acs_url: None,
            acs_index: Some(7),
            ..Req::default()
        }
        .xml(),
    );
    assert_eq!(
        verify(r, &sp_metadata(false), false).unwrap_err(),
        RequestError::Acs(MetadataError::AcsIndexUnknown(7))
    );
}

#[test]
fn acs_index_and_url_together_refused() {
    let r = post(
        &Req {
            acs_index: Some(1),
            ..Req::default()
        }
        .xml(),
    );
    assert_eq!(
        verify(r, &sp_metadata(false), false).unwrap_err(),
        RequestError::AcsIndexAndUrl
    );
}

#[test]
fn acs_selection_by_index_url_default() {
    let sp = sp_metadata(false);
    let by_index = post(
        &Req {
            acs_url: None,
            acs_index: Some(1),
            ..Req::default()
        }
        .xml(),
    );
    assert_eq!(verify(by_index, &sp, false).unwrap().acs_url, ACS1);
    let by_url = post(
        &Req {
            acs_url: Some(ACS2.into()),
            ..Req::default()
        }
        .xml(),
    );
    assert_eq!(verify(by_url, &sp, false).unwrap().acs_url, ACS2);
    let default = post(
        &Req {
            acs_url: None,
            ..Req::default()
        }
        .xml(),
    );
    assert_eq!(verify(default, &sp, false).unwrap().acs_url, ACS2);
}

// ---- request options ----

#[test]
fn force_authn_passive_and_requested_context_are_read() {
    let r = post(
        &Req {
            root_attrs: r#" ForceAuthn="true" IsPassive="1""#.into(),
            tail: r#"<samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>http://eidas.europa.eu/LoA/substantial</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>"#.into(),
            ..Req::default()
        }
        .xml(),
    );
    let v = verify(r, &sp_metadata(false), false).unwrap();
    assert!(v.force_authn && v.is_passive);
    assert_eq!(
        v.requested_authn_context,
        Some(RequestedAuthnContext {
            comparison: Comparison::Minimum,
            class_refs: vec!["http://eidas.europa.eu/LoA/substantial".into()]
        })
    );
}

#[test]
fn authn_context_decl_ref_is_request_unsupported() {
    let r = post(
        &Req {
            tail: r#"<samlp:RequestedAuthnContext><saml:AuthnContextDeclRef>urn:x</saml:AuthnContextDeclRef></samlp:RequestedAuthnContext>"#.into(),
            ..Req::default()
        }
        .xml(),
    );
    let e = verify(r, &sp_metadata(false), false).unwrap_err();
    assert!(matches!(e, RequestError::Unsupported(_)));
    assert_eq!(
        e.saml_status(),
        Some((
            crate::saml::types::status::REQUESTER,
            Some(crate::saml::types::status::REQUEST_UNSUPPORTED)
        ))
    );
}

#[test]
fn signature_errors_map_to_error_page() {
    assert_eq!(RequestError::SignatureRequired.saml_status(), None);
    assert_eq!(
        RequestError::SignatureInvalid("x".into()).saml_status(),
        None
    );
    assert_eq!(RequestError::WeakAlgorithm("x".into()).saml_status(), None);
}

// ---- Destination of a signed request (SAML bindings 3.4.5.2, 3.5.5.2) ----

fn redirect_signed(xml: &str) -> UnverifiedAuthnRequest {
    use crate::saml::binding::{decode_redirect, encode_redirect_query, sig_alg};
    let q =
        encode_redirect_query(xml, Some("rs"), Some((&sp_key().key, sig_alg::RSA_SHA256))).unwrap();
    UnverifiedAuthnRequest::parse(decode_redirect(&q, MAX).unwrap()).unwrap()
}

/// Both bindings, signed: the request for ACS2 (by index) with the given Destination.
fn signed_both_bindings(destination: Option<&str>) -> Vec<UnverifiedAuthnRequest> {
    let r = Req {
        destination: destination.map(str::to_string),
        acs_url: None,
        acs_index: Some(2),
        ..Req::default()
    };
    vec![
        redirect_signed(&r.xml()),
        post(&r.signed(sp_key(), RSA_SHA256, SHA256)),
    ]
}

#[test]
fn signed_request_without_destination_refused_with_request_denied_to_its_acs() {
    for r in signed_both_bindings(None) {
        let refusal = r
            .verify(&sp_metadata(true), true, now(), skew(), &[IDP_SSO])
            .unwrap_err();
        assert_eq!(refusal.error, RequestError::MissingDestination);
        let (to, top, second) = refusal.status_reply().expect("answered to the SP");
        assert_eq!(top, crate::saml::types::status::REQUESTER);
        assert_eq!(second, Some(crate::saml::types::status::REQUEST_DENIED));
        assert_eq!(to.acs_url(), ACS2, "the ACS the signed request chose");
        assert_eq!(to.in_response_to(), "_req1");
        assert_eq!(to.relay_state(), Some("rs"));
    }
}

#[test]
fn signed_request_without_destination_refused_even_when_signing_is_optional() {
    for r in signed_both_bindings(None) {
        assert_eq!(
            verify(r, &sp_metadata(false), false).unwrap_err(),
            RequestError::MissingDestination
        );
    }
}

#[test]
fn signed_request_with_wrong_destination_refused_with_request_denied() {
    for r in signed_both_bindings(Some("https://other-idp.example/sso")) {
        let refusal = r
            .verify(&sp_metadata(true), true, now(), skew(), &[IDP_SSO])
            .unwrap_err();
        assert_eq!(
            refusal.error,
            RequestError::WrongDestination("https://other-idp.example/sso".into())
        );
        let (to, _, second) = refusal.status_reply().expect("answered to the SP");
        assert_eq!(second, Some(crate::saml::types::status::REQUEST_DENIED));
        assert_eq!(to.acs_url(), ACS2);
    }
}

#[test]
fn signed_request_with_our_destination_accepted() {
    for r in signed_both_bindings(Some(IDP_SSO)) {
        let v = verify(r, &sp_metadata(true), true).unwrap();
        assert!(v.was_signed);
        assert_eq!(v.acs_url, ACS2);
    }
}

#[test]
fn a_refusal_before_authentication_names_no_reply() {
    // Signed by a key that is not in metadata, without Destination: the signature fails first
    // and nothing may be sent anywhere.
    let r = Req {
        destination: None,
        ..Req::default()
    };
    let refusal = post(&r.signed(other_key(), RSA_SHA256, SHA256))
        .verify(&sp_metadata(true), true, now(), skew(), &[IDP_SSO])
        .unwrap_err();
    assert!(matches!(refusal.error, RequestError::SignatureInvalid(_)));
    assert!(refusal.status_reply().is_none());
}
