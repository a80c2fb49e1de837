//! Writing manifests: valid resource names, the labels every resource carries, the
//! external-secrets `ExternalSecret` a credential becomes, and the `kustomization.yaml` that
//! lists a folder's manifests for Argo CD or Flux. Manifests are built as data and written
//! by the YAML serializer (SPEC §9); no key value is ever written (SPEC §12).

use crate::output::RenderedFile;
use crate::spec::{CredentialSpec, SecretStoreKind, SecretStoreSpec};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

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
    // Nearly every name is one already (partner, product and plan names are DNS labels):
    // taken as it is, with the same result the mapping below would give.
    let b = joined.as_bytes();
    if !b.is_empty()
        && b.len() <= max
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !b.windows(2).any(|w| w == b"--")
    {
        return joined;
    }
    mapped(joined, max)
}

/// [`name`] by its rules, for a joined name that is not a DNS name as it is.
fn mapped(joined: String, max: usize) -> String {
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

/// A DNS-1123 subdomain of program names joined by `.`: a name is `[a-z0-9-]` and never
/// holds a dot, so different parts never give the same name (`rates` + `pro-annual` is
/// `rates.pro-annual`, `rates-pro` + `annual` is `rates-pro.annual`), which joining with
/// `-` would. Parts that are not such names fall back to [`subdomain`], hash included.
pub fn dotted(parts: &[&str]) -> String {
    let plain = |p: &&str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !p.starts_with('-')
            && !p.ends_with('-')
    };
    let joined = parts.join(".");
    if parts.iter().all(plain) && joined.len() <= 253 {
        joined
    } else {
        subdomain(parts)
    }
}

/// The labels of a resource: managed-by, program, environment, and `extra` (`(key, value)`).
pub fn labels(program: &str, environment: &str, extra: &[(&str, &str)]) -> Value {
    let mut m = Map::with_capacity(3 + extra.len());
    m.insert(MANAGED_BY.0.into(), text(MANAGED_BY.1));
    m.insert(PROGRAM_LABEL.into(), Value::String(label(&[program])));
    m.insert(ENVIRONMENT_LABEL.into(), text(environment));
    for (k, v) in extra {
        m.insert((*k).into(), Value::String(label(&[v])));
    }
    Value::Object(m)
}

/// A string value.
pub fn text(s: &str) -> Value {
    Value::String(s.to_string())
}

