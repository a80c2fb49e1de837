//! The JSON schemas of the four kinds, and validating raw documents against them.
//!
//! The schemas are generated from the spec types with schemars and committed under
//! `schemas/` (a test fails when they drift). Each is compiled once per process and reused.
//! Schema errors come back as `schema` findings located at the offending YAML node: the JSON
//! instance path is mapped back through the document's [`Positions`](crate::source::yaml::Positions).

use crate::diag::{Code, Diagnostic, Location};
use crate::source::yaml::YamlDoc;
use crate::spec::{Kind, PartnerDocument, ProductDocument, ProgramDocument, RequestDocument, TermsDocument};
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;
use std::sync::OnceLock;

mod dates;

const SCHEMA_BASE: &str = "https://partnerctl.dev/schemas/v1";

/// The JSON schema of a kind, as committed in `schemas/<kind>.schema.json`.
pub fn schema_value(kind: Kind) -> Value {
    let schema = match kind {
        Kind::Program => schemars::schema_for!(ProgramDocument),
        Kind::Product => schemars::schema_for!(ProductDocument),
        Kind::Terms => schemars::schema_for!(TermsDocument),
        Kind::Partner => schemars::schema_for!(PartnerDocument),
    };
    finish_schema(schema.to_value(), kind.lower())
}

/// The name `schema request` takes and the committed file is named after.
pub const REQUEST: &str = "request";

/// The JSON schema of a Request (SPEC §15.2), committed as `schemas/request.schema.json`.
/// A Request is not a resource kind: it is never read from the repository.
pub fn request_schema_value() -> Value {
    finish_schema(schemars::schema_for!(RequestDocument).to_value(), REQUEST)
}

/// [`request_schema_value`] as the text committed in `schemas/`.
pub fn request_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&request_schema_value()).expect("a schema serializes");
    s.push('\n');
    s
}

/// Enums as `enum`s, and the identity first so the file reads well.
fn finish_schema(mut value: Value, name: &str) -> Value {
    consts_to_enums(&mut value);
    if let Value::Object(map) = &mut value {
        let mut out = serde_json::Map::new();
        out.insert("$schema".into(), map.remove("$schema").unwrap_or(Value::Null));
        out.insert("$id".into(), Value::String(format!("{SCHEMA_BASE}/{name}.schema.json")));
        for (k, v) in std::mem::take(map) {
            out.insert(k, v);
        }
        value = Value::Object(out);
    }
    value
}

/// Rewrites `oneOf: [{const: a, description}, ...]` (how schemars writes documented enums)
/// as `enum: [a, ...]` with the values' descriptions folded into the description, so that
/// validators (ours, editors', check-jsonschema's) say "not one of: a, b" instead of "not valid
/// under any of the schemas listed in oneOf".
fn consts_to_enums(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let all_consts = map
                .get("oneOf")
                .and_then(Value::as_array)
                .is_some_and(|alts| !alts.is_empty() && alts.iter().all(|a| a.get("const").is_some()));
            if all_consts {
                let alts = map
                    .remove("oneOf")
                    .and_then(|a| a.as_array().cloned())
                    .unwrap_or_default();
                let mut lines = Vec::new();
                let mut values = Vec::new();
                for a in &alts {
                    let c = a["const"].clone();
                    if let Some(d) = a.get("description").and_then(Value::as_str) {
                        lines.push(format!(
                            "`{}`: {d}",
                            c.as_str().map(str::to_string).unwrap_or_else(|| c.to_string())
                        ));
                    }
                    values.push(c);
                }
                if values.iter().all(Value::is_string) {
                    map.insert("type".into(), Value::String("string".into()));
                }
                map.insert("enum".into(), Value::Array(values));
                if !lines.is_empty() {
                    let base = map
                        .get("description")
                        .and_then(Value::as_str)
                        .map(|d| format!("{d}\n\n"))
                        .unwrap_or_default();
                    map.insert(
                        "description".into(),
                        Value::String(format!("{base}{}", lines.join("\n"))),
                    );
                }
            }
            for child in map.values_mut() {
                consts_to_enums(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(consts_to_enums),
        _ => {}
    }
}

/// The schema as the pretty-printed text committed in `schemas/`, ending in a newline.
pub fn schema_text(kind: Kind) -> String {
    let mut s = serde_json::to_string_pretty(&schema_value(kind)).expect("a schema serializes");
    s.push('\n');
    s
}

/// Compiles the schemas now rather than when the first document is validated (see
/// [`crate::model::prepare`]).
pub fn prepare() {
    validators();
}

fn validators() -> &'static [jsonschema::Validator; 4] {
    static VALIDATORS: OnceLock<[jsonschema::Validator; 4]> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        Kind::ALL.map(|k| {
            jsonschema::options()
                .should_validate_formats(true)
                .build(&schema_value(k))
                .expect("the generated schemas compile")
        })
    })
}

fn validator(kind: Kind) -> &'static jsonschema::Validator {
    let i = Kind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("every kind has a schema");
    &validators()[i]
}

