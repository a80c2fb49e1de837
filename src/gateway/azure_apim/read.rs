//! Reading an API Management ARM template back, for `audit --gateway FILE`: what the
//! `azure-apim` target renders, or what an export of the service writes (the portal's or
//! `az group export`'s template), as hostile input. Resources may be a list or keyed by
//! symbolic name, nested or flat, named by literals or by `format`/`concat` expressions;
//! each is placed by its type and the last segments of its name. A subscription's keys are
//! kept only as the credential a template parameter names (`key_<credential>_<product>`):
//! a key written as a value is noted, never kept.

use super::names::{parse_key_parameter, parse_product_id};
use super::policy::{self, Limit};
use crate::diag::Location;
use crate::encode::arm;
use crate::gateway::kong::DeckError;
use crate::source::yaml;
use crate::spec::Environment;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What a policy limits, or why it cannot be read.
pub type PolicyLimits = Result<Vec<Limit>, String>;

/// A product of the service.
#[derive(Clone, Debug)]
pub struct ApimProduct {
    pub id: String,
    /// `subscriptionRequired` (API Management's default is `true`).
    pub subscription_required: bool,
    /// The limits of its policy; `None` without a policy, the reason when it cannot be read.
    pub limits: Option<PolicyLimits>,
    /// The APIs linked to it.
    pub apis: BTreeSet<String>,
    pub at: Location,
}

/// What a subscription is scoped to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Product(String),
    Api(String),
    AllApis,
    Unknown(String),
}

/// A key slot of a subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// A template parameter naming a program credential (and the product it is for).
    Credential { id: String, product: String },
    /// A value generated at deployment (`[guid(…)]`, `[newGuid()]`): nobody holds it.
    Generated,
    /// A key written into the file as a value (never kept).
    Value,
    /// Any other expression.
    Other,
}

/// A subscription of the service.
#[derive(Clone, Debug)]
pub struct ApimSubscription {
    pub name: String,
    pub scope: Scope,
    /// `active`, `suspended`, …; API Management's default for a new one is `submitted`.
    pub state: String,
    /// The slots the file sets (none: the export does not say).
    pub keys: Vec<Key>,
    pub at: Location,
}

impl ApimSubscription {
    pub fn active(&self) -> bool {
        self.state.eq_ignore_ascii_case("active")
    }
}

/// What an API Management template holds.
#[derive(Clone, Debug, Default)]
pub struct Export {
    pub file: String,
    /// The `metadata.environment` the `azure-apim` target writes.
    pub environment: Option<Environment>,
    pub products: BTreeMap<String, ApimProduct>,
    /// API id → whether it requires a subscription.
    pub apis: BTreeMap<String, bool>,
    pub subscriptions: Vec<ApimSubscription>,
}

impl Export {
    /// Whether any subscription names the credentials of its keys (what the `azure-apim`
    /// target writes; an export of the service does not).
    pub fn keys_known(&self) -> bool {
        self.subscriptions
            .iter()
            .flat_map(|s| &s.keys)
            .any(|k| matches!(k, Key::Credential { .. }))
    }
}

/// Whether a document is an ARM deployment template.
pub fn is_template(v: &Value) -> bool {
    let schema = v.get("$schema").and_then(Value::as_str).unwrap_or("");
    schema.contains("deploymentTemplate.json")
        || (v.get("contentVersion").is_some_and(Value::is_string) && v.get("resources").is_some())
}

/// The quoted literals of an ARM expression, with `parameters('…')` and `variables('…')`
/// calls left out (their names are no part of a resource's name).
fn literals(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '\'' {
            i += 1;
            continue;
        }
        let before: String = chars[..i].iter().collect();
        let call = before.trim_end().to_ascii_lowercase();
        let skip = call.ends_with("parameters(") || call.ends_with("variables(");
        let mut s = String::new();
        i += 1;
        while i < chars.len() {
            if chars[i] == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    s.push('\'');
                    i += 2;
                    continue;
                }
                break;
            }
            s.push(chars[i]);
            i += 1;
        }
        i += 1;
        if !skip {
            out.push(s);
        }
    }
    out
}

/// A resource name's segments below the service: the last `depth` of them.
fn segments(name: &str, depth: usize) -> Vec<String> {
    let joined = if arm::is_expression(name) {
        literals(name)
            .into_iter()
            .filter(|l| !l.contains("{0}"))
            .collect::<Vec<_>>()
            .join("/")
    } else {
        arm::read_literal(name).unwrap_or(name).to_string()
    };
    let all: Vec<String> = joined
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    all[all.len().saturating_sub(depth)..].to_vec()
}

