//! XML guard: the first thing every inbound SAML document and every metadata file goes through.
//!
//! Guarantees (each has a negative test in `xmlguard/tests.rs`):
//! - documents larger than `max_bytes` are refused before any parsing;
//! - a DOCTYPE (and so any ENTITY declaration: XXE, billion laughs) is refused anywhere;
//! - references to entities other than the five predefined ones are refused;
//! - processing instructions other than the XML declaration are refused;
//! - XML comments are refused (unless explicitly allowed, e.g. for metadata files), which
//!   closes the "comment inside Issuer" truncation attack;
//! - nesting deeper than 64 elements is refused;
//! - the declared encoding, if any, must be UTF-8; exactly one root element, no text outside it;
//! - every namespace prefix must be declared (names are compared by namespace URI, never prefix).

pub(crate) mod tree;

use thiserror::Error;

/// Maximum element nesting depth accepted.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum XmlGuardError {
    #[error("XML document is {size} bytes, larger than the limit of {max} bytes")]
    TooLarge { size: usize, max: usize },
    #[error("XML document contains a DOCTYPE declaration (DTDs and entity declarations are not allowed)")]
    Doctype,
    #[error("XML document references the undeclared entity &{0};")]
    UnknownEntity(String),
    #[error("XML document contains a processing instruction <?{0} ...?>")]
    ProcessingInstruction(String),
    #[error("XML document contains a comment (comments are not allowed in SAML messages)")]
    Comment,
    #[error("XML document nests elements deeper than {0} levels")]
    TooDeep(usize),
    #[error("XML document declares encoding {0:?}; only UTF-8 is accepted")]
    Encoding(String),
    #[error("XML document has no root element")]
    NoRoot,
    #[error("XML document has content after the root element")]
    TrailingContent,
    #[error("XML namespace prefix {0:?} is not declared")]
    UnknownPrefix(String),
    #[error("XML is not well-formed: {0}")]
    Malformed(String),
}

/// Options for [`check_safe_with`]. `Default` = the strict profile used for SAML messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardOptions {
    pub max_bytes: usize,
    /// Comments are skipped instead of refused (metadata files may carry comments).
    pub allow_comments: bool,
    pub max_depth: usize,
}

impl GuardOptions {
    /// Strict profile for inbound SAML protocol messages.
    pub fn message(max_bytes: usize) -> Self {
        GuardOptions {
            max_bytes,
            allow_comments: false,
            max_depth: MAX_DEPTH,
        }
    }

    /// Profile for metadata files: like [`GuardOptions::message`] but comments are allowed.
    pub fn metadata(max_bytes: usize) -> Self {
        GuardOptions {
            allow_comments: true,
            ..Self::message(max_bytes)
        }
    }
}

/// Strict check for SAML protocol messages: no DOCTYPE/ENTITY, no PI, no comments, size and depth caps.
pub fn check_safe(xml: &str, max_bytes: usize) -> Result<(), XmlGuardError> {
    check_safe_with(xml, &GuardOptions::message(max_bytes))
}

/// Same as [`check_safe`] with explicit options (e.g. [`GuardOptions::metadata`]).
pub fn check_safe_with(xml: &str, opts: &GuardOptions) -> Result<(), XmlGuardError> {
    tree::parse(xml, opts).map(|_| ())
}

#[cfg(test)]
mod tests;
