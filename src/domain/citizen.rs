//! A citizen's account as the login flow sees it.
use super::ids::{CitizenId, Username};
use serde::{Deserialize, Serialize};

/// The smsPASS state machine lives in `domain::smspass`; its state is part of the account.
pub use super::smspass::SmsPassState;

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

impl Citizen {
    /// The e-mail address, only if the citizen confirmed it by the link sent to it. Only this one may
    /// leave the IdP (the `mail` attribute, an emailAddress NameID): an unconfirmed address was typed
    /// by whoever registered and proves nothing about the citizen.
    pub fn confirmed_email(&self) -> Option<&str> {
        self.email.as_deref().filter(|_| self.email_verified)
    }
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
