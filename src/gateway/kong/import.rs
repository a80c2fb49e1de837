//! `import kong`: program files from existing Kong declarative configurations, so that a
//! program run by hand in the gateway can be brought into the repository instead of being run
//! beside it.
//!
//! Services and their routes become products and endpoints, rate-limiting configurations
//! become plans, consumers become partners, the services their ACL groups reach
//! subscriptions, and their key-auth credentials credential entries. Every plan a
//! subscription names is written. What the gateway cannot know is left for a person in a way
//! that `validate` reports (no agreements: `terms-missing`; a history of one entry dated the
//! day of the import: `history-invalid`; a `vault://TODO/…` secretRef: the
//! `secret-ref-placeholder` policy), and every fact of the dump that the program cannot hold
//! is a [`Todo`], by consumer and kind.
//!
//! How each Kong name maps to the program name it became is written into the partner's
//! labels ([`super::mapping`]), so that `audit` of the same dump places every consumer and
//! credential. A key value is never written: a key that is a vault reference becomes the
//! `secretRef`; any other key gets a placeholder.
//!
//! New files are written with the YAML serializer. With `merge`, an existing partner or
//! product file is edited in place ([`crate::source::yaml_edit`]): what the gateway knows and
//! the file lacks (subscriptions, credentials, plans and their environments, endpoints) is
//! added, and nothing else in it changes.

use super::mapping::{self, Mapping};
use super::model::{Consumer, Deck, KeyCredential, Plugin, Service};
use crate::model::Program;
use crate::source::yaml_edit::{EditError, Editor};
use crate::spec::{Date, Environment, Kind, Method, PlanSpec, QuotaUnit, RateUnit};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The label every imported resource carries.
pub const LABEL: (&str, &str) = ("imported-from", "kong");

/// Why an import could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "cannot tell which environment {0} serves: it has no `environment:<env>` tag and the program has no single `kong` output; pass --environment"
    )]
    NoEnvironment(String),
}

/// What happens to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    /// An existing file, edited in place (`--merge`).
    Merge,
    /// An existing file that already says everything the gateway knows.
    Unchanged,
    /// An existing file (or a resource of that name elsewhere), left alone without `--merge`.
    Skip,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Merge => "merge",
            Action::Unchanged => "unchanged",
            Action::Skip => "skip",
        }
    }

    /// Whether the file is written.
    pub fn writes(self) -> bool {
        matches!(self, Action::Create | Action::Merge)
    }
}

/// One file the import writes (or would, or leaves).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedFile {
    /// Relative to the program repository.
    pub path: String,
    pub kind: Kind,
    pub name: String,
    /// The whole new text of the file (for `Create` and `Merge`).
    pub contents: String,
    pub action: Action,
    /// For `Merge`: what was added, one line each.
    pub added: Vec<String>,
}

/// Something the program does not say after the import: a fact of the gateway it cannot
/// hold, or a value a person must fill in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Todo {
    /// The Kong consumer it is about (as the gateway names it), if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
    /// Stable kebab-case kind: `secret-ref`, `acl-group`, `consumer-group`, `rate-limit`,
    /// `basic-auth-credential`, `jwt-credential`, `hmac-auth-credential`,
    /// `mtls-auth-credential`, `oauth2-credential`, `plugin`, `route`, `service`,
    /// `upstream`, `certificate`, …, `merge`, `difference`, `agreements`, `owner`,
    /// `http-route`.
    pub kind: String,
    /// The program file it concerns, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub message: String,
    /// Where in the decK file (`file:line`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The files and the to-do list of an import.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    pub files: Vec<ImportedFile>,
    /// Sorted by consumer (facts of no consumer first), then kind.
    pub todo: Vec<Todo>,
    /// The environment of each decK file and where it came from.
    pub environments: Vec<(String, Environment, &'static str)>,
}

