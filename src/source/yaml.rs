//! YAML → JSON with positions.
//!
//! A file is parsed with saphyr's `MarkedYaml`, which keeps the line and column of every node,
//! rejects duplicate keys and caps alias expansion. The tree becomes a `serde_json::Value` (what
//! the JSON schemas and the typed spec are checked against) plus a [`Positions`] map from JSON
//! pointer to the node's place in the file, so that any finding, from a schema error to a
//! semantic check, can point at the exact node.

use crate::diag::{Code, Diagnostic, Location};
use saphyr::{MarkedYaml, Scalar, YamlData, YamlLoader};
use saphyr_parser::{Parser, ScanError};
use serde_json::{Map, Number, Value};

/// At most this many nodes may be produced by alias expansion in one file. Program files are
/// small and rarely use anchors at all; a "billion laughs" file hits this in microseconds.
pub const ALIAS_NODE_LIMIT: usize = 10_000;

/// Deeper nesting than this is refused (a hostile file of `[[[[...` would otherwise
/// exhaust the stack when converted).
pub const MAX_DEPTH: usize = 64;

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// Where each node of a document stands in its file, looked up by JSON pointer
/// (`/spec/contacts/0/email`).
///
/// Stored as a tree shaped like the document, so that building it costs one small vector per
/// mapping or list and no string per node: a 10,000-partner program has millions of nodes,
/// and findings need the positions of only a handful.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Positions {
    root: PosNode,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct PosNode {
    at: Pos,
    /// Where the key leading to this node is written (unset for list items and the root).
    key_at: Option<Pos>,
    kids: Kids,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Kids {
    #[default]
    None,
    Seq(Vec<PosNode>),
    Map(Vec<(Box<str>, PosNode)>),
}

impl Positions {
    /// The node at `pointer`, or the nearest ancestor that exists, and whether it was exact.
    fn find(&self, pointer: &str) -> (&PosNode, bool) {
        let mut node = &self.root;
        if pointer.is_empty() {
            return (node, true);
        }
        for raw in pointer.split('/').skip(1) {
            let next = match &node.kids {
                Kids::Seq(items) => raw.parse::<usize>().ok().and_then(|i| items.get(i)),
                Kids::Map(entries) => {
                    let seg: std::borrow::Cow<str> = if raw.contains('~') {
                        raw.replace("~1", "/").replace("~0", "~").into()
                    } else {
                        raw.into()
                    };
                    entries.iter().find(|(k, _)| **k == *seg).map(|(_, n)| n)
                }
                Kids::None => None,
            };
            match next {
                Some(n) => node = n,
                None => return (node, false),
            }
        }
        (node, true)
    }

    /// The position of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn value(&self, pointer: &str) -> Pos {
        let pos = self.find(pointer).0.at;
        if pos.line == 0 { Pos { line: 1, column: 1 } } else { pos }
    }

    /// The position of the key that leads to `pointer` (`/spec/foo` → where `foo:` is written),
    /// falling back to the value's position.
    pub fn key(&self, pointer: &str) -> Pos {
        match self.find(pointer) {
            (node, true) => node.key_at.unwrap_or_else(|| self.value(pointer)),
            _ => self.value(pointer),
        }
    }
}

/// One parsed YAML document.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlDoc {
    pub value: Value,
    pub positions: Positions,
}

/// Parses one file that must hold exactly one YAML document. Problems come back as
/// `yaml-syntax` or `duplicate-key` findings naming the file and line.
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

    let mut loader: YamlLoader<MarkedYaml> = YamlLoader::default();
    loader.alias_limit(ALIAS_NODE_LIMIT);
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut loader, true) {
        return Err(scan_error(file, &e));
    }
    if let Some(e) = loader.error() {
        return Err(scan_error(file, e));
    }
    let docs = loader.into_documents();
    match docs.len() {
        0 => Err(Diagnostic::new(
            Code::YamlSyntax,
            &Location::file_start(file),
            "the file holds no YAML document",
        )),
        1 => {
            let (value, root) = convert(file, &docs[0], 0)?;
            if value.is_null() {
                return Err(Diagnostic::new(
                    Code::YamlSyntax,
                    &Location::file_start(file),
                    "the file holds an empty document",
                ));
            }
            Ok(YamlDoc {
                value,
                positions: Positions { root },
            })
        }
        n => {
            let second = &docs[1].span.start;
            Err(Diagnostic::new(
                Code::YamlSyntax,
                &Location::new(file, second.line(), second.col() + 1),
                format!("the file holds {n} YAML documents; each file holds exactly one"),
            )
            .with_hint("split the documents into one file each, named after metadata.name"))
        }
    }
}

