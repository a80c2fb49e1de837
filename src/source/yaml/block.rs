//! Block YAML as program files are written, read without the YAML scanner, into the same
//! value and positions.
//!
//! Partner, product, terms and program files are block mappings and sequences of plain,
//! quoted and flow values: `name: Jane Roe`, `- {stage: live, date: "2026-06-01"}`, a
//! `description: >-` paragraph. saphyr's scanner reads them a character at a time through a
//! look-ahead buffer, with a simple-key table and an indentation stack, and on 100,000 partner
//! files that scanning was most of `validate`'s loading. This reader takes that common subset
//! line by line over the bytes and hands the [`Builder`] the events saphyr would have given
//! (the same text, scalar style and start position; scalars are resolved by the builder with
//! the same core schema), so the value, the positions, the duplicate-key and depth findings
//! are those of the full parser.
//!
//! It reads: a leading `---`; comments; block mappings whose keys are plain or quoted on one
//! line; block sequences, indentless ones under a key too, with compact mappings as items
//! (`- name: x`); empty values; plain scalars on one line; single- and double-quoted scalars
//! on one line; flow mappings and sequences, spanning lines when their continuation lines are
//! indented past the block they are in; literal and folded block scalars with any chomping.
//! Anything else makes it give up (`None`) and saphyr reads the file and reports what it
//! finds: tabs, carriage returns, control characters, a byte order mark, anchors, aliases,
//! tags, directives, `?` keys, a second document or `...`, multi-line plain or quoted
//! scalars, an explicit block indentation indicator, an empty first line in a block scalar,
//! a root that is not a block mapping at column 0, odd indentation, keys longer than 1,000
//! bytes, and every syntax error. It errs towards giving up: it must never accept a file
//! saphyr refuses or read one differently (`tests`, and the `block_yaml` fuzz target, compare
//! the two).

use super::build::Builder;
use super::positions::YamlDoc;
use saphyr_parser::{Event, Marker, ScalarStyle, Span};
use std::borrow::Cow;

/// Longest key (from its first byte to its `:`) read here: saphyr gives up on a block key
/// whose `:` is more than 1,024 characters after its start.
const KEY_LIMIT: usize = 1000;

/// Reads a block YAML text into a document; `None` when it holds anything this reader does
/// not take, or the builder refuses it (saphyr then reads it and reports what it finds).
pub fn parse(file: &str, text: &str) -> Option<YamlDoc> {
    if !ordinary(text.as_bytes()) {
        return None;
    }
    let mut reader = Reader {
        b: text.as_bytes(),
        src: text,
        at: 0,
        line: 1,
        line_start: 0,
        ascii: text.is_ascii(),
        started: false,
        builder: Builder::new(file, text.len()),
    };
    reader.document().ok()?;
    reader.builder.finish()
}

/// Whether the text holds only characters this reader treats as saphyr does: no tab, no
/// carriage return, no other control character, no DEL or C1 control, no byte order mark,
/// no Unicode line or paragraph separator.
fn ordinary(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        i += printable_run(&b[i..]);
        let Some(&c) = b.get(i) else { break };
        match c {
            b'\n' | 0x20..=0x7E => {}
            0x00..=0x1F | 0x7F => return false,
            0xC2 if matches!(b.get(i + 1), Some(0x80..=0x9F)) => return false,
            0xE2 if b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xA8 | 0xA9)) => return false,
            0xEF if b.get(i + 1) == Some(&0xBB) && b.get(i + 2) == Some(&0xBF) => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

/// How many bytes at the start of `b`, in whole blocks of 16, are printable ASCII or line
/// breaks: what [`ordinary`] may skip without looking at each. The test of a block has no
/// branch, so it is done on all 16 bytes at once; a byte-by-byte loop over each file was 5%
/// of `validate`'s instructions.
fn printable_run(b: &[u8]) -> usize {
    const BLOCK: usize = 16;
    b.chunks_exact(BLOCK)
        .take_while(|block| {
            block
                .iter()
                .fold(true, |all, c| all & (matches!(c, 0x20..=0x7E) | (*c == b'\n')))
        })
        .count()
        * BLOCK
}

