//! Who may call what in one environment, as every gateway target sees it.
//!
//! The rules of SPEC §7 live here once, so Kong, NGINX and envoy-ratelimit agree: a product
//! is served when it has the environment and is not retired; a partner appears only when its
//! stage allows the environment (never when suspended or offboarded) and it holds a
//! subscription or a live credential there; only credentials that are neither revoked nor
//! expired on the render date appear; a subscription counts when its plan exists and is
//! offered in the environment. Everything is sorted by name.

use crate::model::{Partner, Product, Program};
use crate::spec::{CredentialSpec, Date, Environment, Lifecycle, Method, PlanSpec};
use std::collections::BTreeMap;

/// The gateway's view of one environment.
#[derive(Debug)]
pub struct Gateway<'a> {
    pub environment: Environment,
    pub products: Vec<GatewayProduct<'a>>,
    pub partners: Vec<GatewayPartner<'a>>,
}

/// A product served in the environment.
#[derive(Debug)]
pub struct GatewayProduct<'a> {
    pub name: &'a str,
    pub product: &'a Product,
    pub upstream: &'a str,
    /// One route per distinct endpoint path, sorted by path.
    pub routes: Vec<Route>,
}

/// Every endpoint of a product that shares one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The path as written, e.g. `/v1/shipments/{id}`.
    pub path: String,
    /// An anchored regular expression for the path: `^/v1/shipments/[^/]+$`.
    pub regex: String,
    /// The methods, in GET POST PUT PATCH DELETE order.
    pub methods: Vec<Method>,
}

/// A partner with access in the environment.
#[derive(Debug)]
pub struct GatewayPartner<'a> {
    pub name: &'a str,
    pub partner: &'a Partner,
    /// Live credentials for this environment, sorted by id.
    pub credentials: Vec<&'a CredentialSpec>,
    /// Product name → the plan subscribed in this environment (products served only).
    pub plans: BTreeMap<&'a str, &'a PlanSpec>,
}

impl<'a> Gateway<'a> {
    /// The products served in `environment`: not retired, with the environment.
    pub fn products(program: &'a Program, environment: Environment) -> Vec<GatewayProduct<'a>> {
        program
            .products
            .iter()
            .filter(|(_, p)| p.spec.lifecycle != Lifecycle::Retired)
            .filter_map(|(name, p)| {
                let upstream = p.spec.environments.get(environment)?.upstream.as_str();
                Some(GatewayProduct {
                    name,
                    product: p,
                    upstream,
                    routes: routes(p),
                })
            })
            .collect()
    }

    /// Works out the view of `environment` on `today`.
    pub fn new(program: &'a Program, environment: Environment, today: Date) -> Gateway<'a> {
        let products = Gateway::products(program, environment);
        let served = |name: &str| products.iter().any(|p| p.name == name);
        let mut partners = Vec::new();
        for (name, partner) in &program.partners {
            if !partner.stage().allows(environment) {
                continue;
            }
            let mut credentials: Vec<&CredentialSpec> = partner
                .spec
                .credentials
                .iter()
                .filter(|c| c.environment == environment && c.is_live(today))
                .collect();
            credentials.sort_by(|a, b| a.id.cmp(&b.id));
            let mut plans = BTreeMap::new();
            for s in partner
                .spec
                .subscriptions
                .iter()
                .filter(|s| s.environment == environment)
            {
                if !served(&s.product) {
                    continue;
                }
                let Some(plan) = program.plan(&s.product, &s.plan) else {
                    continue;
                };
                if !plan.environments.contains(&environment) {
                    continue;
                }
                plans.entry(s.product.0.as_str()).or_insert(plan);
            }
            if credentials.is_empty() && plans.is_empty() {
                continue;
            }
            partners.push(GatewayPartner {
                name,
                partner,
                credentials,
                plans,
            });
        }
        Gateway {
            environment,
            products,
            partners,
        }
    }

    /// The view of one partner, if the environment lets it in. A binary search: the partners
    /// are in name order, and targets look every partner up (a scan each would make a
    /// catalog of 100,000 partners quadratic).
    pub fn partner(&self, name: &str) -> Option<&GatewayPartner<'a>> {
        self.partners
            .binary_search_by(|p| p.name.cmp(name))
            .ok()
            .map(|i| &self.partners[i])
    }

    /// The partners subscribed to a product, with their plan, sorted by partner name.
    pub fn subscribers(&self, product: &str) -> Vec<(&GatewayPartner<'a>, &'a PlanSpec)> {
        self.partners
            .iter()
            .filter_map(|p| p.plans.get(product).map(|plan| (p, *plan)))
            .collect()
    }
}

const METHOD_ORDER: [Method; 5] = [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete];

/// Groups a product's endpoints by path.
fn routes(product: &Product) -> Vec<Route> {
    let mut by_path: BTreeMap<&str, Vec<Method>> = BTreeMap::new();
    for e in &product.spec.endpoints {
        let methods = by_path.entry(e.path.as_str()).or_default();
        if !methods.contains(&e.method) {
            methods.push(e.method);
        }
    }
    by_path
        .into_iter()
        .map(|(path, mut methods)| {
            methods.sort_by_key(|m| METHOD_ORDER.iter().position(|x| x == m));
            Route {
                path: path.to_string(),
                regex: path_regex(path),
                methods,
            }
        })
        .collect()
}

/// `/v1/shipments/{id}` → `^/v1/shipments/[^/]+$`: literal text escaped, each `{name}`
/// one path segment.
pub fn path_regex(path: &str) -> String {
    let mut out = String::from("^");
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        out.push_str(&regex::escape(&rest[..open]));
        out.push_str("[^/]+");
        rest = &rest[open + close + 1..];
    }
    out.push_str(&regex::escape(rest));
    out.push('$');
    out
}

/// A name made safe for NGINX variable and zone names: `rhine-river` → `rhine_river`.
pub fn ident(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_regexes() {
        assert_eq!(path_regex("/v1/shipments"), "^/v1/shipments$");
        assert_eq!(path_regex("/v1/shipments/{id}/labels"), "^/v1/shipments/[^/]+/labels$");
        assert_eq!(path_regex("/v1/a.b/{x}"), "^/v1/a\\.b/[^/]+$");
        let re = regex::Regex::new(&path_regex("/v1/tracking/{id}/events")).unwrap();
        assert!(re.is_match("/v1/tracking/123/events"));
        assert!(!re.is_match("/v1/tracking/1/2/events"));
    }
}
