//! Format-preserving edits of a program file: add an item to a sequence, an entry to a
//! mapping, set a scalar, remove a sequence item — each at the place [`super::yaml`] says the
//! node is written — and leave every other byte (comments, blank lines, flow or block style,
//! quoting, key order) as it was, as `toml_edit` does for Cargo.toml. Every command that
//! edits a program file goes through it: `import --merge`, requests and the lifecycle
//! commands.
//!
//! What is written is encoded by [`crate::encode::yaml`] ([`flow`], [`scalar`]), so no value
//! can add a line, a key or a document. A new item takes the style of its siblings (a flow
//! `{…}` line after flow items, a block mapping after block mappings).
//!
//! The editor keeps the document it expects the edited text to read back as. [`Editor::finish`]
//! parses the result and refuses it unless it reads back as exactly that document: whatever
//! the editor cannot change in place (an anchor, a block scalar, a multi-line plain scalar, a
//! sequence written on one line with its parent) is refused, never rewritten.

use super::yaml::{self, YamlDoc};
use crate::diag::Diagnostic;
use crate::encode::yaml::{flow, scalar};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Why an edit cannot be made in place.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("{file}: `{pointer}` {what}, so it is not edited in place; change it by hand")]
    Unsupported {
        file: String,
        pointer: String,
        what: &'static str,
    },
}

/// One change to the text: the bytes `start..end` replaced by `text` (an insertion when
/// they are equal). Edits at one offset keep the order they were made in.
#[derive(Debug, Clone)]
struct Change {
    start: usize,
    end: usize,
    text: String,
}

/// A file being edited: the original text, its parsed document, the changes so far and the
/// document the result must read back as.
pub struct Editor {
    file: String,
    text: String,
    doc: YamlDoc,
    /// Byte offset of each line's start (line 1 at index 0).
    line_starts: Vec<usize>,
    changes: Vec<Change>,
    /// Sequence (pointer into the original document) → the original indices removed from it.
    removed: BTreeMap<String, BTreeSet<usize>>,
    /// The document as it must read back once every change is made.
    expected: Value,
}

impl Editor {
    /// Parses `text`; a file that does not parse is not edited.
    pub fn new(file: &str, text: &str) -> Result<Editor, Diagnostic> {
        let doc = yaml::parse(file, text.as_bytes())?;
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        Ok(Editor {
            file: file.to_string(),
            text: text.to_string(),
            expected: doc.value.clone(),
            doc,
            line_starts,
            changes: Vec::new(),
            removed: BTreeMap::new(),
        })
    }

    /// The document as parsed (before any edit).
    pub fn value(&self) -> &Value {
        &self.doc.value
    }

    /// The document as it will read once every edit is made.
    pub fn expected(&self) -> &Value {
        &self.expected
    }

    /// Whether anything was changed.
    pub fn changed(&self) -> bool {
        !self.changes.is_empty() || !self.removed.is_empty()
    }

    /// The text with every edit made, once it is confirmed to read back as the document the
    /// edits describe; anything else is refused.
    pub fn finish(mut self) -> Result<String, EditError> {
        let removed = std::mem::take(&mut self.removed);
        for (seq, indices) in &removed {
            self.removal_changes(seq, indices)?;
        }
        let mut changes = std::mem::take(&mut self.changes);
        // Stable: insertions at one offset stay in the order they were made.
        changes.sort_by_key(|c| c.start);
        let mut out = String::with_capacity(self.text.len() + 256);
        let mut last = 0;
        for c in &changes {
            if c.start < last {
                return Err(self.unsupported("", "would need two edits of the same text"));
            }
            out.push_str(&self.text[last..c.start]);
            out.push_str(&c.text);
            last = c.end;
        }
        out.push_str(&self.text[last..]);
        match yaml::parse(&self.file, out.as_bytes()) {
            Ok(doc) if doc.value == self.expected => Ok(out),
            _ => Err(self.unsupported("", "is written in a way the edit cannot keep")),
        }
    }

    fn unsupported(&self, pointer: &str, what: &'static str) -> EditError {
        EditError::Unsupported {
            file: self.file.clone(),
            pointer: if pointer.is_empty() {
                "/".into()
            } else {
                pointer.to_string()
            },
            what,
        }
    }

    fn line(&self, n: usize) -> Option<&str> {
        let start = *self.line_starts.get(n.checked_sub(1)?)?;
        let end = self.line_starts.get(n).copied().unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }

    fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    /// The byte offset of a 1-based line and character column.
    fn offset(&self, line: usize, column: usize) -> usize {
        let start = self.line_start(line);
        let rest = &self.text[start..];
        start
            + rest
                .char_indices()
                .nth(column.saturating_sub(1))
                .map(|(i, _)| i)
                .unwrap_or(rest.len())
    }

    /// The offset where the node at `pointer` (of the original document) is written.
    fn node_offset(&self, pointer: &str) -> usize {
        let at = self.doc.pos(pointer);
        self.offset(at.line, at.column)
    }

    fn insert_at(&mut self, at: usize, text: &str) {
        self.changes.push(Change {
            start: at,
            end: at,
            text: text.to_string(),
        });
    }

    /// The offset just after the last line of the block node whose first line is `line` and
    /// whose indicator stands at `column`: the following lines indented deeper (and blank and
    /// comment lines between them) belong to it.
    fn block_end(&self, line: usize, column: usize) -> usize {
        let mut end = line;
        let mut n = line + 1;
        while let Some(l) = self.line(n) {
            let t = l.trim_start();
            if !(t.is_empty() || t.starts_with('#')) {
                let indent = l.chars().take_while(|c| *c == ' ').count();
                if indent < column {
                    break;
                }
                end = n;
            }
            n += 1;
        }
        self.line_starts.get(end).copied().unwrap_or(self.text.len())
    }

    /// The offset just after a mapping entry whose key stands at `column` of `line`: its
    /// value's lines are indented deeper, or, for a sequence written without indentation
    /// (`key:` then `- item` in the key's column, as the YAML serializer writes), start with
    /// the dash in the key's column.
    fn entry_end(&self, line: usize, column: usize) -> usize {
        let mut end = line;
        let mut n = line + 1;
        while let Some(l) = self.line(n) {
            let t = l.trim_start();
            if !(t.is_empty() || t.starts_with('#')) {
                let indent = l.chars().take_while(|c| *c == ' ').count();
                let item = indent + 1 == column && (t == "-" || t.starts_with("- "));
                if indent < column && !item {
                    break;
                }
                end = n;
            }
            n += 1;
        }
        self.line_starts.get(end).copied().unwrap_or(self.text.len())
    }

    /// Inserts at a line start, after a newline if the file does not end with one.
    fn insert_line(&mut self, at: usize, text: &str) {
        if at == self.text.len() && !self.text.is_empty() && !self.text.ends_with('\n') {
            self.insert_at(at, &format!("\n{text}"));
        } else {
            self.insert_at(at, text);
        }
    }

