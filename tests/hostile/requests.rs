//! Hostile input: requests (SPEC §9, §15.2). Every value of a request comes from outside the
//! provider, through a Request file or an issue anyone can open: a name must not become a
//! path before it is checked, text must not add a line or a key to a partner file, a huge
//! value must not be written, an issue must be read only by the form its label names, and a
//! checked box is no acceptance without the digest of the text it names.

#[allow(unused_imports)]
use super::*;
use common::copy_example;
use common::issue_form::{self, check, text};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// `request FILE --format json` on `dir`, the request written beside it.
fn request(dir: &Path, yaml: &str) -> (Option<i32>, Value) {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("request.yaml");
    std::fs::write(&file, yaml).unwrap();
    let r = run(dir, &["request", file.to_str().unwrap(), "--format", "json"]);
    let v = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
    (r.code, v)
}

fn event(dir: &Path, payload: &Value) -> (Option<i32>, Value) {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("event.json");
    std::fs::write(&file, serde_json::to_vec(payload).unwrap()).unwrap();
    let r = run(
        dir,
        &["request", "--github-event", file.to_str().unwrap(), "--format", "json"],
    );
    let v = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
    (r.code, v)
}

fn fields(v: &Value) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| d["field"].as_str().unwrap_or("null").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_partner_name_with_dot_dot_never_becomes_a_path() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("program");
    common::copy_dir(&common::example_dir(), &dir);
    let before = files(parent.path());
    for name in ["../../escaped", "..", "emea/../../escaped", "partners/x"] {
        let (code, v) = request(
            &dir,
            &format!(
                "apiVersion: partnerctl/v1\nkind: Request\nspec:\n  action: register\n  partner: {name:?}\n  register: {{displayName: X, contacts: [{{name: A, email: a@b.example, role: business}}]}}\n  requestedBy: {{name: A, email: a@b.example}}\n"
            ),
        );
        assert_eq!(code, Some(1), "{name}: {v:#}");
        assert_eq!(fields(&v), ["spec.partner"], "{name}: {v:#}");
        assert_eq!(v["diagnostics"][0]["code"], "schema", "{name}: {v:#}");
    }
    assert_eq!(files(parent.path()), before, "nothing written anywhere");
}

#[test]
fn a_line_break_in_a_text_field_is_refused_by_the_request_itself() {
    let dir = copy_example();
    let (code, v) = request(
        dir.path(),
        "apiVersion: partnerctl/v1\nkind: Request\nspec:\n  action: register\n  partner: evil\n  register: {displayName: \"ACME\\nstage: live\\nlisted: true\", contacts: [{name: A, email: a@b.example, role: business}]}\n  requestedBy: {name: A, email: a@b.example}\n",
    );
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(fields(&v), ["spec.register.displayName"], "{v:#}");
    // Refused by the request's schema, at the request, before any partner file is drafted.
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "schema");
    assert!(d["file"].as_str().unwrap().ends_with("request.yaml"), "{v:#}");
    assert!(!dir.path().join("partners/evil.yaml").exists());
}

#[test]
fn yaml_in_text_fields_is_written_as_text() {
    let dir = copy_example();
    let legal = "ACME\", stage: live, listed: true, x: \"y";
    let title = "CTO}, {terms: data-sharing, version: \"1.0\", acceptedOn: 2020-01-01} # ";
    // A new file (the serializer) and an edited one (the editor's flow encoder).
    let (code, v) = request(
        dir.path(),
        &format!(
            "apiVersion: partnerctl/v1\nkind: Request\nspec:\n  action: register\n  partner: acme-freight\n  register: {{displayName: \"a: b # c\", legalName: {legal:?}, contacts: [{{name: \"- [x]\", email: a@b.example, role: business}}]}}\n  requestedBy: {{name: A, email: a@b.example}}\n"
        ),
    );
    assert_eq!(code, Some(0), "{v:#}");
    let (code, v) = request(
        dir.path(),
        &format!(
            "apiVersion: partnerctl/v1\nkind: Request\nspec:\n  action: accept-terms\n  partner: sahara-express\n  accept: [{{terms: partner-tos, version: \"2.0\", textSha256: 8533bfa6af42db65a006e340456efc11199c115e42afc80913749c54ce615734}}]\n  requestedBy: {{name: \"Y, A\", email: y@s.example, title: {title:?}}}\n"
        ),
    );
    assert_eq!(code, Some(0), "{v:#}");
    let read = |f: &str| {
        partnerctl::source::yaml::parse(f, &std::fs::read(dir.path().join(f)).unwrap())
            .unwrap()
            .value
    };
    let new = read("partners/acme-freight.yaml");
    assert_eq!(new["spec"]["legalName"], legal);
    assert_eq!(new["spec"]["displayName"], "a: b # c");
    assert_eq!(new["spec"]["stage"], "registered", "no key was added");
    assert_eq!(new["spec"]["listed"], false);
    let edited = read("partners/emea/sahara-express.yaml");
    let agreements = edited["spec"]["agreements"].as_array().unwrap();
    assert_eq!(agreements.len(), 1, "no agreement was added: {agreements:#?}");
    assert_eq!(agreements[0]["signedBy"]["title"], title);
    assert_eq!(agreements[0]["signedBy"]["name"], "Y, A");
    let v = run(dir.path(), &["validate"]);
    assert_eq!(v.code, Some(0), "{}", v.all());
}

