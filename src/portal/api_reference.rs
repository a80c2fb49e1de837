//! The portal's API reference (SPEC §13): one page per product with an OpenAPI description,
//! or, when the API is large, an overview page and one page per tag, with every operation
//! grouped by tag, its parameters, request body, responses and callbacks, the description's
//! webhooks, and how to send the key.
//!
//! Every page has a navigation column of all tags and their operations and a search over
//! operations ([`super::search`]); request bodies, responses, examples and callbacks are
//! folded in `<details>`, so a tag of a few operations with large schemas stays a page one
//! scrolls through. Descriptions go through the portal's Markdown writer with their headings
//! fitted under the page's (one `<h1>` per page) and Redoc-style in-page links
//! (`#tag/Sessions`, `#operation/…`, `#section/…`) sent to where this reference has the
//! target, or written as text. Schemas are written by [`super::api_schema`]. What the pages
//! hold is paid for from the product's budget ([`super::api_budget`]) as it is built.

use super::api_budget::{Budget, MAX_REFERENCE_BYTES, OverBudget, example_bytes};
use super::api_schema::{example_text, scalar, schema, type_label};
use crate::openapi::operations::Reader;
use crate::openapi::{Api, Operation, Parameter, deref};
use crate::template::filters::{self, Headings, MarkdownOptions};
use crate::walk::json_bytes;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// An API with more operations than this gets one page per tag.
pub const OPERATIONS_PER_PAGE: usize = 40;
/// The header the gateways read the key from (SPEC §7).
pub const KEY_HEADER: &str = "X-Api-Key";
/// The file of the reference's first page.
const INDEX: &str = "api.html";
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// An id for an anchor: the portal's slug (letters, digits and `-`).
fn anchor(s: &str) -> String {
    filters::slug(s)
}

/// One operation to write: a path's, a webhook's or a callback's.
struct Op<'a> {
    op: Operation,
    /// The operation as written, for its callbacks.
    raw: &'a Value,
    anchor: String,
    /// A webhook's name (its `path` is the name too).
    webhook: bool,
}

/// A tag's operations, or the webhooks, and the page they are on.
struct Group<'a> {
    title: String,
    anchor: String,
    file: String,
    description: String,
    ops: Vec<Op<'a>>,
}

/// Where each thing the descriptions may link to is: `file#anchor`.
#[derive(Default)]
struct Targets {
    tags: BTreeMap<String, String>,
    operation_ids: BTreeMap<String, String>,
    paths: BTreeMap<(String, String), String>,
    sections: BTreeMap<String, String>,
    anchors: BTreeMap<String, String>,
}

impl Targets {
    /// A Redoc-style fragment (`tag/Sessions`, `operation/getPet`,
    /// `tag/Pets/operation/getPet`, `tag/Pets/paths/~1pets/get`, `section/Authentication`)
    /// or an anchor of this reference, as the link that reaches it here.
    fn resolve(&self, fragment: &str) -> Option<String> {
        let f = percent_decode(fragment);
        let parts: Vec<&str> = f.split('/').collect();
        let path = |p: &str, m: &str| {
            let p = p.replace("~1", "/").replace("~0", "~");
            self.paths.get(&(m.to_ascii_lowercase(), p)).cloned()
        };
        match parts.as_slice() {
            ["tag", t] => self.tags.get(&anchor(t)).cloned(),
            ["operation", id] | ["tag", _, "operation", id] => self
                .operation_ids
                .get(*id)
                .or_else(|| {
                    self.operation_ids
                        .iter()
                        .find(|(k, _)| anchor(k) == anchor(id))
                        .map(|(_, v)| v)
                })
                .cloned(),
            ["paths", p, m] | ["tag", _, "paths", p, m] => path(p, m),
            ["section", s, ..] => self
                .sections
                .get(&anchor(s))
                .cloned()
                .or_else(|| (anchor(s) == "authentication").then(|| format!("{INDEX}#auth"))),
            [id] => self.anchors.get(*id).cloned(),
            _ => None,
        }
    }
}

