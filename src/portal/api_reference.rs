//! The portal's API reference (SPEC §13): one page per product with an OpenAPI description,
//! or one per tag when the API is large, with every operation grouped by tag, its
//! parameters, request body and responses with their schemas, examples, and how to send the
//! key.
//!
//! The page's data is built here; schemas, which nest without bound, are written here as
//! HTML too, every value escaped ([`esc`]) and every description through the portal's
//! Markdown renderer with its link rules ([`filters::markdown_to_html`]). Nothing here
//! writes a script or an inline handler, so the portal's Content-Security-Policy holds.

use crate::openapi::{Api, Operation, Parameter, deref};
use crate::template::filters;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// An API with more operations than this gets one page per tag.
pub const OPERATIONS_PER_PAGE: usize = 40;
/// How deep a schema is written before "…".
const MAX_SCHEMA_DEPTH: usize = 8;
/// The most HTML one schema is written as.
const MAX_SCHEMA_HTML: usize = 512 * 1024;
const TRUNCATED: &str = "<p class=\"schema-more\">… (the rest of this schema is too large to show)</p>";
/// The header the gateways read the key from (SPEC §7).
pub const KEY_HEADER: &str = "X-Api-Key";

/// HTML text and attribute escaping (the one encoder, [`crate::encode::html`]).
pub fn esc(s: &str) -> String {
    crate::encode::html::escape(s)
}

/// An id for an anchor: the portal's slug (letters, digits and `-`).
fn anchor(s: &str) -> String {
    filters::slug(s)
}

/// The pages of a product's reference: `(file below the product's folder, context)`.
pub fn pages(product: &str, api: &Api) -> Vec<(String, Value)> {
    let groups = groups(api);
    let summary = |gs: &[Value]| -> Value {
        json!(gs.iter().map(|g| json!({"tag": g["tag"], "anchor": g["anchor"], "count": g["operations"].as_array().map(Vec::len)})).collect::<Vec<_>>())
    };
    let base = json!({
        "product": product,
        "title": api.title,
        "version": api.version,
        "openapi": api.openapi,
        "descriptionHtml": filters::markdown_to_html(&api.description),
        "keyHeader": KEY_HEADER,
        "operationCount": api.operations.len(),
    });
    if api.operations.len() <= OPERATIONS_PER_PAGE || groups.len() < 2 {
        let mut v = base;
        v["toc"] = summary(&groups);
        v["groups"] = json!(groups);
        v["pages"] = json!([]);
        return vec![("api.html".to_string(), v)];
    }
    let index: Vec<Value> = groups
        .iter()
        .map(|g| json!({"tag": g["tag"], "href": format!("api-{}.html", g["anchor"].as_str().unwrap_or("other")), "count": g["operations"].as_array().map(Vec::len)}))
        .collect();
    let mut out = Vec::new();
    let mut first = base.clone();
    first["toc"] = json!([]);
    first["groups"] = json!([]);
    first["pages"] = json!(index);
    out.push(("api.html".to_string(), first));
    for g in groups {
        let mut v = base.clone();
        v["pages"] = json!(index);
        v["toc"] = summary(std::slice::from_ref(&g));
        let file = format!("api-{}.html", g["anchor"].as_str().unwrap_or("other"));
        v["groups"] = json!([g]);
        out.push((file, v));
    }
    out
}

/// Operations grouped by their first tag, in the order of the description's tags; untagged
/// ones last.
fn groups(api: &Api) -> Vec<Value> {
    let mut names: Vec<String> = api.tags.iter().map(|t| t.name.clone()).collect();
    let untagged = api.operations.iter().any(|o| o.tags.is_empty());
    if untagged {
        names.push(String::new());
    }
    let mut used = BTreeSet::new();
    let mut out = Vec::new();
    for name in names {
        let ops: Vec<&Operation> = api
            .operations
            .iter()
            .filter(|o| o.tags.first().map(String::as_str).unwrap_or("") == name)
            .collect();
        if ops.is_empty() {
            continue;
        }
        let tag_desc = api
            .tags
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.description.as_str())
            .unwrap_or("");
        let mut a = format!("tag-{}", anchor(if name.is_empty() { "other" } else { &name }));
        while !used.insert(a.clone()) {
            a.push('-');
        }
        out.push(json!({
            "tag": if name.is_empty() { "Other operations".to_string() } else { name.clone() },
            "anchor": a,
            "descriptionHtml": filters::markdown_to_html(tag_desc),
            "operations": ops.iter().map(|o| operation(api, o, &mut used)).collect::<Vec<_>>(),
        }));
    }
    out
}

