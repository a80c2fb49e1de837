//! Encoders for the places where a user value meets an output format of the CLI (SPEC §9
//! "Messages"): text for a terminal or a CI log, Markdown for a pull-request comment, and
//! GitHub workflow commands. Every printer in `cli/` goes through these, so that a partner's
//! `displayName`, a file name or a line of a rendered file cannot become a workflow command
//! (`::add-mask::`, `::stop-commands::`), a terminal escape, a heading, an HTML block, a
//! mention or a fake part marker.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Bidirectional overrides and isolates, and the zero-width marks: they reorder or hide
/// what a reader sees (the "Trojan Source" characters).
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that `text` writes as an escape instead of itself.
fn needs_text_escape(c: char) -> bool {
    c.is_control() || is_bidi(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// A user value in `text` output: control characters (newline, carriage return, ESC, …) and
/// bidi controls written as escapes (`\n`, `\x1b`, `\u{202e}`), so the value stays on its
/// line and cannot move the cursor or recolour the terminal.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_text_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && needs_text_escape(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_text_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The text of a source file as a snippet prints it: every control character but newline and
/// tab, and every bidi control, becomes U+FFFD (one character for one, so columns stay
/// aligned with the caret); a carriage return before a newline is dropped.
pub fn source(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| (needs_text_escape(c) && c != '\n' && c != '\t') || c == '\r')
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\t' => out.push(c),
            c if needs_text_escape(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether a line is one that GitHub's runner reads as a workflow command: it trims leading
/// whitespace, then looks for `::` (or the older `##[`).
pub fn is_command_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("::") || t.starts_with("##[")
}

/// The last line of defence for `text` and `markdown` output: a line the runner would read
/// as a workflow command gets a backslash before its first visible character. (Markdown
/// shows `\:` and `\#` as the bare character; text readers see that it was escaped.)
pub fn guard_lines(s: &str) -> Cow<'_, str> {
    if !s.lines().any(is_command_line) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for line in s.split_inclusive('\n') {
        if is_command_line(line) {
            let indent = line.len() - line.trim_start().len();
            out.push_str(&line[..indent]);
            out.push('\\');
            out.push_str(&line[indent..]);
        } else {
            out.push_str(line);
        }
    }
    Cow::Owned(out)
}

/// A user value in Markdown prose (a table cell, a list item, a `<summary>`): one line, no
/// HTML (`<`, `>`, `&` as entities), no table cell break, no mention (`@` followed by a
/// zero-width space, as `@&#8203;team`), no HTML comment (so no fake part marker), and no
/// heading, list or quote at the start (`#`, `>` are entities anywhere; the value never
/// starts a line because newlines become spaces).
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("\\|"),
            '@' => out.push_str("@&#8203;"),
            '#' => out.push_str("&#35;"),
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => out.push(' '),
            c if needs_text_escape(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A message that quotes values in backticks (`` `acme` is not a product``): the code spans
/// are kept, with their content on one line; the prose around them is [`markdown`]. When the
/// backticks do not pair up plainly (a run of two or more, an odd count) the whole message
/// is prose, so a value cannot open or close a code span to change what is escaped.
pub fn markdown_message(s: &str) -> String {
    let ticks = s.matches('`').count();
    if ticks == 0 || ticks % 2 == 1 || s.contains("``") {
        return markdown(s).replace('`', "&#96;");
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(&markdown(part));
        } else {
            out.push('`');
            let part = part.replace("<!--", "<!-\u{200B}-");
            for c in part.chars() {
                match c {
                    '\n' | '\r' | '\u{2028}' | '\u{2029}' => out.push(' '),
                    '|' => out.push_str("\\|"),
                    c if needs_text_escape(c) => out.push('\u{FFFD}'),
                    c => out.push(c),
                }
            }
            out.push('`');
        }
    }
    out
}

/// A user value as an inline code span: the fence is one backtick longer than any run in the
/// value, so it cannot close early; one line; `|` escaped for tables. Inside a code span
/// GitHub neither mentions nor reads HTML.
pub fn markdown_code(s: &str) -> String {
    let body: String = s
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => ' ',
            c if needs_text_escape(c) => '\u{FFFD}',
            c => c,
        })
        .collect();
    let body = body.replace('|', "\\|").replace("<!--", "<!-\u{200B}-");
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
pub fn markdown_fence(lang: &str, body: &str) -> String {
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

/// Workflow-command message data, encoded as the runner decodes it: `%`, `\r`, `\n`.
pub fn github_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow-command property value (`file=`, `title=`): as data, and also `:` and `,`,
/// which end a property.
pub fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_controls_and_bidi() {
        assert_eq!(text("plain café"), "plain café");
        assert_eq!(text("a\n::add-mask::x"), "a\\n::add-mask::x");
        assert_eq!(text("\x1b[2J\r\t"), "\\x1b[2J\\r\\t");
        assert_eq!(text("a\u{202e}b\u{7f}"), "a\\u{202e}b\\x7f");
    }

    #[test]
    fn source_keeps_columns() {
        let s = "a\x1bb\r\nc\u{202e}d\te\rf\n";
        let out = source(s);
        assert_eq!(out, "a\u{FFFD}b\nc\u{FFFD}d\te\u{FFFD}f\n");
        for (a, b) in s.replace("\r\n", "\n").lines().zip(out.lines()) {
            assert_eq!(a.chars().count(), b.chars().count());
        }
    }

    #[test]
    fn guard_lines_breaks_workflow_commands() {
        assert_eq!(guard_lines("ok\n  ::add-mask::x\n"), "ok\n  \\::add-mask::x\n");
        assert_eq!(guard_lines("##[error]x"), "\\##[error]x");
        assert_eq!(guard_lines("a ::b\n"), "a ::b\n");
        for l in guard_lines(" \t::stop-commands::t\n::x").lines() {
            assert!(!is_command_line(l), "{l}");
        }
    }

    #[test]
    fn markdown_cannot_add_structure() {
        let m = markdown("x\n# heading</details><!-- partnerctl:plan part 1/2 -->@northwind/legal|");
        assert!(!m.contains('\n'));
        assert!(!m.contains('<') && !m.contains('>'));
        assert!(!m.contains("@n"));
        assert!(!m.contains("# heading") && m.contains("&#35; heading"));
        assert!(m.ends_with("\\|"));
        assert!(m.contains("@&#8203;northwind/legal"));
    }

    #[test]
    fn messages_keep_their_code_spans() {
        assert_eq!(markdown_message("`@team` is <new>"), "`@team` is &lt;new&gt;");
        assert_eq!(markdown_message("a|`b|c`"), "a\\|`b\\|c`");
        let odd = markdown_message("`x` and ` </details>");
        assert!(!odd.contains('`') && !odd.contains('<'), "{odd}");
        let run = markdown_message("``a`` @x");
        assert!(!run.contains('`') && run.contains("@&#8203;x"), "{run}");
    }

    #[test]
    fn code_spans_outlast_the_content() {
        assert_eq!(markdown_code("dist/a.yaml"), "`dist/a.yaml`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("``x"), "``` ``x ```");
        assert_eq!(markdown_code("a\nb|c"), "`a b\\|c`");
    }

    #[test]
    fn fences_outlast_the_content() {
        let f = markdown_fence("diff", "+ ````\n+<!-- partnerctl:part-break -->\n");
        assert!(f.starts_with("`````diff\n"));
        assert!(f.ends_with("\n`````\n"));
        assert!(!f.contains("<!--"));
        assert_eq!(markdown_fence("", "x"), "```\nx\n```\n");
    }

    #[test]
    fn github_encodes_as_the_runner_decodes() {
        assert_eq!(github_data("50%\r\n::x"), "50%25%0D%0A::x");
        assert_eq!(github_property("a:b,c\n"), "a%3Ab%2Cc%0A");
    }
}
