//! Newtypes for identifiers that arrive as raw strings at the edge.
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdError {
    #[error("username must be 3-64 characters of letters, digits, '.', '_', '-' or '@'")]
    BadUsername,
    #[error("phone number must be in international form (+ and 8-15 digits) or a national number")]
    BadPhone,
}

/// Internal, opaque citizen identifier (UUID text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CitizenId(pub String);

impl fmt::Display for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A login name, case-insensitive: stored and compared in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let s = raw.trim().to_lowercase();
        let ok_len = (3..=64).contains(&s.chars().count());
        let ok_chars = s
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if ok_len && ok_chars {
            Ok(Self(s))
        } else {
            Err(IdError::BadUsername)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in E.164 form (`+` and 8-15 digits). National numbers get the default country code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// `default_cc` is digits only, e.g. "386".
    pub fn parse(raw: &str, default_cc: &str) -> Result<Self, IdError> {
        let compact: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '/' | '.'))
            .collect();
        let e164 = if let Some(rest) = compact.strip_prefix('+') {
            rest.to_string()
        } else if let Some(rest) = compact.strip_prefix("00") {
            rest.to_string()
        } else if let Some(rest) = compact.strip_prefix('0') {
            format!("{default_cc}{rest}")
        } else {
            return Err(IdError::BadPhone);
        };
        if (8..=15).contains(&e164.len())
            && e164.chars().all(|c| c.is_ascii_digit())
            && !e164.starts_with('0')
        {
            Ok(Self(format!("+{e164}")))
        } else {
            Err(IdError::BadPhone)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// For display: all but the last three digits masked.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        let keep = 3.min(n);
        let head = if self.0.len() > 4 { &self.0[..4] } else { "" };
        format!(
            "{head}{}{}",
            "•".repeat(n.saturating_sub(keep + head.len())),
            &self.0[n - keep..]
        )
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_national_gets_default_country_code() {
        assert_eq!(
            PhoneNumber::parse("041 123 456", "386").map(|p| p.0),
            Ok("+38641123456".to_string())
        );
        assert_eq!(
            PhoneNumber::parse("+386 41 123-456", "386").map(|p| p.0),
            Ok("+38641123456".to_string())
        );
        assert_eq!(
            PhoneNumber::parse("0038641123456", "386").map(|p| p.0),
            Ok("+38641123456".to_string())
        );
    }

    #[test]
    fn phone_garbage_refused() {
        for bad in [
            "",
            "+",
            "12345",
            "+38641abc456",
            "+1234567890123456",
            "41123456",
        ] {
            assert_eq!(
                PhoneNumber::parse(bad, "386"),
                Err(IdError::BadPhone),
                "{bad}"
            );
        }
    }

    #[test]
    fn phone_masked_keeps_last_three() {
        let p = PhoneNumber::parse("+38641123456", "386").ok();
        assert_eq!(p.map(|p| p.masked()), Some("+386•••••456".to_string()));
    }

    #[test]
    fn username_normalised_and_checked() {
        assert_eq!(
            Username::parse(" Janez.Novak ").map(|u| u.0),
            Ok("janez.novak".into())
        );
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("bad name").is_err());
        assert!(Username::parse("x<script>").is_err());
        assert!(Username::parse("čebelar").is_ok());
    }
}
