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
use hashbrown::HashTable;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
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
/// environment}`, a history entry, a partner's labels, an empty list): a program of 100,000
/// partners holds each such value about once per worker rather than once per partner. Values
/// are never changed in place (the policy engine copies on write), so sharing is not visible.
///
/// Both are hash tables over a hash [`convert`] computes as it goes, so a lookup costs the
/// same whatever the size of the program. (An ordered set of the values cost a logarithm of
/// it, in comparisons of whole values.)
#[derive(Default)]
pub struct Interner {
    strings: HashTable<(u64, Arc<str>)>,
    small: HashTable<(u64, Raw)>,
}

impl Interner {
    /// A string value: shared when short.
    fn string(&mut self, s: &str) -> (Raw, Option<u64>) {
        if s.len() > SHARED_MAX_LEN {
            (Raw::from(s), None)
        } else {
            let hash = hash_str(s);
            (self.key_hashed(s, hash), Some(hash))
        }
    }

    /// A small mapping or list of shareable values: the one already held when an equal one
    /// was converted.
    fn small(&mut self, value: Raw, hash: u64) -> Raw {
        if let Some((_, held)) = self.small.find(hash, |(h, held)| *h == hash && *held == value) {
            return held.clone();
        }
        self.small.insert_unique(hash, (hash, value.clone()), |(h, _)| *h);
        value
    }

    /// A key: shared whatever its length (keys come from the schema's vocabulary).
    fn key(&mut self, s: &str) -> (Raw, u64) {
        let hash = hash_str(s);
        (self.key_hashed(s, hash), hash)
    }

    fn key_hashed(&mut self, s: &str, hash: u64) -> Raw {
        if let Some((_, held)) = self.strings.find(hash, |(h, held)| *h == hash && **held == *s) {
            return Raw::String(Arc::clone(held));
        }
        let shared: Arc<str> = Arc::from(s);
        self.strings
            .insert_unique(hash, (hash, Arc::clone(&shared)), |(h, _)| *h);
        Raw::String(shared)
    }
}

/// The hasher of both tables, seeded at random once per run: the strings interned are the
/// repository's keys and values, and with a seed known in advance an author could write keys
/// that all fall into one bucket. (Only the sharing depends on the hashes, never a value.)
fn hasher() -> foldhash::fast::FoldHasher<'static> {
    static STATE: std::sync::LazyLock<foldhash::fast::RandomState> = std::sync::LazyLock::new(Default::default);
    STATE.build_hasher()
}

/// A hash of a tag and some words (a scalar's bits, the hashes of a value's parts).
fn hash_words(tag: u8, words: &[u64]) -> u64 {
    let mut h = hasher();
    h.write_u8(tag);
    for w in words {
        h.write_u64(*w);
    }
    h.finish()
}

fn hash_str(s: &str) -> u64 {
    let mut h = hasher();
    h.write_u8(b's');
    h.write(s.as_bytes());
    h.finish()
}

/// Converts a parsed document. Numbers keep their kind (integer or float); a float that is not
/// finite cannot come out of YAML parsing and would become `null`.
pub fn from_json(v: &Json, interner: &mut Interner) -> Raw {
    convert(v, interner).0
}