fn scan_error(file: &str, e: &ScanError) -> Diagnostic {
    let at = Location::new(file, e.marker().line(), e.marker().col() + 1);
    let info = e.info();
    if info.contains("duplicated key") {
        Diagnostic::new(
            Code::DuplicateKey,
            &at,
            "this key is already set earlier in the same mapping",
        )
        .with_hint("remove one of the two entries; YAML keeps only one and the other would be lost silently")
    } else if info.contains("alias expansion") {
        Diagnostic::new(
            Code::YamlSyntax,
            &at,
            format!("anchors and aliases expand to more than {ALIAS_NODE_LIMIT} nodes; the file is refused"),
        )
        .with_hint("write the values out, or use fewer nested aliases")
    } else {
        Diagnostic::new(Code::YamlSyntax, &at, format!("invalid YAML: {info}"))
    }
}

fn pos_of(node: &MarkedYaml) -> Pos {
    Pos {
        line: node.span.start.line(),
        column: node.span.start.col() + 1,
    }
}

fn convert(file: &str, node: &MarkedYaml, depth: usize) -> Result<(Value, PosNode), Diagnostic> {
    if depth > MAX_DEPTH {
        let p = pos_of(node);
        return Err(Diagnostic::new(
            Code::YamlSyntax,
            &Location::new(file, p.line, p.column),
            format!("nesting deeper than {MAX_DEPTH} levels; the file is refused"),
        ));
    }
    let at = pos_of(node);
    let (value, kids) = match &node.data {
        YamlData::Value(s) => (scalar(s), Kids::None),
        YamlData::Representation(text, _, _) => (Value::String(text.to_string()), Kids::None),
        YamlData::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut kids = Vec::with_capacity(items.len());
            for item in items {
                let (v, k) = convert(file, item, depth + 1)?;
                out.push(v);
                kids.push(k);
            }
            (Value::Array(out), Kids::Seq(kids))
        }
        YamlData::Mapping(map) => {
            let mut out = Map::with_capacity(map.len());
            let mut kids = Vec::with_capacity(map.len());
            for (k, v) in map.iter() {
                let key = match &k.data {
                    YamlData::Value(s) => scalar_key(s),
                    YamlData::Representation(text, _, _) => Some(text.to_string()),
                    YamlData::Tagged(_, inner) => match &inner.data {
                        YamlData::Value(s) => scalar_key(s),
                        _ => None,
                    },
                    _ => None,
                };
                let Some(key) = key else {
                    let p = pos_of(k);
                    return Err(Diagnostic::new(
                        Code::YamlSyntax,
                        &Location::new(file, p.line, p.column),
                        "a mapping key must be a plain scalar, not a list or a mapping",
                    ));
                };
                let (v, mut child) = convert(file, v, depth + 1)?;
                child.key_at = Some(pos_of(k));
                kids.push((key.as_str().into(), child));
                out.insert(key, v);
            }
            (Value::Object(out), Kids::Map(kids))
        }
        YamlData::Tagged(tag, inner) => {
            let (v, inner_pos) = convert(file, inner, depth)?;
            // `!!str 1.0` keeps its text; other tags carry no meaning in a program file.
            let v = if tag.handle == "tag:yaml.org,2002:" && tag.suffix == "str" {
                match v {
                    Value::String(_) => v,
                    Value::Null => Value::String(String::new()),
                    other => Value::String(other.to_string()),
                }
            } else {
                v
            };
            return Ok((v, PosNode { at, ..inner_pos }));
        }
        YamlData::Alias(_) | YamlData::BadValue => {
            return Err(Diagnostic::new(
                Code::YamlSyntax,
                &Location::new(file, at.line, at.column),
                "this value cannot be read (an unknown alias or a malformed scalar)",
            ));
        }
    };
    Ok((value, PosNode { at, key_at: None, kids }))
}

fn scalar(s: &Scalar) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number((*i).into()),
        Scalar::FloatingPoint(f) => Number::from_f64(f.into_inner())
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(f.to_string())),
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

fn scalar_key(s: &Scalar) -> Option<String> {
    Some(match s {
        Scalar::Null => "null".to_string(),
        Scalar::Boolean(b) => b.to_string(),
        Scalar::Integer(i) => i.to_string(),
        Scalar::FloatingPoint(f) => f.to_string(),
        Scalar::String(s) => s.to_string(),
    })
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
        assert_eq!(doc.positions.value("/kind"), Pos { line: 1, column: 7 });
        assert_eq!(doc.positions.key("/spec/contacts"), Pos { line: 3, column: 3 });
        assert_eq!(
            doc.positions.value("/spec/contacts/0/email"),
            Pos { line: 4, column: 27 }
        );
        assert_eq!(
            doc.positions.value("/spec/contacts/0/missing"),
            Pos { line: 4, column: 7 }
        );
    }

    #[test]
    fn duplicate_keys_are_refused_with_their_line() {
        let d = parse("a.yaml", b"a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(d.code, Code::DuplicateKey);
        assert_eq!(d.line, 3);
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
}
