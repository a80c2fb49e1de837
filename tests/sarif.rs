//! `validate --format sarif` as GitHub code scanning reads it: valid against the SARIF 2.1.0
//! schema (tests/external/sarif, OASIS), every rule with its explanation and a link to its
//! section of docs/checks.md, and fingerprints that follow a finding, not its line.

mod common;

use assert_cmd::Command;
use common::{AS_OF, copy_example, edit, write};
use serde_json::Value;
use std::path::Path;

fn sarif(dir: &Path) -> Value {
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["validate", "--format", "sarif", "--as-of", AS_OF, "-C"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The example with mistakes of several kinds: a YAML syntax error, a schema error, a
/// reference, a stage gate and a history that skips a stage.
fn broken() -> tempfile::TempDir {
    let dir = copy_example();
    write(
        dir.path(),
        "partners/broken.yaml",
        "apiVersion: partnerctl/v1\nkind: Partner\nmetadata:\n   name: broken\n  owner: partnerships\n",
    );
    edit(dir.path(), "products/tracking.yaml", "lifecycle: ga", "lifecycle: gaa");
    edit(
        dir.path(),
        "partners/emea/fjord-cargo.yaml",
        "    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    - {product: trackin, plan: starter, environment: sandbox}\n    - {product: tracking, plan: standard, environment: production}\n",
    );
    edit(
        dir.path(),
        "partners/apac/monsoon-freight.yaml",
        "    - {stage: terms_accepted, date: 2026-09-15}\n",
        "",
    );
    dir
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

#[allow(clippy::print_stderr)]
fn python_jsonschema() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import jsonschema"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with jsonschema is needed in CI"
        );
        eprintln!("skipped: python3 with jsonschema (pip install jsonschema)");
    }
    ok
}

#[test]
fn the_log_is_valid_sarif_2_1_0() {
    let dir = broken();
    let log = sarif(dir.path());
    assert!(results(&log).len() >= 5, "{log:#}");
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/external/sarif/sarif-schema-2.1.0.json");
    // In process, with the schema as OASIS publishes it (draft-04).
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And with Python's jsonschema, the reference validator.
    if python_jsonschema() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), serde_json::to_vec(&log).unwrap()).unwrap();
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import json, sys, jsonschema\n\
                 schema = json.load(open(sys.argv[1]))\n\
                 log = json.load(open(sys.argv[2]))\n\
                 cls = jsonschema.validators.validator_for(schema)\n\
                 errors = sorted(cls(schema).iter_errors(log), key=lambda e: list(e.path))\n\
                 [print(list(e.path), e.message) for e in errors]\n\
                 sys.exit(1 if errors else 0)",
            ])
            .arg(&schema_path)
            .arg(file.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn every_rule_explains_itself_and_links_to_its_section_of_the_docs() {
    let log = sarif(broken().path());
    let driver = &log["runs"][0]["tool"]["driver"];
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), partnerctl::diag::Code::ALL.len());
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md")).unwrap();
    for r in rules {
        let id = r["id"].as_str().unwrap();
        let code = partnerctl::diag::Code::from_name(id).unwrap();
        assert_eq!(r["shortDescription"]["text"], code.summary());
        assert_eq!(r["fullDescription"]["text"], partnerctl::explain::explain(code).why);
        let uri = r["helpUri"].as_str().unwrap();
        assert_eq!(
            uri,
            format!(
                "https://github.com/partnerctl/partnerctl/blob/v{}/docs/checks.md#{id}",
                env!("CARGO_PKG_VERSION")
            )
        );
        // The anchor exists: GitHub makes `#stage-gate` of the heading `## stage-gate`.
        assert!(
            page.contains(&format!("\n## {id}\n")),
            "docs/checks.md has no section for {id}"
        );
        let md = r["help"]["markdown"].as_str().unwrap();
        assert!(page.contains(md), "the rule's help is the docs' section for {id}");
        let text = r["help"]["text"].as_str().unwrap();
        assert!(
            text.contains("Why it matters: ") && text.contains("What to do: "),
            "{text}"
        );
    }
    // Results point at their rule.
    for res in results(&log) {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
    }
}

