//! What the API server would refuse in a manifest, checked before anything is written: the
//! Kubernetes targets build their resources as data ([`Doc`]), [`check`] holds them against
//! the limits of Kubernetes itself (names, namespaces, label values, the size of an object)
//! and of the CRDs they are written for (list and string lengths), and [`finish`] writes
//! them only when none is broken. So a program that would render a manifest `kubectl apply`
//! or an Argo CD sync refuses fails `validate` and `render` with the reason, instead of
//! failing in the cluster after the merge.
//!
//! The CRD limits are those of the vendored CRDs (tests/external/FACTS.md §f, the files
//! under tests/external/k8s/schemas); only the lists and strings the targets fill from the
//! program are checked, since the rest is fixed text of partnerctl's.

use super::manifests::{manifest, with_kustomization};
use crate::output::{RenderError, RenderedFile};
use foldhash::fast::FixedState;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::BuildHasher;

/// One resource of a Kubernetes target, before it is written: the file it goes to (in the
/// output's folder) and the document.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    pub file: String,
    pub body: Value,
}

impl Doc {
    pub fn new(file: impl Into<String>, body: Value) -> Doc {
        Doc {
            file: file.into(),
            body,
        }
    }
}

/// A DNS-1123 subdomain: most resource names (Secrets, every CRD of the targets).
pub const MAX_NAME: usize = 253;
/// A DNS-1123 label: namespaces, label values.
pub const MAX_LABEL: usize = 63;
/// etcd's default request limit (`--max-request-bytes`, 1.5 MiB): a larger object is refused
/// whatever its kind.
pub const MAX_OBJECT_BYTES: usize = 1536 * 1024;
/// The API server's limit on all annotations of an object together (256 KiB).
pub const MAX_ANNOTATION_BYTES: usize = 256 * 1024;

/// BackendTrafficPolicy `spec.rateLimit.global.rules`: maxItems.
pub const MAX_RATE_LIMIT_RULES: usize = 256;
/// BackendTrafficPolicy `rules[].clientSelectors`: maxItems.
pub const MAX_CLIENT_SELECTORS: usize = 8;
/// BackendTrafficPolicy `clientSelectors[].headers`: maxItems.
pub const MAX_SELECTOR_HEADERS: usize = 128;
/// BackendTrafficPolicy `clientSelectors[].headers[].value`: maxLength.
pub const MAX_HEADER_VALUE: usize = 1024;
/// SecurityPolicy `authorization.rules[].principal.headers` and each header's `values`: maxItems.
pub const MAX_PRINCIPAL_VALUES: usize = 256;

/// At most this many problems are listed; the rest are counted.
const MAX_LISTED: usize = 10;

fn is_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

fn is_label(s: &str) -> bool {
    s.len() <= MAX_LABEL && !s.contains('.') && is_subdomain(s)
}

/// A label value: empty, or at most 63 of `[A-Za-z0-9._-]`, starting and ending
/// alphanumeric.
fn is_label_value(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= MAX_LABEL
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric())
}

/// The value at a JSON pointer of this file's own (keys only, no `~` escapes), found without
/// the allocation per step `Value::pointer` makes: the checks look up a few fields in each
/// of hundreds of thousands of manifests.
fn at<'a>(v: &'a Value, pointer: &str) -> Option<&'a Value> {
    debug_assert!(pointer.starts_with('/') && !pointer.contains('~'), "{pointer}");
    pointer.split('/').skip(1).try_fold(v, |v, key| v.as_object()?.get(key))
}

fn items<'a>(v: &'a Value, pointer: &str) -> &'a [Value] {
    at(v, pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// How a refused manifest is named in a finding (`Kind namespace/name (file)`), written only
/// for one that is refused.
struct Lazy<'a>(std::cell::OnceCell<String>, &'a str, &'a str, &'a str, &'a str);

impl Lazy<'_> {
    fn get(&self) -> &str {
        self.0
            .get_or_init(|| format!("{} {}/{} ({})", self.1, self.2, self.3, self.4))
    }
}

impl std::fmt::Display for Lazy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.get())
    }
}

/// The bytes a value takes as compact JSON (what the API server receives), counted without
/// writing them anywhere.
fn json_size(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    serde_json::to_writer(&mut c, v).map_or(0, |_| c.0)
}

