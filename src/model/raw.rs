//! The documents as written, kept once for everything after loading.
//!
//! Loading parses each file into a `serde_json::Value`, checks it against its schema and types
//! it; what is kept for the checks and policies is the document in the policy engine's own
//! form, [`Raw`] (`regorus::Value`), until [`super::Written::release`]. Policies get their
//! `input` by sharing these values instead of converting every document again. Mapping keys and short strings (stages, dates, environments, plan names)
//! are shared between the documents converted on a thread, so ten thousand partners do not
//! each carry their own copy of `environment` and `sandbox`.
//!
//! Mappings are kept in key order. Where document order matters (a plan's field list, `policy
//! input`), [`super::Program::json_of`] reads the file again.

use crate::source::yaml::Tree;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

/// A document (or a part of one) as written, in the policy engine's form.
pub type Raw = regorus::Value;

/// Strings up to this length are shared between documents; longer ones (emails, ids,
/// descriptions) are rarely repeated.
const SHARED_MAX_LEN: usize = 24;

/// Mappings and lists up to this many entries, of short scalars and such mappings and lists
/// only, are shared.
const SHARED_MAX_ENTRIES: usize = 8;

/// Shares repeated strings between the documents one worker converts, and small mappings and
/// lists made only of short scalars and of such values (a subscription's `{product, plan,
/// environment}`, a history entry, a partner's labels, an empty list): a program of 100,000 partners holds each
/// such value once per worker rather than once per partner. Values are never changed in place
/// (the policy engine copies on write), so sharing is not visible.
#[derive(Default)]
pub struct Interner {
    strings: HashSet<Arc<str>>,
    small: BTreeSet<Raw>,
}

impl Interner {
    /// A string value: shared when short.
    fn string(&mut self, s: &str) -> Raw {
        if s.len() > SHARED_MAX_LEN {
            Raw::from(s)
        } else {
            self.key(s)
        }
    }

    /// A small mapping or list of shareable values: the one already held when an equal one
    /// was converted.
    fn small(&mut self, value: Raw) -> Raw {
        if let Some(held) = self.small.get(&value) {
            return held.clone();
        }
        self.small.insert(value.clone());
        value
    }

    /// A key: always shared, whatever its length (keys come from the schema's vocabulary).
    fn key(&mut self, s: &str) -> Raw {
        if let Some(shared) = self.strings.get(s) {
            return Raw::String(Arc::clone(shared));
        }
        let shared: Arc<str> = Arc::from(s);
        self.strings.insert(Arc::clone(&shared));
        Raw::String(shared)
    }
}

/// Converts a parsed document. Numbers keep their kind (integer or float); a float that is not
/// finite cannot come out of YAML parsing and would become `null`.
pub fn from_json(v: &Json, interner: &mut Interner) -> Raw {
    convert(v, interner).0
}

/// A value, and whether it may be shared: a scalar (a string if short), or a mapping or list
/// of at most [`SHARED_MAX_ENTRIES`] shareable values (mapping keys are always shared).
fn convert(v: &Json, interner: &mut Interner) -> (Raw, bool) {
    match v {
        Json::Null => (Raw::Null, true),
        Json::Bool(b) => (Raw::Bool(*b), true),
        Json::Number(n) => {
            let raw = if let Some(i) = n.as_i64() {
                Raw::from(i)
            } else if let Some(u) = n.as_u64() {
                Raw::from(u)
            } else {
                Raw::from(n.as_f64().unwrap_or(f64::NAN))
            };
            (raw, true)
        }
        Json::String(s) => (interner.string(s), s.len() <= SHARED_MAX_LEN),
        Json::Array(items) => {
            let mut share = items.len() <= SHARED_MAX_ENTRIES;
            let list: Vec<Raw> = items
                .iter()
                .map(|i| {
                    let (raw, ok) = convert(i, interner);
                    share &= ok;
                    raw
                })
                .collect();
            shared_if(Raw::from(list), share, interner)
        }
        Json::Object(map) => {
            let mut share = map.len() <= SHARED_MAX_ENTRIES;
            let map: BTreeMap<Raw, Raw> = map
                .iter()
                .map(|(k, v)| {
                    let (raw, ok) = convert(v, interner);
                    share &= ok;
                    (interner.key(k), raw)
                })
                .collect();
            shared_if(Raw::from(map), share, interner)
        }
    }
}

