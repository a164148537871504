use super::types::Binding;
use chrono::{DateTime, Utc};
#[derive(Debug, thiserror::Error)] #[error("x")] pub struct MetadataError;
#[derive(Debug, Clone)] pub struct AcsEndpoint { pub index: Option<u16>, pub is_default: Option<bool>, pub binding: Binding, pub location: String }
#[derive(Debug, Clone)] pub struct SpMetadata { pub entity_id: String, pub acs: Vec<AcsEndpoint>, pub signing_certs: Vec<Vec<u8>>, pub authn_requests_signed: bool, pub want_assertions_signed: bool, pub name_id_formats: Vec<String> }
impl SpMetadata { pub fn display_name(&self, _l: &str) -> String { String::new() } pub fn cert_expiries(&self) -> Vec<DateTime<Utc>> { vec![] } }
pub fn parse_sp_metadata(_x: &str) -> Result<Vec<SpMetadata>, MetadataError> { Err(MetadataError) }
