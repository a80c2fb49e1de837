//! The audit of an Envoy Gateway cluster (`audit --gateway FILE` with a
//! `kubectl get securitypolicies,backendtrafficpolicies,externalsecrets -o yaml` list): who its
//! `SecurityPolicy`s let call each product and the limits its `BackendTrafficPolicy`s set,
//! against the program, with the findings of the decK audit (`gateway::kong::audit`).
//!
//! How the resources name program entities, as the `envoy-gateway` target writes them:
//! - a policy names its product by the `partnerctl.dev/product` label, else its name;
//! - `apiKeyAuth.credentialRefs` are Secret names; a Secret's credential is the
//!   `partnerctl.dev/credential` label of the ExternalSecret (or Secret) that makes it, else
//!   the name after `partnerctl-key-`. Envoy authenticates each key as the Secret's entry
//!   name, the credential id, forwarded in [`CLIENT_HEADER`];
//! - the `authorization` rules that `Allow` name credential ids in that header; a rule with
//!   no header principal, or `defaultAction: Allow`, lets every authenticated key through;
//! - a global rate-limit rule applies to the credentials its `clientSelectors` match
//!   (`Exact` or `RegularExpression` on [`CLIENT_HEADER`]; a selector on anything else is
//!   taken to match every credential), compared with the plan's rate limit and quota.
//!
//! A policy that does not target the product's HTTPRoute (`environments.<env>.route`) guards
//! something else and is not counted for the product; a served product no policy guards is
//! open to every call. No partner is named by these resources: a credential stands for its
//! owner.

use super::render::CLIENT_HEADER;
use crate::gateway::audit::{AuditCode, Finding};
use crate::gateway::kubernetes::{self as k8s, AuditContext, Manifest, Manifests};
use crate::model::Partner;
use crate::spec::{PlanSpec, QuotaUnit, RateUnit, RouteRefSpec};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const KINDS: [&str; 2] = ["SecurityPolicy", "BackendTrafficPolicy"];

fn product_of(m: &Manifest) -> String {
    m.label_value(k8s::PRODUCT_LABEL).unwrap_or(&m.name).to_string()
}

/// `50/second`, `10000/day`: a plan's limits as Envoy Gateway rules carry them.
fn plan_limits(plan: &PlanSpec) -> BTreeSet<String> {
    let rate = match plan.rate_limit.per {
        RateUnit::Second => "second",
        RateUnit::Minute => "minute",
        RateUnit::Hour => "hour",
        RateUnit::Day => "day",
    };
    let mut out = BTreeSet::from([format!("{}/{rate}", plan.rate_limit.requests)]);
    if let Some(q) = plan.quota {
        let unit = match q.per {
            QuotaUnit::Day => "day",
            QuotaUnit::Month => "month",
        };
        out.insert(format!("{}/{unit}", q.requests));
    }
    out
}

/// Whether a header match on the credential header lets `id` through. A hostile pattern is
/// compiled with a size limit; one that does not compile matches nothing.
fn header_matches(h: &Value, id: &str) -> bool {
    let value = h["value"].as_str().unwrap_or_default();
    match h["type"].as_str().unwrap_or("Exact") {
        "Exact" => value == id,
        "RegularExpression" => regex::RegexBuilder::new(value)
            .size_limit(1 << 20)
            .build()
            .is_ok_and(|re| re.is_match(id)),
        _ => true,
    }
}

