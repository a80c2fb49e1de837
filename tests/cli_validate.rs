//! `partnerctl validate`, `explain` and `schema` as a user runs them: the real binary, its
//! output and its exit code.

mod common;

use assert_cmd::Command;
use common::{AS_OF, copy_example, edit};
use predicates::prelude::*;

fn partnerctl() -> Command {
    let mut cmd = Command::cargo_bin("partnerctl").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

/// The example with three mistakes: a typo'd product, production access before `live`, and
/// an outdated terms acceptance that is only a warning yet.
fn broken_example() -> tempfile::TempDir {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/fjord-cargo.yaml",
        "{product: shipments,",
        "{product: shipmnts,",
    );
    edit(
        dir.path(),
        "partners/lone-star-dispatch.yaml",
        "    - {product: shipments, plan: starter, environment: sandbox}\n",
        "    - {product: shipments, plan: starter, environment: sandbox}\n    - {product: tracking, plan: standard, environment: production}\n",
    );
    dir
}

#[test]
fn the_example_validates_with_exit_0() {
    partnerctl()
        .args(["validate", "-C", "examples/northwind", "--as-of", AS_OF])
        .assert()
        .success()
        .stdout("no problems in 32 files\n");
}

#[test]
fn text_output_reads_like_a_compiler() {
    let dir = broken_example();
    let out = partnerctl()
        .args(["validate", "--as-of", AS_OF])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    insta::assert_snapshot!("validate_text", String::from_utf8(out).unwrap());
}

#[test]
fn json_output_has_exactly_the_spec_keys() {
    let dir = broken_example();
    let out = partnerctl()
        .args(["validate", "--format", "json", "--as-of", AS_OF, "-C"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    // SPEC §3's keys, and `base`: the checks made against a base, or why none was read.
    assert_eq!(keys, ["base", "diagnostics", "errors", "ok", "warnings"]);
    assert_eq!(v["base"]["checked"], serde_json::json!([]));
    assert_eq!(v["ok"], false);
    assert_eq!(v["errors"], 2);
    assert_eq!(v["warnings"], 0);
    for d in v["diagnostics"].as_array().unwrap() {
        let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["code", "column", "file", "line", "message", "severity"]);
    }
    insta::assert_json_snapshot!("validate_json", v);
}

#[test]
fn github_output_is_workflow_annotations_relative_to_the_checkout() {
    let dir = broken_example();
    let parent = dir.path().parent().unwrap();
    let name = dir.path().file_name().unwrap().to_str().unwrap();
    let out = partnerctl()
        .args(["validate", "--format", "github", "--as-of", AS_OF, "-C", name])
        .current_dir(parent)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "::error file={name}/partners/emea/fjord-cargo.yaml,line=25,col=17,title=unknown-reference::"
        )),
        "{first}"
    );
    assert_eq!(text.lines().filter(|l| l.starts_with("::error ")).count(), 2);
    // Not a git repository: the checks against the applied state could not run, and say so.
    let notice = text.lines().last().unwrap();
    assert!(
        notice.starts_with("::notice title=partnerctl::terms-immutable was not checked"),
        "{notice}"
    );
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn markdown_and_sarif_formats() {
    let dir = broken_example();
    let md = partnerctl()
        .args(["validate", "--format", "markdown", "--as-of", AS_OF, "-C"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(md).unwrap();
    assert!(
        md.contains("| ❌ | `stage-gate` | `partners/lone-star-dispatch.yaml:24:7` |"),
        "{md}"
    );
    let sarif = partnerctl()
        .args(["validate", "--format", "sarif", "--as-of", AS_OF, "-C"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        25
    );
}

#[test]
fn warnings_alone_exit_0() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "created: 2026-01-12, expires: 2027-01-12,",
        "created: 2026-01-12, expires: 2026-10-12,",
    );
    partnerctl()
        .args(["validate", "--as-of", AS_OF, "-C"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("warning[credential-expired]")
                .and(predicate::str::contains("0 errors, 1 warning in 32 files")),
        );
}

#[test]
fn a_missing_repository_exits_2_naming_it() {
    partnerctl()
        .args(["validate", "-C", "/no/such/program"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/no/such/program: no such directory"));
}

#[test]
fn a_wrong_flag_or_date_exits_2() {
    partnerctl().args(["validate", "--frmat", "json"]).assert().code(2);
    partnerctl()
        .args(["validate", "--as-of", "2026-13-01"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("YYYY-MM-DD"));
    partnerctl().args(["validate", "--format", "yaml"]).assert().code(2);
}

#[test]
fn a_repository_without_program_yaml_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    partnerctl()
        .args(["validate", "-C"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "error[misplaced-resource]: program.yaml is missing",
        ));
}

#[test]
fn a_secret_is_never_echoed_in_any_format() {
    let dir = copy_example();
    let secret = "9fK2mQ7xLp4Zr8Tw1Nv6Yb3Hc5Jd0Gs";
    edit(
        dir.path(),
        "partners/emea/sahara-express.yaml",
        "country: ma}",
        &format!("country: ma, api-key: \"{secret}\"}}"),
    );
    for format in ["text", "json", "github", "markdown", "sarif"] {
        let out = partnerctl()
            .args(["validate", "--as-of", AS_OF, "--format", format, "-C"])
            .arg(dir.path())
            .assert()
            .code(1)
            .get_output()
            .clone();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("secret-in-repo"), "{format}: {all}");
        assert!(!all.contains(secret), "{format} repeats the secret: {all}");
    }
}

#[test]
fn explain_prints_why_and_an_example() {
    partnerctl()
        .args(["explain", "stage-gate"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Why it matters").and(predicate::str::contains("environment: production")));
    partnerctl()
        .args(["explain", "stage-gat"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `stage-gate`?"));
    let all = partnerctl()
        .args(["explain", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let all: serde_json::Value = serde_json::from_slice(&all).unwrap();
    assert_eq!(all.as_array().unwrap().len(), partnerctl::diag::Code::ALL.len());
}

#[test]
fn schema_prints_the_committed_schema() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/partner.schema.json")).unwrap();
    partnerctl()
        .args(["schema", "partner"])
        .assert()
        .success()
        .stdout(committed);
    partnerctl().args(["schema", "partnr"]).assert().code(2);
}
