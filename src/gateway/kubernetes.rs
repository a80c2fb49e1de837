//! What every Kubernetes gateway target shares: valid resource names, the labels every
//! resource carries, the external-secrets `ExternalSecret` a credential becomes, and the
//! `kustomization.yaml` that lists a folder's manifests for Argo CD or Flux.
//!
//! Manifests are built as data and written by the YAML serializer (SPEC §9): no value of the
//! program is pasted into YAML text. No key value is ever written (SPEC §12): a credential
//! becomes a reference to its `secretRef` in the secret store.
//!
//! Reading goes the other way for `audit --gateway FILE`: [`read`] takes what
//! `kubectl get … -o yaml` prints (a `List`) or a stream of manifests, as hostile input, and
//! keeps the resources of the kinds the targets render, never a Secret's data.

use crate::diag::Location;
use crate::gateway::kong::DeckError;
use crate::gateway::kong::EnvironmentSource;
use crate::gateway::kong::audit::{
    Audit, AuditCode, AuditOptions, Finding, ended, missing_terms, owner_map, sort_findings, usage_findings,
};
use crate::model::{Partner, Program};
use crate::render::RenderedFile;
use crate::render::access::Gateway;
use crate::report::usage::Usage;
use crate::source::yaml;
use crate::spec::{CredentialSpec, Date, Environment, SecretStoreKind, SecretStoreSpec, Target};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// The label every resource partnerctl renders carries.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "partnerctl");
/// The label naming the program.
pub const PROGRAM_LABEL: &str = "partnerctl.dev/program";
/// The label naming the environment.
pub const ENVIRONMENT_LABEL: &str = "partnerctl.dev/environment";
/// The label naming the partner a resource is for.
pub const PARTNER_LABEL: &str = "partnerctl.dev/partner";
/// The label naming the product a resource is for.
pub const PRODUCT_LABEL: &str = "partnerctl.dev/product";
/// The label naming the plan a resource is for.
pub const PLAN_LABEL: &str = "partnerctl.dev/plan";
/// The label naming the credential a resource is for.
pub const CREDENTIAL_LABEL: &str = "partnerctl.dev/credential";

/// The header comment of every manifest file.
pub const HEADER: &str = "# Rendered by partnerctl from the program repository; change the program, not this file.\n";

/// A DNS-1123 name of at most `max` characters from `parts` joined by `-`: lower case,
/// anything but `[a-z0-9-]` becomes `-`, no leading or trailing `-`. A name longer than
/// `max` is cut and ends in `-` and 8 hex digits of the SHA-256 of the whole name, so two
/// long names never collide by truncation and the same input always gives the same name.
pub fn name(parts: &[&str], max: usize) -> String {
    let joined = parts.join("-");
    let mut out: String = joined
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let trimmed = out.trim_matches('-').to_string();
    let out = if trimmed.is_empty() { "x".to_string() } else { trimmed };
    // A name changed by the rules above could equal another's: those get the hash too.
    if out.len() <= max && out == joined {
        return out;
    }
    let digest = Sha256::digest(joined.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let keep = max.saturating_sub(hash.len() + 1).min(out.len());
    let head = out[..keep].trim_end_matches('-');
    format!("{head}-{hash}")
}

/// A DNS-1123 label (namespaces, label values): at most 63 characters.
pub fn label(parts: &[&str]) -> String {
    name(parts, 63)
}

/// A DNS-1123 subdomain (most resource names): at most 253 characters.
pub fn subdomain(parts: &[&str]) -> String {
    name(parts, 253)
}

/// The labels of a resource: managed-by, program, environment, and `extra` (`(key, value)`).
pub fn labels(program: &str, environment: &str, extra: &[(&str, &str)]) -> Value {
    let mut m = Map::new();
    m.insert(MANAGED_BY.0.into(), json!(MANAGED_BY.1));
    m.insert(PROGRAM_LABEL.into(), json!(label(&[program])));
    m.insert(ENVIRONMENT_LABEL.into(), json!(environment));
    for (k, v) in extra {
        m.insert((*k).into(), json!(label(&[v])));
    }
    Value::Object(m)
}

/// The default store: `{name: partnerctl, kind: ClusterSecretStore}`.
pub fn default_store() -> SecretStoreSpec {
    SecretStoreSpec {
        name: "partnerctl".into(),
        kind: SecretStoreKind::ClusterSecretStore,
    }
}

/// The store's key of a `secretRef`: its path after the scheme
/// (`vault://partners/acme/prd-1` → `partners/acme/prd-1`); the store knows its backend.
pub fn remote_key(secret_ref: &str) -> &str {
    secret_ref.split_once("://").map_or(secret_ref, |(_, rest)| rest)
}

/// The `ExternalSecret` that makes the Secret `secret` in `namespace` from a credential's
/// `secretRef`, the key under `secret_key`, with `secret_labels` on the Secret.
pub fn external_secret(
    credential: &CredentialSpec,
    secret: &str,
    namespace: &str,
    secret_key: &str,
    store: &SecretStoreSpec,
    labels: Value,
    secret_labels: Option<Value>,
) -> Value {
    let mut target = json!({"name": secret, "creationPolicy": "Owner", "deletionPolicy": "Delete"});
    if let Some(l) = secret_labels {
        target["template"] = json!({"metadata": {"labels": l}});
    }
    json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": secret, "namespace": namespace, "labels": labels},
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"name": store.name, "kind": store.kind.as_str()},
            "target": target,
            "data": [{
                "secretKey": secret_key,
                "remoteRef": {"key": remote_key(&credential.secret_ref)},
            }],
        },
    })
}