/// Validates a parsed document against its kind's schema. Each violation is one finding,
/// located at the node it is about (for an unknown field: the key itself).
pub fn validate(kind: Kind, file: &str, doc: &YamlDoc) -> Vec<Diagnostic> {
    let v = validator(kind);
    if v.is_valid(&doc.value) {
        return Vec::new();
    }
    validate_with(v, &schema_value(kind), file, doc)
        .into_iter()
        .map(|(_, d)| d)
        .collect()
}

/// Validates a Request against its schema, as [`validate`] does a resource; each finding
/// comes with the JSON pointer of the request field at fault.
pub fn validate_request(file: &str, doc: &YamlDoc) -> Vec<(String, Diagnostic)> {
    static VALIDATOR: OnceLock<(jsonschema::Validator, Value)> = OnceLock::new();
    let (v, root) = VALIDATOR.get_or_init(|| {
        let root = request_schema_value();
        let v = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .expect("the generated schemas compile");
        (v, root)
    });
    if v.is_valid(&doc.value) {
        return Vec::new();
    }
    validate_with(v, root, file, doc)
}

/// Each finding with the JSON pointer of the value it is about.
fn validate_with(v: &jsonschema::Validator, root: &Value, file: &str, doc: &YamlDoc) -> Vec<(String, Diagnostic)> {
    let mut out = Vec::new();
    // A date written wrong breaks its format, its pattern or the `anyOf` of an optional
    // date at once: one finding per node, saying what is wrong with it.
    let mut dates: Vec<String> = Vec::new();
    for err in v.iter_errors(&doc.value) {
        let pointer = err.instance_path().as_str().to_string();
        let field = describe_pointer(&pointer);
        if let Some(text) = err.instance().as_str()
            && is_date(root, &doc.value, &pointer)
        {
            if !dates.contains(&pointer) {
                let pos = doc.pos(&pointer);
                let (what, hint) = dates::advice(text);
                out.push((
                    pointer.clone(),
                    Diagnostic::new(
                        Code::Schema,
                        &Location::new(file, pos.line, pos.column),
                        format!("{field}: {} {what}", short(err.instance())),
                    )
                    .with_hint(hint),
                ));
                dates.push(pointer);
            }
            continue;
        }
        match err.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                let allowed = allowed_fields(root, &doc.value, &pointer);
                for key in unexpected {
                    let child = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                    let pos = doc.key_pos(&child);
                    let mut d = Diagnostic::new(
                        Code::Schema,
                        &Location::new(file, pos.line, pos.column),
                        format!("unknown field `{key}` in {field}"),
                    );
                    if let Some(allowed) = &allowed {
                        let hint = match closest(key, allowed) {
                            Some(best) => format!("did you mean `{best}`? allowed here: {}", allowed.join(", ")),
                            None => format!("allowed here: {}", allowed.join(", ")),
                        };
                        d = d.with_hint(hint);
                    }
                    out.push((child, d));
                }
            }
            ValidationErrorKind::Required { property } => {
                let pos = doc.pos(&pointer);
                let name = property.as_str().unwrap_or("?");
                out.push((
                    pointer.clone(),
                    Diagnostic::new(
                        Code::Schema,
                        &Location::new(file, pos.line, pos.column),
                        format!("{field} is missing the required field `{name}`"),
                    ),
                ));
            }
            ValidationErrorKind::Enum { options } => {
                let pos = doc.pos(&pointer);
                let opts: Vec<String> = options
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|o| o.as_str().map(str::to_string).unwrap_or_else(|| o.to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                let got = short(err.instance());
                let mut d = Diagnostic::new(
                    Code::Schema,
                    &Location::new(file, pos.line, pos.column),
                    format!("{field}: {got} is not one of: {}", opts.join(", ")),
                );
                if let Some(s) = err.instance().as_str()
                    && let Some(best) = closest(s, &opts)
                {
                    d = d.with_hint(format!("did you mean `{best}`?"));
                }
                out.push((pointer.clone(), d));
            }
            ValidationErrorKind::Type { .. } => {
                let pos = doc.pos(&pointer);
                let expected = err.to_string();
                let expected = expected
                    .rsplit(" is not of type ")
                    .next()
                    .unwrap_or("")
                    .replace('"', "");
                let mut d = Diagnostic::new(
                    Code::Schema,
                    &Location::new(file, pos.line, pos.column),
                    format!(
                        "{field}: expected {}, found {}",
                        article(&expected),
                        type_name(err.instance())
                    ),
                );
                if err.instance().is_number() && expected.contains("string") {
                    d = d.with_hint("quote the value, e.g. version: \"1.0\"");
                }
                out.push((pointer.clone(), d));
            }
            ValidationErrorKind::Pattern { pattern } => {
                let pos = doc.pos(&pointer);
                let got = short(err.instance());
                let what = if pattern == crate::spec::NAME_PATTERN {
                    "is not a valid name (lower case letters, digits and dashes, at most 63 characters, starting and ending with a letter or digit)".to_string()
                } else if pattern.starts_with("^[0-9]{4}") {
                    "is not a date written YYYY-MM-DD".to_string()
                } else if pattern == crate::spec::LINE_PATTERN {
                    "holds a line break or another control character; this field is one line of plain text (control characters could break the outputs it is written into)".to_string()
                } else if pattern == crate::spec::TEXT_PATTERN {
                    "holds a control character other than a line break or a tab".to_string()
                } else if pattern == crate::spec::URL_PATTERN {
                    "is not an http(s) URL without spaces, quotes, `<>`, `\\`, `{}|^`, backticks or `$`".to_string()
                } else {
                    format!("does not match the pattern {pattern}")
                };
                out.push((
                    pointer.clone(),
                    Diagnostic::new(
                        Code::Schema,
                        &Location::new(file, pos.line, pos.column),
                        format!("{field}: {got} {what}"),
                    ),
                ));
            }
            // Said without the value, which may be a megabyte long.
            ValidationErrorKind::MaxLength { limit } | ValidationErrorKind::MaxItems { limit } => {
                let pos = doc.pos(&pointer);
                let what = if matches!(err.kind(), ValidationErrorKind::MaxLength { .. }) {
                    "characters"
                } else {
                    "items"
                };
                out.push((
                    pointer.clone(),
                    Diagnostic::new(
                        Code::Schema,
                        &Location::new(file, pos.line, pos.column),
                        format!("{field} is longer than {limit} {what}"),
                    ),
                ));
            }
            ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::OneOfMultipleValid { .. }
                if pointer.starts_with("/spec/outputs/") =>
            {
                let pos = doc.pos(&pointer);
                out.push((
                    pointer.clone(),
                    Diagnostic::new(
                        Code::Schema,
                        &Location::new(file, pos.line, pos.column),
                        format!("{field}: an output names exactly one of `target` or `template`"),
                    ),
                ));
            }
            _ => {
                let pos = doc.pos(&pointer);
                out.push((
                    pointer.clone(),
                    Diagnostic::new(
                        Code::Schema,
                        &Location::new(file, pos.line, pos.column),
                        format!("{field}: {err}"),
                    ),
                ));
            }
        }
    }
    out
}

