//! `plan` shows the Kubernetes targets' manifests like any other output (issue #14): each
//! resource is its own file, so a change to the program lists exactly the manifests it
//! touches, created, updated or deleted, with a diff of the changed fields.

mod plan_common;

use plan_common::Repo;
use serde_json::Value;
use std::collections::BTreeMap;

const EG: &str = "dist/k8s/envoy-gateway-production";
const KIC: &str = "dist/k8s/kong-ingress-production";

/// The example with only its two Kubernetes outputs, committed as the base.
fn base() -> Repo {
    let r = Repo::northwind();
    let t = r.read("program.yaml");
    let start = t.find("  outputs:\n").unwrap();
    r.write(
        "program.yaml",
        &format!(
            "{}  outputs:\n    - {{target: envoy-gateway, environment: production, path: {EG}}}\n    - {{target: kong-ingress, environment: production, path: {KIC}, namespace: kong}}\n",
            &t[..start]
        ),
    );
    r.commit("base: the Kubernetes outputs only");
    r
}

/// `plan --base HEAD --format json` → path → (action, diff).
fn artifacts(r: &Repo) -> BTreeMap<String, (String, String)> {
    let (code, out, err) = r.run(&["plan", "--base", "HEAD", "--format", "json"]);
    assert_eq!(code, 0, "{err}{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true, "{out}");
    v["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["path"].as_str().unwrap().to_string(),
                (
                    a["action"].as_str().unwrap().to_string(),
                    a["diff"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect()
}

fn actions(a: &BTreeMap<String, (String, String)>) -> Vec<(String, String)> {
    a.iter().map(|(p, (act, _))| (p.clone(), act.clone())).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list.iter().map(|(p, a)| (p.to_string(), a.to_string())).collect();
    v.sort();
    v
}

/// The lines a diff adds and removes, without their marker and indentation.
fn added(diff: &str) -> Vec<&str> {
    diff.lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .map(|l| l[1..].trim())
        .collect()
}
fn removed(diff: &str) -> Vec<&str> {
    diff.lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .map(|l| l[1..].trim())
        .collect()
}

#[test]
fn production_access_on_a_new_plan_updates_and_creates_exactly_its_manifests() {
    let r = base();
    r.edit(
        "products/tracking.yaml",
        "  requiredTerms: [partner-tos]",
        "    - name: premium\n      rateLimit: {requests: 800, per: second}\n      quota: {requests: 40000000, per: month}\n      environments: [production]\n  requiredTerms: [partner-tos]",
    );
    r.edit(
        "partners/caribe-shipping.yaml",
        "    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    - {product: tracking, plan: starter, environment: sandbox}\n    - {product: tracking, plan: premium, environment: production}\n",
    );
    let a = artifacts(&r);
    assert_eq!(
        actions(&a),
        pairs(&[
            (&format!("{EG}/backendtrafficpolicy-tracking.yaml"), "update"),
            (&format!("{EG}/securitypolicy-tracking.yaml"), "update"),
            (&format!("{KIC}/kongconsumer-caribe-shipping.yaml"), "update"),
            (&format!("{KIC}/kongplugin-acl.tracking.yaml"), "update"),
            (
                &format!("{KIC}/kongplugin-rate-limiting.tracking.premium.yaml"),
                "create"
            ),
            (&format!("{KIC}/kustomization.yaml"), "update"),
            (
                &format!("{KIC}/secret-partnerctl-acl.caribe-shipping.tracking.yaml"),
                "create"
            ),
        ]),
        "{a:#?}"
    );
    let diff = |p: &str| a[p].1.clone();
    let sp = diff(&format!("{EG}/securitypolicy-tracking.yaml"));
    assert_eq!(added(&sp), vec!["- caribe-prd-1"], "{sp}");
    assert!(removed(&sp).is_empty(), "{sp}");
    let btp = diff(&format!("{EG}/backendtrafficpolicy-tracking.yaml"));
    assert!(added(&btp).contains(&"value: ^caribe-prd-1$"), "{btp}");
    assert!(
        btp.contains("+          requests: 800") && btp.contains("+          requests: 40000000"),
        "{btp}"
    );
    assert!(btp.contains("+          unit: Month"), "{btp}");
    // Kong OSS: the consumer holds the product's ACL group as an `acl` credential and names
    // the plan's plugin; the route names it too (the acl plugin says how).
    let consumer = diff(&format!("{KIC}/kongconsumer-caribe-shipping.yaml"));
    assert_eq!(
        added(&consumer),
        vec![
            "konghq.com/plugins: rate-limiting.shipments.standard,rate-limiting.tracking.premium",
            "- partnerctl-acl.caribe-shipping.tracking"
        ],
        "{consumer}"
    );
    let acl = diff(&format!("{KIC}/kongplugin-acl.tracking.yaml"));
    assert_eq!(
        added(&acl),
        vec![
            "partnerctl.dev/route-plugins: kong:partnerctl-key-auth,kong:acl.tracking,kong:rate-limiting.tracking.standard,kong:rate-limiting.tracking.enterprise,kong:rate-limiting.tracking.premium"
        ],
        "{acl}"
    );
    let kust = diff(&format!("{KIC}/kustomization.yaml"));
    assert_eq!(
        added(&kust),
        vec![
            "- kongplugin-rate-limiting.tracking.premium.yaml",
            "- secret-partnerctl-acl.caribe-shipping.tracking.yaml"
        ],
        "{kust}"
    );
    let plugin = diff(&format!("{KIC}/kongplugin-rate-limiting.tracking.premium.yaml"));
    assert!(
        plugin.contains("+  second: 800") && plugin.contains("+  month: 40000000"),
        "{plugin}"
    );
    assert!(
        !plugin.contains("disabled"),
        "a plan someone holds is enabled: {plugin}"
    );
}

#[test]
fn a_limits_change_updates_only_the_plans_limit_manifests() {
    let r = base();
    r.edit(
        "products/tracking.yaml",
        "rateLimit: {requests: 100, per: second}",
        "rateLimit: {requests: 150, per: second}",
    );
    let a = artifacts(&r);
    assert_eq!(
        actions(&a),
        pairs(&[
            (&format!("{EG}/backendtrafficpolicy-tracking.yaml"), "update"),
            (
                &format!("{KIC}/kongplugin-rate-limiting.tracking.standard.yaml"),
                "update"
            ),
        ]),
        "{a:#?}"
    );
    let kic = &a[&format!("{KIC}/kongplugin-rate-limiting.tracking.standard.yaml")].1;
    assert_eq!(removed(kic), vec!["second: 100"], "{kic}");
    assert_eq!(added(kic), vec!["second: 150"], "{kic}");
    let eg = &a[&format!("{EG}/backendtrafficpolicy-tracking.yaml")].1;
    assert!(
        !added(eg).is_empty() && added(eg).iter().all(|l| *l == "requests: 150"),
        "{eg}"
    );
    assert_eq!(added(eg).len(), removed(eg).len(), "{eg}");
    assert!(removed(eg).iter().all(|l| *l == "requests: 100"), "{eg}");
}

#[test]
fn a_deleted_partner_deletes_its_consumer_and_external_secrets() {
    let r = base();
    r.remove("partners/maple-route.yaml");
    let a = artifacts(&r);
    assert_eq!(
        actions(&a),
        pairs(&[
            (&format!("{EG}/backendtrafficpolicy-shipments.yaml"), "update"),
            (&format!("{EG}/externalsecret-northwind-maple-prd-2.yaml"), "delete"),
            (&format!("{EG}/kustomization.yaml"), "update"),
            (&format!("{EG}/securitypolicy-shipments.yaml"), "update"),
            (&format!("{EG}/securitypolicy-tracking.yaml"), "update"),
            (
                &format!("{KIC}/externalsecret-partnerctl-key-maple-prd-2.yaml"),
                "delete"
            ),
            (&format!("{KIC}/kongconsumer-maple-route.yaml"), "delete"),
            (&format!("{KIC}/kustomization.yaml"), "update"),
            (
                &format!("{KIC}/secret-partnerctl-acl.maple-route.shipments.yaml"),
                "delete"
            ),
        ]),
        "{a:#?}"
    );
    let consumer = &a[&format!("{KIC}/kongconsumer-maple-route.yaml")].1;
    assert!(consumer.contains("-username: maple-route"), "{consumer}");
    assert!(added(consumer).is_empty(), "{consumer}");
    let sp = &a[&format!("{EG}/securitypolicy-shipments.yaml")].1;
    assert!(
        sp.contains("-          - maple-prd-2") || sp.contains("-        - maple-prd-2"),
        "{sp}"
    );
    assert!(sp.contains("name: partnerctl-key-maple-prd-2"), "{sp}");
    assert!(added(sp).is_empty(), "{sp}");
}
