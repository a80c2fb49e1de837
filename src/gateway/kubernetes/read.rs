//! Reading manifests back, for `audit --gateway FILE`: what `kubectl get … -o yaml` prints
//! (a `List`) or a stream of manifests, as hostile input, keeping the resources of the kinds
//! the targets render and never a Secret's data.

use super::manifests::*;
use crate::diag::Location;
use crate::gateway::kong::DeckError;
use crate::source::yaml;
use crate::spec::{Environment, Target};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Which Kubernetes target a set of manifests is the cluster's side of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Flavor {
    /// `KongConsumer`, `KongConsumerGroup`, `KongPlugin` (the `kong-ingress` target).
    KongIngress,
    /// `SecurityPolicy`, `BackendTrafficPolicy` (the `envoy-gateway` target).
    EnvoyGateway,
}

impl Flavor {
    /// The output target that renders this flavor.
    pub fn target(self) -> Target {
        match self {
            Flavor::KongIngress => Target::KongIngress,
            Flavor::EnvoyGateway => Target::EnvoyGateway,
        }
    }
}

/// The kinds the audit reads; any other kind in a list is passed over.
pub const AUDITED_KINDS: [&str; 7] = [
    "KongConsumer",
    "KongConsumerGroup",
    "KongPlugin",
    "SecurityPolicy",
    "BackendTrafficPolicy",
    "ExternalSecret",
    "Secret",
];

/// One resource of a list, as the audit needs it. A `Secret`'s `data`, `stringData` and
/// annotations, and every resource's `kubectl.kubernetes.io/last-applied-configuration`
/// annotation (which repeats a Secret's data), are dropped while reading: no key value is
/// kept.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The document, less what is dropped above.
    pub body: Value,
    pub at: Location,
}

