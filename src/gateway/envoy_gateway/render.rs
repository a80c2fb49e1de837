//! The `envoy-gateway` target: Kubernetes manifests for one environment, in the output's
//! folder, delivered by Argo CD or Flux (docs/kubernetes.md).
//!
//! - per served product a `SecurityPolicy` on the product's `HTTPRoute`
//!   (`environments.<env>.route`): `apiKeyAuth` with the live credentials of the subscribers
//!   of the products routed in the route's namespace (the key in the `x-api-key` header, the
//!   credential id forwarded in [`CLIENT_HEADER`]), and an `authorization` allow-list of the
//!   credentials of the product's subscribers (deny by default; one rule per 256 ids, the
//!   CRD's limit): an unknown key gets 401, a known key of a partner not subscribed gets 403,
//!   as on NGINX (a key whose Secret is not in that namespace at all is unknown there, so 401);
//! - per product with subscribers a `BackendTrafficPolicy` with global rate-limit rules, for
//!   every subscriber its plan's rate limit and quota, each partner in its own bucket (see
//!   [`limit_rules`]). Envoy Gateway applies one BackendTrafficPolicy per route (a second on
//!   the same route is `Conflicted`), so the plans of a product share one policy, labelled
//!   with the product, and two products cannot share a route ([`shared_routes`]);
//! - per route namespace, an external-secrets `ExternalSecret` for each credential of a
//!   partner subscribed to a product routed there, producing the Secret the SecurityPolicy
//!   reads (`<credential id>: <key>`), from the credential's `secretRef` in the output's
//!   `secretStore`. A namespace gets the keys of its products' subscribers only: a team's
//!   namespace never holds another product's partners' keys, and a product without
//!   subscribers brings none. The key never passes through partnerctl;
//! - a `kustomization.yaml` listing them.

use crate::access::{Gateway, GatewayPartner, GatewayProduct};
use crate::gateway::kubernetes::{self as k8s, Doc};
use crate::model::Program;
use crate::output::{RenderError, RenderedFile};
use crate::spec::{Date, Environment, OutputSpec, PlanSpec, QuotaUnit, RateUnit, RouteRefSpec};
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

/// A credential id as a pattern: ids are names (`[a-z0-9-]`), which RE2 reads literally
/// outside a class; anything else is escaped.
fn literal(id: &str) -> String {
    if id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        id.to_string()
    } else {
        regex::escape(id)
    }
}

/// `^acme-prd-(?:1|2)$` for the credential ids `acme-prd-1`, `acme-prd-2` (sorted): their
/// common beginning once, then the alternatives, so that a partner's ids fit the CRD's
/// 1024 characters of a header value as often as they can.
pub fn one_of(ids: &[&str]) -> String {
    let Some(first) = ids.first() else {
        return "^$".to_string();
    };
    let mut common = first.len();
    for id in &ids[1..] {
        common = common.min(first.bytes().zip(id.bytes()).take_while(|(a, b)| a == b).count());
    }
    while !first.is_char_boundary(common) {
        common -= 1;
    }
    if ids.len() == 1 {
        return format!("^{}$", literal(first));
    }
    let alts: Vec<String> = ids.iter().map(|i| literal(&i[common..])).collect();
    format!("^{}(?:{})$", literal(&first[..common]), alts.join("|"))
}

/// The rule of one limit for the callers `selector` picks.
fn rule(selector: &[Value], requests: u64, unit: &str) -> Value {
    json!({"clientSelectors": [{"headers": selector}], "limit": {"requests": requests, "unit": unit}})
}

/// The plan's limits (its rate limit, and its quota) for the callers `selector` picks.
fn plan_rules(selector: &[Value], plan: &PlanSpec) -> Vec<Value> {
    let mut out = vec![rule(selector, plan.rate_limit.requests, rate_unit(plan.rate_limit.per))];
    if let Some(q) = plan.quota {
        out.push(rule(selector, q.requests, quota_unit(q.per)));
    }
    out
}

