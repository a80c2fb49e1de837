//! Building a `serde_json::Value` and its [`Positions`] from saphyr's events, with the
//! budgets of SPEC §9: alias expansion (nodes and bytes), depth, duplicate keys.

use super::positions::*;
use crate::diag::{Code, Diagnostic, Location};
use saphyr::Scalar;
use saphyr_parser::{Event, Span, Tag};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::collections::HashMap;

/// At most this many nodes may be produced by alias expansion in one file. Program files are
/// small and rarely use anchors at all; a "billion laughs" file hits this in microseconds.
pub const ALIAS_NODE_LIMIT: usize = 10_000;

/// At most this many bytes (scalar text and mapping keys, counted at every alias site) may
/// be copied by alias expansion in one file, and never more than [`ALIAS_SIZE_FACTOR`] times
/// the file's size (SPEC §9): 436 KB of aliases to one large string otherwise expands to
/// gigabytes while staying under the node limit.
pub const ALIAS_BYTE_LIMIT: usize = 8 * 1024 * 1024;

/// See [`ALIAS_BYTE_LIMIT`].
pub const ALIAS_SIZE_FACTOR: usize = 10;

/// Deeper nesting than this is refused (a hostile file of `[[[[...` would otherwise build a
/// value too deep to walk safely).
pub const MAX_DEPTH: usize = 64;

pub(crate) fn pos(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// Builds the value and its positions from parser events.
///
/// Open lists and mappings collect their children on two shared stacks (`items`, `entries`)
/// and become a `Vec` or `Map` of exactly their size when they close: no container grows by
/// doubling, and the stacks are reused from one container to the next.
pub(crate) struct Builder<'f> {
    pub(crate) file: &'f str,
    pub(crate) file_len: usize,
    pub(crate) nodes: Vec<NodePos>,
    pub(crate) stack: Vec<Frame>,
    pub(crate) items: Vec<Value>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) root: Option<Value>,
    /// Anchored nodes, by anchor id: the value, its positions and the bytes it copies,
    /// copied at each alias.
    pub(crate) anchors: HashMap<usize, (Value, Vec<NodePos>, usize)>,
    /// Nodes that alias expansion may still produce.
    pub(crate) alias_budget: usize,
    /// Bytes that alias expansion may still copy.
    pub(crate) alias_bytes: usize,
}

pub(crate) struct Frame {
    pub(crate) map: bool,
    /// Index of the container's own entry in `nodes`.
    pub(crate) start: usize,
    /// Where its children start on `items` or `entries`.
    pub(crate) base: usize,
    pub(crate) anchor: usize,
    /// In a mapping: the key read and waiting for its value, and where it is written.
    pub(crate) key: Option<(String, Pos)>,
}

pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_at: Pos,
    pub(crate) value: Value,
    /// Where the value's block of positions starts.
    pub(crate) block: usize,
}

impl<'f> Builder<'f> {
    pub(crate) fn new(file: &'f str, text_len: usize) -> Builder<'f> {
        Builder {
            file,
            file_len: text_len,
            // About one node per 30 bytes of YAML in program files.
            nodes: Vec::with_capacity(text_len / 24 + 4),
            stack: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            alias_budget: ALIAS_NODE_LIMIT,
            alias_bytes: ALIAS_BYTE_LIMIT.min(text_len.saturating_mul(ALIAS_SIZE_FACTOR)),
        }
    }

    pub(crate) fn error(&self, at: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Code::YamlSyntax, &Location::new(self.file, at.line, at.column), message)
    }

