//! Schemas of the API reference written as HTML: nested lists of fields with their types and
//! limits, `allOf` merged ([`crate::openapi::schema::merged`]) so that a field declared as
//! `{allOf: [{$ref: ResourceId}], description}` reads "string, ≤ 50 characters" as the
//! referenced type says. Every value is escaped ([`esc`]) and every description goes through
//! the caller's Markdown writer (the portal's link rules, headings as bold text).

use crate::openapi::deref;
use crate::openapi::schema::{merged, single_ref};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// How deep a schema is written before "…".
const MAX_SCHEMA_DEPTH: usize = 8;
/// The most HTML one schema is written as.
const MAX_SCHEMA_HTML: usize = 512 * 1024;
const TRUNCATED: &str = "<p class=\"schema-more\">… (the rest of this schema is too large to show)</p>";

/// HTML text and attribute escaping (the one encoder, [`crate::encode::html`]).
pub fn esc(s: &str) -> String {
    crate::encode::html::escape(s)
}

/// Writes descriptions found in schemas as HTML.
pub type Markdown<'a> = &'a dyn Fn(&str) -> String;

/// An example value as text: a string as it is, anything else as indented JSON.
pub fn example_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// A scalar value as text (a string without its quotes).
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The last segment of a `#/components/schemas/Pet` reference: `Pet`.
fn ref_name(r: &str) -> &str {
    r.rsplit('/').next().unwrap_or(r)
}

fn is_object(s: &Value) -> bool {
    s.get("properties").is_some() || s.get("allOf").is_some()
}

/// `string`, `array of Pet`, `integer (int64)`, `string | null`, `one of`: what a field
/// holds. A reference to an object is named by its schema's name; a reference to anything
/// else (or an `allOf` of one) is the type it stands for.
pub fn type_label(doc: &Value, s: &Value) -> String {
    label(doc, s, &mut Vec::new(), 0)
}

/// [`type_label`] with the references on the way: one met again (`Loop: {type: array, items:
/// {$ref: Loop}}`) is written by its name, `array of Loop`, as is anything deeper than
/// [`MAX_SCHEMA_DEPTH`], so a recursive schema never recurses here.
fn label(doc: &Value, s: &Value, seen: &mut Vec<String>, depth: usize) -> String {
    let reference = s.get("$ref").and_then(Value::as_str).or_else(|| single_ref(s));
    if let Some(r) = reference {
        if depth > MAX_SCHEMA_DEPTH || seen.iter().any(|x| x == r) {
            return ref_name(r).to_string();
        }
        let target = deref(doc, &serde_json::json!({"$ref": r})).clone();
        if is_object(&target) {
            return ref_name(r).to_string();
        }
        if s.get("$ref").is_some() {
            seen.push(r.to_string());
            let out = label(doc, &target, seen, depth + 1);
            seen.pop();
            return out;
        }
    }
    let s = &merged(doc, s);
    let mut t = match s.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ => {
            if s.get("oneOf").is_some() {
                "one of".into()
            } else if s.get("anyOf").is_some() {
                "any of".into()
            } else if s.get("properties").is_some() {
                "object".into()
            } else {
                "any".into()
            }
        }
    };
    if t == "array" {
        if let Some(items) = s.get("items") {
            t = if depth > MAX_SCHEMA_DEPTH {
                "array".to_string()
            } else {
                format!("array of {}", label(doc, items, seen, depth + 1))
            };
        }
    }
    if let Some(f) = s.get("format").and_then(Value::as_str) {
        t.push_str(&format!(" ({f})"));
    }
    if s.get("nullable").and_then(Value::as_bool) == Some(true) {
        t.push_str(" | null");
    }
    t
}

/// A schema as nested HTML lists. `seen` holds the references being written, so a recursive
/// schema is written once and then named.
pub fn schema(doc: &Value, md: Markdown, s: &Value, out: &mut String, seen: &mut Vec<String>, depth: usize) {
    // A schema that fans out through references (a hundred fields each naming a schema of a
    // hundred fields...) would write without end: past this size, the rest is left out.
    if out.len() > MAX_SCHEMA_HTML {
        if !out.ends_with(TRUNCATED) {
            out.push_str(TRUNCATED);
        }
        return;
    }
    if depth > MAX_SCHEMA_DEPTH {
        out.push_str("<p class=\"schema-more\">…</p>");
        return;
    }
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        if seen.iter().any(|x| x == r) {
            let _ = write!(out, "<p class=\"schema-ref\">{} (as above)</p>", esc(ref_name(r)));
            return;
        }
        seen.push(r.to_string());
        schema(doc, md, deref(doc, s), out, seen, depth);
        seen.pop();
        return;
    }
    let m = merged(doc, s);
    let _ = write!(
        out,
        "<p class=\"schema-type\"><span class=\"type\">{}</span>",
        esc(&type_label(doc, s))
    );
    constraints(&m, out);
    out.push_str("</p>");
    if let Some(d) = m.get("description").and_then(Value::as_str) {
        out.push_str(&md(d));
    }
    for (key, label) in [("oneOf", "One of"), ("anyOf", "Any of")] {
        if let Some(alts) = m.get(key).and_then(Value::as_array) {
            let _ = write!(out, "<p>{label}:</p><ol class=\"alternatives\">");
            for alt in alts {
                out.push_str("<li>");
                schema(doc, md, alt, out, seen, depth + 1);
                out.push_str("</li>");
            }
            out.push_str("</ol>");
        }
    }
    // allOf: the parts' fields together, as the composed object has them.
    let mut props: Vec<(String, Value)> = Vec::new();
    let mut required: BTreeSet<String> = BTreeSet::new();
    collect_object(doc, s, &mut props, &mut required, &mut Vec::new(), 0);
    if !props.is_empty() {
        out.push_str("<ul class=\"fields\">");
        for (name, p) in &props {
            field(doc, md, name, p, required.contains(name), out, seen, depth);
        }
        out.push_str("</ul>");
    } else if let Some(items) = m.get("items") {
        let target = deref(doc, items);
        if is_object(target) || target.get("oneOf").is_some() {
            out.push_str("<div class=\"nested\"><p>Each item:</p>");
            schema(doc, md, items, out, seen, depth + 1);
            out.push_str("</div>");
        }
    }
}

