//! A small namespace-resolved element tree built with quick-xml while enforcing the guard rules.
//! Names are (namespace URI, local name); prefixes are never compared.

use super::{GuardOptions, XmlGuardError};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attr {
    /// Namespace URI, empty for an unprefixed attribute.
    pub ns: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    /// Namespace URI, empty when the element is in no namespace.
    pub ns: String,
    pub name: String,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
}

impl Element {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// Unqualified attribute (the usual case for SAML attributes).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attr_ns("", name)
    }

    pub fn attr_ns(&self, ns: &str, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns == ns && a.name == name)
            .map(|a| a.value.as_str())
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| match c {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.is(ns, name))
    }

    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, name))
    }

    /// Concatenation of the direct text children.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for c in &self.children {
            if let Node::Text(t) = c {
                out.push_str(t);
            }
        }
        out
    }

    /// Number of elements named (ns, name) in this subtree, this element included.
    pub fn count_descendants(&self, ns: &str, name: &str) -> usize {
        let own = usize::from(self.is(ns, name));
        own + self
            .elements()
            .map(|e| e.count_descendants(ns, name))
            .sum::<usize>()
    }
}

fn malformed(e: impl std::fmt::Display) -> XmlGuardError {
    XmlGuardError::Malformed(e.to_string())
}

fn resolved_ns(r: ResolveResult<'_>) -> Result<String, XmlGuardError> {
    match r {
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Bound(ns) => Ok(String::from_utf8_lossy(ns.as_ref()).into_owned()),
        ResolveResult::Unknown(p) => Err(XmlGuardError::UnknownPrefix(
            String::from_utf8_lossy(&p).into_owned(),
        )),
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

fn append_text(stack: &mut [Element], root_done: bool, text: &str) -> Result<(), XmlGuardError> {
    match stack.last_mut() {
        Some(parent) => {
            if let Some(Node::Text(prev)) = parent.children.last_mut() {
                prev.push_str(text);
            } else {
                parent.children.push(Node::Text(text.to_string()));
            }
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None if root_done => Err(XmlGuardError::TrailingContent),
        None => Err(XmlGuardError::Malformed(
            "text before the root element".into(),
        )),
    }
}

/// Parse `xml` into a tree, enforcing every rule of the guard (see the module documentation).
pub(crate) fn parse(xml: &str, opts: &GuardOptions) -> Result<Element, XmlGuardError> {
    if xml.len() > opts.max_bytes {
        return Err(XmlGuardError::TooLarge {
            size: xml.len(),
            max: opts.max_bytes,
        });
    }
    let mut reader = NsReader::from_str(xml);
    reader.config_mut().check_comments = true;
    reader.config_mut().check_end_names = true;

    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut first_event = true;

    loop {
        let (ns_res, event) = reader.read_resolved_event().map_err(malformed)?;
        let ns = match &event {
            Event::Start(_) | Event::Empty(_) => Some(resolved_ns(ns_res)?),
            _ => None,
        };
        let is_first = first_event;
        first_event = false;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err(XmlGuardError::TrailingContent);
                }
                if stack.len() >= opts.max_depth {
                    return Err(XmlGuardError::TooDeep(opts.max_depth));
                }
                let mut attrs = Vec::new();
                for a in e.attributes().with_checks(true) {
                    let a = a.map_err(malformed)?;
                    if a.key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let (ans, local) = reader.resolver().resolve_attribute(a.key);
                    let ans = resolved_ns(ans)?;
                    let value =
                        a.normalized_value(XmlVersion::Implicit1_0)
                            .map_err(|err| match err {
                                quick_xml::Error::Escape(
                                    quick_xml::escape::EscapeError::UnrecognizedEntity(_, name),
                                ) => XmlGuardError::UnknownEntity(name),
                                other => malformed(other),
                            })?;
                    attrs.push(Attr {
                        ns: ans,
                        name: String::from_utf8_lossy(local.as_ref()).into_owned(),
                        value: value.into_owned(),
                    });
                }
                let el = Element {
                    ns: ns.unwrap_or_default(),
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    attrs,
                    children: Vec::new(),
                };
                if matches!(event, Event::Start(_)) {
                    stack.push(el);
                } else {
                    close(&mut stack, &mut root, el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| malformed("unexpected end tag"))?;
                close(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                let s = t.xml10_content().map_err(malformed)?;
                append_text(&mut stack, root.is_some(), &s)?;
            }
            Event::CData(t) => {
                let s = t.xml10_content().map_err(malformed)?;
                if stack.is_empty() {
                    return Err(XmlGuardError::TrailingContent);
                }
                append_text(&mut stack, root.is_some(), &s)?;
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref().map_err(malformed)? {
                    Some(c) => c,
                    None => {
                        let name = r.decode().map_err(malformed)?.into_owned();
                        predefined_entity(&name).ok_or(XmlGuardError::UnknownEntity(name))?
                    }
                };
                if stack.is_empty() {
                    return Err(malformed("reference outside the root element"));
                }
                append_text(&mut stack, root.is_some(), ch.encode_utf8(&mut [0u8; 4]))?;
            }
            Event::Comment(_) => {
                if !opts.allow_comments {
                    return Err(XmlGuardError::Comment);
                }
            }
            Event::Decl(d) => {
                if !is_first {
                    return Err(XmlGuardError::ProcessingInstruction("xml".into()));
                }
                if let Some(enc) = d.encoding() {
                    let enc = enc.map_err(malformed)?;
                    let enc = String::from_utf8_lossy(&enc).into_owned();
                    if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                        return Err(XmlGuardError::Encoding(enc));
                    }
                }
            }
            Event::PI(pi) => {
                return Err(XmlGuardError::ProcessingInstruction(
                    String::from_utf8_lossy(pi.target()).into_owned(),
                ));
            }
            Event::DocType(_) => return Err(XmlGuardError::Doctype),
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(malformed("unclosed element at end of document"));
    }
    root.ok_or(XmlGuardError::NoRoot)
}

fn close(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(el)),
        None => *root = Some(el),
    }
}