fn shared_if(value: Raw, share: bool, interner: &mut Interner) -> (Raw, bool) {
    if share {
        (interner.small(value), true)
    } else {
        (value, false)
    }
}

/// The value at a JSON pointer (`/metadata/owner`), without allocating.
pub fn pointer<'a>(v: &'a Raw, pointer: &str) -> Option<&'a Raw> {
    pointer
        .split('/')
        .skip(1)
        .try_fold(v, |node, seg| node.child(seg).map(|(_, child)| child))
}

/// The string at a JSON pointer, if it is a string.
pub fn str_at<'a>(v: &'a Raw, at: &str) -> Option<&'a str> {
    match pointer(v, at)? {
        Raw::String(s) => Some(s),
        _ => None,
    }
}

/// A value back as JSON (mapping keys in key order).
pub fn to_json(v: &Raw) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

impl Tree for Raw {
    fn child(&self, segment: &str) -> Option<(usize, &Raw)> {
        match self {
            Raw::Array(items) => {
                let i: usize = segment.parse().ok()?;
                items.get(i).map(|v| (i, v))
            }
            Raw::Object(map) => map
                .iter_sorted()
                .enumerate()
                .find(|(_, (k, _))| matches!(k, Raw::String(s) if &**s == segment))
                .map(|(i, (_, v))| (i, v)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::yaml;

    #[test]
    fn converts_and_shares_strings() {
        let doc = yaml::parse("a.yaml", b"b: [1, 2.5, true, ~, sandbox]\na: {env: sandbox}\n").unwrap();
        let mut interner = Interner::default();
        let raw = from_json(&doc.value, &mut interner);
        assert_eq!(raw["b"][0], Raw::from(1i64));
        assert_eq!(raw["b"][1], Raw::from(2.5f64));
        assert_eq!(raw["b"][2], Raw::Bool(true));
        assert_eq!(raw["b"][3], Raw::Null);
        let (Raw::String(x), Raw::String(y)) = (&raw["b"][4], &raw["a"]["env"]) else {
            panic!("strings")
        };
        assert!(Arc::ptr_eq(x, y), "one shared `sandbox`");
        assert_eq!(
            to_json(&raw),
            serde_json::json!({"a": {"env": "sandbox"}, "b": [1, 2.5, true, null, "sandbox"]})
        );
    }

    #[test]
    fn small_values_of_short_scalars_are_held_once() {
        let mut interner = Interner::default();
        let text = |email: &str| {
            format!(
                "subs: [{{product: a, plan: b}}]\nlabels: {{region: emea}}\nnone: []\ncontact: {{email: {email}}}\n"
            )
        };
        let one = yaml::parse("a.yaml", text("someone.long@example-company.invalid").as_bytes()).unwrap();
        let two = yaml::parse("b.yaml", text("someone.else@example-company.invalid").as_bytes()).unwrap();
        let (one, two) = (
            from_json(&one.value, &mut interner),
            from_json(&two.value, &mut interner),
        );
        let shared = |a: &Raw, b: &Raw| match (a, b) {
            (Raw::Object(x), Raw::Object(y)) => Arc::ptr_eq(x, y),
            (Raw::Array(x), Raw::Array(y)) => Arc::ptr_eq(x, y),
            _ => false,
        };
        assert!(shared(&one["subs"][0], &two["subs"][0]));
        assert!(
            shared(&one["subs"], &two["subs"]),
            "a list of shared values is shared too"
        );
        assert!(shared(&one["labels"], &two["labels"]));
        assert!(shared(&one["none"], &two["none"]));
        assert!(!shared(&one["contact"], &two["contact"]), "they differ");
        assert_ne!(one["contact"], two["contact"]);
        assert_eq!(
            to_json(&two["subs"]),
            serde_json::json!([{"product": "a", "plan": "b"}])
        );
    }

    #[test]
    fn positions_are_found_along_the_kept_document() {
        let doc = yaml::parse("a.yaml", b"zeta: 1\nalpha:\n  - {role: x, name: y}\n").unwrap();
        let raw = from_json(&doc.value, &mut Interner::default());
        for pointer in [
            "",
            "/zeta",
            "/alpha",
            "/alpha/0",
            "/alpha/0/name",
            "/alpha/0/role",
            "/alpha/3",
            "/nope",
        ] {
            assert_eq!(doc.positions.value(&raw, pointer), doc.pos(pointer), "{pointer}");
            assert_eq!(doc.positions.key(&raw, pointer), doc.key_pos(pointer), "{pointer}");
        }
    }
}
