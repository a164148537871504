//! Outbound channels to citizens.
pub mod mail;
pub mod sms;
