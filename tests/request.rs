//! `partnerctl request FILE` (SPEC §15.2) as a user runs it: each action moves a partner along
//! the path and leaves a program `validate` accepts; each refusal exits 1, names the request
//! field at fault, and leaves the tree unchanged.

mod common;

use assert_cmd::Command;
use common::{AS_OF, copy_example, edit};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The SHA-256 of the example's terms texts.
const TOS_2: &str = "8533bfa6af42db65a006e340456efc11199c115e42afc80913749c54ce615734";
const TOS_1: &str = "fe91f91e126005ed4ed2d2a3562012a2f259f6f3ea5f39dde0331c753fc04fd0";
const DATA_1: &str = "bc83e6f77e79344a793c57e1aa2acb610428a2fec0a329a1bec30b46c7e73cba";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn partnerctl(dir: &Path, args: &[&str]) -> Run {
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .args(args)
        .arg("-C")
        .arg(dir)
        .args(["--as-of", AS_OF])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Writes a request next to (not inside) the program and returns its path.
fn request_file(scratch: &Path, name: &str, yaml: &str) -> PathBuf {
    let p = scratch.join(name);
    std::fs::write(&p, yaml).unwrap();
    p
}

/// `request FILE --format json`, parsed.
fn request(dir: &Path, file: &Path) -> (i32, Value) {
    let r = partnerctl(dir, &["request", file.to_str().unwrap(), "--format", "json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (r.code, v)
}

/// Every file of the tree, by path, to show that a refusal writes nothing.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn validate_ok(dir: &Path) {
    let r = partnerctl(dir, &["validate"]);
    assert_eq!(r.code, 0, "validate: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("no problems"), "{}", r.stdout);
}

fn partner_doc(dir: &Path, file: &str) -> Value {
    partnerctl::source::yaml::parse(file, &std::fs::read(dir.join(file)).unwrap())
        .unwrap()
        .value
}

#[test]
fn each_action_moves_a_partner_along_the_path_and_validates() {
    let dir = copy_example();
    let scratch = tempfile::tempdir().unwrap();
    let register = request_file(
        scratch.path(),
        "register.yaml",
        &format!(
            r#"apiVersion: partnerctl/v1
kind: Request
spec:
  action: register
  partner: acme-freight
  register:
    displayName: ACME Freight
    legalName: ACME Freight GmbH
    website: "https://acme-freight.example"
    contacts: [{{name: Jane Roe, email: jane@acme-freight.example, role: technical}}]
  accept:
    - {{terms: partner-tos, version: "2.0", textSha256: {TOS_2}, method: click-through}}
  requestedBy: {{name: Jane Roe, email: jane@acme-freight.example, title: CTO}}
  evidence: "https://portal.northwind.example/requests/17"
"#
        ),
    );
    let (code, out) = request(dir.path(), &register);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["ok"], true);
    assert_eq!(out["action"], "register");
    assert_eq!(out["partner"], "acme-freight");
    assert_eq!(
        out["files"],
        serde_json::json!([{"path": "partners/acme-freight.yaml", "action": "create"}])
    );
    assert_eq!(out["labels"], serde_json::json!(["partnerctl:register"]));
    assert_eq!(out["title"], "Register ACME Freight (acme-freight)");
    let body = out["body"].as_str().unwrap();
    assert!(body.contains("**Jane Roe**"), "{body}");
    assert!(
        body.contains("`partnerships` (`@northwind/partnerships`): `partner-added`"),
        "{body}"
    );
    validate_ok(dir.path());
    let p = partner_doc(dir.path(), "partners/acme-freight.yaml");
    assert_eq!(p["metadata"]["owner"], "partnerships");
    assert_eq!(p["spec"]["stage"], "terms_accepted");
    assert_eq!(
        p["spec"]["history"],
        serde_json::json!([{"stage": "registered", "date": AS_OF}, {"stage": "terms_accepted", "date": AS_OF}])
    );
    let a = &p["spec"]["agreements"][0];
    assert_eq!(a["textSha256"], TOS_2);
    assert_eq!(a["method"], "click-through");
    assert_eq!(a["evidence"], "https://portal.northwind.example/requests/17");
    assert_eq!(
        a["signedBy"],
        serde_json::json!({"name": "Jane Roe", "email": "jane@acme-freight.example", "title": "CTO"})
    );

    let accept = request_file(
        scratch.path(),
        "accept.json",
        &format!(
            r#"{{"apiVersion": "partnerctl/v1", "kind": "Request", "spec": {{"action": "accept-terms", "partner": "acme-freight",
  "accept": [{{"terms": "data-sharing", "version": "1.0", "textSha256": "{DATA_1}", "method": "e-signature"}}],
  "requestedBy": {{"name": "Jane Roe", "email": "jane@acme-freight.example"}},
  "evidence": "https://sign.northwind.example/envelopes/9"}}}}"#
        ),
    );
    let (code, out) = request(dir.path(), &accept);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["title"], "ACME Freight (acme-freight) accepts data-sharing 1.0");
    validate_ok(dir.path());
    let p = partner_doc(dir.path(), "partners/acme-freight.yaml");
    assert_eq!(
        p["spec"]["stage"], "terms_accepted",
        "accepting more terms moves nothing"
    );
    assert_eq!(p["spec"]["agreements"][1]["terms"], "data-sharing");
    assert_eq!(
        p["spec"]["agreements"][1]["evidence"],
        "https://sign.northwind.example/envelopes/9"
    );

    let sandbox = request_file(
        scratch.path(),
        "sandbox.yaml",
        "apiVersion: partnerctl/v1\nkind: Request\nspec:\n  action: request-sandbox\n  partner: acme-freight\n  subscriptions: [{product: shipments, plan: starter}, {product: tracking, plan: starter}]\n  requestedBy: {name: Jane Roe, email: jane@acme-freight.example, login: janeroe}\n",
    );
    let (code, out) = request(dir.path(), &sandbox);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        out["title"],
        "Sandbox access for ACME Freight (acme-freight): shipments/starter, tracking/starter"
    );
    validate_ok(dir.path());
    let p = partner_doc(dir.path(), "partners/acme-freight.yaml");
    assert_eq!(p["spec"]["stage"], "sandbox");
    assert_eq!(
        p["spec"]["history"][2],
        serde_json::json!({"stage": "sandbox", "date": AS_OF})
    );
    assert_eq!(
        p["spec"]["subscriptions"],
        serde_json::json!([
            {"product": "shipments", "plan": "starter", "environment": "sandbox"},
            {"product": "tracking", "plan": "starter", "environment": "sandbox"}
        ])
    );

    let production = request_file(
        scratch.path(),
        "production.yaml",
        "apiVersion: partnerctl/v1\nkind: Request\nspec:\n  action: request-production\n  partner: acme-freight\n  subscriptions: [{product: shipments, plan: enterprise}]\n  requestedBy: {name: Jane Roe, email: jane@acme-freight.example}\n",
    );
    let (code, out) = request(dir.path(), &production);
    assert_eq!(code, 0, "{out:#}");
    let body = out["body"].as_str().unwrap();
    assert!(
        body.contains("- `security` (`@northwind/security`): `production-access`")
            && body.contains("- `shipments-team` (`@northwind/shipments`): `production-access`")
            && body.contains("- `partnerships` (`@northwind/partnerships`): `stage-changed`"),
        "the production approvals the program's rules name: {body}"
    );
    validate_ok(dir.path());
    let p = partner_doc(dir.path(), "partners/acme-freight.yaml");
    assert_eq!(p["spec"]["stage"], "production_requested");
    assert_eq!(
        p["spec"]["subscriptions"][2],
        serde_json::json!({"product": "shipments", "plan": "enterprise", "environment": "production"})
    );
}

