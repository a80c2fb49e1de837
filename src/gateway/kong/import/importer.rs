//! Reading decK files into drafts of products and partners, and the to-do list of what the
//! program cannot hold: every consumer, credential, plugin and leftover of the dump is
//! either carried into a draft or noted, with its line in the decK file.

use super::convert::*;
use super::report::*;
use crate::gateway::kong::mapping::{self, Mapping};
use crate::gateway::kong::model::{Consumer, Deck, KeyCredential, Plugin, Service};
use crate::model::Program;
use crate::spec::{Date, Environment, Method, RateUnit};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) struct PlanDraft {
    pub(crate) limits: Limits,
    pub(crate) environments: BTreeSet<Environment>,
    /// Made up by the import (the gateway sets no limit), not read from it.
    pub(crate) invented: bool,
}

pub(crate) struct ProductDraft {
    pub(crate) services: BTreeSet<String>,
    pub(crate) upstreams: BTreeMap<Environment, String>,
    pub(crate) endpoints: Vec<(String, String)>,
    pub(crate) plans: BTreeMap<String, PlanDraft>,
    pub(crate) source: String,
}

pub(crate) struct CredentialDraft {
    pub(crate) id: String,
    pub(crate) environment: Environment,
    pub(crate) created: Date,
    pub(crate) secret_ref: String,
    pub(crate) label: Option<(String, String)>,
}

pub(crate) struct PartnerDraft {
    pub(crate) display: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) subscriptions: BTreeSet<(String, String, Environment)>,
    pub(crate) credentials: Vec<CredentialDraft>,
    pub(crate) source: String,
}

pub(crate) struct Importer<'a> {
    pub(crate) existing: &'a Program,
    pub(crate) mapping: Mapping<'a>,
    pub(crate) options: &'a ImportOptions,
    pub(crate) products: BTreeMap<String, ProductDraft>,
    pub(crate) partners: BTreeMap<String, PartnerDraft>,
    /// The partner name each consumer became, by `custom_id`/`username`.
    pub(crate) consumer_names: BTreeMap<String, String>,
    /// The names given so far (the values of `consumer_names`), to find a free one without
    /// scanning every consumer imported before.
    pub(crate) names_taken: std::collections::HashSet<String>,
    pub(crate) taken_ids: BTreeSet<String>,
    pub(crate) todo: BTreeSet<Todo>,
}

pub(crate) fn todo(
    consumer: Option<&Consumer>,
    kind: &str,
    file: Option<String>,
    message: String,
    at: Option<&crate::diag::Location>,
) -> Todo {
    Todo {
        consumer: consumer.map(Consumer::label),
        kind: kind.to_string(),
        file,
        message,
        source: at.map(|l| format!("{}:{}", l.file, l.line)),
    }
}

