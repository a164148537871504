//! Shared SAML types: bindings, status codes and NameID formats.

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Binding {
    HttpRedirect,
    HttpPost,
}

impl Binding {
    pub const REDIRECT_URI: &'static str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
    pub const POST_URI: &'static str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

    /// Exact match of the two binding URIs.
    pub fn from_uri(s: &str) -> Option<Binding> {
        match s {
            Self::REDIRECT_URI => Some(Binding::HttpRedirect),
            Self::POST_URI => Some(Binding::HttpPost),
            _ => None,
        }
    }

    pub fn uri(self) -> &'static str {
        match self {
            Binding::HttpRedirect => Self::REDIRECT_URI,
            Binding::HttpPost => Self::POST_URI,
        }
    }
}

/// Second-level (or top-level) SAML status codes we emit.
pub mod status {
    pub const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
    pub const REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
    pub const RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
    pub const VERSION_MISMATCH: &str = "urn:oasis:names:tc:SAML:2.0:status:VersionMismatch";
    pub const AUTHN_FAILED: &str = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";
    pub const INVALID_NAMEID_POLICY: &str =
        "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy";
    pub const NO_AUTHN_CONTEXT: &str = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext";
    pub const NO_PASSIVE: &str = "urn:oasis:names:tc:SAML:2.0:status:NoPassive";
    pub const REQUEST_DENIED: &str = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied";
    pub const REQUEST_UNSUPPORTED: &str = "urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported";
}

pub mod nameid {
    pub const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
    pub const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
    pub const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
    pub const EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
}