/// A manifest file: the header comment and the document, by the YAML serializer.
pub fn manifest(folder: &str, file: &str, doc: &Value) -> RenderedFile {
    let body = yaml_serde::to_string(doc).unwrap_or_default();
    RenderedFile::new(format!("{folder}/{file}"), format!("{HEADER}{body}"))
}

/// A target's manifests with the `kustomization.yaml` that lists them all (so Argo CD or
/// Flux delivers them), in path order.
pub fn with_kustomization(folder: &str, mut files: Vec<RenderedFile>) -> Vec<RenderedFile> {
    let mut names: Vec<String> = files
        .iter()
        .map(|f| f.path.rsplit('/').next().unwrap_or_default().to_string())
        .collect();
    names.sort();
    let doc = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": names,
    });
    files.push(manifest(folder, "kustomization.yaml", &doc));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

// ---------------------------------------------------------------------------------------
// Reading manifests back, for `audit --gateway FILE`.

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
    // A decK file says so on a line of its own; it is not parsed twice.
    let head = &bytes[..bytes.len().min(64 * 1024)];
    if head
        .split(|b| *b == b'\n')
        .any(|l| l.starts_with(b"_format_version") || l.trim_ascii_start().starts_with(b"\"_format_version\""))
    {
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

// ---------------------------------------------------------------------------------------
// What the audits of both targets share.

/// The findings of an audit of manifests as they are made, with what every check needs.
pub struct AuditContext<'a> {
    pub program: &'a Program,
    pub today: Date,
    /// The environment the manifests serve; without one, environment findings are not made.
    pub environment: Option<Environment>,
    pub owners: BTreeMap<&'a str, (&'a Partner, &'a CredentialSpec)>,
    pub findings: Vec<Finding>,
    /// The credentials the cluster lets authenticate, for the usage findings.
    pub present: BTreeSet<String>,
}

impl<'a> AuditContext<'a> {
    pub fn new(program: &'a Program, today: Date, environment: Option<Environment>) -> Self {
        AuditContext {
            program,
            today,
            environment,
            owners: owner_map(program),
            findings: Vec::new(),
            present: BTreeSet::new(),
        }
    }

