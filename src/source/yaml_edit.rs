//! Format-preserving edits of a program file: add an item to a sequence, or an entry to a
//! mapping, at the place [`super::yaml`] says the node is written, and leave every other
//! byte — comments, blank lines, flow or block style, quoting — as it was (as `toml_edit`
//! does for Cargo.toml). `import --merge` edits partner and product files this way.
//!
//! What is inserted is written by [`flow`], an encoder for YAML flow syntax: keys and values
//! that could read back as something else (a number, a boolean, a date-like or quoted
//! string, anything with a special character) are double-quoted with every control
//! character escaped, so no value can add a line, a key or a document.

use super::yaml::{self, YamlDoc};
use crate::diag::Diagnostic;
use serde_json::Value;
use std::collections::BTreeMap;

/// Why an edit cannot be made in place.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("{file}: `{pointer}` {what}; add it by hand")]
    Unsupported {
        file: String,
        pointer: String,
        what: &'static str,
    },
}

/// A file being edited: the original text, its parsed document, and the insertions so far.
pub struct Editor {
    file: String,
    text: String,
    doc: YamlDoc,
    /// Byte offset of each line's start (line 1 at index 0).
    line_starts: Vec<usize>,
    /// Byte offset → text inserted there, in the order inserted.
    inserts: BTreeMap<usize, String>,
    /// Start offset → (end offset, text) of scalars replaced.
    replaced: BTreeMap<usize, (usize, String)>,
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
            doc,
            line_starts,
            inserts: BTreeMap::new(),
            replaced: BTreeMap::new(),
        })
    }

    /// The document as parsed (before any edit).
    pub fn value(&self) -> &Value {
        &self.doc.value
    }

    /// Whether anything was inserted or replaced.
    pub fn changed(&self) -> bool {
        !self.inserts.is_empty() || !self.replaced.is_empty()
    }

    /// The text with every insertion and replacement made.
    pub fn finish(self) -> String {
        let mut out = String::with_capacity(self.text.len() + 256);
        let mut edits: Vec<(usize, usize, &str)> = self.inserts.iter().map(|(at, t)| (*at, *at, t.as_str())).collect();
        edits.extend(self.replaced.iter().map(|(start, (end, t))| (*start, *end, t.as_str())));
        edits.sort_by_key(|(start, end, _)| (*start, *end));
        let mut last = 0;
        for (start, end, text) in edits {
            out.push_str(&self.text[last..start]);
            out.push_str(text);
            last = end;
        }
        out.push_str(&self.text[last..]);
        out
    }

    fn unsupported(&self, pointer: &str, what: &'static str) -> EditError {
        EditError::Unsupported {
            file: self.file.clone(),
            pointer: pointer.to_string(),
            what,
        }
    }

    fn line(&self, n: usize) -> Option<&str> {
        let start = *self.line_starts.get(n.checked_sub(1)?)?;
        let end = self.line_starts.get(n).copied().unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }

    /// The byte offset of a 1-based line and character column.
    fn offset(&self, line: usize, column: usize) -> usize {
        let start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        let rest = &self.text[start..];
        start
            + rest
                .char_indices()
                .nth(column.saturating_sub(1))
                .map(|(i, _)| i)
                .unwrap_or(rest.len())
    }

    fn insert_at(&mut self, at: usize, text: &str) {
        self.inserts.entry(at).or_default().push_str(text);
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

    /// The offset of the closing bracket of the flow collection opening at `open`.
    fn flow_close(&self, open: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut depth = 0usize;
        let mut i = open;
        while i < bytes.len() {
            match bytes[i] {
                b'[' | b'{' => depth += 1,
                b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(i);
                    }
                }
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        if bytes[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                b'\'' => {
                    i += 1;
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
                }
                b'#' if i > 0 && matches!(bytes[i - 1], b' ' | b'\t') => {
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

    /// Adds `text` as the last entry of the flow collection at `pointer`.
    fn flow_append(&mut self, pointer: &str, open: usize, empty: bool, text: &str) -> Result<(), EditError> {
        let close = self
            .flow_close(open)
            .ok_or_else(|| self.unsupported(pointer, "is a flow collection that does not close"))?;
        if empty {
            self.insert_at(close, text);
        } else {
            let last = self.text[..close].trim_end().len();
            self.insert_at(last, &format!(", {text}"));
        }
        Ok(())
    }

    /// Appends `item` to the sequence at `pointer`, or, when there is none, adds the key with
    /// a sequence of that one item to the mapping above it.
    pub fn push(&mut self, pointer: &str, item: &Value) -> Result<(), EditError> {
        match self.doc.value.pointer(pointer) {
            Some(Value::Array(items)) => {
                let n = items.len();
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
                match self.text.as_bytes().get(open) {
                    Some(b'[') => self.flow_append(pointer, open, n == 0, &flow(item)),
                    Some(b'-') => {
                        let last = self.doc.pos(&format!("{pointer}/{}", n - 1));
                        let end = self.block_end(last.line, at.column);
                        let indent = " ".repeat(at.column.saturating_sub(1));
                        self.insert_line(end, &format!("{indent}- {}\n", flow(item)));
                        Ok(())
                    }
                    _ => Err(self.unsupported(pointer, "is a sequence written in a way partnerctl does not edit")),
                }
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
        // The entry written last, whatever order the mapping keeps its keys in.
        let last_key = map
            .keys()
            .max_by_key(|k| self.doc.key_pos(&format!("{pointer}/{}", escape_segment(k))).line)
            .cloned();
        let at = self.doc.pos(pointer);
        let open = self.offset(at.line, at.column);
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
                    let mut t = format!("{indent}{}:\n", flow_key(key));
                    for i in items {
                        t.push_str(&format!("{indent}  - {}\n", flow(i)));
                    }
                    t
                }
                v => format!("{indent}{}: {}\n", flow_key(key), flow(v)),
            };
            self.insert_line(end, &text);
            Ok(())
        } else {
            let text = format!("{}: {}", flow_key(key), flow(value));
            self.flow_append(pointer, open, map.is_empty(), &text)
        }
    }
}

impl Editor {
    /// Replaces the scalar at `pointer` (which must exist) by `value`, a scalar too. A scalar
    /// written over several lines, or as a block scalar, is refused.
    pub fn set(&mut self, pointer: &str, value: &Value) -> Result<(), EditError> {
        match self.doc.value.pointer(pointer) {
            Some(Value::Array(_) | Value::Object(_)) | None => {
                return Err(self.unsupported(pointer, "is not a scalar"));
            }
            Some(_) => {}
        }
        if matches!(value, Value::Array(_) | Value::Object(_)) {
            return Err(self.unsupported(pointer, "cannot take a collection in place of a scalar"));
        }
        let at = self.doc.pos(pointer);
        let start = self.offset(at.line, at.column);
        let end = self
            .scalar_end(start)
            .ok_or_else(|| self.unsupported(pointer, "is a scalar written in a way partnerctl does not edit"))?;
        if self.inserts.range(start..=end).next().is_some() {
            return Err(self.unsupported(pointer, "was edited already"));
        }
        self.replaced.insert(start, (end, flow(value)));
        Ok(())
    }

    /// The offset just after the scalar that starts at `start`, on its line: a quoted scalar
    /// to its closing quote, a plain one to a comment, a flow indicator or the line's end.
    fn scalar_end(&self, start: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let line_end = self.text[start..].find('\n').map_or(self.text.len(), |i| start + i);
        match bytes.get(start)? {
            b'"' => {
                let mut i = start + 1;
                while i < line_end {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'"' => return Some(i + 1),
                        _ => i += 1,
                    }
                }
                None
            }
            b'\'' => {
                let mut i = start + 1;
                while i < line_end {
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        return Some(i + 1);
                    }
                    i += 1;
                }
                None
            }
            b'|' | b'>' | b'&' | b'*' | b'!' | b'[' | b'{' => None,
            _ => {
                let in_flow = self.text[..start]
                    .rfind(['{', '['])
                    .is_some_and(|open| self.text[..start].rfind('\n').is_none_or(|nl| open > nl));
                let mut end = line_end;
                let rest = &self.text[start..line_end];
                if let Some(i) = rest.find(" #") {
                    end = start + i;
                }
                if in_flow && let Some(i) = rest.find([',', '}', ']']) {
                    end = end.min(start + i);
                }
                let end = start + self.text[start..end].trim_end().len();
                // A plain scalar that goes on on the next line is not edited in place.
                let next = self.text[line_end..].trim_start_matches('\n');
                let line_start = self.text[..start].rfind('\n').map_or(0, |nl| nl + 1);
                let indent = self.text[line_start..start].chars().take_while(|c| *c == ' ').count();
                let continues = !in_flow
                    && next.lines().next().is_some_and(|l| {
                        let t = l.trim_start();
                        !t.is_empty() && !t.starts_with('#') && l.len() - t.len() > indent
                    });
                (!continues && end > start).then_some(end)
            }
        }
    }
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

/// A string as a plain scalar when it reads back as the same string, else double-quoted.
pub fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '/')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
        && s.parse::<f64>().is_err()
        && !s.starts_with("0x")
        && !s.starts_with("0o")
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain { s.to_string() } else { quoted(s) }
}

