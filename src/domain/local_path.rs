//! A same-origin path to send a browser to: the one type for every redirect target (`back`, `next`,
//! the page to return to after a login). Raw strings become a [`LocalPath`] only through
//! [`LocalPath::parse`]; nothing else builds one, so a `Location` made from it is always a path on
//! this host.
//!
//! Guarantees (negative tests below and in tests/edge_input.rs), checked on the value as received
//! and once more on its percent-decoded form (so a later decoder cannot turn it into something else):
//! - it starts with exactly one `/`, never `//` or `/\` (a scheme-relative URL for browsers);
//! - no backslash, no ASCII control character (TAB, CR, LF, NUL, …), no whitespace, nothing outside
//!   printable ASCII (non-ASCII has to arrive percent-encoded), so it is always a valid header value;
//! - no `.` or `..` path segment (a path confined to an area stays inside it);
//! - at most [`LocalPath::MAX_LEN`] bytes.
use percent_encoding::percent_decode_str;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LocalPathError {
    #[error("a local path starts with a single '/'")]
    NotLocal,
    #[error("a local path has no control characters, spaces, backslashes or non-ASCII characters")]
    BadCharacter,
    #[error("a local path has no '.' or '..' segments")]
    DotSegment,
    #[error("a local path is at most {} bytes", LocalPath::MAX_LEN)]
    TooLong,
}

/// A path (with an optional query) on this host, safe to put into `Location`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalPath(String);

/// The rules for one form of the value; `ascii_only` for the form that goes into the header.
fn check(p: &str, ascii_only: bool) -> Result<(), LocalPathError> {
    let rest = p.strip_prefix('/').ok_or(LocalPathError::NotLocal)?;
    if rest.starts_with('/') || rest.starts_with('\\') {
        return Err(LocalPathError::NotLocal);
    }
    let bad = |c: char| {
        c.is_control() || c.is_whitespace() || c == '\\' || (ascii_only && !c.is_ascii_graphic())
    };
    if p.chars().any(bad) {
        return Err(LocalPathError::BadCharacter);
    }
    let path = p.split(['?', '#']).next().unwrap_or_default();
    if path.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(LocalPathError::DotSegment);
    }
    Ok(())
}

impl LocalPath {
    pub const MAX_LEN: usize = 1024;

    pub fn parse(raw: &str) -> Result<LocalPath, LocalPathError> {
        if raw.len() > Self::MAX_LEN {
            return Err(LocalPathError::TooLong);
        }
        check(raw, true)?;
        // The same rules for the decoded form (non-ASCII text may be percent-encoded): `/%2F/evil`,
        // `/%09/x`, `/%5Cevil` or `/a/%2e%2e/b` are refused too.
        let decoded = percent_decode_str(raw).decode_utf8_lossy();
        check(&decoded, false)?;
        Ok(LocalPath(raw.to_string()))
    }

    /// `raw` when it is a local path, else `default` (which must be one; `/` if it is not).
    pub fn parse_or(raw: Option<&str>, default: &str) -> LocalPath {
        raw.and_then(|r| Self::parse(r).ok())
            .unwrap_or_else(|| Self::parse(default).unwrap_or_else(|_| Self::root()))
    }

    /// The home page.
    pub fn root() -> LocalPath {
        LocalPath("/".to_string())
    }

    /// Whether this path is `area` itself or lies below it (`area/…`, `area?…`).
    pub fn is_within(&self, area: &str) -> bool {
        match self.0.strip_prefix(area) {
            Some(rest) => rest.is_empty() || rest.starts_with(['/', '?', '#']),
            None => false,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LocalPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_accepted() {
        for ok in [
            "/",
            "/account",
            "/account/phone?x=1&y=z%C5%BE",
            "/office/citizens/abc",
            "/audit?kind=login.started&page=2",
            "/office?q=%C4%8Cebulj",
            "/a/b.c/..d",
        ] {
            assert_eq!(LocalPath::parse(ok).map(|p| p.to_string()), Ok(ok.into()));
        }
    }

    #[test]
    fn everything_else_is_refused() {
        let long = format!("/{}", "a".repeat(LocalPath::MAX_LEN));
        for bad in [
            "",
            "a",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "%2F%2Fevil.example",
            "/%5Cevil.example",
            "/x\r\nSet-Cookie: a=b",
            "/x%0d%0aSet-Cookie: a=b",
            "/x%0D%0ASet-Cookie:a=b",
            "/x\0y",
            "/x%00y",
            "/a b",
            "/a%20b/%2e%2e/c",
            "/account/../staff",
            "/account/%2e%2e/staff",
            "/./x",
            "javascript:alert(1)",
            "https://evil.example/",
            "http:/evil.example",
            "/\u{a0}x",
            "/č",
            long.as_str(),
        ] {
            assert!(LocalPath::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn defaults_and_areas() {
        assert_eq!(LocalPath::parse_or(None, "/staff").as_str(), "/staff");
        assert_eq!(
            LocalPath::parse_or(Some("//x"), "/staff").as_str(),
            "/staff"
        );
        assert_eq!(LocalPath::parse_or(Some("//x"), "//bad").as_str(), "/");
        let p = LocalPath::parse_or(Some("/account?x=1"), "/");
        assert!(p.is_within("/account"));
        assert!(!LocalPath::parse_or(Some("/accounts"), "/").is_within("/account"));
        assert!(LocalPath::parse_or(Some("/account/phone"), "/").is_within("/account"));
    }
}
