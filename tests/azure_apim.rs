//! The `azure-apim` target of the bundled example (docs/azure.md): the template and its
//! parameters file against Microsoft's published ARM schemas (deploymentTemplate 2019-04-01
//! and Microsoft.ApiManagement 2024-05-01, vendored in tests/external/azure), every policy
//! well-formed XML carrying its plan's limits within API Management's bounds, keys only as
//! Key Vault references, subscription names the same in every environment, and
//! `audit --gateway` of a template: clean on what was rendered, each finding on what was
//! changed.

mod common;

use common::{AS_OF, copy_example, edit, example_dir};
use partnerctl::output::RenderedFile;
use partnerctl::render::render_all;
use partnerctl::spec::Date;
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Command;

const TEMPLATE: &str = "dist/azure/apim-production.json";
const PARAMETERS: &str = "dist/azure/apim-production.parameters.json";
const SANDBOX: &str = "dist/azure/apim-sandbox.json";
const KEY_VAULT: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/partners/providers/Microsoft.KeyVault/vaults/northwind-keys";

fn render(dir: &Path) -> (partnerctl::model::Program, Vec<RenderedFile>) {
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(dir, today).expect("readable");
    assert!(!v.has_errors(), "{:#?}", v.diagnostics);
    let files = render_all(&v.program, today).expect("renders");
    (v.program, files)
}

/// The example with a sandbox output beside the production one.
fn with_sandbox() -> tempfile::TempDir {
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "    - {target: azure-apim, environment: production,",
        &format!(
            "    - {{target: azure-apim, environment: sandbox, path: {SANDBOX}, service: northwind-apim-sbx, keyVault: {KEY_VAULT}}}\n    - {{target: azure-apim, environment: production,"
        ),
    );
    dir
}

fn json_at(files: &[RenderedFile], path: &str) -> Value {
    let f = files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path}"));
    serde_json::from_slice(&f.bytes).unwrap()
}

fn resources<'a>(template: &'a Value, kind: &str) -> Vec<&'a Value> {
    let ty = format!("Microsoft.ApiManagement/service/{kind}");
    template["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == ty)
        .collect()
}

/// `northwind-apim-prod/a/b` → `["a", "b"]`.
fn name_parts(r: &Value) -> Vec<String> {
    let n = r["name"].as_str().unwrap();
    let (service, rest) = n.split_once('/').unwrap();
    assert!(service.starts_with("northwind-apim"), "{n}");
    rest.split('/').map(str::to_string).collect()
}