/// A YAML double-quoted string: `"` and `\` escaped, and every character that is not
/// printable (C0 and C1 controls, DEL, the line and paragraph separators, bidi controls) as
/// `\uXXXX`.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn flow_key(k: &str) -> String {
    scalar(k)
}

/// A value in YAML flow syntax, on one line: `{id: acme-sbx-2, created: 2026-01-12}`.
pub fn flow(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s),
        Value::Array(a) => format!("[{}]", a.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{}: {}", flow_key(k), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PARTNER: &str = "# a partner\nspec:\n  stage: live   # why\n  subscriptions:\n    - {product: a, plan: p, environment: sandbox}\n    # the next one is new\n  credentials:\n    - {id: x-1, environment: sandbox,\n       secretRef: \"vault://x/1\"}\n\n  # trailing comment\nother: [a, b]\nempty: []\nmap: {k: v}\n";

    #[test]
    fn inserts_keep_everything_else() {
        let mut e = Editor::new("p.yaml", PARTNER).unwrap();
        e.push("/spec/credentials", &json!({"id": "x-2", "created": "2026-01-02"}))
            .unwrap();
        e.push("/spec/subscriptions", &json!({"product": "b"})).unwrap();
        e.push("/other", &json!("c")).unwrap();
        e.push("/empty", &json!("1.0")).unwrap();
        e.insert("/map", "n", &json!(1)).unwrap();
        e.push("/spec/agreements", &json!({"terms": "t"})).unwrap();
        let out = e.finish();
        assert_eq!(
            out,
            "# a partner\nspec:\n  stage: live   # why\n  subscriptions:\n    - {product: a, plan: p, environment: sandbox}\n    - {product: b}\n    # the next one is new\n  credentials:\n    - {id: x-1, environment: sandbox,\n       secretRef: \"vault://x/1\"}\n    - {id: x-2, created: 2026-01-02}\n  agreements:\n    - {terms: t}\n\n  # trailing comment\nother: [a, b, c]\nempty: [\"1.0\"]\nmap: {k: v, \"n\": 1}\n"
        );
        let doc = yaml::parse("p.yaml", out.as_bytes()).unwrap();
        assert_eq!(doc.value["spec"]["credentials"][1]["created"], "2026-01-02");
    }

    #[test]
    fn block_lists_of_mappings_new_keys_and_what_is_refused() {
        let text = "metadata:\n  name: a\nspec:\n  plans:\n  - name: p\n    environments: [sandbox]\n  # end of plans\n  empty:\n";
        let mut e = Editor::new("p.yaml", text).unwrap();
        e.insert("/metadata", "labels", &json!({"kong-consumer": "A_b"}))
            .unwrap();
        e.push("/spec/plans", &json!({"name": "q"})).unwrap();
        e.push("/spec/plans/0/environments", &json!("production")).unwrap();
        assert!(e.push("/spec/empty", &json!(1)).is_err(), "a null is not a list");
        assert!(
            e.insert("/metadata", "name", &json!("b")).is_err(),
            "an existing key is not replaced"
        );
        assert_eq!(
            e.finish(),
            "metadata:\n  name: a\n  labels: {kong-consumer: A_b}\nspec:\n  plans:\n  - name: p\n    environments: [sandbox, production]\n  - {name: q}\n  # end of plans\n  empty:\n"
        );
    }

    #[test]
    fn an_entry_after_an_indentless_sequence_goes_after_its_items() {
        let text = "spec:\n  history:\n  - stage: registered\n    date: 2026-11-01\n  agreements:\n  - terms: t\n    version: '1'\n";
        let mut e = Editor::new("p.yaml", text).unwrap();
        e.push("/spec/agreements", &json!({"terms": "u"})).unwrap();
        e.push("/spec/subscriptions", &json!({"product": "a"})).unwrap();
        let out = e.finish();
        assert_eq!(
            out,
            "spec:\n  history:\n  - stage: registered\n    date: 2026-11-01\n  agreements:\n  - terms: t\n    version: '1'\n  - {terms: u}\n  subscriptions:\n    - {product: a}\n"
        );
        yaml::parse("p.yaml", out.as_bytes()).unwrap();
    }

    #[test]
    fn scalars_are_replaced_in_place() {
        let text = "spec:\n  stage: sandbox   # why\n  name: \"a b\"\n  m: {k: v, j: w}\n  long: a\n    b\n";
        let mut e = Editor::new("p.yaml", text).unwrap();
        e.set("/spec/stage", &json!("production_requested")).unwrap();
        e.set("/spec/name", &json!("c: d")).unwrap();
        e.set("/spec/m/k", &json!("x")).unwrap();
        assert!(e.set("/spec/long", &json!("z")).is_err(), "a multi-line plain scalar");
        assert!(e.set("/spec/m", &json!("z")).is_err(), "a mapping");
        assert_eq!(
            e.finish(),
            "spec:\n  stage: production_requested   # why\n  name: \"c: d\"\n  m: {k: x, j: w}\n  long: a\n    b\n"
        );
    }

    #[test]
    fn values_cannot_escape_their_scalar() {
        assert_eq!(scalar("acme-sbx-1"), "acme-sbx-1");
        assert_eq!(scalar("1234567890"), "\"1234567890\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("a: b\n- c"), "\"a: b\\u000a- c\"");
        assert_eq!(scalar("vault://x/y"), "\"vault://x/y\"");
        let v = flow(&json!({"k\n": "\u{85}\"#"}));
        let doc = yaml::parse("x", format!("m: {v}\n").as_bytes()).unwrap();
        assert_eq!(doc.value["m"]["k\n"], "\u{85}\"#");
    }
}
