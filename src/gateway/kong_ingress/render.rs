//! The `kong-ingress` target: the program for the Kong Ingress Controller, as Kubernetes
//! manifests for one environment in the output's folder (docs/kubernetes.md).
//!
//! What both editions render, in the output's `namespace` (default `partnerctl`):
//! - per partner subscribed to a served product a `KongConsumer` (`username` and `custom_id`
//!   = the partner's name, as in the `kong` target) listing its credential Secrets. A partner
//!   with live keys but no subscription here (to a retired product, a plan not offered) gets
//!   no consumer and no Secret: the controller's namespace holds the keys of the products'
//!   subscribers only, as the `envoy-gateway` target's namespaces do;
//! - per credential an `ExternalSecret` producing the Secret `partnerctl-key-<id>` labelled
//!   `konghq.com/credential: key-auth` with its `key` from the credential's `secretRef`;
//! - the `key-auth` KongPlugin [`KEY_AUTH_PLUGIN`], per product an `acl` KongPlugin, and per
//!   plan offered in the environment a `rate-limiting` KongPlugin (the `kong` target's
//!   config, `quotaPolicy` included): the product's route names them in its
//!   `konghq.com/plugins` annotation, whose exact value the `acl` plugin carries in
//!   [`ROUTE_PLUGINS_ANNOTATION`];
//! - per route namespace other than the output's a `ReferenceGrant` letting HTTPRoutes and
//!   Ingresses there name those plugins (`<namespace>:<plugin>`): the controller looks an
//!   unqualified name up in the route's own namespace (tests/external/FACTS.md §d);
//! - a `kustomization.yaml` listing them.
//!
//! How a partner is let in and limited depends on the `edition`:
//! - `oss` (the default; Kong OSS, DB-less): its ACL groups are `acl` credential Secrets
//!   (`group: <product>`) in its `credentials`, the `acl` plugin allows the product's group,
//!   and the consumer names the `rate-limiting` plugin of each plan it holds in its own
//!   `konghq.com/plugins`;
//! - `enterprise`: per subscribed (product, plan) a `KongConsumerGroup` annotated with the
//!   plan's plugin, the consumer lists its groups, and the `acl` plugin allows the groups of
//!   the product's plans (`include_consumer_groups`, not in Kong OSS's schema).
//!
//! Either way the plan's plugin is named by its holders (consumers or groups) *and* by the
//! route, in one namespace, so the controller scopes one instance to each holder on that
//! route (`GetCombinations`, FACTS §d): the plan limits a partner per product, as the `kong`
//! target does. A plan nobody holds renders its plugin `disabled`, since a plugin only the
//! route names would limit every consumer on it.

use crate::access::{Gateway, GatewayProduct};
use crate::gateway::kong::render::{Counters, KEY_HEADER, rate_limiting_config};
use crate::gateway::kubernetes::{self as k8s, Doc};
use crate::model::Program;
use crate::output::{RenderError, RenderedFile};
use crate::spec::{Date, Environment, KongEdition, OutputSpec, PlanSpec};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The default namespace of the manifests.
pub const DEFAULT_NAMESPACE: &str = "partnerctl";

/// The `key-auth` KongPlugin every product's route names.
pub const KEY_AUTH_PLUGIN: &str = "partnerctl-key-auth";

/// The annotation of a product's `acl` KongPlugin holding the exact `konghq.com/plugins`
/// value its route must carry.
pub const ROUTE_PLUGINS_ANNOTATION: &str = "partnerctl.dev/route-plugins";

/// The consumer group of a product's plan (`enterprise`).
pub fn group_name(product: &str, plan: &str) -> String {
    k8s::dotted(&[product, plan])
}

/// The Secret holding a credential's key.
pub fn secret_name(credential: &str) -> String {
    k8s::subdomain(&["partnerctl-key", credential])
}

/// The `acl` credential Secret putting a partner in a product's ACL group (`oss`).
pub fn acl_secret_name(partner: &str, product: &str) -> String {
    k8s::dotted(&["partnerctl-acl", partner, product])
}

/// The `acl` plugin of a product.
pub fn acl_plugin(product: &str) -> String {
    k8s::dotted(&["acl", product])
}

/// The `rate-limiting` plugin of a product's plan.
pub fn limit_plugin(product: &str, plan: &str) -> String {
    k8s::dotted(&["rate-limiting", product, plan])
}

/// The namespace a product's route lives in: its `environments.<env>.route`, else the
/// output's (the plugins are then named without a namespace).
fn route_namespace<'a>(p: &GatewayProduct<'a>, environment: Environment, ns: &'a str) -> &'a str {
    p.product
        .spec
        .environments
        .get(environment)
        .and_then(|e| e.route.as_ref())
        .map_or(ns, |r| r.namespace.as_str())
}