/// Options of an import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The environment of every file, instead of what each file's tags say.
    pub environment: Option<Environment>,
    /// The date written into histories and missing creation dates.
    pub today: Date,
    /// Add to existing files instead of leaving them alone.
    pub merge: bool,
    /// The owning team of every imported resource; default: the program's owner, else its
    /// first team, else `TODO` (which `validate` reports).
    pub owner: Option<String>,
}

/// A resource name from anything: lower case, dashes, at most 63 characters, so it matches
/// `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$` (`test_consumer_3x` → `test-consumer-3x`).
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

/// A value for a one-line field (`displayName`, a label): control and separator characters
/// replaced, so it passes the schema's line pattern.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// The endpoint-path pattern of the Product schema.
fn is_endpoint_path(p: &str) -> bool {
    p.starts_with('/')
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~!$&'()*+,;=:@%/{}-".contains(c))
}

/// A Kong route path as an endpoint path, and whether the two match the same requests.
///
/// A plain path (`/v1/x`) is kept. A regular expression (`~/v1/x/(?<id>[^/]+)$`, what the
/// `kong` target writes) becomes `/v1/x/{id}` (an unnamed `[^/]+` becomes `{param}`). An
/// expression no endpoint can say (`~/v1/example/?$`, `.*`, alternatives) becomes the
/// nearest plain path, its literal beginning (`/v1/example`), and is not exact.
pub fn endpoint_path(kong: &str) -> (String, bool) {
    let Some(re) = kong.strip_prefix('~') else {
        return if is_endpoint_path(kong) {
            (kong.to_string(), true)
        } else {
            ("/".to_string(), false)
        };
    };
    let re = re.strip_prefix('^').unwrap_or(re);
    let (re, mut exact) = match re.strip_suffix('$') {
        Some(r) => (r, true),
        None => (re, false),
    };
    let chars: Vec<char> = re.chars().collect();
    let mut out = String::new();
    let mut unnamed = 0;
    let mut param = |name: Option<String>| {
        name.unwrap_or_else(|| {
            unnamed += 1;
            if unnamed == 1 {
                "param".to_string()
            } else {
                format!("param{unnamed}")
            }
        })
    };
    let starts = |i: usize, s: &str| chars[i..].iter().collect::<String>().starts_with(s);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '(' {
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
            let (name, body) = match group.strip_prefix("?<").or_else(|| group.strip_prefix("?P<")) {
                Some(g) => match g.split_once('>') {
                    Some((n, b)) => (Some(n.to_string()), b.to_string()),
                    None => (None, g.to_string()),
                },
                None => (None, group.clone()),
            };
            if body != "[^/]+" {
                exact = false;
            }
            let name = name.filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            out.push_str(&format!("{{{}}}", param(name)));
            i = j + 1;
        } else if c == '[' && starts(i, "[^/]+") {
            out.push_str(&format!("{{{}}}", param(None)));
            i += 5;
        } else if c == '\\' && i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() {
            out.push(chars[i + 1]);
            i += 2;
        } else if c == '/' && starts(i, "/?") && i + 2 == chars.len() {
            // An optional trailing slash: the nearest plain path has none.
            exact = false;
            i += 2;
        } else if "?*+|{}[]()^$\\.".contains(c) {
            // Anything else an expression can say ends the plain part.
            exact = false;
            break;
        } else {
            out.push(c);
            i += 1;
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    if !is_endpoint_path(&out) {
        return ("/".to_string(), false);
    }
    (out, exact)
}

/// A plan's limits read from a `rate-limiting` configuration: the rate limit (the smallest of
/// second/minute/hour/day) and the quota (day or month, when a larger unit is also set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub rate: (u64, RateUnit),
    pub quota: Option<(u64, QuotaUnit)>,
}

impl Limits {
    fn of_plan(p: &PlanSpec) -> Option<Limits> {
        limits(&super::render::rate_limiting_config(p))
    }

    fn name(&self) -> String {
        format!("{}-per-{}", self.rate.0, self.rate.1.as_str())
    }
}

