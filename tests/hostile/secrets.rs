//! Hostile input: secrets (see main.rs). A token committed anywhere partnerctl reads — a
//! label, `labels: {secretRef: …}`, a terms text, a template, a policy, a file name, a URL's
//! query string — is a `secret-in-repo` finding naming the file, and is never repeated: not
//! by other findings, not by any format of `validate` or `plan`, not in a saved plan, not in a
//! rendered file or a diff of one, where `«redacted»` stands in its place (SPEC §9 "Secrets").

use super::*;
use common::{copy_example, edit, write};

/// A GitHub-token-shaped value, distinct per place so each can be traced.
fn token(tag: &str) -> String {
    let body = format!("{tag}a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9");
    format!("ghp_{}", &body[..36])
}

/// The value of a URL's `api_key` query parameter.
const QUERY_KEY: &str = "QkV5c2VjcmV0UXVlcnk9cXVlcnk";

/// Each planted value and the file its finding must name.
fn plant(dir: &Path) -> Vec<(String, String)> {
    let label = token("Label");
    let secret_ref = token("LabelRef");
    let terms = token("Terms");
    let template = token("Template");
    let policy = token("Policy");
    let file_name = token("FileName");
    edit(
        dir,
        "partners/caribe-shipping.yaml",
        "labels: {region: americas, country: do}",
        &format!("labels: {{region: americas, country: do, build: {label}}}"),
    );
    edit(
        dir,
        "partners/caribe-shipping.yaml",
        "displayName: Caribe Shipping\n",
        &format!("displayName: Caribe Shipping\n  website: https://caribeshipping.example/?api_key={QUERY_KEY}\n"),
    );
    edit(
        dir,
        "partners/andes-cargo-link.yaml",
        "labels: {region: americas, country: cl}",
        &format!("labels: {{region: americas, country: cl, secretRef: {secret_ref}}}"),
    );
    edit(
        dir,
        "terms/partner-tos/2.0.md",
        "Version 2.0 — effective 1 March 2026",
        &format!("Version 2.0 — effective 1 March 2026. Test key: {terms}"),
    );
    edit(
        dir,
        "templates/partners.csv.j2",
        "name,displayName,website",
        &format!("name,displayName,website,{template}"),
    );
    write(
        dir,
        "policies/keys.rego",
        format!(
            r#"package northwind.keys

import rego.v1

# The deploy key is {policy}
deny contains finding if {{
	some name, partner in input.partners
	name == "caribe-shipping"
	finding := {{
		"rule": "keys",
		"msg": sprintf("%s has the key {policy} and labels %v", [name, partner.metadata.labels]),
		"resource": sprintf("partner/%s", [name]),
		"path": "/metadata/labels",
	}}
}}
"#
        ),
    );
    let named = format!("templates/notes-{file_name}.txt.j2");
    write(dir, &named, "notes\n");
    vec![
        (label, "partners/caribe-shipping.yaml".into()),
        (QUERY_KEY.into(), "partners/caribe-shipping.yaml".into()),
        (secret_ref, "partners/andes-cargo-link.yaml".into()),
        (terms, "terms/partner-tos/2.0.md".into()),
        (template, "templates/partners.csv.j2".into()),
        (policy, "policies/keys.rego".into()),
        // The finding names the file with its secret part redacted.
        (file_name, "templates/notes-«redacted».txt.j2".into()),
    ]
}

fn assert_absent(what: &str, text: &str, planted: &[(String, String)]) {
    for (value, _) in planted {
        assert!(!text.contains(value.as_str()), "{what} repeats {value}:\n{text}");
    }
}

#[test]
fn every_place_a_secret_can_hide_is_flagged_naming_its_file() {
    let dir = copy_example();
    let planted = plant(dir.path());
    let r = run(dir.path(), &["validate", "--format", "json"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    let report: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let flagged: Vec<(String, usize)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "secret-in-repo")
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    for (value, file) in &planted {
        assert!(
            flagged.iter().any(|(f, _)| f == file),
            "{value} in {file} is not flagged; flagged: {flagged:?}"
        );
    }
    // A terms text's finding is at the line of the secret.
    assert!(
        flagged.contains(&("terms/partner-tos/2.0.md".to_string(), 3)),
        "{flagged:?}"
    );
}

#[test]
fn validate_never_repeats_a_secret_in_any_format() {
    let dir = copy_example();
    let planted = plant(dir.path());
    for format in ["text", "json", "markdown", "github", "sarif"] {
        let r = run(dir.path(), &["validate", "--format", format]);
        assert_eq!(r.code, Some(1), "{format}\n{}", r.all());
        assert_absent(&format!("validate --format {format}"), &r.all(), &planted);
        // The policy's own message quoted the key: it is shown redacted, not dropped.
        assert!(r.stdout.contains("«redacted»"), "{format}\n{}", r.stdout);
    }
}

#[test]
fn plan_never_repeats_a_secret_in_any_format_diff_or_saved_plan() {
    let dir = copy_example();
    git_commit_all(dir.path(), "base");
    let planted = plant(dir.path());
    let saved = dir.path().join("saved-plan.json");
    for format in ["text", "json", "markdown"] {
        let r = run(
            dir.path(),
            &[
                "plan",
                "--base",
                "HEAD",
                "--format",
                format,
                "--out",
                saved.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, Some(1), "{format}\n{}", r.all());
        assert_absent(&format!("plan --format {format}"), &r.all(), &planted);
        let file = std::fs::read_to_string(&saved).expect("saved plan");
        assert_absent("the saved plan", &file, &planted);
        if format == "json" {
            let plan: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
            let diffs: String = plan["artifacts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["diff"].as_str().unwrap_or(""))
                .collect();
            // The partner directory and the portal carry the values (website, template
            // header, terms text), redacted.
            assert!(
                diffs.contains("«redacted»"),
                "the rendered diffs show the redaction\n{diffs}"
            );
            assert!(
                diffs.contains("https://caribeshipping.example/?api_key=«redacted»"),
                "{diffs}"
            );
        }
    }
}

#[test]
fn no_rendered_file_carries_a_secret() {
    let dir = copy_example();
    let planted = plant(dir.path());
    let out = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["render", "--out-dir", out.path().to_str().unwrap()]);
    // secret-in-repo is an error: nothing is rendered at all, and nothing printed repeats it.
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert_absent("render", &r.all(), &planted);
    let mut stack = vec![out.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                assert_absent(&p.display().to_string(), &String::from_utf8_lossy(&bytes), &planted);
            }
        }
    }
}