/// What the API server or a CRD would refuse in `docs`, one line each.
pub fn check(docs: &[Doc]) -> Vec<String> {
    let mut out = Vec::new();
    // Borrowed from the documents: validate checks tens of thousands of manifests, nearly
    // all fine, so nothing is allocated for one unless it is refused.
    let mut seen: HashMap<(&str, &str, &str, &str), &str> = HashMap::with_capacity(docs.len());
    let mut files: BTreeMap<&str, usize> = BTreeMap::new();
    for d in docs {
        let id = Identity::of(d);
        let what = id.what(&d.file);
        *files.entry(d.file.as_str()).or_default() += 1;
        id.check_names(&what, &mut out);
        if let Some(first) = seen.insert(id.key(), &d.file) {
            out.push(format!(
                "{what}: {first} holds a {} of the same name and namespace; one would replace the other",
                id.kind
            ));
        }
        check_body(&what, d, &mut out);
    }
    for (file, n) in files {
        if n > 1 {
            out.push(format!("{n} resources would be written to the same file {file}"));
        }
    }
    out
}

/// What makes one unit's documents (`i`, and where they go): see [`Emit::each`].
pub type Unit<'a> = dyn Fn(usize, &mut dyn FnMut(Doc)) + Sync + 'a;

/// Where a Kubernetes target hands its documents, in the order they are written. Most of a
/// target's documents are its partners' (a consumer, a Secret per credential), each made
/// from one partner alone: they come as [`Emit::each`], which a sink may build on several
/// threads as long as it takes them in their order; the few the target makes of the whole
/// program (plugins, policies) come one at a time.
pub trait Emit {
    /// One document.
    fn one(&mut self, d: Doc);
    /// The documents of `n` independent units, unit `i`'s handed out by `build(i, …)`, taken
    /// in the order of `i`.
    fn each(&mut self, n: usize, build: &Unit<'_>);
}

/// A closure takes every document here, in order, on this thread.
impl<F: FnMut(Doc)> Emit for F {
    fn one(&mut self, d: Doc) {
        self(d)
    }

    fn each(&mut self, n: usize, build: &Unit<'_>) {
        for i in 0..n {
            build(i, &mut *self);
        }
    }
}

/// A sink that builds the units of [`Emit::each`] in parallel, a chunk of them per task: each
/// task takes its documents into a state of its own (`make`, `take`) and drops each on the
/// thread that built it, and the states are then `merge`d in the chunks' order, so the
/// result is what taking every document here in order would give. Memory stays that of
/// the documents being built, not of all of them.
struct InOrder<'a, S> {
    state: S,
    make: &'a (dyn Fn() -> S + Sync),
    take: &'a (dyn Fn(&mut S, Doc) + Sync),
    merge: &'a dyn Fn(&mut S, S),
}

/// Units (partners) per task of [`InOrder`]: enough to keep a task's overhead small, few
/// enough that 10,000 partners make tasks for every core.
const CHUNK: usize = 64;

impl<S: Send> Emit for InOrder<'_, S> {
    fn one(&mut self, d: Doc) {
        (self.take)(&mut self.state, d)
    }

    fn each(&mut self, n: usize, build: &Unit<'_>) {
        use rayon::prelude::*;
        let (make, take) = (self.make, self.take);
        let parts: Vec<S> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|chunk| {
                let mut state = make();
                for i in chunk * CHUNK..((chunk + 1) * CHUNK).min(n) {
                    build(i, &mut |d| take(&mut state, d));
                }
                state
            })
            .collect();
        for part in parts {
            (self.merge)(&mut self.state, part);
        }
    }
}

/// Runs `build` into an [`InOrder`] sink and returns its state.
fn in_order<S: Send>(
    make: &(dyn Fn() -> S + Sync),
    take: &(dyn Fn(&mut S, Doc) + Sync),
    merge: &dyn Fn(&mut S, S),
    build: impl Fn(&mut dyn Emit) -> Result<(), RenderError>,
) -> Result<S, RenderError> {
    let mut sink = InOrder {
        state: make(),
        make,
        take,
        merge,
    };
    build(&mut sink)?;
    Ok(sink.state)
}

