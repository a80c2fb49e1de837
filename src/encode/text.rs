//! Text for a terminal, a CI log or a `#` comment line (SPEC §9 "Messages"): a user value
//! stays on its line, cannot move the cursor, recolour the terminal or reorder what a reader
//! sees, and no line it starts can be read as a GitHub workflow command (`::add-mask::`,
//! `::stop-commands::`).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Bidirectional overrides and isolates, and the zero-width marks: they reorder or hide
/// what a reader sees (the "Trojan Source" characters).
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that `text` writes as an escape instead of itself.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// A user value in `text` output, and text after a `#` in an NGINX, YAML or CODEOWNERS
/// comment: control characters (newline, carriage return, ESC, …) and
/// bidi controls written as escapes (`\n`, `\x1b`, `\u{202e}`), so the value stays on its
/// line (a comment ends where the line does) and cannot move the cursor, recolour the
/// terminal or reorder the text around it. U+0085 and the line and paragraph separators, at
/// which some YAML readers end a line, are escaped too.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && needs_escape(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
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
        .any(|c| (needs_escape(c) && c != '\n' && c != '\t') || c == '\r')
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\t' => out.push(c),
            c if needs_escape(c) => out.push('\u{FFFD}'),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_controls_and_bidi() {
        assert_eq!(escape("plain café"), "plain café");
        assert_eq!(escape("a\n::add-mask::x"), "a\\n::add-mask::x");
        assert_eq!(escape("\x1b[2J\r\t"), "\\x1b[2J\\r\\t");
        assert_eq!(escape("a\u{202e}b\u{7f}"), "a\\u{202e}b\\x7f");
        assert_eq!(escape("a\nserver {"), "a\\nserver {");
        assert_eq!(escape("a\u{2028}b\u{85}c"), "a\\u{2028}b\\u{85}c");
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
}
