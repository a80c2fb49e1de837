//! Bundling a description: `$ref`s to other files under `apis/` are inlined, resolved
//! relative to the file that holds them and never outside `apis/`, within a budget of nodes
//! and depth; `$ref`s inside one document stay references and must resolve.

use crate::diag::{Code, Diagnostic, Location};
use crate::source::{Snapshot, yaml};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Bundling stops past this many inlined nodes (a description that references itself into a
/// blow-up), and past this nesting of file references.
pub(crate) const MAX_INLINED_NODES: usize = 2_000_000;
pub(crate) const MAX_REF_DEPTH: usize = 64;

/// A JSON pointer (`#/components/schemas/Pet`, with or without `#`) in a document.
pub fn resolve_pointer<'a>(doc: &'a Value, target: &str) -> Option<&'a Value> {
    let p = target.strip_prefix('#')?;
    if p.is_empty() {
        return Some(doc);
    }
    let decoded: String = percent_decode(p);
    doc.pointer(&decoded)
}

pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (
                (bytes[i + 1] as char).to_digit(16),
                bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Follows `$ref`s at the top of a value (a parameter, a response) within the document.
pub fn deref<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..MAX_REF_DEPTH {
        match v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| resolve_pointer(doc, r))
        {
            Some(next) => v = next,
            None => break,
        }
    }
    v
}

/// Calls `f(pointer, target)` for every `#/...` reference in a value.
pub(crate) fn local_refs(v: &Value, at: &str, f: &mut dyn FnMut(&str, &str)) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                if r.starts_with('#') {
                    f(&format!("{at}/$ref"), r);
                }
            }
            for (k, x) in m {
                if k == "$ref" {
                    continue;
                }
                local_refs(x, &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), f);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                local_refs(x, &format!("{at}/{i}"), f);
            }
        }
        _ => {}
    }
}

pub(crate) struct Bundler<'a> {
    pub(crate) snapshot: &'a Snapshot,
    pub(crate) cache: BTreeMap<String, yaml::YamlDoc>,
    pub(crate) nodes: usize,
    pub(crate) problems: Vec<Diagnostic>,
}

impl Bundler<'_> {
    /// The value with every reference to another file inlined. `file` is the file the value
    /// comes from; references within it (`#/...`) stay as they are in the main file and are
    /// inlined from any other file (whose components the main document does not hold).
    pub(crate) fn bundle(&mut self, file: &str, v: &Value, at: &str, stack: &mut Vec<String>, depth: usize) -> Value {
        self.nodes += 1;
        if self.nodes > MAX_INLINED_NODES || !self.problems.is_empty() {
            if self.problems.is_empty() {
                self.problem(
                    file,
                    at,
                    format!("bundling the references of {file} passes {MAX_INLINED_NODES} nodes; it is not read"),
                );
            }
            return Value::Null;
        }
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    let is_main = stack.is_empty();
                    if !(r.starts_with('#') && is_main) {
                        return self.inline(file, r, at, stack, depth);
                    }
                }
                let mut out = Map::with_capacity(m.len());
                for (k, x) in m {
                    let child = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    out.insert(k.clone(), self.bundle(file, x, &child, stack, depth));
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| self.bundle(file, x, &format!("{at}/{i}"), stack, depth))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    pub(crate) fn inline(&mut self, file: &str, r: &str, at: &str, stack: &mut Vec<String>, depth: usize) -> Value {
        let (target_file, pointer) = match r.split_once('#') {
            Some(("", p)) => (file.to_string(), format!("#{p}")),
            Some((f, p)) => match relative(file, f) {
                Ok(t) => (t, format!("#{p}")),
                Err(why) => {
                    self.problem(file, at, format!("`$ref: \"{r}\"` in {file} {why}"));
                    return Value::Null;
                }
            },
            None => match relative(file, r) {
                Ok(t) => (t, "#".to_string()),
                Err(why) => {
                    self.problem(file, at, format!("`$ref: \"{r}\"` in {file} {why}"));
                    return Value::Null;
                }
            },
        };
        let key = format!("{target_file}{pointer}");
        if stack.contains(&key) || depth >= MAX_REF_DEPTH {
            self.problem(
                file,
                at,
                format!("`$ref: \"{r}\"` in {file} is recursive across files ({}); keep recursive schemas in one file, under components", stack.join(" → ")),
            );
            return Value::Null;
        }
        if !self.cache.contains_key(&target_file) {
            match self.snapshot.bytes(&target_file) {
                Some(bytes) => match parse(&target_file, &bytes) {
                    Ok(d) => {
                        self.cache.insert(target_file.clone(), d);
                    }
                    Err(d) => {
                        self.problems.push(d);
                        return Value::Null;
                    }
                },
                None => {
                    self.problem(
                        file,
                        at,
                        format!(
                            "`$ref: \"{r}\"` in {file} names {target_file}, which is not a readable file of the program"
                        ),
                    );
                    return Value::Null;
                }
            }
        }
        let target = self.cache[&target_file].value.clone();
        let Some(found) = resolve_pointer(&target, &pointer).cloned() else {
            self.problem(
                file,
                at,
                format!("`$ref: \"{r}\"` in {file} resolves to nothing in {target_file}"),
            );
            return Value::Null;
        };
        stack.push(key);
        let out = self.bundle(&target_file, &found, &pointer[1..], stack, depth + 1);
        stack.pop();
        out
    }

    pub(crate) fn problem(&mut self, file: &str, at: &str, message: String) {
        let p = self.cache.get(file).map(|d| d.pos(at)).unwrap_or_default();
        self.problems.push(Diagnostic::new(
            Code::OpenapiInvalid,
            &Location::new(file, p.line, p.column),
            message,
        ));
    }
}

/// The file a relative reference names from `from`, kept inside `apis/`.
pub(crate) fn relative(from: &str, r: &str) -> Result<String, String> {
    if r.contains("://") || r.starts_with('/') || r.starts_with('\\') || r.contains('\\') {
        return Err("is not a relative file under apis/ (only files of the program are read)".into());
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in r.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if !joined.starts_with("apis/") {
        return Err("leaves apis/".into());
    }
    Ok(joined)
}

pub(crate) fn parse(file: &str, bytes: &[u8]) -> Result<yaml::YamlDoc, Diagnostic> {
    yaml::parse(file, bytes).map_err(|d| {
        Diagnostic::new(
            Code::OpenapiInvalid,
            &d.location(),
            format!("{file} does not parse: {}", d.message),
        )
    })
}
