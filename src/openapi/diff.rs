//! What changed between two versions of a description, operation by operation, in the terms
//! a partner developer reads a changelog in: an endpoint removed, a parameter made required,
//! a response field removed, a type changed. The plan turns these into `endpoint-added`,
//! `endpoint-removed` and `api-changed` (SPEC §13).

use super::{Api, Operation, Parameter, deref, path_shape};
use crate::walk::{Limits, Walk};
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

/// How deep schemas are compared, and the budget of one comparison: every schema visited
/// costs [`VISIT_COST`] and every change its text (references can fan out without bound, and
/// a schema can refer to itself).
const MAX_DEPTH: usize = 12;
const MAX_COMPARED: u64 = 8 * 1024 * 1024;
const VISIT_COST: u64 = 64;

/// The changes from `before` to `after`, operations in the order of `after` (removed ones last).
pub fn diff(before: &Api, after: &Api) -> Vec<ApiChange> {
    let mut walk = Walk::new(Limits {
        depth: MAX_DEPTH,
        bytes: MAX_COMPARED,
    });
    let shape = |op: &Operation| format!("{} {}", op.method, path_shape(&op.path));
    let mut out = Vec::new();
    for op in &after.operations {
        match before.operations.iter().find(|b| shape(b) == shape(op)) {
            None => out.push(ApiChange::Added {
                key: op.key(),
                line: op.line,
            }),
            Some(b) => operation(before, b, after, op, &mut out, &mut walk),
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
    if walk.remaining() == 0 {
        out.push(ApiChange::Changed {
            key: String::new(),
            what: "more changes than these: the comparison stopped at its budget".into(),
            breaking: false,
        });
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

fn operation(bd: &Api, b: &Operation, ad: &Api, a: &Operation, out: &mut Vec<ApiChange>, walk: &mut Walk) {
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
                    walk,
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
            content(
                &bd.doc,
                x,
                &ad.doc,
                y,
                "request body",
                Direction::Request,
                &mut push,
                walk,
            );
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
                walk,
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

#[allow(clippy::too_many_arguments)]
fn content(
    bd: &Value,
    b: &Value,
    ad: &Value,
    a: &Value,
    what: &str,
    dir: Direction,
    push: &mut dyn FnMut(String, bool),
    walk: &mut Walk,
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
                    walk,
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

/// Compares two schemas under the walk's guard: a reference already on the path (a
/// recursive schema) is not followed again, nesting stops at [`MAX_DEPTH`], and once the
/// budget is spent nothing more is compared.
#[allow(clippy::too_many_arguments)]
fn schema(
    bd: &Value,
    b: Option<&Value>,
    ad: &Value,
    a: Option<&Value>,
    at: &str,
    dir: Direction,
    out: &mut Vec<(String, bool)>,
    walk: &mut Walk,
) {
    let (Some(b), Some(a)) = (b, a) else {
        return;
    };
    if walk.spend(VISIT_COST).is_err() {
        return;
    }
    // The references on the path are the pair's: the same pair met again is a recursion.
    let key = format!(
        "{}|{}",
        b.get("$ref").and_then(Value::as_str).unwrap_or_default(),
        a.get("$ref").and_then(Value::as_str).unwrap_or_default()
    );
    let run = |walk: &mut Walk| {
        compare(bd, deref(bd, b), ad, deref(ad, a), at, dir, out, walk);
        Ok(())
    };
    let compared = if key == "|" {
        walk.descend(run)
    } else {
        walk.follow(&key, run)
    };
    // A recursion, a depth or the budget passed: that branch is not compared further.
    let _ = compared;
}

/// A change found, when its text fits the budget.
fn found(out: &mut Vec<(String, bool)>, walk: &mut Walk, what: String, breaking: bool) {
    if walk.spend(what.len() as u64).is_ok() {
        out.push((what, breaking));
    }
}

#[allow(clippy::too_many_arguments)]
fn compare(
    bd: &Value,
    b: &Value,
    ad: &Value,
    a: &Value,
    at: &str,
    dir: Direction,
    out: &mut Vec<(String, bool)>,
    walk: &mut Walk,
) {
    let (bt, at_) = (type_of(b), type_of(a));
    if !bt.is_empty() && !at_.is_empty() && bt != at_ {
        found(out, walk, format!("{at}: type changed from {bt} to {at_}"), true);
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
            found(out, walk, format!("{at}: value {v} removed"), dir == Direction::Request);
        }
        for v in ae.difference(&be) {
            found(out, walk, format!("{at}: value {v} added"), dir == Direction::Response);
        }
    }
    let (br, ar) = (list(b, "required"), list(a, "required"));
    let props = |v: &'_ Value| -> Vec<(String, Value)> {
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
            None => found(
                out,
                walk,
                format!("{at}: field `{name}` removed"),
                dir == Direction::Response,
            ),
            Some((_, y)) => schema(bd, Some(x), ad, Some(y), &format!("{at}.{name}"), dir, out, walk),
        }
    }
    for (name, _) in &ap {
        if !bp.iter().any(|(n, _)| n == name) {
            let required = ar.contains(name);
            found(
                out,
                walk,
                format!(
                    "{at}: new {} field `{name}`",
                    if required { "required" } else { "optional" }
                ),
                required && dir == Direction::Request,
            );
        }
    }
    for name in ar.difference(&br) {
        if bp.iter().any(|(n, _)| n == name) {
            found(
                out,
                walk,
                format!("{at}: field `{name}` made required"),
                dir == Direction::Request,
            );
        }
    }
    if let (Some(x), Some(y)) = (b.get("items"), a.get("items")) {
        schema(bd, Some(x), ad, Some(y), &format!("{at}[]"), dir, out, walk);
    }
}