fn operation(api: &Api, op: &Operation, used: &mut BTreeSet<String>) -> Value {
    let mut a = format!("op-{}", anchor(op.operation_id.as_deref().unwrap_or(&op.key())));
    while !used.insert(a.clone()) {
        a.push('-');
    }
    let request = op.request_body.as_ref().map(|b| {
        json!({
            "required": b.get("required").and_then(Value::as_bool).unwrap_or(false),
            "descriptionHtml": filters::markdown_to_html(b.get("description").and_then(Value::as_str).unwrap_or("")),
            "contents": contents(api, b),
        })
    });
    let responses: Vec<Value> = op
        .responses
        .iter()
        .map(|(status, r)| {
            json!({
                "status": status,
                "descriptionHtml": filters::markdown_to_html(r.get("description").and_then(Value::as_str).unwrap_or("")),
                "contents": contents(api, r),
                "headers": r.get("headers").and_then(Value::as_object).map(|h| h.keys().cloned().collect::<Vec<_>>()).unwrap_or_default(),
            })
        })
        .collect();
    json!({
        "anchor": a,
        "method": op.method,
        "path": op.path,
        "operationId": op.operation_id,
        "summary": op.summary,
        "descriptionHtml": filters::markdown_to_html(&op.description),
        "deprecated": op.deprecated,
        "routed": op.endpoint_method().is_some(),
        "parameters": op.parameters.iter().map(|p| parameter(api, p)).collect::<Vec<_>>(),
        "requestBody": request,
        "responses": responses,
    })
}

fn parameter(api: &Api, p: &Parameter) -> Value {
    let schema = p.schema.as_ref().map(|s| deref(&api.doc, s));
    json!({
        "name": p.name,
        "in": p.location,
        "required": p.required,
        "deprecated": p.deprecated,
        "type": schema.map(|s| type_label(&api.doc, s)).unwrap_or_default(),
        "descriptionHtml": filters::markdown_to_html(&p.description),
        "example": p.example.as_ref().or_else(|| schema.and_then(|s| s.get("example"))).map(example_text),
        "enum": schema.and_then(|s| s.get("enum")).and_then(Value::as_array).map(|e| e.iter().map(scalar).collect::<Vec<_>>()),
    })
}

/// Each media type of a request body or response, with its schema written out and examples.
fn contents(api: &Api, v: &Value) -> Vec<Value> {
    v.get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(mt, m)| {
            let mut examples: Vec<Value> = Vec::new();
            if let Some(e) = m.get("example") {
                examples.push(json!({"name": "", "text": example_text(e)}));
            }
            for (name, e) in m.get("examples").and_then(Value::as_object).into_iter().flatten() {
                let e = deref(&api.doc, e);
                if let Some(value) = e.get("value") {
                    examples.push(json!({"name": e.get("summary").and_then(Value::as_str).unwrap_or(name), "text": example_text(value)}));
                }
            }
            let schema_html = m.get("schema").map(|s| {
                let mut out = String::new();
                schema(api, s, &mut out, &mut Vec::new(), 0);
                out
            });
            json!({"mediaType": mt, "schemaHtml": schema_html, "examples": examples})
        })
        .collect()
}

fn example_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The last segment of a `#/components/schemas/Pet` reference: `Pet`.
fn ref_name(r: &str) -> &str {
    r.rsplit('/').next().unwrap_or(r)
}

