//! The Kubernetes targets of the bundled example (SPEC §12): every manifest against the
//! projects' own CRD schemas (JSON Schemas generated from the CRDs,
//! `../shared/external/k8s/`, copied in tests/external/k8s/), every kustomization built by
//! `kubectl kustomize`, the access rules read back from the manifests, and no key value in
//! any of them.

mod common;

use common::{AS_OF, example_dir};
use partnerctl::render::{RenderedFile, render_all};
use partnerctl::spec::Date;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const ENVOY: &str = "dist/k8s/envoy-gateway-production";
const KIC: &str = "dist/k8s/kong-ingress-production";

fn example() -> Vec<RenderedFile> {
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(&example_dir(), today).expect("readable");
    assert!(!v.has_errors(), "{:#?}", v.diagnostics);
    render_all(&v.program, today).expect("renders")
}

fn kubernetes(files: &[RenderedFile]) -> Vec<&RenderedFile> {
    files.iter().filter(|f| f.path.starts_with("dist/k8s/")).collect()
}

fn doc(f: &RenderedFile) -> serde_json::Value {
    yaml_serde::from_str(std::str::from_utf8(&f.bytes).unwrap()).unwrap()
}

/// The shared copy of `external/k8s` when it is checked out beside the repository (and then
/// ours must equal it), else ours.
fn k8s_external() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ours = root.join("tests/external/k8s");
    let shared = root.join("../shared/external/k8s");
    if shared.exists() {
        let mut names = vec![PathBuf::from("crd2jsonschema.py")];
        for e in fs::read_dir(ours.join("schemas")).unwrap() {
            names.push(Path::new("schemas").join(e.unwrap().file_name()));
        }
        for n in names {
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

#[test]
fn every_manifest_validates_against_the_crd_schemas() {
    let files = example();
    let k8s = kubernetes(&files);
    assert!(k8s.iter().any(|f| f.path.starts_with(ENVOY)), "no envoy-gateway output");
    let ext = k8s_external();
    let python = Command::new("python3")
        .args(["-c", "import yaml, jsonschema"])
        .status()
        .is_ok_and(|s| s.success());
    if !tool(
        python,
        "python3 with PyYAML and jsonschema is needed (pip install pyyaml jsonschema)",
    ) {
        return;
    }
    let dir = write_out(&k8s);
    let manifests: Vec<PathBuf> = k8s
        .iter()
        .filter(|f| !f.path.ends_with("/kustomization.yaml"))
        .map(|f| dir.path().join(&f.path))
        .collect();
    assert!(manifests.len() > 3);
    let out = Command::new("python3")
        .arg(ext.join("crd2jsonschema.py"))
        .arg("validate")
        .arg("--schemas")
        .arg(ext.join("schemas"))
        .args(&manifests)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
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
        assert!(labels.get("partnerctl.dev/partner").is_some() || labels.get("partnerctl.dev/product").is_some());
        if d["kind"] == "ExternalSecret" {
            assert!(
                d["spec"]["data"][0]["remoteRef"]["key"]
                    .as_str()
                    .unwrap()
                    .starts_with("partners/")
            );
        }
    }
}

/// Who may call which product with which limits, as the Envoy Gateway manifests say:
/// credential → product → (rate limits as `requests/unit`).
fn envoy_access(files: &[RenderedFile]) -> Access {
    let mut out = Access::new();
    let docs: Vec<serde_json::Value> = files
        .iter()
        .filter(|f| f.path.starts_with(ENVOY) && !f.path.ends_with("kustomization.yaml"))
        .map(doc)
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
        for rule in d["spec"]["rateLimit"]["global"]["rules"].as_array().unwrap() {
            let re = regex::Regex::new(rule["clientSelectors"][0]["headers"][0]["value"].as_str().unwrap()).unwrap();
            let limit = format!(
                "{}/{}",
                rule["limit"]["requests"],
                rule["limit"]["unit"].as_str().unwrap().to_lowercase()
            );
            for (c, products) in out.iter_mut() {
                if re.is_match(c) {
                    products
                        .get_mut(product)
                        .expect("a limit on a call not allowed")
                        .insert(limit.clone());
                }
            }
        }
    }
    out
}

