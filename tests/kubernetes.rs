//! The Kubernetes targets of the bundled example (SPEC §12): every manifest against the
//! projects' own CRD schemas (JSON Schemas generated from the CRDs,
//! `../shared/external/k8s/`, copied in tests/external/k8s/), every kustomization built by
//! `kubectl kustomize`, no key value in any of them, and the access model read back from
//! the rendered files of Kong, NGINX, Envoy Gateway, KIC and Azure API Management: the same
//! calls allowed and limited per credential and endpoint.

mod common;

use common::{AS_OF, example_dir};
use partnerctl::output::RenderedFile;
use partnerctl::render::render_all;
use partnerctl::spec::Date;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const ENVOY: &str = "dist/k8s/envoy-gateway-production";
const KIC: &str = "dist/k8s/kong-ingress-production";
const APIM: &str = "dist/azure/apim-production.json";

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
    let plan_re = regex::Regex::new(r#"^\s+if \(\$(\S+_plan) = ""\) \{$"#).unwrap();
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

#[test]
fn kong_nginx_envoy_gateway_kic_and_apim_allow_and_limit_the_same_calls_per_endpoint() {
    // The example renders NGINX for sandbox only: a copy adds a production NGINX output, so
    // that all four targets exist for one environment.
    let dir = common::copy_example();
    common::edit(
        dir.path(),
        "program.yaml",
        "    - {target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf}\n",
        "    - {target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf}\n    - {target: nginx, environment: production, path: dist/gateway/nginx-production.conf}\n",
    );
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(dir.path(), today).expect("readable");
    assert!(!v.has_errors(), "{:#?}", v.diagnostics);
    let files = render_all(&v.program, today).expect("renders");
    let text = |p: &str| {
        std::str::from_utf8(&files.iter().find(|f| f.path == p).unwrap().bytes)
            .unwrap()
            .to_string()
    };
    let kong = kong_calls(&yaml_serde::from_str(&text("dist/gateway/kong-production.yaml")).unwrap());
    let nginx = nginx_calls(&text("dist/gateway/nginx-production.conf"));
    let envoy = per_endpoint(&envoy_access(&files), &v.program);
    let kic = per_endpoint(&kic_access(&files), &v.program);
    let apim = apim_calls(&serde_json::from_str(&text(APIM)).unwrap());

    // Who may call what: the same (credential, method, path) in all four.
    let calls = |c: &Calls| c.keys().cloned().collect::<BTreeSet<_>>();
    assert!(kong.len() > 20, "{kong:#?}");
    assert_eq!(calls(&nginx), calls(&kong), "nginx against kong");
    assert_eq!(calls(&envoy), calls(&kong), "envoy-gateway against kong");
    assert_eq!(calls(&kic), calls(&kong), "kong-ingress against kong");
    assert_eq!(calls(&apim), calls(&kong), "azure-apim against kong");
    // And not everyone everything: some credential of the environment is refused somewhere.
    let credentials: BTreeSet<&String> = kong.keys().map(|(c, _, _)| c).collect();
    let endpoints: BTreeSet<(&String, &String)> = kong.keys().map(|(_, m, p)| (m, p)).collect();
    assert!(
        credentials.len() * endpoints.len() > kong.len(),
        "the comparison must tell access apart"
    );

    // With which limits. Kong, Envoy Gateway and KIC limit every window of the plan; compared
    // by the limit that binds in each window (Kong caps a window by a stricter longer one).
    assert_eq!(envoy, kong, "envoy-gateway limits against kong");
    assert_eq!(kic, kong, "kong-ingress limits against kong");
    assert_eq!(apim, kong, "azure-apim limits against kong");
    // NGINX keeps no counters beyond its rate (quotas are Kong's and Envoy's, docs/render.md):
    // its limit is the plan's rate window, the shortest window the others limit.
    for (call, limits) in &nginx {
        let kong_rate: BTreeMap<String, u64> = WINDOWS
            .iter()
            .find_map(|w| kong[call].get(*w).map(|v| BTreeMap::from([(w.to_string(), *v)])))
            .unwrap();
        assert_eq!(limits, &kong_rate, "nginx rate for {call:?}");
    }
}