/// Not in the subset, or refused by the builder: either way saphyr takes over.
struct Bail;

type Read<T = ()> = Result<T, Bail>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

fn is_flow(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

/// Whether a plain scalar may start at `b[at]`. Narrower than YAML: `-` only before a letter
/// or digit, never `?` or `:`.
fn plain_start(b: &[u8], at: usize) -> bool {
    match b.get(at).copied().unwrap_or(0) {
        b'-' => b.get(at + 1).is_some_and(u8::is_ascii_alphanumeric),
        0 | b' ' | b'\n' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>'
        | b'\'' | b'"' | b'%' | b'@' | b'`' => false,
        _ => true,
    }
}

struct Reader<'t, 'f> {
    b: &'t [u8],
    src: &'t str,
    /// Byte offset.
    at: usize,
    /// 1-based line, and the byte offset its first character is at.
    line: usize,
    line_start: usize,
    /// The whole text is ASCII: a column is a byte count.
    ascii: bool,
    /// Content (or the `---` that opens it) was seen: a later `---` is a second document.
    started: bool,
    builder: Builder<'f>,
}

impl<'t> Reader<'t, '_> {
    /// The byte at `i`, 0 past the end (the text holds no NUL).
    fn byte(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn peek(&self) -> u8 {
        self.byte(self.at)
    }

    /// Where `at` (on the current line) is, as saphyr counts: line 1-based, column in
    /// characters, 0-based.
    fn span(&self, at: usize) -> Span {
        let col = if self.ascii {
            at - self.line_start
        } else {
            self.b[self.line_start..at]
                .iter()
                .filter(|b| (**b & 0xC0) != 0x80)
                .count()
        };
        let m = Marker::new(at, self.line, col);
        Span::new(m, m)
    }

    fn emit(&mut self, event: Event<'_>, span: Span) -> Read {
        self.builder.event(event, span).map_err(|_| Bail)
    }

    fn scalar(&mut self, text: Cow<'t, str>, style: ScalarStyle, span: Span) -> Read {
        self.emit(Event::Scalar(text, style, 0, None), span)
    }

    fn skip_spaces(&mut self) -> bool {
        let from = self.at;
        while self.peek() == b' ' {
            self.at += 1;
        }
        self.at > from
    }

    /// Past the line break at `at`.
    fn newline(&mut self) {
        self.at += 1;
        self.line += 1;
        self.line_start = self.at;
    }

    fn skip_to_eol(&mut self) {
        self.at = memchr(b'\n', &self.b[self.at..]).map_or(self.b.len(), |i| self.at + i);
    }

    /// The rest of a line after a value: spaces, a comment after a space, then past the break.
    fn end_line(&mut self) -> Read {
        let spaced = self.skip_spaces();
        match self.peek() {
            0 => return Ok(()),
            b'\n' => {}
            b'#' if spaced => self.skip_to_eol(),
            _ => return Err(Bail),
        }
        if self.peek() == b'\n' {
            self.newline();
        }
        Ok(())
    }

    /// From the start of a line, past empty and comment lines to the first character of the
    /// next line with content: its indentation, or `None` at the end of the text. A document
    /// marker gives up, but for one `---` before any content.
    fn seek(&mut self) -> Read<Option<usize>> {
        loop {
            let start = self.at;
            self.skip_spaces();
            match self.peek() {
                0 => return Ok(None),
                b'\n' => self.newline(),
                b'#' => {
                    self.skip_to_eol();
                    if self.peek() == b'\n' {
                        self.newline();
                    }
                }
                c => {
                    let indent = self.at - start;
                    let rest = &self.b[self.at..];
                    if indent == 0
                        && (rest.starts_with(b"---") || rest.starts_with(b"..."))
                        && matches!(self.byte(self.at + 3), 0 | b' ' | b'\n')
                    {
                        if c == b'-' && !self.started {
                            self.started = true;
                            self.at += 3;
                            self.end_line()?;
                            continue;
                        }
                        return Err(Bail);
                    }
                    self.started = true;
                    return Ok(Some(indent));
                }
            }
        }
    }

    /// Whether a block sequence entry (`-` and a space or the line's end) starts at `at`.
    fn is_entry(&self) -> bool {
        self.peek() == b'-' && matches!(self.byte(self.at + 1), 0 | b' ' | b'\n')
    }

    fn document(&mut self) -> Read {
        if self.seek()? != Some(0) {
            return Err(Bail);
        }
        match self.block_mapping(0)? {
            None => Ok(()),
            Some(_) => Err(Bail),
        }
    }

    /// A block mapping whose first key is at `at`, in column `n`. Returns the indentation of
    /// the line after it (`None`: the end of the text).
    fn block_mapping(&mut self, n: usize) -> Read<Option<usize>> {
        self.emit(Event::MappingStart(0, None), self.span(self.at))?;
        loop {
            let colon = self.block_key()?;
            let next = self.block_value(n, colon)?;
            match next {
                Some(k) if k == n => {}
                Some(k) if k > n => return Err(Bail),
                _ => {
                    self.emit(Event::MappingEnd, self.span(self.at))?;
                    return Ok(next);
                }
            }
        }
    }

    /// A key on one line, up to its `:` (followed by a space or the line's end): emitted,
    /// and `at` left past the `:`. Returns where the `:` is.
    fn block_key(&mut self) -> Read<Span> {
        let start = self.at;
        let span = self.span(start);
        let (text, style) = self.scalar_on_line(false)?;
        self.skip_spaces();
        if self.peek() != b':' || !matches!(self.byte(self.at + 1), 0 | b' ' | b'\n') || self.at - start > KEY_LIMIT {
            return Err(Bail);
        }
        let colon = self.span(self.at);
        self.scalar(text, style, span)?;
        self.at += 1;
        Ok(colon)
    }

    /// A plain or quoted scalar on one line at `at`; `at` is left just past its text.
    fn scalar_on_line(&mut self, flow: bool) -> Read<(Cow<'t, str>, ScalarStyle)> {
        Ok(match self.peek() {
            b'"' => (self.double_quoted()?, ScalarStyle::DoubleQuoted),
            b'\'' => (self.single_quoted()?, ScalarStyle::SingleQuoted),
            _ => {
                let start = self.at;
                let end = self.plain(flow)?;
                let src = self.src;
                (Cow::Borrowed(&src[start..end]), ScalarStyle::Plain)
            }
        })
    }

    /// The value after a block mapping key's `:` (whose place is `colon`), in a mapping at
    /// column `n`. Returns the indentation of the line after it.
    fn block_value(&mut self, n: usize, colon: Span) -> Read<Option<usize>> {
        self.skip_spaces();
        match self.peek() {
            0 | b'\n' | b'#' => {
                // Nothing after the `:` but a comment (spaces before it were skipped).
                self.skip_to_eol();
                if self.peek() == b'\n' {
                    self.newline();
                }
                let next = self.seek()?;
                match next {
                    Some(k) if k > n => {
                        if self.is_entry() {
                            self.block_sequence(k, false)
                        } else {
                            self.block_mapping(k)
                        }
                    }
                    Some(k) if k == n && self.is_entry() => self.block_sequence(n, true),
                    _ => {
                        // No value: an empty plain scalar, where saphyr puts it (the `:`).
                        self.scalar(Cow::Borrowed(""), ScalarStyle::Plain, colon)?;
                        Ok(next)
                    }
                }
            }
            b'|' | b'>' => self.block_scalar(n),
            _ => self.value_on_line(n),
        }
    }

    /// A flow collection, a quoted or a plain scalar that ends its line, in a block at
    /// column `n`. Returns the indentation of the line after it.
    fn value_on_line(&mut self, n: usize) -> Read<Option<usize>> {
        if matches!(self.peek(), b'{' | b'[') {
            self.flow(n)?;
        } else {
            let span = self.span(self.at);
            let (text, style) = self.scalar_on_line(false)?;
            self.scalar(text, style, span)?;
        }
        self.end_line()?;
        self.seek()
    }

    /// A block sequence whose first `-` is at `at`, in column `m`; `indentless` when it
    /// hangs from a key in the same column. Returns the indentation of the line after it.
    fn block_sequence(&mut self, m: usize, indentless: bool) -> Read<Option<usize>> {
        let mut first = true;
        loop {
            let dash = self.span(self.at);
            self.at += 1;
            if !self.skip_spaces() || matches!(self.peek(), 0 | b'\n' | b'#') {
                // An item on the lines below its `-`, or none.
                return Err(Bail);
            }
            if first {
                // saphyr puts an indentless sequence at its first item, another at its `-`.
                let at = if indentless { self.span(self.at) } else { dash };
                self.emit(Event::SequenceStart(0, None), at)?;
                first = false;
            }
            let next = self.item(m)?;
            match next {
                Some(k) if k == m && self.is_entry() => {}
                Some(k) if k > m || (k == m && !indentless) => return Err(Bail),
                _ => {
                    self.emit(Event::SequenceEnd, self.span(self.at))?;
                    return Ok(next);
                }
            }
        }
    }

    /// A block sequence item at `at`, after its `-` in column `m`.
    fn item(&mut self, m: usize) -> Read<Option<usize>> {
        match self.peek() {
            b'-' if self.is_entry() => Err(Bail),
            b'{' | b'[' => self.value_on_line(m),
            b'|' | b'>' => self.block_scalar(m),
            _ => {
                if self.key_ahead()? {
                    // The item's prefix (spaces, `-`, spaces) is ASCII: its column is a byte count.
                    let c = self.at - self.line_start;
                    self.block_mapping(c)
                } else {
                    self.value_on_line(m)
                }
            }
        }
    }

    /// Whether a scalar at `at` is a mapping key (followed by `:` and a space or the line's
    /// end). Reads nothing.
    fn key_ahead(&mut self) -> Read<bool> {
        let start = self.at;
        self.scalar_on_line(false)?;
        self.skip_spaces();
        let key = self.peek() == b':' && matches!(self.byte(self.at + 1), 0 | b' ' | b'\n');
        self.at = start;
        Ok(key)
    }

    /// A plain scalar on one line at `at`, in block or flow context: `at` is left past its
    /// text (trailing spaces are not part of it), and the end of its text returned. A flow
    /// scalar must be followed on its line by what ends it (`,`, a bracket or `:`): one that
    /// runs to the line's end may go on on the next.
    fn plain(&mut self, flow: bool) -> Read<usize> {
        if !plain_start(self.b, self.at) {
            return Err(Bail);
        }
        let mut i = self.at;
        let mut end = i;
        loop {
            let c = self.byte(i);
            match c {
                0 | b'\n' => break,
                b':' if matches!(self.byte(i + 1), 0 | b' ' | b'\n') || (flow && is_flow(self.byte(i + 1))) => break,
                b'#' if i > 0 && self.byte(i - 1) == b' ' => break,
                c if flow && is_flow(c) => break,
                b'-' if flow && is_flow(self.byte(i + 1)) => return Err(Bail),
                b' ' => {}
                _ => end = i + 1,
            }
            i += 1;
        }
        if flow && !matches!(self.byte(i), b',' | b'[' | b']' | b'{' | b'}' | b':') {
            return Err(Bail);
        }
        self.at = end;
        Ok(end)
    }

    /// A single-quoted scalar on one line at `at` (its quote).
    fn single_quoted(&mut self) -> Read<Cow<'t, str>> {
        let start = self.at + 1;
        let mut i = start;
        let mut doubled = false;
        loop {
            match self.byte(i) {
                0 | b'\n' => return Err(Bail),
                b'\'' if self.byte(i + 1) == b'\'' => {
                    doubled = true;
                    i += 2;
                }
                b'\'' => break,
                _ => i += 1,
            }
        }
        let src = self.src;
        let raw = &src[start..i];
        self.at = i + 1;
        self.after_quote()?;
        Ok(if doubled {
            Cow::Owned(raw.replace("''", "'"))
        } else {
            Cow::Borrowed(raw)
        })
    }

    /// A double-quoted scalar on one line at `at` (its quote).
    fn double_quoted(&mut self) -> Read<Cow<'t, str>> {
        let start = self.at + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            match self.byte(i) {
                0 | b'\n' => return Err(Bail),
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                b'"' => break,
                _ => i += 1,
            }
        }
        let src = self.src;
        let raw = src.get(start..i).ok_or(Bail)?;
        self.at = i + 1;
        self.after_quote()?;
        Ok(if escaped {
            Cow::Owned(unescape(raw)?)
        } else {
            Cow::Borrowed(raw)
        })
    }

    /// What may follow a closing quote on its line: spaces, then the line's end, a comment,
    /// `:`, `,` or a closing bracket (saphyr refuses anything else).
    fn after_quote(&self) -> Read {
        let mut i = self.at;
        while self.byte(i) == b' ' {
            i += 1;
        }
        match self.byte(i) {
            0 | b'\n' | b':' | b',' | b']' | b'}' => Ok(()),
            b'#' if i > self.at => Ok(()),
            _ => Err(Bail),
        }
    }

    /// A literal or folded block scalar whose indicator is at `at`, in a block at column `n`:
    /// read line by line as saphyr's `scan_block_scalar` does. Returns the indentation of the
    /// line after it.
    fn block_scalar(&mut self, n: usize) -> Read<Option<usize>> {
        let literal = self.peek() == b'|';
        self.at += 1;
        let chomp = match self.peek() {
            b'-' => Chomp::Strip,
            b'+' => Chomp::Keep,
            _ => Chomp::Clip,
        };
        if chomp != Chomp::Clip {
            self.at += 1;
        }
        let spaced = self.skip_spaces();
        match self.peek() {
            b'\n' => {}
            b'#' if spaced => {
                self.skip_to_eol();
                if self.peek() != b'\n' {
                    return Err(Bail);
                }
            }
            // An indentation indicator, the end of the text, anything else.
            _ => return Err(Bail),
        }
        self.newline();
        self.skip_spaces();
        let indent = self.at - self.line_start;
        if indent <= n || matches!(self.peek(), 0 | b'\n') {
            // Empty lines first, no content, or content not indented past the block.
            return Err(Bail);
        }
        let span = self.span(self.at);
        let mut text = String::new();
        let mut leading_break = false;
        let mut trailing_breaks = 0usize;
        let mut leading_blank = false;
        loop {
            // At the first character of a content line, in column `indent`.
            let trailing_blank = self.peek() == b' ';
            if !literal && leading_break && !leading_blank && !trailing_blank {
                if trailing_breaks == 0 {
                    text.push(' ');
                }
            } else if leading_break {
                text.push('\n');
            }
            text.extend(std::iter::repeat_n('\n', trailing_breaks));
            leading_break = false;
            trailing_breaks = 0;
            leading_blank = trailing_blank;
            let from = self.at;
            self.skip_to_eol();
            text.push_str(&self.src[from..self.at]);
            if self.peek() != b'\n' {
                break;
            }
            leading_break = true;
            self.newline();
            // The next line's indentation, and the empty lines before it.
            loop {
                while self.at - self.line_start < indent && self.peek() == b' ' {
                    self.at += 1;
                }
                if self.peek() != b'\n' {
                    break;
                }
                trailing_breaks += 1;
                self.newline();
            }
            if self.at - self.line_start != indent || self.peek() == 0 {
                break;
            }
        }
        if chomp != Chomp::Strip {
            if leading_break {
                text.push('\n');
            }
            if self.at == self.b.len() && self.at - self.line_start >= indent.max(1) {
                text.push('\n');
            }
        }
        if chomp == Chomp::Keep {
            text.extend(std::iter::repeat_n('\n', trailing_breaks));
        }
        let style = if literal {
            ScalarStyle::Literal
        } else {
            ScalarStyle::Folded
        };
        self.scalar(Cow::Owned(text), style, span)?;
        if self.at == self.b.len() {
            return Ok(None);
        }
        // The less indented line that ended the scalar is read again from its start.
        self.at = self.line_start;
        self.seek()
    }

    /// A flow mapping or sequence at `at` (its bracket), in a block at column `n`: lines it
    /// goes on to must be indented at least two columns past `n`.
    fn flow(&mut self, n: usize) -> Read {
        let map = self.peek() == b'{';
        let (open, close, end) = if map {
            (Event::MappingStart(0, None), b'}', Event::MappingEnd)
        } else {
            (Event::SequenceStart(0, None), b']', Event::SequenceEnd)
        };
        self.emit(open, self.span(self.at))?;
        self.at += 1;
        self.flow_space(n)?;
        if self.peek() == close {
            self.emit(end, self.span(self.at))?;
            self.at += 1;
            return Ok(());
        }
        loop {
            if map {
                let start = self.at;
                let span = self.span(start);
                let (text, style) = self.scalar_on_line(true)?;
                self.skip_spaces();
                if self.peek() != b':' || self.byte(self.at + 1) != b' ' || self.at - start > KEY_LIMIT {
                    return Err(Bail);
                }
                self.scalar(text, style, span)?;
                self.at += 1;
                self.skip_spaces();
                if matches!(self.peek(), b'\n' | b'#') {
                    // The value on a later line.
                    return Err(Bail);
                }
            }
            match self.peek() {
                b'{' | b'[' => self.flow(n)?,
                _ => {
                    let span = self.span(self.at);
                    let (text, style) = self.scalar_on_line(true)?;
                    self.scalar(text, style, span)?;
                }
            }
            self.flow_space(n)?;
            match self.peek() {
                b',' => {
                    self.at += 1;
                    self.flow_space(n)?;
                    if self.peek() == close {
                        // A trailing comma.
                        return Err(Bail);
                    }
                }
                c if c == close => {
                    self.emit(end, self.span(self.at))?;
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(Bail),
            }
        }
    }

    /// Spaces, line breaks and comments inside a flow collection in a block at column `n`.
    fn flow_space(&mut self, n: usize) -> Read {
        let mut new_line = false;
        loop {
            let spaced = self.skip_spaces() || self.at == self.line_start;
            match self.peek() {
                b'\n' => {
                    self.newline();
                    new_line = true;
                }
                b'#' if spaced => self.skip_to_eol(),
                0 | b'#' => return Err(Bail),
                _ => {
                    if new_line && self.at - self.line_start < n + 2 {
                        return Err(Bail);
                    }
                    return Ok(());
                }
            }
        }
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|b| *b == needle)
}

/// The text of a double-quoted scalar's body with its escapes read, as saphyr reads them;
/// an escaped line break (the scalar going on on the next line) is not read here.
fn unescape(raw: &str) -> Read<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = match chars.next().ok_or(Bail)? {
            '0' => '\0',
            'a' => '\x07',
            'b' => '\x08',
            't' => '\t',
            'n' => '\n',
            'v' => '\x0b',
            'f' => '\x0c',
            'r' => '\r',
            'e' => '\x1b',
            ' ' => ' ',
            '"' => '"',
            '/' => '/',
            '\\' => '\\',
            'N' => '\u{85}',
            '_' => '\u{a0}',
            'L' => '\u{2028}',
            'P' => '\u{2029}',
            c => {
                let digits = match c {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => return Err(Bail),
                };
                let mut code = 0u32;
                for _ in 0..digits {
                    code = (code << 4) | chars.next().and_then(|c| c.to_digit(16)).ok_or(Bail)?;
                }
                char::from_u32(code).ok_or(Bail)?
            }
        };
        out.push(escaped);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
