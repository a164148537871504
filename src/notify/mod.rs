//! Outbound channels to citizens.
pub mod sms;
