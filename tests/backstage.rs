//! The `backstage` target of the bundled example (docs/backstage.md): every entity passes
//! Backstage's own validation (the catalog-model JSON schemas vendored in
//! tests/external/backstage, and @backstage/catalog-model's validators run in node), each
//! API's consumers are exactly its live subscribers, nothing private or secret is written,
//! and an offboarded partner leaves the catalog.

mod common;

use common::{AS_OF, copy_example, edit, example_dir};
use partnerctl::access::Gateway;
use partnerctl::output::RenderedFile;
use partnerctl::render::render_all;
use partnerctl::spec::{Date, Environment};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const FOLDER: &str = "dist/backstage";

fn render(dir: &Path) -> (partnerctl::model::Program, Vec<RenderedFile>) {
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(dir, today).expect("readable");
    assert!(!v.has_errors(), "{:#?}", v.diagnostics);
    let files = render_all(&v.program, today).expect("renders");
    (v.program, files)
}

fn catalog(files: &[RenderedFile]) -> Vec<&RenderedFile> {
    files
        .iter()
        .filter(|f| f.path.starts_with(&format!("{FOLDER}/")))
        .collect()
}

/// Every entity of the catalog, with the file it is in.
fn entities(files: &[RenderedFile]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for f in catalog(files) {
        let text = std::str::from_utf8(&f.bytes).unwrap();
        for doc in text.split("\n---\n") {
            let v: Value = yaml_serde::from_str(doc).unwrap_or_else(|e| panic!("{}: {e}", f.path));
            out.push((f.path.clone(), v));
        }
    }
    out
}

/// A tool, or why the test cannot run: in CI (`CI` set) missing is a failure, elsewhere the
/// test is skipped with a note.
#[allow(clippy::print_stderr)]
fn tool(ok: bool, why: &str) -> bool {
    if ok {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("skipped: {why}");
    false
}

fn write_out(files: &[&RenderedFile]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for f in files {
        let p = dir.path().join(&f.path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, &f.bytes).unwrap();
        paths.push(p);
    }
    (dir, paths)
}

#[test]
fn every_entity_validates_against_the_catalog_model_schemas() {
    let (_, files) = render(&example_dir());
    let found = catalog(&files);
    let kinds: BTreeSet<String> = entities(&files)
        .iter()
        .map(|(_, e)| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        ["API", "Component", "Group", "Location", "System"]
            .map(String::from)
            .into(),
        "every kind the target writes"
    );
    let python = Command::new("python3")
        .args(["-c", "import yaml, jsonschema, referencing"])
        .status()
        .is_ok_and(|s| s.success());
    if !tool(
        python,
        "python3 with PyYAML and jsonschema 4.18+ is needed (pip install pyyaml jsonschema)",
    ) {
        return;
    }
    let (_dir, paths) = write_out(&found);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("tests/tools/backstage_validate.py"))
        .arg(root.join("tests/external/backstage"))
        .args(&paths)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.contains(", 0 error(s)"), "{report}");
}

#[test]
fn every_entity_passes_the_catalog_models_own_validators() {
    let (_, files) = render(&example_dir());
    let modules = std::env::var_os("PARTNERCTL_NODE_MODULES")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/partnerctl-ci/node_modules")));
    let ready = modules
        .as_ref()
        .is_some_and(|m| m.join("@backstage/catalog-model/package.json").exists())
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !tool(
        ready,
        "node with @backstage/catalog-model is needed (.ci/run installs it under ~/.cache/partnerctl-ci)",
    ) {
        return;
    }
    let all: Vec<Value> = entities(&files).into_iter().map(|(_, e)| e).collect();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("entities.json");
    fs::write(&json, serde_json::to_vec(&all).unwrap()).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("node")
        .arg(root.join("tests/tools/backstage_catalog_model.cjs"))
        .arg(modules.unwrap())
        .arg(&json)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        report.contains(&format!("{} entities checked, 0 problem(s)", all.len())),
        "{report}"
    );
}