#[test]
fn an_edited_partner_file_keeps_its_comments_order_and_layout() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/sahara-express.yaml",
        "  stage: registered\n",
        "  # signed up at the Casablanca logistics fair\n  stage: registered   # waiting for legal\n",
    );
    let before = std::fs::read_to_string(dir.path().join("partners/emea/sahara-express.yaml")).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let accept = request_file(
        scratch.path(),
        "accept.yaml",
        &format!(
            "apiVersion: partnerctl/v1\nkind: Request\nspec:\n  action: accept-terms\n  partner: sahara-express\n  accept: [{{terms: partner-tos, version: \"2.0\", textSha256: {TOS_2}, method: countersigned}}]\n  requestedBy: {{name: Youssef Amrani, email: youssef.amrani@saharaexpress.example, title: Managing Director}}\n  evidence: \"https://contracts.northwind.example/sahara/1\"\n"
        ),
    );
    let (code, out) = request(dir.path(), &accept);
    assert_eq!(code, 0, "{out:#}");
    validate_ok(dir.path());
    let after = std::fs::read_to_string(dir.path().join("partners/emea/sahara-express.yaml")).unwrap();
    assert!(
        after.contains(
            "  # signed up at the Casablanca logistics fair\n  stage: terms_accepted   # waiting for legal\n"
        ),
        "{after}"
    );
    // Every line that was there is still there, in order, except the stage's.
    let kept: Vec<&str> = before
        .lines()
        .filter(|l| !l.contains("stage: registered   #") && *l != "  agreements: []")
        .collect();
    let mut rest = after.lines();
    for line in kept {
        assert!(rest.any(|l| l == line), "`{line}` is gone or moved:\n{after}");
    }
    assert!(
        after.contains("    - {stage: terms_accepted, date: 2026-11-01}\n"),
        "{after}"
    );
    assert!(
        after.contains("  agreements: [{terms: partner-tos, version: \"2.0\", acceptedOn: 2026-11-01, "),
        "{after}"
    );
    assert!(after.contains(TOS_2), "{after}");
}