/// Splits `ids` into runs whose [`one_of`] pattern fits a header value.
fn chunks<'a>(ids: &[&'a str]) -> Vec<Vec<&'a str>> {
    let mut out: Vec<Vec<&'a str>> = Vec::new();
    let mut current: Vec<&'a str> = Vec::new();
    for id in ids {
        current.push(id);
        if current.len() > 1 && one_of(&current).len() > k8s::limits::MAX_HEADER_VALUE {
            current.pop();
            out.push(std::mem::take(&mut current));
            current.push(id);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The global rate-limit rules of a product's subscribers, each partner limited by its own
/// plan in its own bucket (a partner's credentials share it, as Kong counts per consumer).
///
/// A rule's header matches make one counter unless one is `Distinct`, which makes one per
/// header value (Envoy Gateway `buildRateLimitServiceDescriptors`, tests/external/FACTS.md
/// §f). So the subscribers of a plan that hold one credential share one rule per limit,
/// matched by a pattern of their ids and counted per id (`Distinct`), which is per partner;
/// a partner with several credentials gets its own rules, matched by a pattern of its ids
/// and counted together. That keeps a product of hundreds of subscribers within the CRD's
/// 256 rules (and each pattern within its 1024 characters).
/// The subscribers of one plan: the ids of those with one credential, and the ids of each
/// with several.
type PlanHolders<'a> = (&'a PlanSpec, Vec<&'a str>, Vec<Vec<&'a str>>);

fn limit_rules(subscribers: &[(&GatewayPartner<'_>, &PlanSpec)]) -> Vec<Value> {
    let mut by_plan: Vec<PlanHolders<'_>> = Vec::new();
    for (partner, plan) in subscribers {
        let ids: Vec<&str> = partner.credentials.iter().map(|c| c.id.0.as_str()).collect();
        if ids.is_empty() {
            continue;
        }
        let at = match by_plan.iter().position(|(p, _, _)| p.name == plan.name) {
            Some(i) => i,
            None => {
                by_plan.push((plan, Vec::new(), Vec::new()));
                by_plan.len() - 1
            }
        };
        if ids.len() == 1 {
            by_plan[at].1.push(ids[0]);
        } else {
            by_plan[at].2.push(ids);
        }
    }
    by_plan.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let header = |pattern: String| json!({"name": CLIENT_HEADER, "type": "RegularExpression", "value": pattern});
    let mut out = Vec::new();
    for (plan, mut singles, several) in by_plan {
        singles.sort_unstable();
        for chunk in chunks(&singles) {
            let selector = [
                header(one_of(&chunk)),
                json!({"name": CLIENT_HEADER, "type": "Distinct"}),
            ];
            out.extend(plan_rules(&selector, plan));
        }
        for ids in several {
            out.extend(plan_rules(&[header(one_of(&ids))], plan));
        }
    }
    out
}

/// The `authorization` rules allowing `allowed`, at most 256 ids a rule (the CRD's limit on a
/// principal header's values); rules are alternatives, so the union is allowed.
fn allow_rules(allowed: &[&str]) -> Vec<Value> {
    let groups: Vec<&[&str]> = allowed.chunks(k8s::limits::MAX_PRINCIPAL_VALUES).collect();
    groups
        .iter()
        .enumerate()
        .map(|(i, ids)| {
            let name = if groups.len() == 1 {
                "subscribers".to_string()
            } else {
                format!("subscribers-{}", i + 1)
            };
            json!({
                "name": name,
                "action": "Allow",
                "principal": {"headers": [{"name": CLIENT_HEADER, "values": ids}]},
            })
        })
        .collect()
}

/// Products of the environment that name the same HTTPRoute: Envoy Gateway applies one
/// SecurityPolicy (and one BackendTrafficPolicy) per route and marks the others
/// `Conflicted` (tests/external/FACTS.md §f), so one product's subscribers would pass on the
/// other's paths. Each (namespace, route) with the products that share it.
pub fn shared_routes<'a>(
    products: &[GatewayProduct<'a>],
    environment: Environment,
) -> Vec<(&'a RouteRefSpec, Vec<&'a str>)> {
    let mut by_route: BTreeMap<(&str, &str), (&'a RouteRefSpec, Vec<&'a str>)> = BTreeMap::new();
    for p in products {
        if let Some(route) = p
            .product
            .spec
            .environments
            .get(environment)
            .and_then(|e| e.route.as_ref())
        {
            by_route
                .entry((route.namespace.as_str(), route.name.as_str()))
                .or_insert_with(|| (route, Vec::new()))
                .1
                .push(p.name);
        }
    }
    by_route.into_values().filter(|(_, names)| names.len() > 1).collect()
}

/// The manifests of the output, as data (see [`k8s::limits`]), handed to `emit` as they are
/// made (each partner's Secrets as a unit of [`k8s::limits::Emit::each`]), so that nobody
/// needs to hold them all.
pub fn documents(
    program: &Program,
    today: Date,
    environment: Environment,
    output: &OutputSpec,
    emit: &mut dyn k8s::limits::Emit,
) -> Result<(), RenderError> {
    let gw = Gateway::new(program, environment, today);
    let env = environment.as_str();
    let prog = program.name();
    let store = output.secret_store.clone().unwrap_or_else(k8s::default_store);
    if let Some((route, names)) = shared_routes(&gw.products, environment).first() {
        return Err(RenderError::Output(format!(
            "output `{}`: products {} share the HTTPRoute {}/{}; Envoy Gateway applies one SecurityPolicy per route and marks the others Conflicted",
            output.path,
            names.join(", "),
            route.namespace,
            route.name
        )));
    }
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
                "authorization": {"defaultAction": "Deny", "rules": allow_rules(&allowed)},
            },
        });
        emit.one(Doc::new(format!("securitypolicy-{name}.yaml"), policy));
        let limit_rules = limit_rules(&subscribers);
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
            emit.one(Doc::new(format!("backendtrafficpolicy-{name}.yaml"), btp));
        }
    }
    for (ns, held) in &in_namespace {
        // Each partner's Secrets are made from that partner alone.
        emit.each(gw.partners.len(), &|i, emit| {
            let partner = &gw.partners[i];
            for c in partner.credentials.iter().filter(|c| held.contains(c.id.0.as_str())) {
                let secret = secret_name(&c.id);
                let labels = k8s::labels(
                    prog,
                    env,
                    &[(k8s::PARTNER_LABEL, partner.name), (k8s::CREDENTIAL_LABEL, &c.id)],
                );
                let doc = k8s::external_secret(c, &secret, ns, &c.id, &store, labels, None);
                let file = k8s::subdomain(&["externalsecret", ns, &c.id]);
                emit(Doc::new(format!("{file}.yaml"), doc));
            }
        });
    }
    Ok(())
}

