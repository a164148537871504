//! Levels of assurance and the authentication contexts the IdP can really perform.
//!
//! | what was done            | SAML class (our URI family)                                          | eIDAS LoA |
//! |--------------------------|----------------------------------------------------------------------|-----------|
//! | username + password      | `urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport`  | low       |
//! | password + SMS code      | `urn:pass-idp:ac:classes:smspass`                                     | substantial |
//!
//! `eIDAS high` is never satisfied by this IdP.
use serde::{Deserialize, Serialize};

pub const PASSWORD_PROTECTED_TRANSPORT: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
pub const SMSPASS: &str = "urn:pass-idp:ac:classes:smspass";
pub const EIDAS_LOW: &str = "http://eidas.europa.eu/LoA/low";
pub const EIDAS_SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";
pub const EIDAS_HIGH: &str = "http://eidas.europa.eu/LoA/high";

/// What the citizen has proven, in increasing strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Username and password.
    Password = 1,
    /// Username, password and a one-time code by SMS (smsPASS): eIDAS substantial.
    SmsPass = 2,
}

impl Level {
    pub fn as_i32(self) -> i32 {
        self as i32
    }
    pub fn from_i32(v: i32) -> Option<Level> {
        match v {
            1 => Some(Level::Password),
            2 => Some(Level::SmsPass),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Level::Password => "password",
            Level::SmsPass => "smspass",
        }
    }
    pub fn parse_name(s: &str) -> Option<Level> {
        match s {
            "password" | "low" => Some(Level::Password),
            "smspass" | "substantial" => Some(Level::SmsPass),
            _ => None,
        }
    }
    fn class_uri(self, family: Family) -> &'static str {
        match (family, self) {
            (Family::Saml, Level::Password) => PASSWORD_PROTECTED_TRANSPORT,
            (Family::Saml, Level::SmsPass) => SMSPASS,
            (Family::Eidas, Level::Password) => EIDAS_LOW,
            (Family::Eidas, Level::SmsPass) => EIDAS_SUBSTANTIAL,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Saml,
    Eidas,
}

/// A known class reference: its family and strength (eIDAS high is known but above anything we do).
fn known(uri: &str) -> Option<(Family, u8)> {
    match uri {
        PASSWORD_PROTECTED_TRANSPORT => Some((Family::Saml, 1)),
        SMSPASS => Some((Family::Saml, 2)),
        EIDAS_LOW => Some((Family::Eidas, 1)),
        EIDAS_SUBSTANTIAL => Some((Family::Eidas, 2)),
        EIDAS_HIGH => Some((Family::Eidas, 3)),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Exact,
    Minimum,
    Maximum,
    Better,
}

/// What a login must achieve and how to name it in the assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthnTarget {
    pub level: Level,
    /// `None`: name the context in our SAML family; `Some(true)`: eIDAS URIs.
    pub eidas: bool,
    /// For `exact` requests the class that must be named literally.
    pub exact_uri: Option<String>,
}

impl AuthnTarget {
    /// The AuthnContextClassRef for what was really done (`done` ≥ the target level).
    pub fn class_ref_for(&self, done: Level) -> String {
        if let Some(uri) = &self.exact_uri {
            return uri.clone();
        }
        let fam = if self.eidas {
            Family::Eidas
        } else {
            Family::Saml
        };
        done.class_uri(fam).to_string()
    }
    /// Is a login of level `done` acceptable for this target?
    pub fn satisfied_by(&self, done: Level) -> bool {
        match &self.exact_uri {
            Some(_) => done == self.level,
            None => done >= self.level,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoaError {
    #[error("the requested authentication context cannot be satisfied")]
    NoAuthnContext,
}

/// Decide the target of a login from the request (SAML core 3.3.2.2.1) and the e-service's floor.
/// Unknown class references are ignored; if none is known the request cannot be satisfied.
/// With eIDAS URIs only `minimum` and `exact` are meaningful; `better` is refused.
pub fn decide(
    requested: Option<(Comparison, &[String])>,
    floor: Level,
) -> Result<AuthnTarget, LoaError> {
    let Some((cmp, refs)) = requested else {
        return Ok(AuthnTarget {
            level: floor,
            eidas: false,
            exact_uri: None,
        });
    };
    let known_refs: Vec<(Family, u8, &str)> = refs
        .iter()
        .filter_map(|r| known(r).map(|(f, s)| (f, s, r.as_str())))
        .collect();
    if known_refs.is_empty() {
        return Err(LoaError::NoAuthnContext);
    }
    let eidas = known_refs.iter().any(|(f, _, _)| *f == Family::Eidas);
    let doable = |s: u8| Level::from_i32(i32::from(s));
    let level = match cmp {
        Comparison::Exact => {
            // Strongest listed context we can do that is not below the floor.
            let best = known_refs
                .iter()
                .filter_map(|(_, s, uri)| doable(*s).map(|l| (l, *uri)))
                .filter(|(l, _)| *l >= floor)
                .max_by_key(|(l, _)| *l);
            let (level, uri) = best.ok_or(LoaError::NoAuthnContext)?;
            return Ok(AuthnTarget {
                level,
                eidas,
                exact_uri: Some(uri.to_string()),
            });
        }
        Comparison::Minimum => {
            let weakest = known_refs
                .iter()
                .map(|(_, s, _)| *s)
                .min()
                .unwrap_or(u8::MAX);
            doable(weakest).ok_or(LoaError::NoAuthnContext)?.max(floor)
        }
        Comparison::Maximum => {
            let strongest = known_refs.iter().map(|(_, s, _)| *s).max().unwrap_or(0);
            let cap = strongest.min(Level::SmsPass as u8);
            let l = doable(cap).ok_or(LoaError::NoAuthnContext)?;
            if l < floor {
                return Err(LoaError::NoAuthnContext);
            }
            l
        }
        Comparison::Better => {
            if eidas {
                return Err(LoaError::NoAuthnContext);
            }
            let weakest = known_refs
                .iter()
                .map(|(_, s, _)| *s)
                .min()
                .unwrap_or(u8::MAX);
            doable(weakest.saturating_add(1))
                .ok_or(LoaError::NoAuthnContext)?
                .max(floor)
        }
    };
    Ok(AuthnTarget {
        level,
        eidas,
        exact_uri: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn no_request_uses_floor() {
        let t = decide(None, Level::SmsPass);
        assert_eq!(t.map(|t| t.level), Ok(Level::SmsPass));
    }

    #[test]
    fn minimum_password_with_password_floor_is_password() {
        let r = refs(&[PASSWORD_PROTECTED_TRANSPORT]);
        let t = decide(Some((Comparison::Minimum, &r)), Level::Password);
        assert_eq!(t.map(|t| t.level), Ok(Level::Password));
    }

    #[test]
    fn floor_raises_minimum() {
        let r = refs(&[PASSWORD_PROTECTED_TRANSPORT]);
        let t = decide(Some((Comparison::Minimum, &r)), Level::SmsPass);
        assert_eq!(t.map(|t| t.level), Ok(Level::SmsPass));
    }

    #[test]
    fn exact_names_the_literal_uri() {
        let r = refs(&[EIDAS_SUBSTANTIAL]);
        let t = decide(Some((Comparison::Exact, &r)), Level::Password);
        let t = t.ok();
        assert_eq!(t.as_ref().map(|t| t.level), Some(Level::SmsPass));
        assert_eq!(
            t.map(|t| t.class_ref_for(Level::SmsPass)),
            Some(EIDAS_SUBSTANTIAL.to_string())
        );
    }

    #[test]
    fn exact_below_floor_refused() {
        let r = refs(&[PASSWORD_PROTECTED_TRANSPORT]);
        assert_eq!(
            decide(Some((Comparison::Exact, &r)), Level::SmsPass),
            Err(LoaError::NoAuthnContext)
        );
    }

    #[test]
    fn exact_session_level_must_match() {
        let r = refs(&[PASSWORD_PROTECTED_TRANSPORT]);
        let t = decide(Some((Comparison::Exact, &r)), Level::Password).ok();
        assert_eq!(
            t.as_ref().map(|t| t.satisfied_by(Level::SmsPass)),
            Some(false)
        );
        assert_eq!(t.map(|t| t.satisfied_by(Level::Password)), Some(true));
    }

    #[test]
    fn eidas_high_cannot_be_met() {
        let r = refs(&[EIDAS_HIGH]);
        assert_eq!(
            decide(Some((Comparison::Minimum, &r)), Level::Password),
            Err(LoaError::NoAuthnContext)
        );
        assert_eq!(
            decide(Some((Comparison::Exact, &r)), Level::Password),
            Err(LoaError::NoAuthnContext)
        );
    }

    #[test]
    fn eidas_better_refused() {
        let r = refs(&[EIDAS_LOW]);
        assert_eq!(
            decide(Some((Comparison::Better, &r)), Level::Password),
            Err(LoaError::NoAuthnContext)
        );
    }

    #[test]
    fn better_than_password_is_smspass_and_better_than_smspass_impossible() {
        let r = refs(&[PASSWORD_PROTECTED_TRANSPORT]);
        let t = decide(Some((Comparison::Better, &r)), Level::Password);
        assert_eq!(t.map(|t| t.level), Ok(Level::SmsPass));
        let r = refs(&[SMSPASS]);
        assert_eq!(
            decide(Some((Comparison::Better, &r)), Level::Password),
            Err(LoaError::NoAuthnContext)
        );
    }

    #[test]
    fn maximum_caps_at_strongest_doable() {
        let r = refs(&[EIDAS_HIGH]);
        let t = decide(Some((Comparison::Maximum, &r)), Level::Password);
        assert_eq!(t.map(|t| t.level), Ok(Level::SmsPass));
        let r = refs(&[PASSWORD_PROTECTED_TRANSPORT]);
        assert_eq!(
            decide(Some((Comparison::Maximum, &r)), Level::SmsPass),
            Err(LoaError::NoAuthnContext)
        );
    }

    #[test]
    fn unknown_refs_only_refused() {
        let r = refs(&["urn:example:unknown"]);
        assert_eq!(
            decide(Some((Comparison::Minimum, &r)), Level::Password),
            Err(LoaError::NoAuthnContext)
        );
    }

    #[test]
    fn eidas_family_named_in_eidas_uris() {
        let r = refs(&[EIDAS_LOW]);
        let t = decide(Some((Comparison::Minimum, &r)), Level::Password).ok();
        assert_eq!(
            t.map(|t| t.class_ref_for(Level::SmsPass)),
            Some(EIDAS_SUBSTANTIAL.to_string())
        );
    }
}
