//! Newtypes for identifiers that arrive as raw strings at the edge.
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdError {
    #[error("username must be 3-64 characters of letters, digits, '.', '_', '-' or '@'")]
    BadUsername,
    #[error("phone number must be in international form (+ and 8-15 digits) or a national number")]
    BadPhone,
    /// A well-formed number of a country codes are not sent to (`sms.allowed_country_codes`).
    #[error("phone numbers of this country cannot be used for smsPASS")]
    PhoneCountryNotAllowed,
    /// A short, premium-rate or service number (not a personal phone).
    #[error("short, premium-rate and service numbers cannot be used for smsPASS")]
    PhoneNotPersonal,
}

impl IdError {
    pub const PHONE_REFUSALS: [IdError; 3] = [
        IdError::BadPhone,
        IdError::PhoneCountryNotAllowed,
        IdError::PhoneNotPersonal,
    ];

    /// The message shown where a phone number was typed.
    pub fn phone_message_key(&self) -> &'static str {
        match self {
            IdError::BadUsername | IdError::BadPhone => "activation.bad_phone",
            IdError::PhoneCountryNotAllowed => "phone.country_not_allowed",
            IdError::PhoneNotPersonal => "phone.not_personal",
        }
    }
}

/// Two-digit country calling codes (ITU-T E.164); `1` and `7` are the one-digit ones and every
/// other code has three digits, so a number's code is found from its first digits alone.
const TWO_DIGIT_CODES: [&str; 44] = [
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// Slovenian national prefixes that are not personal phones: freephone (080), premium-rate (090)
/// and shared-cost or premium services (089).
const SI_SERVICE_PREFIXES: [&str; 3] = ["80", "89", "90"];

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
    /// A number typed for smsPASS (a citizen's, an office's entry, a staff member's): well formed,
    /// of an allowed country, and not a short, premium-rate or service number.
    pub fn parse_personal(
        raw: &str,
        default_cc: &str,
        allowed: &[String],
    ) -> Result<Self, IdError> {
        let p = Self::parse(raw, default_cc)?;
        p.check_personal(allowed)?;
        Ok(p)
    }

    /// Whether codes may go to this number: its country is allowed and it is a personal number.
    pub fn check_personal(&self, allowed: &[String]) -> Result<(), IdError> {
        if !allowed.iter().any(|c| c == self.country_code()) {
            return Err(IdError::PhoneCountryNotAllowed);
        }
        let national = self.national();
        if national.len() < 6 {
            return Err(IdError::PhoneNotPersonal);
        }
        if self.country_code() == "386"
            && (national.len() != 8 || SI_SERVICE_PREFIXES.iter().any(|p| national.starts_with(p)))
        {
            return Err(IdError::PhoneNotPersonal);
        }
        Ok(())
    }

    /// The country calling code, digits only (e.g. `386`).
    pub fn country_code(&self) -> &str {
        let digits = &self.0[1..];
        let len = if digits.starts_with('1') || digits.starts_with('7') {
            1
        } else if TWO_DIGIT_CODES.iter().any(|c| digits.starts_with(c)) {
            2
        } else {
            3
        };
        &digits[..len]
    }

    /// The digits after the country code.
    fn national(&self) -> &str {
        &self.0[1 + self.country_code().len()..]
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

    fn allowed(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn phone_country_codes_are_recognised() {
        for (raw, cc) in [
            ("+38641123456", "386"),
            ("+4915112345678", "49"),
            ("+436641234567", "43"),
            ("+35312345678", "353"),
            ("+12025550123", "1"),
            ("+79161234567", "7"),
            ("+420601123456", "420"),
            ("+393123456789", "39"),
        ] {
            let p = PhoneNumber::parse(raw, "386").ok();
            assert_eq!(p.as_ref().map(|p| p.country_code()), Some(cc), "{raw}");
        }
    }

    #[test]
    fn phone_for_smspass_allowed_country_and_personal_only() {
        let si = allowed(&["386"]);
        assert!(PhoneNumber::parse_personal("041 123 456", "386", &si).is_ok());
        assert!(PhoneNumber::parse_personal("01 234 56 78", "386", &si).is_ok());
        assert_eq!(
            PhoneNumber::parse_personal("+4915112345678", "386", &si),
            Err(IdError::PhoneCountryNotAllowed)
        );
        assert!(
            PhoneNumber::parse_personal("+4915112345678", "386", &allowed(&["386", "49"])).is_ok()
        );
        for premium in ["090 123 456", "089 123 456", "080 123 456", "0 1188 12"] {
            assert_eq!(
                PhoneNumber::parse_personal(premium, "386", &si),
                Err(IdError::PhoneNotPersonal),
                "{premium}"
            );
        }
        assert_eq!(
            PhoneNumber::parse_personal("1188", "386", &si),
            Err(IdError::BadPhone)
        );
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