#[allow(clippy::print_stderr)]
fn tool(ok: bool, why: &str) -> bool {
    if ok {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("skipped: {why}");
    false
}

#[test]
fn template_and_parameters_validate_against_the_arm_and_api_management_schemas() {
    let dir = with_sandbox();
    let (_, files) = render(dir.path());
    let python = Command::new("python3")
        .args(["-c", "import jsonschema, referencing"])
        .status()
        .is_ok_and(|s| s.success());
    if !tool(
        python,
        "python3 with jsonschema 4.18+ is needed (pip install jsonschema)",
    ) {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = tempfile::tempdir().unwrap();
    for template in [TEMPLATE, SANDBOX] {
        let params = template.replace(".json", ".parameters.json");
        let mut args = Vec::new();
        for p in [template, params.as_str()] {
            let f = files.iter().find(|f| f.path == p).unwrap_or_else(|| panic!("no {p}"));
            let path = out_dir.path().join(p.replace('/', "_"));
            fs::write(&path, &f.bytes).unwrap();
            args.push(path);
        }
        let out = Command::new("python3")
            .arg(root.join("tests/tools/arm_validate.py"))
            .arg(root.join("tests/external/azure/schemas"))
            .args(&args)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{template}: {report}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let checked: usize = report
            .lines()
            .last()
            .and_then(|l| l.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(checked > 20, "{template}: {report}");
    }
}

/// The limits a plan sets, as API Management must enforce them: a rate per second or minute
/// as `rate-limit-by-key` (its window at most 300 s), per hour or day and every quota as
/// `quota-by-key` over that window (at least 300 s; a month is 30 days).
fn expected(plan: &partnerctl::spec::PlanSpec) -> BTreeSet<(String, u64, u64)> {
    use partnerctl::spec::{QuotaUnit, RateUnit};
    let rate = match plan.rate_limit.per {
        RateUnit::Second => 1,
        RateUnit::Minute => 60,
        RateUnit::Hour => 3600,
        RateUnit::Day => 86_400,
    };
    let mut windows = BTreeMap::from([(rate, plan.rate_limit.requests)]);
    if let Some(q) = plan.quota {
        let s = if q.per == QuotaUnit::Day { 86_400 } else { 2_592_000 };
        let v = windows.get(&s).map_or(q.requests, |r: &u64| (*r).min(q.requests));
        windows.insert(s, v);
    }
    windows
        .into_iter()
        .map(|(s, calls)| {
            let element = if s <= 300 { "rate-limit-by-key" } else { "quota-by-key" };
            (element.to_string(), calls, s)
        })
        .collect()
}

/// Reads a policy document to its end (any XML error fails), returning its root and its
/// limit elements with their `counter-key`s.
fn read_policy(xml: &str) -> (String, BTreeSet<(String, u64, u64)>, Vec<String>) {
    let mut r = Reader::from_str(xml);
    r.config_mut().check_end_names = true;
    let (mut root, mut limits, mut keys) = (String::new(), BTreeSet::new(), Vec::new());
    let mut depth = 0;
    loop {
        match r.read_event().unwrap_or_else(|e| panic!("{e}: {xml}")) {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if depth == 0 && root.is_empty() => {
                root = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                depth += usize::from(xml.contains(&format!("</{root}>")));
            }
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                if name.ends_with("-by-key") {
                    let mut attrs = BTreeMap::new();
                    for a in e.attributes() {
                        let a = a.unwrap();
                        attrs.insert(
                            String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                            a.unescape_value().unwrap().into_owned(),
                        );
                    }
                    limits.insert((
                        name,
                        attrs["calls"].parse().unwrap(),
                        attrs["renewal-period"].parse().unwrap(),
                    ));
                    keys.push(attrs["counter-key"].clone());
                }
            }
            _ => {}
        }
    }
    (root, limits, keys)
}

#[test]
fn every_policy_is_well_formed_xml_with_its_plans_limits() {
    let dir = with_sandbox();
    let (program, files) = render(dir.path());
    let mut seen = 0;
    for path in [TEMPLATE, SANDBOX] {
        let t = json_at(&files, path);
        let policies = resources(&t, "products/policies");
        assert_eq!(policies.len(), resources(&t, "products").len(), "a policy per product");
        for p in policies {
            assert_eq!(p["properties"]["format"], "xml");
            let parts = name_parts(p);
            assert_eq!(parts[1], "policy");
            let (product, plan) = parts[0].split_once('.').unwrap();
            let plan = program.plan(product, plan).unwrap();
            let (root, limits, keys) = read_policy(p["properties"]["value"].as_str().unwrap());
            assert_eq!(root, "policies");
            assert_eq!(limits, expected(plan), "{}", parts[0]);
            for (element, _, seconds) in &limits {
                match element.as_str() {
                    "rate-limit-by-key" => assert!(*seconds <= 300),
                    _ => assert!(*seconds >= 300),
                }
            }
            let distinct: BTreeSet<&String> = keys.iter().collect();
            assert_eq!(distinct.len(), keys.len(), "each window counts under its own key");
            assert!(keys.iter().all(|k| k.starts_with("@(context.Subscription.Id")));
            seen += 1;
        }
    }
    assert!(seen >= 8, "{seen}");
}

#[test]
fn keys_are_only_key_vault_references() {
    let (program, files) = render(&example_dir());
    let t = json_at(&files, TEMPLATE);
    let params = json_at(&files, PARAMETERS);
    let declared = t["parameters"].as_object().unwrap();
    let values = params["parameters"].as_object().unwrap();
    let name = regex::Regex::new(r"^[0-9A-Za-z-]{1,127}$").unwrap();
    let mut references = 0;
    for (k, v) in values.iter().filter(|(k, _)| k.starts_with("key_")) {
        assert_eq!(declared[k]["type"], "securestring", "{k}");
        assert!(declared[k].get("defaultValue").is_none(), "{k}");
        let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["reference"]), "{k}: a value");
        assert_eq!(v["reference"]["keyVault"]["id"], KEY_VAULT);
        assert!(name.is_match(v["reference"]["secretName"].as_str().unwrap()), "{v}");
        references += 1;
    }
    assert!(references > 5, "{references}");
    for s in resources(&t, "subscriptions") {
        for slot in ["primaryKey", "secondaryKey"] {
            let k = s["properties"][slot].as_str().unwrap();
            let param = k.strip_prefix("[parameters('").and_then(|k| k.strip_suffix("')]"));
            match param {
                Some(p) => assert!(values.contains_key(p), "{p} has no Key Vault reference"),
                None => assert!(k.starts_with("[guid(parameters('unusedKeySeed')"), "{k}"),
            }
        }
    }
    let text: String = [TEMPLATE, PARAMETERS]
        .iter()
        .map(|p| String::from_utf8(files.iter().find(|f| f.path == *p).unwrap().bytes.clone()).unwrap())
        .collect();
    assert!(!text.contains("vault://"), "a secretRef is written");
    for p in program.partners.values() {
        for c in &p.spec.contacts {
            assert!(!text.contains(&c.email));
        }
    }
}