/// [`check`] over the manifests `build` hands out, none kept: a Kubernetes target over
/// 100,000 partners builds hundreds of thousands of documents, which validate would
/// otherwise hold all at once. What two documents share (a name, a file) is remembered as a
/// fingerprint; when two fingerprints meet, the manifests are built again and held, and
/// [`check`] says exactly which documents collide. So the findings are [`check`]'s, in its
/// order, either way.
pub fn check_each(build: impl Fn(&mut dyn Emit) -> Result<(), RenderError>) -> Result<Vec<String>, RenderError> {
    let stream = in_order(&Stream::default, &|stream, d| stream.add(&d), &Stream::merge, &build)?;
    if !stream.repeated {
        return Ok(stream.problems);
    }
    let mut docs = Vec::new();
    build(&mut |d| docs.push(d))?;
    Ok(check(&docs))
}

/// The per-document half of [`check`], and fingerprints of what must be unique across them.
#[derive(Default)]
struct Stream {
    problems: Vec<String>,
    seen: HashSet<u64, FixedState>,
    files: HashSet<u64, FixedState>,
    /// Whether two documents had the same identity or file fingerprint (maybe a real
    /// collision, maybe two fingerprints alike): [`check`] then decides.
    repeated: bool,
}

impl Stream {
    fn add(&mut self, d: &Doc) {
        let id = Identity::of(d);
        let what = id.what(&d.file);
        id.check_names(&what, &mut self.problems);
        let hasher = FixedState::with_seed(0);
        let fresh_identity = self.seen.insert(hasher.hash_one(id.key()));
        let fresh_file = self.files.insert(hasher.hash_one(d.file.as_str()));
        self.repeated |= !(fresh_identity && fresh_file);
        check_body(&what, d, &mut self.problems);
    }

    /// Takes in the stream of the documents that came after this one's.
    fn merge(&mut self, later: Stream) {
        self.problems.extend(later.problems);
        self.repeated |= later.repeated;
        for h in later.seen {
            self.repeated |= !self.seen.insert(h);
        }
        for h in later.files {
            self.repeated |= !self.files.insert(h);
        }
    }
}

/// Who a document is to the API server: two with the same group, kind, namespace and name
/// are one object.
struct Identity<'a> {
    kind: &'a str,
    group: &'a str,
    namespace: &'a str,
    name: &'a str,
}