    /// Whether the next node is a mapping key (rather than a value).
    pub(crate) fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                map: true,
                key: None,
                ..
            })
        )
    }

    /// The key position the next value hangs from, if it is a mapping value.
    pub(crate) fn pending_key_at(&self) -> Option<Pos> {
        self.stack.last().and_then(|f| f.key.as_ref()).map(|(_, at)| *at)
    }

    pub(crate) fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Diagnostic> {
        let at = pos(&span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {}
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve(text, style, tag.as_ref())
                    .ok_or_else(|| self.error(at, "this value cannot be read (a malformed scalar for its tag)"))?;
                if self.expects_key() {
                    if anchor > 0 {
                        let bytes = weight(&value);
                        self.anchors
                            .insert(anchor, (value.clone(), vec![NodePos::new(at, None)], bytes));
                    }
                    // A string key is moved in, not copied: most keys are strings.
                    let key = match value {
                        Value::String(s) => s,
                        other => key_text(&other),
                    };
                    self.set_key(key, at);
                    return Ok(());
                }
                let start = self.nodes.len();
                self.nodes.push(NodePos::new(at, self.pending_key_at()));
                if anchor > 0 {
                    let bytes = weight(&value);
                    self.anchors
                        .insert(anchor, (value.clone(), vec![self.nodes[start]], bytes));
                }
                self.attach(value, start);
            }
            Event::Alias(id) => {
                let Some((value, block, bytes)) = self.anchors.get(&id) else {
                    return Err(self.error(at, "this alias names no anchor defined before it"));
                };
                if block.len() > self.alias_budget {
                    return Err(self
                        .error(
                            at,
                            format!(
                                "anchors and aliases expand to more than {ALIAS_NODE_LIMIT} nodes; the file is refused"
                            ),
                        )
                        .with_hint("write the values out, or use fewer nested aliases"));
                }
                if *bytes > self.alias_bytes {
                    let limit = ALIAS_BYTE_LIMIT.min(self.file_len.saturating_mul(ALIAS_SIZE_FACTOR));
                    return Err(self
                        .error(
                            at,
                            format!(
                                "anchors and aliases expand to more than {limit} bytes (8 MiB or ten times the file's size); the file is refused"
                            ),
                        )
                        .with_hint("write the values out, or use fewer aliases to large values"));
                }
                self.alias_budget -= block.len();
                self.alias_bytes -= *bytes;
                let value = value.clone();
                if self.expects_key() {
                    return match value {
                        Value::Array(_) | Value::Object(_) => {
                            Err(self.error(at, "a mapping key must be a plain scalar, not a list or a mapping"))
                        }
                        v => {
                            self.set_key(key_text(&v), at);
                            Ok(())
                        }
                    };
                }
                let start = self.nodes.len();
                let key_at = self.pending_key_at();
                let (_, block, _) = &self.anchors[&id];
                self.nodes.extend_from_slice(block);
                let root = &mut self.nodes[start];
                let size = root.size;
                *root = NodePos {
                    size,
                    ..NodePos::new(at, key_at)
                };
                self.attach(value, start);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.expects_key() {
                    return Err(self.error(at, "a mapping key must be a plain scalar, not a list or a mapping"));
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.error(
                        at,
                        format!("nesting deeper than {MAX_DEPTH} levels; the file is refused"),
                    ));
                }
                let start = self.nodes.len();
                self.nodes.push(NodePos::new(at, self.pending_key_at()));
                let map = matches!(event, Event::MappingStart(..));
                let base = if map { self.entries.len() } else { self.items.len() };
                self.stack.push(Frame {
                    map,
                    start,
                    base,
                    anchor,
                    key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let end = self.nodes.len();
                self.nodes[frame.start].size = clamp32(end - frame.start);
                let value = if frame.map {
                    self.order_entries(frame.base, end);
                    let mut map = Map::with_capacity(self.entries.len() - frame.base);
                    for e in self.entries.drain(frame.base..) {
                        if map.insert(e.key, e.value).is_some() {
                            return Err(Diagnostic::new(
                                Code::DuplicateKey,
                                &Location::new(self.file, e.key_at.line, e.key_at.column),
                                "this key is already set earlier in the same mapping",
                            )
                            .with_hint(
                                "remove one of the two entries; YAML keeps only one and the other would be lost silently",
                            ));
                        }
                    }
                    Value::Object(map)
                } else {
                    Value::Array(self.items.drain(frame.base..).collect())
                };
                if frame.anchor > 0 {
                    let block = self.nodes[frame.start..].to_vec();
                    let bytes = weight(&value);
                    self.anchors.insert(frame.anchor, (value.clone(), block, bytes));
                }
                self.attach(value, frame.start);
            }
        }
        Ok(())
    }

    pub(crate) fn set_key(&mut self, key: String, at: Pos) {
        if let Some(frame) = self.stack.last_mut() {
            frame.key = Some((key, at));
        }
    }

    /// Hangs a finished node (whose positions start at `start`) on its parent.
    pub(crate) fn attach(&mut self, value: Value, start: usize) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(frame) if frame.map => {
                if let Some((key, key_at)) = frame.key.take() {
                    self.entries.push(Entry {
                        key,
                        key_at,
                        value,
                        block: start,
                    });
                }
            }
            Some(_) => self.items.push(value),
        }
    }

    /// Puts the position blocks of the mapping whose entries start at `entries[base]` (in
    /// document order, the last block ending at `end`) in key order, the order
    /// [`Positions::find`] walks them in.
    pub(crate) fn order_entries(&mut self, base: usize, end: usize) {
        let entries = &self.entries[base..];
        if entries.windows(2).all(|w| w[0].key < w[1].key) {
            return;
        }
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by(|a, b| entries[*a].key.cmp(&entries[*b].key));
        let first = entries[0].block;
        let mut sorted = Vec::with_capacity(end - first);
        for i in order {
            let block_end = entries.get(i + 1).map_or(end, |e| e.block);
            sorted.extend_from_slice(&self.nodes[entries[i].block..block_end]);
        }
        self.nodes[first..end].copy_from_slice(&sorted);
    }

    pub(crate) fn finish(self) -> Option<YamlDoc> {
        let value = self.root?;
        Some(YamlDoc {
            value,
            positions: Positions {
                nodes: self.nodes.into_boxed_slice(),
                children: Default::default(),
            },
        })
    }
}

