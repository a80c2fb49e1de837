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
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// A document (or a part of one) as written, in the policy engine's form.
pub type Raw = regorus::Value;

/// Strings up to this length are shared between documents; longer ones (emails, ids,
/// descriptions) are rarely repeated.
const SHARED_MAX_LEN: usize = 24;

/// Shares repeated strings between the documents one worker converts.
#[derive(Default)]
pub struct Interner {
    strings: HashSet<Arc<str>>,
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
    match v {
        Json::Null => Raw::Null,
        Json::Bool(b) => Raw::Bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Raw::from(i)
            } else if let Some(u) = n.as_u64() {
                Raw::from(u)
            } else {
                Raw::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => interner.string(s),
        Json::Array(items) => Raw::from(items.iter().map(|i| from_json(i, interner)).collect::<Vec<_>>()),
        Json::Object(map) => Raw::from(
            map.iter()
                .map(|(k, v)| (interner.key(k), from_json(v, interner)))
                .collect::<BTreeMap<_, _>>(),
        ),
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