impl<'a> Identity<'a> {
    fn of(d: &'a Doc) -> Identity<'a> {
        let api = d.body["apiVersion"].as_str().unwrap_or("");
        Identity {
            kind: d.body["kind"].as_str().unwrap_or("?"),
            group: api.rsplit_once('/').map_or("", |(g, _)| g),
            namespace: at(&d.body, "/metadata/namespace").and_then(Value::as_str).unwrap_or(""),
            name: at(&d.body, "/metadata/name").and_then(Value::as_str).unwrap_or(""),
        }
    }

    fn key(&self) -> (&'a str, &'a str, &'a str, &'a str) {
        (self.group, self.kind, self.namespace, self.name)
    }

    fn what(&self, file: &'a str) -> Lazy<'a> {
        Lazy(std::cell::OnceCell::new(), self.kind, self.namespace, self.name, file)
    }

    fn check_names(&self, what: &Lazy<'_>, out: &mut Vec<String>) {
        if !is_subdomain(self.name) {
            out.push(format!(
                "{what}: the name is not a DNS-1123 subdomain of at most {MAX_NAME} characters"
            ));
        }
        if !self.namespace.is_empty() && !is_label(self.namespace) {
            out.push(format!(
                "{what}: the namespace is not a DNS-1123 label of at most {MAX_LABEL} characters"
            ));
        }
    }
}

/// The bytes `v` takes as compact JSON when that is more than `limit`. Nearly every
/// manifest is far below the limit, which [`json_bound`] shows without writing a byte.
fn json_size_over(v: &Value, limit: usize) -> Option<usize> {
    if json_bound(v) <= limit {
        return None;
    }
    Some(json_size(v)).filter(|n| *n > limit)
}

/// At least the bytes `v` takes as compact JSON: a string byte is written as at most six
/// (`\u001f`), a number as at most 24 characters.
fn json_bound(v: &Value) -> usize {
    let string = |s: &str| 2 + 6 * s.len();
    match v {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 24,
        Value::String(s) => string(s),
        Value::Array(items) => 2 + items.iter().map(|i| json_bound(i) + 1).sum::<usize>(),
        Value::Object(map) => 2 + map.iter().map(|(k, v)| string(k) + 2 + json_bound(v)).sum::<usize>(),
    }
}

/// What one document may not hold on its own: label values, annotations, its size, the
/// CRD's lists and strings.
fn check_body(what: &Lazy<'_>, d: &Doc, out: &mut Vec<String>) {
    for (k, v) in d
        .body
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !v.as_str().is_some_and(is_label_value) {
            out.push(format!(
                "{what}: the label {k} is not a label value of at most {MAX_LABEL} characters"
            ));
        }
    }
    let annotations: usize = d
        .body
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
        .sum();
    if annotations > MAX_ANNOTATION_BYTES {
        out.push(format!(
            "{what}: its annotations take {annotations} bytes, more than the API server's {MAX_ANNOTATION_BYTES}"
        ));
    }
    if let Some(size) = json_size_over(&d.body, MAX_OBJECT_BYTES) {
        out.push(format!(
            "{what}: the object takes {size} bytes, more than the {MAX_OBJECT_BYTES} a request to the API server may (etcd's default)"
        ));
    }
    match d.body["kind"].as_str().unwrap_or("?") {
        "BackendTrafficPolicy" => backend_traffic_policy(what.get(), &d.body, out),
        "SecurityPolicy" => security_policy(what.get(), &d.body, out),
        "ExternalSecret" => {
            for (i, e) in items(&d.body, "/spec/data").iter().enumerate() {
                let key = e["secretKey"].as_str().unwrap_or("");
                if key.is_empty() || key.len() > MAX_NAME {
                    out.push(format!(
                        "{what}: data[{i}].secretKey is empty or longer than {MAX_NAME}"
                    ));
                }
                if at(e, "/remoteRef/key")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    out.push(format!("{what}: data[{i}].remoteRef.key is empty"));
                }
            }
        }
        _ => {}
    }
}

fn backend_traffic_policy(what: &str, body: &Value, out: &mut Vec<String>) {
    let rules = items(body, "/spec/rateLimit/global/rules");
    if rules.len() > MAX_RATE_LIMIT_RULES {
        out.push(format!(
            "{what}: {} global rate-limit rules, more than the {MAX_RATE_LIMIT_RULES} the BackendTrafficPolicy CRD allows",
            rules.len()
        ));
    }
    for (i, r) in rules.iter().enumerate() {
        let selectors = items(r, "/clientSelectors");
        if selectors.len() > MAX_CLIENT_SELECTORS {
            out.push(format!(
                "{what}: rule {i} has {} client selectors, more than {MAX_CLIENT_SELECTORS}",
                selectors.len()
            ));
        }
        for s in selectors {
            let headers = items(s, "/headers");
            if headers.len() > MAX_SELECTOR_HEADERS {
                out.push(format!(
                    "{what}: rule {i} matches {} headers, more than {MAX_SELECTOR_HEADERS}",
                    headers.len()
                ));
            }
            for h in headers {
                let len = h["value"].as_str().map_or(0, str::len);
                if len > MAX_HEADER_VALUE {
                    out.push(format!(
                        "{what}: rule {i} matches a header value of {len} characters, more than {MAX_HEADER_VALUE}"
                    ));
                }
            }
        }
    }
}

fn security_policy(what: &str, body: &Value, out: &mut Vec<String>) {
    for (i, r) in items(body, "/spec/authorization/rules").iter().enumerate() {
        if r["name"].as_str().is_some_and(|n| n.len() > MAX_NAME) {
            out.push(format!(
                "{what}: authorization rule {i}'s name is longer than {MAX_NAME}"
            ));
        }
        let headers = items(r, "/principal/headers");
        if headers.len() > MAX_PRINCIPAL_VALUES {
            out.push(format!(
                "{what}: authorization rule {i} names {} headers, more than {MAX_PRINCIPAL_VALUES}",
                headers.len()
            ));
        }
        for h in headers {
            let n = items(h, "/values").len();
            if n > MAX_PRINCIPAL_VALUES {
                out.push(format!(
                    "{what}: authorization rule {i} lists {n} values of a header, more than {MAX_PRINCIPAL_VALUES}"
                ));
            }
        }
    }
    for r in items(body, "/spec/apiKeyAuth/credentialRefs") {
        if r["name"].as_str().is_none_or(|n| !is_subdomain(n)) {
            out.push(format!("{what}: a credentialRef's name is not a DNS-1123 subdomain"));
        }
    }
}

