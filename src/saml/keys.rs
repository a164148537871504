#[derive(Debug, thiserror::Error)] #[error("x")] pub struct KeyError;
pub struct SigningKey;
impl SigningKey { pub fn from_pem(_k: &[u8], _c: &[u8]) -> Result<Self, KeyError> { Err(KeyError) } }
pub fn generate_self_signed(_cn: &str, _d: u32) -> Result<(Vec<u8>, Vec<u8>), KeyError> { Err(KeyError) }