/// `%20` → ` `; anything not a valid escape is kept.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The pages of a product's reference: `(file below the product's folder, context)`, or
/// where the reference ran out of its budget of [`MAX_REFERENCE_BYTES`].
pub fn pages(product: &str, api: &Api) -> Result<Vec<(String, Value)>, OverBudget> {
    pages_within(product, api, MAX_REFERENCE_BYTES)
}

/// [`pages`] within a budget of `limit` bytes of page data.
pub fn pages_within(product: &str, api: &Api, limit: u64) -> Result<Vec<(String, Value)>, OverBudget> {
    let budget = Budget::new(limit);
    let pages = written_pages(product, api, &budget);
    match budget.over() {
        Some(over) => Err(over),
        None => Ok(pages),
    }
}

/// The pages, each part paid for from `budget` as it is built; once it runs out, what is
/// left is not built and the pages are incomplete (the caller discards them).
fn written_pages(product: &str, api: &Api, budget: &Budget) -> Vec<(String, Value)> {
    let mut groups = groups(api);
    let count: usize = groups.iter().map(|g| g.ops.len()).sum();
    let split = count > OPERATIONS_PER_PAGE && groups.len() >= 2;
    for g in &mut groups {
        g.file = if split {
            format!("api-{}.html", g.anchor)
        } else {
            INDEX.to_string()
        };
    }
    let targets = targets(api, &groups);
    // A description's text, written as HTML once its bytes fit in what is left.
    let md = |text: &str, headings: Headings| {
        if !budget.fits(text.len() as u64) {
            return String::new();
        }
        let resolve = |f: &str| targets.resolve(f);
        filters::markdown_to_html_with(
            text,
            &MarkdownOptions {
                headings,
                fragment: Some(&resolve),
            },
        )
    };
    // The navigation and the search index name every operation: what they copy of the
    // description (a summary that many paths share through one path item) fits first.
    budget.at(1, "the navigation and search index".into());
    let named: u64 = groups
        .iter()
        .flat_map(|g| &g.ops)
        .map(|o| {
            let id = o.op.operation_id.as_ref().map_or(0, String::len);
            2 * (o.op.summary.len() + o.op.path.len() + o.anchor.len()) as u64 + id as u64
        })
        .sum();
    if !budget.fits(named) {
        return Vec::new();
    }
    let nav: Vec<Value> = groups
        .iter()
        .map(|g| {
            json!({
                "title": g.title,
                "file": g.file,
                "href": format!("{}#{}", g.file, g.anchor),
                "operations": g.ops.iter().map(|o| json!({
                    "href": format!("{}#{}", g.file, o.anchor),
                    "method": o.op.method,
                    "path": o.op.path,
                    "summary": o.op.summary,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let index: Vec<Value> = groups
        .iter()
        .flat_map(|g| {
            g.ops.iter().map(move |o| {
                json!({"m": o.op.method, "p": o.op.path, "s": o.op.summary, "i": o.op.operation_id.clone().unwrap_or_default(), "t": g.title, "h": format!("{}#{}", g.file, o.anchor)})
            })
        })
        .collect();
    let search_data = crate::encode::html::script_json(&serde_json::to_string(&index).unwrap_or_default());
    let base = json!({
        "product": product,
        "title": api.title,
        "version": api.version,
        "openapi": api.openapi,
        "descriptionHtml": md(&api.description, Headings::Under(1, "section-")),
        "keyHeader": KEY_HEADER,
        "operationCount": api.operations.len(),
        "webhookCount": groups.iter().flat_map(|g| &g.ops).filter(|o| o.webhook).count(),
        "nav": nav,
        "searchData": search_data,
        "searchScript": super::search::SCRIPT,
        "index": INDEX,
    });
    // Each operation is paid for once it is built, before the next one is.
    let written = |g: &Group, level: u8| -> Value {
        budget.at(1, format!("the description of tag `{}`", g.title));
        let description = md(&g.description, Headings::Under(level, &format!("{}-", g.anchor)));
        budget.pay(&json!([g.title, g.anchor, g.file, description]));
        let mut operations = Vec::with_capacity(g.ops.len());
        for o in &g.ops {
            let name = if o.webhook {
                format!("webhook {} {}", o.op.method, o.op.path)
            } else {
                o.op.key()
            };
            budget.at(o.op.line, name);
            if !budget.operation() {
                break;
            }
            let v = operation(api, o, level + 1, &md, budget);
            if !budget.pay(&v) {
                break;
            }
            operations.push(v);
        }
        json!({
            "title": g.title,
            "anchor": g.anchor,
            "file": g.file,
            "descriptionHtml": description,
            "operations": operations,
        })
    };
    // Every page holds the navigation, the search index and the description's text.
    let page = |file: &str| {
        budget.at(1, format!("the navigation and search index of {file}"));
        budget.pay(&base).then(|| base.clone())
    };
    if !split {
        let Some(mut v) = page(INDEX) else {
            return Vec::new();
        };
        v["level"] = json!(2);
        v["groups"] = json!(groups.iter().map(|g| written(g, 2)).collect::<Vec<_>>());
        v["pages"] = json!([]);
        v["current"] = json!(INDEX);
        return vec![(INDEX.to_string(), v)];
    }
    let parts: Vec<Value> = groups
        .iter()
        .map(|g| json!({"tag": g.title, "href": g.file, "count": g.ops.len()}))
        .collect();
    let parts = json!(parts);
    let mut out = Vec::new();
    let Some(mut first) = page(INDEX).filter(|_| budget.pay(&parts)) else {
        return out;
    };
    first["groups"] = json!([]);
    first["pages"] = parts.clone();
    first["current"] = json!(INDEX);
    out.push((INDEX.to_string(), first));
    for g in &groups {
        let Some(mut v) = page(&g.file).filter(|_| budget.pay(&parts)) else {
            break;
        };
        v["level"] = json!(1);
        v["pages"] = parts.clone();
        v["current"] = json!(g.file);
        let group = written(g, 1);
        // The page holds its group twice, as `group` and as `groups`' one item.
        budget.at(1, format!("the operations of {}", g.file));
        if !budget.ok() || !budget.pay(&group) {
            break;
        }
        v["groups"] = json!([group.clone()]);
        v["group"] = group;
        out.push((g.file.clone(), v));
    }
    out
}

/// Operations grouped by their first tag, in the order of the description's tags, untagged
/// ones next, then the webhooks (3.1).
fn groups(api: &Api) -> Vec<Group<'_>> {
    let mut names: Vec<String> = api.tags.iter().map(|t| t.name.clone()).collect();
    if api.operations.iter().any(|o| o.tags.is_empty()) {
        names.push(String::new());
    }
    let mut used = BTreeSet::new();
    let mut unique = |a: String| {
        let mut a = a;
        while !used.insert(a.clone()) {
            a.push('-');
        }
        a
    };
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
        let description = api
            .tags
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.description.clone())
            .unwrap_or_default();
        let group_anchor = unique(format!("tag-{}", anchor(if name.is_empty() { "other" } else { &name })));
        let ops = ops
            .into_iter()
            .map(|o| Op {
                raw: raw_operation(&api.doc, "paths", &o.path, &o.method),
                anchor: unique(format!("op-{}", anchor(o.operation_id.as_deref().unwrap_or(&o.key())))),
                op: o.clone(),
                webhook: false,
            })
            .collect();
        out.push(Group {
            title: if name.is_empty() {
                "Other operations".to_string()
            } else {
                name
            },
            anchor: group_anchor,
            file: String::new(),
            description,
            ops,
        });
    }
    let webhooks = api.doc.get("webhooks").and_then(Value::as_object);
    let mut ops = Vec::new();
    let mut reader = Reader::new(&api.doc);
    for (name, item) in webhooks.into_iter().flatten() {
        for (method, raw) in methods(&api.doc, item) {
            let op = Operation {
                method,
                path: name.clone(),
                line: 0,
                spec: reader.spec(item, raw),
            };
            ops.push(Op {
                anchor: unique(format!(
                    "webhook-{}",
                    anchor(op.operation_id.as_deref().unwrap_or(&op.key()))
                )),
                raw,
                op,
                webhook: true,
            });
        }
    }
    if !ops.is_empty() {
        let taken = out.iter().any(|g| g.title.eq_ignore_ascii_case("webhooks"));
        out.push(Group {
            title: if taken {
                "Webhooks (sent to you)".into()
            } else {
                "Webhooks".into()
            },
            anchor: unique("webhooks".into()),
            file: String::new(),
            description: "Requests the API sends to a URL you register, when what they name happens.".into(),
            ops,
        });
    }
    out
}

/// The methods of a path item, in the order written: `(GET, operation)`.
fn methods<'a>(doc: &'a Value, item: &'a Value) -> Vec<(String, &'a Value)> {
    deref(doc, item)
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| METHODS.contains(&k.as_str()))
        .map(|(k, v)| (k.to_ascii_uppercase(), v))
        .collect()
}

/// The operation object at `/{root}/{path}/{method}`, as written.
fn raw_operation<'a>(doc: &'a Value, root: &str, path: &str, method: &str) -> &'a Value {
    static NONE: Value = Value::Null;
    doc.get(root)
        .and_then(|p| p.get(path))
        .map(|item| deref(doc, item))
        .and_then(|item| item.get(method.to_ascii_lowercase()))
        .unwrap_or(&NONE)
}

