//! The decK model: the Kong entities partnerctl reads, writes and compares, shared by
//! [`super::read`] (a decK file → [`Deck`], with where each entity was written),
//! [`super::render`] (the program → [`Deck`] → the decK document, [`Deck::to_value`]),
//! [`super::import`] and [`super::audit`].
//!
//! Plugins are kept flat, each with its scope (service, route, consumer, consumer group),
//! wherever the file nested them. A key-auth credential never holds its key: only a vault
//! reference (`{vault://…}`) or the decK environment variable (`${{ env "…" }}`) it is filled
//! from. Other credentials (basic-auth, JWT, HMAC, mTLS, OAuth2) are kept as their kind and a
//! name that is not a secret (a username, a subject name, an id), so an import can say what
//! it did not bring over.

use crate::diag::Location;
use crate::spec::Environment;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub name: String,
    /// The product it serves (tag `product:<name>`, else the name without an environment suffix).
    pub product: String,
    pub url: Option<String>,
    pub tags: Vec<String>,
    pub routes: Vec<Route>,
    pub at: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub name: Option<String>,
    pub paths: Vec<String>,
    pub methods: Vec<String>,
    pub strip_path: Option<bool>,
    pub tags: Vec<String>,
    /// Matching beyond path and method (hosts, headers, SNIs, sources), which no product
    /// endpoint can say: how many of each, by decK key.
    pub other_matches: Vec<String>,
    pub at: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Acl {
    pub group: String,
    pub tags: Vec<String>,
    pub at: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    pub username: Option<String>,
    pub custom_id: Option<String>,
    pub tags: Vec<String>,
    pub credentials: Vec<KeyCredential>,
    /// Credentials of other kinds than key-auth.
    pub other_credentials: Vec<OtherCredential>,
    pub acls: Vec<Acl>,
    /// Consumer groups it belongs to.
    pub groups: Vec<String>,
    /// `created_at` (seconds since the epoch), when the dump carries it.
    pub created_at: Option<i64>,
    pub at: Location,
}

impl Consumer {
    /// The partner name it stands for when no mapping says otherwise: `custom_id`, else
    /// `username`.
    pub fn partner_name(&self) -> Option<&str> {
        self.custom_id.as_deref().or(self.username.as_deref())
    }

    /// How to name it in a message.
    pub fn label(&self) -> String {
        match (&self.username, &self.custom_id) {
            (Some(u), Some(c)) if u != c => format!("{u} (custom_id {c})"),
            (_, Some(c)) => c.clone(),
            (Some(u), None) => u.clone(),
            (None, None) => format!("the consumer at line {}", self.at.line),
        }
    }

    /// Whether a plugin's `consumer` reference (a username, custom_id or id) names it.
    pub fn is(&self, reference: &str) -> bool {
        self.username.as_deref() == Some(reference) || self.custom_id.as_deref() == Some(reference)
    }

    /// Its ACL groups.
    pub fn groups_of_acl(&self) -> impl Iterator<Item = &str> {
        self.acls.iter().map(|a| a.group.as_str())
    }

