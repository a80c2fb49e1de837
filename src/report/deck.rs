//! Reading a Kong decK file (what `deck gateway dump` writes, or what the `kong` target
//! renders), YAML or JSON, into the few entities the audit and the import need: services and
//! their routes, consumers with their key-auth credentials and ACL groups, and plugins with
//! their scope. Every entity keeps where it was written, so findings point into the file.
//!
//! How a Kong entity names a program entity:
//! - a consumer names a partner by `custom_id`, else `username`;
//! - a key-auth credential names a program credential by a tag `credential:<id>` (also
//!   `partnerctl-credential:<id>` or `partnerctl:credential:<id>`), else by a vault reference
//!   key whose last segment is the id (`{vault://env/acme-sbx-1}`), else by an `id` that is not
//!   a UUID; the key value itself is never kept;
//! - a service names a product by a tag `product:<name>`, else by its name (with a trailing
//!   `-sandbox`/`-production` taken off);
//! - the environment of the file comes from tags `environment:<env>` (or `env:<env>`) on
//!   services, consumers or `_info.select_tags`, else from the file name.

use crate::diag::Location;
use crate::source::yaml::{self, Positions};
use crate::spec::Environment;
use serde_json::Value;

/// Why a decK file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DeckError {
    #[error("cannot read {file}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    Shape { file: String, message: String },
}

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
    pub tags: Vec<String>,
    pub at: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    pub username: Option<String>,
    pub custom_id: Option<String>,
    pub tags: Vec<String>,
    pub credentials: Vec<KeyCredential>,
    pub acls: Vec<String>,
    /// The plan an ACL group stands for, from a `plan:<name>` tag on the ACL entry.
    pub acl_plans: std::collections::BTreeMap<String, String>,
    /// Consumer groups it belongs to.
    pub groups: Vec<String>,
    /// `created_at` (seconds since the epoch), when the dump carries it.
    pub created_at: Option<i64>,
    pub at: Location,
}