/// Where every group, operation and section of the description's text is.
fn targets(api: &Api, groups: &[Group<'_>]) -> Targets {
    let mut t = Targets::default();
    for g in groups {
        let at = format!("{}#{}", g.file, g.anchor);
        t.tags.entry(anchor(&g.title)).or_insert_with(|| at.clone());
        t.anchors.insert(g.anchor.clone(), at);
        for o in &g.ops {
            let at = format!("{}#{}", g.file, o.anchor);
            if let Some(id) = &o.op.operation_id {
                t.operation_ids.entry(id.clone()).or_insert_with(|| at.clone());
            }
            if !o.webhook {
                t.paths
                    .insert((o.op.method.to_ascii_lowercase(), o.op.path.clone()), at.clone());
            }
            t.anchors.insert(o.anchor.clone(), at);
        }
    }
    for id in filters::heading_ids(&api.description, "section-") {
        let at = format!("{INDEX}#{id}");
        t.sections
            .insert(id.trim_start_matches("section-").to_string(), at.clone());
        t.anchors.insert(id, at);
    }
    t.anchors.insert("auth".into(), format!("{INDEX}#auth"));
    t
}

type Md<'a> = &'a dyn Fn(&str, Headings) -> String;

/// One operation's page data; its heading is an `<h{level}>`.
fn operation(api: &Api, o: &Op, level: u8, md: Md, budget: &Budget) -> Value {
    let op = &o.op;
    let mut v = operation_body(api, op, md, budget);
    v["anchor"] = json!(o.anchor);
    v["webhook"] = json!(o.webhook);
    v["routed"] = json!(o.webhook || op.endpoint_method().is_some());
    v["descriptionHtml"] = json!(md(&op.description, Headings::Under(level, &format!("{}-", o.anchor))));
    // Callbacks: the requests the API makes back, named and with their URL expression.
    let callbacks = o.raw.get("callbacks").and_then(Value::as_object);
    let reader = std::cell::RefCell::new(Reader::new(&api.doc));
    let reader = &reader;
    v["callbacks"] = json!(
        callbacks
            .into_iter()
            .flatten()
            .flat_map(|(name, cb)| {
                deref(&api.doc, cb)
                    .as_object()
                    .into_iter()
                    .flatten()
                    .flat_map(move |(expression, item)| {
                        methods(&api.doc, item).into_iter().map(move |(method, raw)| {
                            let cop = Operation {
                                method,
                                path: expression.clone(),
                                line: 0,
                                spec: reader.borrow_mut().spec(item, raw),
                            };
                            let mut c = operation_body(api, &cop, md, budget);
                            c["name"] = json!(name);
                            c["descriptionHtml"] = json!(md(&cop.description, Headings::Bold));
                            c
                        })
                    })
            })
            .collect::<Vec<_>>()
    );
    v
}

/// What an operation and a callback both show: method, path, parameters, bodies.
fn operation_body(api: &Api, op: &Operation, md: Md, budget: &Budget) -> Value {
    let bold = |t: &str| md(t, Headings::Bold);
    let request = op.request_body.as_ref().map(|b| {
        json!({
            "required": b.get("required").and_then(Value::as_bool).unwrap_or(false),
            "descriptionHtml": bold(b.get("description").and_then(Value::as_str).unwrap_or("")),
            "contents": contents(api, b, &bold, budget),
        })
    });
    let responses: Vec<Value> = op
        .responses
        .iter()
        .map(|(status, r)| {
            let description = r.get("description").and_then(Value::as_str).unwrap_or("");
            json!({
                "status": status,
                "summary": first_line(description),
                // A one-line description is the summary already.
                "descriptionHtml": if description.trim().lines().count() > 1 { bold(description) } else { String::new() },
                "contents": contents(api, r, &bold, budget),
                "headers": r.get("headers").and_then(Value::as_object).filter(|h| budget.fits(h.keys().map(|k| k.len() as u64).sum())).map(|h| h.keys().cloned().collect::<Vec<_>>()).unwrap_or_default(),
            })
        })
        .collect();
    json!({
        "method": op.method,
        "path": op.path,
        "operationId": op.operation_id,
        "summary": op.summary,
        "deprecated": op.deprecated,
        "parameters": op.parameters.iter().map(|p| parameter(api, p, &bold, budget)).collect::<Vec<_>>(),
        "requestBody": request,
        "responses": responses,
    })
}

/// The first line of a description as plain text, for a folded response's summary.
fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let plain: String = line
        .trim_start_matches('#')
        .chars()
        .filter(|c| !matches!(c, '*' | '`' | '_'))
        .collect();
    let plain = plain.trim();
    match plain.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &plain[..i]),
        None => plain.to_string(),
    }
}