/// A mapping of `entries`, in their order: what `json!` makes, without serializing each value
/// (a Kubernetes target builds a few of these for each of 100,000 partners).
pub fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    let mut m = Map::with_capacity(N);
    for (k, v) in entries {
        m.insert(k.to_string(), v);
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

/// The field of the store's entry that holds the key when a `secretRef` names none.
///
/// external-secrets hands back a whole entry, JSON-encoded, when `remoteRef.property` is
/// empty (its Vault provider, `getSecretValue`: tests/external/FACTS.md §e), which no
/// gateway reads as a key: every reference names a field, this one unless the `secretRef`
/// says `#field`.
pub const DEFAULT_PROPERTY: &str = "key";

/// The store's key of a `secretRef`: its path after the scheme, without a `#field`
/// (`vault://partners/acme/prd-1#api-key` → `partners/acme/prd-1`); the store knows its backend.
pub fn remote_key(secret_ref: &str) -> &str {
    remote_ref(secret_ref).0
}

/// The store's key and the field of its entry that holds the key, of a `secretRef`:
/// `vault://partners/acme/prd-1#api-key` → (`partners/acme/prd-1`, `api-key`);
/// `vault://partners/acme/prd-1` → (`partners/acme/prd-1`, [`DEFAULT_PROPERTY`]).
pub fn remote_ref(secret_ref: &str) -> (&str, &str) {
    let path = secret_ref.split_once("://").map_or(secret_ref, |(_, rest)| rest);
    match path.rsplit_once('#') {
        Some((key, field)) if !key.is_empty() && !field.is_empty() => (key, field),
        Some((key, _)) => (key, DEFAULT_PROPERTY),
        None => (path, DEFAULT_PROPERTY),
    }
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
    let mut target = object([
        ("name", text(secret)),
        ("creationPolicy", text("Owner")),
        ("deletionPolicy", text("Delete")),
    ]);
    if let Some(l) = secret_labels {
        target["template"] = object([("metadata", object([("labels", l)]))]);
    }
    let (key, property) = remote_ref(&credential.secret_ref);
    object([
        ("apiVersion", text("external-secrets.io/v1")),
        ("kind", text("ExternalSecret")),
        (
            "metadata",
            object([
                ("name", text(secret)),
                ("namespace", text(namespace)),
                ("labels", labels),
            ]),
        ),
        (
            "spec",
            object([
                ("refreshInterval", text("1h")),
                (
                    "secretStoreRef",
                    object([("name", text(&store.name)), ("kind", text(store.kind.as_str()))]),
                ),
                ("target", target),
                (
                    "data",
                    Value::Array(vec![object([
                        ("secretKey", text(secret_key)),
                        ("remoteRef", object([("key", text(key)), ("property", text(property))])),
                    ])]),
                ),
            ]),
        ),
    ])
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Built without `json!`, an ExternalSecret and its labels are what `json!` made, keys in
    /// the same order (compared as text: maps compare equal in any order).
    #[test]
    fn external_secrets_are_what_json_made() {
        let credential: CredentialSpec = serde_json::from_value(json!({
            "id": "acme-prd-1", "environment": "production", "created": "2026-01-01",
            "secretRef": "vault://partners/acme/prd-1#api-key",
        }))
        .unwrap();
        let store = default_store();
        let labels = labels(
            "Northwind Partners",
            "production",
            &[(PARTNER_LABEL, "acme"), (CREDENTIAL_LABEL, "acme-prd-1")],
        );
        let expected_labels = json!({
            MANAGED_BY.0: MANAGED_BY.1, PROGRAM_LABEL: label(&["Northwind Partners"]),
            ENVIRONMENT_LABEL: "production", PARTNER_LABEL: "acme", CREDENTIAL_LABEL: "acme-prd-1",
        });
        assert_eq!(labels.to_string(), expected_labels.to_string());
        for secret_labels in [None, Some(json!({"konghq.com/credential": "key-auth"}))] {
            let doc = external_secret(
                &credential,
                "partnerctl-key-acme-prd-1",
                "kong",
                "key",
                &store,
                labels.clone(),
                secret_labels.clone(),
            );
            let mut target =
                json!({"name": "partnerctl-key-acme-prd-1", "creationPolicy": "Owner", "deletionPolicy": "Delete"});
            if let Some(l) = secret_labels {
                target["template"] = json!({"metadata": {"labels": l}});
            }
            let expected = json!({
                "apiVersion": "external-secrets.io/v1",
                "kind": "ExternalSecret",
                "metadata": {"name": "partnerctl-key-acme-prd-1", "namespace": "kong", "labels": labels},
                "spec": {
                    "refreshInterval": "1h",
                    "secretStoreRef": {"name": "partnerctl", "kind": "ClusterSecretStore"},
                    "target": target,
                    "data": [{"secretKey": "key", "remoteRef": {"key": "partners/acme/prd-1", "property": "api-key"}}],
                },
            });
            assert_eq!(doc.to_string(), expected.to_string());
        }
    }

    /// The shortcut for names that are DNS names already gives what the rules give.
    #[test]
    fn names_taken_as_they_are_are_what_the_rules_make() {
        let parts = [
            "acme",
            "acme-logistics",
            "a",
            "0",
            "x1-y2",
            "-acme",
            "acme-",
            "ac--me",
            "Acme",
            "acme.eu",
            "",
            "-",
            "ü",
            "a_b",
            &"n".repeat(63),
            &"n".repeat(64),
            &"n".repeat(300),
        ];
        for a in parts {
            for b in parts {
                for max in [63, 253] {
                    let joined = [a, b].join("-");
                    assert_eq!(name(&[a, b], max), mapped(joined.clone(), max), "{joined:?} at {max}");
                    assert_eq!(name(&[a], max), mapped(a.to_string(), max), "{a:?} at {max}");
                }
            }
        }
    }
}
