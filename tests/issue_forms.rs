//! The `issue-forms` target (SPEC §15.3) against GitHub's definition of an issue form:
//! SchemaStore's `github-issue-forms.json` (vendored in `tests/external/github/`, checked with
//! the `jsonschema` crate and, where installed, with check-jsonschema), and the rules GitHub
//! enforces beyond that schema (tests/external/README.md): unique ids, labels unique across
//! fields and checkbox options, no reserved `None` option, no forbidden word in a label, at
//! least one field that is not Markdown.

mod common;

use common::{AS_OF, copy_example, edit, issue_form};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/external/github/github-issue-forms.schema.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// GitHub's rules that its published schema does not carry.
fn github_rules(name: &str, form: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let body = form["body"].as_array().unwrap();
    if body.iter().all(|i| i["type"] == "markdown") {
        errors.push(format!("{name}: body must contain at least one non-markdown field"));
    }
    let mut ids = BTreeSet::new();
    let mut labels = BTreeSet::new();
    let booleans = ["y", "yes", "n", "no", "true", "false", "on", "off"];
    for (i, item) in body.iter().enumerate() {
        if item["type"] == "markdown" {
            continue;
        }
        let id = item["id"].as_str().unwrap_or_default();
        if !ids.insert(id.to_string()) {
            errors.push(format!("{name}: body[{i}]: ids must be unique ({id})"));
        }
        let label = item["attributes"]["label"].as_str().unwrap_or_default();
        let mut all = vec![label.to_string()];
        if item["type"] == "checkboxes" {
            for o in item["attributes"]["options"].as_array().unwrap() {
                all.push(o["label"].as_str().unwrap().to_string());
            }
        }
        for l in all {
            if l.to_lowercase().contains("password") {
                errors.push(format!("{name}: body[{i}]: label contains forbidden word: {l}"));
            }
            if !labels.insert(l.clone()) {
                errors.push(format!("{name}: body[{i}]: labels must be unique ({l})"));
            }
        }
        if item["type"] == "dropdown" {
            let options: Vec<&str> = item["attributes"]["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o.as_str().unwrap())
                .collect();
            let unique: BTreeSet<&str> = options.iter().copied().collect();
            if unique.len() != options.len() {
                errors.push(format!("{name}: body[{i}]: options must be unique"));
            }
            for o in options {
                if o.eq_ignore_ascii_case("none") {
                    errors.push(format!(
                        "{name}: body[{i}]: options must not include the reserved word, none"
                    ));
                }
                if booleans.contains(&o.to_lowercase().as_str()) {
                    errors.push(format!("{name}: body[{i}]: options must not include booleans ({o})"));
                }
            }
        }
    }
    errors
}

fn check_jsonschema(files: &[std::path::PathBuf]) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/external/github/github-issue-forms.schema.json");
    let tries: [(&str, &[&str]); 2] = [("check-jsonschema", &[]), ("python3", &["-m", "check_jsonschema"])];
    for (program, pre) in tries {
        let Ok(o) = Command::new(program)
            .args(pre)
            .arg("--schemafile")
            .arg(&schema)
            .args(files)
            .output()
        else {
            continue;
        };
        if String::from_utf8_lossy(&o.stderr).contains("No module named") {
            continue;
        }
        assert!(
            o.status.success(),
            "check-jsonschema: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        return;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "check-jsonschema is needed in CI (.ci/run installs it)"
    );
}

#[test]
fn the_example_forms_are_valid_issue_forms() {
    let dir = copy_example();
    let forms = issue_form::forms(dir.path(), AS_OF);
    assert_eq!(forms.len(), 4);
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (action, form) in &forms {
        let errors: Vec<String> = validator
            .iter_errors(form)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{action}: {errors:#?}");
        assert_eq!(github_rules(action, form), Vec::<String>::new());
        assert_eq!(form["labels"], serde_json::json!([format!("partnerctl:{action}")]));
        let f = scratch.path().join(format!("partnerctl-{action}.yml"));
        std::fs::write(&f, yaml_serde::to_string(form).unwrap()).unwrap();
        files.push(f);
    }
    check_jsonschema(&files);

    // The accept-terms form: one box per terms document, current version only, with title,
    // version, the SHA-256 of the text and a link to the portal's page.
    let boxes: Vec<&str> = forms["accept-terms"]["body"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "checkboxes")
        .flat_map(|i| i["attributes"]["options"].as_array().unwrap())
        .map(|o| o["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        boxes,
        [
            "I accept Northwind Data Sharing Agreement (data-sharing version 1.0, text SHA-256 bc83e6f77e79344a793c57e1aa2acb610428a2fec0a329a1bec30b46c7e73cba): <https://partners.northwind.example/terms/data-sharing/1.0.html>",
            "I accept Northwind Partner API Terms of Service (partner-tos version 2.0, text SHA-256 8533bfa6af42db65a006e340456efc11199c115e42afc80913749c54ce615734): <https://partners.northwind.example/terms/partner-tos/2.0.html>",
        ]
    );
    // The register form does the same for the program's requiredTerms alone.
    let register = serde_json::to_string(&forms["register"]).unwrap();
    assert!(register.contains("partner-tos version 2.0"));
    assert!(!register.contains("data-sharing version"));
    assert!(!register.contains("partner-tos version 1.0"), "no superseded version");
    // The access forms offer only the plans of their environment, of products that take
    // new subscribers.
    let sandbox = serde_json::to_string(&forms["request-sandbox"]).unwrap();
    let production = serde_json::to_string(&forms["request-production"]).unwrap();
    assert!(sandbox.contains("(shipments) — plan starter") && !production.contains("plan starter"));
    assert!(production.contains("(shipments) — plan enterprise") && !sandbox.contains("plan enterprise"));
    assert!(!production.contains("Rates API"), "rates runs in sandbox only");
}

#[test]
fn without_a_portal_the_terms_link_to_the_intake_repository() {
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "    url: \"https://partners.northwind.example\"\n",
        "",
    );
    let forms = issue_form::forms(dir.path(), AS_OF);
    let text = serde_json::to_string(&forms["accept-terms"]).unwrap();
    assert!(
        text.contains("<https://github.com/northwind/partners/blob/HEAD/terms/partner-tos/2.0.md>"),
        "{text}"
    );
}

#[test]
fn a_name_github_refuses_in_a_form_fails_validate_not_github() {
    let dir = copy_example();
    edit(
        dir.path(),
        "products/rates.yaml",
        "  displayName: Rates API\n",
        "  displayName: Rates and Password Reset API\n",
    );
    // validate finds it, at the output's line in program.yaml, so the pull request fails
    // rather than the form on GitHub.
    let v = partnerctl::validate_dir(dir.path(), common::as_of()).unwrap();
    let found: Vec<(&str, &str, usize)> = v
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.file.as_str(), d.line))
        .collect();
    let line = std::fs::read_to_string(dir.path().join("program.yaml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("target: issue-forms"))
        .unwrap()
        + 1;
    assert_eq!(
        found,
        [("output-invalid", "program.yaml", line)],
        "{:#?}",
        v.diagnostics
    );
    assert!(
        v.diagnostics[0].message.contains("`password`"),
        "{}",
        v.diagnostics[0].message
    );
}