impl Importer<'_> {
    pub(crate) fn note(&mut self, t: Todo) {
        self.todo.insert(t);
    }

    /// The plan name of a rate-limiting plugin: a `plan:<name>` tag, a plan tag on the ACL
    /// entry that lets the consumer in, an ACL group `<product>-<plan>`, else the limit.
    pub(crate) fn plan_name(
        &self,
        product: &str,
        consumer: Option<&Consumer>,
        service: &Service,
        plugin: &Plugin,
        deck: &Deck,
        l: Limits,
    ) -> String {
        if let Some(p) = crate::gateway::kong::model::tag_value(&plugin.tags, &["partnerctl-plan", "plan"]) {
            return to_name(p);
        }
        if let Some(c) = consumer {
            let reaching: Vec<&str> = c
                .groups_of_acl()
                .filter(|g| deck.services_allowing(g).iter().any(|s| s.name == service.name))
                .collect();
            for g in &reaching {
                if let Some(plan) = c.acl_plan(g) {
                    return to_name(plan);
                }
            }
            for g in &reaching {
                for sep in ["-", ":", "."] {
                    if let Some(rest) = g.strip_prefix(&format!("{product}{sep}"))
                        && !rest.is_empty()
                    {
                        return to_name(rest);
                    }
                }
            }
        }
        // An existing plan of the product with the same limits keeps its name.
        if let Some(existing) = self.existing.products.get(product)
            && let Some(p) = existing.spec.plans.iter().find(|p| Limits::of_plan(p) == Some(l))
        {
            return p.name.0.clone();
        }
        l.name()
    }

    pub(crate) fn product(&mut self, deck: &Deck, env: Environment, s: &Service) {
        let name = to_name(&s.product);
        let file = Some(self.product_file(&name));
        let draft = self.products.entry(name.clone()).or_insert_with(|| ProductDraft {
            services: BTreeSet::new(),
            upstreams: BTreeMap::new(),
            endpoints: Vec::new(),
            plans: BTreeMap::new(),
            source: format!("{}:{}", deck.file, s.at.line),
        });
        draft.services.insert(s.name.clone());
        let mut notes = Vec::new();
        match &s.url {
            Some(u) if is_url(u) => {
                draft.upstreams.entry(env).or_insert_with(|| u.clone());
            }
            _ => {
                draft
                    .upstreams
                    .entry(env)
                    .or_insert_with(|| "http://upstream.invalid".to_string());
                notes.push(todo(None, "service", file.clone(), format!("the upstream of service {} in {env} is not an http(s) URL partnerctl can write; set spec.environments.{env}.upstream (now http://upstream.invalid)", s.name), Some(&s.at)));
            }
        }
        if !deck.has_auth(s) {
            notes.push(todo(None, "service", file.clone(), format!("service {} asks for no credential: every caller reaches it, and the import subscribes every consumer to it", s.name), Some(&s.at)));
        }
        for r in &s.routes {
            let route = r.name.as_deref().unwrap_or("?");
            let methods: Vec<String> = if r.methods.is_empty() {
                notes.push(todo(None, "route", file.clone(), format!("route {route} accepts every method; the import lists GET, POST, PUT, PATCH and DELETE, remove what is not offered"), Some(&r.at)));
                [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete]
                    .iter()
                    .map(|m| m.as_str().to_string())
                    .collect()
            } else {
                let (ok, other): (Vec<String>, Vec<String>) = r
                    .methods
                    .iter()
                    .cloned()
                    .partition(|m| ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&m.as_str()));
                if !other.is_empty() {
                    notes.push(todo(
                        None,
                        "route",
                        file.clone(),
                        format!(
                            "route {route} also accepts {}, which a product endpoint cannot list",
                            other.join(", ")
                        ),
                        Some(&r.at),
                    ));
                }
                ok
            };
            if !r.other_matches.is_empty() {
                notes.push(todo(
                    None,
                    "route",
                    file.clone(),
                    format!(
                        "route {route} also matches on {}, which a product endpoint cannot say",
                        r.other_matches.join(", ")
                    ),
                    Some(&r.at),
                ));
            }
            for p in &r.paths {
                let (path, exact) = endpoint_path(p);
                if !exact {
                    notes.push(todo(None, "route", file.clone(), format!("route {route} matches the regular expression or prefix `{p}`; the endpoint is written as `{path}`, the nearest plain path, so check what partners really call"), Some(&r.at)));
                }
                for m in &methods {
                    let e = (m.clone(), path.clone());
                    if !draft.endpoints.contains(&e) {
                        draft.endpoints.push(e);
                    }
                }
            }
        }
        // Service-wide limits are a plan of their own.
        let service_wide: Vec<&Plugin> = deck
            .plugins
            .iter()
            .filter(|p| {
                p.enabled
                    && p.name == "rate-limiting"
                    && p.service.as_deref() == Some(s.name.as_str())
                    && p.consumer.is_none()
                    && p.consumer_group.is_none()
                    && p.route.is_none()
            })
            .collect();
        for plugin in service_wide {
            if let Some(l) = limits(&plugin.config) {
                let plan = self.plan_name(&name, None, s, plugin, deck, l);
                self.add_plan(&name, &plan, l, env);
            }
        }
        for t in notes {
            self.note(t);
        }
    }

    pub(crate) fn add_plan(&mut self, product: &str, plan: &str, l: Limits, env: Environment) {
        if let Some(pd) = self.products.get_mut(product) {
            pd.plans
                .entry(plan.to_string())
                .or_insert_with(|| PlanDraft {
                    limits: l,
                    environments: BTreeSet::new(),
                    invented: false,
                })
                .environments
                .insert(env);
        }
    }

    /// Marks a plan of a draft as made up by the import.
    pub(crate) fn invented(&mut self, product: &str, plan: &str) {
        if let Some(d) = self.products.get_mut(product).and_then(|p| p.plans.get_mut(plan)) {
            d.invented = true;
        }
    }

    pub(crate) fn product_file(&self, name: &str) -> String {
        self.existing
            .products
            .get(name)
            .map(|p| p.file.clone())
            .unwrap_or_else(|| format!("products/{name}.yaml"))
    }

    pub(crate) fn partner_file(&self, name: &str) -> String {
        self.existing
            .partners
            .get(name)
            .map(|p| p.file.clone())
            .unwrap_or_else(|| format!("partners/{name}.yaml"))
    }

    /// The partner name a consumer becomes: the program's partner when the mapping finds
    /// one, else its `custom_id` (or `username`) made a name, unique in this import.
    pub(crate) fn partner_name(&mut self, c: &Consumer) -> Option<String> {
        let raw = c.partner_name()?.to_string();
        if let Some(n) = self.consumer_names.get(&raw) {
            return Some(n.clone());
        }
        let name = match self.mapping.partner(c) {
            Some(p) => p.name.clone(),
            None => {
                let base = to_name(&raw);
                let taken = |n: &str| self.names_taken.contains(n);
                let mut name = base.clone();
                let mut k = 2;
                while taken(&name) {
                    let suffix = format!("-{k}");
                    name = format!("{}{suffix}", &base[..base.len().min(63 - suffix.len())]);
                    k += 1;
                }
                name
            }
        };
        self.names_taken.insert(name.clone());
        self.consumer_names.insert(raw, name.clone());
        Some(name)
    }

    pub(crate) fn consumer(&mut self, deck: &Deck, env: Environment, c: &Consumer) {
        let Some(pname) = self.partner_name(c) else {
            self.note(todo(
                None,
                "consumer",
                None,
                "a consumer with neither username nor custom_id is not imported".to_string(),
                Some(&c.at),
            ));
            return;
        };
        let file = Some(self.partner_file(&pname));
        let existing = self.existing.partners.get(&pname);
        if !self.partners.contains_key(&pname) {
            let mut labels = BTreeMap::new();
            for (k, v) in mapping::consumer_labels(&pname, c) {
                if v == one_line(&v) {
                    labels.insert(k, v);
                } else {
                    self.note(todo(Some(c), "mapping", file.clone(), format!("the consumer's name holds control characters, which a label cannot; `audit` will not find partner {pname} from it"), Some(&c.at)));
                }
            }
            self.partners.insert(
                pname.clone(),
                PartnerDraft {
                    display: one_line(c.username.as_deref().or(c.custom_id.as_deref()).unwrap_or(&pname)),
                    labels,
                    subscriptions: BTreeSet::new(),
                    credentials: Vec::new(),
                    source: format!("{}:{}", deck.file, c.at.line),
                },
            );
        }
        let mut subscriptions = Vec::new();
        let mut notes = Vec::new();
        let mut invented = Vec::new();
        for s in deck.services_for(c) {
            let product = to_name(&s.product);
            let mut plan = None;
            // The most specific `rate-limiting` the program can hold; the others are reported
            // once, in `leftovers`.
            for plugin in deck.rate_limits_for(c, s) {
                if let ("rate-limiting", Some(l)) = (plugin.name.as_str(), limits(&plugin.config)) {
                    plan = Some((self.plan_name(&product, Some(c), s, plugin, deck, l), l));
                    break;
                }
            }
            let (plan, l) = match plan {
                Some(p) => p,
                None => {
                    // No limit the program can hold: the product's own plan for this
                    // environment if there is exactly one, else a `default` plan.
                    let existing_plan = existing.and_then(|p| {
                        p.spec
                            .subscriptions
                            .iter()
                            .find(|x| x.product.0 == product && x.environment == env)
                            .map(|x| x.plan.0.clone())
                    });
                    let name = existing_plan.unwrap_or_else(|| "default".to_string());
                    if name == "default" && self.existing.plan(&product, "default").is_none() {
                        notes.push(todo(None, "rate-limit", Some(self.product_file(&product)), format!("the gateway sets no rate limit for consumers of service {}; the import wrote a `default` plan of 10 requests a second, set the real limits", s.name), Some(&s.at)));
                        invented.push(product.clone());
                    }
                    let l = self
                        .existing
                        .plan(&product, &name)
                        .and_then(Limits::of_plan)
                        .unwrap_or(Limits {
                            rate: (10, RateUnit::Second),
                            quota: None,
                        });
                    (name, l)
                }
            };
            subscriptions.push((product, plan, l));
        }
        for (product, plan, l) in subscriptions {
            self.add_plan(&product, &plan, l, env);
            if invented.contains(&product) {
                self.invented(&product, &plan);
            }
            if let Some(d) = self.partners.get_mut(&pname) {
                d.subscriptions.insert((product, plan, env));
            }
        }
        if !c.credentials.is_empty() && deck.services_for(c).is_empty() {
            notes.push(todo(Some(c), "access", file.clone(), format!("holds {} key credential(s) but its ACL groups let it call no service: the partner gets the credentials and no subscription, which `validate` reports; subscribe it, or revoke them", c.credentials.len()), Some(&c.at)));
        }
        for kc in &c.credentials {
            if let Some(t) = self.credential(c, &pname, env, kc) {
                notes.push(t);
            }
        }
        for a in &c.acls {
            if deck.services_allowing(&a.group).is_empty() {
                notes.push(todo(
                    Some(c),
                    "acl-group",
                    file.clone(),
                    format!(
                        "ACL group {} lets it call no service of this file; not imported",
                        a.group
                    ),
                    Some(&a.at),
                ));
            }
        }
        for g in &c.groups {
            let plugins: Vec<String> = deck
                .plugins
                .iter()
                .filter(|p| p.consumer_group.as_deref() == Some(g.as_str()))
                .map(|p| p.name.clone())
                .collect();
            let with = if plugins.is_empty() {
                String::new()
            } else {
                format!(" (with {})", plugins.join(", "))
            };
            notes.push(todo(
                Some(c),
                "consumer-group",
                file.clone(),
                format!("member of consumer group {g}{with}; the program has no consumer groups, not imported"),
                Some(&c.at),
            ));
        }
        for o in &c.other_credentials {
            let name = o.name.as_deref().map(|n| format!(" {n}")).unwrap_or_default();
            notes.push(todo(
                Some(c),
                &format!("{}-credential", o.kind.as_str()),
                file.clone(),
                format!("{} credential{name} is not imported: the program holds key-auth credentials only (no secret of it is copied)", o.kind.as_str()),
                Some(&o.at),
            ));
        }
        for t in notes {
            self.note(t);
        }
    }

    pub(crate) fn credential(
        &mut self,
        c: &Consumer,
        pname: &str,
        env: Environment,
        kc: &KeyCredential,
    ) -> Option<Todo> {
        let existing = self.existing.partners.get(pname);
        let known = existing
            .and_then(|p| self.mapping.credential(p, kc, Some(env)))
            .filter(|id| existing.is_some_and(|p| p.spec.credentials.iter().any(|x| x.id.0 == *id)));
        let already = known.is_some();
        let id = match known {
            Some(id) => id,
            None => match &kc.credential {
                Some(raw) if !self.taken_ids.contains(&to_name(raw)) => to_name(raw),
                _ => {
                    let short = if env == Environment::Sandbox { "sbx" } else { "prd" };
                    let mut k = kc.index;
                    let base: String = pname.chars().take(54).collect();
                    let mut id = to_name(&format!("{base}-{short}-{k}"));
                    while self.taken_ids.contains(&id) {
                        k += 1;
                        id = to_name(&format!("{base}-{short}-{k}"));
                    }
                    id
                }
            },
        };
        let file = Some(self.partner_file(pname));
        let draft = self.partners.get_mut(pname)?;
        if draft.credentials.iter().any(|x| x.id == id) {
            return None;
        }
        self.taken_ids.insert(id.clone());
        let created = kc
            .created_at
            .or(c.created_at)
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .map(|t| Date(t.date_naive()))
            .unwrap_or(self.options.today);
        let placeholder = format!("vault://TODO/{pname}/{id}");
        let (secret_ref, note) = match (&kc.key_reference, &kc.key_variable) {
            (Some(r), _) if !r.chars().any(|c| c.is_whitespace() || c.is_control()) => (r.clone(), None),
            (_, Some(var)) => (
                placeholder.clone(),
                Some(format!(
                    "credential {id} takes its key from ${} when decK syncs; set its secretRef to where that key lives (now {placeholder})",
                    one_line(var)
                )),
            ),
            _ => (
                placeholder.clone(),
                Some(format!(
                    "credential {id} holds a literal key in the gateway (not copied); move the key to your vault and set its secretRef (now {placeholder})"
                )),
            ),
        };
        draft.credentials.push(CredentialDraft {
            id: id.clone(),
            environment: env,
            created,
            secret_ref,
            label: mapping::credential_label(&id, kc),
        });
        // A credential the program has already keeps its own secretRef.
        note.filter(|_| !already)
            .map(|m| todo(Some(c), "secret-ref", file, m, Some(&kc.at)))
    }

    /// Facts of the file that no product or partner says.
    pub(crate) fn leftovers(&mut self, deck: &Deck, env: Environment) {
        let mut notes = Vec::new();
        let counters = kong_counters(self.existing, env);
        for r in &deck.loose_routes {
            let name = r.name.as_deref().unwrap_or("?");
            notes.push(todo(
                None,
                "route",
                None,
                format!("route {name} names no service of this file; not imported"),
                Some(&r.at),
            ));
        }
        for p in deck.plugins.iter().filter(|p| p.enabled) {
            let consumer = p.consumer.as_deref().and_then(|c| deck.consumer(c));
            let rate_limit_used = p.name == "rate-limiting"
                && p.route.is_none()
                && p.consumer_group.is_none()
                && limits(&p.config).is_some();
            match p.name.as_str() {
                "acl" => {}
                "key-auth" => {
                    let names: Vec<String> = match p.config.get("key_names") {
                        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
                        _ => vec!["apikey".to_string()],
                    };
                    if !names.iter().any(|n| n.eq_ignore_ascii_case(crate::gateway::kong::render::KEY_HEADER)) {
                        notes.push(todo(None, "plugin", None, format!("key-auth on {} reads the key from {}; partnerctl's gateways read it from the {} header", p.scope(), names.join(", "), crate::gateway::kong::render::KEY_HEADER), Some(&p.at)));
                    }
                }
                _ if rate_limit_used => {
                    // Its windows became a plan; what else it says, the plan cannot.
                    for what in uncarried(&p.config, &counters, env) {
                        notes.push(todo(
                            consumer,
                            "rate-limit",
                            None,
                            format!("rate-limiting on {}: {what}", p.scope()),
                            Some(&p.at),
                        ));
                    }
                }
                n if n.starts_with("rate-limiting") => notes.push(todo(consumer, "rate-limit", None, format!("{n} on {} is not imported: a plan can only say `rate-limiting` windows (a second, minute, hour, day or month) for a consumer or a whole service", p.scope()), Some(&p.at))),
                n => notes.push(todo(consumer, "plugin", None, format!("plugin {n} on {} is not imported: the program has no such setting", p.scope()), Some(&p.at))),
            }
        }
        for g in &deck.consumer_groups {
            notes.push(todo(
                None,
                "consumer-group",
                None,
                format!(
                    "consumer group {} ({} member(s)) is not imported: the program has no consumer groups",
                    g.name,
                    g.members.len()
                ),
                Some(&g.at),
            ));
        }
        for e in &deck.other_entities {
            let kind = match e.key.as_str() {
                "keys" => "jwk".to_string(),
                // The key is the dump's: a kind is a name, whatever the key holds.
                k => to_name(k.trim_start_matches('_').trim_end_matches('s')),
            };
            let names = if e.names.is_empty() {
                String::new()
            } else {
                format!(" ({})", e.names.join(", "))
            };
            notes.push(todo(
                None,
                &kind,
                None,
                format!(
                    "{} × {}{names} not imported: partnerctl does not manage them",
                    e.count, e.key
                ),
                Some(&e.at),
            ));
        }
        for t in notes {
            self.note(t);
        }
    }
}

