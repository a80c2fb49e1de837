//! The `kong` target: a decK declarative file (`_format_version: "3.0"`) for one environment.
//!
//! A service per served product (its upstream as `url`), a route per endpoint path (an
//! anchored regular expression and its methods), `key-auth` and an `acl` allow-list on each
//! service; a consumer per partner with access (`username` and `custom_id` = the partner's
//! name), its ACL groups from its subscriptions and its live credentials; and a
//! `rate-limiting` plugin per consumer and service with the plan's rate limit and quota.
//!
//! Keys are never in the file. Kong cannot resolve a vault reference in a key-auth `key`
//! (the field is not referenceable, so `{vault://…}` would become the literal key), so each
//! credential's key is decK's environment substitution `${{ env "DECK_PARTNERCTL_KEY_<ID>" }}`,
//! filled in by `deck gateway sync` at deploy time. The variable name derives from the
//! credential id, never from its `secretRef`.

use super::access::{Gateway, path_regex};
use super::{RenderError, templates};
use crate::model::Program;
use crate::spec::{Date, Environment, PlanSpec, QuotaUnit, RateUnit};
use serde_json::{Map, Value, json};

/// The header partners send their key in, as Kong matches it (header names are
/// case-insensitive).
pub const KEY_HEADER: &str = "x-api-key";

/// The environment variable decK reads a credential's key from: `acme-prd-2` →
/// `DECK_PARTNERCTL_KEY_ACME_PRD_2`.
pub fn key_variable(credential_id: &str) -> String {
    let id: String = credential_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("DECK_PARTNERCTL_KEY_{id}")
}

/// The tag decK selects this file's entities by (`_info.select_tags`).
pub fn select_tag(program: &Program, environment: Environment) -> String {
    format!("partnerctl-{}-{}", program.name(), environment.as_str())
}