/// `/spec/contacts/0/email` → "`spec.contacts[0].email`"; the root → "the document".
pub fn describe_pointer(pointer: &str) -> String {
    if pointer.is_empty() {
        return "the document".to_string();
    }
    let mut s = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.chars().all(|c| c.is_ascii_digit()) {
            s.push_str(&format!("[{seg}]"));
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(&seg);
        }
    }
    format!("`{s}`")
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    };
    if s.chars().count() > 60 {
        format!("{}…`", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn article(t: &str) -> String {
    match t {
        "object" => "a mapping".into(),
        "array" => "a list".into(),
        "string" => "a string".into(),
        "integer" => "a whole number".into(),
        "number" => "a number".into(),
        "boolean" => "true or false".into(),
        other => other.to_string(),
    }
}

/// The property names the schema allows for the object at `pointer`, found by walking the
/// schema along the instance path (through `$ref`s and array `items`).
fn allowed_fields(root: &Value, instance: &Value, pointer: &str) -> Option<Vec<String>> {
    let schema = schema_at(root, instance, pointer)?;
    let props = schema.get("properties")?.as_object()?;
    Some(props.keys().cloned().collect())
}

/// Follows `$ref`s within the schema.
fn deref<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) if r.starts_with("#/") => match root.pointer(&r[1..]) {
                Some(t) => s = t,
                None => return s,
            },
            _ => break,
        }
    }
    s
}

/// The schema of the node at `pointer` of `instance` (through `$ref`s and array `items`).
fn schema_at<'a>(root: &'a Value, instance: &Value, pointer: &str) -> Option<&'a Value> {
    let mut schema = deref(root, root);
    let mut inst = instance;
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if let Some(arr) = inst.as_array() {
            let i: usize = seg.parse().ok()?;
            inst = arr.get(i)?;
            schema = deref(root, schema.get("items")?);
        } else {
            inst = inst.get(&seg)?;
            let next = schema
                .get("properties")
                .and_then(|p| p.get(&seg))
                .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))?;
            schema = deref(root, next);
        }
    }
    Some(schema)
}

/// Whether the node at `pointer` is a date (`format: date`, or an optional one).
fn is_date(root: &Value, instance: &Value, pointer: &str) -> bool {
    let Some(s) = schema_at(root, instance, pointer) else {
        return false;
    };
    let date = |s: &Value| s.get("format").and_then(Value::as_str) == Some("date");
    date(s)
        || s.get("anyOf")
            .and_then(Value::as_array)
            .is_some_and(|alts| alts.iter().any(|a| date(deref(root, a))))
}

/// The allowed word closest to `word`, if it is close enough to be a likely typo.
pub fn closest(word: &str, options: &[String]) -> Option<String> {
    let w = word.to_ascii_lowercase();
    options
        .iter()
        .map(|o| (levenshtein(&w, &o.to_ascii_lowercase()), o))
        .filter(|(d, o)| *d <= (o.len().max(3) / 3).max(1) || (o.to_ascii_lowercase() == w))
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o.clone())
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