type Access = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// The same, as the Kong Ingress Controller manifests say: consumer → its credential Secrets
/// (ExternalSecrets labelled `konghq.com/credential: key-auth`) and consumer groups; a group →
/// the products whose `acl` plugin allows it, and its `rate-limiting` plugin's windows.
fn kic_access(files: &[RenderedFile]) -> Access {
    let docs: Vec<serde_json::Value> = files
        .iter()
        .filter(|f| f.path.starts_with(KIC) && !f.path.ends_with("kustomization.yaml"))
        .map(doc)
        .collect();
    let of = |kind: &'static str| docs.iter().filter(move |d| d["kind"] == kind);
    let mut secret_credential = BTreeMap::new();
    for d in of("ExternalSecret") {
        let target = &d["spec"]["target"];
        assert_eq!(
            target["template"]["metadata"]["labels"]["konghq.com/credential"],
            "key-auth"
        );
        assert_eq!(d["spec"]["data"][0]["secretKey"], "key");
        secret_credential.insert(
            target["name"].as_str().unwrap().to_string(),
            d["metadata"]["labels"]["partnerctl.dev/credential"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let mut out = Access::new();
    for c in of("KongConsumer") {
        for g in c["consumerGroups"].as_array().unwrap() {
            let g = g.as_str().unwrap();
            let group = of("KongConsumerGroup").find(|d| d["metadata"]["name"] == g).unwrap();
            let plugin_name = group["metadata"]["annotations"]["konghq.com/plugins"].as_str().unwrap();
            let plugin = of("KongPlugin").find(|d| d["metadata"]["name"] == plugin_name).unwrap();
            assert_eq!(plugin["plugin"], "rate-limiting");
            let limits: BTreeSet<String> = ["second", "minute", "hour", "day", "month"]
                .iter()
                .filter_map(|w| plugin["config"][*w].as_u64().map(|v| format!("{v}/{w}")))
                .collect();
            for acl in of("KongPlugin").filter(|d| d["plugin"] == "acl") {
                assert_eq!(acl["config"]["include_consumer_groups"], true);
                if acl["config"]["allow"].as_array().unwrap().iter().any(|a| a == g) {
                    let product = acl["metadata"]["labels"]["partnerctl.dev/product"].as_str().unwrap();
                    for s in c["credentials"].as_array().unwrap() {
                        let id = &secret_credential[s.as_str().unwrap()];
                        out.entry(id.clone())
                            .or_default()
                            .insert(product.to_string(), limits.clone());
                    }
                }
            }
        }
    }
    out
}

#[test]
fn kubernetes_targets_allow_and_limit_what_kong_does() {
    let files = example();
    let envoy = envoy_access(&files);
    let kic = kic_access(&files);
    // The Kong file of the same environment, read back: credential → consumer → its ACL
    // groups (products) and its rate-limiting windows per service.
    let kong: serde_json::Value = doc(files
        .iter()
        .find(|f| f.path == "dist/gateway/kong-production.yaml")
        .unwrap());
    let mut expected = Access::new();
    let plugins = kong["plugins"].as_array().unwrap();
    for c in kong["consumers"].as_array().unwrap() {
        let consumer = c["username"].as_str().unwrap();
        for cred in c["keyauth_credentials"].as_array().into_iter().flatten() {
            let id = cred["tags"]
                .as_array()
                .unwrap()
                .iter()
                .find_map(|t| t.as_str().unwrap().strip_prefix("credential:"))
                .unwrap();
            let mut products = BTreeMap::new();
            for g in c["acls"].as_array().into_iter().flatten() {
                let product = g["group"].as_str().unwrap();
                let p = plugins
                    .iter()
                    .find(|p| p["name"] == "rate-limiting" && p["consumer"] == consumer && p["service"] == product)
                    .unwrap();
                let limits: BTreeSet<String> = ["second", "minute", "hour", "day", "month"]
                    .iter()
                    .filter_map(|w| p["config"][*w].as_u64().map(|v| format!("{v}/{w}")))
                    .collect();
                products.insert(product.to_string(), limits);
            }
            if !products.is_empty() {
                expected.insert(id.to_string(), products);
            }
        }
    }
    assert!(!expected.is_empty());
    // Kong caps a rate window by a stricter quota (it refuses a smaller window with a higher
    // limit); Envoy counts each rule alone. Both allow the same number of calls in every window,
    // so compare the binding limit of each window.
    let binding = |limits: &BTreeSet<String>| -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for l in limits {
            let (n, w) = l.split_once('/').unwrap();
            let n: u64 = n.parse().unwrap();
            m.entry(w.to_string())
                .and_modify(|v: &mut u64| *v = (*v).min(n))
                .or_insert(n);
        }
        let order = ["second", "minute", "hour", "day", "month"];
        let mut cap = u64::MAX;
        let mut out = BTreeMap::new();
        for w in order.iter().rev() {
            if let Some(v) = m.get(*w) {
                cap = cap.min(*v);
                out.insert(w.to_string(), cap);
            }
        }
        out
    };
    let norm = |a: &Access| -> BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>> {
        a.iter()
            .map(|(c, ps)| (c.clone(), ps.iter().map(|(p, l)| (p.clone(), binding(l))).collect()))
            .collect()
    };
    assert_eq!(norm(&envoy), norm(&expected), "envoy-gateway against kong");
    assert_eq!(norm(&kic), norm(&expected), "kong-ingress against kong");
}