    /// The plan an ACL group stands for, from a `plan:<name>` tag on the ACL entry.
    pub fn acl_plan(&self, group: &str) -> Option<&str> {
        self.acls
            .iter()
            .filter(|a| a.group == group)
            .find_map(|a| tag_value(&a.tags, &["partnerctl-plan", "plan"]))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyCredential {
    /// Kong's own id of the credential (a UUID), if the file carries one.
    pub kong_id: Option<String>,
    /// The program credential id it names by itself (a tag, a vault reference, an id that is
    /// not a UUID), if it names one.
    pub credential: Option<String>,
    /// The key's vault reference, when the key is one (`vault://env/acme-sbx-1`); a literal
    /// key is never kept.
    pub key_reference: Option<String>,
    /// The environment variable decK fills the key from at sync time, when the key is a decK
    /// substitution (`${{ env "DECK_..." }}`).
    pub key_variable: Option<String>,
    pub tags: Vec<String>,
    pub created_at: Option<i64>,
    /// 1-based place among its consumer's key-auth credentials.
    pub index: usize,
    pub at: Location,
}

impl KeyCredential {
    /// How a program names this credential in the gateway when the credential names no
    /// program credential by itself: its Kong id, else `#<n>`, its place among the consumer's
    /// key-auth credentials (see `docs/audit.md` for the limits of that).
    pub fn gateway_ref(&self) -> String {
        self.kong_id.clone().unwrap_or_else(|| format!("#{}", self.index))
    }
}

/// The kinds of credential other than key-auth that Kong holds per consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OtherKind {
    BasicAuth,
    Jwt,
    HmacAuth,
    MtlsAuth,
    Oauth2,
}

impl OtherKind {
    /// The decK key that lists them on a consumer, and the name to show.
    pub const ALL: [(OtherKind, &'static str); 5] = [
        (OtherKind::BasicAuth, "basicauth_credentials"),
        (OtherKind::Jwt, "jwt_secrets"),
        (OtherKind::HmacAuth, "hmacauth_credentials"),
        (OtherKind::MtlsAuth, "mtls_auth_credentials"),
        (OtherKind::Oauth2, "oauth2_credentials"),
    ];

    /// The kebab-case name (also the to-do kind, with `-credential`).
    pub fn as_str(self) -> &'static str {
        match self {
            OtherKind::BasicAuth => "basic-auth",
            OtherKind::Jwt => "jwt",
            OtherKind::HmacAuth => "hmac-auth",
            OtherKind::MtlsAuth => "mtls-auth",
            OtherKind::Oauth2 => "oauth2",
        }
    }

