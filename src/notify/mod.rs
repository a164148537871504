//! Outbound channels to citizens.
pub mod letters;
pub mod mail;
pub mod sms;
