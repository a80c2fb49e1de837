//! The `envoy-gateway` target: Kubernetes manifests for one environment, in the output's
//! folder, delivered by Argo CD or Flux (docs/kubernetes.md).
//!
//! - per served product a `SecurityPolicy` on the product's `HTTPRoute`
//!   (`environments.<env>.route`): `apiKeyAuth` with the live credentials of the subscribers
//!   of the products routed in the route's namespace (the key in the `x-api-key` header, the
//!   credential id forwarded in [`CLIENT_HEADER`]), and an `authorization` allow-list of the
//!   credentials of the product's subscribers (deny by default): an unknown key gets 401, a
//!   known key of a partner not subscribed gets 403, as on NGINX (a key whose Secret is not in
//!   that namespace at all is unknown there, so 401);
//! - per product with subscribers a `BackendTrafficPolicy` with global rate-limit rules, for
//!   every subscriber its plan's rate limit and quota, matched on its credentials. Envoy
//!   Gateway applies one BackendTrafficPolicy per route (a second on the same route is
//!   `Conflicted`), so the plans of a product share one policy, one rule pair per partner,
//!   labelled with the product;
//! - per route namespace, an external-secrets `ExternalSecret` for each credential of a
//!   partner subscribed to a product routed there, producing the Secret the SecurityPolicy
//!   reads (`<credential id>: <key>`), from the credential's `secretRef` in the output's
//!   `secretStore`. A namespace gets the keys of its products' subscribers only: a team's
//!   namespace never holds another product's partners' keys, and a product without
//!   subscribers brings none. The key never passes through partnerctl;
//! - a `kustomization.yaml` listing them.

use crate::access::Gateway;
use crate::gateway::kubernetes as k8s;
use crate::model::Program;
use crate::output::{RenderError, RenderedFile};
use crate::spec::{Date, Environment, OutputSpec, PlanSpec, QuotaUnit, RateUnit};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The header partners send their key in.
pub const KEY_HEADER: &str = "x-api-key";
/// The header Envoy sets to the authenticated credential id (the Secret's key).
pub const CLIENT_HEADER: &str = "x-partnerctl-credential";

/// The Secret a credential's key is in.
pub fn secret_name(credential: &str) -> String {
    k8s::subdomain(&["partnerctl-key", credential])
}

fn rate_unit(u: RateUnit) -> &'static str {
    match u {
        RateUnit::Second => "Second",
        RateUnit::Minute => "Minute",
        RateUnit::Hour => "Hour",
        RateUnit::Day => "Day",
    }
}

fn quota_unit(u: QuotaUnit) -> &'static str {
    match u {
        QuotaUnit::Day => "Day",
        QuotaUnit::Month => "Month",
    }
}

/// `^(?:a|b)$` for the credential ids `a`, `b`.
fn one_of(ids: &[&str]) -> String {
    let alts: Vec<String> = ids.iter().map(|i| regex::escape(i)).collect();
    format!("^(?:{})$", alts.join("|"))
}

/// The global rate-limit rules of one subscriber: its plan's rate limit, and its quota.
fn rules(credentials: &[&str], plan: &PlanSpec) -> Vec<Value> {
    let selector = json!([{"headers": [{
        "name": CLIENT_HEADER,
        "type": "RegularExpression",
        "value": one_of(credentials),
    }]}]);
    let mut out = vec![json!({
        "clientSelectors": selector,
        "limit": {"requests": plan.rate_limit.requests, "unit": rate_unit(plan.rate_limit.per)},
    })];
    if let Some(q) = plan.quota {
        out.push(json!({
            "clientSelectors": selector,
            "limit": {"requests": q.requests, "unit": quota_unit(q.per)},
        }));
    }
    out
}

