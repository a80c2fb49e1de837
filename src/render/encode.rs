//! Encoders for the output syntaxes that have no serializer of their own: CSV fields,
//! Markdown text, comment lines, and HTML written outside a template (SPEC §9 "Encoding").
//! NGINX and CODEOWNERS have theirs in [`super::nginx`] and [`super::codeowners`]; HTML in
//! templates is minijinja's auto-escaping, and YAML and JSON go through serde. Each encoder either returns text that cannot leave the place it is
//! written into, or refuses.

/// Text and attribute values of HTML that Rust writes itself (the API reference's schemas, the
/// report's SVG charts): `& < > " '` escaped, control characters other than line breaks and
/// tabs replaced, so a value never closes an element or an attribute.
pub fn html(s: &str) -> String {
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

/// One CSV field (RFC 4180), safe to open in a spreadsheet.
///
/// Quoted when it holds a comma, a quote or leading/trailing space, quotes doubled. A line
/// break or other control character becomes a space: a field never starts a row, even for
/// tools that split on lines. A text that a spreadsheet would run as a formula (starting
/// with `= + - @`, or a tab or carriage return) gets a leading `'`, OWASP's advice for CSV
/// injection.
pub fn csv_field(text: &str) -> String {
    let mut clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if clean.starts_with(['=', '+', '-', '@']) || text.starts_with(['\t', '\r']) {
        clean.insert(0, '\'');
    }
    let needs_quotes = clean.contains([',', '"', ';']) || clean.starts_with(' ') || clean.ends_with(' ');
    if needs_quotes {
        format!("\"{}\"", clean.replace('"', "\"\""))
    } else {
        clean
    }
}

/// Markdown text that renders as itself: the characters that open emphasis, code, links,
/// images, HTML, entities, tables, mentions or headings (`\ ` * _ [ ] < > & ! | ~ @ #`) are
/// backslash-escaped (CommonMark lets any punctuation be), and so is a leading `-`, `+`,
/// `=` or list number, which could start a list or underline a heading; line breaks become
/// spaces, so no value starts a block of its own.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    for (i, c) in text.chars().enumerate() {
        let leading = (i == 0 && matches!(c, '-' | '+' | '=')) || (i == digits && digits > 0 && matches!(c, '.' | ')'));
        if c.is_control() {
            out.push(' ');
        } else if leading
            || matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '!' | '|' | '~' | '@' | '#'
            )
        {
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Text for a `#` comment line (NGINX, YAML, CODEOWNERS): control characters, and the
/// Unicode line and paragraph separators some YAML readers end a line at, are written as
/// `\u{…}` escapes, so the comment ends where the line does.
pub fn comment_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv() {
        assert_eq!(csv_field("ACME"), "ACME");
        assert_eq!(csv_field("A, B"), "\"A, B\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1+2"), "'-1+2");
        assert_eq!(csv_field("a\nb,c"), "\"a b,c\"");
        assert_eq!(csv_field("\t=1"), "' =1");
    }

    #[test]
    fn markdown() {
        assert_eq!(
            markdown_text("# @team [x](javascript:y)"),
            "\\# \\@team \\[x\\](javascript:y)"
        );
        assert_eq!(markdown_text("shipments-api"), "shipments-api");
        assert_eq!(markdown_text("- a"), "\\- a");
        assert_eq!(markdown_text("1. a"), "1\\. a");
        assert_eq!(markdown_text("</details>"), "\\</details\\>");
        assert_eq!(markdown_text("a\n# b"), "a \\# b");
    }

    #[test]
    fn comments() {
        assert_eq!(comment_text("a\nserver {"), "a\\u{a}server {");
        assert_eq!(comment_text("a\u{2028}b"), "a\\u{2028}b");
    }
}
