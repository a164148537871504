use super::keys::SigningKey;
use super::response::ResponseError;
use chrono::{DateTime, Utc};
pub struct IdpMetadataParams<'a> { pub entity_id: &'a str, pub sso_url: &'a str, pub slo_url: Option<&'a str>, pub name_id_formats: &'a [&'a str], pub valid_until: DateTime<Utc>, pub id: &'a str, pub want_authn_requests_signed: bool, pub organization: Option<(&'a str, &'a str, &'a str)> }
pub fn build_idp_metadata(_k: &SigningKey, _p: &IdpMetadataParams) -> Result<String, ResponseError> { Err(ResponseError) }