/// Renders the manifests into the folder `path`.
pub fn render(
    program: &Program,
    today: Date,
    environment: Environment,
    output: &OutputSpec,
    path: &str,
) -> Result<Vec<RenderedFile>, RenderError> {
    let gw = Gateway::new(program, environment, today);
    let env = environment.as_str();
    let prog = program.name();
    let store = output.secret_store.clone().unwrap_or_else(k8s::default_store);
    let mut files = Vec::new();
    // Each served product's route, then the credentials each route namespace may hold: those
    // of the subscribers of the products routed there, and no others.
    let mut routes = Vec::with_capacity(gw.products.len());
    for p in &gw.products {
        let route = p
            .product
            .spec
            .environments
            .get(environment)
            .and_then(|e| e.route.as_ref())
            .ok_or_else(|| {
                RenderError::Output(format!(
                    "output `{}`: product `{}` has no `environments.{env}.route`, the HTTPRoute the envoy-gateway policies attach to",
                    output.path, p.name
                ))
            })?;
        routes.push(route);
    }
    let mut in_namespace: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (p, route) in gw.products.iter().zip(&routes) {
        let held = in_namespace.entry(route.namespace.as_str()).or_default();
        for (partner, _) in gw.subscribers(p.name) {
            held.extend(partner.credentials.iter().map(|c| c.id.0.as_str()));
        }
    }
    for (p, route) in gw.products.iter().zip(&routes) {
        let held = &in_namespace[route.namespace.as_str()];
        let target = json!([{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": route.name}]);
        let labels = k8s::labels(prog, env, &[(k8s::PRODUCT_LABEL, p.name)]);
        let subscribers = gw.subscribers(p.name);
        let allowed: Vec<&str> = subscribers
            .iter()
            .flat_map(|(partner, _)| partner.credentials.iter().map(|c| c.id.0.as_str()))
            .collect();
        let allow_rules: Vec<Value> = if allowed.is_empty() {
            Vec::new()
        } else {
            vec![json!({
                "name": "subscribers",
                "action": "Allow",
                "principal": {"headers": [{"name": CLIENT_HEADER, "values": allowed}]},
            })]
        };
        let name = k8s::subdomain(&[p.name]);
        let policy = json!({
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "SecurityPolicy",
            "metadata": {"name": name, "namespace": route.namespace, "labels": labels},
            "spec": {
                "targetRefs": target,
                "apiKeyAuth": {
                    "credentialRefs": held
                        .iter()
                        .map(|c| json!({"group": "", "kind": "Secret", "name": secret_name(c)}))
                        .collect::<Vec<_>>(),
                    "extractFrom": [{"headers": [KEY_HEADER]}],
                    "forwardClientIDHeader": CLIENT_HEADER,
                    "sanitize": true,
                },
                "authorization": {"defaultAction": "Deny", "rules": allow_rules},
            },
        });
        files.push(k8s::manifest(path, &format!("securitypolicy-{name}.yaml"), &policy));
        let limit_rules: Vec<Value> = subscribers
            .iter()
            .filter(|(partner, _)| !partner.credentials.is_empty())
            .flat_map(|(partner, plan)| {
                let ids: Vec<&str> = partner.credentials.iter().map(|c| c.id.0.as_str()).collect();
                rules(&ids, plan)
            })
            .collect();
        if !limit_rules.is_empty() {
            let btp = json!({
                "apiVersion": "gateway.envoyproxy.io/v1alpha1",
                "kind": "BackendTrafficPolicy",
                "metadata": {"name": name, "namespace": route.namespace, "labels": labels},
                "spec": {
                    "targetRefs": target,
                    "rateLimit": {"type": "Global", "global": {"rules": limit_rules}},
                },
            });
            files.push(k8s::manifest(path, &format!("backendtrafficpolicy-{name}.yaml"), &btp));
        }
    }
    for (ns, held) in &in_namespace {
        for partner in &gw.partners {
            for c in partner.credentials.iter().filter(|c| held.contains(c.id.0.as_str())) {
                let secret = secret_name(&c.id);
                let labels = k8s::labels(
                    prog,
                    env,
                    &[(k8s::PARTNER_LABEL, partner.name), (k8s::CREDENTIAL_LABEL, &c.id)],
                );
                let doc = k8s::external_secret(c, &secret, ns, &c.id, &store, labels, None);
                let file = k8s::subdomain(&["externalsecret", ns, &c.id]);
                files.push(k8s::manifest(path, &format!("{file}.yaml"), &doc));
            }
        }
    }
    Ok(k8s::with_kustomization(path, files))
}
