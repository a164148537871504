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
}
