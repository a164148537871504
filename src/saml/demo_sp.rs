//! The demo e-services served in dev mode (`/demo-sp/…`), so a new user can try a whole login with
//! `make run`. They act as an ordinary SAML SP would: an AuthnRequest by HTTP-Redirect (signed for the
//! e-service whose metadata says AuthnRequestsSigned), and samael's SP validation of the Response.
use chrono::{DateTime, Utc};
use openssl::pkey::{PKey, Private};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo e-service: {0}")]
    Failed(String),
}

/// The query string of a Redirect-binding AuthnRequest from `entity_id`, signed when `key` is given.
pub fn authn_request_query(
    entity_id: &str,
    acs_url: &str,
    destination: &str,
    id: &str,
    now: DateTime<Utc>,
    key: Option<&PKey<Private>>,
) -> Result<String, DemoError> {
    let xml = format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{}" Destination="{destination}" AssertionConsumerServiceURL="{acs_url}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>{entity_id}</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/></samlp:AuthnRequest>"#,
        now.format("%Y-%m-%dT%H:%M:%SZ")
    );
    super::binding::encode_redirect_query(
        &xml,
        None,
        key.map(|k| (k, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")),
    )
    .map_err(|e| DemoError::Failed(e.to_string()))
}

/// What the demo e-service learned from a valid Response.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoLogin {
    pub name_id: String,
    pub authn_context: String,
    pub attributes: Vec<(String, String)>,
}

/// Validates a Response the way an SP does (samael): signature against the IdP metadata's certificate,
/// audience, destination, InResponseTo, validity window.
pub fn accept_response(
    idp_metadata_xml: &str,
    entity_id: &str,
    acs_url: &str,
    saml_response_b64: &str,
    request_id: &str,
) -> Result<DemoLogin, DemoError> {
    let md: samael::metadata::EntityDescriptor = idp_metadata_xml
        .parse()
        .map_err(|e| DemoError::Failed(format!("IdP metadata: {e:?}")))?;
    let sp = samael::service_provider::ServiceProvider {
        entity_id: Some(entity_id.to_string()),
        acs_url: Some(acs_url.to_string()),
        idp_metadata: md,
        allowed_signature_algorithms: Some(vec![
            samael::crypto::AllowedSignatureAlgorithm::RsaSha256,
        ]),
        ..Default::default()
    };
    let a = sp
        .parse_base64_response(saml_response_b64, Some(&[request_id]))
        .map_err(|e| DemoError::Failed(e.to_string()))?;
    let name_id = a
        .subject
        .as_ref()
        .and_then(|s| s.name_id.as_ref())
        .map(|n| n.value.clone())
        .unwrap_or_default();
    let authn_context = a
        .authn_statements
        .as_ref()
        .and_then(|s| s.first())
        .and_then(|s| s.authn_context.as_ref())
        .and_then(|c| c.value.as_ref())
        .and_then(|v| v.value.clone())
        .unwrap_or_default();
    let attributes = a
        .attribute_statements
        .unwrap_or_default()
        .into_iter()
        .flat_map(|s| s.attributes)
        .map(|at| {
            let vals: Vec<String> = at.values.into_iter().filter_map(|v| v.value).collect();
            (
                at.friendly_name.or(at.name).unwrap_or_default(),
                vals.join(", "),
            )
        })
        .collect();
    Ok(DemoLogin {
        name_id,
        authn_context,
        attributes,
    })
}
