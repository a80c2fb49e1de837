//! The Kubernetes targets (SPEC §12): every manifest against the projects' own CRD schemas
//! (JSON Schemas generated from the CRDs, `../shared/external/k8s/`, copied in
//! tests/external/k8s/; a core `Secret` against Kubernetes' own schema), every
//! kustomization built by `kubectl kustomize`, no key value in any of them, and the access
//! model read back from the rendered files of every gateway target (Kong, NGINX,
//! envoyproxy/ratelimit, Envoy Gateway, the Kong Ingress Controller in both editions, and
//! Azure API Management where the program renders it):
//! the same calls allowed and limited per credential and endpoint, for the example and for
//! a program of 300 subscribers on one product with the longest names the schema allows.
//! Envoy Gateway and KIC are read as their controllers read them (tests/external/FACTS.md
//! §d, §f): who shares a rate-limit bucket, which plugin a route's annotation finds in
//! which namespace, which plugin instances scope to a consumer *and* a route.

mod common;

use common::{AS_OF, example_dir};
use partnerctl::output::RenderedFile;
use partnerctl::render::render_all;
use partnerctl::spec::Date;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const ENVOY: &str = "dist/k8s/envoy-gateway-production";
const KIC: &str = "dist/k8s/kong-ingress-production";
const APIM: &str = "dist/azure/apim-production.json";
/// The second kong-ingress output the tests add, for Kong Enterprise.
const KIC_EE: &str = "dist/k8s/kong-ingress-enterprise";

fn example() -> Vec<RenderedFile> {
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(&example_dir(), today).expect("readable");
    assert!(!v.has_errors(), "{:#?}", v.diagnostics);
    render_all(&v.program, today).expect("renders")
}

/// A program of the tests' own, validated clean and rendered.
fn render_dir(dir: &Path) -> (partnerctl::model::Program, Vec<RenderedFile>) {
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(dir, today).expect("readable");
    assert!(!v.has_errors(), "{:#?}", v.diagnostics);
    let files = render_all(&v.program, today).expect("renders");
    (v.program, files)
}

/// Adds a kong-ingress output for Kong Enterprise (in the namespace `kong-ee`) and a
/// production NGINX output when the program has none, so that every target exists for
/// production.
fn with_all_production_outputs(dir: &Path) {
    let program = fs::read_to_string(dir.join("program.yaml")).unwrap();
    let mut extra = format!(
        "    - {{target: kong-ingress, environment: production, path: {KIC_EE}, namespace: kong-ee, edition: enterprise}}\n"
    );
    if !program.contains("nginx-production.conf") {
        extra.push_str("    - {target: nginx, environment: production, path: dist/gateway/nginx-production.conf}\n");
    }
    common::edit(
        dir,
        "program.yaml",
        "    - {target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf}\n",
        &format!("    - {{target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf}}\n{extra}"),
    );
}

fn kubernetes(files: &[RenderedFile]) -> Vec<&RenderedFile> {
    files.iter().filter(|f| f.path.starts_with("dist/k8s/")).collect()
}

fn doc(f: &RenderedFile) -> Value {
    yaml_serde::from_str(std::str::from_utf8(&f.bytes).unwrap()).unwrap()
}

fn docs_in(files: &[RenderedFile], folder: &str) -> Vec<Value> {
    files
        .iter()
        .filter(|f| f.path.starts_with(&format!("{folder}/")) && !f.path.ends_with("kustomization.yaml"))
        .map(doc)
        .collect()
}

/// The shared copy of `external/k8s` when it is checked out beside the repository (and then
/// ours must equal it in every file it has), else ours. Ours adds the schemas of kinds the
/// shared copy does not carry (see tests/external/README.md).
fn k8s_external() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ours = root.join("tests/external/k8s");
    let shared = root.join("../shared/external/k8s");
    if shared.exists() {
        let mut names = vec![PathBuf::from("crd2jsonschema.py")];
        for e in fs::read_dir(ours.join("schemas")).unwrap() {
            names.push(Path::new("schemas").join(e.unwrap().file_name()));
        }
        for n in names.into_iter().filter(|n| shared.join(n).exists()) {
            assert_eq!(
                fs::read(ours.join(&n)).unwrap(),
                fs::read(shared.join(&n)).unwrap(),
                "tests/external/k8s/{} differs from the shared original",
                n.display()
            );
        }
    }
    ours
}

/// A tool, or why the test cannot run: in CI (`CI` set) missing is a failure, elsewhere the
/// test is skipped with a note.
#[allow(clippy::print_stderr)] // the skip message is for the person running the tests
fn tool(ok: bool, why: &str) -> bool {
    if ok {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("skipped: {why}");
    false
}

fn write_out(files: &[&RenderedFile]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        let p = dir.path().join(&f.path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, &f.bytes).unwrap();
    }
    dir
}

const VALIDATE_SECRETS: &str = r#"
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
bad = 0
for path in sys.argv[2:]:
    for doc in yaml.safe_load_all(open(path)):
        for e in jsonschema.Draft7Validator(schema).iter_errors(doc):
            print(f"{path}: {e.message}")
            bad += 1
sys.exit(1 if bad else 0)
"#;