    /// The fields that name such a credential without being a secret, in order of preference.
    pub fn name_fields(self) -> &'static [&'static str] {
        match self {
            OtherKind::BasicAuth | OtherKind::HmacAuth => &["username", "id"],
            OtherKind::MtlsAuth => &["subject_name", "id"],
            OtherKind::Jwt => &["id", "algorithm"],
            OtherKind::Oauth2 => &["name", "id"],
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct OtherCredential {
    pub kind: OtherKind,
    /// A name that is not a secret (a username, a subject name, an id, an algorithm).
    pub name: Option<String>,
    pub at: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plugin {
    pub name: String,
    pub service: Option<String>,
    pub route: Option<String>,
    pub consumer: Option<String>,
    pub consumer_group: Option<String>,
    pub enabled: bool,
    /// Shared: a rendered file gives every partner on a plan the same `rate-limiting`
    /// config, and 100,000 copies of it were most of the model's memory.
    pub config: std::sync::Arc<Value>,
    pub tags: Vec<String>,
    pub at: Location,
}

impl Plugin {
    /// A plugin that applies to every consumer of one service.
    fn service_wide(&self, service: &str) -> bool {
        self.service.as_deref() == Some(service)
            && self.route.is_none()
            && self.consumer.is_none()
            && self.consumer_group.is_none()
    }

    /// Where it applies, for a message: `service shipments`, `consumer acme`, `global`.
    pub fn scope(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.service {
            parts.push(format!("service {s}"));
        }
        if let Some(r) = &self.route {
            parts.push(format!("route {r}"));
        }
        if let Some(c) = &self.consumer {
            parts.push(format!("consumer {c}"));
        }
        if let Some(g) = &self.consumer_group {
            parts.push(format!("consumer group {g}"));
        }
        if parts.is_empty() {
            "every request (global)".to_string()
        } else {
            parts.join(", ")
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerGroup {
    pub name: String,
    pub tags: Vec<String>,
    pub members: Vec<String>,
    pub at: Location,
}

/// Top-level entities partnerctl does not model (upstreams, certificates, vaults, …): their
/// decK key, how many, and their names when they have one.
#[derive(Clone, Debug, PartialEq)]
pub struct OtherEntities {
    pub key: String,
    pub count: usize,
    pub names: Vec<String>,
    pub at: Location,
}

/// A decK file.
#[derive(Clone, Debug, PartialEq)]
pub struct Deck {
    pub file: String,
    pub format_version: Option<String>,
    /// `_info.select_tags`.
    pub select_tags: Vec<String>,
    /// The environment the file's tags name (`environment:<env>`, `env:<env>`, or the `kong`
    /// target's select tag `partnerctl-<program>-<env>`), if they name one.
    pub environment: Option<Environment>,
    pub services: Vec<Service>,
    /// Routes that name no service of the file.
    pub loose_routes: Vec<Route>,
    pub consumers: Vec<Consumer>,
    pub consumer_groups: Vec<ConsumerGroup>,
    /// Every plugin, wherever it was nested, with its scope filled in.
    pub plugins: Vec<Plugin>,
    pub other_entities: Vec<OtherEntities>,
    /// Where the plugins and consumers a query needs are, built on the first query.
    pub lookup: Lookup,
}

/// An index of a [`Deck`]'s `acl` and rate-limiting plugins and of its consumers by name,
/// built once on the first query: `audit` and `import` ask for every consumer which services
/// it may call and which limits apply to it, and scanning every plugin each time made a
/// gateway of 100,000 consumers (and as many plugins) quadratic. A deck is read, then
/// queried; one that grows after a query is indexed again (the index knows the lengths it
/// was built for). It takes no part in comparing decks.
#[derive(Clone, Default)]
pub struct Lookup(std::sync::OnceLock<Index>);

impl PartialEq for Lookup {
    fn eq(&self, _: &Lookup) -> bool {
        true
    }
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lookup")
    }
}

#[derive(Clone, Debug)]
pub struct Index {
    plugins: usize,
    consumers: usize,
    /// Enabled `acl` plugins, in file order.
    acl: Vec<usize>,
    /// Enabled rate-limiting plugins scoped to a consumer, by the reference they name.
    rate_by_consumer: std::collections::HashMap<String, Vec<usize>>,
    /// The other enabled rate-limiting plugins (a consumer group's, a service's, global).
    rate_other: Vec<usize>,
    /// The first consumer each username and custom_id names.
    consumer_by_ref: std::collections::HashMap<String, usize>,
}

impl Index {
    fn of(deck: &Deck) -> Index {
        let mut ix = Index {
            plugins: deck.plugins.len(),
            consumers: deck.consumers.len(),
            acl: Vec::new(),
            rate_by_consumer: std::collections::HashMap::new(),
            rate_other: Vec::new(),
            consumer_by_ref: std::collections::HashMap::new(),
        };
        for (i, p) in deck.plugins.iter().enumerate().filter(|(_, p)| p.enabled) {
            if p.name == "acl" {
                ix.acl.push(i);
            } else if p.name.starts_with("rate-limiting") {
                if let Some(c) = &p.consumer {
                    ix.rate_by_consumer.entry(c.clone()).or_default().push(i);
                }
                if p.consumer.is_none() || p.consumer_group.is_some() {
                    ix.rate_other.push(i);
                }
            }
        }
        for (i, c) in deck.consumers.iter().enumerate() {
            for name in [&c.username, &c.custom_id].into_iter().flatten() {
                ix.consumer_by_ref.entry(name.clone()).or_insert(i);
            }
        }
        ix
    }
}

/// The value of a `<prefix>:<value>` (or `<prefix>=<value>`) tag, for any of the prefixes.
pub fn tag_value<'a>(tags: &'a [String], prefixes: &[&str]) -> Option<&'a str> {
    tags.iter().find_map(|t| {
        prefixes
            .iter()
            .find_map(|p| t.strip_prefix(p).and_then(|r| r.strip_prefix([':', '='])))
    })
}

/// The environment a list of tags names, if one does.
pub fn environment_tag(tags: &[String]) -> Option<Environment> {
    tags.iter().find_map(|t| {
        if let Some(v) = t.strip_prefix("environment:").or_else(|| t.strip_prefix("env:")) {
            return Environment::ALL.into_iter().find(|e| e.as_str() == v);
        }
        // The `kong` target's select tag: `partnerctl-<program>-<environment>`.
        let rest = t.strip_prefix("partnerctl-")?;
        Environment::ALL
            .into_iter()
            .find(|e| rest.ends_with(&format!("-{}", e.as_str())))
    })
}

fn strings_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

impl Deck {
    /// An empty file (what [`super::render`] fills in).
    pub fn new(file: impl Into<String>) -> Deck {
        Deck {
            file: file.into(),
            format_version: None,
            select_tags: Vec::new(),
            environment: None,
            services: Vec::new(),
            loose_routes: Vec::new(),
            consumers: Vec::new(),
            consumer_groups: Vec::new(),
            plugins: Vec::new(),
            other_entities: Vec::new(),
            lookup: Lookup::default(),
        }
    }

    /// The deck's [`Index`], built on the first call.
    fn index(&self) -> std::borrow::Cow<'_, Index> {
        let ix = self.lookup.0.get_or_init(|| Index::of(self));
        if ix.plugins == self.plugins.len() && ix.consumers == self.consumers.len() {
            std::borrow::Cow::Borrowed(ix)
        } else {
            std::borrow::Cow::Owned(Index::of(self))
        }
    }

    /// The enabled `acl` plugins.
    fn acl_plugins(&self) -> Vec<&Plugin> {
        self.index().acl.iter().map(|&i| &self.plugins[i]).collect()
    }

    /// The consumer a plugin's `consumer` reference names.
    pub fn consumer(&self, reference: &str) -> Option<&Consumer> {
        self.index().consumer_by_ref.get(reference).map(|&i| &self.consumers[i])
    }

    fn acl_allows(&self, p: &Plugin, group: &str) -> bool {
        strings_of(p.config.get("allow").or_else(|| p.config.get("whitelist")))
            .iter()
            .any(|g| g == group)
    }

    /// The services whose `acl` plugin lets a group in (services without an `acl` plugin let
    /// every authenticated consumer in and are not listed).
    pub fn services_allowing(&self, group: &str) -> Vec<&Service> {
        let acl = self.acl_plugins();
        self.services
            .iter()
            .filter(|s| {
                acl.iter().any(|p| {
                    (p.service.as_deref() == Some(s.name.as_str())
                        || s.routes.iter().any(|r| r.name.is_some() && p.route == r.name))
                        && self.acl_allows(p, group)
                })
            })
            .collect()
    }

    /// Whether a service, or one of its routes, is guarded by an `acl` plugin.
    pub fn has_acl(&self, service: &Service) -> bool {
        self.acl_plugins().iter().any(|p| {
            p.service.as_deref() == Some(service.name.as_str())
                || service.routes.iter().any(|r| r.name.is_some() && p.route == r.name)
        })
    }

    /// Whether a service (or every service, globally) asks for a credential of some kind.
    pub fn has_auth(&self, service: &Service) -> bool {
        const AUTH: [&str; 7] = [
            "key-auth",
            "key-auth-enc",
            "basic-auth",
            "jwt",
            "hmac-auth",
            "mtls-auth",
            "oauth2",
        ];
        self.plugins.iter().any(|p| {
            p.enabled
                && AUTH.contains(&p.name.as_str())
                && p.consumer.is_none()
                && p.consumer_group.is_none()
                && (p.service.as_deref() == Some(service.name.as_str())
                    || (p.service.is_none() && p.route.is_none())
                    || service.routes.iter().any(|r| r.name.is_some() && p.route == r.name))
        })
    }

    /// The services a consumer can call: those whose `acl` plugin lets one of its groups in,
    /// and those without one that have a route either without an `acl` plugin of its own or
    /// whose `acl` plugin lets one of its groups in.
    pub fn services_for(&self, consumer: &Consumer) -> Vec<&Service> {
        let acl = self.acl_plugins();
        let acls_on =
            |pred: &dyn Fn(&Plugin) -> bool| -> Vec<&Plugin> { acl.iter().copied().filter(|p| pred(p)).collect() };
        let lets_in = |acls: &[&Plugin]| {
            acls.iter()
                .any(|p| consumer.groups_of_acl().any(|g| self.acl_allows(p, g)))
        };
        self.services
            .iter()
            .filter(|s| {
                let on_service = acls_on(&|p| p.service.as_deref() == Some(s.name.as_str()) && p.route.is_none());
                if !on_service.is_empty() {
                    return lets_in(&on_service);
                }
                s.routes.is_empty()
                    || s.routes.iter().any(|r| {
                        let on_route = acls_on(&|p| r.name.is_some() && p.route == r.name);
                        on_route.is_empty() || lets_in(&on_route)
                    })
            })
            .collect()
    }

    /// The rate-limiting plugins (`rate-limiting`, `rate-limiting-advanced`, …) that apply to
    /// a consumer on a service, most specific first.
    pub fn rate_limits_for(&self, consumer: &Consumer, service: &Service) -> Vec<&Plugin> {
        let is_consumer = |p: &Plugin| p.consumer.as_deref().is_some_and(|c| consumer.is(c));
        let is_group = |p: &Plugin| p.consumer_group.as_ref().is_some_and(|g| consumer.groups.contains(g));
        let on_service = |p: &Plugin| p.service.as_deref() == Some(service.name.as_str());
        // Only the plugins that can apply: the consumer's own, and those scoped to no consumer
        // or to a group; in file order, as a scan of every plugin would find them.
        let ix = self.index();
        let mut candidates: Vec<usize> = [&consumer.username, &consumer.custom_id]
            .into_iter()
            .flatten()
            .filter_map(|name| ix.rate_by_consumer.get(name))
            .flatten()
            .chain(&ix.rate_other)
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut out: Vec<(u8, &Plugin)> = candidates
            .into_iter()
            .map(|i| &self.plugins[i])
            .filter_map(|p| {
                let rank = match (
                    is_consumer(p) || is_group(p),
                    on_service(p),
                    p.service.is_none() && p.route.is_none(),
                ) {
                    (true, true, _) => 0,
                    (true, false, true) => 1,
                    (false, true, _) if p.consumer.is_none() && p.consumer_group.is_none() && p.route.is_none() => 2,
                    _ => return None,
                };
                Some((rank, p))
            })
            .collect();
        out.sort_by_key(|(r, _)| *r);
        out.into_iter().map(|(_, p)| p).collect()
    }
}

/// The decK document: `_format_version`, `_info.select_tags`, services (each with its routes
/// and the plugins scoped to it alone), consumers (ACL groups, key-auth credentials), and the
/// other plugins at the top level with their scope. What partnerctl writes; a key is written
/// only as the vault reference or decK variable it came from.
///
/// Written straight from the model (the `yaml` filter of the `kong` target's template), so a
/// gateway of 100,000 consumers is never held a second time as a document tree.
impl Serialize for Deck {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (service_wide, plugins): (Vec<&Plugin>, Vec<&Plugin>) = self
            .plugins
            .iter()
            .partition(|p| p.service.as_deref().is_some_and(|s| p.service_wide(s)));
        let mut root = serializer.serialize_map(None)?;
        if let Some(v) = &self.format_version {
            root.serialize_entry("_format_version", v)?;
        }
        if !self.select_tags.is_empty() {
            root.serialize_entry("_info", &Entries([("select_tags", &self.select_tags)]))?;
        }
        root.serialize_entry(
            "services",
            &Items(|| {
                self.services.iter().map(|service| ServiceDocument {
                    service,
                    plugins: &service_wide,
                })
            }),
        )?;
        root.serialize_entry("consumers", &Items(|| self.consumers.iter().map(ConsumerDocument)))?;
        root.serialize_entry(
            "plugins",
            &Items(|| plugins.iter().map(|plugin| PluginDocument { plugin, scoped: true })),
        )?;
        root.end()
    }
}

/// A list written from an iterator, made again each time it is written.
struct Items<F>(F);

impl<F, I> Serialize for Items<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

/// A mapping of fixed keys.
struct Entries<V, const N: usize>([(&'static str, V); N]);

impl<V: Serialize, const N: usize> Serialize for Entries<V, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

struct ServiceDocument<'a> {
    service: &'a Service,
    plugins: &'a [&'a Plugin],
}

impl Serialize for ServiceDocument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let s = self.service;
        let mut o = serializer.serialize_map(None)?;
        o.serialize_entry("name", &s.name)?;
        if let Some(u) = &s.url {
            o.serialize_entry("url", u)?;
        }
        o.serialize_entry("tags", &s.tags)?;
        o.serialize_entry("routes", &Items(|| s.routes.iter().map(RouteDocument)))?;
        o.serialize_entry(
            "plugins",
            &Items(|| {
                self.plugins
                    .iter()
                    .filter(|p| p.service_wide(&s.name))
                    .map(|plugin| PluginDocument { plugin, scoped: false })
            }),
        )?;
        o.end()
    }
}

struct RouteDocument<'a>(&'a Route);

