//! Reading a Kong decK file (what `deck gateway dump` writes, or what the `kong` target
//! renders), YAML or JSON, into the [`Deck`] model. Every entity keeps where it was written,
//! so findings point into the file. The file is hostile input: nothing in it is trusted
//! beyond its shape, and a key value is never kept past parsing.
//!
//! How a Kong entity names a program entity by itself (the program's own mapping, written
//! by `import`, is in [`super::mapping`]):
//! - a consumer names a partner by `custom_id`, else `username`;
//! - a key-auth credential names a program credential by a tag `credential:<id>` (also
//!   `partnerctl-credential:<id>` or `partnerctl:credential:<id>`), else by a vault reference
//!   key whose last segment is the id (`{vault://env/acme-sbx-1}`), else by an `id` that is not
//!   a UUID;
//! - a service names a product by a tag `product:<name>`, else by its name (with a trailing
//!   `-sandbox`/`-production` taken off);
//! - the file names its environment by tags `environment:<env>` (or `env:<env>`, or the
//!   `kong` target's select tag) on services, consumers or `_info.select_tags`.

use super::model::*;
use crate::diag::Location;
use crate::source::yaml::{self, Positions};
use crate::spec::Environment;
use serde_json::Value;

/// Why a gateway file could not be read: a decK file, or a Kubernetes manifest list
/// ([`crate::gateway::kubernetes::parse`]).
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

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// A string field; a number (`custom_id: 1234567890` unquoted) is read as its text.
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

/// Whether a string is a UUID (Kong's ids).
pub fn is_uuid(s: &str) -> bool {
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

/// The top-level decK keys that the model reads; any other top-level list is an
/// [`OtherEntities`].
const MODELLED: [&str; 9] = [
    "services",
    "routes",
    "consumers",
    "consumer_groups",
    "plugins",
    "keyauth_credentials",
    "acls",
    "_info",
    "_format_version",
];

/// Route fields that match requests beyond path and method.
const OTHER_MATCHES: [&str; 5] = ["hosts", "headers", "snis", "sources", "destinations"];

/// Whether a file says it is a decK file near its start: a `_format_version` key on a line of
/// its own (YAML), or as the first key of a JSON object. Readers of other formats ask this
/// before parsing, so a large decK dump is parsed once, by [`parse`].
pub fn declares_deck(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    head.split(|b| *b == b'\n').any(|l| {
        let l = l.trim_ascii_start();
        l.starts_with(b"_format_version") || l.starts_with(b"\"_format_version\"") || {
            let rest = l.strip_prefix(b"{").map(<[u8]>::trim_ascii_start);
            rest.is_some_and(|r| r.starts_with(b"\"_format_version\""))
        }
    })
}

/// Reads a decK file from disk.
pub fn read(path: &std::path::Path) -> Result<Deck, DeckError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| DeckError::Io {
        file: name.clone(),
        source,
    })?;
    parse(&name, &bytes)
}

/// Parses a decK file's bytes (YAML or JSON); `file` is how findings name it.
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
    from_value(file, &value, &positions)
}

struct Reader<'a> {
    file: &'a str,
    root: &'a Value,
    positions: &'a Positions,
}

