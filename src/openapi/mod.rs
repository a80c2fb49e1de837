//! API descriptions (SPEC §13): the OpenAPI files under `apis/` that products name.
//!
//! A description is read with the repository's YAML reader (JSON is YAML too), so every
//! problem has a file and line. `$ref`s to other files under `apis/` are bundled into the
//! document (inlined, resolved relative to the file that holds them, never outside `apis/`);
//! `$ref`s inside one document stay references and must resolve. The bundled document is then
//! read by the crate for its version, `openapiv3` for 3.0 and `oas3` for 3.1, which decides
//! whether it is valid OpenAPI; a description it refuses is `openapi-invalid` at the node it
//! names. partnerctl then walks the validated document once, with one code path for both
//! versions, for the [`Operation`]s the products, the plan and the portal use.

pub mod diff;
pub mod import;

use crate::diag::{Code, Diagnostic, Location};
use crate::source::{Snapshot, yaml};
use crate::spec::{EndpointSpec, Method};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Bundling stops past this many inlined nodes (a description that references itself into a
/// blow-up), and past this nesting of file references.
const MAX_INLINED_NODES: usize = 2_000_000;
const MAX_REF_DEPTH: usize = 64;

/// One API description, bundled and read.
#[derive(Clone, Debug, PartialEq)]
pub struct Api {
    /// The file, `apis/shipments.yaml`.
    pub file: String,
    /// The `openapi` field: `3.0.4`, `3.1.0`.
    pub openapi: String,
    pub title: String,
    pub version: String,
    /// `info.description` (Markdown).
    pub description: String,
    /// The document with every file `$ref` inlined; `#/...` references kept.
    pub doc: Value,
    /// Every operation, in the order the paths and methods are written.
    pub operations: Vec<Operation>,
    /// Tags in the order `tags` lists them, then any others in order of first use.
    pub tags: Vec<Tag>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tag {
    pub name: String,
    pub description: String,
}

/// One operation of a description.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// Upper case: `GET`, `HEAD`, ...
    pub method: String,
    pub path: String,
    pub operation_id: Option<String>,
    pub tags: Vec<String>,
    pub summary: String,
    pub description: String,
    pub deprecated: bool,
    /// Path-level and operation-level parameters merged (the operation's win), references
    /// resolved.
    pub parameters: Vec<Parameter>,
    /// The request body, references resolved at its top.
    pub request_body: Option<Value>,
    /// Status (`200`, `4XX`, `default`) → response, references resolved at its top.
    pub responses: Vec<(String, Value)>,
    /// Where the operation is written in its file.
    pub line: usize,
}

impl Operation {
    /// `GET /pets/{id}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The method as a product endpoint's, when partnerctl routes it.
    pub fn endpoint_method(&self) -> Option<Method> {
        Some(match self.method.as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    pub name: String,
    /// `path`, `query`, `header` or `cookie`.
    pub location: String,
    pub required: bool,
    pub deprecated: bool,
    pub description: String,
    pub schema: Option<Value>,
    pub example: Option<Value>,
}

/// A path with its parameter names blanked (`/pets/{}`): how endpoints and operations are
/// matched, since a gateway route does not care what a parameter is called.
pub fn path_shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0usize;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    out.push('{');
                }
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push('}');
                }
            }
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

/// The product endpoints a description stands for: its routable operations, in order.
pub fn endpoints(api: &Api) -> Vec<EndpointSpec> {
    api.operations
        .iter()
        .filter_map(|op| {
            Some(EndpointSpec {
                method: op.endpoint_method()?,
                path: op.path.clone(),
                summary: (!op.summary.is_empty()).then(|| first_line(&op.summary)),
            })
        })
        .collect()
}

fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .take(200)
        .collect()
}

/// Whether a path may be a product endpoint's (the pattern of `EndpointSpec.path`).
pub fn is_endpoint_path(path: &str) -> bool {
    path.starts_with('/')
        && path.len() <= 2048
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~!$&'()*+,;=:@%/{}-".contains(c))
}

