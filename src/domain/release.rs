//! Attribute release: citizen × e-service policy → the attributes an assertion may carry.
use super::citizen::Citizen;
use super::sp::ServicePolicy;

pub const NAME_FORMAT_URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";

/// An attribute an e-service may get; in policy files by its snake_case name (`given_name`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeKind {
    GivenName,
    FamilyName,
    Email,
    Username,
}

impl AttributeKind {
    pub const ALL: [AttributeKind; 4] = [
        Self::GivenName,
        Self::FamilyName,
        Self::Email,
        Self::Username,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GivenName => "given_name",
            Self::FamilyName => "family_name",
            Self::Email => "email",
            Self::Username => "username",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
    /// (SAML attribute name, friendly name)
    pub fn saml_name(self) -> (&'static str, &'static str) {
        match self {
            Self::GivenName => ("urn:oid:2.5.4.42", "givenName"),
            Self::FamilyName => ("urn:oid:2.5.4.4", "sn"),
            Self::Email => ("urn:oid:0.9.2342.19200300.100.1.3", "mail"),
            Self::Username => ("urn:oid:0.9.2342.19200300.100.1.1", "uid"),
        }
    }
}

/// One released attribute: (name, friendly name, values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    pub name: &'static str,
    pub friendly_name: &'static str,
    pub values: Vec<String>,
}

/// The attributes the policy names that the citizen has; the e-mail address only once confirmed.
pub fn release(citizen: &Citizen, policy: &ServicePolicy) -> Vec<Released> {
    policy
        .attributes
        .iter()
        .filter_map(|&kind| {
            let value = match kind {
                AttributeKind::GivenName => Some(citizen.given_name.clone()),
                AttributeKind::FamilyName => Some(citizen.family_name.clone()),
                AttributeKind::Email => citizen.confirmed_email().map(str::to_string),
                AttributeKind::Username => Some(citizen.username.to_string()),
            }?;
            let (name, friendly_name) = kind.saml_name();
            Some(Released {
                name,
                friendly_name,
                values: vec![value],
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::citizen::SmsPassState;
    use crate::domain::ids::{CitizenId, Username};

    fn citizen() -> Option<Citizen> {
        Some(Citizen {
            id: CitizenId("c1".into()),
            username: Username::parse("janez").ok()?,
            given_name: "Janez".into(),
            family_name: "Novak".into(),
            email: None,
            smspass: SmsPassState::not_requested(),
            locked: false,
            email_verified: false,
            address: None,
        })
    }

    #[test]
    fn only_policy_attributes_released_and_missing_values_skipped() {
        let c = citizen();
        assert!(c.is_some());
        let Some(c) = c else { return };
        let p = ServicePolicy {
            attributes: vec![AttributeKind::FamilyName, AttributeKind::Email],
            ..Default::default()
        };
        let r = release(&c, &p);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].friendly_name, "sn");
        assert_eq!(r[0].values, vec!["Novak".to_string()]);
    }

    #[test]
    fn email_released_only_once_confirmed() {
        let Some(mut c) = citizen() else { return };
        c.email = Some("janez@example.si".into());
        let p = ServicePolicy::default();
        let names = |c: &Citizen| -> Vec<&'static str> {
            release(c, &p)
                .into_iter()
                .map(|r| r.friendly_name)
                .collect()
        };
        assert_eq!(names(&c), vec!["givenName", "sn"]);
        c.email_verified = true;
        assert_eq!(names(&c), vec!["givenName", "sn", "mail"]);
        let mail = release(&c, &p)
            .into_iter()
            .find(|r| r.friendly_name == "mail");
        assert_eq!(
            mail.map(|r| r.values),
            Some(vec!["janez@example.si".to_string()])
        );
        // Confirmed but no address (cannot happen through the pages; still nothing is invented).
        c.email = None;
        assert_eq!(names(&c), vec!["givenName", "sn"]);
    }

    #[test]
    fn attribute_removed_from_policy_is_not_released() {
        let Some(mut c) = citizen() else { return };
        c.email = Some("janez@example.si".into());
        c.email_verified = true;
        let p = ServicePolicy {
            attributes: vec![AttributeKind::GivenName],
            ..Default::default()
        };
        let r = release(&c, &p);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].friendly_name, "givenName");
    }
}
