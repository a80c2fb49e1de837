//! The `kong-ingress` target: the program for the Kong Ingress Controller, as Kubernetes
//! manifests for one environment in the output's folder (docs/kubernetes.md).
//!
//! - per partner subscribed to a served product a `KongConsumer` (`username` and `custom_id`
//!   = the partner's name, as in the `kong` target), its key-auth credential Secrets and its
//!   consumer groups. A partner with live keys but no subscription here (to a retired product,
//!   a plan not offered) gets no consumer and no Secret: the controller's namespace holds the
//!   keys of the products' subscribers only, as the `envoy-gateway` target's namespaces do;
//! - per subscribed (product, plan) a `KongConsumerGroup` `<product>-<plan>` with its
//!   `rate-limiting` `KongPlugin` (the same config as the `kong` target, `quotaPolicy`
//!   included);
//! - per product an `acl` `KongPlugin` allowing the consumer groups of its plans
//!   (`include_consumer_groups`), to attach to the product's route or service;
//! - per credential an `ExternalSecret` producing the Secret `partnerctl-key-<id>` labelled
//!   `konghq.com/credential: key-auth` with its `key` from the credential's `secretRef`;
//! - a `kustomization.yaml` listing them.
//!
//! Everything is in the output's `namespace` (default `partnerctl`).

use crate::access::Gateway;
use crate::gateway::kong::render::{Counters, rate_limiting_config};
use crate::gateway::kubernetes as k8s;
use crate::model::Program;
use crate::output::{RenderError, RenderedFile};
use crate::spec::{Date, Environment, OutputSpec};
use serde_json::json;
use std::collections::BTreeMap;

/// The default namespace of the manifests.
pub const DEFAULT_NAMESPACE: &str = "partnerctl";

/// The consumer group of a product's plan.
pub fn group_name(product: &str, plan: &str) -> String {
    k8s::subdomain(&[product, plan])
}

/// The Secret holding a credential's key.
pub fn secret_name(credential: &str) -> String {
    k8s::subdomain(&["partnerctl-key", credential])
}

/// The `acl` plugin of a product.
pub fn acl_plugin(product: &str) -> String {
    k8s::subdomain(&["acl", product])
}

/// The `rate-limiting` plugin of a product's plan.
pub fn limit_plugin(product: &str, plan: &str) -> String {
    k8s::subdomain(&["rate-limiting", product, plan])
}

/// Renders the manifests into the folder `path`.
pub fn render(
    program: &Program,
    today: Date,
    environment: Environment,
    output: &OutputSpec,
    path: &str,
) -> Result<Vec<RenderedFile>, RenderError> {
    let counters = Counters::of(output)?;
    let gw = Gateway::new(program, environment, today);
    let env = environment.as_str();
    let prog = program.name();
    let ns = output
        .namespace
        .clone()
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
    let store = output.secret_store.clone().unwrap_or_else(k8s::default_store);
    let annotations = json!({"kubernetes.io/ingress.class": "kong"});
    let mut files = Vec::new();
    let mut groups: BTreeMap<(&str, &str), &crate::spec::PlanSpec> = BTreeMap::new();
    for p in gw.partners.iter().filter(|p| !p.plans.is_empty()) {
        let labels = k8s::labels(prog, env, &[(k8s::PARTNER_LABEL, p.name)]);
        let consumer_groups: Vec<String> = p
            .plans
            .iter()
            .map(|(product, plan)| {
                groups.insert((product, plan.name.0.as_str()), plan);
                group_name(product, &plan.name)
            })
            .collect();
        let name = k8s::subdomain(&[p.name]);
        let consumer = json!({
            "apiVersion": "configuration.konghq.com/v1",
            "kind": "KongConsumer",
            "metadata": {"name": name, "namespace": ns, "labels": labels, "annotations": annotations},
            "username": p.name,
            "custom_id": p.name,
            "credentials": p.credentials.iter().map(|c| secret_name(&c.id)).collect::<Vec<_>>(),
            "consumerGroups": consumer_groups,
        });
        files.push(k8s::manifest(path, &format!("kongconsumer-{name}.yaml"), &consumer));
        for c in &p.credentials {
            let secret = secret_name(&c.id);
            let labels = k8s::labels(
                prog,
                env,
                &[(k8s::PARTNER_LABEL, p.name), (k8s::CREDENTIAL_LABEL, &c.id)],
            );
            let mut secret_labels = labels.clone();
            secret_labels["konghq.com/credential"] = json!("key-auth");
            let doc = k8s::external_secret(c, &secret, &ns, "key", &store, labels, Some(secret_labels));
            files.push(k8s::manifest(path, &format!("externalsecret-{secret}.yaml"), &doc));
        }
    }
    for ((product, plan_name), plan) in &groups {
        let group = group_name(product, plan_name);
        let plugin = limit_plugin(product, plan_name);
        let labels = k8s::labels(
            prog,
            env,
            &[(k8s::PRODUCT_LABEL, product), (k8s::PLAN_LABEL, plan_name)],
        );
        let mut annotations = annotations.clone();
        annotations["konghq.com/plugins"] = json!(plugin);
        let doc = json!({
            "apiVersion": "configuration.konghq.com/v1beta1",
            "kind": "KongConsumerGroup",
            "metadata": {"name": group, "namespace": ns, "labels": labels, "annotations": annotations},
            "spec": {"name": group},
        });
        files.push(k8s::manifest(path, &format!("kongconsumergroup-{group}.yaml"), &doc));
        let mut config = rate_limiting_config(plan);
        counters.apply(&mut config);
        let doc = json!({
            "apiVersion": "configuration.konghq.com/v1",
            "kind": "KongPlugin",
            "metadata": {"name": plugin, "namespace": ns, "labels": labels},
            "plugin": "rate-limiting",
            "config": config,
        });
        files.push(k8s::manifest(path, &format!("kongplugin-{plugin}.yaml"), &doc));
    }
    for p in &gw.products {
        let allow: Vec<String> = groups
            .keys()
            .filter(|(product, _)| *product == p.name)
            .map(|(product, plan)| group_name(product, plan))
            .collect();
        let name = acl_plugin(p.name);
        let labels = k8s::labels(prog, env, &[(k8s::PRODUCT_LABEL, p.name)]);
        // An empty allow list is refused by Kong; a product nobody subscribes to allows a
        // group no consumer is in.
        let allow = if allow.is_empty() {
            vec![k8s::subdomain(&[p.name, "nobody"])]
        } else {
            allow
        };
        let doc = json!({
            "apiVersion": "configuration.konghq.com/v1",
            "kind": "KongPlugin",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "plugin": "acl",
            "config": {"allow": allow, "include_consumer_groups": true, "hide_groups_header": true},
        });
        files.push(k8s::manifest(path, &format!("kongplugin-{name}.yaml"), &doc));
    }
    Ok(k8s::with_kustomization(path, files))
}