    /// From `from`, the offset of the first `,` or closing bracket outside quotes and nested
    /// brackets: the end of a flow item (or, from an opening bracket, its closing one).
    fn flow_scan(&self, from: usize, stop_at_comma: bool) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut depth = 0usize;
        let mut i = from;
        while i < bytes.len() {
            match bytes[i] {
                b'[' | b'{' => depth += 1,
                b']' | b'}' => {
                    if depth == 0 {
                        return stop_at_comma.then_some(i);
                    }
                    depth -= 1;
                    if depth == 0 && !stop_at_comma {
                        return Some(i);
                    }
                }
                b',' if depth == 0 && stop_at_comma => return Some(i),
                b'"' => i = skip_double_quoted(bytes, i),
                b'\'' => i = skip_single_quoted(bytes, i),
                b'#' if i > 0 && matches!(bytes[i - 1], b' ' | b'\t' | b'\n') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Adds `text` as the last entry of the flow collection opening at `open`.
    fn flow_append(&mut self, pointer: &str, open: usize, empty: bool, text: &str) -> Result<(), EditError> {
        let close = self
            .flow_scan(open, false)
            .ok_or_else(|| self.unsupported(pointer, "is a flow collection that does not close"))?;
        if empty {
            let inside = self.text[open + 1..close].trim_end().len();
            self.insert_at(open + 1 + inside, text);
        } else {
            let last = self.text[..close].trim_end().len();
            self.insert_at(last, &format!(", {text}"));
        }
        Ok(())
    }

    /// The pointer into [`Editor::expected`] of a node given by its pointer into the original
    /// document (items removed before it shift its index); `None` for a removed node.
    fn current(&self, pointer: &str) -> Option<String> {
        let mut original = String::new();
        let mut now = String::new();
        for seg in pointer.split('/').skip(1) {
            let mapped = match (self.removed.get(&original), seg.parse::<usize>()) {
                (Some(gone), Ok(i)) => {
                    if gone.contains(&i) {
                        return None;
                    }
                    (i - gone.range(..i).count()).to_string()
                }
                _ => seg.to_string(),
            };
            original.push('/');
            original.push_str(seg);
            now.push('/');
            now.push_str(&mapped);
        }
        Some(now)
    }

    fn expected_at(&mut self, pointer: &str) -> Result<&mut Value, EditError> {
        let now = self
            .current(pointer)
            .ok_or_else(|| self.unsupported(pointer, "was removed by this change"))?;
        let err = self.unsupported(pointer, "does not exist");
        self.expected.pointer_mut(&now).ok_or(err)
    }

    /// Appends `item` to the sequence at `pointer`, or, when there is none, adds the key with
    /// a sequence of that one item to the mapping above it.
    pub fn push(&mut self, pointer: &str, item: &Value) -> Result<(), EditError> {
        match self.doc.value.pointer(pointer) {
            Some(Value::Array(items)) => {
                let n = items.len();
                if n > 0 && self.removed.get(pointer).is_some_and(|r| r.len() == n) {
                    return Err(self.unsupported(pointer, "had every item removed by this change"));
                }
                let mut at = self.doc.pos(pointer);
                // An indentless list (`plans:` then `- name: …` in the key's column, as the
                // YAML serializer writes) is placed at its first item: its dash is the only
                // thing before that on the line.
                if let Some(line) = self.line(at.line) {
                    let before: String = line.chars().take(at.column.saturating_sub(1)).collect();
                    if before.trim() == "-" {
                        at.column = before.chars().position(|c| c == '-').unwrap_or(0) + 1;
                    }
                }
                let open = self.offset(at.line, at.column);
                // Empty as the edit leaves it so far: a second item pushed onto `[]` follows
                // the first one with a comma.
                let now_empty = self
                    .current(pointer)
                    .and_then(|now| self.expected.pointer(&now))
                    .and_then(Value::as_array)
                    .map_or(n == 0, Vec::is_empty);
                match self.text.as_bytes().get(open) {
                    Some(b'[') => self.flow_append(pointer, open, now_empty, &flow(item))?,
                    Some(b'-') => {
                        let last_ptr = format!("{pointer}/{}", n - 1);
                        let last = self.doc.pos(&last_ptr);
                        let end = self.block_end(last.line, at.column);
                        let indent = " ".repeat(at.column.saturating_sub(1));
                        let last_is_block_map = matches!(items[n - 1], Value::Object(ref o) if !o.is_empty())
                            && self.text.as_bytes().get(self.node_offset(&last_ptr)) != Some(&b'{');
                        let text = match item {
                            Value::Object(o) if last_is_block_map && !o.is_empty() => {
                                // Keys where the last item's keys stand.
                                let inner = " ".repeat(last.column.saturating_sub(1));
                                let mut t = String::new();
                                for (i, (k, v)) in o.iter().enumerate() {
                                    let lead = if i == 0 { format!("{indent}- ") } else { inner.clone() };
                                    let pad = " ".repeat((last.column.saturating_sub(1)).saturating_sub(lead.len()));
                                    t.push_str(&format!("{lead}{pad}{}: {}\n", scalar(k), flow(v)));
                                }
                                t
                            }
                            _ => format!("{indent}- {}\n", flow(item)),
                        };
                        self.insert_line(end, &text);
                    }
                    _ => {
                        return Err(
                            self.unsupported(pointer, "is a sequence written in a way partnerctl does not edit")
                        );
                    }
                }
                match self.expected_at(pointer)? {
                    Value::Array(a) => a.push(item.clone()),
                    _ => return Err(self.unsupported(pointer, "is not a sequence")),
                }
                Ok(())
            }
            Some(_) => Err(self.unsupported(pointer, "is not a sequence")),
            None => {
                let (parent, key) = split_pointer(pointer);
                self.insert(&parent, &key, &Value::Array(vec![item.clone()]))
            }
        }
    }

    /// Adds `key: value` as the last entry of the mapping at `pointer` (which must exist).
    pub fn insert(&mut self, pointer: &str, key: &str, value: &Value) -> Result<(), EditError> {
        let Some(Value::Object(map)) = self.doc.value.pointer(pointer) else {
            return Err(self.unsupported(pointer, "is not a mapping"));
        };
        if map.contains_key(key) {
            return Err(self.unsupported(pointer, "already has that key"));
        }
        let empty = map.is_empty();
        // The entry written last, whatever order the mapping keeps its keys in.
        let last_key = map
            .keys()
            .max_by_key(|k| self.doc.key_pos(&format!("{pointer}/{}", escape_segment(k))).line)
            .cloned();
        let open = self.node_offset(pointer);
        if pointer.is_empty() || self.text.as_bytes().get(open) != Some(&b'{') {
            let Some(last_key) = last_key else {
                return Err(self.unsupported(pointer, "is an empty mapping"));
            };
            let child = format!("{pointer}/{}", escape_segment(&last_key));
            let key_at = self.doc.key_pos(&child);
            let end = self.entry_end(key_at.line, key_at.column);
            let indent = " ".repeat(key_at.column.saturating_sub(1));
            let text = match value {
                Value::Array(items) if !items.is_empty() => {
                    let mut t = format!("{indent}{}:\n", scalar(key));
                    for i in items {
                        t.push_str(&format!("{indent}  - {}\n", flow(i)));
                    }
                    t
                }
                v => format!("{indent}{}: {}\n", scalar(key), flow(v)),
            };
            self.insert_line(end, &text);
        } else {
            let text = format!("{}: {}", scalar(key), flow(value));
            self.flow_append(pointer, open, empty, &text)?;
        }
        match self.expected_at(pointer)? {
            Value::Object(o) => {
                o.insert(key.to_string(), value.clone());
            }
            _ => return Err(self.unsupported(pointer, "is not a mapping")),
        }
        Ok(())
    }

    /// Replaces the scalar at `pointer` (which must exist) by `value`, a scalar too.
    pub fn set(&mut self, pointer: &str, value: &Value) -> Result<(), EditError> {
        match self.doc.value.pointer(pointer) {
            None => return Err(self.unsupported(pointer, "does not exist")),
            Some(Value::Array(_) | Value::Object(_)) => return Err(self.unsupported(pointer, "is not a single value")),
            Some(_) => {}
        }
        if matches!(value, Value::Array(_) | Value::Object(_)) {
            return Err(self.unsupported(pointer, "would become a collection"));
        }
        let start = self.node_offset(pointer);
        let bytes = self.text.as_bytes();
        let end = match bytes.get(start) {
            Some(b'"') => skip_double_quoted(bytes, start) + 1,
            Some(b'\'') => skip_single_quoted(bytes, start) + 1,
            Some(b'|' | b'>') => return Err(self.unsupported(pointer, "is a block scalar")),
            Some(b'&' | b'*' | b'!') => return Err(self.unsupported(pointer, "has an anchor, alias or tag")),
            Some(_) => {
                let (parent, _) = split_pointer(pointer);
                let in_flow = matches!(bytes.get(self.node_offset(&parent)), Some(b'{' | b'['));
                let mut i = start;
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    if matches!(bytes[i], b' ' | b'\t') && bytes.get(i + 1) == Some(&b'#') {
                        break;
                    }
                    if in_flow && matches!(bytes[i], b',' | b']' | b'}') {
                        break;
                    }
                    i += 1;
                }
                start + self.text[start..i].trim_end().len()
            }
            None => return Err(self.unsupported(pointer, "is not written in the file")),
        };
        if end > bytes.len() || end <= start {
            return Err(self.unsupported(pointer, "is not written in the file"));
        }
        self.changes.push(Change {
            start,
            end,
            text: flow(value),
        });
        *self.expected_at(pointer)? = value.clone();
        Ok(())
    }

    /// Removes the item at `pointer` (`/spec/subscriptions/2`) from its sequence. A block
    /// sequence left with no item becomes `[]`.
    pub fn remove(&mut self, pointer: &str) -> Result<(), EditError> {
        let (seq, index) = split_pointer(pointer);
        let Ok(index) = index.parse::<usize>() else {
            return Err(self.unsupported(pointer, "is not a sequence item"));
        };
        match self.doc.value.pointer(&seq) {
            Some(Value::Array(items)) if index < items.len() => {}
            _ => return Err(self.unsupported(pointer, "is not a sequence item")),
        }
        let now = self
            .current(pointer)
            .ok_or_else(|| self.unsupported(pointer, "was removed by this change"))?;
        let (now_seq, now_index) = split_pointer(&now);
        let i: usize = now_index.parse().unwrap_or(usize::MAX);
        match self.expected.pointer_mut(&now_seq) {
            Some(Value::Array(a)) if i < a.len() => {
                a.remove(i);
            }
            _ => return Err(self.unsupported(pointer, "does not exist")),
        }
        self.removed.entry(seq).or_default().insert(index);
        Ok(())
    }

    /// The text changes that remove `indices` from the sequence at `seq`.
    fn removal_changes(&mut self, seq: &str, indices: &BTreeSet<usize>) -> Result<(), EditError> {
        let n = match self.doc.value.pointer(seq) {
            Some(Value::Array(a)) => a.len(),
            _ => return Err(self.unsupported(seq, "is not a sequence")),
        };
        let item = |i: usize| format!("{seq}/{i}");
        let open = self.node_offset(seq);
        if self.text.as_bytes().get(open) == Some(&b'[') {
            // Each run of removed items goes with the separator after it, or, at the end of
            // the list, with the separator before it.
            let mut i = 0;
            while i < n {
                if !indices.contains(&i) {
                    i += 1;
                    continue;
                }
                let first = i;
                while i < n && indices.contains(&i) {
                    i += 1;
                }
                let last = i - 1;
                let start_of = |e: &Editor, k: usize| e.node_offset(&item(k));
                let end_of = |e: &Editor, k: usize| -> Result<usize, EditError> {
                    let s = start_of(e, k);
                    let stop = e
                        .flow_scan(s, true)
                        .ok_or_else(|| e.unsupported(&item(k), "is a flow item that does not end"))?;
                    Ok(s + e.text[s..stop].trim_end().len())
                };
                let (start, end) = if last + 1 < n {
                    (start_of(self, first), start_of(self, last + 1))
                } else if first > 0 {
                    let prev = start_of(self, first - 1);
                    let comma = self
                        .flow_scan(prev, true)
                        .ok_or_else(|| self.unsupported(&item(first - 1), "is a flow item that does not end"))?;
                    (comma, end_of(self, last)?)
                } else {
                    (start_of(self, first), end_of(self, last)?)
                };
                self.changes.push(Change {
                    start,
                    end,
                    text: String::new(),
                });
            }
            return Ok(());
        }
        for &i in indices {
            let at = self.doc.pos(&item(i));
            let line = self.line(at.line).unwrap_or("");
            let before: String = line.chars().take(at.column.saturating_sub(1)).collect();
            let dash = before.trim_end();
            // Only an item whose dash starts its line is removed with its lines.
            if !(dash.ends_with('-') && dash.trim_start() == "-") {
                return Err(self.unsupported(&item(i), "does not start its own line"));
            }
            let dash_column = dash.chars().count();
            let start = self.line_start(at.line);
            let end = self.block_end(at.line, dash_column);
            self.changes.push(Change {
                start,
                end,
                text: String::new(),
            });
        }
        if indices.len() == n {
            // No item left: the key says `[]` rather than nothing, which would read as null.
            let key_at = self.doc.key_pos(seq);
            if key_at == self.doc.pos(seq) {
                return Err(self.unsupported(seq, "has no key to hold an empty list"));
            }
            let from = self.offset(key_at.line, key_at.column);
            let line_end = self.text[from..].find('\n').map_or(self.text.len(), |e| from + e);
            let colon = self.text[from..line_end]
                .match_indices(':')
                .map(|(i, _)| from + i)
                .find(|&c| {
                    matches!(
                        self.text.as_bytes().get(c + 1),
                        None | Some(b' ' | b'\n' | b'\r' | b'\t')
                    )
                })
                .ok_or_else(|| self.unsupported(seq, "has a key partnerctl cannot find"))?;
            self.insert_at(colon + 1, " []");
        }
        Ok(())
    }
}

/// The offset of the closing quote of the double-quoted scalar opening at `open`.
fn skip_double_quoted(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < bytes.len() && bytes[i] != b'"' {
        if bytes[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    i
}

/// The offset of the closing quote of the single-quoted scalar opening at `open`.
fn skip_single_quoted(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 1;
            } else {
                break;
            }
        }
        i += 1;
    }
    i
}

fn split_pointer(pointer: &str) -> (String, String) {
    match pointer.rsplit_once('/') {
        Some((parent, key)) => (parent.to_string(), key.replace("~1", "/").replace("~0", "~")),
        None => (String::new(), pointer.to_string()),
    }
}

fn escape_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests;