/// The example with the rates product retired while partners still hold subscriptions to
/// it (the built-in rule against that switched off, as during a retirement's notice
/// period): subscribed, but not live.
fn with_a_retired_product() -> tempfile::TempDir {
    let dir = copy_example();
    edit(
        dir.path(),
        "products/rates.yaml",
        "  lifecycle: beta\n",
        "  lifecycle: retired\n",
    );
    edit(
        dir.path(),
        "program.yaml",
        "  activeWithinDays: 30\n",
        "  activeWithinDays: 30\n  policies:\n    retired-product-unsubscribed: {enabled: false}\n",
    );
    dir
}

/// Every reference of the catalog resolves to an entity in it, and each API's consumers (the
/// owners of the Components that consume it) are exactly the partners the access view
/// lets call the product on the day, in some environment.
#[test]
fn each_apis_consumers_are_exactly_its_live_subscribers() {
    let dir = with_a_retired_product();
    let (program, files) = render(dir.path());
    let all = entities(&files);
    let refs: BTreeSet<String> = all
        .iter()
        .map(|(_, e)| {
            format!(
                "{}:{}",
                e["kind"].as_str().unwrap().to_lowercase(),
                e["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    let mut consumers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, e) in &all {
        let spec = &e["spec"];
        for (field, kind) in [("owner", "group"), ("system", "system")] {
            if let Some(r) = spec[field].as_str() {
                let full = if r.contains(':') {
                    r.to_string()
                } else {
                    format!("{kind}:{r}")
                };
                assert!(refs.contains(&full), "{file}: {field} {r} resolves to nothing");
            }
        }
        if e["kind"] == "Component" {
            assert_eq!(spec["type"], "partner-integration");
            let owner = spec["owner"].as_str().unwrap().strip_prefix("group:").unwrap();
            for api in spec["consumesApis"].as_array().unwrap() {
                let api = api.as_str().unwrap();
                assert!(
                    refs.contains(api),
                    "{file}: consumes {api}, which is not in the catalog"
                );
                consumers
                    .entry(api.strip_prefix("api:").unwrap().to_string())
                    .or_default()
                    .insert(owner.to_string());
            }
        }
    }
    let today = Date::parse(AS_OF).unwrap();
    let mut live: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for env in Environment::ALL {
        let gw = Gateway::new(&program, env, today);
        for p in &gw.products {
            for (partner, _) in gw.subscribers(p.name) {
                live.entry(p.name.to_string())
                    .or_default()
                    .insert(partner.name.to_string());
            }
        }
    }
    assert!(live.values().map(BTreeSet::len).sum::<usize>() > 10, "{live:#?}");
    assert_eq!(consumers, live);
    // Subscribed is not live: partners keep their subscriptions to the retired product,
    // which is in no environment, so neither its API nor a consumer of it is in the catalog.
    let holders: Vec<&str> = program
        .partners
        .values()
        .filter(|p| p.spec.subscriptions.iter().any(|s| s.product.0 == "rates"))
        .map(|p| p.name.as_str())
        .collect();
    assert!(holders.len() >= 2, "{holders:?}");
    assert!(!consumers.contains_key("rates") && !refs.contains("api:rates"));
    for h in holders {
        assert!(refs.contains(&format!("group:{h}")));
    }
}

#[test]
fn nothing_private_or_secret_is_written() {
    let (program, files) = render(&example_dir());
    let text: String = catalog(&files)
        .iter()
        .map(|f| String::from_utf8(f.bytes.clone()).unwrap())
        .collect();
    for p in program.partners.values() {
        for c in &p.spec.contacts {
            assert!(!text.contains(&c.email), "contact {} written", c.email);
            assert!(!text.contains(&c.name), "contact {} written", c.name);
        }
        for c in &p.spec.credentials {
            assert!(!text.contains(&c.secret_ref), "secretRef of {} written", c.id);
            assert!(!text.contains(&format!("{}\n", c.id.0)), "credential {} named", c.id);
        }
        if let Some(legal) = &p.spec.legal_name {
            assert!(!text.contains(legal.as_str()), "legal name {legal} written");
        }
    }
    assert!(!text.contains("vault://"));
    assert!(!text.contains(".internal"), "an upstream is written");
    for (_, e) in entities(&files) {
        if e["kind"] == "Group" && e["spec"]["type"] == "partner" {
            let keys: BTreeSet<&str> = e["spec"].as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, BTreeSet::from(["type", "profile", "children"]));
            let profile: BTreeSet<&str> = e["spec"]["profile"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(profile, BTreeSet::from(["displayName"]));
        }
    }
}

#[test]
fn annotations_link_back_to_the_file_the_stage_the_plan_and_the_terms() {
    let (_, files) = render(&example_dir());
    let acme: Vec<Value> = entities(&files)
        .into_iter()
        .filter(|(f, _)| f.ends_with("/partners/acme-logistics.yaml"))
        .map(|(_, e)| e)
        .collect();
    assert_eq!(acme.len(), 3, "a Group and a Component per environment: {acme:#?}");
    let group = &acme[0]["metadata"]["annotations"];
    assert_eq!(group["partnerctl.dev/source"], "partners/emea/acme-logistics.yaml");
    assert_eq!(group["partnerctl.dev/stage"], "live");
    assert_eq!(
        group["partnerctl.dev/accepted-terms"],
        "data-sharing 1.0, partner-tos 2.0"
    );
    assert_eq!(
        group["backstage.io/view-url"],
        "https://github.com/northwind/partners/blob/main/partners/emea/acme-logistics.yaml"
    );
    let production = acme
        .iter()
        .find(|e| e["metadata"]["annotations"]["partnerctl.dev/environment"] == "production")
        .unwrap();
    assert_eq!(production["metadata"]["name"], "acme-logistics-production");
    assert_eq!(
        production["metadata"]["annotations"]["partnerctl.dev/plans"],
        "shipments: standard, tracking: standard"
    );
    assert_eq!(
        production["spec"]["consumesApis"],
        serde_json::json!(["api:shipments", "api:tracking"])
    );
}

#[test]
fn an_offboarded_partner_leaves_the_catalog() {
    let dir = copy_example();
    let (_, before) = render(dir.path());
    assert!(
        before
            .iter()
            .any(|f| f.path == "dist/backstage/partners/acme-logistics.yaml")
    );
    // Offboarding revokes every credential and removes every subscription (SPEC §15.5).
    let file = "partners/emea/acme-logistics.yaml";
    let text = fs::read_to_string(dir.path().join(file)).unwrap();
    let (head, _) = text.split_once("  subscriptions:").unwrap();
    let head = head.replace("  stage: live\n", "  stage: offboarded\n").replace(
        "    - {stage: live, date: 2025-03-17}\n",
        "    - {stage: live, date: 2025-03-17}\n    - {stage: offboarded, date: 2026-10-30}\n",
    );
    fs::write(dir.path().join(file), head).unwrap();
    let (_, after) = render(dir.path());
    let catalog: Vec<&RenderedFile> = catalog(&after);
    assert!(!catalog.iter().any(|f| f.path.contains("acme-logistics")));
    let location = catalog.iter().find(|f| f.path.ends_with("/catalog-info.yaml")).unwrap();
    assert!(!String::from_utf8_lossy(&location.bytes).contains("acme"));
    // It is gone from the API's consumers too.
    assert!(
        !entities(&after)
            .iter()
            .any(|(_, e)| e["spec"]["owner"] == "group:acme-logistics")
    );
}

#[test]
fn an_environment_keeps_that_environments_integrations_only() {
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "{target: backstage, path: dist/backstage,",
        "{target: backstage, environment: production, path: dist/backstage,",
    );
    let (_, files) = render(dir.path());
    let components: Vec<Value> = entities(&files)
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e["kind"] == "Component")
        .collect();
    assert!(components.len() >= 5);
    assert!(
        components
            .iter()
            .all(|c| c["metadata"]["annotations"]["partnerctl.dev/environment"] == "production")
    );
}

#[test]
fn a_team_and_a_partner_of_one_name_are_refused() {
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "    rates-team: {github: \"@northwind/rates\"}\n",
        "    rates-team: {github: \"@northwind/rates\"}\n    maple-route: {github: \"@northwind/maple\"}\n",
    );
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(dir.path(), today).expect("readable");
    let found: Vec<&String> = v
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "output-invalid" && d.file == "program.yaml")
        .map(|d| &d.message)
        .collect();
    assert!(
        found
            .iter()
            .any(|m| m.contains("team `maple-route` and partner `maple-route`")),
        "{:#?}",
        v.diagnostics
    );
}
