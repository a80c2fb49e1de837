//! XML documents, always written by an XML writer (`quick-xml`), never pasted together: an
//! attribute value or a text is escaped by the writer as it is written, so no value can open
//! or close an element, end an attribute or start a CDATA section or comment. Used for API
//! Management policies; a document is built as an [`Element`] tree first, so that the
//! caller decides the structure and the writer alone decides the syntax.

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

/// One element: its name, attributes in order, and its children or text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: Option<String>,
}

impl Element {
    pub fn new(name: &str) -> Self {
        Element {
            name: name.to_string(),
            attributes: Vec::new(),
            children: Vec::new(),
            text: None,
        }
    }

    /// With an attribute added (its value escaped when written).
    pub fn attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.attributes.push((name.to_string(), value.into()));
        self
    }

    /// With a child element added.
    pub fn child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    /// With children added.
    pub fn children(mut self, children: impl IntoIterator<Item = Element>) -> Self {
        self.children.extend(children);
        self
    }
}

/// Element and attribute names are the caller's constants, never data: refuse anything but
/// an XML name made of ASCII letters, digits, `-`, `_`, `.` and `:`.
fn check_name(name: &str) -> Result<(), String> {
    let ok = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is no XML name"))
    }
}

fn write(w: &mut Writer<Vec<u8>>, e: &Element) -> Result<(), String> {
    check_name(&e.name)?;
    let mut start = BytesStart::new(e.name.as_str());
    for (k, v) in &e.attributes {
        check_name(k)?;
        start.push_attribute((k.as_str(), v.as_str()));
    }
    let io = |e: std::io::Error| e.to_string();
    if e.children.is_empty() && e.text.is_none() {
        return w.write_event(Event::Empty(start)).map_err(io);
    }
    w.write_event(Event::Start(start)).map_err(io)?;
    if let Some(t) = &e.text {
        w.write_event(Event::Text(BytesText::new(t))).map_err(io)?;
    }
    for c in &e.children {
        write(w, c)?;
    }
    w.write_event(Event::End(BytesEnd::new(e.name.as_str()))).map_err(io)
}

/// The document of `root`, indented by `indent` spaces a level, with no XML declaration
/// (API Management stores policies without one).
pub fn document(root: &Element, indent: usize) -> Result<String, String> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', indent);
    write(&mut w, root)?;
    String::from_utf8(w.into_inner()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::Reader;

    #[test]
    fn values_stay_values() {
        let hostile = "\"/><script>x</script><!-- ]]> &amp; '";
        let doc = Element::new("policies").child(
            Element::new("inbound")
                .child(Element::new("base"))
                .child(Element::new("note").attr("about", hostile)),
        );
        let text = document(&doc, 4).unwrap();
        assert!(!text.contains("<script>"), "{text}");
        let mut r = Reader::from_str(&text);
        let mut seen = None;
        let mut elements = 0;
        loop {
            match r.read_event().unwrap() {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) => {
                    elements += 1;
                    for a in e.attributes() {
                        let a = a.unwrap();
                        seen = Some(a.unescape_value().unwrap().into_owned());
                    }
                }
                _ => {}
            }
        }
        assert_eq!(elements, 4);
        assert_eq!(seen.as_deref(), Some(hostile));
        assert!(document(&Element::new("a b"), 0).is_err());
        assert!(document(&Element::new("a").attr("x=\"1\" y", "v"), 0).is_err());
    }
}
