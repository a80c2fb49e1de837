//! Hostile input: the Kubernetes targets (see main.rs). A namespace holds the keys of its own
//! products' subscribers and no others; and no two things of the program may be given one
//! Kubernetes name, which would make the apply fail (or one manifest replace another) on merge.

use super::*;
use common::{copy_example, edit, write};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;

/// Every YAML manifest rendered below `dir/<folder>`, parsed.
fn manifests(dir: &Path, folder: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir.join(folder)).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".yaml") && name != "kustomization.yaml" {
            let text = fs::read_to_string(e.path()).unwrap();
            out.push(yaml_serde::from_str(&text).unwrap());
        }
    }
    out
}

#[test]
fn a_namespace_gets_the_keys_of_its_own_products_subscribers_only() {
    let dir = copy_example();
    let root = dir.path();
    // A product of another team, routed in that team's namespace, with no subscriber.
    let text = fs::read_to_string(root.join("products/shipments.yaml")).unwrap();
    let berths = text
        .replace(
            "route: {name: shipments, namespace: northwind}",
            "route: {name: berths, namespace: harbour-team}",
        )
        .replace("name: shipments", "name: berths")
        .replace(
            "openapi: apis/shipments.yaml",
            "endpoints: [{method: GET, path: \"/v1/berths/{id}\"}]",
        );
    write(root, "products/berths.yaml", berths);
    let r = run(root, &["render"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let docs = manifests(root, "dist/k8s/envoy-gateway-production");

    // Who subscribes to what in production, from the program.
    let mut subscribers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in walk(&root.join("partners")) {
        let p: serde_json::Value = yaml_serde::from_str(&fs::read_to_string(&e).unwrap()).unwrap();
        let name = p["metadata"]["name"].as_str().unwrap().to_string();
        for s in p["spec"]["subscriptions"].as_array().into_iter().flatten() {
            if s["environment"] == "production" {
                subscribers
                    .entry(s["product"].as_str().unwrap().to_string())
                    .or_default()
                    .insert(name.clone());
            }
        }
    }
    let namespace_products = |ns: &str| -> Vec<&str> {
        match ns {
            "harbour-team" => vec!["berths"],
            _ => vec!["shipments", "tracking"],
        }
    };
    let mut secrets = 0;
    for d in docs.iter().filter(|d| d["kind"] == "ExternalSecret") {
        secrets += 1;
        let ns = d["metadata"]["namespace"].as_str().unwrap();
        let partner = d["metadata"]["labels"]["partnerctl.dev/partner"].as_str().unwrap();
        let subscribed = namespace_products(ns)
            .iter()
            .any(|p| subscribers.get(*p).is_some_and(|s| s.contains(partner)));
        assert!(
            subscribed,
            "namespace {ns} gets the key of {partner}, who subscribes to none of its products"
        );
    }
    assert!(secrets > 0, "the example's subscribers still get their keys");
    assert!(
        docs.iter()
            .any(|d| d["kind"] == "SecurityPolicy" && d["metadata"]["namespace"] == "harbour-team"),
        "the product of the other team is routed in its namespace"
    );
    for d in docs.iter().filter(|d| d["kind"] == "SecurityPolicy") {
        let ns = d["metadata"]["namespace"].as_str().unwrap();
        for r in d["spec"]["apiKeyAuth"]["credentialRefs"].as_array().unwrap() {
            let secret = r["name"].as_str().unwrap();
            assert!(
                docs.iter().any(|e| e["kind"] == "ExternalSecret"
                    && e["metadata"]["namespace"] == ns
                    && e["spec"]["target"]["name"] == secret),
                "a SecurityPolicy in {ns} reads {secret}, which is not written there"
            );
        }
    }
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

#[test]
fn names_that_would_collide_in_kubernetes_stay_apart() {
    let dir = copy_example();
    let root = dir.path();
    // Product `tracking` gains plan `std-eu`; a new product `tracking-std` has plan `eu`: joined
    // with `-`, both consumer groups (and rate-limiting plugins) of the kong-ingress output
    // would be `tracking-std-eu`, and one manifest would replace the other on apply.
    edit(
        root,
        "products/tracking.yaml",
        "    - name: enterprise\n",
        "    - name: std-eu\n      rateLimit: {requests: 10, per: second}\n      environments: [production]\n    - name: enterprise\n",
    );
    let text = fs::read_to_string(root.join("products/shipments.yaml")).unwrap();
    let other = text
        .replace("name: shipments", "name: tracking-std")
        .replace(
            "route: {name: shipments, namespace: northwind}",
            "route: {name: tracking-std, namespace: northwind}",
        )
        .replace(
            "openapi: apis/shipments.yaml",
            "endpoints: [{method: GET, path: \"/v1/tracking-std/{id}\"}]",
        )
        .replace("- name: enterprise", "- name: eu");
    write(root, "products/tracking-std.yaml", other);
    // Names of several program names join them with `.`, which no program name holds: the
    // program is valid, and every manifest of the output has a name of its own.
    let r = run(root, &["validate", "--format", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let r = run(root, &["render"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let mut seen = BTreeSet::new();
    let mut plugins = Vec::new();
    for m in manifests(root, "dist/k8s/kong-ingress-production") {
        let kind = m["kind"].as_str().unwrap_or_default().to_owned();
        let name = m["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        let namespace = m["metadata"]["namespace"].as_str().unwrap_or_default().to_owned();
        if kind == "KongPlugin" {
            plugins.push(name.clone());
        }
        assert!(
            seen.insert((kind.clone(), namespace, name.clone())),
            "two {kind} named {name}"
        );
    }
    for plan in ["tracking.std-eu", "tracking-std.eu"] {
        assert!(
            plugins.iter().any(|p| p.ends_with(plan)),
            "no plugin for {plan}: {plugins:?}"
        );
    }
}
