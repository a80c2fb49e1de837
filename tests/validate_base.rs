//! `validate` runs the checks made against a base (`terms-immutable`) when it can read one:
//! the applied state (in git, or `--state-file`), or `--base REV`; and says when it could
//! not, in every format, without failing for it.

mod plan_common;

use plan_common::Repo;
use serde_json::Value;

const TEXT: &str = "terms/partner-tos/2.0.md";

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn immutable(v: &Value) -> Vec<&Value> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "terms-immutable")
        .collect()
}

#[test]
fn an_edit_of_a_published_text_fails_validate_against_the_applied_state() {
    let r = Repo::northwind();
    assert_eq!(r.run(&["apply"]).0, 0);
    let (code, out, err) = r.run(&["validate", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v = json(&out);
    assert_eq!(v["base"]["checked"], serde_json::json!(["terms-immutable"]));
    assert!(
        v["base"]["against"]
            .as_str()
            .unwrap()
            .starts_with("refs/partnerctl/applied ("),
        "{v:#}"
    );

    // The pre-commit hook's case: an edit not even committed.
    r.edit(TEXT, "\n", "\nA clause nobody signed.\n");
    let (code, out, _) = r.run(&["validate", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let v = json(&out);
    let found = immutable(&v);
    assert_eq!(found.len(), 1, "{v:#}");
    assert_eq!(found[0]["file"], TEXT);
    assert_eq!(found[0]["severity"], "error");
    let (code, out, err) = r.run(&["validate"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("terms-immutable") && out.contains("the published text was changed"),
        "{out}"
    );
    assert!(!err.contains("not checked"), "{err}");
    let (_, out, _) = r.run(&["validate", "--format", "github"]);
    assert!(
        out.contains("::error file=") && out.contains("terms-immutable"),
        "{out}"
    );
    // A published version's dates too.
    r.edit(TEXT, "\nA clause nobody signed.\n", "\n");
    r.edit(
        "terms/partner-tos.yaml",
        "effective: 2026-03-01",
        "effective: 2026-03-02",
    );
    let (code, out, _) = r.run(&["validate", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let found_line = immutable(&json(&out))[0]["line"].as_u64().unwrap();
    assert!(found_line > 1);
}

#[test]
fn without_an_applied_state_it_says_so_and_base_rev_stands_in() {
    let r = Repo::northwind();
    r.edit(TEXT, "\n", "\nA clause nobody signed.\n");
    // Nothing applied: the check cannot run; validate says so and does not fail for it.
    let (code, out, err) = r.run(&["validate"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("note: terms-immutable was not checked"), "{err}");
    assert!(err.contains("refs/partnerctl/applied is missing"), "{err}");
    let (code, out, _) = r.run(&["validate", "--format", "json"]);
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(v["base"]["checked"], serde_json::json!([]));
    assert!(v["base"]["note"].as_str().unwrap().contains("not checked"), "{v:#}");
    assert!(v["base"]["against"].is_null());
    let (_, out, _) = r.run(&["validate", "--format", "github"]);
    assert!(
        out.contains("::notice title=partnerctl::terms-immutable was not checked"),
        "{out}"
    );
    let (_, out, _) = r.run(&["validate", "--format", "markdown"]);
    assert!(out.contains("_Note: terms-immutable was not checked"), "{out}");
    // Against a revision instead.
    let (code, out, _) = r.run(&["validate", "--base", "HEAD", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let v = json(&out);
    assert_eq!(immutable(&v).len(), 1);
    assert!(v["base"]["against"].as_str().unwrap().starts_with("HEAD ("), "{v:#}");
    // A revision that does not exist is a reason, not a crash.
    let (code, _, err) = r.run(&["validate", "--base", "no-such-rev"]);
    assert_eq!(code, 0);
    assert!(err.contains("not checked") && err.contains("no-such-rev"), "{err}");
}

#[test]
fn outside_git_a_state_file_is_the_base() {
    let r = Repo::northwind_plain();
    let (code, _, err) = r.run(&["validate"]);
    assert_eq!(code, 0);
    assert!(err.contains("not a git repository"), "{err}");
    let state = r.path("state.json");
    let state = state.to_str().unwrap();
    assert_eq!(r.run(&["apply", "--state-file", state]).0, 0);
    r.edit(TEXT, "\n", "\nA clause nobody signed.\n");
    let (code, out, _) = r.run(&["validate", "--state-file", state, "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let v = json(&out);
    assert_eq!(immutable(&v).len(), 1);
    assert!(
        v["base"]["against"].as_str().unwrap().starts_with("state file"),
        "{v:#}"
    );
}

#[test]
fn the_base_is_read_without_the_partners() {
    let r = Repo::northwind();
    let repo = partnerctl::source::git::ProgramRepo::discover(r.root()).unwrap();
    let head = repo.head().unwrap();
    let s = repo.snapshot_folders(head, &["terms"]).unwrap();
    assert!(s.files.len() >= 4, "{:?}", s.files.keys());
    assert!(s.files.keys().all(|p| p.starts_with("terms/")), "{:?}", s.files.keys());
}
