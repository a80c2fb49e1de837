//! Per-field changes between two versions of one document, with addresses people can read:
//! `partner/acme/subscriptions/tracking@production/plan`, `product/rates/plans/starter/rateLimit`.
//!
//! Lists whose items have a natural key (subscriptions by `product@environment`, credentials
//! by id, plans by name, terms versions by version, ...) are matched by that key, so adding
//! one subscription is one `add` rather than a shifted list. Lists of plain values
//! (`environments: [sandbox]`) change as a whole.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What happened to one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Add,
    Remove,
    Change,
}

impl Op {
    /// The terraform-like mark.
    pub fn mark(self) -> char {
        match self {
            Op::Add => '+',
            Op::Remove => '-',
            Op::Change => '~',
        }
    }
}

/// One changed field, before → after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub address: String,
    pub op: Op,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// For texts (a terms version's document): a unified diff instead of both values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// A file of `policies/` or `templates/` that differs between the two sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramFile {
    pub path: String,
    pub op: Op,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl ProgramFile {
    /// The field of the `program` change naming the file, with a diff of its text.
    pub fn field(&self) -> FieldChange {
        let text = |t: &Option<String>| t.clone().unwrap_or_default();
        FieldChange {
            address: format!("program/files/{}", self.path),
            op: self.op,
            before: None,
            after: None,
            diff: Some(text_diff(&self.path, &text(&self.before), &text(&self.after))),
        }
    }
}

/// The key an item of a list at `path` (list names only, e.g. `spec/plans`) is matched by.
fn item_key(kind: &str, list: &str, item: &Value) -> Option<String> {
    let s = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
    match (kind, list) {
        ("partner", "subscriptions") => Some(format!("{}@{}", s("product")?, s("environment")?)),
        ("partner", "credentials") => s("id"),
        ("partner", "agreements") => Some(format!("{}@{}", s("terms")?, s("version")?)),
        ("partner", "contacts") => s("email"),
        ("product", "plans") => s("name"),
        ("product", "endpoints") => Some(format!("{} {}", s("method")?, s("path")?)),
        ("terms", "versions") => s("version"),
        ("program", "outputs") => s("path"),
        _ => None,
    }
}

/// The changed fields between two documents as written (`None` = absent). Addresses start with
/// `resource` (`partner/acme`); `spec` is left out of them, `metadata` is kept.
pub fn diff(kind: &str, resource: &str, base: Option<&Value>, desired: Option<&Value>) -> Vec<FieldChange> {
    let mut out = Vec::new();
    // A side that is absent (a create or a delete) compares as empty: every field is an add
    // (or a remove), as a reviewer needs to see a new partner whole.
    let empty = Value::Object(serde_json::Map::new());
    for part in ["metadata", "spec"] {
        let bv = if base.is_some() {
            base.and_then(|b| b.get(part))
        } else {
            Some(&empty)
        };
        let dv = if desired.is_some() {
            desired.and_then(|d| d.get(part))
        } else {
            Some(&empty)
        };
        let prefix = if part == "spec" {
            resource.to_string()
        } else {
            format!("{resource}/metadata")
        };
        match (bv, dv) {
            (Some(bv), Some(dv)) => walk(kind, &prefix, "", bv, dv, &mut out),
            (None, Some(dv)) => push(&mut out, &prefix, Op::Add, None, Some(dv)),
            (Some(bv), None) => push(&mut out, &prefix, Op::Remove, Some(bv), None),
            (None, None) => {}
        }
    }
    out
}

fn push(out: &mut Vec<FieldChange>, address: &str, op: Op, before: Option<&Value>, after: Option<&Value>) {
    out.push(FieldChange {
        address: address.to_string(),
        op,
        before: before.cloned(),
        after: after.cloned(),
        diff: None,
    });
}

fn walk(kind: &str, address: &str, list: &str, a: &Value, b: &Value, out: &mut Vec<FieldChange>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) => {
            for (k, va) in ma {
                if address.ends_with("/metadata") && k == "name" {
                    continue;
                }
                let child = format!("{address}/{k}");
                match mb.get(k) {
                    Some(vb) => walk(kind, &child, k, va, vb, out),
                    None => push(out, &child, Op::Remove, Some(va), None),
                }
            }
            for (k, vb) in mb {
                if !ma.contains_key(k) {
                    push(out, &format!("{address}/{k}"), Op::Add, None, Some(vb));
                }
            }
        }
        (Value::Array(la), Value::Array(lb)) => {
            let keyed = |l: &Vec<Value>| -> Option<Vec<(String, Value)>> {
                let keys: Option<Vec<(String, Value)>> = l
                    .iter()
                    .map(|v| item_key(kind, list, v).map(|k| (k, v.clone())))
                    .collect();
                let keys = keys?;
                let mut seen = std::collections::BTreeSet::new();
                keys.iter().all(|(k, _)| seen.insert(k.clone())).then_some(keys)
            };
            let objects = la.iter().chain(lb.iter()).all(Value::is_object);
            match (keyed(la), keyed(lb)) {
                (Some(ka), Some(kb)) => {
                    for (k, va) in &ka {
                        let child = format!("{address}/{k}");
                        match kb.iter().find(|(kk, _)| kk == k) {
                            Some((_, vb)) => walk(kind, &child, "", va, vb, out),
                            None => push(out, &child, Op::Remove, Some(va), None),
                        }
                    }
                    for (k, vb) in &kb {
                        if !ka.iter().any(|(kk, _)| kk == k) {
                            push(out, &format!("{address}/{k}"), Op::Add, None, Some(vb));
                        }
                    }
                }
                _ if objects => {
                    for i in 0..la.len().max(lb.len()) {
                        let child = format!("{address}/{i}");
                        match (la.get(i), lb.get(i)) {
                            (Some(va), Some(vb)) => walk(kind, &child, "", va, vb, out),
                            (Some(va), None) => push(out, &child, Op::Remove, Some(va), None),
                            (None, Some(vb)) => push(out, &child, Op::Add, None, Some(vb)),
                            (None, None) => {}
                        }
                    }
                }
                _ => push(out, address, Op::Change, Some(a), Some(b)),
            }
        }
        _ => push(out, address, Op::Change, Some(a), Some(b)),
    }
}