/// The manifests `build` hands out, written with their `kustomization.yaml`, or the reasons
/// the cluster would refuse them (then nothing is written). Each document is checked and
/// written as it comes and then dropped, as in [`check_each`].
pub fn finish(
    output_path: &str,
    folder: &str,
    build: impl Fn(&mut dyn Emit) -> Result<(), RenderError>,
) -> Result<Vec<RenderedFile>, RenderError> {
    type Written = (Stream, Vec<RenderedFile>);
    let (stream, mut files) = in_order(
        &|| (Stream::default(), Vec::new()),
        &|(stream, files): &mut Written, d| {
            stream.add(&d);
            if stream.problems.is_empty() && !stream.repeated {
                files.push(manifest(folder, &d.file, &d.body));
            }
        },
        &|(stream, files): &mut Written, (later, more): Written| {
            stream.merge(later);
            if stream.problems.is_empty() && !stream.repeated {
                files.extend(more);
            }
        },
        &build,
    )?;
    if stream.repeated {
        let mut docs = Vec::new();
        build(&mut |d| docs.push(d))?;
        let problems = check(&docs);
        if !problems.is_empty() {
            return Err(refused(output_path, &problems));
        }
        files = docs.iter().map(|d| manifest(folder, &d.file, &d.body)).collect();
    } else if !stream.problems.is_empty() {
        return Err(refused(output_path, &stream.problems));
    }
    Ok(with_kustomization(folder, files))
}