/// Whether a path is a description's place: under `apis/`.
pub fn is_api_file(path: &str) -> bool {
    path.starts_with("apis/")
}

/// Reads one description from a snapshot. `Err` holds the findings that stop it.
pub fn load(snapshot: &Snapshot, file: &str) -> Result<(Api, Vec<Diagnostic>), Vec<Diagnostic>> {
    let invalid = |line: usize, column: usize, message: String| {
        Diagnostic::new(Code::OpenapiInvalid, &Location::new(file, line, column), message)
    };
    let Some(bytes) = snapshot.bytes(file) else {
        return Err(vec![invalid(1, 1, format!("{file} cannot be read"))]);
    };
    let main = parse(file, &bytes).map_err(|d| vec![d])?;
    let mut warnings = Vec::new();

    // Bundle: inline every file reference, relative to the file that holds it.
    let mut b = Bundler {
        snapshot,
        cache: BTreeMap::new(),
        nodes: 0,
        problems: Vec::new(),
    };
    b.cache.insert(file.to_string(), main.clone());
    let mut stack = Vec::new();
    let doc = b.bundle(file, &main.value, "", &mut stack, 0);
    if !b.problems.is_empty() {
        return Err(b.problems);
    }
    let pos = |pointer: &str| main.pos(pointer);

    // The version decides the reader; the crate decides validity.
    let openapi = doc
        .get("openapi")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let checked: Result<(), (String, String)> = if openapi.starts_with("3.0.") || openapi == "3.0" {
        serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(&doc)
            .map(|_| ())
            .map_err(|e| (pointer_of(e.path()), e.inner().to_string()))
    } else if openapi.starts_with("3.1.") || openapi == "3.1" {
        serde_path_to_error::deserialize::<_, oas3::OpenApiV3Spec>(&doc)
            .map(|_| ())
            .map_err(|e| (pointer_of(e.path()), e.inner().to_string()))
    } else {
        let p = pos(if doc.get("openapi").is_some() { "/openapi" } else { "" });
        let found = if openapi.is_empty() {
            match doc.get("swagger") {
                Some(_) => "a Swagger 2.0 document".to_string(),
                None => "no `openapi` field".to_string(),
            }
        } else {
            format!("version {openapi}")
        };
        return Err(vec![
            invalid(
                p.line,
                p.column,
                format!("{file} is not OpenAPI 3.0 or 3.1: it has {found}"),
            )
            .with_hint("convert it to OpenAPI 3.0 or 3.1 (for Swagger 2.0: `swagger2openapi` or the Swagger Editor)"),
        ]);
    };
    if let Err((pointer, message)) = checked {
        let p = pos(&pointer);
        let at = if pointer.is_empty() {
            String::new()
        } else {
            format!(" at {pointer}")
        };
        return Err(vec![invalid(
            p.line,
            p.column,
            format!("{file} is not valid OpenAPI {openapi}{at}: {message}"),
        )]);
    }

    // Every reference left must resolve inside the document.
    let mut dangling = Vec::new();
    local_refs(&doc, "", &mut |at, target| {
        if resolve_pointer(&doc, target).is_none() {
            dangling.push((at.to_string(), target.to_string()));
        }
    });
    if !dangling.is_empty() {
        return Err(dangling
            .into_iter()
            .take(20)
            .map(|(at, target)| {
                let p = pos(&at);
                invalid(
                    p.line,
                    p.column,
                    format!("`$ref: \"{target}\"` in {file} resolves to nothing"),
                )
            })
            .collect());
    }

    let operations = operations(&doc, &|pointer| main.key_pos(pointer).line, file, &mut warnings);
    let mut tags: Vec<Tag> = doc
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some(Tag {
                name: t.get("name")?.as_str()?.to_string(),
                description: text(t, "description"),
            })
        })
        .collect();
    for op in &operations {
        for t in &op.tags {
            if !tags.iter().any(|x| &x.name == t) {
                tags.push(Tag {
                    name: t.clone(),
                    description: String::new(),
                });
            }
        }
    }
    let info = doc.get("info").cloned().unwrap_or(Value::Null);
    Ok((
        Api {
            file: file.to_string(),
            openapi,
            title: text(&info, "title"),
            version: text(&info, "version"),
            description: text(&info, "description"),
            operations,
            tags,
            doc,
        },
        warnings,
    ))
}