impl Consumer {
    /// The partner name it stands for: `custom_id`, else `username`.
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
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyCredential {
    /// Kong's own id of the credential (a UUID), if the file carries one.
    pub kong_id: Option<String>,
    /// The program credential id it stands for, if it names one.
    pub credential: Option<String>,
    /// The key's vault reference, when the key is one (`vault://env/acme-sbx-1`); a literal
    /// key is never kept.
    pub key_reference: Option<String>,
    /// The environment variable decK fills the key from at sync time, when the key is a decK
    /// substitution (`${{ env "DECK_..." }}`).
    pub key_variable: Option<String>,
    pub tags: Vec<String>,
    pub created_at: Option<i64>,
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
    pub config: Value,
    pub tags: Vec<String>,
    pub at: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerGroup {
    pub name: String,
    pub tags: Vec<String>,
    pub at: Location,
}

/// A decK file, read.
#[derive(Clone, Debug, PartialEq)]
pub struct Deck {
    pub file: String,
    pub environment: Option<Environment>,
    pub services: Vec<Service>,
    pub consumers: Vec<Consumer>,
    pub consumer_groups: Vec<ConsumerGroup>,
    /// Every plugin, wherever it was nested, with its scope filled in.
    pub plugins: Vec<Plugin>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn string(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A reference to another entity: a name/id string, or `{name: ...}`/`{id: ...}`.
fn reference(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o
            .get("name")
            .or_else(|| o.get("username"))
            .or_else(|| o.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    }
}

fn items<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = (usize, &'a Value)> {
    v.get(key).and_then(Value::as_array).into_iter().flatten().enumerate()
}

fn environment_tag(tags: &[String]) -> Option<Environment> {
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

/// The value of a `<prefix>:<value>` tag, for any of the prefixes.
pub fn tag_value<'a>(tags: &'a [String], prefixes: &[&str]) -> Option<&'a str> {
    tags.iter().find_map(|t| {
        prefixes
            .iter()
            .find_map(|p| t.strip_prefix(p).and_then(|r| r.strip_prefix([':', '='])))
    })
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// `${{ env "DECK_X" }}` → `DECK_X`.
fn env_substitution(key: &str) -> Option<String> {
    let inner = key.trim().strip_prefix("${{")?.strip_suffix("}}")?.trim();
    let var = inner.strip_prefix("env")?.trim().trim_matches('"');
    (!var.is_empty()).then(|| var.to_string())
}

/// `{vault://env/acme-sbx-1}` → `vault://env/acme-sbx-1`.
fn vault_reference(key: &str) -> Option<String> {
    let inner = key.strip_prefix('{')?.strip_suffix('}')?.trim();
    inner.starts_with("vault://").then(|| inner.to_string())
}

fn strip_env_suffix(name: &str) -> &str {
    for e in Environment::ALL {
        for sep in ['-', '_', '.'] {
            if let Some(base) = name.strip_suffix(&format!("{sep}{}", e.as_str())) {
                return base;
            }
        }
    }
    name
}

impl Deck {
    /// Reads a decK file from disk; `name` is how findings name it.
    pub fn read(path: &std::path::Path) -> Result<Deck, DeckError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| DeckError::Io {
            file: name.clone(),
            source,
        })?;
        Deck::parse(&name, &bytes)
    }

    /// Parses a decK file's bytes (YAML or JSON).
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Deck, DeckError> {
        let (value, positions) = match yaml::parse(file, bytes) {
            Ok(doc) => (doc.value, doc.positions),
            Err(d) => {
                // JSON that YAML refuses (tabs, for one) is still a decK file.
                match serde_json::from_slice::<Value>(bytes) {
                    Ok(v) => (v, Positions::default()),
                    Err(_) => {
                        return Err(DeckError::Syntax {
                            file: file.to_string(),
                            line: d.line,
                            column: d.column,
                            message: d.message,
                        });
                    }
                }
            }
        };
        Deck::from_value(file, &value, &positions)
    }

    fn from_value(file: &str, root: &Value, positions: &Positions) -> Result<Deck, DeckError> {
        if !root.is_object() {
            return Err(DeckError::Shape {
                file: file.to_string(),
                message: "a decK file is a mapping with `_format_version`, `services`, `consumers`, ...".into(),
            });
        }
        let at = |pointer: &str| {
            let p = positions.value(root, pointer);
            Location::new(file, p.line, p.column)
        };
        let mut deck = Deck {
            file: file.to_string(),
            environment: None,
            services: Vec::new(),
            consumers: Vec::new(),
            consumer_groups: Vec::new(),
            plugins: Vec::new(),
        };
        let mut env_tags: Vec<String> = root
            .pointer("/_info/select_tags")
            .map(|v| strings(Some(v)))
            .unwrap_or_default();

        // Top-level routes name their service.
        let mut loose_routes: Vec<(Option<String>, Route)> = Vec::new();
        let read_route = |r: &Value, pointer: &str, deck: &mut Deck| {
            let route = Route {
                name: string(r, "name"),
                paths: strings(r.get("paths")),
                methods: strings(r.get("methods"))
                    .into_iter()
                    .map(|m| m.to_ascii_uppercase())
                    .collect(),
                tags: strings(r.get("tags")),
                at: at(pointer),
            };
            for (k, p) in items(r, "plugins") {
                deck.plugins.push(plugin(
                    p,
                    &format!("{pointer}/plugins/{k}"),
                    None,
                    route.name.clone(),
                    None,
                    None,
                    &at,
                ));
            }
            route
        };

        for (i, s) in items(root, "services") {
            let pointer = format!("/services/{i}");
            let name = string(s, "name")
                .or_else(|| string(s, "id"))
                .unwrap_or_else(|| format!("service-{}", i + 1));
            let tags = strings(s.get("tags"));
            env_tags.extend(tags.iter().cloned());
            let url = string(s, "url").or_else(|| {
                let host = string(s, "host")?;
                let protocol = string(s, "protocol").unwrap_or_else(|| "http".into());
                let port = string(s, "port").map(|p| format!(":{p}")).unwrap_or_default();
                let path = string(s, "path").unwrap_or_default();
                Some(format!("{protocol}://{host}{port}{path}"))
            });
            let product = tag_value(&tags, &["partnerctl-product", "product"])
                .map(str::to_string)
                .unwrap_or_else(|| strip_env_suffix(&name).to_string());
            let mut routes = Vec::new();
            for (j, r) in items(s, "routes") {
                let mut route = read_route(r, &format!("{pointer}/routes/{j}"), &mut deck);
                if route.name.is_none() {
                    route.name = Some(format!("{name}-{}", j + 1));
                }
                routes.push(route);
            }
            for (k, p) in items(s, "plugins") {
                deck.plugins.push(plugin(
                    p,
                    &format!("{pointer}/plugins/{k}"),
                    Some(name.clone()),
                    None,
                    None,
                    None,
                    &at,
                ));
            }
            deck.services.push(Service {
                name,
                product,
                url,
                tags,
                routes,
                at: at(&pointer),
            });
        }
        for (j, r) in items(root, "routes") {
            let route = read_route(r, &format!("/routes/{j}"), &mut deck);
            loose_routes.push((reference(r, "service"), route));
        }
        for (service, route) in loose_routes {
            if let Some(s) = deck.services.iter_mut().find(|s| Some(&s.name) == service.as_ref()) {
                s.routes.push(route);
            }
        }

        for (i, c) in items(root, "consumers") {
            let pointer = format!("/consumers/{i}");
            let tags = strings(c.get("tags"));
            env_tags.extend(tags.iter().cloned());
            let mut credentials = Vec::new();
            for (j, k) in items(c, "keyauth_credentials") {
                let ktags = strings(k.get("tags"));
                let kong_id = string(k, "id");
                let key_reference = string(k, "key").and_then(|key| vault_reference(&key));
                let credential = tag_value(
                    &ktags,
                    &["partnerctl-credential", "partnerctl:credential", "credential"],
                )
                .map(str::to_string)
                .or_else(|| {
                    key_reference
                        .as_deref()
                        .and_then(|r| r.rsplit('/').next())
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                })
                .or_else(|| kong_id.clone().filter(|id| !is_uuid(id)));
                credentials.push(KeyCredential {
                    kong_id,
                    credential,
                    key_reference,
                    key_variable: string(k, "key").and_then(|key| env_substitution(&key)),
                    tags: ktags,
                    created_at: k.get("created_at").and_then(Value::as_i64),
                    at: at(&format!("{pointer}/keyauth_credentials/{j}")),
                });
            }
            let acls = items(c, "acls").filter_map(|(_, a)| string(a, "group")).collect();
            let acl_plans = items(c, "acls")
                .filter_map(|(_, a)| {
                    let plan = tag_value(&strings(a.get("tags")), &["partnerctl-plan", "plan"])?.to_string();
                    Some((string(a, "group")?, plan))
                })
                .collect();
            let groups = items(c, "groups")
                .filter_map(|(_, g)| string(g, "name").or_else(|| g.as_str().map(str::to_string)))
                .collect();
            let consumer = Consumer {
                username: string(c, "username"),
                custom_id: string(c, "custom_id"),
                tags,
                credentials,
                acls,
                acl_plans,
                groups,
                created_at: c.get("created_at").and_then(Value::as_i64),
                at: at(&pointer),
            };
            let consumer_ref = consumer.username.clone().or_else(|| consumer.custom_id.clone());
            for (k, p) in items(c, "plugins") {
                deck.plugins.push(plugin(
                    p,
                    &format!("{pointer}/plugins/{k}"),
                    None,
                    None,
                    consumer_ref.clone(),
                    None,
                    &at,
                ));
            }
            deck.consumers.push(consumer);
        }
        // Top-level credentials and ACLs (`deck` can write them beside the consumers).
        for (j, k) in items(root, "keyauth_credentials") {
            let Some(owner) = reference(k, "consumer") else {
                continue;
            };
            let ktags = strings(k.get("tags"));
            let kong_id = string(k, "id");
            let key_reference = string(k, "key").and_then(|key| vault_reference(&key));
            let credential = tag_value(
                &ktags,
                &["partnerctl-credential", "partnerctl:credential", "credential"],
            )
            .map(str::to_string)
            .or_else(|| {
                key_reference
                    .as_deref()
                    .and_then(|r| r.rsplit('/').next())
                    .map(str::to_string)
            })
            .or_else(|| kong_id.clone().filter(|id| !is_uuid(id)));
            if let Some(c) = deck
                .consumers
                .iter_mut()
                .find(|c| c.username.as_ref() == Some(&owner) || c.custom_id.as_ref() == Some(&owner))
            {
                c.credentials.push(KeyCredential {
                    kong_id,
                    credential,
                    key_reference,
                    key_variable: string(k, "key").and_then(|key| env_substitution(&key)),
                    tags: ktags,
                    created_at: k.get("created_at").and_then(Value::as_i64),
                    at: at(&format!("/keyauth_credentials/{j}")),
                });
            }
        }
        for (_, a) in items(root, "acls") {
            let (Some(owner), Some(group)) = (reference(a, "consumer"), string(a, "group")) else {
                continue;
            };
            if let Some(c) = deck
                .consumers
                .iter_mut()
                .find(|c| c.username.as_ref() == Some(&owner) || c.custom_id.as_ref() == Some(&owner))
            {
                c.acls.push(group);
            }
        }
        for (i, g) in items(root, "consumer_groups") {
            let pointer = format!("/consumer_groups/{i}");
            let Some(name) = string(g, "name") else { continue };
            for (k, p) in items(g, "plugins") {
                deck.plugins.push(plugin(
                    p,
                    &format!("{pointer}/plugins/{k}"),
                    None,
                    None,
                    None,
                    Some(name.clone()),
                    &at,
                ));
            }
            for (_, c) in items(g, "consumers") {
                let member = string(c, "username")
                    .or_else(|| string(c, "custom_id"))
                    .or_else(|| c.as_str().map(str::to_string));
                if let Some(m) = member
                    && let Some(consumer) = deck
                        .consumers
                        .iter_mut()
                        .find(|x| x.username.as_ref() == Some(&m) || x.custom_id.as_ref() == Some(&m))
                    && !consumer.groups.contains(&name)
                {
                    consumer.groups.push(name.clone());
                }
            }
            deck.consumer_groups.push(ConsumerGroup {
                name,
                tags: strings(g.get("tags")),
                at: at(&pointer),
            });
        }
        for (k, p) in items(root, "plugins") {
            deck.plugins
                .push(plugin(p, &format!("/plugins/{k}"), None, None, None, None, &at));
        }

        deck.environment = environment_tag(&env_tags).or_else(|| {
            let base = file.rsplit('/').next().unwrap_or(file);
            Environment::ALL.into_iter().find(|e| base.contains(e.as_str()))
        });
        Ok(deck)
    }

    /// The consumer a plugin's `consumer` reference names.
    pub fn consumer(&self, reference: &str) -> Option<&Consumer> {
        self.consumers
            .iter()
            .find(|c| c.username.as_deref() == Some(reference) || c.custom_id.as_deref() == Some(reference))
    }

    /// The services whose `acl` plugin lets a group in (services without an `acl` plugin let
    /// every authenticated consumer in and are not listed).
    pub fn services_allowing(&self, group: &str) -> Vec<&Service> {
        self.services
            .iter()
            .filter(|s| {
                self.plugins.iter().any(|p| {
                    p.enabled
                        && p.name == "acl"
                        && (p.service.as_deref() == Some(s.name.as_str())
                            || s.routes.iter().any(|r| r.name.is_some() && p.route == r.name))
                        && strings(p.config.get("allow").or_else(|| p.config.get("whitelist")))
                            .iter()
                            .any(|g| g == group)
                })
            })
            .collect()
    }

    /// Whether a service is guarded by an `acl` plugin.
    pub fn has_acl(&self, service: &Service) -> bool {
        self.plugins
            .iter()
            .any(|p| p.enabled && p.name == "acl" && p.service.as_deref() == Some(service.name.as_str()))
    }

    /// The services a consumer can call: those whose ACL lets one of its groups in, and those
    /// with no ACL at all.
    pub fn services_for(&self, consumer: &Consumer) -> Vec<&Service> {
        self.services
            .iter()
            .filter(|s| {
                !self.has_acl(s)
                    || consumer
                        .acls
                        .iter()
                        .any(|g| self.services_allowing(g).iter().any(|x| x.name == s.name))
            })
            .collect()
    }

    /// The `rate-limiting` plugins that apply to a consumer on a service, most specific first.
    pub fn rate_limits_for(&self, consumer: &Consumer, service: &Service) -> Vec<&Plugin> {
        let names = [consumer.username.as_deref(), consumer.custom_id.as_deref()];
        let is_consumer = |p: &Plugin| p.consumer.as_deref().is_some_and(|c| names.contains(&Some(c)));
        let is_group = |p: &Plugin| p.consumer_group.as_ref().is_some_and(|g| consumer.groups.contains(g));
        let on_service = |p: &Plugin| p.service.as_deref() == Some(service.name.as_str());
        let mut out: Vec<(u8, &Plugin)> = self
            .plugins
            .iter()
            .filter(|p| p.enabled && p.name.starts_with("rate-limiting"))
            .filter_map(|p| {
                let rank = match (
                    is_consumer(p) || is_group(p),
                    on_service(p),
                    p.service.is_none() && p.route.is_none(),
                ) {
                    (true, true, _) => 0,
                    (true, false, true) => 1,
                    (false, true, _) if p.consumer.is_none() && p.consumer_group.is_none() => 2,
                    _ => return None,
                };
                Some((rank, p))
            })
            .collect();
        out.sort_by_key(|(r, _)| *r);
        out.into_iter().map(|(_, p)| p).collect()
    }
}

fn plugin(
    p: &Value,
    pointer: &str,
    service: Option<String>,
    route: Option<String>,
    consumer: Option<String>,
    consumer_group: Option<String>,
    at: &dyn Fn(&str) -> Location,
) -> Plugin {
    Plugin {
        name: string(p, "name").unwrap_or_default(),
        service: service.or_else(|| reference(p, "service")),
        route: route.or_else(|| reference(p, "route")),
        consumer: consumer.or_else(|| reference(p, "consumer")),
        consumer_group: consumer_group.or_else(|| reference(p, "consumer_group")),
        enabled: p.get("enabled").and_then(Value::as_bool).unwrap_or(true),
        config: p.get("config").cloned().unwrap_or(Value::Null),
        tags: strings(p.get("tags")),
        at: at(pointer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = r#"_format_version: "3.0"
services:
  - name: shipments-sandbox
    url: https://sandbox.shipments.internal
    tags: [environment:sandbox, product:shipments]
    routes:
      - name: shipments-get
        paths: ["~/v1/shipments/(?<id>[^/]+)$"]
        methods: [get]
    plugins:
      - name: acl
        config: {allow: [shipments-standard]}
      - name: key-auth
consumers:
  - username: acme-logistics
    custom_id: acme-logistics
    keyauth_credentials:
      - key: "{vault://env/acme-sbx-2}"
        tags: [credential:acme-sbx-2]
      - key: literal-secret-value
        id: 5b1c9a2e-0f3e-4a4b-9c1d-2e3f4a5b6c7d
      - key: '${{ env "DECK_PARTNERCTL_KEY_ACME_SBX_3" }}'
        tags: [credential:acme-sbx-3]
    acls:
      - group: shipments-standard
    plugins:
      - name: rate-limiting
        service: shipments-sandbox
        config: {second: 50}
"#;

    #[test]
    fn reads_services_consumers_credentials_and_scopes() {
        let d = Deck::parse("gateway.yaml", DUMP.as_bytes()).unwrap();
        assert_eq!(d.environment, Some(Environment::Sandbox));
        assert_eq!(
            environment_tag(&["partnerctl-northwind-production".to_string()]),
            Some(Environment::Production)
        );
        assert_eq!(d.services[0].product, "shipments");
        assert_eq!(d.services[0].routes[0].methods, vec!["GET"]);
        let c = &d.consumers[0];
        assert_eq!(c.partner_name(), Some("acme-logistics"));
        assert_eq!(c.credentials[0].credential.as_deref(), Some("acme-sbx-2"));
        assert_eq!(c.credentials[1].credential, None);
        assert_eq!(c.credentials[1].key_reference, None);
        assert_eq!(d.services_for(c).len(), 1);
        let rl = d.rate_limits_for(c, &d.services[0]);
        assert_eq!(rl.len(), 1);
        assert_eq!(rl[0].config["second"], 50);
        assert_eq!(
            c.credentials[2].key_variable.as_deref(),
            Some("DECK_PARTNERCTL_KEY_ACME_SBX_3")
        );
        assert_eq!(c.at.line, 15);
        let dbg = format!("{d:?}");
        assert!(!dbg.contains("literal-secret-value"), "a key value is never kept");
    }
}