/// Validates the Kubernetes manifests of `files`: custom resources with the CRD schemas
/// (`crd2jsonschema.py validate`, unknown fields refused), Secrets with Kubernetes' own.
/// False when the tools are missing outside CI.
fn validate_manifests(files: &[RenderedFile]) -> bool {
    let k8s = kubernetes(files);
    let ext = k8s_external();
    let python = Command::new("python3")
        .args(["-c", "import yaml, jsonschema"])
        .status()
        .is_ok_and(|s| s.success());
    if !tool(
        python,
        "python3 with PyYAML and jsonschema is needed (pip install pyyaml jsonschema)",
    ) {
        return false;
    }
    let dir = write_out(&k8s);
    let (secrets, resources): (Vec<&&RenderedFile>, Vec<&&RenderedFile>) = k8s
        .iter()
        .filter(|f| !f.path.ends_with("/kustomization.yaml"))
        .partition(|f| doc(f)["kind"] == "Secret");
    assert!(resources.len() > 3);
    let out = Command::new("python3")
        .arg(ext.join("crd2jsonschema.py"))
        .arg("validate")
        .arg("--schemas")
        .arg(ext.join("schemas"))
        .args(resources.iter().map(|f| dir.path().join(&f.path)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !secrets.is_empty() {
        let out = Command::new("python3")
            .args(["-c", VALIDATE_SECRETS])
            .arg(ext.join("core/secret-v1.json"))
            .args(secrets.iter().map(|f| dir.path().join(&f.path)))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    true
}

#[test]
fn every_manifest_validates_against_the_crd_schemas() {
    let files = example();
    assert!(
        kubernetes(&files).iter().any(|f| f.path.starts_with(ENVOY)),
        "no envoy-gateway output"
    );
    if !validate_manifests(&files) {
        return;
    }
    // Kong Enterprise's manifests too.
    let dir = common::copy_example();
    with_all_production_outputs(dir.path());
    let (_, files) = render_dir(dir.path());
    assert!(files.iter().any(|f| f.path.starts_with(KIC_EE)));
    validate_manifests(&files);
}

/// 300 subscribers on one product and names as long as the schema allows everywhere: the
/// Envoy Gateway policies stay within the CRDs' 256 rate-limit rules and 256 principal
/// values (the program splits them), names within 253 and 63 characters, and every manifest
/// of both KIC editions passes.
#[test]
fn three_hundred_subscribers_and_the_longest_names_render_manifests_the_crds_accept() {
    let dir = common::big_program(300);
    with_all_production_outputs(dir.path());
    let (_, files) = render_dir(dir.path());
    let envoy = docs_in(&files, ENVOY);
    let btp = envoy
        .iter()
        .find(|d| d["kind"] == "BackendTrafficPolicy" && d["metadata"]["name"].as_str().unwrap().starts_with("p-"))
        .unwrap();
    let rules = btp["spec"]["rateLimit"]["global"]["rules"].as_array().unwrap();
    assert!(rules.len() <= 256 && rules.len() > 20, "{}", rules.len());
    let sp = envoy
        .iter()
        .find(|d| d["kind"] == "SecurityPolicy" && d["metadata"]["name"].as_str().unwrap().starts_with("p-"))
        .unwrap();
    let allow = sp["spec"]["authorization"]["rules"].as_array().unwrap();
    assert!(allow.len() >= 2, "330 credentials take two rules of at most 256");
    let allowed: usize = allow
        .iter()
        .map(|r| r["principal"]["headers"][0]["values"].as_array().unwrap().len())
        .sum();
    assert_eq!(allowed, 330);
    validate_manifests(&files);
}

/// A partner with two credentials needs rate-limit rules of its own (its keys share one
/// bucket): 300 of them need 600 rules, more than the 256 a BackendTrafficPolicy may hold
/// and Envoy Gateway takes one policy per route. `validate` says so at the output's line,
/// and `render` writes nothing, instead of `kubectl apply` failing after the merge.
#[test]
fn a_product_needing_more_rules_than_the_crd_allows_is_refused_by_validate() {
    let dir = common::big_program_with(300, 1);
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(dir.path(), today).expect("readable");
    let found: Vec<_> = v
        .diagnostics
        .iter()
        .filter(|d| d.code == partnerctl::diag::Code::OutputInvalid)
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", v.diagnostics);
    assert!(
        found[0]
            .message
            .contains("600 global rate-limit rules, more than the 256"),
        "{}",
        found[0].message
    );
    let program = fs::read_to_string(dir.path().join("program.yaml")).unwrap();
    let line = program
        .lines()
        .position(|l| l.contains("target: envoy-gateway"))
        .unwrap()
        + 1;
    assert_eq!((found[0].file.as_str(), found[0].line), ("program.yaml", line));
    assert!(render_all(&v.program, today).is_err());
}

#[test]
fn kubectl_kustomize_builds_each_kustomization() {
    let files = example();
    let k8s = kubernetes(&files);
    let kubectl = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !tool(kubectl, "kubectl is not installed (apt-get install kubectl)") {
        return;
    }
    let dir = write_out(&k8s);
    let folders: BTreeSet<&str> = k8s
        .iter()
        .filter_map(|f| f.path.strip_suffix("/kustomization.yaml"))
        .collect();
    assert!(folders.contains(ENVOY) && folders.contains(KIC));
    for folder in folders {
        let out = Command::new("kubectl")
            .arg("kustomize")
            .arg(dir.path().join(folder))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{folder}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listed = k8s
            .iter()
            .filter(|f| f.path.starts_with(&format!("{folder}/")) && !f.path.ends_with("/kustomization.yaml"))
            .count();
        let built = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            built.matches("\nkind: ").count() + usize::from(built.starts_with("kind: ")),
            listed,
            "{built}"
        );
    }
}

#[test]
fn manifests_are_labelled_named_and_carry_no_key() {
    let files = example();
    let name = regex::Regex::new(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$").unwrap();
    for f in kubernetes(&files) {
        let text = std::str::from_utf8(&f.bytes).unwrap();
        assert!(
            !text.contains("vault://"),
            "{}: a secretRef scheme in a manifest",
            f.path
        );
        if f.path.ends_with("/kustomization.yaml") {
            continue;
        }
        let d = doc(f);
        let n = d["metadata"]["name"].as_str().unwrap();
        assert!(name.is_match(n) && n.len() <= 253, "{n}");
        let labels = &d["metadata"]["labels"];
        assert_eq!(labels["app.kubernetes.io/managed-by"], "partnerctl", "{}", f.path);
        assert_eq!(labels["partnerctl.dev/program"], "northwind");
        assert_eq!(labels["partnerctl.dev/environment"], "production");
        if d["kind"] == "ExternalSecret" {
            // external-secrets hands back the whole entry as JSON without a `property`
            // (FACTS §e): every reference names the field that holds the key.
            let remote = &d["spec"]["data"][0]["remoteRef"];
            assert!(remote["key"].as_str().unwrap().starts_with("partners/"), "{remote}");
            assert_eq!(remote["property"], "key", "{}", f.path);
        }
        if d["kind"] == "Secret" {
            // Only `acl` credentials, which hold a group name, never a key.
            assert_eq!(labels["konghq.com/credential"], "acl", "{}", f.path);
            let data = d["stringData"].as_object().unwrap();
            assert_eq!(data.keys().collect::<Vec<_>>(), ["group"], "{}", f.path);
        }
    }
}

#[test]
fn a_secret_ref_field_becomes_the_external_secret_property() {
    let dir = common::copy_example();
    common::edit(
        dir.path(),
        "partners/caribe-shipping.yaml",
        "secretRef: \"vault://partners/caribe-shipping/caribe-prd-1\"",
        "secretRef: \"vault://secret/partners/caribe-shipping#api-key\"",
    );
    let (_, files) = render_dir(dir.path());
    for folder in [ENVOY, KIC] {
        let es = docs_in(&files, folder)
            .into_iter()
            .find(|d| {
                d["kind"] == "ExternalSecret" && d["metadata"]["labels"]["partnerctl.dev/credential"] == "caribe-prd-1"
            })
            .unwrap();
        assert_eq!(
            es["spec"]["data"][0]["remoteRef"],
            serde_json::json!({"key": "secret/partners/caribe-shipping", "property": "api-key"}),
            "{folder}"
        );
    }
}

/// Two products on one HTTPRoute: Envoy Gateway would apply one product's SecurityPolicy
/// and mark the other's Conflicted, so `validate` refuses the program at the output's line
/// and `render` writes nothing.
#[test]
fn two_products_on_one_httproute_are_refused() {
    let dir = common::copy_example();
    common::edit(
        dir.path(),
        "products/tracking.yaml",
        "route: {name: tracking, namespace: northwind}",
        "route: {name: shipments, namespace: northwind}",
    );
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(dir.path(), today).expect("readable");
    let found: Vec<_> = v
        .diagnostics
        .iter()
        .filter(|d| d.code == partnerctl::diag::Code::OutputInvalid)
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", v.diagnostics);
    assert!(
        found[0]
            .message
            .contains("products shipments, tracking share the HTTPRoute northwind/shipments"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].file, "program.yaml");
    let program = fs::read_to_string(dir.path().join("program.yaml")).unwrap();
    let line = program
        .lines()
        .position(|l| l.contains("target: envoy-gateway"))
        .unwrap()
        + 1;
    assert_eq!(found[0].line, line);
    assert!(render_all(&v.program, today).is_err());
}

/// `quotaPolicy: cluster` counts in Kong's database: a kong-ingress output (DB-less unless
/// it says otherwise) refuses it at the output's line, as Kong would ("expected one of:
/// local, redis", FACTS §b); with `mode: database` it is accepted.
#[test]
fn cluster_counters_are_refused_without_a_database() {
    let dir = common::copy_example();
    common::edit(
        dir.path(),
        "program.yaml",
        "path: dist/k8s/kong-ingress-production, namespace: kong}",
        "path: dist/k8s/kong-ingress-production, namespace: kong, quotaPolicy: cluster}",
    );
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(dir.path(), today).expect("readable");
    let found: Vec<_> = v
        .diagnostics
        .iter()
        .filter(|d| d.code == partnerctl::diag::Code::OutputInvalid)
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", v.diagnostics);
    assert!(found[0].message.contains("mode is db-less"), "{}", found[0].message);
    let program = fs::read_to_string(dir.path().join("program.yaml")).unwrap();
    let line = program
        .lines()
        .position(|l| l.contains("target: kong-ingress"))
        .unwrap()
        + 1;
    assert_eq!(found[0].line, line);
    common::edit(
        dir.path(),
        "program.yaml",
        "quotaPolicy: cluster}",
        "quotaPolicy: cluster, mode: database}",
    );
    let v = partnerctl::validate_dir(dir.path(), today).expect("readable");
    assert!(!v.has_errors(), "{:#?}", v.diagnostics);
}

/// Who may call which product with which limits, as the Envoy Gateway manifests say,
/// read as Envoy Gateway counts (FACTS §f): header matches of a rule make one bucket unless
/// one is `Distinct`, which makes one per value. Each credential must meet exactly one rule
/// per window, and the credentials sharing a bucket must be exactly one partner's:
/// credential → product → (rate limits as `requests/unit`).
fn envoy_access(files: &[RenderedFile], program: &partnerctl::model::Program) -> Access {
    let mut out = Access::new();
    let docs = docs_in(files, ENVOY);
    let owner: BTreeMap<&str, &str> = program
        .partners
        .values()
        .flat_map(|p| {
            p.spec
                .credentials
                .iter()
                .map(move |c| (c.id.0.as_str(), p.name.as_str()))
        })
        .collect();
    for d in docs.iter().filter(|d| d["kind"] == "SecurityPolicy") {
        let product = d["metadata"]["labels"]["partnerctl.dev/product"].as_str().unwrap();
        assert_eq!(d["spec"]["authorization"]["defaultAction"], "Deny");
        for rule in d["spec"]["authorization"]["rules"].as_array().unwrap() {
            assert_eq!(rule["action"], "Allow");
            for c in rule["principal"]["headers"][0]["values"].as_array().unwrap() {
                out.entry(c.as_str().unwrap().to_string())
                    .or_default()
                    .insert(product.to_string(), BTreeSet::new());
            }
        }
    }
    for d in docs.iter().filter(|d| d["kind"] == "BackendTrafficPolicy") {
        let product = d["metadata"]["labels"]["partnerctl.dev/product"].as_str().unwrap();
        // (credential, unit) → the rules that count it.
        let mut counted: BTreeMap<(String, String), usize> = BTreeMap::new();
        for rule in d["spec"]["rateLimit"]["global"]["rules"].as_array().unwrap() {
            let headers = rule["clientSelectors"][0]["headers"].as_array().unwrap();
            let re = regex::Regex::new(headers[0]["value"].as_str().unwrap()).unwrap();
            let distinct = headers.iter().skip(1).any(|h| h["type"] == "Distinct");
            let unit = rule["limit"]["unit"].as_str().unwrap().to_lowercase();
            let limit = format!("{}/{unit}", rule["limit"]["requests"]);
            let matched: Vec<String> = out.keys().filter(|c| re.is_match(c)).cloned().collect();
            let partners: BTreeSet<&str> = matched.iter().map(|c| owner[c.as_str()]).collect();
            if distinct {
                assert_eq!(
                    partners.len(),
                    matched.len(),
                    "a Distinct rule counts a partner's credentials apart: {matched:?}"
                );
            } else {
                assert_eq!(partners.len(), 1, "one bucket is one partner's: {matched:?}");
            }
            for c in matched {
                *counted.entry((c.clone(), unit.clone())).or_default() += 1;
                out.get_mut(&c)
                    .unwrap()
                    .get_mut(product)
                    .expect("a limit on a call not allowed")
                    .insert(limit.clone());
            }
        }
        assert!(
            counted.values().all(|n| *n == 1),
            "a credential counted twice in a window: {counted:?}"
        );
    }
    out
}

type Access = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// A `konghq.com/plugins` annotation read as KIC reads it (FACTS §d): comma-separated,
/// trimmed, `namespace:name` or a bare name looked up in the referrer's own namespace.
fn plugin_refs(annotation: Option<&str>, referrer_ns: &str) -> Vec<(String, String)> {
    annotation
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s.split_once(':') {
            Some((ns, name)) => (ns.to_string(), name.to_string()),
            None => (referrer_ns.to_string(), s.to_string()),
        })
        .collect()
}

/// Kong OSS's `acl` config fields and `rate-limiting` config fields (FACTS §a, §b).
const OSS_ACL_FIELDS: [&str; 4] = ["allow", "deny", "hide_groups_header", "always_use_authenticated_groups"];
const RATE_LIMITING_FIELDS: [&str; 14] = [
    "second",
    "minute",
    "hour",
    "day",
    "month",
    "year",
    "limit_by",
    "policy",
    "fault_tolerant",
    "redis",
    "hide_client_headers",
    "error_code",
    "error_message",
    "sync_rate",
];

/// The same, as the Kong Ingress Controller reads its manifests (FACTS §d):
/// - a consumer's credentials are Secrets of its namespace: `key-auth` ones (made by the
///   ExternalSecrets) name its credential ids, `acl` ones its ACL groups;
/// - each product's route (in `environments.production.route`'s namespace, else the
///   output's) carries the `konghq.com/plugins` value its `acl` plugin publishes; a
///   qualified name needs a ReferenceGrant in that namespace for the route's namespace, and
///   must exist; it must name one key-auth and one acl plugin;
/// - a consumer may call the product when the acl plugin allows one of its ACL groups (or,
///   with `include_consumer_groups`, of its consumer groups);
/// - a rate-limiting plugin the route names applies to the consumers (and consumer groups)
///   naming the same plugin in the same namespace (KIC's `namespace:name` key and
///   `GetCombinations`); named by the route alone it would limit every consumer, so it
///   must be disabled.
fn kic_access(files: &[RenderedFile], folder: &str, program: &partnerctl::model::Program, enterprise: bool) -> Access {
    let docs = docs_in(files, folder);
    let ns_of = |d: &Value| d["metadata"]["namespace"].as_str().unwrap().to_string();
    let find = |kind: &str, ns: &str, name: &str| {
        docs.iter()
            .find(|d| d["kind"] == kind && d["metadata"]["namespace"] == ns && d["metadata"]["name"] == name)
    };
    let output_ns = ns_of(docs.iter().find(|d| d["kind"] == "KongConsumer").unwrap());
    // Secrets: (namespace, name) → credential id, or ACL group.
    let mut key_secrets: BTreeMap<(String, String), String> = BTreeMap::new();
    for d in docs.iter().filter(|d| d["kind"] == "ExternalSecret") {
        let target = &d["spec"]["target"];
        assert_eq!(
            target["template"]["metadata"]["labels"]["konghq.com/credential"],
            "key-auth"
        );
        assert_eq!(d["spec"]["data"][0]["secretKey"], "key");
        key_secrets.insert(
            (ns_of(d), target["name"].as_str().unwrap().to_string()),
            d["metadata"]["labels"]["partnerctl.dev/credential"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let mut acl_secrets: BTreeMap<(String, String), String> = BTreeMap::new();
    for d in docs.iter().filter(|d| d["kind"] == "Secret") {
        assert_eq!(d["metadata"]["labels"]["konghq.com/credential"], "acl");
        acl_secrets.insert(
            (ns_of(d), d["metadata"]["name"].as_str().unwrap().to_string()),
            d["stringData"]["group"].as_str().unwrap().to_string(),
        );
    }
    for d in docs.iter().filter(|d| d["kind"] == "KongPlugin") {
        let config = d["config"].as_object().unwrap();
        match d["plugin"].as_str().unwrap() {
            "rate-limiting" => assert!(config.keys().all(|k| RATE_LIMITING_FIELDS.contains(&k.as_str())), "{d}"),
            "acl" if !enterprise => assert!(config.keys().all(|k| OSS_ACL_FIELDS.contains(&k.as_str())), "{d}"),
            _ => {}
        }
    }
    if !enterprise {
        assert!(
            !docs.iter().any(|d| d["kind"] == "KongConsumerGroup"),
            "Kong OSS has no consumer groups"
        );
        assert!(!docs.iter().any(|d| d.get("consumerGroups").is_some()));
    }
    // What names each plugin: (namespace, name) → the consumers and groups.
    let mut holders: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for d in docs
        .iter()
        .filter(|d| d["kind"] == "KongConsumer" || d["kind"] == "KongConsumerGroup")
    {
        for r in plugin_refs(d["metadata"]["annotations"]["konghq.com/plugins"].as_str(), &ns_of(d)) {
            holders
                .entry(r)
                .or_default()
                .insert(d["metadata"]["name"].as_str().unwrap().to_string());
        }
    }
    let gw = partnerctl::access::Gateway::products(program, partnerctl::spec::Environment::Production);
    let mut out = Access::new();
    for p in &gw {
        let route_ns = p
            .product
            .spec
            .environments
            .get(partnerctl::spec::Environment::Production)
            .and_then(|e| e.route.as_ref())
            .map_or(output_ns.clone(), |r| r.namespace.clone());
        let acl_plugin = docs
            .iter()
            .find(|d| d["plugin"] == "acl" && d["metadata"]["labels"]["partnerctl.dev/product"] == p.name)
            .unwrap();
        let annotation = acl_plugin["metadata"]["annotations"]["partnerctl.dev/route-plugins"].as_str();
        let mut route_plugins = Vec::new();
        for (ns, name) in plugin_refs(annotation, &route_ns) {
            if ns != route_ns {
                let granted = docs
                    .iter()
                    .filter(|d| d["kind"] == "ReferenceGrant" && d["metadata"]["namespace"] == ns)
                    .any(|g| {
                        g["spec"]["from"].as_array().unwrap().iter().any(|f| {
                            f["group"] == "gateway.networking.k8s.io"
                                && f["kind"] == "HTTPRoute"
                                && f["namespace"] == route_ns
                        }) && g["spec"]["to"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|t| t["group"] == "configuration.konghq.com" && t["kind"] == "KongPlugin")
                    });
                assert!(granted, "no grant found to referenced {ns}:{name} from {route_ns}");
            }
            let plugin = find("KongPlugin", &ns, &name)
                .unwrap_or_else(|| panic!("referenced KongPlugin {ns}/{name} does not exist"));
            route_plugins.push(((ns, name), plugin));
        }
        let of = |kind: &str| {
            route_plugins
                .iter()
                .filter(move |(_, d)| d["plugin"] == kind)
                .collect::<Vec<_>>()
        };
        let key_auth = of("key-auth");
        assert_eq!(key_auth.len(), 1, "{}: {annotation:?}", p.name);
        assert_eq!(key_auth[0].1["config"]["key_names"], serde_json::json!(["x-api-key"]));
        let acl = of("acl");
        assert_eq!(acl.len(), 1, "{}: {annotation:?}", p.name);
        let acl = acl[0].1;
        let allow: Vec<&str> = acl["config"]["allow"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let by_groups = acl["config"]["include_consumer_groups"] == true;
        assert_eq!(by_groups, enterprise);
        let limits = of("rate-limiting");
        for (key, plugin) in &limits {
            let held = holders.get(key).is_some_and(|h| !h.is_empty());
            assert_eq!(
                plugin.get("disabled") == Some(&Value::Bool(true)),
                !held,
                "{key:?}: named by the route alone, it must be disabled; held, enabled"
            );
        }
        for c in docs.iter().filter(|d| d["kind"] == "KongConsumer") {
            let ns = ns_of(c);
            let credentials: Vec<(String, String)> = c["credentials"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (ns.clone(), s.as_str().unwrap().to_string()))
                .collect();
            let mut groups: Vec<String> = credentials.iter().filter_map(|k| acl_secrets.get(k).cloned()).collect();
            let consumer_groups: Vec<String> = c
                .get("consumerGroups")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|g| g.as_str().unwrap().to_string())
                .collect();
            if by_groups {
                groups.extend(consumer_groups.iter().cloned());
            }
            if !groups.iter().any(|g| allow.contains(&g.as_str())) {
                continue;
            }
            let name = c["metadata"]["name"].as_str().unwrap().to_string();
            let applying: Vec<&Value> = limits
                .iter()
                .filter(|(key, _)| {
                    holders
                        .get(key)
                        .is_some_and(|h| h.contains(&name) || consumer_groups.iter().any(|g| h.contains(g)))
                })
                .map(|(_, d)| *d)
                .collect();
            assert_eq!(applying.len(), 1, "{name} on {}: one plan's plugin applies", p.name);
            let windows: BTreeSet<String> = WINDOWS
                .iter()
                .filter_map(|w| applying[0]["config"][*w].as_u64().map(|v| format!("{v}/{w}")))
                .collect();
            for k in &credentials {
                if let Some(id) = key_secrets.get(k) {
                    out.entry(id.clone())
                        .or_default()
                        .insert(p.name.to_string(), windows.clone());
                }
            }
        }
    }
    out
}

/// The same, as envoyproxy/ratelimit's configuration says: partner → product → the plan's
/// rate limit and quota, for each live credential of the partner in production (the
/// service names partners, not credentials).
fn ratelimit_access(files: &[RenderedFile], program: &partnerctl::model::Program) -> Access {
    let text = std::str::from_utf8(
        &files
            .iter()
            .find(|f| f.path == "dist/gateway/envoy-ratelimit-production.yaml")
            .unwrap()
            .bytes,
    )
    .unwrap()
    .to_string();
    let config: Value = yaml_serde::from_str(&text).unwrap();
    let gw = partnerctl::access::Gateway::new(
        program,
        partnerctl::spec::Environment::Production,
        Date::parse(AS_OF).unwrap(),
    );
    let mut out = Access::new();
    for partner in config["descriptors"].as_array().unwrap() {
        let name = partner["value"].as_str().unwrap();
        let credentials = &gw.partners.iter().find(|p| p.name == name).unwrap().credentials;
        for product in partner["descriptors"].as_array().unwrap() {
            let mut limits = BTreeSet::new();
            let mut add = |d: &Value| {
                limits.insert(format!(
                    "{}/{}",
                    d["rate_limit"]["requests_per_unit"],
                    d["rate_limit"]["unit"].as_str().unwrap()
                ));
            };
            add(product);
            for q in product["descriptors"].as_array().into_iter().flatten() {
                add(q);
            }
            for c in credentials {
                out.entry(c.id.0.clone())
                    .or_default()
                    .insert(product["value"].as_str().unwrap().to_string(), limits.clone());
            }
        }
    }
    out
}

/// (credential, method, path regex) → the binding limit per window (`second` → 50, …).
type Calls = BTreeMap<(String, String, String), BTreeMap<String, u64>>;

const WINDOWS: [&str; 5] = ["second", "minute", "hour", "day", "month"];

/// The limit that binds in each window: a window's limit capped by every longer window's
/// (a quota of 3 000 000 a month also caps the calls of any one day to at most that).
fn binding(limits: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut cap = u64::MAX;
    let mut out = BTreeMap::new();
    for w in WINDOWS.iter().rev() {
        if let Some(v) = limits.get(*w) {
            cap = cap.min(*v);
            out.insert(w.to_string(), cap);
        }
    }
    out
}

/// `"50/second"` strings → window → the smallest limit.
fn windows_of(limits: &BTreeSet<String>) -> BTreeMap<String, u64> {
    let mut m: BTreeMap<String, u64> = BTreeMap::new();
    for l in limits {
        let (n, w) = l.split_once('/').unwrap();
        let n: u64 = n.parse().unwrap();
        m.entry(w.to_string()).and_modify(|v| *v = (*v).min(n)).or_insert(n);
    }
    m
}

/// The Kong decK file, read back per endpoint: each service's routes (methods, `~` regex
/// paths, which Kong anchors at the start), its `acl` plugin's allowed groups; each
/// consumer's key credentials (tag `credential:<id>`), ACL groups, and its `rate-limiting`
/// plugin on the service.
fn kong_calls(kong: &serde_json::Value) -> Calls {
    let plugins = kong["plugins"].as_array().unwrap();
    let mut out = Calls::new();
    for s in kong["services"].as_array().unwrap() {
        let service = s["name"].as_str().unwrap();
        let allow: Vec<&str> = s["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["name"] == "acl")
            .flat_map(|p| {
                p["config"]["allow"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| g.as_str().unwrap())
            })
            .collect();
        assert!(
            !allow.is_empty(),
            "service {service} has no acl: every consumer could call it"
        );
        let mut endpoints = Vec::new();
        for r in s["routes"].as_array().unwrap() {
            for p in r["paths"].as_array().unwrap() {
                let regex = format!("^{}", p.as_str().unwrap().strip_prefix('~').expect("a regex route"));
                for m in r["methods"].as_array().unwrap() {
                    endpoints.push((m.as_str().unwrap().to_string(), regex.clone()));
                }
            }
        }
        for c in kong["consumers"].as_array().unwrap() {
            let consumer = c["username"].as_str().unwrap();
            let member = c["acls"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|g| allow.contains(&g["group"].as_str().unwrap()));
            if !member {
                continue;
            }
            let p = plugins
                .iter()
                .find(|p| p["name"] == "rate-limiting" && p["consumer"] == consumer && p["service"] == service)
                .unwrap_or_else(|| panic!("{consumer} calls {service} without a limit"));
            let limits: BTreeMap<String, u64> = WINDOWS
                .iter()
                .filter_map(|w| p["config"][*w].as_u64().map(|v| (w.to_string(), v)))
                .collect();
            for cred in c["keyauth_credentials"].as_array().into_iter().flatten() {
                let id = cred["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find_map(|t| t.as_str().unwrap().strip_prefix("credential:"))
                    .unwrap();
                for (m, path) in &endpoints {
                    out.insert((id.to_string(), m.clone(), path.clone()), binding(&limits));
                }
            }
        }
    }
    out
}

/// The NGINX include, read back from its directives: the `map` of credential → partner, per
/// product the `map` of partner → plan and per plan the zone's `map` and `limit_req_zone`;
/// per `location ~ "regex"` its allowed methods, the product plan variable it requires,
/// and its `limit_req` zones. A credential may call a location's endpoint when its partner
/// has a plan in the product's map; its limit there is each zone whose map holds the
/// partner: `rate=Nr/s burst=N-1` lets N calls through in a second.
fn nginx_calls(conf: &str) -> Calls {
    let mut maps: BTreeMap<String, (String, BTreeMap<String, String>)> = BTreeMap::new();
    let mut zones: BTreeMap<String, (String, u64, String)> = BTreeMap::new();
    // (path regex, methods, the product's plan variable, its limit_req zones and bursts)
    type Location = (String, Vec<String>, String, Vec<(String, u64)>);
    let mut locations: Vec<Location> = Vec::new();
    let map_re = regex::Regex::new(r#"^map \$(\S+) \$(\S+) \{$"#).unwrap();
    let entry_re = regex::Regex::new(r#"^\s+(\S+) (\S+);$"#).unwrap();
    let zone_re = regex::Regex::new(r#"^limit_req_zone \$(\S+) zone=(\S+):10m rate=(\d+)r/([sm]);$"#).unwrap();
    let loc_re = regex::Regex::new(r#"^    location ~ "(.+)" \{$"#).unwrap();
    let method_re = regex::Regex::new(r#"^\s+if \(\$request_method !~ "\^\(([A-Z|]+)\)\$"\) \{$"#).unwrap();
    let plan_re = regex::Regex::new(r#"^\s+if \(\$(\S+_plan_[0-9a-f]+) = ""\) \{$"#).unwrap();
    let limit_re = regex::Regex::new(r#"^\s+limit_req zone=(\S+) burst=(\d+) nodelay;$"#).unwrap();
    let mut lines = conf.lines();
    while let Some(line) = lines.next() {
        if let Some(c) = map_re.captures(line) {
            let mut entries = BTreeMap::new();
            for l in lines.by_ref() {
                if l == "}" {
                    break;
                }
                if let Some(e) = entry_re.captures(l).filter(|e| &e[1] != "default") {
                    entries.insert(e[1].to_string(), e[2].to_string());
                }
            }
            maps.insert(c[2].to_string(), (c[1].to_string(), entries));
        } else if let Some(c) = zone_re.captures(line) {
            let unit = if &c[4] == "s" { "second" } else { "minute" };
            zones.insert(
                c[2].to_string(),
                (c[1].to_string(), c[3].parse().unwrap(), unit.to_string()),
            );
        } else if let Some(c) = loc_re.captures(line) {
            let (mut methods, mut plan, mut limits) = (Vec::new(), String::new(), Vec::new());
            for l in lines.by_ref() {
                if l == "    }" {
                    break;
                }
                if let Some(m) = method_re.captures(l) {
                    methods = m[1].split('|').map(str::to_string).collect();
                } else if let Some(p) = plan_re.captures(l) {
                    plan = p[1].to_string();
                } else if let Some(z) = limit_re.captures(l) {
                    limits.push((z[1].to_string(), z[2].parse().unwrap()));
                }
            }
            assert!(!methods.is_empty() && !plan.is_empty(), "location {}", &c[1]);
            locations.push((c[1].replace("\\\\", "\\"), methods, plan, limits));
        }
    }
    let (_, credentials) = maps
        .iter()
        .find(|(out, (input, _))| input.ends_with("_credential") && out.ends_with("_partner"))
        .map(|(_, v)| v)
        .expect("the credential map");
    let mut out = Calls::new();
    assert!(!locations.is_empty());
    for (regex, methods, plan_var, limits) in &locations {
        let plans = &maps[plan_var].1;
        for (cred, partner) in credentials {
            if !plans.contains_key(partner) {
                continue;
            }
            let mut windows = BTreeMap::new();
            for (zone, burst) in limits {
                let (var, rate, unit) = &zones[zone];
                assert_eq!(var, zone, "a zone is keyed by its own map");
                if maps[var].1.get(partner) == Some(partner) {
                    assert_eq!(*burst, rate - 1, "the burst spends the whole allowance at once");
                    windows.insert(unit.clone(), *rate);
                }
            }
            assert_eq!(
                windows.len(),
                1,
                "{cred} on {regex}: one plan's zone applies: {windows:?}"
            );
            for m in methods {
                out.insert((cred.clone(), m.clone(), regex.clone()), windows.clone());
            }
        }
    }
    out
}

/// The API Management template, read back per endpoint: each API's path and operations
/// (method, URL template below the path); each product's policy (its `rate-limit-by-key` and
/// `quota-by-key` elements: calls per `renewal-period`) and the APIs linked to it; each
/// `active` subscription's product (its scope) and the credentials whose keys fill its slots
/// (the template parameters `key_<credential>_<product>`). A credential may call an
/// operation of an API of its subscription's product, limited by that product's policy.
fn apim_calls(t: &serde_json::Value) -> Calls {
    use quick_xml::events::Event;
    let of = |kind: &str| {
        let ty = format!("Microsoft.ApiManagement/service/{kind}");
        t["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(move |r| r["type"] == ty)
    };
    // `<service>/a/b` → [a, b]
    let parts = |r: &serde_json::Value| -> Vec<String> {
        let n = r["name"].as_str().unwrap();
        n.split('/').skip(1).map(str::to_string).collect()
    };
    let mut apis: BTreeMap<String, (String, Vec<(String, String)>)> = BTreeMap::new();
    for a in of("apis") {
        apis.insert(
            parts(a)[0].clone(),
            (a["properties"]["path"].as_str().unwrap().to_string(), Vec::new()),
        );
    }
    for o in of("apis/operations") {
        let p = parts(o);
        apis.get_mut(&p[0]).unwrap().1.push((
            o["properties"]["method"].as_str().unwrap().to_string(),
            o["properties"]["urlTemplate"].as_str().unwrap().to_string(),
        ));
    }
    let mut links: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in of("products/apis") {
        let p = parts(l);
        links.entry(p[0].clone()).or_default().push(p[1].clone());
    }
    let window = |seconds: u64| match seconds {
        1 => "second",
        60 => "minute",
        3600 => "hour",
        86_400 => "day",
        2_592_000 => "month",
        other => panic!("a renewal period of {other} s is no window of a plan"),
    };
    let mut limits: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for p in of("products/policies") {
        let mut r = quick_xml::Reader::from_str(p["properties"]["value"].as_str().unwrap());
        let mut windows = BTreeMap::new();
        loop {
            match r.read_event().expect("well-formed policy XML") {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) if e.name().as_ref().ends_with(b"-by-key") => {
                    let attr = |k: &str| -> u64 {
                        e.attributes()
                            .map(|a| a.unwrap())
                            .find(|a| a.key.as_ref() == k.as_bytes())
                            .map(|a| a.unescape_value().unwrap().parse().unwrap())
                            .unwrap()
                    };
                    windows.insert(window(attr("renewal-period")).to_string(), attr("calls"));
                }
                _ => {}
            }
        }
        limits.insert(parts(p)[0].clone(), windows);
    }
    let mut out = Calls::new();
    for s in of("subscriptions").filter(|s| s["properties"]["state"] == "active") {
        let product = s["properties"]["scope"]
            .as_str()
            .unwrap()
            .strip_prefix("/products/")
            .unwrap();
        let windows = binding(&limits[product]);
        for slot in ["primaryKey", "secondaryKey"] {
            let Some(param) = s["properties"][slot]
                .as_str()
                .unwrap()
                .strip_prefix("[parameters('key_")
                .and_then(|k| k.strip_suffix("')]"))
            else {
                continue; // a slot no credential fills
            };
            let (credential, _) = param.split_once('_').unwrap();
            for api in &links[product] {
                let (path, operations) = &apis[api];
                for (method, template) in operations {
                    let full = match (path.as_str(), template.as_str()) {
                        ("", t) => t.to_string(),
                        (p, "/") => format!("/{p}"),
                        (p, t) => format!("/{p}{t}"),
                    };
                    out.insert(
                        (
                            credential.to_string(),
                            method.clone(),
                            partnerctl::access::path_regex(&full),
                        ),
                        windows.clone(),
                    );
                }
            }
        }
    }
    out
}

/// Envoy Gateway and the Kong Ingress Controller attach to a route the program does not
/// render (`environments.<env>.route` names the HTTPRoute; the KIC plugins are annotated on
/// it): their endpoints are the product's, as the program lists them, each a
/// (method, `path_regex`) as Kong's routes and NGINX's locations match it.
fn per_endpoint(access: &Access, program: &partnerctl::model::Program) -> Calls {
    let mut out = Calls::new();
    for (cred, products) in access {
        for (product, limits) in products {
            for e in &program.products[product].spec.endpoints {
                out.insert(
                    (
                        cred.clone(),
                        e.method.as_str().to_string(),
                        partnerctl::access::path_regex(&e.path),
                    ),
                    binding(&windows_of(limits)),
                );
            }
        }
    }
    out
}

/// Renders `dir` with every target for production and compares what each lets call and how
/// it limits, per credential and endpoint; returns the number of calls compared.
fn all_targets_allow_and_limit_the_same_calls(dir: &Path) -> usize {
    with_all_production_outputs(dir);
    let (program, files) = render_dir(dir);
    let text = |p: &str| {
        std::str::from_utf8(&files.iter().find(|f| f.path == p).unwrap().bytes)
            .unwrap()
            .to_string()
    };
    let kong = kong_calls(&yaml_serde::from_str(&text("dist/gateway/kong-production.yaml")).unwrap());
    let nginx = nginx_calls(&text("dist/gateway/nginx-production.conf"));
    let envoy = per_endpoint(&envoy_access(&files, &program), &program);
    let kic = per_endpoint(&kic_access(&files, KIC, &program, false), &program);
    let kic_ee = per_endpoint(&kic_access(&files, KIC_EE, &program, true), &program);
    let ratelimit = per_endpoint(&ratelimit_access(&files, &program), &program);
    // Azure API Management, where the program renders it (the example does; the generated
    // programs do not).
    let apim = files
        .iter()
        .any(|f| f.path == APIM)
        .then(|| apim_calls(&serde_json::from_str(&text(APIM)).unwrap()));

    // Who may call what: the same (credential, method, path) in all of them.
    let calls = |c: &Calls| c.keys().cloned().collect::<BTreeSet<_>>();
    assert!(kong.len() > 20, "{kong:#?}");
    assert_eq!(calls(&nginx), calls(&kong), "nginx against kong");
    assert_eq!(calls(&envoy), calls(&kong), "envoy-gateway against kong");
    assert_eq!(calls(&kic), calls(&kong), "kong-ingress (Kong OSS) against kong");
    assert_eq!(
        calls(&kic_ee),
        calls(&kong),
        "kong-ingress (Kong Enterprise) against kong"
    );
    assert_eq!(calls(&ratelimit), calls(&kong), "envoy-ratelimit against kong");
    if let Some(apim) = &apim {
        assert_eq!(calls(apim), calls(&kong), "azure-apim against kong");
    }
    // And not everyone everything: some credential of the environment is refused somewhere.
    let credentials: BTreeSet<&String> = kong.keys().map(|(c, _, _)| c).collect();
    let endpoints: BTreeSet<(&String, &String)> = kong.keys().map(|(_, m, p)| (m, p)).collect();
    assert!(
        credentials.len() * endpoints.len() > kong.len(),
        "the comparison must tell access apart"
    );

    // With which limits. Kong, Envoy Gateway, KIC and the ratelimit service limit every
    // window of the plan; compared by the limit that binds in each window (Kong caps a
    // window by a stricter longer one).
    assert_eq!(envoy, kong, "envoy-gateway limits against kong");
    assert_eq!(kic, kong, "kong-ingress (Kong OSS) limits against kong");
    assert_eq!(kic_ee, kong, "kong-ingress (Kong Enterprise) limits against kong");
    assert_eq!(ratelimit, kong, "envoy-ratelimit limits against kong");
    if let Some(apim) = &apim {
        assert_eq!(apim, &kong, "azure-apim limits against kong");
    }
    // NGINX keeps no counters beyond its rate (quotas are Kong's and Envoy's, docs/render.md):
    // its limit is the plan's rate window, the shortest window the others limit.
    for (call, limits) in &nginx {
        let kong_rate: BTreeMap<String, u64> = WINDOWS
            .iter()
            .find_map(|w| kong[call].get(*w).map(|v| BTreeMap::from([(w.to_string(), *v)])))
            .unwrap();
        assert_eq!(limits, &kong_rate, "nginx rate for {call:?}");
    }
    kong.len()
}

#[test]
fn every_target_allows_and_limits_the_same_calls_per_endpoint() {
    let dir = common::copy_example();
    all_targets_allow_and_limit_the_same_calls(dir.path());
    assert!(
        fs::read_to_string(dir.path().join("program.yaml"))
            .unwrap()
            .contains(APIM),
        "the example renders azure-apim, so the comparison above covers it"
    );
}

/// The same with 300 subscribers on one product (every tenth with two credentials) and
/// names as long as the schema allows: the Envoy Gateway policies split into rules that
/// stay within the CRDs, and still count each partner in a bucket of its own.
#[test]
fn every_target_allows_and_limits_the_same_calls_at_300_subscribers() {
    let dir = common::big_program(300);
    let compared = all_targets_allow_and_limit_the_same_calls(dir.path());
    assert!(compared > 600, "{compared}");
}
