//! Helpers shared by the integration tests: a copy of the bundled example in a temp dir,
//! and edits to it.
#![allow(dead_code)]

pub mod browser;
pub mod git;
pub mod issue_form;
pub mod nginx;

use std::fs;
use std::path::{Path, PathBuf};

/// The date the bundled example is valid on.
pub const AS_OF: &str = "2026-11-01";

pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind")
}

/// A fresh copy of `examples/northwind` in a temp dir.
pub fn copy_example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&example_dir(), dir.path());
    dir
}

/// A fresh copy of `examples/northwind` with folders of `tests/fixtures/` laid over it.
pub fn copy_example_with(overlays: &[&str]) -> tempfile::TempDir {
    let dir = copy_example();
    for o in overlays {
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(o),
            dir.path(),
        );
    }
    dir
}

/// Copies a folder recursively, leaving out rendered `dist/` folders.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "dist" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Replaces the one occurrence of `from` in a file of the program.
pub fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(
        text.matches(from).count(),
        1,
        "{file} should contain {from:?} exactly once"
    );
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

pub fn write(dir: &Path, file: &str, content: impl AsRef<[u8]>) {
    let path = dir.join(file);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

pub fn as_of() -> partnerctl::spec::Date {
    partnerctl::spec::Date::parse(AS_OF).unwrap()
}

/// A name of exactly 63 characters (the longest the schema allows) that starts with `head`
/// and differs from every other such name from its first characters on.
pub fn long_name(head: &str) -> String {
    let mut n = format!("{head}-");
    while n.len() < 62 {
        n.push_str("abcdefghij");
    }
    n.truncate(62);
    n.push('z');
    n
}

/// The bundled example with, besides its own products and partners, a production product
/// whose names are as long as the schema allows (product, plans, HTTPRoute and its
/// namespace) and `subscribers` partners with 63-character names and credential ids
/// subscribed to it, every tenth with two production credentials; and products `rates-pro`
/// (plan `annual`) next to `rates` (plan `pro-annual`) in sandbox, whose names joined with
/// `-` or `_` are the same. An NGINX output is added for production, and the API
/// Management service is renamed `nw`.
pub fn big_program(subscribers: usize) -> tempfile::TempDir {
    big_program_with(subscribers, 10)
}

/// [`big_program`], every `several`-th subscriber with two production credentials.
pub fn big_program_with(subscribers: usize, several: usize) -> tempfile::TempDir {
    let dir = copy_example();
    let root = dir.path();
    edit(
        root,
        "program.yaml",
        "    - {target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf}\n",
        "    - {target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf}\n    - {target: nginx, environment: production, path: dist/gateway/nginx-production.conf}\n",
    );
    // API Management's operation names hold 80 characters, the service's and the API's
    // names included: a 63-character product leaves room for a service of three.
    edit(root, "program.yaml", "service: northwind-apim-prod", "service: nw");
    let product = long_name("p");
    let plans = [long_name("plan-a"), long_name("plan-b")];
    let namespace = long_name("ns");
    let route: String = format!("{}z", "r".repeat(252));
    write(
        root,
        &format!("products/{product}.yaml"),
        format!(
            "apiVersion: partnerctl/v1\nkind: Product\nmetadata:\n  name: {product}\n  owner: shipments-team\n\
             spec:\n  displayName: Long Names API\n  description: A product whose names are as long as the schema allows.\n  lifecycle: ga\n\
             \x20 environments:\n    production: {{upstream: \"https://long.internal\", route: {{name: {route}, namespace: {namespace}}}}}\n\
             \x20 endpoints:\n    - {{method: GET, path: \"/v1/long/{{id}}\", summary: Read one}}\n    - {{method: POST, path: /v1/long, summary: Create one}}\n\
             \x20 plans:\n    - name: {}\n      rateLimit: {{requests: 20, per: second}}\n      quota: {{requests: 100000, per: day}}\n      environments: [production]\n\
             \x20   - name: {}\n      rateLimit: {{requests: 600, per: minute}}\n      quota: {{requests: 2000000, per: month}}\n      environments: [production]\n  requiredTerms: [partner-tos]\n",
            plans[0], plans[1]
        ),
    );
    // `rates` + `pro-annual` and `rates-pro` + `annual`.
    edit(
        root,
        "products/rates.yaml",
        "    - name: preview\n",
        "    - name: pro-annual\n      rateLimit: {requests: 7, per: second}\n      environments: [sandbox]\n    - name: preview\n",
    );
    write(
        root,
        "products/rates-pro.yaml",
        "apiVersion: partnerctl/v1\nkind: Product\nmetadata:\n  name: rates-pro\n  owner: rates-team\n\
         spec:\n  displayName: Rates Pro API\n  description: Rates for large accounts.\n  lifecycle: beta\n\
         \x20 environments:\n    sandbox: {upstream: \"https://sandbox.rates-pro.internal\"}\n\
         \x20 endpoints:\n    - {method: GET, path: /v1/rates-pro/quotes, summary: Quotes}\n\
         \x20 plans:\n    - name: annual\n      rateLimit: {requests: 3, per: second}\n      environments: [sandbox]\n  requiredTerms: [partner-tos]\n",
    );
    edit(
        root,
        "partners/emea/lumen-parcel.yaml",
        "  subscriptions:\n",
        "  subscriptions:\n    - {product: rates-pro, plan: annual, environment: sandbox}\n",
    );
    edit(
        root,
        "partners/gulfstream-carriers.yaml",
        "    - {product: rates, plan: preview, environment: sandbox}\n",
        "    - {product: rates, plan: pro-annual, environment: sandbox}\n",
    );
    for i in 0..subscribers {
        let name = long_name(&format!("x{i:04}"));
        let plan = &plans[i % 2];
        let mut credentials = String::new();
        for k in 1..=(if i % several == 0 { 2 } else { 1 }) {
            let id = long_name(&format!("c{i:04}{k}"));
            credentials.push_str(&format!(
                "    - {{id: {id}, environment: production, created: 2026-07-06, secretRef: \"vault://partners/{name}/{k}#api-key\"}}\n"
            ));
        }
        write(
            root,
            &format!("partners/long/{name}.yaml"),
            format!(
                "apiVersion: partnerctl/v1\nkind: Partner\nmetadata:\n  name: {name}\n  owner: partnerships\n\
                 spec:\n  displayName: Partner {i}\n  legalName: Partner {i} Ltd\n  listed: false\n\
                 \x20 contacts:\n    - {{name: Pat Doe, email: pat{i}@partner.example, role: technical}}\n\
                 \x20 stage: live\n  history:\n    - {{stage: registered, date: 2026-04-06}}\n    - {{stage: terms_accepted, date: 2026-04-08}}\n\
                 \x20   - {{stage: sandbox, date: 2026-04-13}}\n    - {{stage: production_requested, date: 2026-06-15}}\n    - {{stage: live, date: 2026-07-06}}\n\
                 \x20 agreements:\n    - {{terms: partner-tos, version: \"2.0\", acceptedOn: 2026-04-08, signedBy: Pat Doe}}\n\
                 \x20 subscriptions:\n    - {{product: {product}, plan: {plan}, environment: production}}\n\
                 \x20 credentials:\n{credentials}"
            ),
        );
    }
    dir
}