/// A value, and its hash if it may be shared: a scalar (a string if short), or a mapping or
/// list of at most [`SHARED_MAX_ENTRIES`] shareable values (mapping keys are always shared).
fn convert(v: &Json, interner: &mut Interner) -> (Raw, Option<u64>) {
    let scalar = |tag: u8, bits: u64| Some(hash_words(tag, &[bits]));
    match v {
        Json::Null => (Raw::Null, scalar(b'n', 0)),
        Json::Bool(b) => (Raw::Bool(*b), scalar(b'b', u64::from(*b))),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                (Raw::from(i), scalar(b'i', i as u64))
            } else if let Some(u) = n.as_u64() {
                (Raw::from(u), scalar(b'u', u))
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                (Raw::from(f), scalar(b'f', f.to_bits()))
            }
        }
        Json::String(s) => interner.string(s),
        Json::Array(items) => {
            let mut hash = (items.len() <= SHARED_MAX_ENTRIES).then(|| {
                let mut h = hasher();
                h.write_u8(b'[');
                h
            });
            let list: Vec<Raw> = items
                .iter()
                .map(|i| {
                    let (raw, item) = convert(i, interner);
                    hash = hash.take().zip(item).map(|(mut h, item)| {
                        h.write_u64(item);
                        h
                    });
                    raw
                })
                .collect();
            shared_if(Raw::from(list), hash.map(|h| h.finish()), interner)
        }
        Json::Object(map) => {
            // The entries' hashes summed: equal mappings hash alike whatever order their
            // files wrote the keys in.
            let mut sum = (map.len() <= SHARED_MAX_ENTRIES).then_some(0u64);
            let entries: BTreeMap<Raw, Raw> = map
                .iter()
                .map(|(k, v)| {
                    let (raw, value) = convert(v, interner);
                    let (key, key_hash) = interner.key(k);
                    sum = sum
                        .zip(value)
                        .map(|(sum, value)| sum.wrapping_add(hash_words(b':', &[key_hash, value])));
                    (key, raw)
                })
                .collect();
            let hash = sum.map(|sum| hash_words(b'{', &[sum, map.len() as u64]));
            shared_if(Raw::from(entries), hash, interner)
        }
    }
}

fn shared_if(value: Raw, hash: Option<u64>, interner: &mut Interner) -> (Raw, Option<u64>) {
    match hash {
        Some(hash) => (interner.small(value, hash), Some(hash)),
        None => (value, None),
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
    fn the_interners_hashes_are_not_known_in_advance() {
        // With a seed fixed in the source, an author could compute keys that collide; the
        // seed is drawn for each run, so the hash of a key is not the fixed seed's.
        let fixed = |s: &str| {
            let mut h = foldhash::fast::FixedState::with_seed(0x7061_7274_6e65_7263).build_hasher();
            h.write_u8(b's');
            h.write(s.as_bytes());
            h.finish()
        };
        let keys = ["apiVersion", "kind", "metadata", "name", "spec"];
        assert!(keys.iter().all(|k| hash_str(k) != fixed(k)));
        // And it is one seed for the whole run: equal strings still meet.
        assert_eq!(hash_str("spec"), hash_str("spec"));
    }

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
    fn mappings_written_in_another_order_are_shared_too() {
        let mut interner = Interner::default();
        let one = yaml::parse("a.yaml", b"s: {product: a, plan: b}\n").unwrap();
        let two = yaml::parse("b.yaml", b"s: {plan: b, product: a}\n").unwrap();
        let one = from_json(&one.value, &mut interner);
        let two = from_json(&two.value, &mut interner);
        let (Raw::Object(x), Raw::Object(y)) = (&one["s"], &two["s"]) else {
            panic!("mappings")
        };
        assert!(Arc::ptr_eq(x, y));
    }

    #[test]
    fn values_whose_hashes_collide_are_never_confused() {
        let mut interner = Interner::default();
        let (one, two) = (Raw::from(vec![Raw::from(1i64)]), Raw::from(vec![Raw::from(2i64)]));
        assert_eq!(interner.small(one.clone(), 7), one);
        assert_eq!(interner.small(two.clone(), 7), two, "same hash, another value");
        assert_eq!(interner.small(one.clone(), 7), one);
    }

    #[test]
    fn values_come_back_as_written_however_often_they_recur() {
        let mut interner = Interner::default();
        let docs: Vec<Json> = (0..50)
            .map(|i| {
                serde_json::json!({
                    "labels": {"n": i % 7, "k": format!("v{}", i % 5)},
                    "list": [i % 3, "x", null, i % 2 == 0],
                    "k": format!("k{i}"),
                })
            })
            .collect();
        for doc in docs.iter().chain(docs.iter().rev()) {
            assert_eq!(&to_json(&from_json(doc, &mut interner)), doc);
        }
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
