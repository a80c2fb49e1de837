//! `validate --format sarif`: SARIF 2.1.0 for code scanning.
//!
//! Each rule carries what `partnerctl explain` says (`fullDescription`, `help` as text and
//! Markdown) and a `helpUri` to its section of docs/checks.md, so that GitHub shows more than
//! a bare code. Each result carries `partialFingerprints`, which code scanning uses to tell a
//! finding it saw on an earlier commit from a new one: they are made of what the finding is
//! about (the code, the file, the node's path and value, the message without its numbers),
//! never of its line, so that an edit above a finding does not make it new, and a day passing
//! (which changes "174 days") does not either.

use partnerctl::diag::{Code, Diagnostic, Severity};
use partnerctl::source::Snapshot;
use partnerctl::source::yaml::{self, YamlDoc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The key of our fingerprint in `partialFingerprints` (versioned: a change to how it is
/// computed takes a new key, so that old alerts are not all closed and reopened).
pub const FINGERPRINT_KEY: &str = "partnerctl/v1";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The rule of each code: its summary, its explanation and where the docs explain it.
fn rule(c: Code) -> Value {
    let e = partnerctl::explain::explain(c);
    json!({
        "id": c.as_str(),
        "name": c.as_str(),
        "shortDescription": {"text": c.summary()},
        "fullDescription": {"text": e.why},
        "help": {"text": partnerctl::explain::text(c), "markdown": partnerctl::explain::markdown(c)},
        "helpUri": partnerctl::explain::help_uri(c),
        "defaultConfiguration": {"level": level(c.default_severity())},
    })
}

/// The SARIF log of `diags`. `uri` turns a repository path into the artifact's URI (relative
/// to where code scanning looks: the checkout).
pub fn log(diags: &[Diagnostic], snapshot: &Snapshot, uri: impl Fn(&str) -> String) -> Value {
    let rules: Vec<Value> = Code::ALL.iter().map(|c| rule(*c)).collect();
    let mut nodes = Nodes::new(snapshot);
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            if let Some(h) = &d.hint {
                message.push_str(&format!(" (hint: {h})"));
            }
            let index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
            json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": index,
                "level": level(d.severity),
                "message": {"text": message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri(&d.file)},
                    "region": {"startLine": d.line, "startColumn": d.column},
                }}],
                "partialFingerprints": {FINGERPRINT_KEY: nodes.fingerprint(d)},
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "partnerctl",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": partnerctl::explain::DOCS_CHECKS_URL,
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// A node of a file: where it is written, its JSON pointer, a path that stays the same when
/// lines are added above it or list items around it (list items by their content), and its
/// value as JSON.
struct Node {
    line: usize,
    column: usize,
    /// Whether the position is its key's.
    key: bool,
    pointer: String,
    stable: String,
    value: String,
}

/// Where each node of a file is.
struct Located {
    at: Vec<Node>,
}

/// The files' nodes, parsed once per file that has a finding.
struct Nodes<'a> {
    snapshot: &'a Snapshot,
    files: HashMap<String, Option<Located>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn short_hash(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes())[..6])
}

fn walk(doc: &YamlDoc, v: &Value, pointer: &mut String, stable: &mut String, out: &mut Vec<Node>) {
    let p = doc.pos(pointer);
    let text = v.to_string();
    out.push(Node {
        line: p.line,
        column: p.column,
        key: false,
        pointer: pointer.clone(),
        stable: stable.clone(),
        value: text,
    });
    if !pointer.is_empty() {
        let k = doc.key_pos(pointer);
        if (k.line, k.column) != (p.line, p.column) {
            out.push(Node {
                line: k.line,
                column: k.column,
                key: true,
                pointer: pointer.clone(),
                stable: stable.clone(),
                value: v.to_string(),
            });
        }
    }
    let (plen, slen) = (pointer.len(), stable.len());
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointer.push_str(&format!("/{i}"));
                // A list item by its content, not its place: inserting one above keeps it.
                stable.push_str(&format!("/#{}", short_hash(&item.to_string())));
                walk(doc, item, pointer, stable, out);
                pointer.truncate(plen);
                stable.truncate(slen);
            }
        }
        Value::Object(map) => {
            for (k, child) in map {
                let seg = k.replace('~', "~0").replace('/', "~1");
                pointer.push('/');
                pointer.push_str(&seg);
                stable.push('/');
                stable.push_str(&seg);
                walk(doc, child, pointer, stable, out);
                pointer.truncate(plen);
                stable.truncate(slen);
            }
        }
        _ => {}
    }
}

impl<'a> Nodes<'a> {
    fn new(snapshot: &'a Snapshot) -> Nodes<'a> {
        Nodes {
            snapshot,
            files: HashMap::new(),
        }
    }

    fn located(&mut self, file: &str) -> Option<&Located> {
        let snapshot = self.snapshot;
        self.files
            .entry(file.to_string())
            .or_insert_with(|| {
                let is_yaml = file.ends_with(".yaml") || file.ends_with(".yml");
                let doc = is_yaml
                    .then(|| snapshot.bytes(file))
                    .flatten()
                    .and_then(|b| yaml::parse(file, &b).ok())?;
                let mut at = Vec::new();
                walk(&doc, &doc.value, &mut String::new(), &mut String::new(), &mut at);
                Some(Located { at })
            })
            .as_ref()
    }

    /// What the finding is about: the node at its position (the deepest one written there,
    /// else the one whose key is there), or, in a file that is not a parsed YAML document,
    /// the text of its line.
    fn subject(&mut self, d: &Diagnostic) -> String {
        if let Some(located) = self.located(&d.file) {
            let exact = |key: bool| {
                located
                    .at
                    .iter()
                    .rev()
                    .find(|n| (n.line, n.column, n.key) == (d.line, d.column, key))
            };
            let on_line = || {
                located
                    .at
                    .iter()
                    .rev()
                    .find(|n| n.line == d.line && n.column <= d.column)
            };
            if let Some(n) = exact(false).or_else(|| exact(true)).or_else(on_line) {
                // A flagged secret stays out of the fingerprint, even hashed: not its value,
                // nor the content of the list items around it (its place is their index).
                return if d.code == Code::SecretInRepo {
                    n.pointer.clone()
                } else {
                    format!("{}\u{0}{}", n.stable, n.value)
                };
            }
        }
        self.snapshot
            .text(&d.file)
            .and_then(|t| t.lines().nth(d.line.saturating_sub(1)).map(|l| l.trim().to_string()))
            .filter(|_| d.code != Code::SecretInRepo)
            .unwrap_or_default()
    }

    fn fingerprint(&mut self, d: &Diagnostic) -> String {
        // Numbers in a message are days, dates and counts that move on their own.
        let words: String = d.message.chars().filter(|c| !c.is_ascii_digit()).collect();
        let words = if d.code == Code::SecretInRepo {
            String::new()
        } else {
            words
        };
        let subject = self.subject(d);
        let mut h = Sha256::new();
        for part in [d.code.as_str(), &d.exception_code(), &d.file, &subject, &words] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex(&h.finalize()[..16])
    }
}