impl Reader<'_> {
    fn at(&self, pointer: &str) -> Location {
        let p = self.positions.value(self.root, pointer);
        Location::new(self.file, p.line, p.column)
    }

    fn route(&self, r: &Value, pointer: &str, deck: &mut Deck) -> Route {
        let route = Route {
            name: string(r, "name"),
            paths: strings(r.get("paths")),
            methods: strings(r.get("methods"))
                .into_iter()
                .map(|m| m.to_ascii_uppercase())
                .collect(),
            strip_path: r.get("strip_path").and_then(Value::as_bool),
            tags: strings(r.get("tags")),
            other_matches: OTHER_MATCHES
                .iter()
                .filter(|k| match r.get(**k) {
                    Some(Value::Array(a)) => !a.is_empty(),
                    Some(Value::Object(o)) => !o.is_empty(),
                    _ => false,
                })
                .map(|k| k.to_string())
                .collect(),
            at: self.at(pointer),
        };
        for (k, p) in items(r, "plugins") {
            let scope = Scope {
                route: route.name.clone(),
                ..Scope::default()
            };
            deck.plugins
                .push(self.plugin(p, &format!("{pointer}/plugins/{k}"), scope));
        }
        route
    }

    fn plugin(&self, p: &Value, pointer: &str, scope: Scope) -> Plugin {
        Plugin {
            name: string(p, "name").unwrap_or_default(),
            service: scope.service.or_else(|| reference(p, "service")),
            route: scope.route.or_else(|| reference(p, "route")),
            consumer: scope.consumer.or_else(|| reference(p, "consumer")),
            consumer_group: scope.consumer_group.or_else(|| reference(p, "consumer_group")),
            enabled: p.get("enabled").and_then(Value::as_bool).unwrap_or(true),
            config: std::sync::Arc::new(p.get("config").cloned().unwrap_or(Value::Null)),
            tags: strings(p.get("tags")),
            at: self.at(pointer),
        }
    }

    fn key_credential(&self, k: &Value, pointer: &str, index: usize) -> KeyCredential {
        let tags = strings(k.get("tags"));
        let kong_id = string(k, "id");
        // The key is looked at once, for a reference or a variable, and then dropped.
        let key = string(k, "key");
        let key_reference = key.as_deref().and_then(vault_reference);
        let key_variable = key.as_deref().and_then(env_substitution);
        drop(key);
        let credential = tag_value(&tags, &["partnerctl-credential", "partnerctl:credential", "credential"])
            .map(str::to_string)
            .or_else(|| {
                key_reference
                    .as_deref()
                    .and_then(|r| r.rsplit('/').next())
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            })
            .or_else(|| kong_id.clone().filter(|id| !is_uuid(id)));
        KeyCredential {
            kong_id,
            credential,
            key_reference,
            key_variable,
            tags,
            created_at: k.get("created_at").and_then(Value::as_i64),
            index,
            at: self.at(pointer),
        }
    }

    fn other_credential(&self, kind: OtherKind, v: &Value, pointer: &str) -> OtherCredential {
        OtherCredential {
            kind,
            name: kind.name_fields().iter().find_map(|f| string(v, f)),
            at: self.at(pointer),
        }
    }
}

#[derive(Default)]
struct Scope {
    service: Option<String>,
    route: Option<String>,
    consumer: Option<String>,
    consumer_group: Option<String>,
}

