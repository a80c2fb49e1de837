//! YAML → JSON with positions.
//!
//! A file is read event by event with `saphyr-parser` and turned straight into a
//! `serde_json::Value` (what the JSON schemas and the typed spec are checked against) plus
//! [`Positions`]: the line and column of every node and of every mapping key, so that any
//! finding, from a schema error to a semantic check, can point at the exact node. Scalars are
//! resolved with saphyr's YAML 1.2 core schema (`2026-01-04` stays a string, `"1.0"` stays a
//! string, `1.0` is a number). Duplicate keys, unbounded alias expansion, deep nesting and
//! files with more than one document are refused with the line they are on.
//!
//! Building the value from events, rather than through saphyr's `MarkedYaml` tree, skips a
//! whole intermediate tree per file; on 10,000 partner files that tree cost more than the
//! scanner itself.

use crate::diag::{Code, Diagnostic, Location};
use saphyr::Scalar;
use saphyr_parser::{Event, Parser, ScanError, Span, Tag};
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

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// Where each node of a document stands in its file, looked up by JSON pointer
/// (`/spec/contacts/0/email`) along the document itself (see [`Tree`]).
///
/// One flat array per document, 16 bytes per node, in document pre-order with each
/// mapping's entries ordered by key: a 10,000-partner program has more than a million nodes,
/// findings need the positions of only a handful, and the keys are already in the document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Positions {
    nodes: Box<[NodePos]>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct NodePos {
    line: u32,
    /// Line of the key leading to this node; 0 for list items and the root.
    key_line: u32,
    /// Nodes in this node's subtree, itself included: how far to skip to its next sibling.
    size: u32,
    column: u16,
    key_column: u16,
}

impl NodePos {
    fn new(at: Pos, key_at: Option<Pos>) -> NodePos {
        let key = key_at.unwrap_or_default();
        NodePos {
            line: clamp32(at.line),
            key_line: clamp32(key.line),
            size: 1,
            column: clamp16(at.column),
            key_column: clamp16(key.column),
        }
    }

    fn at(&self) -> Pos {
        Pos {
            line: self.line as usize,
            column: self.column as usize,
        }
    }

    fn key_at(&self) -> Option<Pos> {
        (self.key_line > 0).then_some(Pos {
            line: self.key_line as usize,
            column: self.key_column as usize,
        })
    }
}

fn clamp32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Columns past 65,535 are recorded as 65,535 (the line is still exact).
fn clamp16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// A document that [`Positions`] can be followed along: `serde_json::Value` as parsed, or the
/// policy engine's value the model keeps.
pub trait Tree {
    /// The child a JSON-pointer segment leads to, with its place among its siblings in the
    /// order positions keep them: list items by index, mapping entries by key (byte order).
    fn child(&self, segment: &str) -> Option<(usize, &Self)>;
}

impl Tree for Value {
    fn child(&self, segment: &str) -> Option<(usize, &Value)> {
        match self {
            Value::Array(items) => {
                let i: usize = segment.parse().ok()?;
                items.get(i).map(|v| (i, v))
            }
            Value::Object(map) => {
                let v = map.get(segment)?;
                Some((map.keys().filter(|k| k.as_str() < segment).count(), v))
            }
            _ => None,
        }
    }
}

impl Positions {
    /// The node at `pointer`, or the nearest ancestor that exists, and whether it was exact.
    fn find<T: Tree + ?Sized>(&self, tree: &T, pointer: &str) -> (Option<&NodePos>, bool) {
        let mut index = 0;
        let mut node = tree;
        if pointer.is_empty() {
            return (self.nodes.first(), true);
        }
        for raw in pointer.split('/').skip(1) {
            let segment: Cow<str> = if raw.contains('~') {
                raw.replace("~1", "/").replace("~0", "~").into()
            } else {
                raw.into()
            };
            let Some((rank, child)) = node.child(&segment) else {
                return (self.nodes.get(index), false);
            };
            let mut at = index + 1;
            for _ in 0..rank {
                match self.nodes.get(at) {
                    Some(sibling) => at += sibling.size.max(1) as usize,
                    None => break,
                }
            }
            if at >= self.nodes.len() {
                // The document and its positions disagree; stay on the last known node.
                return (self.nodes.get(index), false);
            }
            index = at;
            node = child;
        }
        (self.nodes.get(index), true)
    }

    /// The position of the node at `pointer` in `tree`, or of its nearest ancestor.
    pub fn value<T: Tree + ?Sized>(&self, tree: &T, pointer: &str) -> Pos {
        match self.find(tree, pointer).0.map(NodePos::at) {
            Some(p) if p.line > 0 => p,
            _ => Pos { line: 1, column: 1 },
        }
    }

