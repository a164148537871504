//! The citizens' own account pages: registration, e-mail verification, password change and reset.
pub mod policy;
