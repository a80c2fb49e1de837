//! `import kong`: the Kong files `render` writes for the example come back as products and
//! partners with the same access, and `validate` then asks only for what a gateway cannot know.

mod common;

use common::copy_dir;

use assert_cmd::Command;
use partnerctl::spec::{Date, Environment};
use std::collections::BTreeSet;
use std::path::Path;

const AS_OF: &str = "2026-11-01";

fn pctl(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("partnerctl").unwrap();
    c.arg("-C").arg(dir).args(["--as-of", AS_OF]);
    c
}

/// A program with the example's program.yaml, terms and templates, and nothing else.
fn empty_program(root: &Path) -> std::path::PathBuf {
    let b = root.join("imported");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::copy("examples/northwind/program.yaml", b.join("program.yaml")).unwrap();
    copy_dir(Path::new("examples/northwind/terms"), &b.join("terms"));
    copy_dir(Path::new("examples/northwind/templates"), &b.join("templates"));
    b
}

#[test]
fn render_then_import_gives_back_the_access() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("original");
    copy_dir(Path::new("examples/northwind"), &a);
    let r = pctl(&a).arg("render").output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let b = empty_program(tmp.path());
    let out = pctl(&b)
        .args(["import", "kong"])
        .arg(a.join("dist/gateway/kong-sandbox.yaml"))
        .arg(a.join("dist/gateway/kong-production.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Still to do"), "{stdout}");

    let today = Date::parse(AS_OF).unwrap();
    let original = partnerctl::validate_dir(&a, today).unwrap().program;
    let imported = partnerctl::validate_dir(&b, today).unwrap();

    // Only what a person must fill in: the agreements, the history, and where each key
    // really lives (the secretRef placeholders, reported by a built-in policy).
    let codes: BTreeSet<&str> = imported.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        BTreeSet::from(["terms-missing", "history-invalid", "policy"]),
        "{:#?}",
        imported.diagnostics
    );
    let placeholders: Vec<_> = imported
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "policy")
        .collect();
    assert!(
        placeholders
            .iter()
            .all(|d| d.message.contains("placeholder secretRef vault://TODO/")),
        "{placeholders:#?}"
    );
    let imported_keys: usize = imported
        .program
        .partners
        .values()
        .map(|p| p.spec.credentials.len())
        .sum();
    assert_eq!(
        placeholders.len(),
        imported_keys,
        "one placeholder finding per imported key"
    );
    let p = &imported.program;
    assert_eq!(
        p.products.keys().collect::<Vec<_>>(),
        original.products.keys().collect::<Vec<_>>()
    );

    let with_access: BTreeSet<&String> = original
        .partners
        .values()
        .filter(|x| {
            Environment::ALL
                .iter()
                .any(|e| x.stage().allows(*e) && x.has_access(*e, today))
        })
        .map(|x| &x.name)
        .collect();
    assert_eq!(p.partners.keys().collect::<BTreeSet<_>>(), with_access);
    for (name, got) in &p.partners {
        let want = &original.partners[name];
        assert_eq!(
            got.metadata.labels.get("imported-from").map(String::as_str),
            Some("kong")
        );
        let subs = |x: &partnerctl::model::Partner| -> BTreeSet<(String, String, Environment)> {
            x.spec
                .subscriptions
                .iter()
                .filter(|s| want.stage().allows(s.environment))
                .map(|s| (s.product.0.clone(), s.plan.0.clone(), s.environment))
                .collect()
        };
        assert_eq!(subs(got), subs(want), "subscriptions of {name}");
        let creds = |x: &partnerctl::model::Partner, live_only: bool| -> BTreeSet<(String, Environment)> {
            x.spec
                .credentials
                .iter()
                .filter(|c| !live_only || (c.is_live(today) && want.stage().allows(c.environment)))
                .map(|c| (c.id.0.clone(), c.environment))
                .collect()
        };
        assert_eq!(creds(got, false), creds(want, true), "credentials of {name}");
    }
    // Plans keep their limits.
    let standard = p.plan("shipments", "standard").unwrap();
    assert_eq!(
        standard.rate_limit,
        original.plan("shipments", "standard").unwrap().rate_limit
    );
}

#[test]
fn a_key_value_is_never_written() {
    let tmp = tempfile::tempdir().unwrap();
    let b = empty_program(tmp.path());
    let deck = tmp.path().join("dump.yaml");
    std::fs::write(
        &deck,
        r#"_format_version: "3.0"
services:
  - name: legacy-api
    url: https://legacy.internal
    routes: [{name: r, paths: [/v1/legacy], methods: [GET]}]
    plugins: [{name: acl, config: {allow: [legacy]}}, {name: rate-limiting, config: {minute: 60}}]
consumers:
  - username: Old Partner Ltd
    custom_id: old-partner
    acls: [{group: legacy}]
    keyauth_credentials: [{key: s3cr3t-literal-key-value-1234567890}]
"#,
    )
    .unwrap();
    let out = pctl(&b)
        .args(["import", "kong", "--environment", "production"])
        .arg(&deck)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cr3t"));
    let partner = std::fs::read_to_string(b.join("partners/old-partner.yaml")).unwrap();
    assert!(!partner.contains("s3cr3t"), "{partner}");
    assert!(
        partner.contains("secretRef: \"vault://TODO/old-partner/old-partner-prd-1\""),
        "{partner}"
    );
    assert!(
        partner.contains("{product: legacy-api, plan: 60-per-minute, environment: production}"),
        "{partner}"
    );
    let product = std::fs::read_to_string(b.join("products/legacy-api.yaml")).unwrap();
    assert!(product.contains("rateLimit: {requests: 60, per: minute}"), "{product}");
    // It passes the schema: validate's errors are only the missing terms and history (a
    // built-in policy may still warn that a production plan has no quota).
    let v = partnerctl::validate_dir(&b, Date::parse(AS_OF).unwrap()).unwrap();
    let codes: BTreeSet<&str> = v
        .diagnostics
        .iter()
        .filter(|d| d.severity == partnerctl::diag::Severity::Error)
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(
        codes,
        BTreeSet::from(["terms-missing", "history-invalid"]),
        "{:#?}",
        v.diagnostics
    );
}

#[test]
fn dry_run_writes_nothing_and_existing_files_need_force() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("original");
    copy_dir(Path::new("examples/northwind"), &a);
    assert!(pctl(&a).arg("render").output().unwrap().status.success());
    let kong = a.join("dist/gateway/kong-production.yaml");

    // Importing into the original program: every file exists.
    let before = std::fs::read_to_string(a.join("partners/emea/acme-logistics.yaml")).unwrap();
    let out = pctl(&a).args(["import", "kong"]).arg(&kong).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("skipped"));
    assert_eq!(
        std::fs::read_to_string(a.join("partners/emea/acme-logistics.yaml")).unwrap(),
        before
    );

    let b = empty_program(tmp.path());
    let out = pctl(&b)
        .args(["import", "kong", "--dry-run"])
        .arg(&kong)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("kind: Partner"));
    assert!(!b.join("partners").exists(), "--dry-run writes nothing");

    let out = pctl(&a)
        .args(["import", "kong", "--force"])
        .arg(&kong)
        .output()
        .unwrap();
    assert!(out.status.success());
    let after = std::fs::read_to_string(a.join("partners/emea/acme-logistics.yaml")).unwrap();
    assert!(
        after.contains("imported-from: kong"),
        "--force overwrites the existing file in place"
    );
}
