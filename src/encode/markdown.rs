//! Markdown (SPEC §9 "Messages"): a pull-request comment, a `.md` template's values. A user
//! value renders as itself: it cannot add a heading, a list, a quote, emphasis, a link or an
//! image, open or close an HTML block, mention a person or team (`@…`), or fake the
//! comment's part markers (`<!-- … -->`).
//!
//! One form for prose: HTML character references (`&#35;` for `#`), not backslashes. GitHub
//! links `@team` and `#123` in the text *after* Markdown has run, so `\@team` still pings the
//! team while `@&#8203;team` (a zero-width space after the `@`) does not; a reference renders
//! the same in every CommonMark reader, also where a backslash is not an escape (before a
//! letter). `|` is the one backslash escape: GitHub splits table rows at `|` before it reads
//! references.

use super::text::{needs_escape, source};

/// A user value in Markdown prose (a table cell, a list item, a `<summary>`, a line of a
/// generated `.md` file): one line, every character that could start structure written as a
/// reference (`& < > # \ ` * _ [ ] ! ~`, a leading `- + =`, the `.` or `)` of a leading
/// number), `|` as `\|`, `@` followed by a zero-width space; line breaks become spaces and
/// other control or bidi characters U+FFFD.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    for (i, c) in s.chars().enumerate() {
        let leading = (i == 0 && matches!(c, '-' | '+' | '=')) || (digits > 0 && i == digits && matches!(c, '.' | ')'));
        match c {
            '|' => out.push_str("\\|"),
            '@' => out.push_str("@&#8203;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '#' | '\\' | '`' | '*' | '_' | '[' | ']' | '!' | '~' => {
                out.push_str(&format!("&#{};", c as u32));
            }
            c if leading => out.push_str(&format!("&#{};", c as u32)),
            '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' => out.push(' '),
            c if needs_escape(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A message that quotes values in backticks (`` `acme` is not a product``): the code spans
/// are kept, with their content on one line; the prose around them is [`text`]. When the
/// backticks do not pair up plainly (a run of two or more, an odd count) the whole message
/// is prose, so a value cannot open or close a code span to change what is escaped.
pub fn message(s: &str) -> String {
    let ticks = s.matches('`').count();
    if ticks == 0 || ticks % 2 == 1 || s.contains("``") {
        return text(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(&text(part));
        } else {
            out.push('`');
            out.push_str(&code_body(part));
            out.push('`');
        }
    }
    out
}

/// The inside of a code span: one line, `|` escaped for tables, no comment opener, no
/// control characters. Inside a code span GitHub neither mentions nor reads HTML.
fn code_body(s: &str) -> String {
    let body: String = s
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' => ' ',
            c if needs_escape(c) => '\u{FFFD}',
            c => c,
        })
        .collect();
    body.replace('|', "\\|").replace("<!--", "<!-\u{200B}-")
}

/// A user value as an inline code span: the fence is one backtick longer than any run in the
/// value, so it cannot close early.
pub fn code(s: &str) -> String {
    let body = code_body(s);
    let ticks = "`".repeat(longest_run(&body, '`') + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{body}{pad}{ticks}")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        if x == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// A fenced code block that its content cannot close: the fence is longer than any backtick
/// run in the body. The body's lines stay as they are (a diff must read as one) except that
/// an HTML comment opener is broken (`<!-\u{200b}-`), so a line of a diff cannot pass for a
/// part marker to anything that searches the comment, and control characters are shown as
/// U+FFFD.
pub fn fence(lang: &str, body: &str) -> String {
    let body = source(body);
    let body = body.replace("<!--", "<!-\u{200B}-");
    let ticks = "`".repeat(longest_run(&body, '`').max(2) + 1);
    format!(
        "{ticks}{lang}\n{body}{}{ticks}\n",
        if body.ends_with('\n') || body.is_empty() {
            ""
        } else {
            "\n"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_add_structure() {
        let m = text("x\n# heading</details><!-- partnerctl:plan part 1/2 -->@northwind/legal|");
        assert!(!m.contains('\n'));
        assert!(!m.contains('<') && !m.contains('>'));
        assert!(!m.contains("@n"));
        assert!(!m.contains("# heading") && m.contains("&#35; heading"));
        assert!(m.ends_with("\\|"));
        assert!(m.contains("@&#8203;northwind/legal"));
    }

    #[test]
    fn text_cannot_link_emphasise_or_start_a_block() {
        assert_eq!(
            text("# @team [x](javascript:y)"),
            "&#35; @&#8203;team &#91;x&#93;(javascript:y)"
        );
        assert_eq!(text("shipments-api"), "shipments-api");
        assert_eq!(text("- a"), "&#45; a");
        assert_eq!(text("1. a"), "1&#46; a");
        assert_eq!(text("12) a"), "12&#41; a");
        assert_eq!(text("</details>"), "&lt;/details&gt;");
        assert_eq!(text("a\n# b"), "a &#35; b");
        assert_eq!(
            text("*a* _b_ ~c~ ![i](x)"),
            "&#42;a&#42; &#95;b&#95; &#126;c&#126; &#33;&#91;i&#93;(x)"
        );
        // A backslash cannot escape the `\|` that keeps a table cell whole.
        assert_eq!(text("a\\|b"), "a&#92;\\|b");
    }

    #[test]
    fn text_renders_as_itself() {
        // Through a CommonMark reader, the value comes back as written (line breaks as spaces).
        for v in [
            "ACME <b>Logistics</b> & Co",
            "# not a heading",
            "- not a list",
            "3. not a list",
            "*not emphasis* __nor this__",
            "[not](a link) ![nor](an image)",
            "`not code`",
            "\\ back\\slash",
        ] {
            let html = {
                let mut s = String::new();
                pulldown_cmark::html::push_html(&mut s, pulldown_cmark::Parser::new(&text(v)));
                s
            };
            let inner = html.trim().trim_start_matches("<p>").trim_end_matches("</p>");
            let decoded = inner
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
                .replace('\u{200B}', "");
            assert_eq!(decoded, v, "{v} → {html}");
        }
    }

    #[test]
    fn messages_keep_their_code_spans() {
        assert_eq!(message("`@team` is <new>"), "`@team` is &lt;new&gt;");
        assert_eq!(message("a|`b|c`"), "a\\|`b\\|c`");
        let odd = message("`x` and ` </details>");
        assert!(!odd.contains('`') && !odd.contains('<'), "{odd}");
        let run = message("``a`` @x");
        assert!(!run.contains('`') && run.contains("@&#8203;x"), "{run}");
    }

    #[test]
    fn code_spans_outlast_the_content() {
        assert_eq!(code("dist/a.yaml"), "`dist/a.yaml`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("``x"), "``` ``x ```");
        assert_eq!(code("a\nb|c"), "`a b\\|c`");
    }

    #[test]
    fn fences_outlast_the_content() {
        let f = fence("diff", "+ ````\n+<!-- partnerctl:part-break -->\n");
        assert!(f.starts_with("`````diff\n"));
        assert!(f.ends_with("\n`````\n"));
        assert!(!f.contains("<!--"));
        assert_eq!(fence("", "x"), "```\nx\n```\n");
    }
}
