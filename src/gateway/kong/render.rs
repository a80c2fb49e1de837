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

use super::model::{Acl, Consumer, Deck, KeyCredential, Plugin, Route, Service};
use crate::access::{Gateway, path_regex};
use crate::diag::Location;
use crate::model::Program;
use crate::output::RenderError;
use crate::spec::{Date, Environment, KongMode, OutputSpec, PlanSpec, QuotaPolicy, QuotaUnit, RateUnit, RedisSpec};
use crate::template as templates;
use crate::template::data::Data;
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

/// The decK file of one environment, as the model, counting with `policy: local`.
pub fn deck(program: &Program, today: Date, environment: Environment) -> Deck {
    deck_with(program, today, environment, &Counters::Local)
}

/// Where the `rate-limiting` plugins of a file count (the output's `quotaPolicy`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Counters {
    Local,
    Cluster,
    Redis(RedisSpec),
}

impl Counters {
    /// The output's `quotaPolicy` and `redis`; `redis` without its settings cannot render,
    /// and `cluster` only where Kong has its database (its `mode`, [`KongMode::of`]): without
    /// one Kong's `rate-limiting` schema allows only `local` and `redis`
    /// (tests/external/FACTS.md §b).
    pub fn of(output: &OutputSpec) -> Result<Counters, RenderError> {
        match (output.quota_policy.unwrap_or_default(), &output.redis) {
            (QuotaPolicy::Local, None) => Ok(Counters::Local),
            (QuotaPolicy::Cluster, None) if !KongMode::of(output).allows_cluster_counters() => {
                Err(RenderError::Output(format!(
                    "output `{}`: `quotaPolicy: cluster` counts in Kong's database, but the output's mode is {} (Kong's rate-limiting accepts only local or redis there)",
                    output.path,
                    KongMode::of(output).as_str()
                )))
            }
            (QuotaPolicy::Cluster, None) => Ok(Counters::Cluster),
            (QuotaPolicy::Redis, Some(r)) => Ok(Counters::Redis(r.clone())),
            (QuotaPolicy::Redis, None) => Err(RenderError::Output(format!(
                "output `{}`: `quotaPolicy: redis` needs `redis: {{host, port}}`",
                output.path
            ))),
            (p, Some(_)) => Err(RenderError::Output(format!(
                "output `{}`: `redis` is only read with `quotaPolicy: redis`, not `{}`",
                output.path,
                p.as_str()
            ))),
        }
    }

    /// Sets `policy` (and `redis`) of a `rate-limiting` config.
    pub fn apply(&self, config: &mut Value) {
        let Value::Object(map) = config else { return };
        match self {
            Counters::Local => {
                map.insert("policy".into(), json!("local"));
            }
            Counters::Cluster => {
                map.insert("policy".into(), json!("cluster"));
            }
            Counters::Redis(r) => {
                map.insert("policy".into(), json!("redis"));
                let mut redis = Map::new();
                redis.insert("host".into(), json!(r.host));
                redis.insert("port".into(), json!(r.port));
                if let Some(d) = r.database {
                    redis.insert("database".into(), json!(d));
                }
                if let Some(t) = r.timeout {
                    redis.insert("timeout".into(), json!(t));
                }
                if let Some(p) = &r.password_ref {
                    // A vault reference, resolved by Kong: `password` is referenceable.
                    redis.insert("password".into(), json!(p));
                }
                map.insert("redis".into(), Value::Object(redis));
            }
        }
    }
}

