//! `partnerctl apply` as a user runs it, in git repositories built in temp dirs: the applied
//! state under `refs/partnerctl/applied`, idempotence, stale plans, drift, the lock, and the
//! state-file store outside git.

mod plan_common;

use plan_common::Repo;

#[test]
fn apply_records_the_commit_and_a_second_plan_is_empty() {
    let r = Repo::northwind();
    let (code, out, err) = r.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 3, "changes present: {out}{err}");
    assert!(out.contains("Plan: 24 to add, 0 to change, 0 to destroy."), "{out}");

    let (code, out, err) = r.run(&["apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Apply complete: 24 added"), "{out}");
    let head = r.repo.as_ref().unwrap().head().unwrap().target().unwrap();
    assert_eq!(r.applied_ref(), Some(head));
    assert!(r.path("dist/partners.csv").is_file());

    let (code, out, _) = r.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "nothing left to do: {out}");
    assert!(out.contains("No changes."), "{out}");

    // Applying again changes nothing.
    let csv = r.read("dist/partners.csv");
    let (code, out, _) = r.run(&["apply"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("0 added, 0 changed, 0 destroyed; 0 file(s) written"),
        "{out}"
    );
    assert_eq!(r.read("dist/partners.csv"), csv);
}

#[test]
fn plan_diffs_against_what_was_applied() {
    let r = Repo::northwind();
    r.only_csv_output();
    r.commit("only the csv");
    // Two commits and no state: the first apply says so.
    assert_eq!(r.run(&["apply"]).0, 2);
    assert_eq!(r.run(&["apply", "--initial"]).0, 0);
    r.edit(
        "partners/emea/acme-logistics.yaml",
        "displayName: ACME Logistics",
        "displayName: ACME Logistics Group",
    );
    r.commit("rename");
    let (code, out, _) = r.run(&["plan", "--format", "json", "--detailed-exitcode"]);
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in ["ok", "base", "changes", "approvals", "artifacts", "diagnostics"] {
        assert!(v.get(key).is_some(), "plan json lacks {key}");
    }
    assert_eq!(v["changes"].as_array().unwrap().len(), 1);
    assert_eq!(v["changes"][0]["resource"], "partner/acme-logistics");
    assert_eq!(v["changes"][0]["action"], "update");
    assert_eq!(v["artifacts"][0]["path"], "dist/partners.csv");
    assert_eq!(v["artifacts"][0]["action"], "update");
    let diff = v["artifacts"][0]["diff"].as_str().unwrap();
    assert!(diff.contains("+acme-logistics,ACME Logistics Group,"), "{diff}");
}

#[test]
fn a_stale_plan_is_refused_and_says_why() {
    let r = Repo::northwind();
    assert_eq!(r.run(&["apply"]).0, 0);
    let plan = r.path("plan.json");
    let plan = plan.to_str().unwrap();

    // The program moves after the plan was made.
    r.edit(
        "products/tracking.yaml",
        "displayName: Tracking API",
        "displayName: Tracking API v2",
    );
    r.commit("deprecate tracking");
    assert_eq!(r.run(&["plan", "--out", plan]).0, 0);
    r.edit(
        "products/tracking.yaml",
        "displayName: Tracking API v2",
        "displayName: Tracking API v3",
    );
    r.commit("retire tracking");
    let (code, _, err) = r.run(&["apply", plan]);
    assert_eq!(code, 1);
    assert!(err.contains("refusing to apply the stale plan"), "{err}");
    assert!(err.contains("the program changed since the plan was made"), "{err}");

    // The applied state moves after the plan was made.
    assert_eq!(r.run(&["plan", "--out", plan]).0, 0);
    let before = r.applied_ref();
    r.edit(
        "products/tracking.yaml",
        "displayName: Tracking API v3",
        "displayName: Tracking API v2",
    );
    r.commit("back to deprecated");
    assert_eq!(r.run(&["apply"]).0, 0);
    assert_ne!(r.applied_ref(), before);
    r.edit(
        "products/tracking.yaml",
        "displayName: Tracking API v2",
        "displayName: Tracking API v3",
    );
    r.commit("retire again");
    let (code, _, err) = r.run(&["apply", plan]);
    assert_eq!(code, 1);
    assert!(err.contains("the applied state moved since the plan was made"), "{err}");

    // A fresh plan applies.
    assert_eq!(r.run(&["plan", "--out", plan]).0, 0);
    let (code, out, err) = r.run(&["apply", plan]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("~ product/tracking"), "{out}");
}

