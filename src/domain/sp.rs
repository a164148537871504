//! An e-service's policy: what the IdP releases to it and how strongly citizens must authenticate.
//! The policy lives in a TOML file beside the SP's metadata file (`<name>.policy.toml`).
use super::loa::Level;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServicePolicy {
    /// A disabled e-service is refused at the SSO endpoint and hidden from the catalog.
    pub enabled: bool,
    /// Minimum level: "password" (eIDAS low) or "smspass" (eIDAS substantial). Default smspass.
    pub required_level: String,
    /// Attributes released (names from `domain::release`). Default: given name, family name, e-mail.
    pub attributes: Vec<String>,
    /// NameID formats this e-service may receive; empty: persistent, transient and unspecified.
    pub name_id_formats: Vec<String>,
    pub sign_assertion: bool,
    pub sign_response: bool,
    /// Require signed AuthnRequests even if the metadata does not say AuthnRequestsSigned.
    pub require_signed_requests: bool,
    /// Display information used when the metadata has no mdui.
    pub display_name_sl: Option<String>,
    pub display_name_en: Option<String>,
    pub description_sl: Option<String>,
    pub description_en: Option<String>,
}

impl Default for ServicePolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            required_level: "smspass".into(),
            attributes: vec!["given_name".into(), "family_name".into(), "email".into()],
            name_id_formats: vec![],
            sign_assertion: true,
            sign_response: false,
            require_signed_requests: false,
            display_name_sl: None,
            display_name_en: None,
            description_sl: None,
            description_en: None,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("required_level: unknown level '{0}' (use \"password\" or \"smspass\")")]
    Level(String),
    #[error("attributes: unknown attribute '{0}'")]
    Attribute(String),
    #[error("sign_assertion and sign_response are both false: at least one signature is required")]
    Unsigned,
}

impl ServicePolicy {
    pub fn level(&self) -> Level {
        Level::parse_name(&self.required_level).unwrap_or(Level::SmsPass)
    }
    pub fn validate(&self) -> Result<(), PolicyError> {
        if Level::parse_name(&self.required_level).is_none() {
            return Err(PolicyError::Level(self.required_level.clone()));
        }
        for a in &self.attributes {
            if super::release::AttributeKind::parse(a).is_none() {
                return Err(PolicyError::Attribute(a.clone()));
            }
        }
        if !self.sign_assertion && !self.sign_response {
            return Err(PolicyError::Unsigned);
        }
        Ok(())
    }
}