/// A refusal: exit 1, nothing written, and one diagnostic for each expected field.
#[track_caller]
fn refused(dir: &Path, yaml: &str, fields: &[&str]) -> Value {
    let scratch = tempfile::tempdir().unwrap();
    let file = request_file(scratch.path(), "r.yaml", yaml);
    let before = tree(dir);
    let (code, out) = request(dir, &file);
    assert_eq!(code, 1, "{out:#}");
    assert_eq!(out["ok"], false);
    assert_eq!(out["files"], serde_json::json!([]));
    assert_eq!(tree(dir), before, "a refused request writes nothing");
    let got: Vec<&str> = out["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["field"].as_str().unwrap_or("null"))
        .collect();
    assert_eq!(got, fields, "{out:#}");
    // The text output prints the field too.
    let text = partnerctl(dir, &["request", file.to_str().unwrap()]);
    assert_eq!(text.code, 1);
    for f in fields.iter().filter(|f| **f != "null") {
        assert!(text.stdout.contains(&format!("] {f}: ")), "{f} in {}", text.stdout);
    }
    assert!(text.stdout.contains("refused; nothing written"), "{}", text.stdout);
    out
}

fn req(action: &str, partner: &str, rest: &str) -> String {
    format!(
        "apiVersion: partnerctl/v1\nkind: Request\nspec:\n  action: {action}\n  partner: {partner}\n{rest}  requestedBy: {{name: A B, email: a@b.example}}\n"
    )
}

#[test]
fn every_refusal_names_the_request_field_and_writes_nothing() {
    let dir = copy_example();
    // An unknown product, an unknown plan, a plan not offered in the environment, in one go.
    let out = refused(
        dir.path(),
        &req(
            "request-production",
            "lone-star-dispatch",
            "  subscriptions:\n    - {product: shipmnts, plan: standard}\n    - {product: tracking, plan: gold}\n    - {product: shipments, plan: starter}\n",
        ),
        &[
            "spec.subscriptions[0].product",
            "spec.subscriptions[1].plan",
            "spec.subscriptions[2].plan",
        ],
    );
    let d = &out["diagnostics"];
    assert_eq!(d[0]["code"], "unknown-reference");
    assert_eq!(d[0]["hint"], "did you mean `shipments`?");
    assert_eq!(d[2]["code"], "plan-environment");
    assert_eq!(d[2]["line"], 9, "the line of the field in the request file");
    // A skipped stage: a registered partner asks for sandbox access.
    refused(
        dir.path(),
        &req(
            "request-sandbox",
            "sahara-express",
            "  subscriptions: [{product: tracking, plan: starter}]\n",
        ),
        &["spec.subscriptions[0].product", "spec.action"],
    );
    // Terms not current, and a digest that is not the text's.
    refused(
        dir.path(),
        &req(
            "accept-terms",
            "sahara-express",
            &format!(
                "  accept:\n    - {{terms: partner-tos, version: \"1.0\", textSha256: {TOS_1}}}\n    - {{terms: data-sharing, version: \"1.0\", textSha256: {TOS_2}}}\n"
            ),
        ),
        &["spec.accept[0].version", "spec.accept[1].textSha256"],
    );
    // A name taken, and a name that is no name.
    refused(
        dir.path(),
        &req(
            "register",
            "acme-logistics",
            "  register: {displayName: ACME, contacts: [{name: A B, email: a@b.example, role: business}]}\n",
        ),
        &["spec.partner"],
    );
    refused(
        dir.path(),
        &req(
            "register",
            "ACME Logistics",
            "  register: {displayName: ACME, contacts: [{name: A B, email: a@b.example, role: business}]}\n",
        ),
        &["spec.partner"],
    );
    // Suspended and offboarded partners ask for nothing.
    refused(
        dir.path(),
        &req(
            "request-sandbox",
            "rhine-river-shipping",
            "  subscriptions: [{product: tracking, plan: starter}]\n",
        ),
        &["spec.partner"],
    );
    refused(
        dir.path(),
        &req(
            "accept-terms",
            "andes-cargo-link",
            &format!("  accept: [{{terms: partner-tos, version: \"2.0\", textSha256: {TOS_2}}}]\n"),
        ),
        &["spec.partner"],
    );
    // Missing the terms a product requires: data-sharing for shipments.
    let out = refused(
        dir.path(),
        &req(
            "request-sandbox",
            "prairie-parcel",
            "  subscriptions: [{product: tracking, plan: starter}, {product: shipments, plan: starter}]\n",
        ),
        &["spec.subscriptions[1].product"],
    );
    assert_eq!(out["diagnostics"][0]["code"], "terms-missing");
    assert!(out["body"].as_str().unwrap().contains("nothing was written"));
}

#[test]
fn a_request_never_leaves_a_program_validate_rejects() {
    let dir = copy_example();
    // The program's own policy: contacts use a company address. Only `validate` knows it; its
    // finding in the new partner file is traced back to the request field it comes from.
    common::write(
        dir.path(),
        "policies/company_mail.rego",
        "package northwind.mail\n\nimport data.partnerctl.lib\nimport rego.v1\n\ndeny contains finding if {\n\tsome name, partner in input.partners\n\tsome i, contact in partner.spec.contacts\n\tendswith(contact.email, \"@gmail.example\")\n\tfinding := {\"rule\": \"company-mail\", \"msg\": sprintf(\"%s: use a company address\", [name]), \"resource\": lib.partner(name), \"path\": sprintf(\"/spec/contacts/%d/email\", [i])}\n}\n",
    );
    validate_ok(dir.path());
    let out = refused(
        dir.path(),
        &req(
            "register",
            "acme-freight",
            "  register: {displayName: ACME Freight, listed: true, contacts: [{name: A B, email: ab@acme.example, role: business}, {name: C D, email: cd@gmail.example, role: technical}]}\n",
        ),
        &["spec.register.contacts[1].email"],
    );
    let d = &out["diagnostics"];
    assert_eq!(d[0]["code"], "policy", "{out:#}");
    assert_eq!(d[0]["file"], "partners/acme-freight.yaml");
    // A warning `validate` gives the new file is passed on with its field, and blocks nothing.
    let scratch = tempfile::tempdir().unwrap();
    let ok = request_file(
        scratch.path(),
        "ok.yaml",
        &req(
            "register",
            "acme-freight",
            "  register: {displayName: ACME Freight, listed: true, contacts: [{name: A B, email: ab@acme.example, role: business}]}\n",
        ),
    );
    let (code, out) = request(dir.path(), &ok);
    assert_eq!(code, 0, "{out:#}");
    let w = &out["diagnostics"][0];
    assert_eq!(
        (w["severity"].as_str(), w["field"].as_str()),
        (Some("warning"), Some("spec.register.listed")),
        "{out:#}"
    );

    // The program already fails validate: no request is applied, and the refusal says so
    // without naming another partner's file.
    edit(
        dir.path(),
        "partners/emea/fjord-cargo.yaml",
        "{product: shipments,",
        "{product: shipmnts,",
    );
    let out = refused(
        dir.path(),
        &req(
            "accept-terms",
            "sahara-express",
            &format!("  accept: [{{terms: partner-tos, version: \"2.0\", textSha256: {TOS_2}}}]\n"),
        ),
        &["null"],
    );
    let message = out["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("already fails `validate`"), "{message}");
    assert!(!out.to_string().contains("fjord"), "{out:#}");
}

#[test]
fn json_output_has_exactly_the_spec_keys() {
    let dir = copy_example();
    let scratch = tempfile::tempdir().unwrap();
    let file = request_file(
        scratch.path(),
        "r.yaml",
        &req(
            "request-sandbox",
            "prairie-parcel",
            "  subscriptions: [{product: tracking, plan: starter}]\n",
        ),
    );
    let r = partnerctl(
        dir.path(),
        &["request", file.to_str().unwrap(), "--format", "json", "--dry-run"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "ok",
            "action",
            "partner",
            "files",
            "title",
            "body",
            "labels",
            "diagnostics"
        ]
    );
    assert_eq!(
        v["files"][0].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["path", "action"]
    );
    // --dry-run writes nothing.
    let p = partner_doc(dir.path(), "partners/prairie-parcel.yaml");
    assert_eq!(p["spec"]["stage"], "terms_accepted");
    // A refusal's diagnostics carry `field` beside validate's keys.
    let bad = request_file(
        scratch.path(),
        "bad.yaml",
        &req(
            "request-sandbox",
            "prairie-parcel",
            "  subscriptions: [{product: nope, plan: starter}]\n",
        ),
    );
    let (_, v) = request(dir.path(), &bad);
    let d = v["diagnostics"][0].as_object().unwrap();
    for k in ["field", "code", "severity", "message", "file", "line", "column"] {
        assert!(d.contains_key(k), "{k} in {d:?}");
    }
}

#[test]
fn a_request_that_is_not_a_request_is_refused_by_its_schema() {
    let dir = copy_example();
    refused(
        dir.path(),
        "apiVersion: partnerctl/v1\nkind: Request\nspec:\n  action: promote\n  partner: prairie-parcel\n  requestedBy: {name: A, email: a@b.example}\n  colour: blue\n",
        &["spec.action", "spec.colour"],
    );
    refused(dir.path(), "spec: [unclosed\n", &["null"]);
}

#[test]
fn the_request_schema_is_printed_and_committed() {
    let r = partnerctl(Path::new("."), &["schema", "request"]);
    assert_eq!(r.code, 0);
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/request.schema.json")).unwrap();
    assert_eq!(r.stdout, committed);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["$id"], "https://partnerctl.dev/schemas/v1/request.schema.json");
}

#[test]
fn the_request_fixtures_apply_as_they_say() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/requests");
    for (file, fields) in [
        ("register.yaml", vec![]),
        ("accept-terms.json", vec![]),
        ("request-sandbox.yaml", vec![]),
        ("request-production.yaml", vec!["spec.subscriptions[1].plan"]),
    ] {
        let dir = copy_example();
        let (code, out) = request(dir.path(), &fixtures.join(file));
        let errors: Vec<&str> = out["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] == "error")
            .map(|d| d["field"].as_str().unwrap())
            .collect();
        assert_eq!(errors, fields, "{file}: {out:#}");
        assert_eq!(code, if fields.is_empty() { 0 } else { 1 }, "{file}");
    }
    for action in ["register", "accept-terms", "request-sandbox", "request-production"] {
        let dir = copy_example();
        let body = std::fs::read_to_string(fixtures.join(format!("{action}.issue.md"))).unwrap();
        let payload = common::issue_form::payload(&body, &[&format!("partnerctl:{action}")], "someone", 5);
        let scratch = tempfile::tempdir().unwrap();
        let event = scratch.path().join("event.json");
        std::fs::write(&event, serde_json::to_vec(&payload).unwrap()).unwrap();
        let r = partnerctl(dir.path(), &["request", "--github-event", event.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{action}: {}{}", r.stdout, r.stderr);
        validate_ok(dir.path());
    }
}