#[test]
fn drift_is_found_by_plan_and_restored_by_apply() {
    let r = Repo::northwind();
    assert_eq!(r.run(&["apply"]).0, 0);
    let csv = r.read("dist/partners.csv");
    r.write("dist/partners.csv", "edited by hand\n");
    // Absent is not drift (a fresh checkout has no outputs): apply writes it, silently.
    r.remove("dist/CODEOWNERS");

    let (code, out, _) = r.run(&["plan", "--format", "json", "--detailed-exitcode"]);
    assert_eq!(code, 3, "drift is a change to make");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["changes"].as_array().unwrap().len(), 0);
    let drift: Vec<(String, String)> = v["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["path"].as_str().unwrap().into(), d["reason"].as_str().unwrap().into()))
        .collect();
    assert_eq!(drift, [("dist/partners.csv".to_string(), "changed".to_string())]);
    // The diff says what apply will do to the file: the hand edit goes, the rendering returns.
    let diff = v["drift"][0]["diff"].as_str().unwrap();
    assert!(diff.contains("--- dist/partners.csv (on disk)"), "{diff}");
    assert!(diff.contains("-edited by hand"), "{diff}");
    assert!(diff.contains(&format!("+{}", csv.lines().next().unwrap())), "{diff}");

    let (code, out, _) = r.run(&["apply"]);
    assert_eq!(code, 0);
    assert!(out.contains("wrote dist/partners.csv (restored"), "{out}");
    assert!(out.contains("wrote dist/CODEOWNERS\n"), "{out}");
    assert!(out.contains("1 drifted file(s) restored"), "{out}");
    assert_eq!(r.read("dist/partners.csv"), csv);
    assert_eq!(r.run(&["plan", "--detailed-exitcode"]).0, 0);
}

#[test]
fn apply_refuses_errors_and_uncommitted_programs() {
    let r = Repo::northwind();
    // A published text changes: terms-immutable against the applied state stops the apply.
    assert_eq!(r.run(&["apply"]).0, 0);
    let applied = r.applied_ref();
    r.edit("terms/partner-tos/2.0.md", "\n", "\nAn extra clause.\n");
    r.commit("rewrite 2.0");
    let (code, _, err) = r.run(&["apply"]);
    assert_eq!(code, 1);
    assert!(err.contains("terms-immutable"), "{err}");
    assert!(err.contains("Nothing was changed"), "{err}");
    assert_eq!(r.applied_ref(), applied);

    // An uncommitted edit cannot be recorded as a commit.
    r.edit("products/tracking.yaml", "lifecycle: ga", "lifecycle: deprecated");
    let (code, _, err) = r.run(&["apply"]);
    assert_eq!(code, 2);
    assert!(err.contains("differs from HEAD (products/tracking.yaml)"), "{err}");
}

#[test]
fn two_applies_cannot_interleave() {
    let r = Repo::northwind();
    let lock = r.path(".git/partnerctl-apply.lock");
    std::fs::write(&lock, "pid 1\n").unwrap();
    let (code, _, err) = r.run(&["apply"]);
    assert_eq!(code, 2);
    assert!(err.contains("another apply holds the lock"), "{err}");
    assert!(r.applied_ref().is_none());
    std::fs::remove_file(&lock).unwrap();
    assert_eq!(r.run(&["apply"]).0, 0);
    assert!(!lock.exists(), "the lock is released");
}