/// The plans of a product offered in the environment.
fn offered<'a>(p: &GatewayProduct<'a>, environment: Environment) -> impl Iterator<Item = &'a PlanSpec> {
    p.product
        .spec
        .plans
        .iter()
        .filter(move |plan| plan.environments.contains(&environment))
}

/// The `konghq.com/plugins` value a product's route carries: the key-auth, acl and plan
/// plugins, qualified with the output's namespace when the route lives in another one.
pub fn route_plugins(p: &GatewayProduct<'_>, environment: Environment, ns: &str) -> String {
    let qualify = |name: &str| {
        if route_namespace(p, environment, ns) == ns {
            name.to_string()
        } else {
            format!("{ns}:{name}")
        }
    };
    let mut names = vec![qualify(KEY_AUTH_PLUGIN), qualify(&acl_plugin(p.name))];
    names.extend(offered(p, environment).map(|plan| qualify(&limit_plugin(p.name, &plan.name))));
    names.join(",")
}

/// The manifests of the output, as data (see [`k8s::limits`]), handed to `emit` as they are
/// made, partner by partner, so that nobody needs to hold them all.
pub fn documents(
    program: &Program,
    today: Date,
    environment: Environment,
    output: &OutputSpec,
    emit: &mut dyn k8s::limits::Emit,
) -> Result<(), RenderError> {
    let counters = Counters::of(output)?;
    let edition = output.edition.unwrap_or_default();
    let gw = Gateway::new(program, environment, today);
    let env = environment.as_str();
    let prog = program.name();
    let ns = output
        .namespace
        .clone()
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
    let store = output.secret_store.clone().unwrap_or_else(k8s::default_store);
    let class = json!({"kubernetes.io/ingress.class": "kong"});
    // (product, plan) → whether someone holds it.
    let subscribed: Vec<_> = gw.partners.iter().filter(|p| !p.plans.is_empty()).collect();
    let held: BTreeSet<(&str, &str)> = subscribed
        .iter()
        .flat_map(|p| p.plans.iter().map(|(product, plan)| (*product, plan.name.0.as_str())))
        .collect();
    // Each partner's documents are made from that partner alone.
    emit.each(subscribed.len(), &|i, emit| {
        let p = subscribed[i];
        let labels = k8s::labels(prog, env, &[(k8s::PARTNER_LABEL, p.name)]);
        let mut credentials: Vec<String> = p.credentials.iter().map(|c| secret_name(&c.id)).collect();
        let mut annotations = class.clone();
        let mut consumer_groups = None;
        match edition {
            KongEdition::Oss => {
                // ACL groups as `acl` credentials, limits as plugins the consumer names.
                for product in p.plans.keys() {
                    let secret = acl_secret_name(p.name, product);
                    let mut secret_labels = k8s::labels(
                        prog,
                        env,
                        &[(k8s::PARTNER_LABEL, p.name), (k8s::PRODUCT_LABEL, product)],
                    );
                    secret_labels["konghq.com/credential"] = k8s::text("acl");
                    let doc = k8s::object([
                        ("apiVersion", k8s::text("v1")),
                        ("kind", k8s::text("Secret")),
                        (
                            "metadata",
                            k8s::object([
                                ("name", k8s::text(&secret)),
                                ("namespace", k8s::text(&ns)),
                                ("labels", secret_labels),
                            ]),
                        ),
                        ("type", k8s::text("Opaque")),
                        ("stringData", k8s::object([("group", k8s::text(product))])),
                    ]);
                    emit(Doc::new(format!("secret-{secret}.yaml"), doc));
                    credentials.push(secret);
                }
                if !p.plans.is_empty() {
                    let plugins: Vec<String> = p
                        .plans
                        .iter()
                        .map(|(product, plan)| limit_plugin(product, &plan.name))
                        .collect();
                    annotations["konghq.com/plugins"] = Value::String(plugins.join(","));
                }
            }
            KongEdition::Enterprise => {
                consumer_groups = Some(Value::Array(
                    p.plans
                        .iter()
                        .map(|(product, plan)| Value::String(group_name(product, &plan.name)))
                        .collect(),
                ));
            }
        }
        let metadata = k8s::object([
            ("name", Value::String(k8s::subdomain(&[p.name]))),
            ("namespace", k8s::text(&ns)),
            ("labels", labels),
            ("annotations", annotations),
        ]);
        let mut consumer = k8s::object([
            ("apiVersion", k8s::text("configuration.konghq.com/v1")),
            ("kind", k8s::text("KongConsumer")),
            ("metadata", metadata),
            ("username", k8s::text(p.name)),
            ("custom_id", k8s::text(p.name)),
        ]);
        if let Some(groups) = consumer_groups {
            consumer["consumerGroups"] = groups;
        }
        consumer["credentials"] = Value::Array(credentials.into_iter().map(Value::String).collect());
        let file = format!("kongconsumer-{}.yaml", k8s::subdomain(&[p.name]));
        emit(Doc::new(file, consumer));
        for c in &p.credentials {
            let secret = secret_name(&c.id);
            let labels = k8s::labels(
                prog,
                env,
                &[(k8s::PARTNER_LABEL, p.name), (k8s::CREDENTIAL_LABEL, &c.id)],
            );
            let mut secret_labels = labels.clone();
            secret_labels["konghq.com/credential"] = k8s::text("key-auth");
            let doc = k8s::external_secret(c, &secret, &ns, "key", &store, labels, Some(secret_labels));
            emit(Doc::new(format!("externalsecret-{secret}.yaml"), doc));
        }
    });
    let plugin = |name: &str, labels: Value, plugin: &str, config: Value| {
        json!({
            "apiVersion": "configuration.konghq.com/v1",
            "kind": "KongPlugin",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "plugin": plugin,
            "config": config,
        })
    };
    emit.one(Doc::new(
        format!("kongplugin-{KEY_AUTH_PLUGIN}.yaml"),
        plugin(
            KEY_AUTH_PLUGIN,
            k8s::labels(prog, env, &[]),
            "key-auth",
            json!({
                "key_names": [KEY_HEADER],
                "key_in_header": true,
                "key_in_query": false,
                "key_in_body": false,
                "hide_credentials": true,
            }),
        ),
    ));
    let mut route_namespaces: BTreeSet<&str> = BTreeSet::new();
    for p in &gw.products {
        let route_ns = route_namespace(p, environment, &ns);
        if route_ns != ns {
            route_namespaces.insert(route_ns);
        }
        let product_labels = k8s::labels(prog, env, &[(k8s::PRODUCT_LABEL, p.name)]);
        let mut groups = Vec::new();
        for plan in offered(p, environment) {
            let name = limit_plugin(p.name, &plan.name);
            let labels = k8s::labels(
                prog,
                env,
                &[(k8s::PRODUCT_LABEL, p.name), (k8s::PLAN_LABEL, &plan.name)],
            );
            let mut config = rate_limiting_config(plan);
            counters.apply(&mut config);
            let mut doc = plugin(&name, labels.clone(), "rate-limiting", config);
            let holders = held.contains(&(p.name, plan.name.0.as_str()));
            if !holders {
                // Named by the route alone, it would limit every consumer of the route.
                doc["disabled"] = json!(true);
            }
            emit.one(Doc::new(format!("kongplugin-{name}.yaml"), doc));
            if edition == KongEdition::Enterprise && holders {
                let group = group_name(p.name, &plan.name);
                let mut annotations = class.clone();
                annotations["konghq.com/plugins"] = json!(name);
                emit.one(Doc::new(
                    format!("kongconsumergroup-{group}.yaml"),
                    json!({
                        "apiVersion": "configuration.konghq.com/v1beta1",
                        "kind": "KongConsumerGroup",
                        "metadata": {"name": group, "namespace": ns, "labels": labels, "annotations": annotations},
                        "spec": {"name": group},
                    }),
                ));
                groups.push(group);
            }
        }
        let config = match edition {
            KongEdition::Oss => json!({"allow": [p.name], "hide_groups_header": true}),
            KongEdition::Enterprise => {
                // An empty allow list is refused by Kong; a product nobody holds allows a
                // group no consumer is in.
                if groups.is_empty() {
                    groups.push(k8s::dotted(&[p.name, "nobody"]));
                }
                json!({"allow": groups, "include_consumer_groups": true, "hide_groups_header": true})
            }
        };
        let name = acl_plugin(p.name);
        let mut doc = plugin(&name, product_labels, "acl", config);
        doc["metadata"]["annotations"] = json!({ROUTE_PLUGINS_ANNOTATION: route_plugins(p, environment, &ns)});
        emit.one(Doc::new(format!("kongplugin-{name}.yaml"), doc));
    }
    for route_ns in route_namespaces {
        let name = k8s::dotted(&["partnerctl-plugins", route_ns]);
        emit.one(Doc::new(
            format!("referencegrant-{name}.yaml"),
            json!({
                "apiVersion": "gateway.networking.k8s.io/v1beta1",
                "kind": "ReferenceGrant",
                "metadata": {"name": name, "namespace": ns, "labels": k8s::labels(prog, env, &[])},
                "spec": {
                    "from": [
                        {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": route_ns},
                        {"group": "networking.k8s.io", "kind": "Ingress", "namespace": route_ns},
                    ],
                    "to": [{"group": "configuration.konghq.com", "kind": "KongPlugin"}],
                },
            }),
        ));
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
