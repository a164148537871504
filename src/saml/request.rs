use super::binding::InboundMessage;
use super::metadata::{AcsEndpoint, SpMetadata};
use super::types::Binding;
use chrono::{DateTime, Utc};
#[derive(Debug, thiserror::Error)] #[error("x")] pub struct RequestError;
impl RequestError { pub fn saml_status(&self) -> Option<(&'static str, Option<&'static str>)> { None } }
pub struct UnverifiedAuthnRequest;
impl UnverifiedAuthnRequest {
  pub fn parse(_m: InboundMessage) -> Result<Self, RequestError> { Err(RequestError) }
  pub fn issuer(&self) -> &str { "" } pub fn id(&self) -> &str { "" } pub fn relay_state(&self) -> Option<&str> { None }
  pub fn resolve_acs<'m>(&self, sp: &'m SpMetadata) -> Result<&'m AcsEndpoint, RequestError> { sp.acs.first().ok_or(RequestError) }
  pub fn verify(self, _sp: &SpMetadata, _r: bool, _n: DateTime<Utc>, _s: chrono::Duration, _d: &[&str]) -> Result<VerifiedAuthnRequest, RequestError> { Err(RequestError) }
}
pub enum Comparison { Exact, Minimum, Maximum, Better }
pub struct RequestedAuthnContext { pub comparison: Comparison, pub class_refs: Vec<String> }
pub struct NameIdPolicy { pub format: Option<String>, pub allow_create: bool, pub sp_name_qualifier: Option<String> }
pub struct VerifiedAuthnRequest { pub id: String, pub issuer: String, pub issue_instant: DateTime<Utc>, pub binding: Binding, pub acs_url: String, pub force_authn: bool, pub is_passive: bool, pub name_id_policy: Option<NameIdPolicy>, pub requested_authn_context: Option<RequestedAuthnContext>, pub relay_state: Option<String>, pub was_signed: bool }