fn parameter(api: &Api, p: &Parameter, md: &dyn Fn(&str) -> String, budget: &Budget) -> Value {
    if !budget.ok() {
        return Value::Null;
    }
    let schema = p.schema.as_ref().map(|s| crate::openapi::schema::merged(&api.doc, s));
    let mut limits = String::new();
    if let Some(Value::Object(s)) = &schema {
        // The enum and the example have their own lines in the table.
        let mut s = s.clone();
        for k in ["enum", "example", "examples", "description"] {
            s.remove(k);
        }
        super::api_schema::constraints(&Value::Object(s), &mut limits);
    }
    let example = p
        .example
        .as_ref()
        .or_else(|| schema.as_ref().and_then(|s| s.get("example")));
    let values = schema.as_ref().and_then(|s| s.get("enum")).and_then(Value::as_array);
    let left = budget.left();
    let large = (limits.len() as u64)
        .saturating_add(example.map_or(0, |e| example_bytes(e, left)))
        .saturating_add(values.map_or(0, |e| e.iter().map(|x| json_bytes(x, left)).sum()));
    if !budget.fits(large) {
        return Value::Null;
    }
    json!({
        "name": p.name,
        "in": p.location,
        "required": p.required,
        "deprecated": p.deprecated,
        "type": p.schema.as_ref().map(|s| type_label(&api.doc, s)).unwrap_or_default(),
        "limitsHtml": limits.trim(),
        "descriptionHtml": md(&p.description),
        "example": example.map(example_text),
        "enum": values.map(|e| e.iter().map(scalar).collect::<Vec<_>>()),
    })
}

