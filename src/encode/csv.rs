//! CSV fields (RFC 4180) that are safe to open in a spreadsheet.

/// One CSV field.
///
/// Quoted when it holds a comma, a quote or leading/trailing space, quotes doubled. A line
/// break or other control character becomes a space: a field never starts a row, even for
/// tools that split on lines. A text that a spreadsheet would run as a formula (starting
/// with `= + - @`, or a tab or carriage return) gets a leading `'`, OWASP's advice for CSV
/// injection.
pub fn field(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        assert_eq!(field("ACME"), "ACME");
        assert_eq!(field("A, B"), "\"A, B\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1+2"), "'-1+2");
        assert_eq!(field("a\nb,c"), "\"a b,c\"");
        assert_eq!(field("\t=1"), "' =1");
    }
}
