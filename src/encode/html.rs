//! HTML text and attribute values: what Rust writes as HTML itself (the API reference's
//! schemas, the report's SVG charts) and what minijinja's auto-escaping writes for a
//! template (through the formatter of [`crate::template`]).

/// `& < > " '` escaped, control characters other than line breaks and tabs replaced by
/// U+FFFD, so a value never closes an element or an attribute. `/` is left alone: escaping
/// it (as minijinja's own escaper does) turns every relative link into
/// `products&#x2f;rates.html`, valid but unreadable in the source.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closes_nothing() {
        assert_eq!(escape("<a href='x'>\"&"), "&lt;a href=&#39;x&#39;&gt;&quot;&amp;");
        assert_eq!(escape("a\x1bb\nc/d"), "a\u{FFFD}b\nc/d");
    }
}