fn parse(file: &str, bytes: &[u8]) -> Result<yaml::YamlDoc, Diagnostic> {
    yaml::parse(file, bytes).map_err(|d| {
        Diagnostic::new(
            Code::OpenapiInvalid,
            &d.location(),
            format!("{file} does not parse: {}", d.message),
        )
    })
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        let s = match seg {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.replace('~', "~0").replace('/', "~1"),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => continue,
        };
        out.push('/');
        out.push_str(&s);
    }
    out
}

/// A JSON pointer (`#/components/schemas/Pet`, with or without `#`) in a document.
pub fn resolve_pointer<'a>(doc: &'a Value, target: &str) -> Option<&'a Value> {
    let p = target.strip_prefix('#')?;
    if p.is_empty() {
        return Some(doc);
    }
    let decoded: String = percent_decode(p);
    doc.pointer(&decoded)
}

fn percent_decode(s: &str) -> String {
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
fn local_refs(v: &Value, at: &str, f: &mut dyn FnMut(&str, &str)) {
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

struct Bundler<'a> {
    snapshot: &'a Snapshot,
    cache: BTreeMap<String, yaml::YamlDoc>,
    nodes: usize,
    problems: Vec<Diagnostic>,
}

impl Bundler<'_> {
    /// The value with every reference to another file inlined. `file` is the file the value
    /// comes from; references within it (`#/...`) stay as they are in the main file and are
    /// inlined from any other file (whose components the main document does not hold).
    fn bundle(&mut self, file: &str, v: &Value, at: &str, stack: &mut Vec<String>, depth: usize) -> Value {
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

    fn inline(&mut self, file: &str, r: &str, at: &str, stack: &mut Vec<String>, depth: usize) -> Value {
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

    fn problem(&mut self, file: &str, at: &str, message: String) {
        let p = self.cache.get(file).map(|d| d.pos(at)).unwrap_or_default();
        self.problems.push(Diagnostic::new(
            Code::OpenapiInvalid,
            &Location::new(file, p.line, p.column),
            message,
        ));
    }
}

/// The file a relative reference names from `from`, kept inside `apis/`.
fn relative(from: &str, r: &str) -> Result<String, String> {
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

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn operations(doc: &Value, line: &dyn Fn(&str) -> usize, file: &str, warnings: &mut Vec<Diagnostic>) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let escaped = path.replace('~', "~0").replace('/', "~1");
        let item = deref(doc, item);
        let shared: Vec<&Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        // In the order the description writes them.
        let methods: Vec<(&str, &Value)> = item
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| METHODS.iter().find(|m| **m == k.as_str()).map(|m| (*m, v)))
            .collect();
        for (m, op) in methods {
            let pointer = format!("/paths/{escaped}/{m}");
            let mut parameters: Vec<Parameter> = Vec::new();
            let own: Vec<&Value> = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .collect();
            for p in shared.iter().chain(own.iter()) {
                let Some(p) = parameter(doc, p) else { continue };
                parameters.retain(|x| !(x.name == p.name && x.location == p.location));
                parameters.push(p);
            }
            let method = m.to_ascii_uppercase();
            // A path becomes a gateway route: it must be what a product's endpoint may be
            // (SPEC §9: no value may add a line, a directive or a block to an output).
            if !is_endpoint_path(path) {
                warnings.push(Diagnostic::new(
                    Code::OpenapiInvalid,
                    &Location::new(file, line(&format!("/paths/{escaped}")), 1),
                    format!(
                        "the path `{}` cannot be routed: a path starts with `/` and holds only letters, digits and `-._~!$&'()*+,;=:@%/{{}}`",
                        path.escape_debug()
                    ),
                ));
                continue;
            }
            if !matches!(m, "get" | "put" | "post" | "delete" | "patch") {
                warnings.push(
                    Diagnostic::new(
                        Code::OpenapiInvalid,
                        &Location::new(file, line(&pointer), 1),
                        format!("{method} {path} is not routed: partnerctl's gateways route GET, POST, PUT, PATCH and DELETE"),
                    )
                    .with_severity(crate::diag::Severity::Warning),
                );
            }
            out.push(Operation {
                method,
                path: path.clone(),
                operation_id: op.get("operationId").and_then(Value::as_str).map(str::to_string),
                tags: op
                    .get("tags")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                deprecated: op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
                parameters,
                request_body: op.get("requestBody").map(|b| deref(doc, b).clone()),
                responses: op
                    .get("responses")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), deref(doc, v).clone()))
                    .collect(),
                line: line(&pointer),
            });
        }
    }
    out
}

