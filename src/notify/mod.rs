//! Outbound channels to citizens.
pub mod letters;
pub mod sms;
