//! SAML protocol: bindings, requests, responses, metadata, NameIDs (the signing keys are in
//! `crate::keys`). No HTTP and no SQL here; the only module that names samael / xmlsec.
//!
//! Guarantees (each has a negative test in the submodule named):
//! - inbound XML with a DOCTYPE/entity declaration, a comment or a processing instruction is refused
//!   before any parsing for content (`xmlguard`);
//! - Redirect signatures are verified over the exact received query octets; SHA-1 is refused (`binding`);
//! - a POST AuthnRequest is trusted only through a signature whose reference is its root element, checked
//!   with a certificate from the SP's metadata, never one carried in the message (`request`);
//! - the ACS comes from metadata only (`metadata`, `request`);
//! - every value written into a Response is escaped; signatures use the active key's algorithm
//!   (RSA-SHA256, RSA-PSS-SHA256 or ECDSA-P256-SHA256) with exclusive c14n (`response`).
pub mod binding;
pub mod demo_sp;
pub mod dev_keys;
pub mod idp_metadata;
pub mod metadata;
pub mod metadata_check;
pub mod nameid;
pub mod registry;
pub mod remote_metadata;
pub mod request;
pub mod response;
pub mod types;
pub mod xmlguard;
mod xmlwrite;