/// The decK document as data.
pub fn deck(program: &Program, today: Date, environment: Environment) -> Value {
    let gw = Gateway::new(program, environment, today);
    let tag = select_tag(program, environment);
    let tags = |extra: &[String]| -> Value {
        let mut t = vec![tag.clone()];
        t.extend(extra.iter().cloned());
        json!(t)
    };
    let services: Vec<Value> = gw
        .products
        .iter()
        .map(|p| {
            let product_tag = format!("product:{}", p.name);
            let mut used = std::collections::BTreeSet::new();
            let routes: Vec<Value> = p
                .routes
                .iter()
                .map(|r| {
                    let mut name = route_name(p.name, &r.path);
                    if !used.insert(name.clone()) {
                        let mut i = 2;
                        while !used.insert(format!("{name}-{i}")) {
                            i += 1;
                        }
                        name = format!("{name}-{i}");
                    }
                    let regex = path_regex(&r.path);
                    json!({
                        "name": name,
                        "methods": r.methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                        "paths": [format!("~{}", regex.trim_start_matches('^'))],
                        "strip_path": false,
                        "tags": tags(std::slice::from_ref(&product_tag)),
                    })
                })
                .collect();
            json!({
                "name": p.name,
                "url": p.upstream,
                "tags": tags(std::slice::from_ref(&product_tag)),
                "routes": routes,
                "plugins": [
                    {
                        "name": "key-auth",
                        "config": {
                            "key_names": [KEY_HEADER],
                            "key_in_header": true,
                            "key_in_query": false,
                            "key_in_body": false,
                            "hide_credentials": true,
                        },
                        "tags": tags(&[]),
                    },
                    {
                        "name": "acl",
                        "config": {"allow": [p.name], "hide_groups_header": true},
                        "tags": tags(&[]),
                    },
                ],
            })
        })
        .collect();
    let consumers: Vec<Value> = gw
        .partners
        .iter()
        .map(|p| {
            let partner_tag = format!("partner:{}", p.name);
            json!({
                "username": p.name,
                "custom_id": p.name,
                "tags": tags(std::slice::from_ref(&partner_tag)),
                "acls": p.plans.iter().map(|(product, plan)| json!({
                    "group": product,
                    "tags": tags(&[format!("plan:{}", plan.name)]),
                })).collect::<Vec<_>>(),
                "keyauth_credentials": p.credentials.iter().map(|c| json!({
                    "key": format!("${{{{ env \"{}\" }}}}", key_variable(&c.id)),
                    "tags": tags(&[format!("credential:{}", c.id)]),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut plugins = Vec::new();
    for p in &gw.partners {
        for (product, plan) in &p.plans {
            plugins.push(json!({
                "name": "rate-limiting",
                "consumer": p.name,
                "service": product,
                "config": rate_limiting_config(plan),
                "tags": tags(&[format!("partner:{}", p.name), format!("plan:{}", plan.name)]),
            }));
        }
    }
    json!({
        "_format_version": "3.0",
        "_info": {"select_tags": [tag]},
        "services": services,
        "consumers": consumers,
        "plugins": plugins,
    })
}

/// `shipments`, `/v1/shipments/{id}/labels` → `shipments-v1-shipments-id-labels`.
fn route_name(product: &str, path: &str) -> String {
    let slug = super::filters::slug(path);
    if slug.is_empty() {
        format!("{product}-root")
    } else {
        format!("{product}-{slug}")
    }
}

/// The `rate-limiting` config of a plan: its rate limit and quota as Kong windows.
///
/// Kong refuses a smaller window with a higher limit than a larger one (10 per minute
/// and 5 per hour), so a quota stricter than the rate also caps the rate's window.
pub fn rate_limiting_config(plan: &PlanSpec) -> Value {
    const WINDOWS: [&str; 5] = ["second", "minute", "hour", "day", "month"];
    let mut limits: [Option<u64>; 5] = [None; 5];
    let rate_at = match plan.rate_limit.per {
        RateUnit::Second => 0,
        RateUnit::Minute => 1,
        RateUnit::Hour => 2,
        RateUnit::Day => 3,
    };
    limits[rate_at] = Some(plan.rate_limit.requests);
    if let Some(q) = plan.quota {
        let at = match q.per {
            QuotaUnit::Day => 3,
            QuotaUnit::Month => 4,
        };
        limits[at] = Some(limits[at].map_or(q.requests, |r| r.min(q.requests)));
    }
    let mut cap = u64::MAX;
    for v in limits.iter_mut().rev().flatten() {
        *v = (*v).min(cap);
        cap = *v;
    }
    let mut config = Map::new();
    for (w, l) in WINDOWS.iter().zip(limits) {
        if let Some(v) = l {
            config.insert((*w).to_string(), json!(v));
        }
    }
    config.insert("limit_by".into(), json!("consumer"));
    config.insert("policy".into(), json!("local"));
    config.insert("fault_tolerant".into(), json!(true));
    Value::Object(config)
}

/// Renders the decK file through `kong/kong.yaml.j2`.
pub fn render(
    program: &Program,
    today: Date,
    environment: Environment,
    env: &minijinja::Environment<'static>,
) -> Result<String, RenderError> {
    let ctx = json!({
        "environment": environment.as_str(),
        "asOf": today.to_string(),
        // Comments get the program's name, never its display name, and through the comment
        // encoder: the rest of the file is the YAML serializer's.
        "program": {"comment": super::encode::comment_text(program.name())},
        "deck": deck(program, today, environment),
    });
    templates::render(env, "kong/kong.yaml.j2", ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Name, Quota, RateLimit};

    fn plan(rate: (u64, RateUnit), quota: Option<(u64, QuotaUnit)>) -> PlanSpec {
        PlanSpec {
            name: Name("p".into()),
            rate_limit: RateLimit {
                requests: rate.0,
                per: rate.1,
            },
            quota: quota.map(|(requests, per)| Quota { requests, per }),
            environments: vec![Environment::Sandbox],
        }
    }

    #[test]
    fn windows() {
        let c = rate_limiting_config(&plan((10, RateUnit::Second), Some((10_000, QuotaUnit::Day))));
        assert_eq!(c["second"], 10);
        assert_eq!(c["day"], 10_000);
        let c = rate_limiting_config(&plan((500, RateUnit::Minute), Some((100, QuotaUnit::Day))));
        assert_eq!(c["minute"], 100, "a quota stricter than the rate caps it");
        let c = rate_limiting_config(&plan((5000, RateUnit::Day), Some((1000, QuotaUnit::Day))));
        assert_eq!(c["day"], 1000);
        assert_eq!(key_variable("acme-prd-2"), "DECK_PARTNERCTL_KEY_ACME_PRD_2");
    }
}