/// One field of an object: name, type, flags, limits, description, and what it nests.
#[allow(clippy::too_many_arguments)] // the writer's state, passed down as schema() has it
fn field(
    doc: &Value,
    md: Markdown,
    name: &str,
    p: &Value,
    required: bool,
    out: &mut String,
    seen: &mut Vec<String>,
    depth: usize,
) {
    let resolved = merged(doc, p);
    let _ = write!(
        out,
        "<li><code class=\"field\">{}</code> <span class=\"type\">{}</span>",
        esc(name),
        esc(&type_label(doc, p))
    );
    if required {
        out.push_str(" <span class=\"required\">required</span>");
    }
    if resolved.get("readOnly").and_then(Value::as_bool) == Some(true) {
        out.push_str(" <span class=\"flag\">read-only</span>");
    }
    if resolved.get("writeOnly").and_then(Value::as_bool) == Some(true) {
        out.push_str(" <span class=\"flag\">write-only</span>");
    }
    if resolved.get("deprecated").and_then(Value::as_bool) == Some(true) {
        out.push_str(" <span class=\"flag\">deprecated</span>");
    }
    constraints(&resolved, out);
    if let Some(d) = resolved.get("description").and_then(Value::as_str) {
        out.push_str(&md(d));
    }
    // Nested objects, arrays of objects and compositions are written below the field.
    if let Some(inner) = nested(doc, p) {
        let r = inner
            .get("$ref")
            .and_then(Value::as_str)
            .or_else(|| single_ref(inner))
            .map(str::to_string);
        if let Some(r) = &r
            && seen.contains(r)
        {
            let _ = write!(out, "<p class=\"schema-ref\">{} (as above)</p>", esc(ref_name(r)));
        } else {
            if let Some(r) = &r {
                seen.push(r.clone());
            }
            let target = merged(doc, inner);
            let mut sub_props = Vec::new();
            collect_object(doc, &target, &mut sub_props, &mut BTreeSet::new(), &mut Vec::new(), 0);
            if !sub_props.is_empty() || target.get("oneOf").is_some() || target.get("anyOf").is_some() {
                out.push_str("<div class=\"nested\">");
                schema(doc, md, &target, out, seen, depth + 1);
                out.push_str("</div>");
            }
            if r.is_some() {
                seen.pop();
            }
        }
    }
    out.push_str("</li>");
}

/// The schema to write below a field: itself if it is an object or a composition, its items
/// if it is an array of those.
fn nested<'a>(doc: &'a Value, p: &'a Value) -> Option<&'a Value> {
    let complex = |v: &Value| {
        let m = merged(doc, v);
        m.get("properties").is_some() || m.get("oneOf").is_some() || m.get("anyOf").is_some()
    };
    if complex(p) {
        return Some(p);
    }
    let items = deref(doc, p).get("items")?;
    complex(items).then_some(items)
}

/// The properties and required names of an object schema, through `allOf` and references.
fn collect_object(
    doc: &Value,
    s: &Value,
    props: &mut Vec<(String, Value)>,
    required: &mut BTreeSet<String>,
    seen: &mut Vec<String>,
    depth: usize,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        if seen.iter().any(|x| x == r) {
            return;
        }
        seen.push(r.to_string());
        collect_object(doc, deref(doc, s), props, required, seen, depth + 1);
        seen.pop();
        return;
    }
    for part in s.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        collect_object(doc, part, props, required, seen, depth + 1);
    }
    for (k, v) in s.get("properties").and_then(Value::as_object).into_iter().flatten() {
        match props.iter_mut().find(|(n, _)| n == k) {
            Some(slot) => slot.1 = v.clone(),
            None => props.push((k.clone(), v.clone())),
        }
    }
    for r in s.get("required").and_then(Value::as_array).into_iter().flatten() {
        if let Some(r) = r.as_str() {
            required.insert(r.to_string());
        }
    }
}

/// `1 character`, `50 characters`.
fn plural(n: &Value, one: &str, many: &str) -> String {
    let n = scalar(n);
    format!("{n} {}", if n == "1" { one } else { many })
}

