//! `partnerctl request --github-event FILE` (SPEC §15.2, §15.3): issues opened from the forms
//! the example renders, filled as GitHub fills them and wrapped in GitHub's `issues` event
//! payload, move a partner along the whole path; an issue that is not from one form is
//! refused and nothing is written.

mod common;

use assert_cmd::Command;
use common::issue_form::{self, Answer, check, choose, text};
use common::{AS_OF, copy_example};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn run_event(dir: &Path, payload: &Value) -> (i32, Value) {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("event.json");
    std::fs::write(&file, serde_json::to_vec_pretty(payload).unwrap()).unwrap();
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["request", "--github-event"])
        .arg(&file)
        .args(["--format", "json", "-C"])
        .arg(dir)
        .args(["--as-of", AS_OF])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), v)
}

fn validate_ok(dir: &Path) {
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .arg("validate")
        .arg("-C")
        .arg(dir)
        .args(["--as-of", AS_OF])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

fn partner(dir: &Path, name: &str) -> Value {
    let file = format!("partners/{name}.yaml");
    partnerctl::source::yaml::parse(&file, &std::fs::read(dir.join(&file)).unwrap())
        .unwrap()
        .value
}

fn answers(pairs: Vec<(&'static str, Answer)>) -> BTreeMap<&'static str, Answer> {
    pairs.into_iter().collect()
}

#[test]
fn issues_from_each_form_move_a_partner_along_the_path() {
    let dir = copy_example();
    let forms = issue_form::forms(dir.path(), AS_OF);
    assert_eq!(
        forms.keys().collect::<Vec<_>>(),
        ["accept-terms", "register", "request-production", "request-sandbox"]
    );

    let body = issue_form::body(
        &forms["register"],
        &answers(vec![
            ("partner", text("acme-freight")),
            ("display-name", text("ACME Freight")),
            ("legal-name", text("ACME Freight GmbH")),
            ("contact-name", text("Jane Roe")),
            ("contact-email", text("jane@acme-freight.example")),
            ("contact-title", text("Chief Technology Officer")),
            ("contact-role", choose(&["Business"])),
            ("technical-name", text("Tom Tech")),
            ("technical-email", text("tom@acme-freight.example")),
            ("terms", check(&["partner-tos version 2.0"])),
        ]),
    );
    assert!(body.contains("### Website\n\n_No response_"), "{body}");
    let (code, out) = run_event(
        dir.path(),
        &issue_form::payload(&body, &["partnerctl:register"], "janeroe", 41),
    );
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["files"][0]["path"], "partners/acme-freight.yaml");
    validate_ok(dir.path());
    let p = partner(dir.path(), "acme-freight");
    assert_eq!(p["spec"]["stage"], "terms_accepted");
    assert_eq!(
        p["spec"]["contacts"],
        serde_json::json!([
            {"name": "Jane Roe", "email": "jane@acme-freight.example", "role": "business"},
            {"name": "Tom Tech", "email": "tom@acme-freight.example", "role": "technical"}
        ])
    );
    let a = &p["spec"]["agreements"][0];
    assert_eq!(a["method"], "issue-form");
    assert_eq!(a["evidence"], "https://github.com/northwind/partners/issues/41");
    assert_eq!(
        a["textSha256"],
        "8533bfa6af42db65a006e340456efc11199c115e42afc80913749c54ce615734"
    );
    assert_eq!(a["signedBy"]["title"], "Chief Technology Officer");
    assert!(out["body"].as_str().unwrap().contains("GitHub `janeroe`"), "{out:#}");

    let body = issue_form::body(
        &forms["accept-terms"],
        &answers(vec![
            ("partner", text("acme-freight")),
            ("contact-name", text("Jane Roe")),
            ("contact-email", text("jane@acme-freight.example")),
            ("terms", check(&["data-sharing version 1.0"])),
        ]),
    );
    let (code, out) = run_event(
        dir.path(),
        &issue_form::payload(&body, &["partnerctl:accept-terms"], "janeroe", 42),
    );
    assert_eq!(code, 0, "{out:#}");
    validate_ok(dir.path());
    assert_eq!(
        partner(dir.path(), "acme-freight")["spec"]["agreements"][1]["terms"],
        "data-sharing"
    );

    let body = issue_form::body(
        &forms["request-sandbox"],
        &answers(vec![
            ("partner", text("acme-freight")),
            ("contact-name", text("Tom Tech")),
            ("contact-email", text("tom@acme-freight.example")),
            (
                "plans",
                choose(&["(shipments) — plan starter", "(tracking) — plan standard"]),
            ),
        ]),
    );
    assert!(
        body.contains("plan starter: 10 requests/second; quota 10000 requests/day, "),
        "{body}"
    );
    let (code, out) = run_event(
        dir.path(),
        &issue_form::payload(&body, &["partnerctl:request-sandbox"], "tomtech", 43),
    );
    assert_eq!(code, 0, "{out:#}");
    validate_ok(dir.path());
    let p = partner(dir.path(), "acme-freight");
    assert_eq!(p["spec"]["stage"], "sandbox");
    assert_eq!(
        p["spec"]["subscriptions"],
        serde_json::json!([
            {"product": "shipments", "plan": "starter", "environment": "sandbox"},
            {"product": "tracking", "plan": "standard", "environment": "sandbox"}
        ])
    );

    let body = issue_form::body(
        &forms["request-production"],
        &answers(vec![
            ("partner", text("acme-freight")),
            ("contact-name", text("Jane Roe")),
            ("contact-email", text("jane@acme-freight.example")),
            ("plans", choose(&["(tracking) — plan enterprise"])),
        ]),
    );
    let (code, out) = run_event(
        dir.path(),
        &issue_form::payload(&body, &["partnerctl:request-production", "triage"], "janeroe", 44),
    );
    assert_eq!(code, 0, "{out:#}");
    validate_ok(dir.path());
    let p = partner(dir.path(), "acme-freight");
    assert_eq!(p["spec"]["stage"], "production_requested");
    assert_eq!(p["spec"]["history"].as_array().unwrap().len(), 4);
    assert_eq!(
        p["spec"]["subscriptions"][2],
        serde_json::json!({"product": "tracking", "plan": "enterprise", "environment": "production"})
    );
}

/// A refused event: exit 1, nothing written, the fields named.
#[track_caller]
fn refused(dir: &Path, payload: &Value, fields: &[&str]) -> Value {
    let before = std::fs::read_dir(dir.join("partners")).unwrap().count();
    let (code, out) = run_event(dir, payload);
    assert_eq!(code, 1, "{out:#}");
    assert_eq!(out["files"], serde_json::json!([]));
    assert_eq!(std::fs::read_dir(dir.join("partners")).unwrap().count(), before);
    let got: Vec<&str> = out["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap_or("null"))
        .collect();
    assert_eq!(got, fields, "{out:#}");
    out
}

#[test]
fn an_issue_not_from_exactly_one_form_is_refused() {
    let dir = copy_example();
    let forms = issue_form::forms(dir.path(), AS_OF);
    let body = issue_form::body(
        &forms["request-sandbox"],
        &answers(vec![
            ("partner", text("prairie-parcel")),
            ("contact-name", text("P P")),
            ("contact-email", text("p@prairie.example")),
            ("plans", choose(&["(tracking) — plan starter"])),
        ]),
    );
    // The same issue applies with its label…
    let sandbox = |labels: &[&str]| issue_form::payload(&body, labels, "pp", 7);
    // …but not without one, with two, or with one that names no form.
    let out = refused(dir.path(), &sandbox(&["bug"]), &["spec.action"]);
    assert!(
        out["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no `partnerctl:<action>` label")
    );
    refused(
        dir.path(),
        &sandbox(&["partnerctl:request-sandbox", "partnerctl:request-production"]),
        &["spec.action"],
    );
    refused(dir.path(), &sandbox(&["partnerctl:promote"]), &["spec.action"]);
    let (code, out) = run_event(dir.path(), &sandbox(&["partnerctl:request-sandbox"]));
    assert_eq!(code, 0, "{out:#}");

    // A required field left empty, and a choice the form does not offer.
    let body = issue_form::body(
        &forms["request-production"],
        &answers(vec![
            ("partner", text("lone-star-dispatch")),
            ("contact-email", text("c@lsd.example")),
        ]),
    );
    let out = refused(
        dir.path(),
        &issue_form::payload(&body, &["partnerctl:request-production"], "x", 8),
        &["spec.requestedBy.name", "spec.subscriptions"],
    );
    assert!(
        out["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("“Your name” has no response"),
        "{out:#}"
    );
    let body = body.replace(
        "### Products and plans\n\n_No response_",
        "### Products and plans\n\nShipments API (shipments) — plan platinum: 1 requests/second",
    );
    refused(
        dir.path(),
        &issue_form::payload(&body, &["partnerctl:request-production"], "x", 9),
        &["spec.requestedBy.name", "spec.subscriptions"],
    );
}