impl Manifest {
    /// `KongConsumer kong/acme`, for messages.
    pub fn label(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// Whether it carries `app.kubernetes.io/managed-by: partnerctl`.
    pub fn managed(&self) -> bool {
        self.labels.get(MANAGED_BY.0).map(String::as_str) == Some(MANAGED_BY.1)
    }

    pub fn label_value(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }

    /// A string list at `pointer` of the body (non-strings are passed over).
    pub fn strings(&self, pointer: &str) -> Vec<String> {
        match self.body.pointer(pointer) {
            Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

/// The resources of a `kubectl get -o yaml` list (or a stream of manifests).
#[derive(Clone, Debug)]
pub struct Manifests {
    pub file: String,
    /// Resources of the [`AUDITED_KINDS`], in file order.
    pub items: Vec<Manifest>,
    /// How many resources of other kinds were passed over.
    pub other_kinds: usize,
}

impl Manifests {
    pub fn of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Manifest> + 'a {
        self.items.iter().filter(move |m| m.kind == kind)
    }

    /// The flavors present, by the kinds only one target renders.
    pub fn flavors(&self) -> BTreeSet<Flavor> {
        self.items
            .iter()
            .filter_map(|m| match m.kind.as_str() {
                "KongConsumer" | "KongConsumerGroup" | "KongPlugin" => Some(Flavor::KongIngress),
                "SecurityPolicy" | "BackendTrafficPolicy" => Some(Flavor::EnvoyGateway),
                _ => None,
            })
            .collect()
    }

    /// The environment of the manifests: the `partnerctl.dev/environment` label when the
    /// managed resources agree on one.
    pub fn environment(&self) -> Option<Environment> {
        let envs: BTreeSet<&str> = self
            .items
            .iter()
            .filter(|m| m.managed())
            .filter_map(|m| m.label_value(ENVIRONMENT_LABEL))
            .collect();
        match envs.len() {
            1 => envs
                .into_iter()
                .next()
                .and_then(|e| Environment::ALL.iter().copied().find(|x| x.as_str() == e)),
            _ => None,
        }
    }

    /// Secret name → the program credential id it holds: from an `ExternalSecret`'s target
    /// (or a `Secret`) labelled `partnerctl.dev/credential`, else the name without the
    /// `partnerctl-key-` prefix.
    pub fn secret_credentials(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        for e in self.of("ExternalSecret") {
            let target = e
                .body
                .pointer("/spec/target/name")
                .and_then(Value::as_str)
                .unwrap_or(&e.name)
                .to_string();
            if let Some(id) = e.label_value(CREDENTIAL_LABEL) {
                m.insert(target, id.to_string());
            }
        }
        for s in self.of("Secret") {
            if let Some(id) = s.label_value(CREDENTIAL_LABEL) {
                m.entry(s.name.clone()).or_insert_with(|| id.to_string());
            }
        }
        m
    }

    /// The credential a Secret name stands for (see [`Manifests::secret_credentials`]).
    pub fn credential_of(&self, known: &BTreeMap<String, String>, secret: &str) -> String {
        known
            .get(secret)
            .cloned()
            .or_else(|| secret.strip_prefix("partnerctl-key-").map(str::to_string))
            .unwrap_or_else(|| secret.to_string())
    }
}

fn is_resource(v: &Value) -> bool {
    v.get("apiVersion").is_some_and(Value::is_string) && v.get("kind").is_some_and(Value::is_string)
}

/// Parses a `kubectl get -o yaml` list (`kind: List`, or `<Kind>List`), or a stream of
/// manifests; `Ok(None)` when the first document is not a Kubernetes resource. A document
/// or list item that is not a resource is an error at its line.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Option<Manifests>, DeckError> {
    let syntax = |line: usize, column: usize, message: String| DeckError::Syntax {
        file: file.to_string(),
        line,
        column,
        message,
    };
    // A decK file says so near its start; it is not parsed twice.
    if crate::gateway::kong::read::declares_deck(bytes) {
        return Ok(None);
    }
    let docs = match yaml::parse_stream(file, bytes) {
        Ok(d) => d,
        // Not YAML: the decK reader (which also takes JSON that YAML refuses) says why.
        Err(_) if !looks_like_manifests(bytes) => return Ok(None),
        Err(d) => return Err(syntax(d.line, d.column, d.message)),
    };
    let Some(first) = docs.first() else {
        return Ok(None);
    };
    if !is_resource(&first.value) || first.value.get("_format_version").is_some() {
        return Ok(None);
    }
    let mut out = Manifests {
        file: file.to_string(),
        items: Vec::new(),
        other_kinds: 0,
    };
    for (d, doc) in docs.iter().enumerate() {
        let at = |pointer: &str| {
            let p = doc.pos(pointer);
            (p.line, p.column)
        };
        if !is_resource(&doc.value) {
            let (l, c) = at("");
            return Err(syntax(
                l,
                c,
                format!(
                    "document {} is not a Kubernetes resource (no apiVersion and kind)",
                    d + 1
                ),
            ));
        }
        let kind = doc.value["kind"].as_str().unwrap_or_default();
        let items = doc.value.get("items").and_then(Value::as_array);
        // `List`, or a typed list (`KongConsumerList`); a kind that merely ends in `List`
        // and has no `items` is a resource.
        if kind == "List" || (kind.ends_with("List") && items.is_some()) {
            let Some(items) = items else {
                let (l, c) = at("");
                return Err(syntax(l, c, format!("a {kind} without `items`")));
            };
            for (i, item) in items.iter().enumerate() {
                let pointer = format!("/items/{i}");
                let (l, c) = at(&pointer);
                if !is_resource(item) {
                    return Err(syntax(
                        l,
                        c,
                        format!(
                            "item {} of the list is not a Kubernetes resource (no apiVersion and kind)",
                            i + 1
                        ),
                    ));
                }
                out.push(file, item, l, c).map_err(|m| syntax(l, c, m))?;
            }
        } else {
            let (l, c) = at("");
            out.push(file, &doc.value, l, c).map_err(|m| syntax(l, c, m))?;
        }
    }
    Ok(Some(out))
}

/// Whether text that is not valid YAML still looks like manifests (so that its syntax error
/// is reported as such, not as a decK file's).
fn looks_like_manifests(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    text.lines().any(|l| l.starts_with("apiVersion:")) && !text.contains("_format_version")
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect()
}

impl Manifests {
    fn push(&mut self, file: &str, v: &Value, line: usize, column: usize) -> Result<(), String> {
        let kind = v["kind"].as_str().unwrap_or_default();
        if !AUDITED_KINDS.contains(&kind) {
            self.other_kinds += 1;
            return Ok(());
        }
        let meta = v.get("metadata").filter(|m| m.is_object());
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .ok_or_else(|| format!("a {kind} without `metadata.name`"))?;
        let mut body = v.clone();
        if let Some(o) = body.as_object_mut() {
            if kind == "Secret" {
                o.remove("data");
                o.remove("stringData");
                if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.remove("annotations");
                }
            }
        }
        if let Some(a) = body.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
        let annotations = string_map(body.pointer("/metadata/annotations"));
        self.items.push(Manifest {
            kind: kind.to_string(),
            name: name.to_string(),
            namespace: meta
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                .map(str::to_string),
            labels: string_map(meta.and_then(|m| m.get("labels"))),
            annotations,
            body,
            at: Location::new(file, line, column),
        });
        Ok(())
    }
}
