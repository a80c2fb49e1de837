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
use crate::walk::{Exceeded, Limits, Walk, json_bytes};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// An API with more operations than this gets one page per tag.
pub const OPERATIONS_PER_PAGE: usize = 40;
/// How deep a schema is written before "…".
const MAX_SCHEMA_DEPTH: usize = 8;
/// The most HTML one schema is written as.
const MAX_SCHEMA_HTML: usize = 512 * 1024;
/// The most text and HTML one product's reference is built from, every page together: a
/// description that needs more (thousands of operations, each with a schema fanned out to
/// the limit above) is refused, `openapi-invalid` at the description.
pub const MAX_REFERENCE_BYTES: u64 = 32 * 1024 * 1024;
/// How deep the walk of a reference goes through references, items and `allOf`.
const MAX_WALK_DEPTH: usize = 64;
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

/// Markdown as HTML, its bytes charged to the walk: the text before it is read, the HTML
/// it grew by after (a bounded factor of the text).
fn md(w: &mut Walk, text: &str) -> Result<String, Exceeded> {
    w.spend(text.len() as u64)?;
    let html = filters::markdown_to_html(text);
    w.spend((html.len() as u64).saturating_sub(text.len() as u64))?;
    Ok(html)
}

/// Runs `f` through the reference `r` (one level deeper when there is none). A reference
/// already on the path (a recursive schema) or a walk too deep is `Ok(None)`, which the
/// caller shows by name; only a spent budget is an error.
fn through<T>(
    w: &mut Walk,
    r: Option<&str>,
    f: impl FnOnce(&mut Walk) -> Result<T, Exceeded>,
) -> Result<Option<T>, Exceeded> {
    let out = match r {
        Some(r) => w.follow(r, |w| f(w).map(Some)),
        None => w.descend(|w| f(w).map(Some)),
    };
    match out {
        Err(Exceeded::Cycle(_) | Exceeded::Depth(_)) => Ok(None),
        other => other,
    }
}

/// The pages of a product's reference: `(file below the product's folder, context)`; `Err`
/// when they would take more than [`MAX_REFERENCE_BYTES`].
pub fn pages(product: &str, api: &Api) -> Result<Vec<(String, Value)>, Exceeded> {
    let mut w = Walk::new(Limits {
        depth: MAX_WALK_DEPTH,
        bytes: MAX_REFERENCE_BYTES,
    });
    let groups = groups(api, &mut w)?;
    let summary = |gs: &[Value]| -> Value {
        json!(gs.iter().map(|g| json!({"tag": g["tag"], "anchor": g["anchor"], "count": g["operations"].as_array().map(Vec::len)})).collect::<Vec<_>>())
    };
    let base = json!({
        "product": product,
        "title": api.title,
        "version": api.version,
        "openapi": api.openapi,
        "descriptionHtml": md(&mut w, &api.description)?,
        "keyHeader": KEY_HEADER,
        "operationCount": api.operations.len(),
    });
    if api.operations.len() <= OPERATIONS_PER_PAGE || groups.len() < 2 {
        let mut v = base;
        v["toc"] = summary(&groups);
        v["groups"] = json!(groups);
        v["pages"] = json!([]);
        return Ok(vec![("api.html".to_string(), v)]);
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
        // Each page repeats the product's description and the index.
        w.spend(json_bytes(&base, MAX_REFERENCE_BYTES) + json_bytes(&json!(index), MAX_REFERENCE_BYTES))?;
        let mut v = base.clone();
        v["pages"] = json!(index);
        v["toc"] = summary(std::slice::from_ref(&g));
        let file = format!("api-{}.html", g["anchor"].as_str().unwrap_or("other"));
        v["groups"] = json!([g]);
        out.push((file, v));
    }
    Ok(out)
}