    /// The position of the key that leads to `pointer` (`/spec/foo` → where `foo:` is
    /// written), falling back to the value's position.
    pub fn key<T: Tree + ?Sized>(&self, tree: &T, pointer: &str) -> Pos {
        match self.find(tree, pointer) {
            (Some(node), true) => node.key_at().unwrap_or_else(|| self.value(tree, pointer)),
            _ => self.value(tree, pointer),
        }
    }
}

/// One parsed YAML document.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlDoc {
    pub value: Value,
    pub positions: Positions,
}

impl YamlDoc {
    /// Where the node at `pointer` is written (or its nearest ancestor).
    pub fn pos(&self, pointer: &str) -> Pos {
        self.positions.value(&self.value, pointer)
    }

    /// Where the key leading to `pointer` is written.
    pub fn key_pos(&self, pointer: &str) -> Pos {
        self.positions.key(&self.value, pointer)
    }
}

/// Parses one file that must hold exactly one YAML document. Problems come back as
/// `yaml-syntax` or `duplicate-key` findings naming the file and line.
// A finding is the error, once per file at most: its size (grown with `exception`) costs nothing.
pub fn parse(file: &str, bytes: &[u8]) -> Result<YamlDoc, Diagnostic> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            let column = valid.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            return Err(Diagnostic::new(
                Code::YamlSyntax,
                &Location::new(file, line, column),
                format!("the file is not UTF-8 (invalid byte at offset {})", e.valid_up_to()),
            )
            .with_hint("save the file as UTF-8"));
        }
    };
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(
            Diagnostic::new(Code::YamlSyntax, &Location::file_start(file), "the file is empty")
                .with_hint("a program file holds one document with apiVersion, kind, metadata and spec"),
        );
    }

    let mut builder = Builder::new(file, text.len());
    let mut parser = Parser::new_from_str(text);
    let mut documents = 0usize;
    let mut second_at = None;
    let mut failed = None;
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| scan_error(file, &e))?;
        if let Event::DocumentStart(_) = event {
            documents += 1;
            if documents == 2 {
                second_at = Some(pos(&span));
            }
            continue;
        }
        // After the first document, or after a problem, only read on to find syntax errors
        // and count the documents, as a reader of the whole file would.
        if documents > 1 || failed.is_some() {
            continue;
        }
        if let Err(d) = builder.event(event, span) {
            failed = Some(d);
        }
    }
    if let Some(at) = second_at {
        return Err(Diagnostic::new(
            Code::YamlSyntax,
            &Location::new(file, at.line, at.column),
            format!("the file holds {documents} YAML documents; each file holds exactly one"),
        )
        .with_hint("split the documents into one file each, named after metadata.name"));
    }
    if let Some(d) = failed {
        return Err(d);
    }
    match builder.finish() {
        None => Err(Diagnostic::new(
            Code::YamlSyntax,
            &Location::file_start(file),
            "the file holds no YAML document",
        )),
        Some(doc) if doc.value.is_null() => Err(Diagnostic::new(
            Code::YamlSyntax,
            &Location::file_start(file),
            "the file holds an empty document",
        )),
        Some(doc) => Ok(doc),
    }
}

/// Parses a stream of YAML documents (`---`-separated, as `kubectl` and Kubernetes tools
/// write them) that is not a program file: every document, with positions in the whole
/// file. The alias budget is the file's, shared by its documents, so a thousand documents
/// cannot each expand to the limit. Empty documents are left out.
pub fn parse_stream(file: &str, bytes: &[u8]) -> Result<Vec<YamlDoc>, Diagnostic> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        Diagnostic::new(
            Code::YamlSyntax,
            &Location::new(file, line, 1),
            format!("the file is not UTF-8 (invalid byte at offset {})", e.valid_up_to()),
        )
    })?;
    let mut docs = Vec::new();
    let mut builder = Builder::new(file, text.len());
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| scan_error(file, &e))?;
        if let Event::DocumentEnd = event {
            let next = Builder {
                alias_budget: builder.alias_budget,
                alias_bytes: builder.alias_bytes,
                file_len: text.len(),
                ..Builder::new(file, 0)
            };
            let done = std::mem::replace(&mut builder, next);
            if let Some(doc) = done.finish().filter(|d| !d.value.is_null()) {
                docs.push(doc);
            }
            continue;
        }
        builder.event(event, span)?;
    }
    if let Some(doc) = builder.finish().filter(|d| !d.value.is_null()) {
        docs.push(doc);
    }
    Ok(docs)
}