/// The limits of a `rate-limiting` configuration, if it sets any.
pub fn limits(config: &Value) -> Option<Limits> {
    let get = |k: &str| {
        config
            .get(k)
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_f64().filter(|f| *f >= 1.0).map(|f| f as u64))
            })
            .filter(|n| *n > 0)
    };
    let units = [RateUnit::Second, RateUnit::Minute, RateUnit::Hour, RateUnit::Day];
    let (ri, rate) = units
        .iter()
        .enumerate()
        .find_map(|(i, u)| get(u.as_str()).map(|n| (i, (n, *u))))?;
    let quota = match (get("day"), get("month")) {
        (Some(d), _) if ri < 3 => Some((d, QuotaUnit::Day)),
        (_, Some(m)) => Some((m, QuotaUnit::Month)),
        _ => None,
    };
    Some(Limits { rate, quota })
}

struct PlanDraft {
    limits: Limits,
    environments: BTreeSet<Environment>,
}

struct ProductDraft {
    services: BTreeSet<String>,
    upstreams: BTreeMap<Environment, String>,
    endpoints: Vec<(String, String)>,
    plans: BTreeMap<String, PlanDraft>,
    source: String,
}

struct CredentialDraft {
    id: String,
    environment: Environment,
    created: Date,
    secret_ref: String,
    label: Option<(String, String)>,
}

struct PartnerDraft {
    display: String,
    labels: BTreeMap<String, String>,
    subscriptions: BTreeSet<(String, String, Environment)>,
    credentials: Vec<CredentialDraft>,
    source: String,
}

struct Importer<'a> {
    existing: &'a Program,
    mapping: Mapping<'a>,
    options: &'a ImportOptions,
    products: BTreeMap<String, ProductDraft>,
    partners: BTreeMap<String, PartnerDraft>,
    /// The partner name each consumer became, by `custom_id`/`username`.
    consumer_names: BTreeMap<String, String>,
    taken_ids: BTreeSet<String>,
    todo: BTreeSet<Todo>,
}

