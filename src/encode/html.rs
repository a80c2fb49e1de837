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

/// JSON text for a `<script type="application/json">` element: `<`, `>`, `&`, U+2028 and
/// U+2029 written as `\u` escapes, which JSON reads back as the same characters, so the text
/// can never close the element (`</script>`), open a comment (`<!--`) or end a line for a
/// script that reads it. Only call it with JSON a serializer wrote: the escapes are valid in
/// JSON strings, and outside strings JSON has none of these characters.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
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

    #[test]
    fn script_json_closes_no_element_and_reads_back_the_same() {
        let value = "</script><!-- & \u{2028}\u{2029}>";
        let json = script_json(&serde_json::to_string(value).unwrap());
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), value);
        assert!(
            !json.contains('<') && !json.contains('>') && !json.contains('&'),
            "{json}"
        );
        assert!(!json.contains('\u{2028}') && !json.contains('\u{2029}'), "{json}");
        assert_eq!(
            json,
            "\"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028\\u2029\\u003e\""
        );
    }
}