fn pos(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

fn scan_error(file: &str, e: &ScanError) -> Diagnostic {
    let at = Location::new(file, e.marker().line(), e.marker().col() + 1);
    Diagnostic::new(Code::YamlSyntax, &at, format!("invalid YAML: {}", e.info()))
}

/// Builds the value and its positions from parser events.
///
/// Open lists and mappings collect their children on two shared stacks (`items`, `entries`)
/// and become a `Vec` or `Map` of exactly their size when they close: no container grows by
/// doubling, and the stacks are reused from one container to the next.
struct Builder<'f> {
    file: &'f str,
    file_len: usize,
    nodes: Vec<NodePos>,
    stack: Vec<Frame>,
    items: Vec<Value>,
    entries: Vec<Entry>,
    root: Option<Value>,
    /// Anchored nodes, by anchor id: the value, its positions and the bytes it copies,
    /// copied at each alias.
    anchors: HashMap<usize, (Value, Vec<NodePos>, usize)>,
    /// Nodes that alias expansion may still produce.
    alias_budget: usize,
    /// Bytes that alias expansion may still copy.
    alias_bytes: usize,
}

struct Frame {
    map: bool,
    /// Index of the container's own entry in `nodes`.
    start: usize,
    /// Where its children start on `items` or `entries`.
    base: usize,
    anchor: usize,
    /// In a mapping: the key read and waiting for its value, and where it is written.
    key: Option<(String, Pos)>,
}

struct Entry {
    key: String,
    key_at: Pos,
    value: Value,
    /// Where the value's block of positions starts.
    block: usize,
}