impl Serialize for RouteDocument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut o = serializer.serialize_map(None)?;
        if let Some(n) = &r.name {
            o.serialize_entry("name", n)?;
        }
        o.serialize_entry("methods", &r.methods)?;
        o.serialize_entry("paths", &r.paths)?;
        if let Some(s) = r.strip_path {
            o.serialize_entry("strip_path", &s)?;
        }
        o.serialize_entry("tags", &r.tags)?;
        o.end()
    }
}

struct ConsumerDocument<'a>(&'a Consumer);

impl Serialize for ConsumerDocument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut o = serializer.serialize_map(None)?;
        if let Some(u) = &c.username {
            o.serialize_entry("username", u)?;
        }
        if let Some(id) = &c.custom_id {
            o.serialize_entry("custom_id", id)?;
        }
        o.serialize_entry("tags", &c.tags)?;
        o.serialize_entry("acls", &Items(|| c.acls.iter().map(AclDocument)))?;
        o.serialize_entry("keyauth_credentials", &Items(|| c.credentials.iter().map(KeyDocument)))?;
        o.end()
    }
}

struct AclDocument<'a>(&'a Acl);

impl Serialize for AclDocument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut o = serializer.serialize_map(None)?;
        o.serialize_entry("group", &self.0.group)?;
        o.serialize_entry("tags", &self.0.tags)?;
        o.end()
    }
}

