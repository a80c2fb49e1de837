//! What changed between two versions of a description, operation by operation, in the terms
//! a partner developer reads a changelog in: an endpoint removed, a parameter made required,
//! a response field removed, a type changed. The plan turns these into `endpoint-added`,
//! `endpoint-removed` and `api-changed` (SPEC §13).

use super::{Api, Operation, Parameter, deref, path_shape};
use serde_json::Value;
use std::collections::BTreeSet;

/// One change of a description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiChange {
    /// An operation the new version adds (`GET /pets/{}` shape is new).
    Added { key: String, line: usize },
    /// An operation the new version no longer has: a breaking change.
    Removed { key: String, method: String, path: String },
    /// Something changed within an operation (or elsewhere in the document, `key` empty).
    Changed { key: String, what: String, breaking: bool },
}

impl ApiChange {
    pub fn breaking(&self) -> bool {
        match self {
            ApiChange::Added { .. } => false,
            ApiChange::Removed { .. } => true,
            ApiChange::Changed { breaking, .. } => *breaking,
        }
    }
}

/// How deep schemas are compared, and how many schema nodes one comparison visits at most
/// (references can fan out without bound).
const MAX_DEPTH: usize = 12;
const MAX_VISITS: usize = 100_000;

thread_local! {
    static VISITS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The changes from `before` to `after`, operations in the order of `after` (removed ones last).
pub fn diff(before: &Api, after: &Api) -> Vec<ApiChange> {
    VISITS.with(|v| v.set(0));
    let shape = |op: &Operation| format!("{} {}", op.method, path_shape(&op.path));
    let mut out = Vec::new();
    for op in &after.operations {
        match before.operations.iter().find(|b| shape(b) == shape(op)) {
            None => out.push(ApiChange::Added {
                key: op.key(),
                line: op.line,
            }),
            Some(b) => operation(before, b, after, op, &mut out),
        }
    }
    for b in &before.operations {
        if !after.operations.iter().any(|op| shape(op) == shape(b)) {
            out.push(ApiChange::Removed {
                key: b.key(),
                method: b.method.clone(),
                path: b.path.clone(),
            });
        }
    }
    if out.is_empty() && before.doc != after.doc {
        out.push(ApiChange::Changed {
            key: String::new(),
            what: "the description changed outside its operations (info, servers, descriptions or examples)".into(),
            breaking: false,
        });
    }
    out
}

fn operation(bd: &Api, b: &Operation, ad: &Api, a: &Operation, out: &mut Vec<ApiChange>) {
    let key = a.key();
    let mut push = |what: String, breaking: bool| {
        out.push(ApiChange::Changed {
            key: key.clone(),
            what,
            breaking,
        })
    };
    if b.path != a.path {
        push(format!("path written {} (was {})", a.path, b.path), false);
    }
    if !b.deprecated && a.deprecated {
        push("deprecated".into(), false);
    }
    let pk = |p: &Parameter| (p.location.clone(), p.name.clone());
    for p in &a.parameters {
        match b.parameters.iter().find(|x| pk(x) == pk(p)) {
            None if p.required => push(format!("new required {} parameter `{}`", p.location, p.name), true),
            None => push(format!("new optional {} parameter `{}`", p.location, p.name), false),
            Some(x) => {
                if !x.required && p.required {
                    push(format!("{} parameter `{}` made required", p.location, p.name), true);
                } else if x.required && !p.required {
                    push(format!("{} parameter `{}` made optional", p.location, p.name), false);
                }
                let mut s = Vec::new();
                schema(
                    &bd.doc,
                    x.schema.as_ref(),
                    &ad.doc,
                    p.schema.as_ref(),
                    &format!("parameter `{}`", p.name),
                    Direction::Request,
                    &mut s,
                    0,
                );
                for (what, breaking) in s {
                    push(what, breaking);
                }
            }
        }
    }
    for x in &b.parameters {
        if !a.parameters.iter().any(|p| pk(p) == pk(x)) {
            push(
                format!("{} parameter `{}` removed", x.location, x.name),
                x.location != "header",
            );
        }
    }
    // Request body.
    match (&b.request_body, &a.request_body) {
        (None, Some(rb)) => {
            let required = rb.get("required").and_then(Value::as_bool).unwrap_or(false);
            push(
                format!("new {} request body", if required { "required" } else { "optional" }),
                required,
            );
        }
        (Some(_), None) => push("request body removed".into(), true),
        (Some(x), Some(y)) => {
            let req = |v: &Value| v.get("required").and_then(Value::as_bool).unwrap_or(false);
            if !req(x) && req(y) {
                push("request body made required".into(), true);
            }
            content(&bd.doc, x, &ad.doc, y, "request body", Direction::Request, &mut push);
        }
        (None, None) => {}
    }
    // Responses.
    for (status, r) in &a.responses {
        match b.responses.iter().find(|(s, _)| s == status) {
            None => push(format!("new response {status}"), false),
            Some((_, x)) => content(
                &bd.doc,
                x,
                &ad.doc,
                r,
                &format!("response {status}"),
                Direction::Response,
                &mut push,
            ),
        }
    }
    for (status, _) in &b.responses {
        if !a.responses.iter().any(|(s, _)| s == status) {
            push(format!("response {status} removed"), status.starts_with('2'));
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// What partners send: a new required field breaks them.
    Request,
    /// What partners read: a field removed breaks them.
    Response,
}

fn content(
    bd: &Value,
    b: &Value,
    ad: &Value,
    a: &Value,
    what: &str,
    dir: Direction,
    push: &mut dyn FnMut(String, bool),
) {
    let media = |v: &Value| -> Vec<(String, Option<Value>)> {
        v.get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, m)| (k.clone(), m.get("schema").cloned()))
            .collect()
    };
    let (bm, am) = (media(b), media(a));
    for (mt, s) in &am {
        match bm.iter().find(|(k, _)| k == mt) {
            None => push(format!("{what}: new media type {mt}"), false),
            Some((_, x)) => {
                let mut found = Vec::new();
                schema(
                    bd,
                    x.as_ref(),
                    ad,
                    s.as_ref(),
                    &format!("{what} ({mt})"),
                    dir,
                    &mut found,
                    0,
                );
                for (w, breaking) in found {
                    push(w, breaking);
                }
            }
        }
    }
    for (mt, _) in &bm {
        if !am.iter().any(|(k, _)| k == mt) {
            push(format!("{what}: media type {mt} removed"), true);
        }
    }
}

fn type_of(v: &Value) -> String {
    match v.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("|"),
        _ => String::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn schema(
    bd: &Value,
    b: Option<&Value>,
    ad: &Value,
    a: Option<&Value>,
    at: &str,
    dir: Direction,
    out: &mut Vec<(String, bool)>,
    depth: usize,
) {
    let (Some(b), Some(a)) = (b, a) else {
        return;
    };
    if depth > MAX_DEPTH || VISITS.with(|v| v.get()) > MAX_VISITS {
        return;
    }
    VISITS.with(|v| v.set(v.get() + 1));
    let (b, a) = (deref(bd, b), deref(ad, a));
    let (bt, at_) = (type_of(b), type_of(a));
    if !bt.is_empty() && !at_.is_empty() && bt != at_ {
        out.push((format!("{at}: type changed from {bt} to {at_}"), true));
        return;
    }
    let list = |v: &Value, k: &str| -> BTreeSet<String> {
        v.get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    };
    // Enums: a value removed breaks senders (request) and readers that switch on it.
    let (be, ae) = (list(b, "enum"), list(a, "enum"));
    if !be.is_empty() || !ae.is_empty() {
        for v in be.difference(&ae) {
            out.push((format!("{at}: value {v} removed"), dir == Direction::Request));
        }
        for v in ae.difference(&be) {
            out.push((format!("{at}: value {v} added"), dir == Direction::Response));
        }
    }
    let (br, ar) = (list(b, "required"), list(a, "required"));
    let props = |v: &Value| -> Vec<(String, Value)> {
        v.get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, x)| (k.clone(), x.clone()))
            .collect()
    };
    let (bp, ap) = (props(b), props(a));
    for (name, x) in &bp {
        match ap.iter().find(|(n, _)| n == name) {
            None => out.push((format!("{at}: field `{name}` removed"), dir == Direction::Response)),
            Some((_, y)) => schema(bd, Some(x), ad, Some(y), &format!("{at}.{name}"), dir, out, depth + 1),
        }
    }
    for (name, _) in &ap {
        if !bp.iter().any(|(n, _)| n == name) {
            let required = ar.contains(name);
            out.push((
                format!(
                    "{at}: new {} field `{name}`",
                    if required { "required" } else { "optional" }
                ),
                required && dir == Direction::Request,
            ));
        }
    }
    for name in ar.difference(&br) {
        if bp.iter().any(|(n, _)| n == name) {
            out.push((format!("{at}: field `{name}` made required"), dir == Direction::Request));
        }
    }
    if let (Some(x), Some(y)) = (b.get("items"), a.get("items")) {
        schema(bd, Some(x), ad, Some(y), &format!("{at}[]"), dir, out, depth + 1);
    }
}