/// `string`, `array of Pet`, `integer (int64)`, `string | null`, `one of 2`.
fn type_label(doc: &Value, s: &Value) -> String {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let target = deref(doc, s);
        if target.get("properties").is_some() || target.get("allOf").is_some() {
            return ref_name(r).to_string();
        }
        return type_label(doc, target);
    }
    let mut t = match s.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ => {
            if s.get("oneOf").is_some() {
                "one of".into()
            } else if s.get("anyOf").is_some() {
                "any of".into()
            } else if s.get("allOf").is_some() || s.get("properties").is_some() {
                "object".into()
            } else {
                "any".into()
            }
        }
    };
    if t == "array" {
        if let Some(items) = s.get("items") {
            t = format!("array of {}", type_label(doc, items));
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
fn schema(api: &Api, s: &Value, out: &mut String, seen: &mut Vec<String>, depth: usize) {
    let doc = &api.doc;
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
        schema(api, deref(doc, s), out, seen, depth);
        seen.pop();
        return;
    }
    let _ = write!(
        out,
        "<p class=\"schema-type\"><span class=\"type\">{}</span>",
        esc(&type_label(doc, s))
    );
    constraints(s, out);
    out.push_str("</p>");
    if let Some(d) = s.get("description").and_then(Value::as_str) {
        out.push_str(&filters::markdown_to_html(d));
    }
    for (key, label) in [("oneOf", "One of"), ("anyOf", "Any of")] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            let _ = write!(out, "<p>{label}:</p><ol class=\"alternatives\">");
            for alt in alts {
                out.push_str("<li>");
                schema(api, alt, out, seen, depth + 1);
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
            let p_resolved = deref(doc, p);
            let _ = write!(
                out,
                "<li><code class=\"field\">{}</code> <span class=\"type\">{}</span>",
                esc(name),
                esc(&type_label(doc, p))
            );
            if required.contains(name) {
                out.push_str(" <span class=\"required\">required</span>");
            }
            if p_resolved.get("readOnly").and_then(Value::as_bool) == Some(true) {
                out.push_str(" <span class=\"flag\">read-only</span>");
            }
            if p_resolved.get("deprecated").and_then(Value::as_bool) == Some(true) {
                out.push_str(" <span class=\"flag\">deprecated</span>");
            }
            constraints(p_resolved, out);
            if let Some(d) = p_resolved.get("description").and_then(Value::as_str) {
                out.push_str(&filters::markdown_to_html(d));
            }
            // Nested objects, arrays of objects and compositions are written below the field.
            let inner = nested(doc, p);
            if let Some(inner) = inner {
                let r = inner.get("$ref").and_then(Value::as_str).map(str::to_string);
                if let Some(r) = &r
                    && seen.contains(r)
                {
                    let _ = write!(out, "<p class=\"schema-ref\">{} (as above)</p>", esc(ref_name(r)));
                } else {
                    if let Some(r) = &r {
                        seen.push(r.clone());
                    }
                    let target = deref(doc, inner);
                    let mut sub_props = Vec::new();
                    collect_object(doc, target, &mut sub_props, &mut BTreeSet::new(), &mut Vec::new(), 0);
                    if !sub_props.is_empty() || target.get("oneOf").is_some() || target.get("anyOf").is_some() {
                        out.push_str("<div class=\"nested\">");
                        schema(api, target, out, seen, depth + 1);
                        out.push_str("</div>");
                    }
                    if r.is_some() {
                        seen.pop();
                    }
                }
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    } else if let Some(items) = s.get("items") {
        let target = deref(doc, items);
        if target.get("properties").is_some() || target.get("allOf").is_some() || target.get("oneOf").is_some() {
            out.push_str("<div class=\"nested\"><p>Each item:</p>");
            schema(api, items, out, seen, depth + 1);
            out.push_str("</div>");
        }
    }
}

/// The schema to write below a field: itself if it is an object or a composition, its items
/// if it is an array of those.
fn nested<'a>(doc: &'a Value, p: &'a Value) -> Option<&'a Value> {
    let t = deref(doc, p);
    let complex = |v: &Value| {
        v.get("properties").is_some()
            || v.get("allOf").is_some()
            || v.get("oneOf").is_some()
            || v.get("anyOf").is_some()
    };
    if complex(t) {
        return Some(p);
    }
    let items = t.get("items")?;
    complex(deref(doc, items)).then_some(items)
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

/// Enum values, defaults, bounds, patterns and examples, after a type.
fn constraints(s: &Value, out: &mut String) {
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
    for (k, label) in [
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("minItems", "items ≥"),
        ("maxItems", "items ≤"),
    ] {
        if let Some(v) = s.get(k) {
            parts.push(format!("{label} {}", esc(&scalar(v))));
        }
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
        let _ = write!(out, " <span class=\"constraints\">{}</span>", parts.join("; "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_anchors_are_plain() {
        assert_eq!(
            esc("<img src=x onerror=alert(1)>&\"'"),
            "&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;"
        );
        assert_eq!(anchor("GET /pets/{id}"), "get-pets-id");
        assert_eq!(anchor("\"><script>"), "script");
    }
}
