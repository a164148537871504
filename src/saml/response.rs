use super::keys::SigningKey;
use chrono::{DateTime, Utc};
#[derive(Debug, thiserror::Error)] #[error("x")] pub struct ResponseError;
pub struct Attribute { pub name: String, pub friendly_name: Option<String>, pub name_format: String, pub values: Vec<String> }
pub struct NameId { pub value: String, pub format: String, pub name_qualifier: Option<String>, pub sp_name_qualifier: Option<String> }
pub struct SuccessResponse<'a> { pub response_id: &'a str, pub assertion_id: &'a str, pub issuer: &'a str, pub destination: &'a str, pub in_response_to: Option<&'a str>, pub audience: &'a str, pub name_id: &'a NameId, pub issue_instant: DateTime<Utc>, pub not_before: DateTime<Utc>, pub not_on_or_after: DateTime<Utc>, pub authn_instant: DateTime<Utc>, pub session_index: &'a str, pub session_not_on_or_after: Option<DateTime<Utc>>, pub authn_context_class_ref: &'a str, pub attributes: &'a [Attribute], pub sign_assertion: bool, pub sign_response: bool }
pub fn build_success(_k: &SigningKey, _r: &SuccessResponse) -> Result<String, ResponseError> { Err(ResponseError) }
pub struct StatusResponse<'a> { pub response_id: &'a str, pub issuer: &'a str, pub destination: &'a str, pub in_response_to: Option<&'a str>, pub issue_instant: DateTime<Utc>, pub top_status: &'a str, pub second_status: Option<&'a str>, pub message: Option<&'a str>, pub sign: bool }
pub fn build_status(_k: &SigningKey, _r: &StatusResponse) -> Result<String, ResponseError> { Err(ResponseError) }
