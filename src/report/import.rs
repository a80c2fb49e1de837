//! `import kong`: program files from an existing Kong declarative configuration, so that a
//! program run by hand in the gateway can be brought into the repository instead of being run
//! beside it.
//!
//! Services and their routes become products and endpoints, `rate-limiting` configurations
//! become plans, consumers become partners, their ACL groups subscriptions and their key
//! credentials credential entries. What a gateway cannot know is left for a person, in a way
//! that `validate` then reports: no agreements (`terms-missing`), a history of one entry dated
//! the day of the import (`history-invalid` unless the partner is only registered). A key
//! value is never written: a key that is a vault reference becomes the `secretRef`; any other
//! key gets a `vault://TODO/...` placeholder and a line in the to-do list. Every resource
//! carries the label `imported-from: kong`.

use super::deck::{Consumer, Deck, Plugin, Service};
use crate::model::Program;
use crate::spec::{Date, Environment, Kind, Method};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The label every imported resource carries.
pub const LABEL: (&str, &str) = ("imported-from", "kong");

/// Why an import could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "cannot tell which environment {0} serves (no `environment:<env>` tag, and its name says neither sandbox nor production); pass --environment"
    )]
    NoEnvironment(String),
}

/// What happens to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    /// The file exists and `--force` was given.
    Overwrite,
    /// The file (or a resource of that name elsewhere) exists; not written without `--force`.
    Skip,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Overwrite => "overwrite",
            Action::Skip => "skip (exists; --force overwrites)",
        }
    }
}

/// One file the import writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedFile {
    /// Relative to the program repository.
    pub path: String,
    pub kind: Kind,
    pub name: String,
    pub contents: String,
    pub action: Action,
}

/// The files and the to-do list of an import.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    pub files: Vec<ImportedFile>,
    /// What a person must still do, beyond what `validate` reports.
    pub todo: Vec<String>,
}

/// Options of an import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The environment of every file, instead of what each file's tags or name say.
    pub environment: Option<Environment>,
    /// The date written into histories and missing creation dates.
    pub today: Date,
    pub force: bool,
    /// The owning team of every imported resource; default: the program's owner, else its
    /// first team, else `TODO` (which `validate` reports).
    pub owner: Option<String>,
}

/// A resource name from anything: lower case, dashes, at most 63 characters.
pub fn to_name(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_matches('-').chars().take(63).collect();
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "imported".to_string() } else { out }
}

/// Writes a scalar for YAML: plain when that reads back as the same string, else quoted.
pub fn q(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || " _./@+-".contains(c))
        && !s.ends_with(' ')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::Value::String(s.to_string()).to_string()
    }
}