fn scope_of(scope: &str) -> Scope {
    let text = if arm::is_expression(scope) {
        literals(scope).join("/")
    } else {
        scope.to_string()
    };
    let segs: Vec<&str> = text.split('/').filter(|s| !s.is_empty()).collect();
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    if let Some(i) = lower.iter().rposition(|s| s == "products" || s.ends_with("/products")) {
        if let Some(p) = segs.get(i + 1) {
            return Scope::Product((*p).to_string());
        }
    }
    if let Some(i) = lower.iter().rposition(|s| s == "apis") {
        return match segs.get(i + 1) {
            Some(a) => Scope::Api((*a).to_string()),
            None => Scope::AllApis,
        };
    }
    Scope::Unknown(text)
}

fn key_of(v: &Value) -> Option<Key> {
    let s = v.as_str()?;
    if !arm::is_expression(s) {
        return Some(Key::Value);
    }
    let inner = s[1..s.len() - 1].trim();
    let lower = inner.to_ascii_lowercase();
    if lower.starts_with("guid(") || lower.starts_with("newguid(") {
        return Some(Key::Generated);
    }
    if lower.starts_with("parameters(") && inner.ends_with(')') {
        let l = literals(&inner.replacen("parameters(", "(", 1));
        if let Some((id, product)) = l.first().and_then(|p| parse_key_parameter(p)) {
            return Some(Key::Credential {
                id: id.to_string(),
                product: product.to_string(),
            });
        }
    }
    Some(Key::Other)
}

struct Reader<'a> {
    file: &'a str,
    doc: Option<&'a yaml::YamlDoc>,
    out: Export,
    links: Vec<(String, String)>,
    policies: Vec<(String, PolicyLimits)>,
}

impl Reader<'_> {
    fn at(&self, pointer: &str) -> Location {
        match self.doc {
            Some(d) => {
                let p = d.pos(pointer);
                Location::new(self.file, p.line, p.column)
            }
            None => Location::new(self.file, 1, 1),
        }
    }

    fn resource(&mut self, pointer: &str, r: &Value, parent: Option<(&str, &[String])>) {
        let Some(ty) = r.get("type").and_then(Value::as_str) else {
            return;
        };
        let Some(name) = r.get("name").and_then(Value::as_str) else {
            return;
        };
        let (full, names) = match parent {
            Some((pt, pn)) if !ty.contains('/') => {
                let mut n = pn.to_vec();
                n.push(arm::read_literal(name).unwrap_or(name).to_string());
                (format!("{pt}/{ty}"), Some(n))
            }
            _ => (ty.to_string(), None),
        };
        let lower = full.to_ascii_lowercase();
        let Some(kind) = lower.strip_prefix("microsoft.apimanagement/service") else {
            return;
        };
        let kind = kind.trim_start_matches('/').to_string();
        let depth = if kind.is_empty() { 0 } else { kind.split('/').count() };
        let segs = names.unwrap_or_else(|| segments(name, depth));
        let props = r.get("properties").cloned().unwrap_or(Value::Null);
        let at = self.at(pointer);
        match (kind.as_str(), segs.as_slice()) {
            ("products", [id]) => {
                let entry = self.out.products.entry(id.clone()).or_insert_with(|| ApimProduct {
                    id: id.clone(),
                    subscription_required: true,
                    limits: None,
                    apis: BTreeSet::new(),
                    at: at.clone(),
                });
                entry.subscription_required = props
                    .get("subscriptionRequired")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                entry.at = at;
            }
            ("products/policies", [id, _]) => {
                let format = props
                    .get("format")
                    .and_then(Value::as_str)
                    .unwrap_or("xml")
                    .to_ascii_lowercase();
                let value = props.get("value").and_then(Value::as_str).unwrap_or("");
                let limits = if format.ends_with("-link") {
                    Err(format!(
                        "the policy is a link ({value}), which an audit of the file cannot read"
                    ))
                } else if arm::is_expression(value) {
                    Err("the policy is a template expression".to_string())
                } else {
                    policy::read_limits(value)
                };
                self.policies.push((id.clone(), limits));
            }
            ("products/apis" | "products/apilinks", [id, api]) => {
                let api = if kind == "products/apilinks" {
                    props
                        .get("apiId")
                        .and_then(Value::as_str)
                        .map(|a| segments(a, 1).pop().unwrap_or_default())
                        .unwrap_or_else(|| api.clone())
                } else {
                    api.clone()
                };
                self.links.push((id.clone(), api));
            }
            ("apis", [id]) => {
                let id = id.split(";rev=").next().unwrap_or(id).to_string();
                let required = props
                    .get("subscriptionRequired")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                self.out.apis.insert(id, required);
            }
            ("subscriptions", [name]) => {
                let scope = props
                    .get("scope")
                    .and_then(Value::as_str)
                    .map_or(Scope::Unknown(String::new()), scope_of);
                let state = props
                    .get("state")
                    .and_then(Value::as_str)
                    .unwrap_or("submitted")
                    .to_string();
                let keys = ["primaryKey", "secondaryKey"]
                    .iter()
                    .filter_map(|k| props.get(*k).and_then(key_of))
                    .collect();
                self.out.subscriptions.push(ApimSubscription {
                    name: name.clone(),
                    scope,
                    state,
                    keys,
                    at,
                });
            }
            _ => {}
        }
        if let Some(children) = r.get("resources") {
            let segs_now = segments(name, depth);
            self.resources(&format!("{pointer}/resources"), children, Some((&full, &segs_now)));
        }
    }

    fn resources(&mut self, pointer: &str, v: &Value, parent: Option<(&str, &[String])>) {
        match v {
            Value::Array(a) => {
                for (i, r) in a.iter().enumerate() {
                    self.resource(&format!("{pointer}/{i}"), r, parent);
                }
            }
            Value::Object(m) => {
                for (k, r) in m {
                    let key = k.replace('~', "~0").replace('/', "~1");
                    self.resource(&format!("{pointer}/{key}"), r, parent);
                }
            }
            _ => {}
        }
    }
}

