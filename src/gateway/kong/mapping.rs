//! How Kong names map to program names, in one place for `import` (which writes the mapping)
//! and `audit` (which follows it), so that an audit of the dump an import came from finds no
//! consumer and no credential it cannot place.
//!
//! A consumer is a partner by the partner's labels first, then by name:
//! `kong-custom-id: <custom_id>`, a partner named the `custom_id`, `kong-consumer:
//! <username>`, a partner named the `username`. Import writes those labels only when the
//! gateway's name is not the partner's (`test_consumer_3x` becomes `test-consumer-3x`).
//!
//! A key-auth credential is a program credential by what it says itself (a tag, a vault
//! reference, an id that is not a UUID; see [`super::read`]) when that names a credential of
//! the program, else by the partner's label `kong-key-auth.<credential-id>: <ref>`, where
//! `<ref>` is the credential's Kong id, or `#<n>` (its place among the consumer's key-auth
//! credentials) when the dump carries no id.

use super::model::{Consumer, KeyCredential};
use crate::model::{Partner, Program};
use crate::spec::Environment;
use std::collections::BTreeMap;

/// The label naming a partner's Kong consumer by `username`.
pub const LABEL_CONSUMER: &str = "kong-consumer";
/// The label naming a partner's Kong consumer by `custom_id`.
pub const LABEL_CUSTOM_ID: &str = "kong-custom-id";
/// The prefix of the label naming a credential in Kong: `kong-key-auth.<credential-id>`.
pub const LABEL_KEY_PREFIX: &str = "kong-key-auth.";

/// The program's side of the mapping, indexed once.
pub struct Mapping<'a> {
    program: &'a Program,
    by_custom_id: BTreeMap<&'a str, &'a Partner>,
    by_username: BTreeMap<&'a str, &'a Partner>,
    /// Every credential id of the program: a gateway of 100,000 consumers asks once a key.
    credential_ids: std::collections::HashSet<&'a str>,
}

impl<'a> Mapping<'a> {
    pub fn new(program: &'a Program) -> Mapping<'a> {
        let mut by_custom_id = BTreeMap::new();
        let mut by_username = BTreeMap::new();
        let mut credential_ids = std::collections::HashSet::new();
        for p in program.partners.values() {
            credential_ids.extend(p.spec.credentials.iter().map(|c| c.id.0.as_str()));
            if let Some(c) = p.metadata.labels.get(LABEL_CUSTOM_ID) {
                by_custom_id.entry(c.as_str()).or_insert(p);
            }
            if let Some(u) = p.metadata.labels.get(LABEL_CONSUMER) {
                by_username.entry(u.as_str()).or_insert(p);
            }
        }
        Mapping {
            program,
            by_custom_id,
            by_username,
            credential_ids,
        }
    }

    /// The partner a consumer stands for.
    pub fn partner(&self, c: &Consumer) -> Option<&'a Partner> {
        let named = |n: &Option<String>| n.as_deref().and_then(|n| self.program.partners.get(n));
        c.custom_id
            .as_deref()
            .and_then(|id| self.by_custom_id.get(id).copied())
            .or_else(|| named(&c.custom_id))
            .or_else(|| c.username.as_deref().and_then(|u| self.by_username.get(u).copied()))
            .or_else(|| named(&c.username))
    }

    /// The program credential id a key credential of `partner`'s consumer stands for: what
    /// it names itself when that is a credential of the program, else the partner's label
    /// (preferring a credential of `environment` when two labels give the same `#<n>`), else
    /// what it names itself (unknown to the program).
    pub fn credential(
        &self,
        partner: &Partner,
        kc: &KeyCredential,
        environment: Option<Environment>,
    ) -> Option<String> {
        if let Some(id) = &kc.credential
            && self.credential_ids.contains(id.as_str())
        {
            return Some(id.clone());
        }
        let wanted = kc.gateway_ref();
        let mut candidates: Vec<&str> = partner
            .metadata
            .labels
            .iter()
            .filter(|(_, v)| **v == wanted)
            .filter_map(|(k, _)| k.strip_prefix(LABEL_KEY_PREFIX))
            .collect();
        // A Kong id names one credential wherever it is; a place (`#1`) only among the
        // consumer's credentials of one gateway, so it names a credential of that
        // environment or none (the same consumer has a `#1` in each environment's gateway).
        if let Some(e) = environment {
            let of_env = |id: &&str| {
                partner
                    .spec
                    .credentials
                    .iter()
                    .any(|c| c.id.0 == *id && c.environment == e)
            };
            let positional = kc.kong_id.is_none();
            if positional || (candidates.len() > 1 && candidates.iter().any(of_env)) {
                candidates.retain(of_env);
            }
        }
        candidates
            .first()
            .map(|s| s.to_string())
            .or_else(|| kc.credential.clone())
    }
}

/// The labels an imported partner needs so that [`Mapping::partner`] finds it from the
/// consumer: none when the consumer names it already.
pub fn consumer_labels(partner: &str, c: &Consumer) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(id) = &c.custom_id
        && id != partner
    {
        out.push((LABEL_CUSTOM_ID.to_string(), id.clone()));
    }
    if let Some(u) = &c.username
        && u != partner
        && c.custom_id.as_deref() != Some(partner)
    {
        out.push((LABEL_CONSUMER.to_string(), u.clone()));
    }
    out
}

/// The label an imported credential needs so that [`Mapping::credential`] finds it: none when
/// the gateway's credential names it already.
pub fn credential_label(id: &str, kc: &KeyCredential) -> Option<(String, String)> {
    (kc.credential.as_deref() != Some(id)).then(|| (format!("{LABEL_KEY_PREFIX}{id}"), kc.gateway_ref()))
}