/// Whether a rate-limit rule applies to credential `id`.
fn rule_applies(rule: &Value, id: &str) -> bool {
    let selectors = rule["clientSelectors"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if selectors.is_empty() {
        return true;
    }
    selectors.iter().any(|s| {
        s["headers"].as_array().into_iter().flatten().all(|h| {
            !h["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(CLIENT_HEADER))
                || header_matches(h, id)
        })
    })
}

/// The HTTPRoute the program names for a product in the audited environment.
fn route_of(ctx: &AuditContext<'_>, product: &str) -> Option<RouteRefSpec> {
    let env = ctx.environment?;
    ctx.program.product(product)?.spec.environments.get(env)?.route.clone()
}

/// Whether a policy attaches to the route (in the route's namespace, by `targetRefs` or the
/// older `targetRef`).
fn targets(policy: &Manifest, route: &RouteRefSpec) -> bool {
    if policy.namespace.as_deref() != Some(route.namespace.as_str()) {
        return false;
    }
    let spec = &policy.body["spec"];
    let refs = spec["targetRefs"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(std::iter::once(&spec["targetRef"]));
    refs.into_iter()
        .any(|r| r["kind"] == "HTTPRoute" && r["name"].as_str() == Some(route.name.as_str()))
}

/// Compares the manifests with the program.
pub fn audit(ctx: &mut AuditContext<'_>, m: &Manifests) {
    for k in KINDS {
        for r in m.of(k) {
            ctx.unmanaged(r);
        }
    }
    let secrets = m.secret_credentials();
    let gateway = ctx.gateway();
    // product → the credentials its SecurityPolicy lets through.
    let mut allowed_by_product: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut authenticated: BTreeSet<String> = BTreeSet::new();
    let mut reach: BTreeMap<String, (&Partner, BTreeSet<String>, &Manifest)> = BTreeMap::new();

    for sp in m.of("SecurityPolicy") {
        let product = product_of(sp);
        // A policy on another route than the product's protects something else: its
        // allow-list says nothing about who may call the product.
        if let Some(route) = route_of(ctx, &product)
            && !targets(sp, &route)
        {
            ctx.push(
                Finding::new(
                    AuditCode::AccessBeyondProgram,
                    format!(
                        "{} is for product {product} but does not target its HTTPRoute {}/{}, so it does not guard the product",
                        sp.label(),
                        route.namespace,
                        route.name
                    ),
                ),
                sp,
            );
            continue;
        }
        let refs: Vec<String> = sp.body["spec"]["apiKeyAuth"]["credentialRefs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str())
            .map(|s| m.credential_of(&secrets, s))
            .collect();
        authenticated.extend(refs.iter().cloned());
        let auth = &sp.body["spec"]["authorization"];
        let mut allowed: BTreeSet<String> = BTreeSet::new();
        let mut everyone = auth["defaultAction"].as_str() == Some("Allow");
        for rule in auth["rules"].as_array().into_iter().flatten() {
            if rule["action"].as_str() != Some("Allow") {
                continue;
            }
            let headers: Vec<&Value> = rule["principal"]["headers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|h| {
                    h["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(CLIENT_HEADER))
                })
                .collect();
            if headers.is_empty() {
                everyone = true;
            }
            for h in headers {
                allowed.extend(
                    h["values"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_string),
                );
            }
        }
        if everyone {
            allowed.extend(refs.iter().cloned());
        }
        // Each credential once per policy, whether it authenticates, is allowed, or both.
        let named: BTreeSet<&String> = refs.iter().chain(allowed.iter()).collect();
        for id in named {
            let place = match (refs.contains(id), allowed.contains(id)) {
                (true, true) => "apiKeyAuth and authorization",
                (true, false) => "apiKeyAuth",
                _ => "authorization allow-list",
            };
            let Some(owner) = ctx.credential(id, None, sp, place) else {
                continue;
            };
            if allowed.contains(id) {
                let how = if everyone {
                    format!("{} lets every authenticated key through", sp.label())
                } else {
                    format!("{} allows its credential {id}", sp.label())
                };
                ctx.access(owner, &product, sp, &how, None);
                reach
                    .entry(owner.name.clone())
                    .or_insert_with(|| (owner, BTreeSet::new(), sp))
                    .1
                    .insert(product.clone());
            }
        }
        allowed_by_product.entry(product).or_default().extend(allowed);
    }
    for (partner, products, sp) in reach.values() {
        let products: BTreeSet<&str> = products.iter().map(String::as_str).collect();
        ctx.terms(partner, &products, sp, None);
    }

    let Some(g) = gateway else { return };
    let env = g.environment;
    let btps: BTreeMap<String, &Manifest> = m.of("BackendTrafficPolicy").map(|b| (product_of(b), b)).collect();
    for p in &g.products {
        let allowed = allowed_by_product.get(p.name);
        if allowed.is_none() {
            let route = route_of(ctx, p.name)
                .map(|r| format!("{}/{}", r.namespace, r.name))
                .unwrap_or_else(|| "(none in the program)".into());
            ctx.findings.push(Finding::new(
                AuditCode::AccessBeyondProgram,
                format!(
                    "no SecurityPolicy guards product {} in {env} (HTTPRoute {route}): Envoy Gateway lets every call to it through",
                    p.name
                ),
            ));
            continue;
        }
        for (partner, plan) in g.subscribers(p.name) {
            // The rules are per partner: one finding per partner and product.
            let mut limits_reported = false;
            for c in &partner.credentials {
                if !allowed.is_some_and(|a| a.contains(&c.id.0)) {
                    let why = if allowed.is_none() {
                        format!("there is no SecurityPolicy for {}", p.name)
                    } else {
                        format!("the SecurityPolicy of {} does not allow it", p.name)
                    };
                    ctx.missing(
                        partner.name,
                        Some(&c.id),
                        format!(
                            "credential {} of partner {} may call {} in {env} in the program but {why}",
                            c.id, partner.name, p.name
                        ),
                    );
                    continue;
                }
                if !authenticated.contains(&c.id.0) {
                    ctx.missing(
                        partner.name,
                        Some(&c.id),
                        format!(
                            "credential {} of partner {} gives {env} access in the program but no SecurityPolicy's apiKeyAuth reads its Secret",
                            c.id, partner.name
                        ),
                    );
                }
                if limits_reported {
                    continue;
                }
                let expected = plan_limits(plan);
                let Some(btp) = btps.get(p.name) else {
                    ctx.limits(
                        partner.name,
                        format!(
                            "credential {} of partner {} calls {} with no BackendTrafficPolicy, but plan {} says {}",
                            c.id,
                            partner.name,
                            p.name,
                            plan.name,
                            expected.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                        None,
                    );
                    limits_reported = true;
                    continue;
                };
                let actual: BTreeSet<String> = btp.body["spec"]["rateLimit"]["global"]["rules"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|r| rule_applies(r, &c.id))
                    .filter_map(|r| {
                        let n = r["limit"]["requests"].as_u64()?;
                        let unit = r["limit"]["unit"].as_str()?.to_ascii_lowercase();
                        Some(format!("{n}/{unit}"))
                    })
                    .collect();
                if actual != expected {
                    limits_reported = true;
                    let said = if actual.is_empty() {
                        "no limit".to_string()
                    } else {
                        actual.into_iter().collect::<Vec<_>>().join(", ")
                    };
                    ctx.limits(
                        partner.name,
                        format!(
                            "{} limits credential {} of partner {} on {} to {said} but plan {} says {}",
                            btp.label(),
                            c.id,
                            partner.name,
                            p.name,
                            plan.name,
                            expected.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                        Some(btp),
                    );
                }
            }
        }
    }
}
