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
//!
//! [`positions`] keeps where each node is written, [`build`] turns events into the value
//! under the alias and depth budgets, `syntax` says why a file does not parse in the terms of
//! the mistake made, `json` reads a strict JSON text into the same value and positions
//! without the YAML scanner (which queues a whole one-line JSON file before its first event),
//! `block` reads the block YAML program files are written in (plain, quoted and flow values,
//! block scalars) line by line into the same value and positions and leaves anything else to
//! saphyr; this module parses a file or a stream of documents.

mod block;
pub mod build;
mod json;
pub mod positions;
mod syntax;

pub use build::{ALIAS_BYTE_LIMIT, ALIAS_NODE_LIMIT, ALIAS_SIZE_FACTOR, MAX_DEPTH};
pub use positions::*;

use crate::diag::{Code, Diagnostic, Location};
use build::*;
use saphyr_parser::{Event, Parser};

/// Parses one file that must hold exactly one YAML document. Problems come back as
/// `yaml-syntax` or `duplicate-key` findings naming the file and line.
// A finding is the error, once per file at most: its size (grown with `exception`) costs nothing.
pub fn parse(file: &str, bytes: &[u8]) -> Result<YamlDoc, Diagnostic> {
    let text = document_text(file, bytes)?;
    if json::may_be_json(text)
        && let Some(doc) = json::parse(file, text)
    {
        return Ok(doc);
    }
    if let Some(doc) = block::parse(file, text) {
        return Ok(doc);
    }
    parse_events(file, text)
}

/// Holds the block reader to saphyr on one file, for the tests and the fuzz target that
/// compare them: `Ok(true)` when the block reader read it and saphyr read the same value (keys
/// in the same order) and the same positions, `Ok(false)` when the block reader left it to
/// saphyr (or the file is refused before either reads it), `Err` saying what differs.
pub fn compare_readers(file: &str, bytes: &[u8]) -> Result<bool, String> {
    let Ok(text) = document_text(file, bytes) else {
        return Ok(false);
    };
    let Some(fast) = block::parse(file, text) else {
        return Ok(false);
    };
    let full = parse_events(file, text).map_err(|d| {
        format!(
            "saphyr refuses what the block reader read: line {}: {}",
            d.line, d.message
        )
    })?;
    // Equal as values, and written out the same: keys in the same order too.
    if fast.value != full.value || serde_json::to_vec(&fast.value).ok() != serde_json::to_vec(&full.value).ok() {
        return Err(format!(
            "the values differ:\nblock:  {}\nsaphyr: {}",
            fast.value, full.value
        ));
    }
    if fast.positions != full.positions {
        return Err(format!(
            "the positions differ:\nblock:  {:?}\nsaphyr: {:?}",
            fast.positions.nodes, full.positions.nodes
        ));
    }
    Ok(true)
}

/// The text of a one-document file: without a byte order mark, UTF-8, not empty.
fn document_text<'b>(file: &str, bytes: &'b [u8]) -> Result<&'b str, Diagnostic> {
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
    Ok(text)
}

/// Reads a one-document text with saphyr's parser, event by event.
fn parse_events(file: &str, text: &str) -> Result<YamlDoc, Diagnostic> {
    let mut builder = Builder::new(file, text.len());
    let mut parser = Parser::new_from_str(text);
    let mut documents = 0usize;
    let mut second_at = None;
    let mut failed = None;
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| syntax::scan_error(file, text, &e))?;
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
    if json::may_be_json(text)
        && let Some(doc) = json::parse(file, text)
    {
        return Ok(vec![doc]);
    }
    if let Some(doc) = block::parse(file, text) {
        return Ok(vec![doc]);
    }
    let mut docs = Vec::new();
    let mut builder = Builder::new(file, text.len());
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| syntax::scan_error(file, text, &e))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use saphyr::Scalar;
    use serde_json::{Number, Value};

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
    fn positions_in_a_long_list_come_from_its_index_of_children() {
        // Items past the first 64 are found through the index of the list's children: the
        // same places as skipping sibling by sibling, nested values and all.
        let mut y = String::from("items:\n");
        for i in 0..300 {
            y.push_str(&format!("  - name: n{i}\n    tags: [a, {{b: c}}]\n"));
        }
        let doc = parse("a.yaml", y.as_bytes()).unwrap();
        let (name, b) = (doc.pos("/items/0/name").column, doc.pos("/items/0/tags/1/b").column);
        for i in [0, 63, 64, 65, 200, 299] {
            assert_eq!(
                doc.pos(&format!("/items/{i}/name")),
                Pos {
                    line: 2 + 2 * i,
                    column: name
                },
                "{i}"
            );
            assert_eq!(
                doc.pos(&format!("/items/{i}/tags/1/b")),
                Pos {
                    line: 3 + 2 * i,
                    column: b
                },
                "{i}"
            );
        }
        assert_eq!(doc.pos("/items/300/name"), doc.pos("/items"), "past the end: the list");
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
