//! JSON read without the YAML scanner, into the same value and positions.
//!
//! Every JSON text is YAML, and the gateway files partnerctl reads (decK dumps, ARM
//! templates, `kubectl get -o json`, OpenAPI descriptions) are often JSON, written on one line
//! and tens of megabytes long. The YAML scanner reads such a file as one flow collection and
//! queues its tokens until the collection ends: a 94 MB decK dump of 100,000 consumers took
//! seconds and 2.5 GB before its first event. This reader tokenizes strict JSON (RFC 8259)
//! and hands the [`Builder`] the events the YAML parser would have given (strings as
//! double-quoted scalars, numbers and literals as plain scalars resolved by the same core
//! schema, each at the line and column of its first character), so the value, the positions,
//! the duplicate-key and depth findings are the same; a surrogate pair such as `\ud83d\ude00`,
//! which the YAML scanner refuses, is one character, as JSON reads it. A text that is not
//! strict JSON (a comment, a trailing comma, a second document, flow YAML) makes it give up,
//! and the YAML parser reads the file as before.

use super::build::Builder;
use super::positions::YamlDoc;
use saphyr_parser::{Event, Marker, ScalarStyle, Span};
use std::borrow::Cow;

/// Whether a text may be JSON: its first character that is not white space opens an object or
/// an array (a JSON scalar alone is left to the YAML parser, which reads it the same).
pub fn may_be_json(text: &str) -> bool {
    matches!(
        text.trim_start_matches([' ', '\t', '\n', '\r']).as_bytes().first(),
        Some(b'{' | b'[')
    )
}

/// Reads a strict JSON text into a document; `None` when the text is not strict JSON or the
/// builder refuses it (the YAML parser then reads it and reports what it finds).
pub fn parse(file: &str, text: &str) -> Option<YamlDoc> {
    let mut reader = Reader {
        text: text.as_bytes(),
        src: text,
        at: 0,
        line: 1,
        col: 0,
        builder: Builder::new(file, text.len()),
    };
    reader.skip_ws();
    reader.value().ok()?;
    reader.skip_ws();
    if reader.at != reader.text.len() {
        return None;
    }
    reader.builder.finish()
}

/// Not strict JSON, or refused by the builder: either way the YAML parser takes over.
struct NotJson;

struct Reader<'t, 'f> {
    text: &'t [u8],
    src: &'t str,
    /// Byte offset.
    at: usize,
    /// 1-based line and 0-based column in characters, as saphyr counts them.
    line: usize,
    col: usize,
    builder: Builder<'f>,
}