/// A Kong route path (`/v1/x` or the regex `~/v1/x/(?<id>[^/]+)$`) as an endpoint path
/// (`/v1/x/{id}`).
pub fn endpoint_path(kong: &str) -> String {
    let Some(re) = kong.strip_prefix('~') else {
        return kong.to_string();
    };
    let re = re.strip_prefix('^').unwrap_or(re);
    let re = re.strip_suffix('$').unwrap_or(re);
    let mut out = String::new();
    let chars: Vec<char> = re.chars().collect();
    let mut i = 0;
    let mut unnamed = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '(' {
            // Find the matching parenthesis.
            let mut depth = 0;
            let mut j = i;
            while j < chars.len() {
                match chars[j] {
                    '\\' => j += 1,
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            let group: String = chars[i + 1..j.min(chars.len())].iter().collect();
            let name = group
                .strip_prefix("?<")
                .or_else(|| group.strip_prefix("?P<"))
                .and_then(|g| g.split_once('>'))
                .map(|(n, _)| n.to_string());
            let name = name.unwrap_or_else(|| {
                unnamed += 1;
                if unnamed == 1 {
                    "param".to_string()
                } else {
                    format!("param{unnamed}")
                }
            });
            let _ = write!(out, "{{{name}}}");
            i = j + 1;
        } else if c == '[' && re[char_offset(&chars, i)..].starts_with("[^/]+") {
            unnamed += 1;
            let _ = write!(
                out,
                "{{{}}}",
                if unnamed == 1 {
                    "param".to_string()
                } else {
                    format!("param{unnamed}")
                }
            );
            i += 5;
        } else if c == '\\' && i + 1 < chars.len() {
            out.push(chars[i + 1]);
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn char_offset(chars: &[char], i: usize) -> usize {
    chars[..i].iter().map(|c| c.len_utf8()).sum()
}

/// A plan's limits read from a `rate-limiting` configuration: the rate limit (the smallest of
/// second/minute/hour/day) and the quota (day or month, when a larger unit is also set).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Limits {
    pub rate: (u64, &'static str),
    pub quota: Option<(u64, &'static str)>,
}

pub fn limits(config: &serde_json::Value) -> Option<Limits> {
    let get = |k: &str| {
        config
            .get(k)
            .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f as u64)))
            .filter(|n| *n > 0)
    };
    let rate_units = ["second", "minute", "hour", "day"];
    let (ri, rate) = rate_units
        .iter()
        .enumerate()
        .find_map(|(i, u)| get(u).map(|n| (i, (n, *u))))?;
    let quota = match (get("day"), get("month")) {
        (Some(d), _) if ri < 3 => Some((d, "day")),
        (_, Some(m)) => Some((m, "month")),
        _ => None,
    };
    Some(Limits { rate, quota })
}

struct ProductDraft {
    service_names: BTreeSet<String>,
    upstreams: BTreeMap<Environment, String>,
    endpoints: Vec<(String, String)>,
    /// Plan name → limits and environments.
    plans: BTreeMap<String, (Limits, BTreeSet<Environment>)>,
    source: String,
}

struct PartnerDraft {
    display: String,
    subscriptions: BTreeSet<(String, String, Environment)>,
    credentials: Vec<(String, Environment, Date, String)>,
    access: BTreeSet<Environment>,
    source: String,
}

fn plan_for(product: &str, consumer: Option<&Consumer>, service: &Service, plugin: &Plugin, deck: &Deck) -> String {
    if let Some(p) = super::deck::tag_value(&plugin.tags, &["partnerctl-plan", "plan"]) {
        return to_name(p);
    }
    if let Some(c) = consumer {
        for (g, plan) in &c.acl_plans {
            if deck.services_allowing(g).iter().any(|s| s.name == service.name) {
                return to_name(plan);
            }
        }
        for g in &c.acls {
            if deck.services_allowing(g).iter().any(|s| s.name == service.name) {
                for sep in ["-", ":", "."] {
                    if let Some(rest) = g.strip_prefix(&format!("{product}{sep}")) {
                        return to_name(rest);
                    }
                }
            }
        }
    }
    let l = limits(&plugin.config);
    match l {
        Some(l) => format!("{}-per-{}", l.rate.0, l.rate.1),
        None => "default".to_string(),
    }
}

/// Builds the files of an import from one or more decK files (one per environment).
pub fn import_kong(decks: &[Deck], existing: &Program, options: &ImportOptions) -> Result<Imported, ImportError> {
    let mut products: BTreeMap<String, ProductDraft> = BTreeMap::new();
    let mut partners: BTreeMap<String, PartnerDraft> = BTreeMap::new();
    let mut todo = Vec::new();
    let mut taken_ids: BTreeSet<String> = existing
        .partners
        .values()
        .flat_map(|p| p.spec.credentials.iter().map(|c| c.id.0.clone()))
        .collect();

    for deck in decks {
        let env = options
            .environment
            .or(deck.environment)
            .ok_or_else(|| ImportError::NoEnvironment(deck.file.clone()))?;
        for s in &deck.services {
            let name = to_name(&s.product);
            let draft = products.entry(name.clone()).or_insert_with(|| ProductDraft {
                service_names: BTreeSet::new(),
                upstreams: BTreeMap::new(),
                endpoints: Vec::new(),
                plans: BTreeMap::new(),
                source: format!("{}:{}", deck.file, s.at.line),
            });
            draft.service_names.insert(s.name.clone());
            match &s.url {
                Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                    draft.upstreams.entry(env).or_insert_with(|| u.clone());
                }
                _ => {
                    draft
                        .upstreams
                        .entry(env)
                        .or_insert_with(|| "http://upstream.invalid".to_string());
                    todo.push(format!("products/{name}.yaml: the upstream of service {} in {env} is not an http(s) URL; set spec.environments.{env}.upstream", s.name));
                }
            }
            for r in &s.routes {
                let methods: Vec<String> = if r.methods.is_empty() {
                    todo.push(format!(
                        "products/{name}.yaml: route {} accepts every method; the import lists GET, POST, PUT, PATCH and DELETE, remove what is not offered",
                        r.name.as_deref().unwrap_or("?")
                    ));
                    [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete]
                        .iter()
                        .map(|m| m.as_str().to_string())
                        .collect()
                } else {
                    r.methods.clone()
                };
                for p in &r.paths {
                    for m in &methods {
                        let e = (m.clone(), endpoint_path(p));
                        if !draft.endpoints.contains(&e) {
                            draft.endpoints.push(e);
                        }
                    }
                }
            }
            // Service-wide limits are a plan of their own.
            for plugin in deck.plugins.iter().filter(|p| {
                p.enabled
                    && p.name.starts_with("rate-limiting")
                    && p.service.as_deref() == Some(s.name.as_str())
                    && p.consumer.is_none()
                    && p.consumer_group.is_none()
            }) {
                if let Some(l) = limits(&plugin.config) {
                    let plan = plan_for(&name, None, s, plugin, deck);
                    draft
                        .plans
                        .entry(plan)
                        .or_insert_with(|| (l, BTreeSet::new()))
                        .1
                        .insert(env);
                }
            }
        }

        for c in &deck.consumers {
            let Some(raw_name) = c.partner_name() else { continue };
            let pname = to_name(raw_name);
            let draft = partners.entry(pname.clone()).or_insert_with(|| PartnerDraft {
                display: c.username.clone().unwrap_or_else(|| raw_name.to_string()),
                subscriptions: BTreeSet::new(),
                credentials: Vec::new(),
                access: BTreeSet::new(),
                source: format!("{}:{}", deck.file, c.at.line),
            });
            for s in deck.services_for(c) {
                let product = to_name(&s.product);
                let plugin = deck.rate_limits_for(c, s).into_iter().next();
                let plan = match plugin {
                    Some(plugin) => {
                        let plan = plan_for(&product, Some(c), s, plugin, deck);
                        if let (Some(l), Some(pd)) = (limits(&plugin.config), products.get_mut(&product)) {
                            pd.plans
                                .entry(plan.clone())
                                .or_insert_with(|| (l, BTreeSet::new()))
                                .1
                                .insert(env);
                        }
                        plan
                    }
                    None => match products.get_mut(&product) {
                        Some(pd) if !pd.plans.is_empty() => {
                            let (plan, (_, plan_envs)) = pd.plans.iter_mut().next().expect("not empty");
                            plan_envs.insert(env);
                            plan.clone()
                        }
                        _ => "default".to_string(),
                    },
                };
                draft.subscriptions.insert((product, plan, env));
                draft.access.insert(env);
            }
            for (n, kc) in c.credentials.iter().enumerate() {
                let id = match &kc.credential {
                    Some(id) => to_name(id),
                    None => {
                        let short = if env == Environment::Sandbox { "sbx" } else { "prd" };
                        let mut k = n + 1;
                        let mut id = to_name(&format!("{pname}-{short}-{k}"));
                        while taken_ids.contains(&id) {
                            k += 1;
                            id = to_name(&format!("{pname}-{short}-{k}"));
                        }
                        id
                    }
                };
                if draft.credentials.iter().any(|(x, ..)| *x == id) {
                    continue;
                }
                taken_ids.insert(id.clone());
                let created = kc
                    .created_at
                    .or(c.created_at)
                    .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                    .map(|t| Date(t.date_naive()))
                    .unwrap_or(options.today);
                let secret_ref = match (&kc.key_reference, &kc.key_variable) {
                    (Some(r), _) => r.clone(),
                    (None, Some(var)) => {
                        todo.push(format!(
                            "partners/{pname}.yaml: credential {id} takes its key from ${var} when decK syncs; set its secretRef to where that key lives (now vault://TODO/{pname}/{id})"
                        ));
                        format!("vault://TODO/{pname}/{id}")
                    }
                    (None, None) => {
                        todo.push(format!(
                            "partners/{pname}.yaml: credential {id} holds a literal key in the gateway; move the key to your vault and set its secretRef (now vault://TODO/{pname}/{id})"
                        ));
                        format!("vault://TODO/{pname}/{id}")
                    }
                };
                draft.credentials.push((id, env, created, secret_ref));
                draft.access.insert(env);
            }
        }
    }

    let owner = options
        .owner
        .clone()
        .or_else(|| existing.program.as_ref().and_then(|p| p.metadata.owner.clone()))
        .or_else(|| existing.spec().and_then(|p| p.teams.keys().next().map(|t| t.0.clone())))
        .unwrap_or_else(|| "TODO".to_string());
    let mut files = Vec::new();
    for (name, p) in &mut products {
        if p.plans.is_empty() {
            let envs: BTreeSet<Environment> = p.upstreams.keys().copied().collect();
            p.plans.insert(
                "default".to_string(),
                (
                    Limits {
                        rate: (10, "second"),
                        quota: None,
                    },
                    envs,
                ),
            );
            todo.push(format!("products/{name}.yaml: the gateway sets no rate limit for this product; the import wrote a `default` plan of 10 requests a second, set the real limits"));
        }
        if p.endpoints.is_empty() {
            p.endpoints.push(("GET".into(), "/".into()));
            todo.push(format!(
                "products/{name}.yaml: the gateway has no route for this product; list its endpoints"
            ));
        }
        files.push(file(
            existing,
            Kind::Product,
            name,
            product_yaml(name, &owner, p),
            options.force,
        ));
    }
    for (name, p) in &partners {
        files.push(file(
            existing,
            Kind::Partner,
            name,
            partner_yaml(name, &owner, p, options.today),
            options.force,
        ));
    }
    todo.push("every imported partner: add the terms it accepted (spec.agreements) and its onboarding history (spec.history); `partnerctl validate` lists them".to_string());
    todo.push(format!("every imported resource: check metadata.owner (the import wrote `{owner}`), and set products' requiredTerms and dataCategories"));
    Ok(Imported { files, todo })
}

fn file(existing: &Program, kind: Kind, name: &str, contents: String, force: bool) -> ImportedFile {
    let folder = kind.folder().unwrap_or("");
    let existing_file = match kind {
        Kind::Product => existing.products.get(name).map(|r| r.file.clone()),
        Kind::Partner => existing.partners.get(name).map(|r| r.file.clone()),
        _ => None,
    }
    .or_else(|| {
        existing
            .documents
            .iter()
            .find(|d| d.kind == Some(kind) && d.name.as_deref() == Some(name))
            .map(|d| d.file.clone())
    });
    let default_path = format!("{folder}/{name}.yaml");
    let path = existing_file.clone().unwrap_or(default_path.clone());
    let exists = existing_file.is_some() || existing.snapshot.files.contains_key(&default_path);
    let action = match (exists, force) {
        (false, _) => Action::Create,
        (true, true) => Action::Overwrite,
        (true, false) => Action::Skip,
    };
    ImportedFile {
        path,
        kind,
        name: name.to_string(),
        contents,
        action,
    }
}

fn title(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn envs(set: &BTreeSet<Environment>) -> String {
    set.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")
}

fn product_yaml(name: &str, owner: &str, p: &ProductDraft) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Imported from {} (Kong services: {}).",
        p.source,
        p.service_names.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    let _ = writeln!(
        s,
        "apiVersion: partnerctl/v1\nkind: Product\nmetadata:\n  name: {name}\n  owner: {}\n  labels: {{{}: {}}}",
        q(owner),
        LABEL.0,
        LABEL.1
    );
    let _ = writeln!(
        s,
        "spec:\n  displayName: {}\n  description: {}\n  lifecycle: ga\n  environments:",
        q(&title(name)),
        q("Imported from Kong; describe the product for partners.")
    );
    for (env, up) in &p.upstreams {
        let _ = writeln!(s, "    {env}: {{upstream: {}}}", q(up));
    }
    s.push_str("  endpoints:\n");
    for (m, path) in &p.endpoints {
        let _ = writeln!(s, "    - {{method: {m}, path: {}}}", q(path));
    }
    s.push_str("  plans:\n");
    for (plan, (l, e)) in &p.plans {
        let _ = writeln!(
            s,
            "    - name: {plan}\n      rateLimit: {{requests: {}, per: {}}}",
            l.rate.0, l.rate.1
        );
        if let Some((n, per)) = l.quota {
            let _ = writeln!(s, "      quota: {{requests: {n}, per: {per}}}");
        }
        let _ = writeln!(s, "      environments: [{}]", envs(e));
    }
    s
}

fn partner_yaml(name: &str, owner: &str, p: &PartnerDraft, today: Date) -> String {
    let stage = if p.access.contains(&Environment::Production) {
        "live"
    } else if p.access.contains(&Environment::Sandbox) {
        "sandbox"
    } else {
        "registered"
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Imported from {} (a Kong consumer). The history and agreements are not known",
        p.source
    );
    let _ = writeln!(s, "# to the gateway: fill them in.");
    let _ = writeln!(
        s,
        "apiVersion: partnerctl/v1\nkind: Partner\nmetadata:\n  name: {name}\n  owner: {}\n  labels: {{{}: {}}}",
        q(owner),
        LABEL.0,
        LABEL.1
    );
    let _ = writeln!(
        s,
        "spec:\n  displayName: {}\n  listed: false\n  stage: {stage}\n  history:\n    - {{stage: {stage}, date: {today}}}\n  agreements: []",
        q(&p.display)
    );
    if p.subscriptions.is_empty() {
        s.push_str("  subscriptions: []\n");
    } else {
        s.push_str("  subscriptions:\n");
        for (product, plan, env) in &p.subscriptions {
            let _ = writeln!(s, "    - {{product: {product}, plan: {plan}, environment: {env}}}");
        }
    }
    if p.credentials.is_empty() {
        s.push_str("  credentials: []\n");
    } else {
        s.push_str("  credentials:\n");
        for (id, env, created, secret) in &p.credentials {
            let _ = writeln!(
                s,
                "    - {{id: {id}, environment: {env}, created: {created}, secretRef: {}}}",
                q(secret)
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kong_paths_become_endpoint_paths() {
        assert_eq!(endpoint_path("/v1/shipments"), "/v1/shipments");
        assert_eq!(endpoint_path("~/v1/shipments/(?<id>[^/]+)$"), "/v1/shipments/{id}");
        assert_eq!(
            endpoint_path("~^/v1/shipments/(?<id>[^/]+)/labels$"),
            "/v1/shipments/{id}/labels"
        );
        assert_eq!(endpoint_path("~/v1/a/[^/]+/b/([^/]+)$"), "/v1/a/{param}/b/{param2}");
        assert_eq!(endpoint_path("~/v1/rates\\.json$"), "/v1/rates.json");
    }

    #[test]
    fn rate_limiting_configs_become_limits() {
        let l = limits(&serde_json::json!({"second": 10, "day": 10000, "policy": "local"})).unwrap();
        assert_eq!(
            l,
            Limits {
                rate: (10, "second"),
                quota: Some((10000, "day"))
            }
        );
        let l = limits(&serde_json::json!({"second": 250, "month": 5000000})).unwrap();
        assert_eq!(l.quota, Some((5000000, "month")));
        assert_eq!(limits(&serde_json::json!({"minute": 60})).unwrap().rate, (60, "minute"));
        assert_eq!(limits(&serde_json::json!({})), None);
    }

    #[test]
    fn scalars_are_quoted_when_needed() {
        assert_eq!(q("acme"), "acme");
        assert_eq!(q("/v1/shipments/{id}"), "\"/v1/shipments/{id}\"");
        assert_eq!(q("2.0"), "\"2.0\"");
        assert_eq!(q("yes"), "\"yes\"");
        assert_eq!(q("https://x.internal"), "\"https://x.internal\"");
        assert_eq!(to_name("ACME Logistics GmbH"), "acme-logistics-gmbh");
    }
}