fn from_value(file: &str, root: &Value, positions: &Positions) -> Result<Deck, DeckError> {
    let Some(top) = root.as_object() else {
        return Err(DeckError::Shape {
            file: file.to_string(),
            message: "a decK file is a mapping with `_format_version`, `services`, `consumers`, ...".into(),
        });
    };
    let rd = Reader { file, root, positions };
    let mut deck = Deck::new(file);
    deck.format_version = string(root, "_format_version");
    deck.select_tags = root
        .pointer("/_info/select_tags")
        .map(|v| strings(Some(v)))
        .unwrap_or_default();
    let mut env_tags = deck.select_tags.clone();

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
            let mut route = rd.route(r, &format!("{pointer}/routes/{j}"), &mut deck);
            if route.name.is_none() {
                route.name = Some(format!("{name}-{}", j + 1));
            }
            routes.push(route);
        }
        for (k, p) in items(s, "plugins") {
            let scope = Scope {
                service: Some(name.clone()),
                ..Scope::default()
            };
            deck.plugins
                .push(rd.plugin(p, &format!("{pointer}/plugins/{k}"), scope));
        }
        deck.services.push(Service {
            name,
            product,
            url,
            tags,
            routes,
            at: rd.at(&pointer),
        });
    }
    // Top-level routes name their service.
    for (j, r) in items(root, "routes") {
        let route = rd.route(r, &format!("/routes/{j}"), &mut deck);
        let service = reference(r, "service");
        match deck.services.iter_mut().find(|s| Some(&s.name) == service.as_ref()) {
            Some(s) => s.routes.push(route),
            None => deck.loose_routes.push(route),
        }
    }

    for (i, c) in items(root, "consumers") {
        let pointer = format!("/consumers/{i}");
        let tags = strings(c.get("tags"));
        env_tags.extend(tags.iter().cloned());
        let credentials = items(c, "keyauth_credentials")
            .map(|(j, k)| rd.key_credential(k, &format!("{pointer}/keyauth_credentials/{j}"), j + 1))
            .collect();
        let mut other_credentials = Vec::new();
        for (kind, key) in OtherKind::ALL {
            for (j, v) in items(c, key) {
                other_credentials.push(rd.other_credential(kind, v, &format!("{pointer}/{key}/{j}")));
            }
        }
        let acls = items(c, "acls")
            .filter_map(|(j, a)| {
                Some(Acl {
                    group: string(a, "group")?,
                    tags: strings(a.get("tags")),
                    at: rd.at(&format!("{pointer}/acls/{j}")),
                })
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
            other_credentials,
            acls,
            groups,
            created_at: c.get("created_at").and_then(Value::as_i64),
            at: rd.at(&pointer),
        };
        let consumer_ref = consumer.username.clone().or_else(|| consumer.custom_id.clone());
        for (k, p) in items(c, "plugins") {
            let scope = Scope {
                consumer: consumer_ref.clone(),
                ..Scope::default()
            };
            deck.plugins
                .push(rd.plugin(p, &format!("{pointer}/plugins/{k}"), scope));
        }
        deck.consumers.push(consumer);
    }
    // Top-level credentials and ACLs (`deck` can write them beside the consumers).
    for (j, k) in items(root, "keyauth_credentials") {
        let Some(owner) = reference(k, "consumer") else {
            continue;
        };
        if let Some(c) = deck.consumers.iter_mut().find(|c| c.is(&owner)) {
            let kc = rd.key_credential(k, &format!("/keyauth_credentials/{j}"), c.credentials.len() + 1);
            c.credentials.push(kc);
        }
    }
    for (j, a) in items(root, "acls") {
        let (Some(owner), Some(group)) = (reference(a, "consumer"), string(a, "group")) else {
            continue;
        };
        if let Some(c) = deck.consumers.iter_mut().find(|c| c.is(&owner)) {
            c.acls.push(Acl {
                group,
                tags: strings(a.get("tags")),
                at: rd.at(&format!("/acls/{j}")),
            });
        }
    }
    for (i, g) in items(root, "consumer_groups") {
        let pointer = format!("/consumer_groups/{i}");
        let Some(name) = string(g, "name") else { continue };
        for (k, p) in items(g, "plugins") {
            let scope = Scope {
                consumer_group: Some(name.clone()),
                ..Scope::default()
            };
            deck.plugins
                .push(rd.plugin(p, &format!("{pointer}/plugins/{k}"), scope));
        }
        let mut members = Vec::new();
        for (_, c) in items(g, "consumers") {
            let member = string(c, "username")
                .or_else(|| string(c, "custom_id"))
                .or_else(|| c.as_str().map(str::to_string));
            if let Some(m) = member {
                if let Some(consumer) = deck.consumers.iter_mut().find(|x| x.is(&m))
                    && !consumer.groups.contains(&name)
                {
                    consumer.groups.push(name.clone());
                }
                members.push(m);
            }
        }
        deck.consumer_groups.push(ConsumerGroup {
            name,
            tags: strings(g.get("tags")),
            members,
            at: rd.at(&pointer),
        });
    }
    for (k, p) in items(root, "plugins") {
        deck.plugins
            .push(rd.plugin(p, &format!("/plugins/{k}"), Scope::default()));
    }
    for (key, v) in top {
        if MODELLED.contains(&key.as_str()) {
            continue;
        }
        let (count, names) = match v {
            Value::Array(a) => (
                a.len(),
                a.iter()
                    .filter_map(|x| string(x, "name").or_else(|| string(x, "id")))
                    .collect(),
            ),
            Value::Null => continue,
            _ => (1, Vec::new()),
        };
        if count == 0 {
            continue;
        }
        deck.other_entities.push(OtherEntities {
            key: key.clone(),
            count,
            names,
            at: rd.at(&format!("/{}", key.replace('~', "~0").replace('/', "~1"))),
        });
    }
    deck.environment = environment_tag(&env_tags);
    Ok(deck)
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
        let d = parse("gateway.yaml", DUMP.as_bytes()).unwrap();
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