impl<'t> Reader<'t, '_> {
    fn span(&self) -> Span {
        let m = Marker::new(self.at, self.line, self.col);
        Span::new(m, m)
    }

    fn emit(&mut self, event: Event<'_>, span: Span) -> Result<(), NotJson> {
        self.builder.event(event, span).map_err(|_| NotJson)
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.text.get(self.at) {
            match b {
                b' ' | b'\t' => self.col += 1,
                b'\n' => {
                    self.line += 1;
                    self.col = 0;
                }
                b'\r' => {
                    // CR LF is one break; a lone CR is one too, as YAML reads it.
                    if self.text.get(self.at + 1) != Some(&b'\n') {
                        self.line += 1;
                        self.col = 0;
                    }
                }
                _ => return,
            }
            self.at += 1;
        }
    }

    /// Advances over `n` bytes that hold no line break, counting characters.
    fn advance(&mut self, n: usize) {
        let end = self.at + n;
        self.col += self.text[self.at..end].iter().filter(|b| (**b & 0xC0) != 0x80).count();
        self.at = end;
    }

    fn value(&mut self) -> Result<(), NotJson> {
        let span = self.span();
        match self.text.get(self.at).copied().ok_or(NotJson)? {
            b'{' => self.collection(span, Event::MappingStart(0, None), b'}', Event::MappingEnd, |r| {
                if r.text.get(r.at) != Some(&b'"') {
                    return Err(NotJson);
                }
                r.string()?;
                r.skip_ws();
                if r.text.get(r.at) != Some(&b':') {
                    return Err(NotJson);
                }
                r.advance(1);
                r.skip_ws();
                r.value()
            }),
            b'[' => self.collection(
                span,
                Event::SequenceStart(0, None),
                b']',
                Event::SequenceEnd,
                Self::value,
            ),
            b'"' => self.string(),
            b't' | b'f' | b'n' => {
                let word = ["true", "false", "null"]
                    .into_iter()
                    .find(|w| self.text[self.at..].starts_with(w.as_bytes()))
                    .ok_or(NotJson)?;
                self.advance(word.len());
                self.emit(Event::Scalar(Cow::Borrowed(word), ScalarStyle::Plain, 0, None), span)
            }
            b'-' | b'0'..=b'9' => {
                let n = number_len(&self.text[self.at..]).ok_or(NotJson)?;
                let src = self.src;
                let text = &src[self.at..self.at + n];
                self.advance(n);
                self.emit(Event::Scalar(Cow::Borrowed(text), ScalarStyle::Plain, 0, None), span)
            }
            _ => Err(NotJson),
        }
    }

    /// An object or array whose opening bracket is at `self.at`: `member` reads one member
    /// (a key and its value, or a value), members are separated by commas.
    fn collection(
        &mut self,
        span: Span,
        open: Event<'static>,
        close: u8,
        end: Event<'static>,
        member: fn(&mut Self) -> Result<(), NotJson>,
    ) -> Result<(), NotJson> {
        self.advance(1);
        self.emit(open, span)?;
        self.skip_ws();
        if self.text.get(self.at) == Some(&close) {
            let at = self.span();
            self.advance(1);
            return self.emit(end, at);
        }
        loop {
            self.skip_ws();
            member(self)?;
            self.skip_ws();
            let at = self.span();
            match self.text.get(self.at) {
                Some(b',') => self.advance(1),
                Some(&b) if b == close => {
                    self.advance(1);
                    return self.emit(end, at);
                }
                _ => return Err(NotJson),
            }
        }
    }

    /// A string at `self.at` (its opening quote), emitted as a double-quoted scalar.
    fn string(&mut self) -> Result<(), NotJson> {
        let span = self.span();
        let start = self.at + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            match self.text.get(i).copied().ok_or(NotJson)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                // Control characters must be escaped in JSON.
                0x00..=0x1F => return Err(NotJson),
                _ => i += 1,
            }
        }
        let src = self.src;
        let raw = src.get(start..i).ok_or(NotJson)?;
        let text = if escaped {
            Cow::Owned(unescape(raw)?)
        } else {
            Cow::Borrowed(raw)
        };
        self.advance(i + 1 - self.at);
        self.emit(Event::Scalar(text, ScalarStyle::DoubleQuoted, 0, None), span)
    }
}

/// The length of the JSON number at the start of `b`, if one is there.
fn number_len(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let digits = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == digits {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let digits = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == digits {
            return None;
        }
    }
    // A number runs up to a delimiter: `1x` or `01` is not JSON.
    match b.get(i) {
        None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}') => Some(i),
        _ => None,
    }
}

