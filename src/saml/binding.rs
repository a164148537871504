use super::types::Binding;
#[derive(Debug, thiserror::Error)] #[error("x")] pub struct BindingError;
pub struct InboundMessage { pub binding: Binding, pub xml: String, pub relay_state: Option<String> }
pub fn decode_redirect(_q: &str, _m: usize) -> Result<InboundMessage, BindingError> { Err(BindingError) }
pub fn decode_post(_q: &str, _r: Option<&str>, _m: usize) -> Result<InboundMessage, BindingError> { Err(BindingError) }
pub fn encode_redirect_query(_x: &str, _r: Option<&str>, _s: Option<(&openssl::pkey::PKey<openssl::pkey::Private>, &str)>) -> Result<String, BindingError> { Err(BindingError) }