/// A unified diff of two texts (`a/label`, `b/label`), empty when equal.
///
/// Rendered outputs of a large program are megabytes long and a change touches a few lines:
/// the common head and tail are cut off (keeping the context lines) before diffing, and the
/// hunk headers are shifted back, which keeps a one-partner change fast.
pub fn text_diff(label: &str, before: &str, after: &str) -> String {
    text_diff_of(&format!("a/{label}"), &format!("b/{label}"), before, after)
}

/// A unified diff of two different files' texts: a new terms version against the one
/// before it, so that reviewers read what changed rather than the whole text again.
pub fn text_diff_of(old_label: &str, new_label: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    const CONTEXT: usize = 3;
    let a: Vec<&str> = before.split_inclusive('\n').collect();
    let b: Vec<&str> = after.split_inclusive('\n').collect();
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let skip = head.saturating_sub(CONTEXT);
    let keep_tail = tail.saturating_sub(CONTEXT);
    let mid_a: String = a[skip..a.len() - keep_tail].concat();
    let mid_b: String = b[skip..b.len() - keep_tail].concat();
    let diff = similar::TextDiff::from_lines(&mid_a, &mid_b)
        .unified_diff()
        .context_radius(CONTEXT)
        .header(old_label, new_label)
        .to_string();
    if skip == 0 {
        return diff;
    }
    let mut out = String::with_capacity(diff.len());
    for line in diff.split_inclusive('\n') {
        match shift_hunk_header(line, skip) {
            Some(h) => out.push_str(&h),
            None => out.push_str(line),
        }
    }
    out
}

/// `@@ -3,7 +3,8 @@` → the same with both start lines moved down by `by`.
fn shift_hunk_header(line: &str, by: usize) -> Option<String> {
    let rest = line.strip_prefix("@@ -")?;
    let (old, rest) = rest.split_once(" +")?;
    let (new, rest) = rest.split_once(" @@")?;
    let shift = |range: &str| -> Option<String> {
        let (start, len) = match range.split_once(',') {
            Some((s, l)) => (s, Some(l)),
            None => (range, None),
        };
        let start: usize = start.parse().ok()?;
        // A start of 0 means an empty range before the first line; keep it anchored.
        let start = if start == 0 && len == Some("0") { by } else { start + by };
        Some(match len {
            Some(l) => format!("{start},{l}"),
            None => start.to_string(),
        })
    };
    Some(format!("@@ -{} +{} @@{rest}", shift(old)?, shift(new)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keyed_lists_give_readable_addresses() {
        let a = json!({"metadata": {"name": "acme", "owner": "p"}, "spec": {
            "stage": "sandbox",
            "subscriptions": [{"product": "tracking", "plan": "starter", "environment": "sandbox"}]}});
        let b = json!({"metadata": {"name": "acme", "owner": "p"}, "spec": {
            "stage": "live",
            "subscriptions": [
                {"product": "tracking", "plan": "standard", "environment": "sandbox"},
                {"product": "tracking", "plan": "standard", "environment": "production"}]}});
        let changes = diff("partner", "partner/acme", Some(&a), Some(&b));
        let addrs: Vec<(&str, Op)> = changes.iter().map(|c| (c.address.as_str(), c.op)).collect();
        assert_eq!(
            addrs,
            vec![
                ("partner/acme/stage", Op::Change),
                ("partner/acme/subscriptions/tracking@sandbox/plan", Op::Change),
                ("partner/acme/subscriptions/tracking@production", Op::Add),
            ]
        );
    }

    #[test]
    fn plain_lists_change_whole_and_text_diffs_are_unified() {
        let a = json!({"spec": {"environments": ["sandbox"]}});
        let b = json!({"spec": {"environments": ["sandbox", "production"]}});
        let c = diff("product", "product/x", Some(&a), Some(&b));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].address, "product/x/environments");
        let d = text_diff("t.md", "a\nb\n", "a\nc\n");
        assert!(d.contains("-b\n+c\n"), "{d}");
        assert!(text_diff("t.md", "same", "same").is_empty());
    }

    #[test]
    fn a_change_deep_in_a_long_text_keeps_its_line_numbers() {
        let before: String = (1..=1000).map(|i| format!("line {i}\n")).collect();
        let after = before.replace("line 500\n", "line five hundred\n");
        let d = text_diff("x", &before, &after);
        let full = similar::TextDiff::from_lines(&before, &after)
            .unified_diff()
            .context_radius(3)
            .header("a/x", "b/x")
            .to_string();
        assert_eq!(d, full);
        assert!(d.contains("@@ -497,7 +497,7 @@"), "{d}");
        let appended = format!("{before}line 1001\n");
        let full = similar::TextDiff::from_lines(&before, &appended)
            .unified_diff()
            .context_radius(3)
            .header("a/x", "b/x")
            .to_string();
        assert_eq!(text_diff("x", &before, &appended), full);
    }
}