/// Where the program's `kong` output for `env` keeps its counters (`quotaPolicy`, and the
/// Redis of `redis`), as a `rate-limiting` config says it: (`policy`, Redis host and port).
pub(crate) fn kong_counters(program: &Program, env: Environment) -> (String, Option<(String, u64)>) {
    let output = program
        .spec()
        .into_iter()
        .flat_map(|s| s.outputs.iter())
        .find(|o| o.target == Some(crate::spec::Target::Kong) && o.environment == Some(env));
    let policy = output
        .and_then(|o| o.quota_policy)
        .unwrap_or_default()
        .as_str()
        .to_string();
    let redis = output
        .and_then(|o| o.redis.as_ref())
        .map(|r| (r.host.clone(), u64::from(r.port)));
    (policy, redis)
}

/// What a `rate-limiting` config says beyond the windows a plan carries (its rate limit and
/// quota, [`limits`]), against Kong's defaults (tests/external/FACTS.md §b) and the counters
/// of the program's `kong` output for `env`: one line each.
pub(crate) fn uncarried(config: &Value, counters: &(String, Option<(String, u64)>), env: Environment) -> Vec<String> {
    let mut out = Vec::new();
    let Some(l) = limits(config) else {
        return out;
    };
    let kept: [&str; 2] = [l.rate.1.as_str(), l.quota.map_or("", |(_, u)| u.as_str())];
    for w in ["second", "minute", "hour", "day", "month", "year"] {
        if let Some(n) = config.get(w).filter(|v| !v.is_null())
            && !kept.contains(&w)
        {
            out.push(format!(
                "its limit of {n} a {w} is not imported (a plan holds one rate limit and one daily or monthly quota)"
            ));
        }
    }
    let text = |k: &str| config.get(k).and_then(Value::as_str);
    let policy = text("policy").unwrap_or("local");
    let redis = config.get("redis").filter(|r| r.is_object());
    let host = redis.and_then(|r| r["host"].as_str()).or_else(|| text("redis_host"));
    let port = redis
        .and_then(|r| r["port"].as_u64())
        .or_else(|| config.get("redis_port").and_then(Value::as_u64));
    let same_redis = match (&counters.1, host) {
        (Some((h, p)), Some(host)) => h == host && Some(*p) == port,
        _ => false,
    };
    if policy != counters.0 || (policy == "redis" && !same_redis) {
        let where_ = match (policy, host) {
            ("redis", Some(h)) => format!("in Redis at {h}:{}", port.map_or("?".to_string(), |p| p.to_string())),
            ("redis", None) => "in Redis".to_string(),
            ("cluster", _) => "in Kong's database".to_string(),
            _ => "in each node's memory".to_string(),
        };
        out.push(format!(
            "it counts {where_} (policy {policy}), which a plan cannot say: set `quotaPolicy` (and `redis`) on the program's kong output for {env}, which now says `{}`",
            counters.0
        ));
    }
    if let Some(by) = text("limit_by").filter(|b| *b != "consumer") {
        out.push(format!(
            "it limits by {by}; a plan limits each partner (Kong's `limit_by: consumer`)"
        ));
    }
    let differs = |k: &str, default: Value| config.get(k).is_some_and(|v| !v.is_null() && *v != default);
    for (k, default) in [
        ("hide_client_headers", json!(false)),
        ("fault_tolerant", json!(true)),
        ("error_code", json!(429)),
        ("error_message", json!("API rate limit exceeded")),
        ("sync_rate", json!(-1)),
        ("header_name", Value::Null),
        ("path", Value::Null),
    ] {
        if differs(k, default) {
            out.push(format!("its `{k}: {}` is not imported", config[k]));
        }
    }
    out
}

pub(crate) fn is_url(u: &str) -> bool {
    static URL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    URL.get_or_init(|| regex::Regex::new(crate::spec::URL_PATTERN).expect("the URL pattern compiles"))
        .is_match(u)
}