#[test]
fn a_first_apply_stopped_before_its_ref_moved_is_finished_by_apply_initial() {
    let r = Repo::northwind();
    assert_eq!(r.run(&["apply"]).0, 0);
    // What a first apply killed between its two writes leaves: the record, not the ref.
    let repo = r.repo.as_ref().unwrap();
    repo.find_reference("refs/partnerctl/applied")
        .unwrap()
        .delete()
        .unwrap();
    for args in [&["plan"][..], &["apply"][..]] {
        let (code, _, err) = r.run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("holds apply records but refs/partnerctl/applied is missing"),
            "{err}"
        );
        assert!(err.contains("run `partnerctl apply --initial` again"), "{err}");
    }
    let (code, out, err) = r.run(&["apply", "--initial"]);
    assert_eq!(code, 0, "{out}{err}");
    let head = repo.head().unwrap().target().unwrap();
    assert_eq!(r.applied_ref(), Some(head));
    let (code, out, _) = r.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");
    // Once the state is whole, --initial is refused again.
    assert_eq!(r.run(&["apply", "--initial"]).0, 2);
}

#[test]
fn a_state_file_keeps_state_outside_git() {
    let r = Repo::northwind_plain();
    let state = r.path("state/applied.json");
    let state = state.to_str().unwrap();
    let (code, _, err) = r.run(&["apply"]);
    assert_eq!(code, 2, "no git, no state file");
    assert!(err.contains("--state-file"), "{err}");

    let (code, out, err) = r.run(&["apply", "--state-file", state]);
    assert_eq!(code, 0, "{out}{err}");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    assert!(saved["outputs"]["dist/partners.csv"].is_string());
    assert!(saved["files"]["program.yaml"].is_object());
    assert_eq!(r.run(&["plan", "--state-file", state, "--detailed-exitcode"]).0, 0);

    r.edit("products/tracking.yaml", "lifecycle: ga", "lifecycle: deprecated");
    let (code, out, _) = r.run(&["plan", "--state-file", state, "--detailed-exitcode"]);
    assert_eq!(code, 3);
    assert!(out.contains("~ product/tracking"), "{out}");
    assert_eq!(r.run(&["apply", "--state-file", state]).0, 0);
    assert_eq!(r.run(&["plan", "--state-file", state, "--detailed-exitcode"]).0, 0);
}

#[test]
fn a_plan_of_a_revision_applies_that_revision() {
    let r = Repo::northwind();
    let first = r.repo.as_ref().unwrap().head().unwrap().target().unwrap();
    r.edit("products/tracking.yaml", "lifecycle: ga", "lifecycle: deprecated");
    r.commit("deprecate");
    let plan = r.path("plan.json");
    let (code, _, err) = r.run(&["plan", "--rev", &first.to_string(), "--out", plan.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = r.run(&["apply", "--initial", plan.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(r.applied_ref(), Some(first));
}

#[test]
fn a_revision_and_the_working_tree_give_the_same_program() {
    let r = Repo::northwind();
    assert_eq!(r.run(&["plan", "--base", "HEAD", "--detailed-exitcode"]).0, 0);
    assert_eq!(
        r.run(&["plan", "--base", "HEAD", "--rev", "HEAD", "--detailed-exitcode"])
            .0,
        0
    );
    r.edit("products/rates.yaml", "lifecycle: beta", "lifecycle: ga");
    r.commit("rates is ga");
    let (code, out, _) = r.run(&["plan", "--base", "HEAD~1", "--rev", "HEAD", "--detailed-exitcode"]);
    assert_eq!(code, 3);
    assert!(out.contains("~ product/rates"), "{out}");
    assert!(out.contains("~ lifecycle: beta → ga"), "{out}");
    let (code, _, err) = r.run(&["plan", "--base", "no-such-rev"]);
    assert_eq!(code, 2);
    assert!(err.contains("`no-such-rev` does not name a revision"), "{err}");
}