/// Parses an ARM template; `Ok(None)` when the file is not one.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Option<Export>, DeckError> {
    // A decK file says so near its start; it is not parsed twice.
    if crate::gateway::kong::read::declares_deck(bytes) {
        return Ok(None);
    }
    let parsed = yaml::parse(file, bytes).ok();
    let value: Value = match &parsed {
        Some(d) => d.value.clone(),
        None => match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(_) => return Ok(None),
        },
    };
    if !is_template(&value) {
        return Ok(None);
    }
    let Some(resources) = value.get("resources") else {
        return Err(DeckError::Shape {
            file: file.to_string(),
            message: "an ARM template without `resources`".into(),
        });
    };
    let environment = value
        .pointer("/metadata/environment")
        .and_then(Value::as_str)
        .and_then(|e| Environment::ALL.iter().copied().find(|x| x.as_str() == e));
    let mut r = Reader {
        file,
        doc: parsed.as_ref(),
        out: Export {
            file: file.to_string(),
            environment,
            ..Export::default()
        },
        links: Vec::new(),
        policies: Vec::new(),
    };
    r.resources("/resources", resources, None);
    let (links, policies) = (std::mem::take(&mut r.links), std::mem::take(&mut r.policies));
    let mut out = r.out;
    for (product, api) in links {
        if let Some(p) = out.products.get_mut(&product) {
            p.apis.insert(api);
        }
    }
    for (product, limits) in policies {
        if let Some(p) = out.products.get_mut(&product) {
            p.limits = Some(limits);
        }
    }
    // A product partnerctl names `<product>.<plan>` serves its product's API even when the
    // file does not link it (a template split in parts).
    for p in out.products.values_mut() {
        if p.apis.is_empty()
            && let Some((product, _)) = parse_product_id(&p.id)
        {
            p.apis.insert(product.to_string());
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_scopes() {
        assert_eq!(
            segments(
                "[format('{0}/{1}/{2}', parameters('apimServiceName'), 'shipments.starter', 'policy')]",
                2
            ),
            vec!["shipments.starter", "policy"]
        );
        assert_eq!(
            segments("[concat(parameters('service_name'), '/shipments')]", 1),
            vec!["shipments"]
        );
        assert_eq!(
            segments("northwind-apim/shipments.starter/policy", 2),
            vec!["shipments.starter", "policy"]
        );
        assert_eq!(
            scope_of("/products/shipments.starter"),
            Scope::Product("shipments.starter".into())
        );
        assert_eq!(
            scope_of("[resourceId('Microsoft.ApiManagement/service/products', parameters('s'), 'tracking.standard')]"),
            Scope::Product("tracking.standard".into())
        );
        assert_eq!(scope_of("/apis"), Scope::AllApis);
        assert_eq!(
            scope_of("/subscriptions/x/resourceGroups/y/providers/Microsoft.ApiManagement/service/z/apis/echo"),
            Scope::Api("echo".into())
        );
        assert_eq!(
            key_of(&Value::from("[parameters('key_acme-prd-2_shipments')]")),
            Some(Key::Credential {
                id: "acme-prd-2".into(),
                product: "shipments".into()
            })
        );
        assert_eq!(
            key_of(&Value::from("[guid(parameters('unusedKeySeed'), 'a.b', 'secondary')]")),
            Some(Key::Generated)
        );
        assert_eq!(key_of(&Value::from("0123456789abcdef")), Some(Key::Value));
    }
}