/// Operations grouped by their first tag, in the order of the description's tags; untagged
/// ones last.
fn groups(api: &Api, w: &mut Walk) -> Result<Vec<Value>, Exceeded> {
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
        let mut operations = Vec::with_capacity(ops.len());
        for o in ops {
            operations.push(operation(api, o, &mut used, w)?);
        }
        out.push(json!({
            "tag": if name.is_empty() { "Other operations".to_string() } else { name.clone() },
            "anchor": a,
            "descriptionHtml": md(w, tag_desc)?,
            "operations": operations,
        }));
    }
    Ok(out)
}

fn operation(api: &Api, op: &Operation, used: &mut BTreeSet<String>, w: &mut Walk) -> Result<Value, Exceeded> {
    let mut a = format!("op-{}", anchor(op.operation_id.as_deref().unwrap_or(&op.key())));
    while !used.insert(a.clone()) {
        a.push('-');
    }
    w.spend((op.path.len() + op.summary.len() + a.len()) as u64)?;
    let request = match op.request_body.as_ref() {
        None => None,
        Some(b) => Some(json!({
            "required": b.get("required").and_then(Value::as_bool).unwrap_or(false),
            "descriptionHtml": md(w, b.get("description").and_then(Value::as_str).unwrap_or(""))?,
            "contents": contents(api, b, w)?,
        })),
    };
    let mut responses = Vec::with_capacity(op.responses.len());
    for (status, r) in &op.responses {
        let headers = r
            .get("headers")
            .and_then(Value::as_object)
            .map(|h| h.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        w.spend(headers.iter().map(|h| h.len() as u64).sum())?;
        responses.push(json!({
            "status": status,
            "descriptionHtml": md(w, r.get("description").and_then(Value::as_str).unwrap_or(""))?,
            "contents": contents(api, r, w)?,
            "headers": headers,
        }));
    }
    let mut parameters = Vec::with_capacity(op.parameters.len());
    for p in &op.parameters {
        parameters.push(parameter(api, p, w)?);
    }
    Ok(json!({
        "anchor": a,
        "method": op.method,
        "path": op.path,
        "operationId": op.operation_id,
        "summary": op.summary,
        "descriptionHtml": md(w, &op.description)?,
        "deprecated": op.deprecated,
        "routed": op.endpoint_method().is_some(),
        "parameters": parameters,
        "requestBody": request,
        "responses": responses,
    }))
}

fn parameter(api: &Api, p: &Parameter, w: &mut Walk) -> Result<Value, Exceeded> {
    let schema = p.schema.as_ref().map(|s| deref(&api.doc, s));
    // Labelled from the schema as written, so that a reference it starts with is on the path.
    let label = match &p.schema {
        Some(s) => type_label(&api.doc, s, w)?,
        None => String::new(),
    };
    let example = p
        .example
        .as_ref()
        .or_else(|| schema.and_then(|s| s.get("example")))
        .map(|e| example_text(e, w))
        .transpose()?;
    let values = schema.and_then(|s| s.get("enum")).and_then(Value::as_array);
    if let Some(values) = values {
        w.spend(json_bytes(&Value::Array(values.clone()), MAX_REFERENCE_BYTES))?;
    }
    Ok(json!({
        "name": p.name,
        "in": p.location,
        "required": p.required,
        "deprecated": p.deprecated,
        "type": label,
        "descriptionHtml": md(w, &p.description)?,
        "example": example,
        "enum": values.map(|e| e.iter().map(scalar).collect::<Vec<_>>()),
    }))
}

/// Each media type of a request body or response, with its schema written out and examples.
fn contents(api: &Api, v: &Value, w: &mut Walk) -> Result<Vec<Value>, Exceeded> {
    let mut out = Vec::new();
    for (mt, m) in v.get("content").and_then(Value::as_object).into_iter().flatten() {
        let mut examples: Vec<Value> = Vec::new();
        if let Some(e) = m.get("example") {
            examples.push(json!({"name": "", "text": example_text(e, w)?}));
        }
        for (name, e) in m.get("examples").and_then(Value::as_object).into_iter().flatten() {
            let e = deref(&api.doc, e);
            if let Some(value) = e.get("value") {
                let label = e.get("summary").and_then(Value::as_str).unwrap_or(name);
                w.spend(label.len() as u64)?;
                examples.push(json!({"name": label, "text": example_text(value, w)?}));
            }
        }
        let schema_html = match m.get("schema") {
            Some(s) => {
                let mut html = String::new();
                schema(api, s, &mut html, 0, w)?;
                Some(html)
            }
            None => None,
        };
        w.spend(mt.len() as u64)?;
        out.push(json!({"mediaType": mt, "schemaHtml": schema_html, "examples": examples}));
    }
    Ok(out)
}

/// An example as text, its bytes charged before it is written.
fn example_text(v: &Value, w: &mut Walk) -> Result<String, Exceeded> {
    // Pretty printing indents each level: a few bytes a node more than compact JSON.
    w.spend(json_bytes(v, w.remaining()).saturating_mul(2))?;
    Ok(match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    })
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

/// `string`, `array of Pet`, `integer (int64)`, `string | null`, `one of 2`. A reference
/// that comes back to itself (`Loop: {type: array, items: {$ref: Loop}}`) is named, not
/// followed again: `array of Loop`.
fn type_label(doc: &Value, s: &Value, w: &mut Walk) -> Result<String, Exceeded> {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let target = deref(doc, s);
        if target.get("properties").is_some() || target.get("allOf").is_some() || target.get("$ref").is_some() {
            w.spend(ref_name(r).len() as u64)?;
            return Ok(ref_name(r).to_string());
        }
        return Ok(through(w, Some(r), |w| type_label(doc, target, w))?.unwrap_or_else(|| ref_name(r).to_string()));
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
    if t == "array"
        && let Some(items) = s.get("items")
    {
        let inner = through(w, None, |w| type_label(doc, items, w))?.unwrap_or_else(|| "…".to_string());
        t = format!("array of {inner}");
    }
    if let Some(f) = s.get("format").and_then(Value::as_str) {
        t.push_str(&format!(" ({f})"));
    }
    if s.get("nullable").and_then(Value::as_bool) == Some(true) {
        t.push_str(" | null");
    }
    w.spend(t.len() as u64)?;
    Ok(t)
}

/// A schema as nested HTML lists. A reference already being written (a recursive schema) is
/// named, "(as above)", not written again; past [`MAX_SCHEMA_DEPTH`] levels or
/// [`MAX_SCHEMA_HTML`] bytes the rest is left out. What it writes is charged to the walk.
fn schema(api: &Api, s: &Value, out: &mut String, depth: usize, w: &mut Walk) -> Result<(), Exceeded> {
    let before = out.len();
    let written = schema_into(api, s, out, depth, w);
    // What was written is charged once the schema is done (it is at most MAX_SCHEMA_HTML).
    let grew = out.len().saturating_sub(before) as u64;
    written.and_then(|()| if depth == 0 { w.spend(grew) } else { Ok(()) })
}

fn schema_into(api: &Api, s: &Value, out: &mut String, depth: usize, w: &mut Walk) -> Result<(), Exceeded> {
    let doc = &api.doc;
    // A schema that fans out through references (a hundred fields each naming a schema of a
    // hundred fields...) would write without end: past this size, the rest is left out.
    if out.len() > MAX_SCHEMA_HTML {
        if !out.ends_with(TRUNCATED) {
            out.push_str(TRUNCATED);
        }
        return Ok(());
    }
    if depth > MAX_SCHEMA_DEPTH {
        out.push_str("<p class=\"schema-more\">…</p>");
        return Ok(());
    }
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let target = deref(doc, s);
        if through(w, Some(r), |w| schema_into(api, target, out, depth, w))?.is_none() {
            let _ = write!(out, "<p class=\"schema-ref\">{} (as above)</p>", esc(ref_name(r)));
        }
        return Ok(());
    }
    let label = type_label(doc, s, w)?;
    let _ = write!(
        out,
        "<p class=\"schema-type\"><span class=\"type\">{}</span>",
        esc(&label)
    );
    constraints(s, out);
    out.push_str("</p>");
    if let Some(d) = s.get("description").and_then(Value::as_str) {
        out.push_str(&md(w, d)?);
    }
    for (key, label) in [("oneOf", "One of"), ("anyOf", "Any of")] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            let _ = write!(out, "<p>{label}:</p><ol class=\"alternatives\">");
            for alt in alts {
                out.push_str("<li>");
                schema_into(api, alt, out, depth + 1, w)?;
                out.push_str("</li>");
            }
            out.push_str("</ol>");
        }
    }
    // allOf: the parts' fields together, as the composed object has them.
    let mut props: Vec<(&str, &Value)> = Vec::new();
    let mut required: BTreeSet<&str> = BTreeSet::new();
    collect_object(doc, s, &mut props, &mut required, w)?;
    if !props.is_empty() {
        out.push_str("<ul class=\"fields\">");
        for (name, p) in &props {
            let p_resolved = deref(doc, p);
            let label = type_label(doc, p, w)?;
            let _ = write!(
                out,
                "<li><code class=\"field\">{}</code> <span class=\"type\">{}</span>",
                esc(name),
                esc(&label)
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
                out.push_str(&md(w, d)?);
            }
            // Nested objects, arrays of objects and compositions are written below the field.
            if let Some(inner) = nested(doc, p) {
                let r = inner.get("$ref").and_then(Value::as_str);
                let target = deref(doc, inner);
                let written = through(w, r, |w| {
                    let mut sub_props = Vec::new();
                    collect_object(doc, target, &mut sub_props, &mut BTreeSet::new(), w)?;
                    if !sub_props.is_empty() || target.get("oneOf").is_some() || target.get("anyOf").is_some() {
                        out.push_str("<div class=\"nested\">");
                        schema_into(api, target, out, depth + 1, w)?;
                        out.push_str("</div>");
                    }
                    Ok(())
                })?;
                if written.is_none()
                    && let Some(r) = r
                {
                    let _ = write!(out, "<p class=\"schema-ref\">{} (as above)</p>", esc(ref_name(r)));
                }
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    } else if let Some(items) = s.get("items") {
        let target = deref(doc, items);
        if target.get("properties").is_some() || target.get("allOf").is_some() || target.get("oneOf").is_some() {
            out.push_str("<div class=\"nested\"><p>Each item:</p>");
            schema_into(api, items, out, depth + 1, w)?;
            out.push_str("</div>");
        }
    }
    Ok(())
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

/// The properties and required names of an object schema, through `allOf` and references
/// (a reference already on the path is not followed again).
fn collect_object<'a>(
    doc: &'a Value,
    s: &'a Value,
    props: &mut Vec<(&'a str, &'a Value)>,
    required: &mut BTreeSet<&'a str>,
    w: &mut Walk,
) -> Result<(), Exceeded> {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        through(w, Some(r), |w| collect_object(doc, deref(doc, s), props, required, w))?;
        return Ok(());
    }
    for part in s.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        through(w, None, |w| collect_object(doc, part, props, required, w))?;
    }
    for (k, v) in s.get("properties").and_then(Value::as_object).into_iter().flatten() {
        match props.iter_mut().find(|(n, _)| *n == k.as_str()) {
            Some(slot) => slot.1 = v,
            None => {
                w.spend(k.len() as u64)?;
                props.push((k.as_str(), v));
            }
        }
    }
    for r in s.get("required").and_then(Value::as_array).into_iter().flatten() {
        if let Some(r) = r.as_str() {
            required.insert(r);
        }
    }
    Ok(())
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
