//! Writer for XML that is already in exclusive canonical form (xml-exc-c14n, without comments).
//!
//! Guarantees:
//! - Every text value is escaped as Canonical XML escapes text (`&` `<` `>` CR), and every
//!   attribute value as Canonical XML escapes attributes (`&` `<` `"` TAB LF CR), so a value can
//!   never close an element, open a new one, or start a comment / CDATA section.
//! - Characters that XML 1.0 does not allow (control characters other than TAB, LF, CR, and
//!   U+FFFE / U+FFFF) are refused with an error, never emitted.
//! - Namespace declarations come first in a start tag (sorted by prefix), then the attributes
//!   sorted as c14n sorts them (unqualified by name, then `xml:` ones); empty elements are
//!   written as a start tag plus an end tag. The bytes written can be digested as they are.
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum XmlWriteError {
    #[error("character U+{0:04X} is not allowed in XML 1.0")]
    InvalidChar(u32),
    #[error("attribute name {0:?} is not supported by the canonical writer")]
    BadAttributeName(String),
}

/// Timestamps in SAML messages: UTC, `%Y-%m-%dT%H:%M:%SZ`, no fractional seconds.
pub(crate) fn saml_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn check_char(c: char) -> Result<(), XmlWriteError> {
    let u = c as u32;
    let ok = matches!(u, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
    if ok {
        Ok(())
    } else {
        Err(XmlWriteError::InvalidChar(u))
    }
}

/// Appends `s` escaped as c14n escapes text nodes.
pub(crate) fn push_text(out: &mut String, s: &str) -> Result<(), XmlWriteError> {
    for c in s.chars() {
        check_char(c)?;
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
    Ok(())
}

/// Appends `s` escaped as c14n escapes attribute values (without the quotes).
pub(crate) fn push_attr_value(out: &mut String, s: &str) -> Result<(), XmlWriteError> {
    for c in s.chars() {
        check_char(c)?;
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
    Ok(())
}

/// Builds canonical XML into a string. Element names and namespace URIs are trusted constants
/// of this crate; every value (attribute value, text) goes through the escaping functions.
#[derive(Debug, Default)]
pub(crate) struct CanonWriter {
    out: String,
}

impl CanonWriter {
    pub(crate) fn new() -> Self {
        Self {
            out: String::with_capacity(4096),
        }
    }

    /// Writes a start tag. `ns` are namespace declarations `(prefix, uri)` this element must
    /// render (exc-c14n: the prefixes it visibly uses that no output ancestor declared).
    /// `attrs` are `(name, value)`; names are unqualified or `xml:*`; they are sorted here.
    pub(crate) fn start(
        &mut self,
        name: &str,
        ns: &[(&str, &str)],
        attrs: &[(&str, &str)],
    ) -> Result<(), XmlWriteError> {
        self.out.push('<');
        self.out.push_str(name);
        let mut ns: Vec<&(&str, &str)> = ns.iter().collect();
        ns.sort_by(|a, b| a.0.cmp(b.0));
        for (prefix, uri) in ns {
            if prefix.is_empty() {
                self.out.push_str(" xmlns=\"");
            } else {
                self.out.push_str(" xmlns:");
                self.out.push_str(prefix);
                self.out.push_str("=\"");
            }
            push_attr_value(&mut self.out, uri)?;
            self.out.push('"');
        }
        let mut attrs: Vec<&(&str, &str)> = attrs.iter().collect();
        for (n, _) in &attrs {
            if n.contains(':') && !n.starts_with("xml:") {
                return Err(XmlWriteError::BadAttributeName((*n).to_string()));
            }
        }
        // c14n order: unqualified attributes (empty namespace URI) by local name, then the
        // xml: namespace ones (URI http://www.w3.org/XML/1998/namespace) by local name.
        attrs.sort_by(|a, b| (a.0.starts_with("xml:"), a.0).cmp(&(b.0.starts_with("xml:"), b.0)));
        for (n, v) in attrs {
            self.out.push(' ');
            self.out.push_str(n);
            self.out.push_str("=\"");
            push_attr_value(&mut self.out, v)?;
            self.out.push('"');
        }
        self.out.push('>');
        Ok(())
    }

    pub(crate) fn end(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    pub(crate) fn text(&mut self, s: &str) -> Result<(), XmlWriteError> {
        push_text(&mut self.out, s)
    }

    /// `<name attrs…>text</name>`
    pub(crate) fn text_element(
        &mut self,
        name: &str,
        ns: &[(&str, &str)],
        attrs: &[(&str, &str)],
        text: &str,
    ) -> Result<(), XmlWriteError> {
        self.start(name, ns, attrs)?;
        self.text(text)?;
        self.end(name);
        Ok(())
    }

    /// `<name attrs…></name>`
    pub(crate) fn empty(
        &mut self,
        name: &str,
        ns: &[(&str, &str)],
        attrs: &[(&str, &str)],
    ) -> Result<(), XmlWriteError> {
        self.start(name, ns, attrs)?;
        self.end(name);
        Ok(())
    }

    /// Appends already canonical XML produced by this crate (e.g. a signed child element).
    pub(crate) fn raw_canonical(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// Takes what was written so far, leaving the writer empty (to split head and tail
    /// around an enveloped signature).
    pub(crate) fn take(&mut self) -> String {
        std::mem::take(&mut self.out)
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn text(s: &str) -> Result<String, XmlWriteError> {
        let mut o = String::new();
        push_text(&mut o, s)?;
        Ok(o)
    }
    fn attr(s: &str) -> Result<String, XmlWriteError> {
        let mut o = String::new();
        push_attr_value(&mut o, s)?;
        Ok(o)
    }

    #[test]
    fn text_escaping_matches_c14n() {
        assert_eq!(
            text("a<b&c>d\"e'f\r\n\tg").unwrap(),
            "a&lt;b&amp;c&gt;d\"e'f&#xD;\n\tg"
        );
        assert_eq!(text("]]>").unwrap(), "]]&gt;");
        assert_eq!(text("<!-- x -->").unwrap(), "&lt;!-- x --&gt;");
        assert_eq!(text("<![CDATA[x]]>").unwrap(), "&lt;![CDATA[x]]&gt;");
        assert_eq!(text("čšžČŠŽ").unwrap(), "čšžČŠŽ");
    }

    #[test]
    fn attr_escaping_matches_c14n() {
        assert_eq!(
            attr("a<b&c>d\"e'f\r\n\tg").unwrap(),
            "a&lt;b&amp;c>d&quot;e'f&#xD;&#xA;&#x9;g"
        );
        assert_eq!(attr("čšž").unwrap(), "čšž");
    }

    #[test]
    fn control_characters_are_refused() {
        for c in [
            '\u{0}', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{1f}', '\u{fffe}', '\u{ffff}',
        ] {
            let s = format!("a{c}b");
            assert!(text(&s).is_err(), "text accepted U+{:04X}", c as u32);
            assert!(attr(&s).is_err(), "attr accepted U+{:04X}", c as u32);
        }
        assert!(text("\u{7f}\u{10ffff}").is_ok());
    }

    #[test]
    fn start_tag_orders_namespaces_and_attributes() {
        let mut w = CanonWriter::new();
        w.start(
            "md:X",
            &[("md", "urn:m"), ("ds", "urn:d")],
            &[
                ("xml:lang", "sl"),
                ("validUntil", "v"),
                ("ID", "i"),
                ("entityID", "e"),
            ],
        )
        .unwrap();
        w.end("md:X");
        assert_eq!(
            w.finish(),
            r#"<md:X xmlns:ds="urn:d" xmlns:md="urn:m" ID="i" entityID="e" validUntil="v" xml:lang="sl"></md:X>"#
        );
    }

    #[test]
    fn foreign_qualified_attribute_is_refused() {
        let mut w = CanonWriter::new();
        assert!(w.start("a", &[], &[("xsi:type", "x")]).is_err());
    }
}