/// Fingerprint by rule and file.
fn fingerprints(log: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = results(log)
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["partialFingerprints"]["partnerctl/v1"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn fingerprints_follow_the_finding_not_its_line_or_the_day() {
    let dir = broken();
    let before = sarif(dir.path());
    let fp = fingerprints(&before);
    let distinct: std::collections::BTreeSet<&String> = fp.iter().map(|f| &f.2).collect();
    assert_eq!(distinct.len(), fp.len(), "one fingerprint per finding: {fp:#?}");
    for (_, _, f) in &fp {
        assert_eq!(f.len(), 32, "{f}");
    }
    // Lines added above every finding (a comment, a label, a contact) move them all down.
    for file in [
        "products/tracking.yaml",
        "partners/emea/fjord-cargo.yaml",
        "partners/apac/monsoon-freight.yaml",
        "partners/broken.yaml",
    ] {
        let path = dir.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("# reviewed in LEG-12\n# owner: partnerships\n{text}")).unwrap();
    }
    edit(
        dir.path(),
        "partners/emea/fjord-cargo.yaml",
        "  subscriptions:\n",
        "  subscriptions:\n    - {product: shipments, plan: starter, environment: sandbox}\n",
    );
    let after = sarif(dir.path());
    let lines = |log: &Value| -> Vec<u64> {
        results(log)
            .iter()
            .map(|r| {
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    assert_ne!(lines(&before), lines(&after), "the findings moved");
    assert_eq!(fingerprints(&after), fp);

    // A finding about something else is a new one.
    edit(
        dir.path(),
        "products/tracking.yaml",
        "lifecycle: gaa",
        "lifecycle: gaaa",
    );
    let changed = fingerprints(&sarif(dir.path()));
    let schema = |f: &Vec<(String, String, String)>| f.iter().find(|x| x.0 == "schema").cloned();
    assert_ne!(schema(&changed), schema(&fp));
}

#[test]
fn a_flagged_secret_stays_out_of_its_fingerprint() {
    // Two different tokens at the same place: the same finding, the same fingerprint; a
    // fingerprint that hashed the value would let anyone holding the log test guesses.
    let fingerprint = |token: &str, in_list: bool| {
        let dir = copy_example();
        let (from, to) = if in_list {
            // Inside a list item: the item's content must not reach the path either.
            (
                "    - {name: Jane Roe, email: jane.roe@acme-logistics.example, role: technical}\n".to_string(),
                format!(
                    "    - {{name: Jane Roe, email: jane.roe@acme-logistics.example, role: technical, note: \"{token}\"}}\n"
                ),
            )
        } else {
            (
                "  labels: {region: emea, country: de, tier: strategic}\n".to_string(),
                format!("  labels: {{region: emea, country: de, tier: strategic, deploy-key: \"{token}\"}}\n"),
            )
        };
        edit(dir.path(), "partners/emea/acme-logistics.yaml", &from, &to);
        let log = sarif(dir.path());
        let text = log.to_string();
        assert!(!text.contains(token), "the token is in the log");
        let secret: Vec<&Value> = results(&log)
            .iter()
            .filter(|r| r["ruleId"] == "secret-in-repo")
            .collect();
        assert_eq!(secret.len(), 1, "{log:#}");
        secret[0]["partialFingerprints"]["partnerctl/v1"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for in_list in [false, true] {
        assert_eq!(
            fingerprint("ghp_Q8vT2mLx9RkW4pZs7NcY1bHd5JfA3eGu6Vqo", in_list),
            fingerprint("ghp_Zk3Wq9Tn5Lm2Xv8Rc4Yb7Hd1Jf6Ga0Eu3Spi", in_list)
        );
    }
}
