//! An e-service's policy: what the IdP releases to it and how strongly citizens must authenticate.
//! The policy lives in a TOML file beside the SP's metadata file (`<name>.policy.toml`).
//!
//! The file is read into typed values directly ([`ServicePolicy::from_toml`]): the level is a
//! [`Level`], the attributes are [`AttributeKind`]s. An unknown level, attribute or key, or a value
//! of the wrong type, refuses the whole file when it loads, and the error names the key and its line
//! (the caller adds the file); nothing is read "as a string" and interpreted later.
use super::loa::Level;
use super::release::AttributeKind;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServicePolicy {
    /// A disabled e-service is refused at the SSO endpoint and hidden from the catalog.
    pub enabled: bool,
    /// Minimum level: "password" (eIDAS low) or "smspass" (eIDAS substantial). Default smspass.
    #[serde(serialize_with = "level_out", deserialize_with = "level_in")]
    pub required_level: Level,
    /// Attributes released. Default: given name, family name, e-mail.
    pub attributes: Vec<AttributeKind>,
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
            required_level: Level::SmsPass,
            attributes: vec![
                AttributeKind::GivenName,
                AttributeKind::FamilyName,
                AttributeKind::Email,
            ],
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

fn level_out<S: Serializer>(l: &Level, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(l.name())
}

fn level_in<'de, D: Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
    let s = String::deserialize(d)?;
    Level::parse_name(&s).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown level '{s}' (use \"password\" or \"smspass\")"
        ))
    })
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    /// The file is not a policy: bad TOML, an unknown key or value, a value of the wrong type.
    #[error("{}line {line}: {message}", key.as_ref().map(|k| format!("{k}: ")).unwrap_or_default())]
    Invalid {
        key: Option<String>,
        line: usize,
        message: String,
    },
    #[error("sign_assertion and sign_response are both false: at least one signature is required")]
    Unsigned,
}

/// The key whose value starts at byte `at` (the nearest `key =` line at or above it).
fn key_at(text: &str, at: usize) -> (Option<String>, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let key = before.lines().rev().find_map(|l| {
        let (k, _) = l.split_once('=')?;
        let k = k.trim().trim_matches('"');
        (!k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .then(|| k.to_string())
    });
    (key, line)
}

impl ServicePolicy {
    /// Reads a policy file's text: typed values or an error that names the key and line.
    pub fn from_toml(text: &str) -> Result<ServicePolicy, PolicyError> {
        let p: ServicePolicy = toml::from_str(text).map_err(|e| {
            let (key, line) = match e.span() {
                Some(span) => key_at(text, span.start),
                None => (None, 0),
            };
            PolicyError::Invalid {
                key,
                line,
                message: e.message().trim().to_string(),
            }
        })?;
        p.validate()?;
        Ok(p)
    }

    pub fn level(&self) -> Level {
        self.required_level
    }

    /// What the types cannot say: at least one signature.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if !self.sign_assertion && !self.sign_response {
            return Err(PolicyError::Unsigned);
        }
        Ok(())
    }

    /// The attribute names, as written in the file.
    pub fn attribute_names(&self) -> Vec<&'static str> {
        self.attributes.iter().map(|a| a.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> (Option<String>, usize, String) {
        match ServicePolicy::from_toml(text) {
            Err(PolicyError::Invalid { key, line, message }) => (key, line, message),
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn typed_values_are_read_directly() {
        let p = ServicePolicy::from_toml(
            "required_level = \"password\"\nattributes = [\"username\", \"email\"]\n",
        );
        let Ok(p) = p else { panic!("{p:?}") };
        assert_eq!(p.required_level, Level::Password);
        assert_eq!(
            p.attributes,
            vec![AttributeKind::Username, AttributeKind::Email]
        );
        assert_eq!(ServicePolicy::from_toml(""), Ok(ServicePolicy::default()));
        let p = ServicePolicy::from_toml("required_level = \"substantial\"\n");
        assert_eq!(p.map(|p| p.level()), Ok(Level::SmsPass));
    }

    #[test]
    fn an_unknown_level_names_the_key() {
        let (key, line, msg) = refused("enabled = true\nrequired_level = \"magic\"\n");
        assert_eq!(key.as_deref(), Some("required_level"));
        assert_eq!(line, 2);
        assert!(msg.contains("magic") && msg.contains("smspass"), "{msg}");
    }

    #[test]
    fn an_unknown_attribute_names_the_key_even_on_a_later_line() {
        let (key, line, msg) = refused("attributes = [\n  \"email\",\n  \"shoe_size\",\n]\n");
        assert_eq!(key.as_deref(), Some("attributes"));
        assert_eq!(line, 3);
        assert!(msg.contains("shoe_size"), "{msg}");
        assert!(
            msg.contains("given_name"),
            "the known ones are listed: {msg}"
        );
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_named() {
        let (_, line, msg) = refused("colour = 1\n");
        assert_eq!(line, 1);
        assert!(msg.contains("colour"), "{msg}");
        let (key, _, msg) = refused("sign_response = \"yes\"\n");
        assert_eq!(key.as_deref(), Some("sign_response"), "{msg}");
        let (key, _, _) = refused("required_level = 2\n");
        assert_eq!(key.as_deref(), Some("required_level"));
        let e = ServicePolicy::from_toml("sign_assertion = false\nsign_response = false\n");
        assert_eq!(e, Err(PolicyError::Unsigned));
    }

    #[test]
    fn the_error_text_says_key_and_line() {
        let s = ServicePolicy::from_toml("required_level = \"magic\"\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(s.starts_with("required_level: line 1: "), "{s}");
    }

    #[test]
    fn written_back_as_the_file_says() {
        let p = ServicePolicy::default();
        let json = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(json["required_level"], "smspass");
        assert_eq!(
            json["attributes"],
            serde_json::json!(["given_name", "family_name", "email"])
        );
    }
}