/// A token pasted into a reference: a credential's `secretRef` (in its query string, in its
/// userinfo, or bare), a product's upstream URL, a partner's website. Each is `secret-in-repo`
/// at its file, and the secret part is repeated nowhere: not in validate's messages (a schema
/// error that quotes the value included), not in the plan of any format, not in a rendered
/// file such as the ExternalSecrets that carry the `secretRef`.
#[test]
fn a_token_in_a_reference_is_flagged_and_never_repeated() {
    let dir = copy_example();
    let root = dir.path();
    git_commit_all(root, "base");
    let query = token("RefQuery");
    let bare = "sk_live_RefBare4eC39HqLyjWDarjtT1zdp7dc";
    let userinfo = "RefUserinfoPw9x";
    let upstream = token("Upstream");
    let website = "WebsitePassw0rd";
    edit(
        root,
        "partners/emea/acme-logistics.yaml",
        "secretRef: \"vault://partners/acme-logistics/acme-prd-1\"",
        &format!("secretRef: \"vault://partners/acme-logistics/acme-prd-1?token={query}\""),
    );
    edit(
        root,
        "partners/emea/acme-logistics.yaml",
        "secretRef: \"vault://partners/acme-logistics/acme-sbx-2\"",
        &format!("secretRef: \"https://admin:{userinfo}@vault.northwind.example/acme-sbx-2\""),
    );
    edit(
        root,
        "partners/caribe-shipping.yaml",
        "secretRef: \"vault://partners/caribe-shipping/caribe-prd-1\"",
        &format!("secretRef: \"{bare}\""),
    );
    edit(
        root,
        "products/tracking.yaml",
        "production: {upstream: \"https://tracking.internal\"",
        &format!("production: {{upstream: \"https://tracking.internal/?key={upstream}\""),
    );
    // A website that fails the schema (a space) and so is quoted by a schema error.
    edit(
        root,
        "partners/caribe-shipping.yaml",
        "displayName:",
        &format!("website: \"https://ops:{website}@caribe.example/a b\"\n  displayName:"),
    );
    let planted: Vec<(String, String)> = [query.as_str(), bare, userinfo, upstream.as_str(), website]
        .iter()
        .map(|v| (v.to_string(), String::new()))
        .collect();

    let r = run(root, &["validate", "--format", "json"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let flagged: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "secret-in-repo")
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    for file in [
        "partners/emea/acme-logistics.yaml",
        "partners/caribe-shipping.yaml",
        "products/tracking.yaml",
    ] {
        assert!(flagged.contains(&file), "nothing flagged in {file}: {flagged:?}");
    }
    assert!(
        flagged
            .iter()
            .filter(|f| **f == "partners/emea/acme-logistics.yaml")
            .count()
            >= 2,
        "{flagged:?}"
    );
    for format in ["text", "json", "markdown", "github", "sarif"] {
        let r = run(root, &["validate", "--format", format]);
        assert_absent(&format!("validate --format {format}"), &r.all(), &planted);
    }
    let saved = root.join("saved-plan.json");
    for format in ["text", "json", "markdown"] {
        let r = run(
            root,
            &[
                "plan",
                "--base",
                "HEAD",
                "--format",
                format,
                "--out",
                saved.to_str().unwrap(),
            ],
        );
        assert_absent(&format!("plan --format {format}"), &r.all(), &planted);
        assert_absent("the saved plan", &std::fs::read_to_string(&saved).unwrap(), &planted);
    }
    // The references alone, without the broken website: render writes every output, and none
    // (the ExternalSecrets least of all) carries a secret.
    edit(
        root,
        "partners/caribe-shipping.yaml",
        &format!("website: \"https://ops:{website}@caribe.example/a b\"\n  "),
        "",
    );
    let out = tempfile::tempdir().unwrap();
    let _ = run(root, &["render", "--out-dir", out.path().to_str().unwrap()]);
    for f in walk_files(out.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert_absent(&f.display().to_string(), &text, &planted);
    }
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}
