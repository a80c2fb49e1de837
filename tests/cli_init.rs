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

/// `init` scaffolds the self-service path (SPEC §15): the portal's contact and intake, an
/// `issue-forms` output, base URLs, and terms that are not in effect yet, so that no
/// placeholder text is ever what a partner accepted; the program validates clean and renders.
#[test]
fn init_scaffolds_the_onboarding_path_without_publishing_placeholder_terms() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("p");
    let cmd = |args: &[&str]| {
        Command::cargo_bin("partnerctl")
            .unwrap()
            .env("NO_COLOR", "1")
            .env("PARTNERCTL_AS_OF", "2026-11-01")
            .args(args)
            .arg(&target)
            .output()
            .unwrap()
    };
    assert!(cmd(&["init"]).status.success());
    let program: serde_json::Value =
        yaml_serde::from_str(&std::fs::read_to_string(target.join("program.yaml")).unwrap()).unwrap();
    let spec = &program["spec"];
    assert!(spec["portal"]["contact"]["email"].is_string(), "{spec}");
    assert!(spec["portal"]["intake"]["github"].is_string(), "{spec}");
    assert!(
        spec["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["target"] == "issue-forms" && o["path"] == ".github/ISSUE_TEMPLATE")
    );
    let product: serde_json::Value =
        yaml_serde::from_str(&std::fs::read_to_string(target.join("products/example-api.yaml")).unwrap()).unwrap();
    for env in ["sandbox", "production"] {
        let base = product["spec"]["environments"][env]["baseUrl"].as_str().unwrap();
        assert!(base.starts_with("https://"), "{base}");
    }
    let terms: serde_json::Value =
        yaml_serde::from_str(&std::fs::read_to_string(target.join("terms/partner-tos.yaml")).unwrap()).unwrap();
    let effective = terms["spec"]["versions"][0]["effective"].as_str().unwrap();
    assert!(
        effective > "2026-11-01",
        "the placeholder takes effect later: {effective}"
    );

    let o = cmd(&["validate", "-C"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && out.starts_with("no problems in 5 files"), "{out}");
    // `due` names the day the placeholder would take effect, before it does.
    let o = cmd(&["due", "--within", "120", "--format", "json", "-C"]);
    let due: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        due["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "effective"),
        "{due}"
    );
    let out_dir = dir.path().join("out");
    let o = Command::cargo_bin("partnerctl")
        .unwrap()
        .env("PARTNERCTL_AS_OF", "2026-11-01")
        .args(["render", "--out-dir"])
        .arg(&out_dir)
        .arg("-C")
        .arg(&target)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for action in ["register", "accept-terms", "request-sandbox", "request-production"] {
        assert!(
            out_dir
                .join(format!(".github/ISSUE_TEMPLATE/partnerctl-{action}.yml"))
                .is_file(),
            "{action}"
        );
    }
    let onboarding = std::fs::read_to_string(out_dir.join("dist/docs/onboarding.html")).unwrap();
    assert!(onboarding.contains("issues/new?template=partnerctl-request-sandbox.yml"));
    assert!(
        onboarding.contains("not yet published"),
        "no hash of a text not in effect"
    );
    assert!(
        onboarding.contains("No one needs to approve sandbox access: it is granted as soon as these checks pass."),
        "sandbox access needs no team in a new program"
    );
}