/// Each media type of a request body or response, with its schema written out and examples.
/// Examples are written only once their bytes fit in what is left of the budget, and a
/// schema (at most 512 KiB of HTML) is reserved once written, so an example that a hundred
/// operations show by `$ref` is paid for a hundred times, and stops the reference at its budget.
fn contents(api: &Api, v: &Value, md: &dyn Fn(&str) -> String, budget: &Budget) -> Vec<Value> {
    let text = |e: &Value| budget.fits(example_bytes(e, budget.left())).then(|| example_text(e));
    v.get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map_while(|(mt, m)| {
            let mut examples: Vec<Value> = Vec::new();
            if let Some(e) = m.get("example") {
                examples.push(json!({"name": "", "text": text(e)?}));
            }
            for (name, e) in m.get("examples").and_then(Value::as_object).into_iter().flatten() {
                let e = deref(&api.doc, e);
                if let Some(value) = e.get("value") {
                    examples.push(
                        json!({"name": e.get("summary").and_then(Value::as_str).unwrap_or(name), "text": text(value)?}),
                    );
                }
            }
            let schema_html = m.get("schema").map(|s| {
                let mut out = String::new();
                schema(&api.doc, md, s, &mut out, &mut Vec::new(), 0);
                out
            });
            if !budget.fits(schema_html.as_ref().map_or(0, |h| h.len() as u64)) {
                return None;
            }
            Some(json!({"mediaType": mt, "schemaHtml": schema_html, "examples": examples}))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::api_schema::esc;

    #[test]
    fn values_are_escaped_and_anchors_are_plain() {
        assert_eq!(
            esc("<img src=x onerror=alert(1)>&\"'"),
            "&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;"
        );
        assert_eq!(anchor("GET /pets/{id}"), "get-pets-id");
        assert_eq!(anchor("\"><script>"), "script");
        assert_eq!(percent_decode("Payment%20Cards%zz"), "Payment Cards%zz");
    }

    #[test]
    fn redoc_links_reach_the_page_and_anchor_that_have_their_target() {
        let mut t = Targets::default();
        t.tags.insert(
            "payment-cards".into(),
            "api-tag-payment-cards.html#tag-payment-cards".into(),
        );
        t.operation_ids
            .insert("getPet".into(), "api-tag-pets.html#op-getpet".into());
        t.paths.insert(
            ("get".into(), "/pets/{id}".into()),
            "api-tag-pets.html#op-getpet".into(),
        );
        t.sections
            .insert("introduction".into(), "api.html#section-introduction".into());
        let at = |f: &str| t.resolve(f);
        assert_eq!(
            at("tag/Payment-Cards").as_deref(),
            Some("api-tag-payment-cards.html#tag-payment-cards")
        );
        assert_eq!(
            at("tag/Payment%20Cards").as_deref(),
            Some("api-tag-payment-cards.html#tag-payment-cards")
        );
        assert_eq!(at("operation/getPet").as_deref(), Some("api-tag-pets.html#op-getpet"));
        assert_eq!(
            at("tag/Pets/operation/getPet").as_deref(),
            Some("api-tag-pets.html#op-getpet")
        );
        assert_eq!(
            at("tag/Pets/paths/~1pets~1{id}/get").as_deref(),
            Some("api-tag-pets.html#op-getpet")
        );
        assert_eq!(
            at("section/Introduction").as_deref(),
            Some("api.html#section-introduction")
        );
        assert_eq!(at("section/Authentication").as_deref(), Some("api.html#auth"));
        assert_eq!(at("tag/Nowhere"), None);
        assert_eq!(at("schema/Pet"), None);
    }
}