    /// The program's view of the environment, when the environment is known.
    pub fn gateway(&self) -> Option<Gateway<'a>> {
        self.environment.map(|e| Gateway::new(self.program, e, self.today))
    }

    pub fn push(&mut self, mut f: Finding, m: &Manifest) {
        f.resource = Some(m.label());
        self.findings.push(f.at(&m.at));
    }

    /// A resource of the target's kinds without the managed-by label: partnerctl neither
    /// renders it nor has Argo CD or Flux prune it, so someone keeps it by hand. A Secret the
    /// external-secrets operator owns carries the labels of its ExternalSecret's template, or
    /// none; it is judged by its owner.
    pub fn unmanaged(&mut self, m: &Manifest) {
        let owned_by_external_secret = m
            .body
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|o| o.iter().any(|r| r["kind"] == "ExternalSecret"));
        if m.managed() || owned_by_external_secret {
            return;
        }
        self.push(
            Finding::new(
                AuditCode::UnmanagedResource,
                format!(
                    "{} is not labelled {}={}: partnerctl did not render it, and Argo CD or Flux will not prune it with the rendered folder",
                    m.label(),
                    MANAGED_BY.0,
                    MANAGED_BY.1
                ),
            ),
            m,
        );
    }

    /// Checks a credential the cluster lets authenticate (`holder`: the partner the resource
    /// gives it to, when it names one): unknown, another partner's, revoked or expired, of a
    /// partner that left, of the other environment. Returns its owner when none of these.
    pub fn credential(&mut self, id: &str, holder: Option<&Partner>, m: &Manifest, place: &str) -> Option<&'a Partner> {
        self.present.insert(id.to_string());
        let where_ = format!("{} {place}", m.label());
        let mut f = |code, message: String, partner: Option<&str>| {
            let mut f = Finding::new(code, message).credential(id);
            if let Some(p) = partner {
                f = f.partner(p);
            }
            if m.kind == "KongConsumer" {
                f = f.consumer_named(&m.name);
            }
            f.resource = Some(m.label());
            self.findings.push(f.at(&m.at));
        };
        let Some(&(owner, spec)) = self.owners.get(id) else {
            f(
                AuditCode::UnknownCredential,
                format!("{where_} names credential {id}, which is no credential of the program"),
                holder.map(|h| h.name.as_str()),
            );
            return None;
        };
        if let Some(h) = holder.filter(|h| h.name != owner.name) {
            f(
                AuditCode::UnknownCredential,
                format!(
                    "credential {id} belongs to partner {} but {where_} gives it to partner {}",
                    owner.name, h.name
                ),
                Some(&h.name),
            );
            return None;
        }
        if let Some(end) = ended(spec, self.today) {
            let why = if spec.revoked.is_some_and(|r| r <= self.today) {
                "revoked"
            } else {
                "expired"
            };
            f(
                AuditCode::RevokedStillPresent,
                format!(
                    "credential {id} of partner {} was {why} on {end} but {where_} still names it",
                    owner.name
                ),
                Some(&owner.name),
            );
            return None;
        }
        if owner.stage().is_exit() {
            f(
                AuditCode::ExitedPartnerPresent,
                format!(
                    "partner {} is {} but {where_} still names its credential {id}",
                    owner.name,
                    owner.stage()
                ),
                Some(&owner.name),
            );
            return None;
        }
        if let Some(e) = self.environment.filter(|e| *e != spec.environment) {
            f(
                AuditCode::AccessBeyondProgram,
                format!(
                    "credential {id} of partner {} is for {} but {where_} of the {e} cluster names it",
                    owner.name, spec.environment
                ),
                Some(&owner.name),
            );
            return None;
        }
        Some(owner)
    }

    /// The cluster lets `partner` call `product` (`how` says through what): an error unless a
    /// subscription and its stage give it that in the environment.
    pub fn access(&mut self, partner: &Partner, product: &str, m: &Manifest, how: &str, consumer: Option<&str>) {
        let env = self.environment;
        let subscribed = partner
            .spec
            .subscriptions
            .iter()
            .any(|s| s.product.0 == product && env.is_none_or(|e| s.environment == e));
        let where_ = env.map(|e| format!(" in {e}")).unwrap_or_default();
        let message = if !subscribed {
            format!(
                "partner {} can call product {product} ({how}) but is not subscribed to it{where_} in the program",
                partner.name
            )
        } else if let Some(e) = env.filter(|e| !partner.stage().allows(*e)) {
            format!(
                "partner {} is at stage {} which does not allow {e} access, but can call product {product} ({how})",
                partner.name,
                partner.stage()
            )
        } else {
            return;
        };
        let mut f = Finding::new(AuditCode::AccessBeyondProgram, message).partner(&partner.name);
        if let Some(c) = consumer {
            f = f.consumer_named(c);
        }
        self.push(f, m);
    }

    /// The partner can call `products` but has not accepted the terms they need.
    pub fn terms(&mut self, partner: &Partner, products: &BTreeSet<&str>, m: &Manifest, consumer: Option<&str>) {
        let missing = missing_terms(self.program, partner, products);
        if missing.is_empty() {
            return;
        }
        let mut f = Finding::new(
            AuditCode::AccessWithoutTerms,
            format!(
                "partner {} can call {} in the cluster but has not accepted {}",
                partner.name,
                products.iter().copied().collect::<Vec<_>>().join(", "),
                missing.into_iter().collect::<Vec<_>>().join(", ")
            ),
        )
        .partner(&partner.name);
        if let Some(c) = consumer {
            f = f.consumer_named(c);
        }
        self.push(f, m);
    }

    /// A credential or partner the program gives access that the cluster lacks.
    pub fn missing(&mut self, partner: &str, credential: Option<&str>, message: String) {
        let mut f = Finding::new(AuditCode::MissingFromGateway, message).partner(partner);
        if let Some(c) = credential {
            f = f.credential(c);
        }
        self.findings.push(f);
    }

    /// Limits in the cluster that are not the plan's.
    pub fn limits(&mut self, partner: &str, message: String, m: Option<&Manifest>) {
        let f = Finding::new(AuditCode::LimitsDiffer, message).partner(partner);
        match m {
            Some(m) => self.push(f, m),
            None => self.findings.push(f),
        }
    }
}

