//! `partnerctl init` starts a program that validates cleanly and never overwrites one.

use assert_cmd::Command;
use predicates::prelude::*;

#[test]
fn init_writes_a_program_that_validates_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("acme-partners");
    Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["init", "--as-of", "2026-11-01"])
        .arg(&target)
        .assert()
        .success()
        .stdout(predicate::str::contains("program.yaml"));
    let program = std::fs::read_to_string(target.join("program.yaml")).unwrap();
    assert!(program.contains("name: acme-partners"), "{program}");
    Command::cargo_bin("partnerctl")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(["validate", "--as-of", "2026-11-01", "-C"])
        .arg(&target)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("no problems in 5 files"));
    Command::cargo_bin("partnerctl")
        .unwrap()
        .arg("init")
        .arg(&target)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("never overwrites"));
}

/// Every gateway output of the new program is for an environment its products offer, and
/// gives a gateway that serves them (a Kong file with the product's service), not an empty
/// one.
#[test]
fn init_renders_gateways_for_the_environments_its_products_offer() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("acme-partners");
    Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["init", "--as-of", "2026-11-01"])
        .arg(&target)
        .assert()
        .success();
    let today = partnerctl::spec::Date::parse("2026-11-01").unwrap();
    let v = partnerctl::validate_dir(&target, today).unwrap();
    assert!(!v.has_errors(), "{:#?}", v.diagnostics);
    let outputs = &v.program.spec().unwrap().outputs;
    let gateways: Vec<_> = outputs.iter().filter(|o| o.environment.is_some()).collect();
    assert!(!gateways.is_empty());
    let files = partnerctl::render::render_all(&v.program, today).unwrap();
    for o in gateways {
        let env = o.environment.unwrap();
        let offered = v
            .program
            .products
            .values()
            .any(|p| p.spec.environments.get(env).is_some());
        assert!(offered, "output {} is for {env}, which no product offers", o.path);
        let file = files.iter().find(|f| f.path == o.path).unwrap();
        let deck: serde_json::Value = yaml_serde::from_str(std::str::from_utf8(&file.bytes).unwrap()).unwrap();
        assert!(
            deck["services"].as_array().is_some_and(|s| !s.is_empty()),
            "{}: no service",
            o.path
        );
    }
}