/// The APIOps issue: a subscription has the same name in every environment, so that one
/// artifact folder serves both.
#[test]
fn a_partners_subscription_has_the_same_name_in_sandbox_and_production() {
    let dir = with_sandbox();
    let (_, files) = render(dir.path());
    let names = |path: &str| -> BTreeMap<String, String> {
        resources(&json_at(&files, path), "subscriptions")
            .into_iter()
            .map(|s| {
                (
                    name_parts(s)[0].clone(),
                    s["properties"]["scope"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let (sandbox, production) = (names(SANDBOX), names(TEMPLATE));
    let both: Vec<&String> = production.keys().filter(|n| sandbox.contains_key(*n)).collect();
    assert!(both.len() >= 3, "{sandbox:?} {production:?}");
    assert!(both.contains(&&"acme-logistics.shipments".to_string()));
    // The plan is the scope, not the name.
    assert_eq!(sandbox["acme-logistics.shipments"], "/products/shipments.standard");
}

fn audit(dir: &Path, gateway: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let mut cmd = assert_cmd::Command::cargo_bin("partnerctl").unwrap();
    let out = cmd
        .args(["audit", "--format", "json", "--as-of", AS_OF, "-C"])
        .arg(dir)
        .arg("--gateway")
        .arg(gateway)
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), json)
}

fn codes(report: &Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["partner"]
                    .as_str()
                    .or(f["consumer"].as_str())
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn audit_of_the_rendered_template_is_clean_and_finds_every_change() {
    let dir = copy_example();
    let (_, files) = render(dir.path());
    let mut t = json_at(&files, TEMPLATE);
    let path = dir.path().join("apim.json");
    fs::write(&path, serde_json::to_vec_pretty(&t).unwrap()).unwrap();
    let (code, report) = audit(dir.path(), &path, &[]);
    assert_eq!(report["findings"], json!([]), "{report:#}");
    assert_eq!(
        (code, &report["environment"], &report["environmentFrom"]),
        (Some(0), &json!("production"), &json!("metadata"))
    );

    let subs: Vec<usize> = t["resources"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, r)| r["type"] == "Microsoft.ApiManagement/service/subscriptions")
        .map(|(i, _)| i)
        .collect();
    let find = |t: &Value, name: &str| -> usize {
        *subs
            .iter()
            .find(|i| {
                t["resources"][**i]["name"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/{name}"))
            })
            .unwrap()
    };
    let acme = find(&t, "acme-logistics.shipments");
    let r = t["resources"].as_array_mut().unwrap();
    // The revoked key of acme-prd-1 back in a slot.
    r[acme]["properties"]["secondaryKey"] = json!("[parameters('key_acme-prd-1_shipments')]");
    // A subscription of nobody, one of an offboarded partner, one to every API.
    let mut ghost = r[acme].clone();
    ghost["name"] = json!("northwind-apim-prod/ghost-freight.shipments");
    let mut andes = r[acme].clone();
    andes["name"] = json!("northwind-apim-prod/andes-cargo-link.shipments");
    andes["properties"]["primaryKey"] = json!("[guid('x')]");
    andes["properties"]["secondaryKey"] = json!("[guid('y')]");
    let mut all = r[acme].clone();
    all["name"] = json!("northwind-apim-prod/maple-route.everything");
    all["properties"]["scope"] = json!("/apis");
    all["properties"]["primaryKey"] = json!("[guid('z')]");
    all["properties"]["secondaryKey"] = json!("[guid('w')]");
    r.extend([ghost, andes, all]);
    // Kiwi's subscriptions removed: it can call nothing the program gives it.
    r.retain(|x| !x["name"].as_str().unwrap().contains("/kiwi-couriers."));
    // A plan's policy loosened.
    let policy = r
        .iter_mut()
        .find(|x| x["name"] == "northwind-apim-prod/tracking.enterprise/policy")
        .unwrap();
    let value = policy["properties"]["value"]
        .as_str()
        .unwrap()
        .replace("calls=\"500\"", "calls=\"5000\"");
    policy["properties"]["value"] = json!(value);
    fs::write(&path, serde_json::to_vec_pretty(&t).unwrap()).unwrap();
    let (code, report) = audit(dir.path(), &path, &[]);
    assert_eq!(code, Some(1), "{report:#}");
    let found = codes(&report);
    for want in [
        ("revoked-still-present", "acme-logistics"),
        ("unknown-consumer", "subscription ghost-freight.shipments"),
        ("exited-partner-present", "andes-cargo-link"),
        ("access-beyond-program", "maple-route"),
        ("missing-from-gateway", "kiwi-couriers"),
        ("limits-differ", "lumen-parcel"),
    ] {
        assert!(
            found.contains(&(want.0.to_string(), want.1.to_string())),
            "no {want:?} in {found:#?}"
        );
    }
    // Each finding about the file names its line.
    for f in report["findings"].as_array().unwrap() {
        if f["code"] != "missing-from-gateway" {
            assert!(f["line"].as_u64().is_some_and(|l| l > 1), "{f}");
        }
    }
}

/// The `output-invalid` findings of a program, as (line, message).
fn output_invalid(dir: &Path) -> Vec<(usize, String)> {
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(dir, today).expect("readable");
    v.diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "output-invalid")
        .map(|d| {
            assert_eq!(d.file, "program.yaml");
            (d.line, d.message.clone())
        })
        .collect()
}

#[test]
fn validate_refuses_what_api_management_cannot_hold() {
    // No instance and no Key Vault.
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        &format!(
            "path: dist/azure/apim-production.json, service: northwind-apim-prod,\n       keyVault: {KEY_VAULT}}}"
        ),
        "path: dist/azure/apim-production.json}",
    );
    let found = output_invalid(dir.path());
    let line = fs::read_to_string(dir.path().join("program.yaml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("target: azure-apim"))
        .unwrap()
        + 1;
    assert!(found.iter().all(|(l, _)| *l == line), "{found:?}");
    assert!(found.iter().any(|(_, m)| m.contains("needs `service`")), "{found:?}");
    assert!(found.iter().any(|(_, m)| m.contains("needs `keyVault`")), "{found:?}");

    // A third live credential: a subscription holds two keys.
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/apac/kiwi-couriers.yaml",
        "  credentials:\n",
        "  credentials:\n    - {id: kiwi-prd-9, environment: production, created: 2026-10-01, secretRef: \"vault://partners/kiwi-couriers/kiwi-prd-9\"}\n",
    );
    let found = output_invalid(dir.path());
    assert!(
        found
            .iter()
            .any(|(_, m)| m.contains("partner `kiwi-couriers` has 3 live credentials in production")),
        "{found:?}"
    );
}

/// An export of the service (what the portal's *Export template* or `az group export`
/// writes): names by `concat`, a policy nested in its product, `rawxml`, a scope by
/// `resourceId`, no keys. The corpus of the `azure_apim` fuzz target keeps it.
#[test]
fn audit_reads_an_export_of_the_service() {
    let dir = copy_example();
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/azure_apim/export-northwind.json");
    let (code, report) = audit(dir.path(), &export, &["--environment", "production"]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["environmentFrom"], "--environment");
    let found = codes(&report);
    assert!(
        found.contains(&("unknown-consumer".into(), "subscription legacy-freight".into())),
        "{found:#?}"
    );
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "access-beyond-program"
                && f["resource"] == "product open-tracking"
                && f["message"].as_str().unwrap().contains("anyone can call tracking")),
        "{report:#}"
    );
    // acme-logistics' subscription to shipments is read through its concat name, resourceId
    // scope and nested rawxml policy, which holds its plan's limits: nothing to say about it.
    // Its tracking subscription is not in the export.
    let acme: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["partner"] == "acme-logistics")
        .collect();
    assert_eq!(acme.len(), 1, "{acme:#?}");
    assert_eq!(acme[0]["code"], "missing-from-gateway");
    assert!(
        acme[0]["message"].as_str().unwrap().contains("subscribed to tracking"),
        "{acme:#?}"
    );
    // Partners the program gives production access without an active subscription.
    assert!(
        found.contains(&("missing-from-gateway".into(), "kiwi-couriers".into())),
        "{found:#?}"
    );
    // A suspended subscription grants nothing, so an offboarded partner's is no finding.
    assert!(!found.iter().any(|(_, who)| who == "andes-cargo-link"), "{found:#?}");
    // An export carries no keys: no credential is said to be missing.
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.get("credential").is_none())
    );
    assert!(!report.to_string().contains("a-key-written-as-a-value"));
}

/// The template and its parameters are written item by item as they are made; the bytes
/// are those of the whole value pretty-printed, and no parameter is written twice (a
/// repeated key would be lost in the value read back, and the bytes would differ).
#[test]
fn the_streamed_template_reads_back_as_the_same_json() {
    let dir = with_sandbox();
    let (_, files) = render(dir.path());
    for path in [TEMPLATE, PARAMETERS, SANDBOX, "dist/azure/apim-sandbox.parameters.json"] {
        let f = files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no {path}"));
        let again = serde_json::to_string_pretty(&json_at(&files, path)).unwrap() + "\n";
        assert!(
            again.as_bytes() == f.bytes.as_slice(),
            "{path} is not what its value gives"
        );
    }
    let params = json_at(&files, PARAMETERS);
    assert!(params["parameters"].as_object().is_some_and(|p| !p.is_empty()));
}