/// The audit of manifests, whichever target they are from: [`Manifests::flavors`] decides
/// which comparisons run (both, when a list holds both). The environment is `flag`, else
/// the manifests' labels, else the program's only output of the flavor's target.
pub fn audit(
    program: &Program,
    today: Date,
    manifests: &Manifests,
    usage: Option<&Usage>,
    options: &AuditOptions,
    run: &dyn Fn(&mut AuditContext<'_>, Flavor, &Manifests),
) -> Audit {
    let flag = options.environment.map(|(e, _)| e);
    let flavors = manifests.flavors();
    let environment = flag
        .map(|e| (e, EnvironmentSource::Flag))
        .or_else(|| manifests.environment().map(|e| (e, EnvironmentSource::Labels)))
        .or_else(|| {
            let envs: BTreeSet<Environment> = program
                .spec()
                .into_iter()
                .flat_map(|s| s.outputs.iter())
                .filter(|o| o.target.is_some_and(|t| flavors.iter().any(|f| f.target() == t)))
                .filter_map(|o| o.environment)
                .collect();
            (envs.len() == 1)
                .then(|| envs.into_iter().next())
                .flatten()
                .map(|e| (e, EnvironmentSource::Program))
        });
    let mut ctx = AuditContext::new(program, today, environment.map(|(e, _)| e));
    for m in manifests.of("ExternalSecret").chain(manifests.of("Secret")) {
        ctx.unmanaged(m);
    }
    for f in &flavors {
        run(&mut ctx, *f, manifests);
    }
    if let Some(usage) = usage {
        // Kubernetes resources carry no gateway ids of their own: calls are attributed by
        // credential id, as the NGINX and Envoy logs name them.
        usage_findings(
            program,
            today,
            usage,
            &BTreeMap::new(),
            &ctx.present,
            ctx.environment,
            options,
            &mut ctx.findings,
        );
    }
    let mut findings = ctx.findings;
    sort_findings(&mut findings);
    findings.dedup();
    let ok = !findings.iter().any(|f| f.severity == crate::diag::Severity::Error);
    Audit {
        ok,
        as_of: today,
        gateway: manifests.file.clone(),
        environment: environment.map(|(e, _)| e),
        environment_from: environment.map(|(_, s)| s.as_str()),
        findings,
    }
}

/// The windows of a Kong `rate-limiting` config: `second` … `month` → the limit.
pub fn kong_windows(config: &Value) -> BTreeMap<String, u64> {
    ["second", "minute", "hour", "day", "month"]
        .iter()
        .filter_map(|w| config.get(*w).and_then(Value::as_u64).map(|v| (w.to_string(), v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_read_from_a_list_keeps_no_key() {
        let text = br#"apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Secret
    metadata:
      name: partnerctl-key-acme-prd-2
      labels: {partnerctl.dev/credential: acme-prd-2}
      annotations:
        kubectl.kubernetes.io/last-applied-configuration: '{"data":{"key":"c2VjcmV0"}}'
        note: c2VjcmV0
    data: {key: c2VjcmV0}
    stringData: {key: secret}
"#;
        let m = parse("list.yaml", text).unwrap().unwrap();
        assert_eq!(m.items.len(), 1);
        let s = &m.items[0];
        assert_eq!(s.at.line, 4);
        let kept = serde_json::to_string(&s.body).unwrap() + &format!("{:?}", s.annotations);
        assert!(!kept.contains("c2VjcmV0") && !kept.contains("secret\""), "{kept}");
        assert_eq!(
            m.secret_credentials()
                .get("partnerctl-key-acme-prd-2")
                .map(String::as_str),
            Some("acme-prd-2")
        );
    }

    #[test]
    fn a_deck_file_is_not_read_as_manifests() {
        assert!(
            parse("kong.yaml", b"_format_version: \"3.0\"\nconsumers: []\n")
                .unwrap()
                .is_none()
        );
        assert!(parse("kong.json", b"{\"_format_version\": \"3.0\"}").unwrap().is_none());
    }

    #[test]
    fn names_are_dns_1123_and_hashed_when_cut() {
        assert_eq!(label(&["shipments", "starter"]), "shipments-starter");
        assert!(label(&["Acme_Prd", "1"]).len() <= 63);
        let long = "a".repeat(80);
        let n = label(&[&long]);
        assert_eq!(n.len(), 63);
        assert_ne!(n, label(&[&format!("{long}b")]));
        assert_eq!(n, label(&[&long]));
        let re = regex::Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").unwrap();
        assert!(re.is_match(&n));
        assert!(re.is_match(&label(&["-x.y-"])));
        assert_eq!(remote_key("vault://partners/acme/prd-1"), "partners/acme/prd-1");
    }
}