/// The text of a JSON string body with its escapes read; `\u` escapes of a surrogate pair
/// are joined, a lone surrogate is not JSON text partnerctl can hold.
fn unescape(raw: &str) -> Result<String, NotJson> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next().ok_or(NotJson)? {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '/' => out.push('/'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let hi = hex4(&mut chars)?;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if chars.next() != Some('\\') || chars.next() != Some('u') {
                        return Err(NotJson);
                    }
                    let lo = hex4(&mut chars)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(NotJson);
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                out.push(char::from_u32(code).ok_or(NotJson)?);
            }
            _ => return Err(NotJson),
        }
    }
    Ok(out)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Result<u32, NotJson> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next().and_then(|c| c.to_digit(16)).ok_or(NotJson)?;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both readers on one text: the same value and the same positions, node for node.
    fn same(text: &str) {
        let fast = parse("f.json", text).unwrap_or_else(|| panic!("not read as JSON: {text}"));
        let mut parser = saphyr_parser::Parser::new_from_str(text);
        let mut b = Builder::new("f.json", text.len());
        while let Some(e) = parser.next_event() {
            let (e, s) = e.unwrap();
            b.event(e, s).unwrap();
        }
        let slow = b.finish().unwrap();
        assert_eq!(fast.value, slow.value, "{text}");
        assert_eq!(fast.positions, slow.positions, "{text}");
    }

    #[test]
    fn json_reads_as_the_yaml_parser_reads_it() {
        same(r#"{"a": 1, "b": [true, false, null, -0.5e3, "x\ny\u00e9"], "c": {}}"#);
        same("{\n  \"name\": \"caf\u{e9}\",\n  \"list\": [\n    1,\n    {\"k\": \"v\"}\n  ],\n  \"e\": []\n}\n");
        same("[\r\n  {\"a\": \"\\\"quoted\\\" \\/ \\\\\"},\r\n  2\r\n]");
        same(r#"{"big": 123456789012345678901234567890, "neg": -12, "f": 1.5, "z": 0}"#);
        same(r#"{"é": {"ü": ["ß", "x"]}, "after": 1}"#);
    }

    /// Every JSON file of other projects vendored for the tests, and the example's.
    #[test]
    fn real_json_files_read_as_the_yaml_parser_reads_them() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![root.join("tests/external"), root.join("examples")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "json") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() >= 20, "{files:?}");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            // What the YAML scanner refuses (surrogate pairs) is compared with serde_json.
            let mut parser = saphyr_parser::Parser::new_from_str(&text);
            let mut b = Builder::new("f.json", text.len());
            let mut yaml_ok = true;
            while let Some(e) = parser.next_event() {
                match e {
                    Ok((e, s)) => b.event(e, s).unwrap(),
                    Err(_) => {
                        yaml_ok = false;
                        break;
                    }
                }
            }
            let fast = parse("f.json", &text).unwrap_or_else(|| panic!("{} not read as JSON", f.display()));
            if yaml_ok {
                let slow = b.finish().unwrap();
                assert_eq!(fast.value, slow.value, "{}", f.display());
                assert_eq!(fast.positions, slow.positions, "{}", f.display());
            } else {
                assert_eq!(
                    fast.value,
                    serde_json::from_str::<serde_json::Value>(&text).unwrap(),
                    "{}",
                    f.display()
                );
            }
        }
    }

    #[test]
    fn a_surrogate_pair_is_one_character_as_in_json() {
        // The YAML scanner refuses `\ud83d\ude00`; JSON (RFC 8259 §7) reads it as U+1F600.
        let text = r#"{"smile": "\ud83d\ude00!"}"#;
        let doc = parse("f.json", text).unwrap();
        assert_eq!(doc.value, serde_json::from_str::<serde_json::Value>(text).unwrap());
        assert_eq!(doc.value["smile"], "\u{1F600}!");
    }

    #[test]
    fn what_is_not_strict_json_is_left_to_the_yaml_parser() {
        for text in [
            "{a: 1}",
            "{\"a\": 1,}",
            "{\"a\": 1} # comment",
            "{\"a\": 01}",
            "{\"a\": 'x'}",
            "[1, 2",
            "{\"a\": \"tab\there\"}",
            "{\"a\": \"\\ud800\"}",
            "{\"a\": 1}\n---\n{\"b\": 2}",
        ] {
            assert!(parse("f.json", text).is_none(), "{text}");
        }
    }

    #[test]
    fn duplicate_keys_and_deep_nesting_are_not_read_here() {
        // The builder refuses them; the YAML parser then reports them with their line.
        assert!(parse("f.json", r#"{"a": 1, "a": 2}"#).is_none());
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse("f.json", &deep).is_none());
    }
}