/// Enum values, defaults, bounds, patterns and examples, after a type, worded as Redoc
/// words them: `≤ 50 characters`, `[1 .. 100]`, `non-empty`.
pub fn constraints(s: &Value, out: &mut String) {
    let mut parts: Vec<String> = Vec::new();
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = e.iter().map(|v| format!("<code>{}</code>", esc(&scalar(v)))).collect();
        parts.push(format!("one of {}", values.join(", ")));
    }
    if let Some(c) = s.get("const") {
        parts.push(format!("always <code>{}</code>", esc(&scalar(c))));
    }
    if let Some(d) = s.get("default") {
        parts.push(format!("default <code>{}</code>", esc(&scalar(d))));
    }
    let range = |min: Option<&Value>, max: Option<&Value>, one: &str, many: &str| -> Option<String> {
        Some(match (min, max) {
            (Some(a), Some(b)) if a == b => plural(a, one, many),
            (Some(a), Some(b)) => format!("[{} .. {}] {many}", scalar(a), scalar(b)),
            (Some(a), None) if one == "character" && scalar(a) == "1" => "non-empty".to_string(),
            (Some(a), None) => format!("≥ {}", plural(a, one, many)),
            (None, Some(b)) => format!("≤ {}", plural(b, one, many)),
            (None, None) => return None,
        })
    };
    let exclusive = |k: &str| s.get(k).and_then(Value::as_bool) == Some(true);
    let (min, max) = (s.get("minimum"), s.get("maximum"));
    match (min, max) {
        (Some(a), Some(b)) => parts.push(format!(
            "{} {} .. {} {}",
            if exclusive("exclusiveMinimum") { "(" } else { "[" },
            scalar(a),
            scalar(b),
            if exclusive("exclusiveMaximum") { ")" } else { "]" }
        )),
        (Some(a), None) => parts.push(format!(
            "{} {}",
            if exclusive("exclusiveMinimum") { ">" } else { "≥" },
            scalar(a)
        )),
        (None, Some(b)) => parts.push(format!(
            "{} {}",
            if exclusive("exclusiveMaximum") { "<" } else { "≤" },
            scalar(b)
        )),
        (None, None) => {}
    }
    // 3.1 writes exclusive bounds as numbers.
    for (k, sign) in [("exclusiveMinimum", ">"), ("exclusiveMaximum", "<")] {
        if let Some(v) = s.get(k).filter(|v| v.is_number()) {
            parts.push(format!("{sign} {}", scalar(v)));
        }
    }
    parts.extend(range(s.get("minLength"), s.get("maxLength"), "character", "characters"));
    parts.extend(range(s.get("minItems"), s.get("maxItems"), "item", "items"));
    if s.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
        parts.push("unique items".into());
    }
    if let Some(p) = s.get("pattern").and_then(Value::as_str) {
        parts.push(format!("pattern <code>{}</code>", esc(p)));
    }
    let example = s
        .get("example")
        .or_else(|| s.get("examples").and_then(Value::as_array).and_then(|a| a.first()));
    if let Some(e) = example.filter(|e| !e.is_object() && !e.is_array()) {
        parts.push(format!("example <code>{}</code>", esc(&scalar(e))));
    }
    if !parts.is_empty() {
        let _ = write!(out, " <span class=\"constraints\">{}</span>", esc_join(&parts));
    }
}

/// The parts of [`constraints`], already HTML, joined.
fn esc_join(parts: &[String]) -> String {
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_field_that_is_an_all_of_of_a_reference_reads_as_the_referenced_type_with_its_limits() {
        let doc = json!({"components": {"schemas": {
            "ResourceId": {"type": "string", "maxLength": 50},
            "Pet": {"type": "object", "properties": {"id": {"$ref": "#/components/schemas/ResourceId"}}},
            "Order": {"type": "object", "properties": {
                "customerId": {"allOf": [{"$ref": "#/components/schemas/ResourceId"}], "description": "The customer.", "readOnly": true},
                "pet": {"allOf": [{"$ref": "#/components/schemas/Pet"}], "description": "The pet."},
                "count": {"type": "integer", "minimum": 1, "maximum": 10},
            }},
        }}});
        let md = |d: &str| format!("<p>{}</p>", esc(d));
        let mut out = String::new();
        schema(
            &doc,
            &md,
            &json!({"$ref": "#/components/schemas/Order"}),
            &mut out,
            &mut Vec::new(),
            0,
        );
        assert!(
            out.contains("<code class=\"field\">customerId</code> <span class=\"type\">string</span> <span class=\"flag\">read-only</span> <span class=\"constraints\">≤ 50 characters</span><p>The customer.</p>"),
            "{out}"
        );
        assert!(
            out.contains("<code class=\"field\">pet</code> <span class=\"type\">Pet</span>"),
            "{out}"
        );
        assert!(out.contains("[ 1 .. 10 ]") || out.contains("[1 .. 10]"), "{out}");
        // The referenced object's fields are written below the field.
        assert!(out.contains("<code class=\"field\">id</code>"), "{out}");
    }
}
