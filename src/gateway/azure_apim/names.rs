//! What API Management resources and template parameters are called, shared by the render,
//! the reader of exports and the audit, so that each reads back what the other writes.
//!
//! Program names match `[a-z0-9-]`, so `.` and `_` never occur in them: joining two names
//! with one of those is unambiguous and reads back by splitting on it, where `-` would not
//! (`a-b` + `c` and `a` + `b-c`).

use crate::spec::Method;
use sha2::{Digest, Sha256};

/// The `Microsoft.ApiManagement` API version every resource is written for (the newest
/// stable one, whose schema the tests validate against).
pub const API_VERSION: &str = "2024-05-01";
/// The template parameter whose fresh GUID (each deployment) seeds the key slots no live
/// credential fills, so that no key survives its credential (see `render.rs`).
pub const KEY_SEED_PARAMETER: &str = "unusedKeySeed";
/// The header partners send their key in, as on every other gateway.
pub const KEY_HEADER: &str = "X-Api-Key";
/// The query parameter API Management also reads a key from (it cannot be switched off).
pub const KEY_QUERY: &str = "subscription-key";
/// Key Vault secret names: `[0-9A-Za-z-]`, at most 127 characters.
const KEY_VAULT_NAME_MAX: usize = 127;

/// The API Management product of a plan: `shipments.starter`.
pub fn product_id(product: &str, plan: &str) -> String {
    format!("{product}.{plan}")
}

/// `shipments.starter` → (`shipments`, `starter`).
pub fn parse_product_id(id: &str) -> Option<(&str, &str)> {
    id.split_once('.')
}

/// A partner's subscription to a product: `acme-logistics.shipments`. The plan is the
/// subscription's scope, not its name, so the name is the same in every environment and
/// across plan changes.
pub fn subscription_name(partner: &str, product: &str) -> String {
    format!("{partner}.{product}")
}

/// `acme-logistics.shipments` → (`acme-logistics`, `shipments`).
pub fn parse_subscription_name(name: &str) -> Option<(&str, &str)> {
    name.split_once('.')
}

/// The template parameter carrying a credential's key for one product's subscription:
/// `key_acme-prd-2_shipments`.
pub fn key_parameter(credential: &str, product: &str) -> String {
    format!("key_{credential}_{product}")
}

/// `key_acme-prd-2_shipments` → (`acme-prd-2`, `shipments`).
pub fn parse_key_parameter(name: &str) -> Option<(&str, &str)> {
    name.strip_prefix("key_")?.split_once('_')
}

/// The Key Vault secret a credential's `secretRef` names: for a Key Vault secret URL
/// (`https://<vault>.vault.azure.net/secrets/<name>[/<version>]`) its name, else the
/// reference's path with every character Key Vault refuses made `-`
/// (`vault://partners/acme/prd-2` → `partners-acme-prd-2`).
pub fn key_vault_base(secret_ref: &str) -> String {
    let rest = secret_ref.split_once("://").map_or(secret_ref, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let kv = rest
        .split_once('/')
        .filter(|(host, _)| host.to_ascii_lowercase().ends_with(".vault.azure.net"))
        .and_then(|(_, path)| path.strip_prefix("secrets/"))
        .and_then(|p| p.split('/').next())
        .filter(|n| !n.is_empty());
    let raw = kv.unwrap_or(rest);
    let mut out: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out.trim_matches('-').to_string()
}

/// The Key Vault secret holding a credential's key for one product: API Management finds
/// a subscription (and so its product) by the key alone, so a key opens one subscription
/// and a credential has a key per product: `partners-acme-prd-2--shipments`.
pub fn key_vault_secret(secret_ref: &str, product: &str) -> String {
    let base = key_vault_base(secret_ref);
    let base = if base.is_empty() { "key".to_string() } else { base };
    fit(&format!("{base}--{product}"), KEY_VAULT_NAME_MAX)
}

/// `GET`, `/v1/shipments/{id}` → `get-v1-shipments-id` (at most `max` characters).
pub fn operation_id(method: Method, path: &str, max: usize) -> String {
    let slug = crate::template::filters::slug(path);
    let slug = if slug.is_empty() { "root".to_string() } else { slug };
    fit(&format!("{}-{slug}", method.as_str().to_ascii_lowercase()), max)
}

/// `name` if it is at most `max` characters, else cut and ended by `-` and 8 hex digits of
/// the SHA-256 of the whole name, so that two long names never meet by the cut.
pub fn fit(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let digest = Sha256::digest(name.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let Some(mut keep) = max.checked_sub(hash.len() + 1).filter(|k| *k > 0) else {
        return hash[..max.min(hash.len())].to_string();
    };
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}-{hash}", name[..keep].trim_end_matches('-'))
}

/// The parameters file written beside a template: `apim-production.json` →
/// `apim-production.parameters.json`.
pub fn parameters_path(template: &str) -> String {
    match template.strip_suffix(".json") {
        Some(stem) => format!("{stem}.parameters.json"),
        None => format!("{template}.parameters.json"),
    }
}

/// The seconds of a window, as `renewal-period` counts them, and back. A month is 30 days:
/// API Management renews a quota every so many seconds, not on calendar months.
pub const WINDOWS: [(&str, u64); 5] = [
    ("second", 1),
    ("minute", 60),
    ("hour", 3_600),
    ("day", 86_400),
    ("month", 2_592_000),
];

/// The window a `renewal-period` is, when it is one of [`WINDOWS`].
pub fn window_of(seconds: u64) -> Option<&'static str> {
    WINDOWS.iter().find(|(_, s)| *s == seconds).map(|(w, _)| *w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        assert_eq!(parse_product_id(&product_id("a-b", "c")), Some(("a-b", "c")));
        assert_eq!(
            parse_subscription_name(&subscription_name("a", "b-c")),
            Some(("a", "b-c"))
        );
        assert_eq!(
            parse_key_parameter(&key_parameter("acme-prd-2", "shipments")),
            Some(("acme-prd-2", "shipments"))
        );
        assert_eq!(key_vault_base("vault://partners/acme/prd-2"), "partners-acme-prd-2");
        assert_eq!(
            key_vault_base("https://northwind-keys.vault.azure.net/secrets/acme-prd-2/0a1b"),
            "acme-prd-2"
        );
        assert_eq!(key_vault_base("aws-sm://x_y.z?versionId=1"), "x-y-z");
        assert_eq!(
            key_vault_secret("vault://partners/acme/prd-2", "shipments"),
            "partners-acme-prd-2--shipments"
        );
        let long = key_vault_secret(&format!("vault://{}", "a".repeat(200)), "shipments");
        assert_eq!(long.len(), 127);
        assert_eq!(
            operation_id(Method::Get, "/v1/shipments/{id}", 80),
            "get-v1-shipments-id"
        );
        assert_eq!(operation_id(Method::Post, "/", 80), "post-root");
        assert!(operation_id(Method::Get, "/v1/shipments/{id}", 16).len() <= 16);
        assert_eq!(
            parameters_path("dist/azure/apim.json"),
            "dist/azure/apim.parameters.json"
        );
        assert_eq!(parameters_path("dist/apim"), "dist/apim.parameters.json");
        assert_eq!(window_of(86_400), Some("day"));
    }
}