fn todo(
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
    fn note(&mut self, t: Todo) {
        self.todo.insert(t);
    }

    /// The plan name of a rate-limiting plugin: a `plan:<name>` tag, a plan tag on the ACL
    /// entry that lets the consumer in, an ACL group `<product>-<plan>`, else the limit.
    fn plan_name(
        &self,
        product: &str,
        consumer: Option<&Consumer>,
        service: &Service,
        plugin: &Plugin,
        deck: &Deck,
        l: Limits,
    ) -> String {
        if let Some(p) = super::model::tag_value(&plugin.tags, &["partnerctl-plan", "plan"]) {
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

    fn product(&mut self, deck: &Deck, env: Environment, s: &Service) {
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

    fn add_plan(&mut self, product: &str, plan: &str, l: Limits, env: Environment) {
        if let Some(pd) = self.products.get_mut(product) {
            pd.plans
                .entry(plan.to_string())
                .or_insert_with(|| PlanDraft {
                    limits: l,
                    environments: BTreeSet::new(),
                })
                .environments
                .insert(env);
        }
    }

    fn product_file(&self, name: &str) -> String {
        self.existing
            .products
            .get(name)
            .map(|p| p.file.clone())
            .unwrap_or_else(|| format!("products/{name}.yaml"))
    }

    fn partner_file(&self, name: &str) -> String {
        self.existing
            .partners
            .get(name)
            .map(|p| p.file.clone())
            .unwrap_or_else(|| format!("partners/{name}.yaml"))
    }

    /// The partner name a consumer becomes: the program's partner when the mapping finds
    /// one, else its `custom_id` (or `username`) made a name, unique in this import.
    fn partner_name(&mut self, c: &Consumer) -> Option<String> {
        let raw = c.partner_name()?.to_string();
        if let Some(n) = self.consumer_names.get(&raw) {
            return Some(n.clone());
        }
        let name = match self.mapping.partner(c) {
            Some(p) => p.name.clone(),
            None => {
                let base = to_name(&raw);
                let taken = |n: &str| self.consumer_names.values().any(|x| x == n);
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
        self.consumer_names.insert(raw, name.clone());
        Some(name)
    }

    fn consumer(&mut self, deck: &Deck, env: Environment, c: &Consumer) {
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

    fn credential(&mut self, c: &Consumer, pname: &str, env: Environment, kc: &KeyCredential) -> Option<Todo> {
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
    fn leftovers(&mut self, deck: &Deck) {
        let mut notes = Vec::new();
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
                _ if rate_limit_used => {}
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

fn is_url(u: &str) -> bool {
    static URL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    URL.get_or_init(|| regex::Regex::new(crate::spec::URL_PATTERN).expect("the URL pattern compiles"))
        .is_match(u)
}

/// Builds the files of an import from one or more decK files (one per environment).
pub fn import_kong(decks: &[Deck], existing: &Program, options: &ImportOptions) -> Result<Imported, ImportError> {
    let mut im = Importer {
        existing,
        mapping: Mapping::new(existing),
        options,
        products: BTreeMap::new(),
        partners: BTreeMap::new(),
        consumer_names: BTreeMap::new(),
        taken_ids: existing
            .partners
            .values()
            .flat_map(|p| p.spec.credentials.iter().map(|c| c.id.0.clone()))
            .collect(),
        todo: BTreeSet::new(),
    };
    let mut environments = Vec::new();
    for deck in decks {
        let (env, from) = super::environment(options.environment, deck, existing)
            .ok_or_else(|| ImportError::NoEnvironment(deck.file.clone()))?;
        environments.push((deck.file.clone(), env, from.as_str()));
        for s in &deck.services {
            im.product(deck, env, s);
        }
        for c in &deck.consumers {
            im.consumer(deck, env, c);
        }
        im.leftovers(deck);
    }

    let owner = options
        .owner
        .clone()
        .or_else(|| existing.program.as_ref().and_then(|p| p.metadata.owner.clone()))
        .or_else(|| existing.spec().and_then(|p| p.teams.keys().next().map(|t| t.0.clone())))
        .unwrap_or_else(|| "TODO".to_string());
    let mut files = Vec::new();
    let products = std::mem::take(&mut im.products);
    for (name, mut p) in products {
        if p.plans.is_empty() && !existing.products.contains_key(&name) {
            p.plans.insert(
                "default".to_string(),
                PlanDraft {
                    limits: Limits {
                        rate: (10, RateUnit::Second),
                        quota: None,
                    },
                    environments: p.upstreams.keys().copied().collect(),
                },
            );
            im.note(todo(None, "rate-limit", Some(im.product_file(&name)), "no consumer of the gateway reaches this product and it sets no rate limit; the import wrote a `default` plan of 10 requests a second, set the real plans".to_string(), None));
        }
        if p.endpoints.is_empty() {
            p.endpoints.push(("GET".into(), "/".into()));
            im.note(todo(
                None,
                "route",
                Some(im.product_file(&name)),
                "the gateway has no route for this product; the import wrote `GET /`, list its endpoints".to_string(),
                None,
            ));
        }
        // A decK file does not know the HTTPRoute an envoy-gateway output attaches to; the
        // program's `validate` asks for it (output-invalid), so say so here too.
        let envoy_gateway: BTreeSet<Environment> = existing
            .spec()
            .into_iter()
            .flat_map(|s| s.outputs.iter())
            .filter(|o| o.target == Some(crate::spec::Target::EnvoyGateway))
            .filter_map(|o| o.environment)
            .collect();
        if !existing.products.contains_key(&name) {
            for env in p.upstreams.keys().filter(|e| envoy_gateway.contains(e)) {
                im.note(todo(
                    None,
                    "http-route",
                    Some(im.product_file(&name)),
                    format!("the program's envoy-gateway output for {env} needs spec.environments.{env}.route: {{name, namespace}}, the HTTPRoute that serves this product, which a decK file does not say"),
                    None,
                ));
            }
        }
        files.push(im.product_file_out(&name, &owner, &p));
    }
    let partners = std::mem::take(&mut im.partners);
    for (name, p) in &partners {
        files.push(im.partner_file_out(name, &owner, p));
    }
    if files
        .iter()
        .any(|f| f.action == Action::Create && f.kind == Kind::Partner)
    {
        im.note(todo(None, "agreements", None, "every new partner: add the terms it accepted (spec.agreements) and its onboarding history (spec.history); `partnerctl validate` lists them".to_string(), None));
    }
    if files.iter().any(|f| f.action == Action::Create) {
        im.note(todo(None, "owner", None, format!("every new resource: check metadata.owner (the import wrote `{owner}`), and set products' requiredTerms and dataCategories"), None));
    }
    Ok(Imported {
        files,
        todo: im.todo.into_iter().collect(),
        environments,
    })
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

fn limits_value(l: &Limits) -> (Value, Option<Value>) {
    (
        json!({"requests": l.rate.0, "per": l.rate.1.as_str()}),
        l.quota.map(|(n, per)| json!({"requests": n, "per": per.as_str()})),
    )
}

fn plan_value(name: &str, p: &PlanDraft) -> Value {
    let (rate, quota) = limits_value(&p.limits);
    let mut o = Map::new();
    o.insert("name".into(), json!(name));
    o.insert("rateLimit".into(), rate);
    if let Some(q) = quota {
        o.insert("quota".into(), q);
    }
    o.insert(
        "environments".into(),
        json!(p.environments.iter().map(|e| e.as_str()).collect::<Vec<_>>()),
    );
    Value::Object(o)
}

fn subscription_value(product: &str, plan: &str, env: Environment) -> Value {
    json!({"product": product, "plan": plan, "environment": env.as_str()})
}

fn credential_value(c: &CredentialDraft) -> Value {
    json!({"id": c.id, "environment": c.environment.as_str(), "created": c.created.to_string(), "secretRef": c.secret_ref})
}

/// A new file: a comment saying where it came from, then the document as the serializer
/// writes it.
fn new_file(comment: &[String], doc: &Value) -> String {
    let mut s = String::new();
    for line in comment {
        s.push_str(&format!("# {}\n", crate::encode::text::escape(line)));
    }
    s.push_str(&yaml_serde::to_string(doc).expect("a JSON value always serializes"));
    s
}

impl Importer<'_> {
    /// The file a resource already has (by name, or a document of that kind and name that
    /// did not load), if any.
    fn existing_file(&self, kind: Kind, name: &str) -> Option<String> {
        let default_path = format!("{}/{name}.yaml", kind.folder().unwrap_or(""));
        match kind {
            Kind::Product => self.existing.products.get(name).map(|r| r.file.clone()),
            Kind::Partner => self.existing.partners.get(name).map(|r| r.file.clone()),
            _ => None,
        }
        .or_else(|| {
            self.existing
                .documents
                .iter()
                .find(|d| d.kind == Some(kind) && d.name.as_deref() == Some(name))
                .map(|d| d.file.clone())
        })
        .or_else(|| self.existing.snapshot.contains(&default_path).then_some(default_path))
    }

    fn skip_or_merge(
        &mut self,
        kind: Kind,
        name: &str,
        path: String,
        edit: impl FnOnce(&mut Self, &mut Editor, &mut Vec<String>) -> Result<(), EditError>,
    ) -> ImportedFile {
        let mut file = ImportedFile {
            path: path.clone(),
            kind,
            name: name.to_string(),
            contents: String::new(),
            action: Action::Skip,
            added: Vec::new(),
        };
        if !self.options.merge {
            return file;
        }
        let loaded = match kind {
            Kind::Product => self.existing.products.contains_key(name),
            _ => self.existing.partners.contains_key(name),
        };
        let Some(text) = self.existing.snapshot.text(&path).filter(|_| loaded) else {
            self.note(todo(
                None,
                "merge",
                Some(path),
                "the file does not load (fix what `validate` reports), so nothing was merged into it".to_string(),
                None,
            ));
            return file;
        };
        let mut editor = match Editor::new(&path, &text) {
            Ok(e) => e,
            Err(d) => {
                self.note(todo(
                    None,
                    "merge",
                    Some(path),
                    format!("not merged: {}", d.message),
                    None,
                ));
                return file;
            }
        };
        let mut added = Vec::new();
        if let Err(e) = edit(self, &mut editor, &mut added) {
            self.note(todo(None, "merge", Some(path), format!("not merged: {e}"), None));
            return file;
        }
        if editor.changed() {
            file.action = Action::Merge;
            file.contents = editor.finish();
            file.added = added;
        } else {
            file.action = Action::Unchanged;
        }
        file
    }

    fn product_file_out(&mut self, name: &str, owner: &str, p: &ProductDraft) -> ImportedFile {
        if let Some(path) = self.existing_file(Kind::Product, name) {
            return self.skip_or_merge(Kind::Product, name, path, |im, ed, added| {
                im.merge_product(name, p, ed, added)
            });
        }
        let mut environments = Map::new();
        for (env, up) in &p.upstreams {
            environments.insert(env.as_str().into(), json!({"upstream": up}));
        }
        let doc = json!({
            "apiVersion": "partnerctl/v1",
            "kind": "Product",
            "metadata": {"name": name, "owner": owner, "labels": {LABEL.0: LABEL.1}},
            "spec": {
                "displayName": title(name),
                "description": "Imported from Kong; describe the product for partners.",
                "lifecycle": "ga",
                "environments": environments,
                "endpoints": p.endpoints.iter().map(|(m, path)| json!({"method": m, "path": path})).collect::<Vec<_>>(),
                "plans": p.plans.iter().map(|(n, d)| plan_value(n, d)).collect::<Vec<_>>(),
            },
        });
        let comment = vec![format!(
            "Imported from {} (Kong services: {}).",
            p.source,
            p.services.iter().cloned().collect::<Vec<_>>().join(", ")
        )];
        ImportedFile {
            path: format!("products/{name}.yaml"),
            kind: Kind::Product,
            name: name.to_string(),
            contents: new_file(&comment, &doc),
            action: Action::Create,
            added: Vec::new(),
        }
    }

    fn merge_product(
        &mut self,
        name: &str,
        p: &ProductDraft,
        ed: &mut Editor,
        added: &mut Vec<String>,
    ) -> Result<(), EditError> {
        let Some(existing) = self.existing.products.get(name) else {
            return Ok(());
        };
        let file = Some(existing.file.clone());
        let value = ed.value().clone();
        for (env, up) in &p.upstreams {
            if existing.spec.environments.get(*env).is_none() {
                ed.insert("/spec/environments", env.as_str(), &json!({"upstream": up}))?;
                added.push(format!("environment {env} (upstream {up})"));
            }
        }
        // Endpoints compare by method and path with parameter names left out.
        let shape = |p: &str| {
            let mut out = String::new();
            let mut inside = false;
            for c in p.chars() {
                match c {
                    '{' => {
                        inside = true;
                        out.push('{');
                    }
                    '}' => inside = false,
                    c if !inside => out.push(c),
                    _ => {}
                }
            }
            out
        };
        for (m, path) in &p.endpoints {
            let known = existing
                .spec
                .endpoints
                .iter()
                .any(|e| e.method.as_str() == m && shape(&e.path) == shape(path));
            if !known && path != "/" {
                ed.push("/spec/endpoints", &json!({"method": m, "path": path}))?;
                added.push(format!("endpoint {m} {path}"));
            }
        }
        let plans = value
            .pointer("/spec/plans")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (plan, d) in &p.plans {
            match existing.spec.plans.iter().position(|x| x.name.0 == *plan) {
                None => {
                    ed.push("/spec/plans", &plan_value(plan, d))?;
                    added.push(format!("plan {plan}"));
                }
                Some(i) => {
                    let spec = &existing.spec.plans[i];
                    if Limits::of_plan(spec) != Some(d.limits) {
                        self.note(todo(
                            None,
                            "difference",
                            file.clone(),
                            format!(
                                "plan {plan}: the gateway applies {}, the program says {}; left as the program says",
                                describe(&d.limits),
                                Limits::of_plan(spec).map(|l| describe(&l)).unwrap_or_default()
                            ),
                            None,
                        ));
                    }
                    let in_file = plans.get(i).and_then(|v| v.get("environments")).is_some();
                    for env in &d.environments {
                        if !spec.environments.contains(env) && in_file {
                            ed.push(&format!("/spec/plans/{i}/environments"), &json!(env.as_str()))?;
                            added.push(format!("environment {env} of plan {plan}"));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn partner_file_out(&mut self, name: &str, owner: &str, p: &PartnerDraft) -> ImportedFile {
        if let Some(path) = self.existing_file(Kind::Partner, name) {
            return self.skip_or_merge(Kind::Partner, name, path, |im, ed, added| {
                im.merge_partner(name, p, ed, added)
            });
        }
        let envs: BTreeSet<Environment> = p
            .subscriptions
            .iter()
            .map(|(_, _, e)| *e)
            .chain(p.credentials.iter().map(|c| c.environment))
            .collect();
        let stage = if envs.contains(&Environment::Production) {
            "live"
        } else if envs.contains(&Environment::Sandbox) {
            "sandbox"
        } else {
            "registered"
        };
        let mut labels = Map::new();
        labels.insert(LABEL.0.into(), json!(LABEL.1));
        for (k, v) in &p.labels {
            labels.insert(k.clone(), json!(v));
        }
        for c in &p.credentials {
            if let Some((k, v)) = &c.label {
                labels.insert(k.clone(), json!(v));
            }
        }
        let doc = json!({
            "apiVersion": "partnerctl/v1",
            "kind": "Partner",
            "metadata": {"name": name, "owner": owner, "labels": labels},
            "spec": {
                "displayName": p.display,
                "listed": false,
                "stage": stage,
                "history": [{"stage": stage, "date": self.options.today.to_string()}],
                "agreements": [],
                "subscriptions": p.subscriptions.iter().map(|(pr, pl, e)| subscription_value(pr, pl, *e)).collect::<Vec<_>>(),
                "credentials": p.credentials.iter().map(credential_value).collect::<Vec<_>>(),
            },
        });
        let comment = vec![
            format!(
                "Imported from {} (a Kong consumer). The gateway does not know the",
                p.source
            ),
            "history and agreements: fill them in.".to_string(),
        ];
        ImportedFile {
            path: format!("partners/{name}.yaml"),
            kind: Kind::Partner,
            name: name.to_string(),
            contents: new_file(&comment, &doc),
            action: Action::Create,
            added: Vec::new(),
        }
    }

    fn merge_partner(
        &mut self,
        name: &str,
        p: &PartnerDraft,
        ed: &mut Editor,
        added: &mut Vec<String>,
    ) -> Result<(), EditError> {
        let Some(existing) = self.existing.partners.get(name) else {
            return Ok(());
        };
        let file = Some(existing.file.clone());
        let mut labels: Vec<(String, String)> = p.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (product, plan, env) in &p.subscriptions {
            match existing
                .spec
                .subscriptions
                .iter()
                .find(|s| s.product.0 == *product && s.environment == *env)
            {
                Some(s) if s.plan.0 != *plan => self.note(todo(None, "difference", file.clone(), format!("subscription to {product} in {env}: the gateway applies the limits of plan {plan}, the program says plan {}; left as the program says", s.plan), None)),
                Some(_) => {}
                None => {
                    ed.push("/spec/subscriptions", &subscription_value(product, plan, *env))?;
                    added.push(format!("subscription {product}/{plan} in {env}"));
                }
            }
        }
        for c in &p.credentials {
            match existing.spec.credentials.iter().find(|x| x.id.0 == c.id) {
                Some(x) if !x.is_live(self.options.today) => self.note(todo(None, "difference", file.clone(), format!("credential {} is revoked or expired in the program but still in the gateway; left as the program says (`partnerctl audit` reports it)", c.id), None)),
                Some(_) => {}
                None => {
                    ed.push("/spec/credentials", &credential_value(c))?;
                    added.push(format!("credential {} ({})", c.id, c.environment));
                    if let Some(l) = &c.label {
                        labels.push(l.clone());
                    }
                }
            }
        }
        let missing: Vec<(String, String)> = labels
            .into_iter()
            .filter(|(k, _)| !existing.metadata.labels.contains_key(k))
            .collect();
        if !missing.is_empty() {
            if ed.value().pointer("/metadata/labels").is_some() {
                for (k, v) in &missing {
                    ed.insert("/metadata/labels", k, &json!(v))?;
                }
            } else {
                let map: Map<String, Value> = missing.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                ed.insert("/metadata", "labels", &Value::Object(map))?;
            }
            for (k, v) in &missing {
                added.push(format!("label {k}: {v}"));
            }
        }
        Ok(())
    }
}

fn describe(l: &Limits) -> String {
    let mut s = format!("{} a {}", l.rate.0, l.rate.1.as_str());
    if let Some((n, per)) = l.quota {
        s.push_str(&format!(" and {n} a {}", per.as_str()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kong_paths_become_endpoint_paths() {
        assert_eq!(endpoint_path("/v1/shipments"), ("/v1/shipments".into(), true));
        assert_eq!(
            endpoint_path("~/v1/shipments/(?<id>[^/]+)$"),
            ("/v1/shipments/{id}".into(), true)
        );
        assert_eq!(
            endpoint_path("~^/v1/shipments/(?<id>[^/]+)/labels$"),
            ("/v1/shipments/{id}/labels".into(), true)
        );
        assert_eq!(
            endpoint_path("~/v1/a/[^/]+/b/([^/]+)$"),
            ("/v1/a/{param}/b/{param2}".into(), true)
        );
        assert_eq!(endpoint_path("~/v1/rates\\.json$"), ("/v1/rates.json".into(), true));
        assert_eq!(endpoint_path("~/v1/example/?$"), ("/v1/example".into(), false));
        assert!(!endpoint_path("~/v1/(a|b)$").1);
        assert_eq!(endpoint_path("~/v1/x.*$"), ("/v1/x".into(), false));
        assert_eq!(endpoint_path("~/v1/x"), ("/v1/x".into(), false));
        assert_eq!(endpoint_path("/a b"), ("/".into(), false));
    }

    #[test]
    fn rate_limiting_configs_become_limits() {
        let l = limits(&json!({"second": 10, "day": 10000, "policy": "local"})).unwrap();
        assert_eq!(
            l,
            Limits {
                rate: (10, RateUnit::Second),
                quota: Some((10000, QuotaUnit::Day))
            }
        );
        let l = limits(&json!({"second": 250, "month": 5000000})).unwrap();
        assert_eq!(l.quota, Some((5000000, QuotaUnit::Month)));
        assert_eq!(
            limits(&json!({"minute": 60, "hour": null})).unwrap().rate,
            (60, RateUnit::Minute)
        );
        assert_eq!(limits(&json!({})), None);
        assert_eq!(limits(&json!({"limit": [5], "window_size": [30]})), None);
    }

    #[test]
    fn names_follow_the_pattern() {
        assert_eq!(to_name("ACME Logistics GmbH"), "acme-logistics-gmbh");
        assert_eq!(to_name("test_consumer_3x"), "test-consumer-3x");
        assert_eq!(to_name("_route_(x)_"), "route-x");
        assert_eq!(to_name(&"a".repeat(80)).len(), 63);
        assert_eq!(to_name("__"), "imported");
    }
}