/// [`deck`], with the counters of the output.
pub fn deck_with(program: &Program, today: Date, environment: Environment, counters: &Counters) -> Deck {
    let gw = Gateway::new(program, environment, today);
    let tag = select_tag(program, environment);
    // Sized exactly: a file of 100,000 consumers holds several lists of tags for each.
    let tags = |extra: &[String]| -> Vec<String> {
        let mut t = Vec::with_capacity(1 + extra.len());
        t.push(tag.clone());
        t.extend(extra.iter().cloned());
        t
    };
    let nowhere = || Location::new("", 1, 1);
    let mut deck = Deck::new("");
    deck.format_version = Some("3.0".to_string());
    deck.select_tags = vec![tag.clone()];
    deck.environment = Some(environment);
    for p in &gw.products {
        let product_tag = format!("product:{}", p.name);
        let mut used = std::collections::BTreeSet::new();
        let routes: Vec<Route> = p
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
                Route {
                    name: Some(name),
                    methods: r.methods.iter().map(|m| m.as_str().to_string()).collect(),
                    paths: vec![format!("~{}", regex.trim_start_matches('^'))],
                    strip_path: Some(false),
                    tags: tags(std::slice::from_ref(&product_tag)),
                    other_matches: Vec::new(),
                    at: nowhere(),
                }
            })
            .collect();
        deck.services.push(Service {
            name: p.name.to_string(),
            product: p.name.to_string(),
            url: Some(p.upstream.to_string()),
            tags: tags(std::slice::from_ref(&product_tag)),
            routes,
            at: nowhere(),
        });
        let service_plugin = |name: &str, config: Value| Plugin {
            name: name.to_string(),
            service: Some(p.name.to_string()),
            route: None,
            consumer: None,
            consumer_group: None,
            enabled: true,
            config: std::sync::Arc::new(config),
            tags: tags(&[]),
            at: nowhere(),
        };
        deck.plugins.push(service_plugin(
            "key-auth",
            json!({
                "key_names": [KEY_HEADER],
                "key_in_header": true,
                "key_in_query": false,
                "key_in_body": false,
                "hide_credentials": true,
            }),
        ));
        deck.plugins.push(service_plugin(
            "acl",
            json!({"allow": [p.name], "hide_groups_header": true}),
        ));
    }
    deck.consumers.reserve_exact(gw.partners.len());
    for p in &gw.partners {
        let partner_tag = format!("partner:{}", p.name);
        deck.consumers.push(Consumer {
            username: Some(p.name.to_string()),
            custom_id: Some(p.name.to_string()),
            tags: tags(std::slice::from_ref(&partner_tag)),
            credentials: p
                .credentials
                .iter()
                .enumerate()
                .map(|(i, c)| KeyCredential {
                    kong_id: None,
                    credential: Some(c.id.0.clone()),
                    key_reference: None,
                    key_variable: Some(key_variable(&c.id)),
                    tags: tags(&[format!("credential:{}", c.id)]),
                    created_at: None,
                    index: i + 1,
                    at: nowhere(),
                })
                .collect(),
            other_credentials: Vec::new(),
            acls: p
                .plans
                .iter()
                .map(|(product, plan)| Acl {
                    group: product.to_string(),
                    tags: tags(&[format!("plan:{}", plan.name)]),
                    at: nowhere(),
                })
                .collect(),
            groups: Vec::new(),
            created_at: None,
            at: nowhere(),
        });
    }
    // Every partner on a plan has the same limits: one config per plan, shared.
    let mut configs: std::collections::HashMap<*const PlanSpec, std::sync::Arc<Value>> =
        std::collections::HashMap::new();
    deck.plugins
        .reserve_exact(gw.partners.iter().map(|p| p.plans.len()).sum());
    for p in &gw.partners {
        for (product, plan) in &p.plans {
            let config = configs.entry(std::ptr::from_ref::<PlanSpec>(plan)).or_insert_with(|| {
                let mut c = rate_limiting_config(plan);
                counters.apply(&mut c);
                std::sync::Arc::new(c)
            });
            deck.plugins.push(Plugin {
                name: "rate-limiting".to_string(),
                service: Some(product.to_string()),
                route: None,
                consumer: Some(p.name.to_string()),
                consumer_group: None,
                enabled: true,
                config: std::sync::Arc::clone(config),
                tags: tags(&[format!("partner:{}", p.name), format!("plan:{}", plan.name)]),
                at: nowhere(),
            });
        }
    }
    deck
}

/// `shipments`, `/v1/shipments/{id}/labels` → `shipments-v1-shipments-id-labels`.
fn route_name(product: &str, path: &str) -> String {
    let slug = crate::template::filters::slug(path);
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
    output: &OutputSpec,
    env: &minijinja::Environment<'static>,
) -> Result<String, RenderError> {
    let counters = Counters::of(output)?;
    let ctx = minijinja::context! {
        environment => environment.as_str(),
        asOf => today.to_string(),
        // Comments get the program's name, never its display name, and through the comment
        // encoder: the rest of the file is the YAML serializer's.
        program => minijinja::context! {
            comment => crate::encode::text::escape(program.name()),
        },
        // The deck itself: the `yaml` filter writes it straight from the model.
        deck => Data::model(deck_with(program, today, environment, &counters)),
    };
    templates::render_value(env, "kong/kong.yaml.j2", ctx)
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

    #[test]
    fn counters() {
        let mut c = rate_limiting_config(&plan((10, RateUnit::Second), None));
        Counters::Redis(RedisSpec {
            host: "redis.kong.svc".into(),
            port: 6379,
            database: Some(2),
            timeout: None,
            password_ref: Some("{vault://env/kong-redis-password}".into()),
        })
        .apply(&mut c);
        assert_eq!(c["policy"], "redis");
        assert_eq!(
            c["redis"],
            json!({"host": "redis.kong.svc", "port": 6379, "database": 2, "password": "{vault://env/kong-redis-password}"})
        );
        Counters::Cluster.apply(&mut c);
        assert_eq!(c["policy"], "cluster");
    }
}