/// The error of an output whose manifests the cluster would refuse.
pub fn refused(output_path: &str, problems: &[String]) -> RenderError {
    let mut message = format!(
        "output `{output_path}`: the cluster would refuse {} of its manifests: {}",
        if problems.len() == 1 { "one" } else { "some" },
        problems.iter().take(MAX_LISTED).cloned().collect::<Vec<_>>().join("; ")
    );
    if problems.len() > MAX_LISTED {
        message.push_str(&format!("; and {} more", problems.len() - MAX_LISTED));
    }
    RenderError::Output(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(file: &str, body: Value) -> Doc {
        Doc::new(file, body)
    }

    #[test]
    fn the_size_bound_is_never_below_the_size() {
        let values = [
            json!(null),
            json!(true),
            json!(-1.2345678901234567e-300),
            json!(u64::MAX),
            json!(i64::MIN),
            json!("\u{1f}\u{0}\"\\\n"),
            json!("ü→😀"),
            json!([]),
            json!({}),
            json!({"a": [1, {"b": "\u{7}"}, null], "\u{1}": {"": []}}),
        ];
        for v in values {
            assert!(json_bound(&v) >= json_size(&v), "{v}");
            assert_eq!(json_size_over(&v, 0), Some(json_size(&v)));
        }
        let big = json!({"spec": {"data": vec!["x".repeat(1000); 2000]}});
        assert_eq!(json_size_over(&big, MAX_OBJECT_BYTES), Some(json_size(&big)));
        assert_eq!(json_size_over(&json!({"a": 1}), MAX_OBJECT_BYTES), None);
    }

    #[test]
    fn names_collisions_and_crd_lists_are_checked() {
        let ok = doc(
            "a.yaml",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a.b-c", "namespace": "ns", "labels": {"x": "y"}}}),
        );
        assert!(check(std::slice::from_ref(&ok)).is_empty());
        let twice = check(&[ok.clone(), doc("b.yaml", ok.body.clone())]);
        assert_eq!(twice.len(), 1, "{twice:?}");
        assert!(twice[0].contains("same name"), "{twice:?}");
        let long = doc(
            "c.yaml",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x".repeat(254), "namespace": "n".repeat(64), "labels": {"x": "y".repeat(64)}}}),
        );
        assert_eq!(check(&[long]).len(), 3);
        let rule = json!({"clientSelectors": [{"headers": [{"name": "h", "type": "RegularExpression", "value": "v".repeat(1025)}]}], "limit": {"requests": 1, "unit": "Second"}});
        let btp = doc(
            "d.yaml",
            json!({"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy", "metadata": {"name": "d", "namespace": "n"},
                   "spec": {"rateLimit": {"type": "Global", "global": {"rules": vec![rule; 257]}}}}),
        );
        let p = check(&[btp]);
        assert!(p.iter().any(|m| m.contains("257 global rate-limit rules")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("1025 characters")), "{p:?}");
        let sp = doc(
            "e.yaml",
            json!({"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "SecurityPolicy", "metadata": {"name": "e", "namespace": "n"},
                   "spec": {"authorization": {"rules": [{"name": "r", "action": "Allow", "principal": {"headers": [{"name": "h", "values": vec!["v"; 257]}]}}]}}}),
        );
        assert_eq!(check(&[sp]).len(), 1);
        let e = refused("dist/k8s", &["one".into()]);
        assert!(e.to_string().contains("would refuse one of its manifests: one"), "{e}");
    }

    /// Documents as a Kubernetes target hands them out: the first one alone, the others as
    /// units of two documents each (the last unit may hold one).
    fn each(docs: &[Doc]) -> impl Fn(&mut dyn Emit) -> Result<(), RenderError> + '_ {
        |emit| {
            let Some((first, rest)) = docs.split_first() else {
                return Ok(());
            };
            emit.one(first.clone());
            emit.each(rest.len().div_ceil(2), &|i, emit| {
                rest[2 * i..(2 * i + 2).min(rest.len())]
                    .iter()
                    .cloned()
                    .for_each(&mut *emit)
            });
            Ok(())
        }
    }

    #[test]
    fn checking_one_document_at_a_time_finds_what_checking_them_all_does() {
        let secret = |file: &str, name: &str, label: &str| {
            doc(
                file,
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "ns", "labels": {"x": label}}}),
            )
        };
        // Over several chunks of units, so that what one chunk finds and what two chunks
        // share are both seen.
        let fine: Vec<Doc> = (0..(5 * 2 * CHUNK))
            .map(|i| secret(&format!("s{i}.yaml"), &format!("s{i}"), "y"))
            .collect();
        let mut broken = fine.clone();
        broken[3] = secret("s3.yaml", "S_3", &"y".repeat(64));
        let mut same_name = fine.clone();
        same_name.push(secret("other.yaml", "s7", "y"));
        let mut same_file = fine.clone();
        same_file.push(secret("s9.yaml", "another", "y"));
        // Broken in the first unit, in the first and the last chunk, and alone.
        let last = fine.len() - 1;
        let mut broken_far_apart = fine.clone();
        broken_far_apart[0] = secret("s0.yaml", "S_0", "y");
        broken_far_apart[2] = secret("s2.yaml", "s2", "-y");
        broken_far_apart[last] = secret(&format!("s{last}.yaml"), &format!("s{last}"), &"y".repeat(64));
        // Two documents alike in names, far apart: in different chunks.
        let mut same_name_far_apart = fine.clone();
        same_name_far_apart[last] = secret("elsewhere.yaml", "s1", "y");
        for (what, docs) in [
            ("fine", &fine),
            ("broken", &broken),
            ("same name", &same_name),
            ("same file", &same_file),
            ("broken far apart", &broken_far_apart),
            ("same name far apart", &same_name_far_apart),
        ] {
            let whole = check(docs);
            assert_eq!(check_each(each(docs)).unwrap(), whole, "{what}");
            let expected = if whole.is_empty() {
                Ok(with_kustomization(
                    "k8s",
                    docs.iter().map(|d| manifest("k8s", &d.file, &d.body)).collect(),
                ))
            } else {
                Err(refused("dist/k8s", &whole).to_string())
            };
            assert_eq!(
                finish("dist/k8s", "k8s", each(docs)).map_err(|e| e.to_string()),
                expected,
                "{what}"
            );
        }
        // The collisions are the ones a streamed check can only see through its fingerprints.
        assert!(check(&same_name).iter().any(|m| m.contains("same name")));
        assert!(check(&same_file).iter().any(|m| m.contains("same file")));
        assert!(check(&same_name_far_apart).iter().any(|m| m.contains("same name")));
        assert_eq!(check(&broken_far_apart).len(), 3);
    }
}