fn parameter(doc: &Value, p: &Value) -> Option<Parameter> {
    let p = deref(doc, p);
    let location = p.get("in")?.as_str()?.to_string();
    Some(Parameter {
        name: p.get("name")?.as_str()?.to_string(),
        required: p.get("required").and_then(Value::as_bool).unwrap_or(location == "path"),
        deprecated: p.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
        description: text(p, "description"),
        schema: p.get("schema").cloned().or_else(|| {
            // `content` instead of `schema`: the first media type's schema.
            p.get("content")?.as_object()?.values().next()?.get("schema").cloned()
        }),
        example: p.get("example").cloned(),
        location,
    })
}

/// Every description the products name, read once each, with the findings of reading them;
/// products whose description could not be read are left out of the map.
pub fn load_all(
    snapshot: &Snapshot,
    files: &BTreeSet<String>,
) -> (BTreeMap<String, std::sync::Arc<Api>>, Vec<Diagnostic>) {
    let mut apis = BTreeMap::new();
    let mut diags = Vec::new();
    for f in files {
        match load(snapshot, f) {
            Ok((api, warnings)) => {
                diags.extend(warnings);
                apis.insert(f.clone(), std::sync::Arc::new(api));
            }
            Err(d) => diags.extend(d),
        }
    }
    (apis, diags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Entry;

    fn snap(files: &[(&str, &str)]) -> Snapshot {
        let mut s = Snapshot::default();
        for (p, t) in files {
            s.insert(*p, Entry::Bytes(t.as_bytes().into()));
        }
        s
    }

    const PETS: &str = "openapi: 3.0.3\ninfo: {title: Pets, version: '1'}\npaths:\n  /pets/{id}:\n    parameters:\n      - {name: id, in: path, required: true, schema: {type: string}}\n    get:\n      summary: One pet\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: 'schemas.yaml#/Pet'}\n    head:\n      responses: {'200': {description: ok}}\n";

    #[test]
    fn file_references_are_bundled_and_operations_read() {
        let s = snap(&[
            ("apis/pets.yaml", PETS),
            (
                "apis/schemas.yaml",
                "Pet:\n  type: object\n  properties:\n    tag: {$ref: '#/Tag'}\nTag: {type: string}\n",
            ),
        ]);
        let (api, warnings) = load(&s, "apis/pets.yaml").unwrap();
        assert_eq!(api.operations.len(), 2);
        let get = &api.operations[0];
        assert_eq!(get.key(), "GET /pets/{id}");
        assert_eq!(get.parameters[0].name, "id");
        assert_eq!(get.line, 7);
        let schema = &get.responses[0].1["content"]["application/json"]["schema"];
        assert_eq!(schema["properties"]["tag"], serde_json::json!({"type": "string"}));
        assert_eq!(warnings.len(), 1, "HEAD is not routed");
        assert_eq!(endpoints(&api).len(), 1);
    }

    #[test]
    fn references_outside_apis_dangling_or_recursive_are_invalid() {
        for (schemas, want) in [
            ("../program.yaml#/x", "leaves apis/"),
            ("https://example.com/x.yaml", "not a relative file"),
            ("missing.yaml#/Pet", "not a readable file"),
            ("schemas.yaml#/Nope", "resolves to nothing"),
            ("schemas.yaml#/Loop", "recursive across files"),
        ] {
            let s = snap(&[
                ("apis/pets.yaml", &PETS.replace("schemas.yaml#/Pet", schemas)),
                ("apis/schemas.yaml", "Pet: {type: object}\nLoop: {$ref: '#/Loop'}\n"),
            ]);
            let err = load(&s, "apis/pets.yaml").unwrap_err();
            assert!(err[0].message.contains(want), "{schemas}: {}", err[0].message);
            assert_eq!(err[0].code, Code::OpenapiInvalid);
        }
        let s = snap(&[(
            "apis/pets.yaml",
            &PETS.replace("$ref: 'schemas.yaml#/Pet'", "$ref: '#/components/schemas/Nope'"),
        )]);
        let err = load(&s, "apis/pets.yaml").unwrap_err();
        assert!(err[0].message.contains("resolves to nothing"), "{}", err[0].message);
        assert_eq!(err[0].line, 14);
    }

    #[test]
    fn the_crate_of_the_version_judges_validity_at_its_line() {
        let s = snap(&[(
            "apis/pets.yaml",
            &PETS.replace("      responses:\n        '200':", "      responses: 7\n        x-no:"),
        )]);
        assert!(load(&s, "apis/pets.yaml").is_err());
        let s = snap(&[(
            "apis/a.yaml",
            "swagger: '2.0'\ninfo: {title: a, version: '1'}\npaths: {}\n",
        )]);
        let e = load(&s, "apis/a.yaml").unwrap_err();
        assert!(e[0].message.contains("Swagger 2.0"), "{}", e[0].message);
        let s = snap(&[(
            "apis/a.yaml",
            "openapi: 3.1.0\ninfo: {title: a, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n",
        )]);
        assert_eq!(load(&s, "apis/a.yaml").unwrap().0.operations.len(), 1);
        let s = snap(&[("apis/a.yaml", "openapi: 3.1.0\ninfo: {title: a, version: '1'\n")]);
        let e = load(&s, "apis/a.yaml").unwrap_err();
        assert!(e[0].message.contains("does not parse"), "{}", e[0].message);
    }

    #[test]
    fn a_path_that_could_not_be_a_route_is_refused_and_not_routed() {
        for bad in ["/a\nserver { listen 1; }", "/a b", "/a\"", "a", "/x<script>"] {
            let doc = format!(
                "openapi: 3.0.3\ninfo: {{title: x, version: '1'}}\npaths:\n  {}:\n    get:\n      summary: \"ok\\u202e\\nsecond line\"\n      responses: {{'200': {{description: ok}}}}\n  /fine:\n    get:\n      summary: \"ok\\u202e\\nsecond line\"\n      responses: {{'200': {{description: ok}}}}\n",
                serde_json::to_string(bad).unwrap()
            );
            let s = snap(&[("apis/a.yaml", &doc)]);
            let (api, diags) = load(&s, "apis/a.yaml").unwrap();
            assert_eq!(api.operations.len(), 1, "{bad:?}");
            assert_eq!(diags.len(), 1, "{bad:?}: {diags:?}");
            assert_eq!(diags[0].severity, crate::diag::Severity::Error);
            let e = endpoints(&api);
            assert_eq!(e.len(), 1);
            assert_eq!(e[0].path, "/fine");
            assert_eq!(e[0].summary.as_deref(), Some("ok"), "one line, no bidi control");
        }
    }

    #[test]
    fn paths_match_whatever_their_parameters_are_called() {
        assert_eq!(path_shape("/v1/pets/{petId}/toys/{id}"), "/v1/pets/{}/toys/{}");
        assert_eq!(path_shape("/v1/pets"), "/v1/pets");
    }
}