#[test]
fn a_megabyte_field_is_refused_not_written() {
    let dir = copy_example();
    let huge = "A".repeat(1_000_000);
    let (code, v) = request(
        dir.path(),
        &format!(
            "apiVersion: partnerctl/v1\nkind: Request\nspec:\n  action: register\n  partner: big\n  register: {{displayName: {huge}, contacts: [{{name: A, email: a@b.example, role: business}}]}}\n  requestedBy: {{name: A, email: a@b.example}}\n"
        ),
    );
    assert_eq!(
        code,
        Some(1),
        "{}",
        v.to_string().chars().take(2000).collect::<String>()
    );
    assert_eq!(fields(&v), ["spec.register.displayName"]);
    assert!(!dir.path().join("partners/big.yaml").exists());
    assert!(v.to_string().len() < 10_000, "the refusal does not repeat the megabyte");
    // An issue body longer than GitHub stores is not read at all.
    let payload = issue_form::payload(&format!("### Partner id\n\n{huge}"), &["partnerctl:register"], "x", 1);
    let (code, v) = event(dir.path(), &payload);
    assert_eq!(code, Some(1));
    assert!(
        fields(&v).contains(&"spec".to_string()),
        "{}",
        v.to_string().chars().take(2000).collect::<String>()
    );
}

#[test]
fn an_issue_body_is_read_only_by_the_form_its_label_names() {
    let dir = copy_example();
    let forms = issue_form::forms(dir.path(), common::AS_OF);
    // The register form's body, filled for a registered partner, under the accept-terms label:
    // its Partner id, name, email and terms boxes are all fields of accept-terms too.
    let body = issue_form::body(
        &forms["register"],
        &[
            ("partner", text("sahara-express")),
            ("display-name", text("Sahara Express")),
            ("contact-name", text("Youssef Amrani")),
            ("contact-email", text("youssef.amrani@saharaexpress.example")),
            ("contact-role", issue_form::choose(&["Business"])),
            ("terms", check(&["partner-tos version 2.0"])),
        ]
        .into_iter()
        .collect(),
    );
    let before = std::fs::read(dir.path().join("partners/emea/sahara-express.yaml")).unwrap();
    let (code, v) = event(
        dir.path(),
        &issue_form::payload(&body, &["partnerctl:accept-terms"], "x", 2),
    );
    assert_eq!(code, Some(1), "{v:#}");
    let messages = v["diagnostics"].to_string();
    assert!(
        messages.contains("section “Company name” that the form partnerctl-accept-terms.yml does not have"),
        "{v:#}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("partners/emea/sahara-express.yaml")).unwrap(),
        before
    );
}

#[test]
fn a_checked_box_without_the_digest_is_no_acceptance() {
    let dir = copy_example();
    let forms = issue_form::forms(dir.path(), common::AS_OF);
    let body = issue_form::body(
        &forms["accept-terms"],
        &[
            ("partner", text("sahara-express")),
            ("contact-name", text("Youssef Amrani")),
            ("contact-email", text("youssef.amrani@saharaexpress.example")),
        ]
        .into_iter()
        .collect(),
    );
    // The box the partner "checked" names the terms and version, not the text's SHA-256.
    let body = body.replace(
        "- [ ] I accept Northwind Partner API Terms of Service (partner-tos version 2.0, text SHA-256 8533bfa6af42db65a006e340456efc11199c115e42afc80913749c54ce615734): <https://partners.northwind.example/terms/partner-tos/2.0.html>",
        "- [X] I accept Northwind Partner API Terms of Service (partner-tos version 2.0)",
    );
    assert!(body.contains("- [X] I accept"), "{body}");
    let before = std::fs::read(dir.path().join("partners/emea/sahara-express.yaml")).unwrap();
    let (code, v) = event(
        dir.path(),
        &issue_form::payload(&body, &["partnerctl:accept-terms"], "x", 3),
    );
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(fields(&v), ["spec.accept[0].textSha256"], "{v:#}");
    assert_eq!(
        std::fs::read(dir.path().join("partners/emea/sahara-express.yaml")).unwrap(),
        before
    );
    // Edited in the issue to the digest of another text, it is refused as a mismatch.
    let body = body.replace(
        "(partner-tos version 2.0)",
        "(partner-tos version 2.0, text SHA-256 fe91f91e126005ed4ed2d2a3562012a2f259f6f3ea5f39dde0331c753fc04fd0)",
    );
    let (code, v) = event(
        dir.path(),
        &issue_form::payload(&body, &["partnerctl:accept-terms"], "x", 4),
    );
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(fields(&v), ["spec.accept[0].textSha256"], "{v:#}");
    assert_eq!(v["diagnostics"][0]["code"], "acceptance-mismatch");
}