/// Renders the manifests into the folder `path`; nothing when the cluster would refuse one.
pub fn render(
    program: &Program,
    today: Date,
    environment: Environment,
    output: &OutputSpec,
    path: &str,
) -> Result<Vec<RenderedFile>, RenderError> {
    k8s::limits::finish(&output.path, path, |emit| {
        documents(program, today, environment, output, emit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_name_exactly_their_ids_and_fit_a_header_value() {
        let p = one_of(&["acme-prd-1", "acme-prd-2"]);
        assert_eq!(p, "^acme-prd-(?:1|2)$");
        let re = regex::Regex::new(&p).unwrap();
        assert!(re.is_match("acme-prd-1") && re.is_match("acme-prd-2"));
        assert!(!re.is_match("acme-prd-12") && !re.is_match("acme-prd-"));
        assert_eq!(one_of(&["a"]), "^a$");
        let re = regex::Regex::new(&one_of(&["ab", "abc"])).unwrap();
        assert!(re.is_match("ab") && re.is_match("abc") && !re.is_match("a"));
        let ids: Vec<String> = (0..300).map(|i| format!("{}{i:03}", "x".repeat(60))).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let parts = chunks(&ids);
        assert!(parts.len() > 1);
        assert_eq!(parts.iter().map(Vec::len).sum::<usize>(), 300);
        for part in &parts {
            assert!(one_of(part).len() <= k8s::limits::MAX_HEADER_VALUE);
        }
    }
}
