//! Bundling a description: `$ref`s to other files under `apis/` are inlined, resolved
//! relative to the file that holds them and never outside `apis/`, under the one walk guard
//! of [`crate::walk`]: a reference on its own path is a cycle, nesting is bounded, and the
//! bytes of what is inlined are charged before it is copied, so two small files that fan a
//! large string out thousands of times stop at the budget instead of asking for gigabytes.
//! `$ref`s inside one document stay references and must resolve.

use crate::diag::{Code, Diagnostic, Location};
use crate::source::{Snapshot, yaml};
use crate::walk::{Exceeded, Limits, Walk, json_bytes};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The most bytes a bundled description may take (written as JSON): the main file and every
/// part inlined into it, each counted as often as it is inlined.
pub const MAX_BUNDLED_BYTES: u64 = 32 * 1024 * 1024;
/// The deepest a bundled description may nest, file references included; also bounds every
/// later walk of it (reading its operations, the crate that judges it).
pub const MAX_BUNDLED_DEPTH: usize = 128;
/// Longest chain of `$ref`s followed at the top of a value.
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

/// The chain of references that `target` starts when it comes back to itself (or runs
/// longer than [`MAX_REF_DEPTH`]) without reaching a value that is not a reference.
pub(crate) fn ref_cycle(doc: &Value, target: &str) -> Option<Vec<String>> {
    let mut chain = vec![target.to_string()];
    let mut v = resolve_pointer(doc, target)?;
    while let Some(next) = v.get("$ref").and_then(Value::as_str).filter(|r| r.starts_with('#')) {
        let seen = chain.iter().any(|c| c == next);
        chain.push(next.to_string());
        if seen || chain.len() > MAX_REF_DEPTH {
            return Some(chain);
        }
        v = resolve_pointer(doc, next)?;
    }
    None
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
    /// How many file references the value being bundled came through (0: the main file).
    pub(crate) inlined: usize,
    pub(crate) problems: Vec<Diagnostic>,
}

impl<'a> Bundler<'a> {
    pub(crate) fn new(snapshot: &'a Snapshot) -> Bundler<'a> {
        Bundler {
            snapshot,
            cache: BTreeMap::new(),
            inlined: 0,
            problems: Vec::new(),
        }
    }

    /// The main file's value with every reference to another file inlined, under the limits
    /// of [`MAX_BUNDLED_BYTES`] and [`MAX_BUNDLED_DEPTH`]; the main file's own bytes are
    /// charged first.
    pub(crate) fn bundle_main(&mut self, file: &str, v: &Value) -> Value {
        let mut walk = Walk::new(Limits {
            depth: MAX_BUNDLED_DEPTH,
            bytes: MAX_BUNDLED_BYTES,
        });
        let bundled = walk
            .spend(json_bytes(v, MAX_BUNDLED_BYTES))
            .and_then(|()| self.bundle(&mut walk, file, v, ""));
        bundled.unwrap_or_else(|e| {
            self.exceeded(file, "", &e);
            Value::Null
        })
    }

    /// The value with every reference to another file inlined. `file` is the file the value
    /// comes from; references within it (`#/...`) stay as they are in the main file and are
    /// inlined from any other file (whose components the main document does not hold).
    /// A reference that cannot be read is pushed to `problems` and gives `Null`; a limit of
    /// the walk passed is `Err`, reported where the walk started.
    fn bundle(&mut self, walk: &mut Walk, file: &str, v: &Value, at: &str) -> Result<Value, Exceeded> {
        if !self.problems.is_empty() {
            return Ok(Value::Null);
        }
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    if !(r.starts_with('#') && self.inlined == 0) {
                        return self.inline(walk, file, r, at);
                    }
                }
                let mut out = Map::with_capacity(m.len());
                for (k, x) in m {
                    let child = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    let value = walk.descend(|w| self.bundle(w, file, x, &child))?;
                    out.insert(k.clone(), value);
                }
                Ok(Value::Object(out))
            }
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for (i, x) in a.iter().enumerate() {
                    out.push(walk.descend(|w| self.bundle(w, file, x, &format!("{at}/{i}")))?);
                }
                Ok(Value::Array(out))
            }
            other => Ok(other.clone()),
        }
    }

    fn inline(&mut self, walk: &mut Walk, file: &str, r: &str, at: &str) -> Result<Value, Exceeded> {
        let (target_file, pointer) = match r.split_once('#') {
            Some(("", p)) => (file.to_string(), format!("#{p}")),
            Some((f, p)) => match relative(file, f) {
                Ok(t) => (t, format!("#{p}")),
                Err(why) => {
                    self.problem(file, at, format!("`$ref: \"{r}\"` in {file} {why}"));
                    return Ok(Value::Null);
                }
            },
            None => match relative(file, r) {
                Ok(t) => (t, "#".to_string()),
                Err(why) => {
                    self.problem(file, at, format!("`$ref: \"{r}\"` in {file} {why}"));
                    return Ok(Value::Null);
                }
            },
        };
        let key = format!("{target_file}{pointer}");
        if walk.on_path(&key) || self.inlined >= MAX_REF_DEPTH {
            self.problem(
                file,
                at,
                format!("`$ref: \"{r}\"` in {file} is recursive across files; keep recursive schemas in one file, under components"),
            );
            return Ok(Value::Null);
        }
        if !self.cache.contains_key(&target_file) {
            match self.snapshot.bytes(&target_file) {
                Some(bytes) => match parse(&target_file, &bytes) {
                    Ok(d) => {
                        self.cache.insert(target_file.clone(), d);
                    }
                    Err(d) => {
                        self.problems.push(d);
                        return Ok(Value::Null);
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
                    return Ok(Value::Null);
                }
            }
        }
        // Only the part the reference names is copied, and only once its bytes are paid for:
        // a reference repeated thousands of times stops at the budget, before the copy.
        let Some(found) = resolve_pointer(&self.cache[&target_file].value, &pointer) else {
            self.problem(
                file,
                at,
                format!("`$ref: \"{r}\"` in {file} resolves to nothing in {target_file}"),
            );
            return Ok(Value::Null);
        };
        if let Err(e) = walk.spend(json_bytes(found, walk.remaining())) {
            self.exceeded(file, at, &e);
            return Ok(Value::Null);
        }
        let found = found.clone();
        self.inlined += 1;
        let out = walk.follow(&key, |w| self.bundle(w, &target_file, &found, &pointer[1..]));
        self.inlined -= 1;
        out.or_else(|e| {
            self.exceeded(file, at, &e);
            Ok(Value::Null)
        })
    }

    /// The finding for a limit of the walk passed while bundling, at the reference where it
    /// was passed (one finding: bundling stops at the first problem).
    fn exceeded(&mut self, file: &str, at: &str, e: &Exceeded) {
        if !self.problems.is_empty() {
            return;
        }
        let message = match e {
            Exceeded::Bytes(n) => format!(
                "bundling the references of {file} would take more than {n} bytes (references that repeat a large part over and over); it is not read"
            ),
            Exceeded::Depth(n) => {
                format!("{file} nests more than {n} levels deep once its references are inlined; it is not read")
            }
            Exceeded::Cycle(r) => format!(
                "`$ref` to {r} in {file} is recursive across files; keep recursive schemas in one file, under components"
            ),
        };
        self.problem(file, at, message);
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