impl<'f> Builder<'f> {
    fn new(file: &'f str, text_len: usize) -> Builder<'f> {
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

    fn error(&self, at: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Code::YamlSyntax, &Location::new(self.file, at.line, at.column), message)
    }

    /// Whether the next node is a mapping key (rather than a value).
    fn expects_key(&self) -> bool {
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
    fn pending_key_at(&self) -> Option<Pos> {
        self.stack.last().and_then(|f| f.key.as_ref()).map(|(_, at)| *at)
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Diagnostic> {
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
                    self.set_key(key_text(&value), at);
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

    fn set_key(&mut self, key: String, at: Pos) {
        if let Some(frame) = self.stack.last_mut() {
            frame.key = Some((key, at));
        }
    }

    /// Hangs a finished node (whose positions start at `start`) on its parent.
    fn attach(&mut self, value: Value, start: usize) {
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
    fn order_entries(&mut self, base: usize, end: usize) {
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

    fn finish(self) -> Option<YamlDoc> {
        let value = self.root?;
        Some(YamlDoc {
            value,
            positions: Positions {
                nodes: self.nodes.into_boxed_slice(),
            },
        })
    }
}

/// A scalar's value under the YAML 1.2 core schema, honouring `!!str` and the other core
/// tags; `None` when the text does not fit its tag (`!!int abc`).
fn resolve(text: Cow<'_, str>, style: saphyr_parser::ScalarStyle, tag: Option<&Cow<'_, Tag>>) -> Option<Value> {
    Some(match Scalar::parse_from_cow_and_metadata(text, style, tag)? {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(b),
        Scalar::Integer(i) => Value::Number(i.into()),
        Scalar::FloatingPoint(f) => Number::from_f64(f.into_inner())
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(f.to_string())),
        // The scanner builds text by pushing, so an owned string may hold twice its length;
        // the model keeps millions of them.
        Scalar::String(Cow::Owned(mut s)) => {
            s.shrink_to_fit();
            Value::String(s)
        }
        Scalar::String(Cow::Borrowed(s)) => Value::String(s.to_owned()),
    })
}

/// The bytes an alias to `value` copies: every scalar's text and every mapping key, plus one
/// per node so that aliases to empty values still count. Iterative, and cheap: values this
/// builder makes are at most [`MAX_DEPTH`] deep, and an anchored value is weighed once.
fn weight(value: &Value) -> usize {
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
fn key_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_point_at_nodes() {
        let doc = parse(
            "a.yaml",
            b"kind: Partner\nspec:\n  contacts:\n    - {name: Jane, email: j@x}\n",
        )
        .unwrap();
        assert_eq!(doc.pos("/kind"), Pos { line: 1, column: 7 });
        assert_eq!(doc.key_pos("/spec/contacts"), Pos { line: 3, column: 3 });
        assert_eq!(doc.pos("/spec/contacts/0/email"), Pos { line: 4, column: 27 });
        assert_eq!(doc.pos("/spec/contacts/0/missing"), Pos { line: 4, column: 7 });
    }

    #[test]
    fn duplicate_keys_are_refused_with_their_line() {
        let d = parse("a.yaml", b"a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(d.code, Code::DuplicateKey);
        assert_eq!(d.line, 3);
    }

    #[test]
    fn a_stream_keeps_every_document_with_its_lines_in_the_file() {
        let docs = parse_stream("s.yaml", b"a: 1\n---\n---\nb:\n  c: 2\n").unwrap();
        assert_eq!(docs.len(), 2, "the empty document is left out");
        assert_eq!(docs[1].value, serde_json::json!({"b": {"c": 2}}));
        assert_eq!(docs[1].pos("/b/c").line, 5);
        let e = parse_stream("s.yaml", b"a: 1\n---\nb: [\n").unwrap_err();
        assert_eq!(e.code, Code::YamlSyntax);
        assert!(e.line >= 3, "{}", e.line);
    }

    #[test]
    fn two_documents_are_refused() {
        let d = parse("a.yaml", b"a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(d.code, Code::YamlSyntax);
        assert!(d.message.contains("2 YAML documents"), "{}", d.message);
    }

    #[test]
    fn billion_laughs_is_refused_fast() {
        let mut y = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='j' {
            y.push_str(&format!(
                "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = c;
        }
        let start = std::time::Instant::now();
        let d = parse("lol.yaml", y.as_bytes()).unwrap_err();
        assert_eq!(d.code, Code::YamlSyntax);
        assert!(d.message.contains("aliases"), "{}", d.message);
        assert!(start.elapsed().as_secs() < 5);
    }

    #[test]
    fn aliases_to_a_large_string_are_refused_by_bytes() {
        // Few nodes, many bytes: under the node limit, far over the byte limit.
        let mut y = format!("big: &s \"{}\"\nl:\n", "x".repeat(100_000));
        for _ in 0..2_000 {
            y.push_str("  - *s\n");
        }
        let d = parse("bomb.yaml", y.as_bytes()).unwrap_err();
        assert_eq!(d.code, Code::YamlSyntax);
        assert!(d.message.contains("bytes"), "{}", d.message);
        // Ten times the file: a small file may not expand to 8 MiB either.
        let small = format!("a: &s \"{}\"\nl: [{}]\n", "x".repeat(1000), ["*s"; 12].join(", "));
        let d = parse("small.yaml", small.as_bytes()).unwrap_err();
        assert!(d.message.contains("bytes"), "{}", d.message);
        // Ordinary reuse stays fine.
        let ok = "base: &b {plan: starter, environment: sandbox}\nsubs: [*b, *b, *b]\n";
        assert!(parse("ok.yaml", ok.as_bytes()).is_ok());
    }

    #[test]
    fn not_utf8_names_the_line() {
        let d = parse("a.yaml", b"a: 1\nb: \xff\n").unwrap_err();
        assert_eq!((d.code, d.line), (Code::YamlSyntax, 2));
    }

    #[test]
    fn empty_and_comment_only_files_are_refused() {
        assert_eq!(parse("a.yaml", b"").unwrap_err().code, Code::YamlSyntax);
        assert_eq!(parse("a.yaml", b"# nothing\n\n").unwrap_err().code, Code::YamlSyntax);
    }

    #[test]
    fn dates_and_quoted_versions_stay_strings() {
        let doc = parse("a.yaml", b"d: 2026-01-04\nv: \"1.0\"\nf: 1.0\n").unwrap();
        assert_eq!(doc.value["d"], "2026-01-04");
        assert_eq!(doc.value["v"], "1.0");
        assert_eq!(doc.value["f"], 1.0);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let y = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        assert_eq!(parse("a.yaml", y.as_bytes()).unwrap_err().code, Code::YamlSyntax);
    }

    #[test]
    fn positions_follow_keys_written_out_of_order() {
        let doc = parse("a.yaml", b"zeta: 1\nalpha:\n  - {role: x, name: y}\nmid: [1, 2]\n").unwrap();
        assert_eq!(doc.pos("/zeta"), Pos { line: 1, column: 7 });
        assert_eq!(doc.key_pos("/alpha"), Pos { line: 2, column: 1 });
        assert_eq!(doc.pos("/alpha/0/name"), Pos { line: 3, column: 21 });
        assert_eq!(doc.key_pos("/alpha/0/role"), Pos { line: 3, column: 6 });
        assert_eq!(doc.pos("/mid/1"), Pos { line: 4, column: 10 });
        // A missing index or key stops at the nearest ancestor.
        assert_eq!(doc.pos("/mid/7"), Pos { line: 4, column: 6 });
        assert_eq!(doc.pos(""), Pos { line: 1, column: 1 });
    }

    #[test]
    fn escaped_pointer_segments_are_followed() {
        let doc = parse("a.yaml", b"paths:\n  /v1/x~y: 1\n  /a: 2\n").unwrap();
        assert_eq!(doc.pos("/paths/~1v1~1x~0y"), Pos { line: 2, column: 12 });
        assert_eq!(doc.pos("/paths/~1a"), Pos { line: 3, column: 7 });
    }

    #[test]
    fn aliases_copy_the_anchor_and_point_at_the_alias() {
        let doc = parse(
            "a.yaml",
            b"base: &b {plan: starter, environment: sandbox}\nsubs:\n  - *b\n  - {plan: pro}\n",
        )
        .unwrap();
        assert_eq!(doc.value["subs"][0]["plan"], "starter");
        assert_eq!(doc.value["subs"][1]["plan"], "pro");
        assert_eq!(doc.pos("/subs/0"), Pos { line: 3, column: 5 });
        // Inside the copy, positions are the anchor's.
        assert_eq!(doc.pos("/subs/0/environment"), Pos { line: 1, column: 39 });
        assert_eq!(doc.pos("/subs/1/plan"), Pos { line: 4, column: 12 });
    }

    #[test]
    fn scalar_keys_and_aliased_keys_become_strings() {
        let doc = parse("a.yaml", b"1: one\ntrue: yes\nk: &k name\n*k : v\n").unwrap();
        assert_eq!(doc.value["1"], "one");
        assert_eq!(doc.value["true"], "yes");
        assert_eq!(doc.value["name"], "v");
    }

    #[test]
    fn keys_that_collide_as_json_are_duplicates() {
        let d = parse("a.yaml", b"1: a\n\"1\": b\n").unwrap_err();
        assert_eq!((d.code, d.line), (Code::DuplicateKey, 2));
    }

    #[test]
    fn collection_keys_unknown_aliases_and_bad_tags_are_refused() {
        for (yaml, line) in [
            (&b"? [a, b]\n: 1\n"[..], 1),
            (b"a: 1\nb: *nope\n", 2),
            (b"a: !!int twelve\n", 1),
        ] {
            let d = parse("a.yaml", yaml).unwrap_err();
            assert_eq!((d.code, d.line), (Code::YamlSyntax, line), "{}", d.message);
        }
    }

    #[test]
    fn str_tags_keep_the_text() {
        let doc = parse("a.yaml", b"a: !!str 1.0\nb: !!str true\nc: !custom 3\n").unwrap();
        assert_eq!(doc.value["a"], "1.0");
        assert_eq!(doc.value["b"], "true");
        assert_eq!(doc.value["c"], 3);
    }

    #[test]
    fn positions_without_a_document_fall_back_to_the_start() {
        let p = Positions::default();
        assert_eq!(p.value(&Value::Null, "/a/b"), Pos { line: 1, column: 1 });
        assert_eq!(p.key(&Value::Null, "/a"), Pos { line: 1, column: 1 });
    }

    /// The value built from events equals what saphyr's own loader reads, on every YAML file
    /// of the bundled example and on the awkward cases above.
    #[test]
    fn values_match_saphyrs_loader() {
        use saphyr::{LoadableYamlNode, Yaml};
        fn json(y: &Yaml) -> Value {
            match y {
                Yaml::Value(s) => match s {
                    Scalar::Null => Value::Null,
                    Scalar::Boolean(b) => Value::Bool(*b),
                    Scalar::Integer(i) => Value::Number((*i).into()),
                    Scalar::FloatingPoint(f) => Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number),
                    Scalar::String(s) => Value::String(s.to_string()),
                },
                Yaml::Sequence(items) => Value::Array(items.iter().map(json).collect()),
                Yaml::Mapping(map) => Value::Object(
                    map.iter()
                        .map(|(k, v)| match json(k) {
                            Value::String(s) => (s, json(v)),
                            other => (other.to_string(), json(v)),
                        })
                        .collect(),
                ),
                other => panic!("unexpected node {other:?}"),
            }
        }
        let mut texts: Vec<(String, String)> = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind");
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml") {
                    texts.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        assert!(texts.len() > 20, "the example has its files");
        texts.push((
            "inline".into(),
            "a: &x {b: [1, 2.5, ~, true, '3', \"q\"]}\nc: *x\nd: |\n  two\n  lines\n".into(),
        ));
        for (name, text) in texts {
            let ours = parse(&name, text.as_bytes()).unwrap().value;
            let theirs = Yaml::load_from_str(&text).unwrap();
            assert_eq!(ours, json(&theirs[0]), "{name}");
        }
    }
}
