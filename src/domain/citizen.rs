//! A citizen's account as the login flow sees it.
use super::ids::{CitizenId, PhoneNumber, Username};
use serde::{Deserialize, Serialize};

/// smsPASS state of an account. Only `Active` carries a phone that may receive login codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmsPassState {
    NotRequested,
    Active { phone: PhoneNumber },
    Suspended,
}

impl SmsPassState {
    pub fn code(&self) -> &'static str {
        match self {
            SmsPassState::NotRequested => "not_requested",
            SmsPassState::Active { .. } => "active",
            SmsPassState::Suspended => "suspended",
        }
    }
    pub fn login_phone(&self) -> Option<&PhoneNumber> {
        match self {
            SmsPassState::Active { phone } => Some(phone),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citizen {
    pub id: CitizenId,
    pub username: Username,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub smspass: SmsPassState,
    /// Locked by an administrator (not the temporary lock after failed attempts).
    pub locked: bool,
    /// The e-mail address was confirmed by a link sent to it.
    pub email_verified: bool,
    /// Permanent residence address (postal activation letters go here).
    pub address: Option<Address>,
}

/// A postal address in Slovenia's usual three parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub street: String,
    pub postcode: String,
    pub city: String,
}

impl Address {
    /// The lines as printed on an envelope: street, then "postcode city".
    pub fn lines(&self) -> Vec<String> {
        vec![
            self.street.clone(),
            format!("{} {}", self.postcode, self.city),
        ]
    }
}