/// A scalar's value under the YAML 1.2 core schema, honouring `!!str` and the other core
/// tags; `None` when the text does not fit its tag (`!!int abc`).
pub(crate) fn resolve(
    text: Cow<'_, str>,
    style: saphyr_parser::ScalarStyle,
    tag: Option<&Cow<'_, Tag>>,
) -> Option<Value> {
    if tag.is_none() && style == saphyr_parser::ScalarStyle::Plain && is_plain_word(&text) {
        return Some(Value::String(owned(text)));
    }
    Scalar::parse_from_cow_and_metadata(text, style, tag).map(scalar_value)
}

/// A resolved scalar as a JSON value.
fn scalar_value(scalar: Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(b),
        Scalar::Integer(i) => Value::Number(i.into()),
        Scalar::FloatingPoint(f) => Number::from_f64(f.into_inner())
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(f.to_string())),
        Scalar::String(s) => Value::String(owned(s)),
    }
}

/// Whether an untagged plain scalar is a string under the core schema by its first letter
/// alone: one that starts with an ASCII letter is a number only if Rust's float parser takes
/// `inf`, `infinity` or `nan`, which the core schema refuses (no digit), and null or a boolean
/// only as one of nine words. Most of a program's scalars (keys, names, emails) are such
/// words, and the core schema's integer and float parsers cost ten times this test.
fn is_plain_word(text: &str) -> bool {
    text.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && !matches!(
            text,
            "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
        )
}

/// The scanner builds text by pushing, so an owned string may hold twice its length; the
/// model keeps millions of them.
fn owned(text: Cow<'_, str>) -> String {
    match text {
        Cow::Owned(mut s) => {
            s.shrink_to_fit();
            s
        }
        Cow::Borrowed(s) => s.to_owned(),
    }
}

/// The bytes an alias to `value` copies: every scalar's text and every mapping key, plus one
/// per node so that aliases to empty values still count. Iterative, and cheap: values this
/// builder makes are at most [`MAX_DEPTH`] deep, and an anchored value is weighed once.
pub(crate) fn weight(value: &Value) -> usize {
    let mut total = 0usize;
    let mut todo = vec![value];
    while let Some(v) = todo.pop() {
        total = total.saturating_add(1);
        match v {
            Value::String(s) => total = total.saturating_add(s.len()),
            Value::Number(_) => total = total.saturating_add(8),
            Value::Array(items) => todo.extend(items),
            Value::Object(map) => {
                for (k, v) in map {
                    total = total.saturating_add(k.len());
                    todo.push(v);
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }
    total
}

/// A mapping key as the JSON key it becomes (`1` → `"1"`, `null` → `"null"`).
pub(crate) fn key_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saphyr_parser::ScalarStyle;

    /// What saphyr's core schema makes of an untagged plain scalar, without the shortcut.
    fn core(text: &str) -> Value {
        scalar_value(Scalar::parse_from_cow_and_metadata(Cow::Borrowed(text), ScalarStyle::Plain, None).unwrap())
    }

    #[test]
    fn a_plain_word_resolves_as_the_core_schema_resolves_it() {
        // Every string of up to three characters from an alphabet of what numbers, nulls and
        // booleans are made of, and the words the core schema and Rust's float parser know.
        let alphabet = [
            "a", "e", "E", "f", "i", "n", "x", "o", "0", "1", "9", ".", "+", "-", "_", "~", " ",
        ];
        let mut texts: Vec<String> = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        for word in [
            "null",
            "Null",
            "NULL",
            "nULL",
            "true",
            "True",
            "TRUE",
            "tRUE",
            "false",
            "False",
            "FALSE",
            "fALSE",
            "inf",
            "Inf",
            "infinity",
            "Infinity",
            "nan",
            "NaN",
            "e1",
            "E10",
            "x1",
            "o7",
            "a1.5",
            "inf1",
            "nan0",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "partner-0001",
            "2026-04-03",
            "0x1f",
            "0o17",
            "1e5",
            "1_000",
        ] {
            texts.push(word.to_string());
        }
        let mut shortcut = 0;
        for text in &texts {
            let got = resolve(Cow::Borrowed(text), ScalarStyle::Plain, None).unwrap();
            assert_eq!(got, core(text), "{text:?}");
            shortcut += usize::from(is_plain_word(text));
        }
        // The shortcut is taken, and not for everything.
        assert!(
            shortcut > 1000 && shortcut < texts.len() / 2,
            "{shortcut} of {}",
            texts.len()
        );
    }
}