struct KeyDocument<'a>(&'a KeyCredential);

impl Serialize for KeyDocument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let k = self.0;
        let mut o = serializer.serialize_map(None)?;
        if let Some(var) = &k.key_variable {
            o.serialize_entry("key", &format!("${{{{ env \"{var}\" }}}}"))?;
        } else if let Some(r) = &k.key_reference {
            o.serialize_entry("key", &format!("{{{r}}}"))?;
        }
        o.serialize_entry("tags", &k.tags)?;
        o.end()
    }
}

struct PluginDocument<'a> {
    plugin: &'a Plugin,
    /// At the top level, where a plugin names its scope.
    scoped: bool,
}

impl Serialize for PluginDocument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let p = self.plugin;
        let mut o = serializer.serialize_map(None)?;
        o.serialize_entry("name", &p.name)?;
        if self.scoped {
            for (key, v) in [
                ("consumer", &p.consumer),
                ("service", &p.service),
                ("route", &p.route),
                ("consumer_group", &p.consumer_group),
            ] {
                if let Some(v) = v {
                    o.serialize_entry(key, v)?;
                }
            }
        }
        if !p.enabled {
            o.serialize_entry("enabled", &false)?;
        }
        o.serialize_entry("config", &*p.config)?;
        o.serialize_entry("tags", &p.tags)?;
        o.end()
    }
}
