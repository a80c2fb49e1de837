//! The GitOps loop of SPEC §10 replayed with real git: a bare "remote", clones that play the
//! CI machines, the example workflow's own steps of its apply and reconcile jobs (read from
//! examples/workflows/partnerctl.yml and run with bash, their `if:` read back from
//! `$GITHUB_OUTPUT`), fetches that fail, an atomic push that loses a race, depth-1 clones,
//! branches opened before `main` moved, a revocation that takes effect on a later day with
//! no commit (SPEC §16), and the generated CODEOWNERS delivered to `main`.
//!
//! Needs the `git` command (as the workflow does).

mod common;

use common::git::{git, git_in};

use std::path::{Path, PathBuf};
use std::process::Command;

const AS_OF: &str = "2026-11-01";

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_partnerctl"))
}

/// partnerctl in `dir`, as of [`AS_OF`] unless `as_of` says otherwise.
fn run_at(dir: &Path, as_of: &str, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("PARTNERCTL_AS_OF", as_of)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run_at(dir, AS_OF, args)
}

fn edit(path: &Path, from: &str, to: &str) {
    let t = std::fs::read_to_string(path).unwrap();
    assert!(t.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, t.replacen(from, to, 1)).unwrap();
}

/// A bare remote holding the example program on `main` (two commits, as a real program has),
/// and a developer's clone of it.
struct World {
    tmp: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let w = World { tmp };
        git(w.root(), &["init", "-q", "--bare", "-b", "main", "remote.git"]);
        let dev = w.path("dev");
        common::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind"), &dev);
        git(&dev, &["init", "-q", "-b", "main"]);
        std::fs::write(dev.join(".gitignore"), "dist/\n").unwrap();
        git(&dev, &["add", "-A"]);
        git(&dev, &["commit", "-q", "-m", "the program"]);
        edit(
            &dev.join("products/rates.yaml"),
            "displayName: Rates API",
            "displayName: Rates API (beta)",
        );
        git(&dev, &["commit", "-q", "-am", "rates is in beta"]);
        git(&dev, &["remote", "add", "origin", w.remote().to_str().unwrap()]);
        git(&dev, &["push", "-q", "origin", "main"]);
        w
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    fn remote(&self) -> PathBuf {
        self.path("remote.git")
    }

    fn url(&self) -> String {
        format!("file://{}", self.remote().display())
    }

    /// A fresh CI checkout of `main`: full history, no state refs, no outputs.
    fn clone(&self, name: &str) -> PathBuf {
        git(self.root(), &["clone", "-q", self.remote().to_str().unwrap(), name]);
        self.path(name)
    }

    /// The developer commits an edit and pushes it to main.
    fn push_change(&self, file: &str, from: &str, to: &str, message: &str) {
        let dev = self.path("dev");
        git(&dev, &["pull", "-q", "--ff-only", "origin", "main"]);
        edit(&dev.join(file), from, to);
        git(&dev, &["commit", "-q", "-am", message]);
        git(&dev, &["push", "-q", "origin", "main"]);
    }

    /// What the remote's ref points at, if anything.
    fn remote_ref(&self, name: &str) -> Option<String> {
        let o = git_in(&self.remote(), &["rev-parse", "--verify", "-q", name]);
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
    }
}

/// One `run:` step of a job of the example workflow.
struct Step {
    name: String,
    id: Option<String>,
    condition: Option<String>,
    run: String,
}

/// The `run:` steps of a job of the example workflow, in order (steps that `uses:` an
/// action — checkout, install, upload — are what the test sets up itself).
fn job_steps(job: &str) -> Vec<Step> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/workflows/partnerctl.yml"))
        .unwrap();
    let wf: serde_json::Value = yaml_serde::from_str(&text).unwrap();
    wf["jobs"][job]["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("the workflow has no job {job}"))
        .iter()
        .filter_map(|s| {
            Some(Step {
                name: s["name"].as_str()?.to_string(),
                id: s["id"].as_str().map(str::to_string),
                condition: s["if"].as_str().map(str::to_string),
                run: s["run"].as_str()?.to_string(),
            })
        })
        .collect()
}

/// Whether a step runs: its `if:` read as GitHub does for the one form the jobs use,
/// `steps.<id>.outputs.<name> == '<value>'` (anything else fails the test, so it is never
/// guessed at).
fn runs(condition: Option<&str>, outputs: &std::collections::BTreeMap<String, String>) -> bool {
    let Some(c) = condition else { return true };
    let (left, right) = c
        .split_once(" == ")
        .unwrap_or_else(|| panic!("an `if:` this test cannot read: {c}"));
    let key = left
        .trim()
        .strip_prefix("steps.")
        .unwrap_or_else(|| panic!("an `if:` this test cannot read: {c}"))
        .replacen(".outputs.", ".", 1);
    let want = right.trim().trim_matches('\'');
    outputs.get(&key).map(String::as_str) == Some(want)
}

/// Runs a job's steps in a checkout as GitHub does (`bash -e`), partnerctl on the PATH,
/// `$GITHUB_OUTPUT` read back for the steps' `if:`; stops at the first failing step and
/// returns its name and the log. The log names each step run and each step skipped.
fn run_job(dir: &Path, job: &str, initial: bool, as_of: &str) -> Result<String, (String, String)> {
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut log = String::new();
    let mut outputs = std::collections::BTreeMap::new();
    let tmp = tempfile::tempdir().unwrap();
    for (i, step) in job_steps(job).into_iter().enumerate() {
        if !runs(step.condition.as_deref(), &outputs) {
            log.push_str(&format!("== {} (skipped)\n", step.name));
            continue;
        }
        let output_file = tmp.path().join(format!("output-{i}"));
        std::fs::write(&output_file, "").unwrap();
        let o = Command::new("bash")
            .args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", &step.run])
            .current_dir(dir)
            .env("PATH", &path)
            .env("PARTNERCTL_AS_OF", as_of)
            .env("INITIAL", if initial { "true" } else { "false" })
            .env("GITHUB_OUTPUT", &output_file)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        log.push_str(&format!("== {}\n{out}", step.name));
        if let Some(id) = &step.id {
            for line in std::fs::read_to_string(&output_file).unwrap().lines() {
                if let Some((k, v)) = line.split_once('=') {
                    outputs.insert(format!("{id}.{k}"), v.to_string());
                }
            }
        }
        if !o.status.success() {
            return Err((step.name, log));
        }
    }
    Ok(log)
}

/// The apply job (on a push to main), as of [`AS_OF`].
fn apply_job(dir: &Path, initial: bool) -> Result<String, (String, String)> {
    run_job(dir, "apply", initial, AS_OF)
}

#[test]
fn the_workflow_applies_once_with_initial_then_records_state_with_an_atomic_push() {
    let w = World::new();
    let ci = w.clone("ci-1");
    // No state yet, two commits of history: apply will not guess that this is the first.
    let (step, log) = apply_job(&ci, false).unwrap_err();
    assert_eq!(step, "Apply", "{log}");
    assert!(
        log.contains("no applied state") && log.contains("apply --initial"),
        "{log}"
    );
    assert_eq!(w.remote_ref("refs/partnerctl/applied"), None);

    // The first apply, started by a person with `initial`.
    let log = apply_job(&ci, true).unwrap();
    let main = w.remote_ref("refs/heads/main").unwrap();
    assert_eq!(w.remote_ref("refs/partnerctl/applied"), Some(main.clone()), "{log}");
    let notes = w
        .remote_ref("refs/notes/partnerctl")
        .expect("the record is pushed with the ref");
    let record = git(&w.remote(), &["notes", "--ref", "partnerctl", "show", &main]);
    assert!(record.contains(&format!("\"commit\": \"{main}\"")), "{record}");

    // The next push to main, on a fresh machine: the state comes with the fetch, the fresh
    // checkout's missing outputs are written without any drift noise, and the push is a
    // fast-forward of both refs.
    w.push_change(
        "partners/caribe-shipping.yaml",
        "displayName: Caribe Shipping",
        "displayName: Caribe Shipping Lines",
        "rename caribe",
    );
    let ci = w.clone("ci-2");
    let log = apply_job(&ci, false).unwrap();
    assert!(log.contains("~ partner/caribe-shipping"), "{log}");
    assert!(log.contains("0 drifted file(s) restored"), "{log}");
    assert!(!log.contains("(restored"), "{log}");
    let main = w.remote_ref("refs/heads/main").unwrap();
    assert_eq!(w.remote_ref("refs/partnerctl/applied"), Some(main));
    let new_notes = w.remote_ref("refs/notes/partnerctl").unwrap();
    let parent = git(&w.remote(), &["rev-parse", &format!("{new_notes}^")]);
    assert_eq!(parent, notes, "the notes ref moved forward, never sideways");

    // `initial` again, with a state: refused, so it cannot become a habit that hides a loss.
    let ci = w.clone("ci-3");
    let (step, log) = apply_job(&ci, true).unwrap_err();
    assert_eq!(step, "Apply");
    assert!(log.contains("--initial is for a program's first apply"), "{log}");
}

#[test]
fn a_failed_fetch_fails_the_job_and_a_missing_state_never_passes_an_edited_published_text() {
    let w = World::new();
    assert!(apply_job(&w.clone("ci-1"), true).is_ok());
    w.push_change(
        "terms/partner-tos/2.0.md",
        "\n",
        "\nA clause nobody signed.\n",
        "rewrite published terms",
    );

    // The remote cannot be reached: the fetch step fails and nothing is applied or pushed.
    let ci = w.clone("ci-2");
    git(&ci, &["remote", "set-url", "origin", "/nonexistent/remote.git"]);
    let (step, log) = apply_job(&ci, false).unwrap_err();
    assert_eq!(step, "Fetch the applied state", "{log}");
    assert!(!ci.join("dist").exists(), "nothing was written");

    // Had the fetch been ignored (`|| true`), apply itself refuses to run without the state...
    let (code, _, err) = run(&ci, &["apply"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no applied state"), "{err}");
    // ...and with the state, the edited published text is caught, by validate already.
    git(&ci, &["remote", "set-url", "origin", &w.url()]);
    let (step, log) = apply_job(&ci, false).unwrap_err();
    assert_eq!(step, "Validate", "{log}");
    assert!(log.contains("terms-immutable"), "{log}");
    let (code, _, err) = run(&ci, &["apply"]);
    assert_eq!(code, 1);
    assert!(err.contains("terms-immutable"), "{err}");
}

#[test]
fn a_lost_race_moves_neither_state_ref_and_a_split_state_is_an_error() {
    let w = World::new();
    assert!(apply_job(&w.clone("ci-0"), true).is_ok());
    let applied0 = w.remote_ref("refs/partnerctl/applied").unwrap();

    // Two machines fetch the same state; main moves twice; both apply.
    w.push_change("products/rates.yaml", "lifecycle: beta", "lifecycle: ga", "rates ga");
    let a = w.clone("ci-a");
    git(
        &a,
        &[
            "fetch",
            "-q",
            "origin",
            "refs/partnerctl/*:refs/partnerctl/*",
            "refs/notes/*:refs/notes/*",
        ],
    );
    w.push_change(
        "partners/caribe-shipping.yaml",
        "displayName: Caribe Shipping",
        "displayName: Caribe Shipping Lines",
        "rename caribe",
    );
    let b = w.clone("ci-b");
    git(
        &b,
        &[
            "fetch",
            "-q",
            "origin",
            "refs/partnerctl/*:refs/partnerctl/*",
            "refs/notes/*:refs/notes/*",
        ],
    );
    assert_eq!(run(&a, &["apply"]).0, 0);
    assert_eq!(run(&b, &["apply"]).0, 0);
    let push = [
        "push",
        "--atomic",
        "origin",
        "refs/partnerctl/applied",
        "refs/notes/partnerctl",
    ];
    // B pushes first (its applied commit is newer), then A's push is refused whole.
    git(&b, &push);
    let applied_b = w.remote_ref("refs/partnerctl/applied").unwrap();
    let notes_b = w.remote_ref("refs/notes/partnerctl").unwrap();
    assert_ne!(applied_b, applied0);
    let o = git_in(&a, &push);
    assert!(!o.status.success(), "A's push must be refused");
    assert_eq!(w.remote_ref("refs/partnerctl/applied"), Some(applied_b.clone()));
    assert_eq!(w.remote_ref("refs/notes/partnerctl"), Some(notes_b.clone()));

    // The old way, a lost state and a forced, non-atomic push, splits the state: a clone
    // that did not fetch the state applies from nothing, and its forced ref is accepted while
    // its unrelated notes are refused...
    let w2 = World::new();
    assert!(apply_job(&w2.clone("ci-0"), true).is_ok());
    w2.push_change("products/rates.yaml", "lifecycle: beta", "lifecycle: ga", "rates ga");
    let lost = w2.clone("ci-lost");
    assert_eq!(run(&lost, &["apply", "--initial"]).0, 0);
    let before = (
        w2.remote_ref("refs/partnerctl/applied"),
        w2.remote_ref("refs/notes/partnerctl"),
    );
    // The workflow's push: atomic and not forced, so both are refused and nothing moves.
    let o = git_in(&lost, &push);
    assert!(!o.status.success());
    assert_eq!(
        (
            w2.remote_ref("refs/partnerctl/applied"),
            w2.remote_ref("refs/notes/partnerctl")
        ),
        before
    );
    let o = git_in(
        &lost,
        &[
            "push",
            "origin",
            "+refs/partnerctl/applied:refs/partnerctl/applied",
            "refs/notes/partnerctl:refs/notes/partnerctl",
        ],
    );
    assert!(!o.status.success(), "the notes push is refused");
    assert_ne!(
        w2.remote_ref("refs/partnerctl/applied"),
        before.0,
        "the forced ref went through"
    );
    // ...and partnerctl says so on the next machine instead of treating it as nothing applied.
    let c = w2.clone("ci-c");
    git(
        &c,
        &[
            "fetch",
            "-q",
            "origin",
            "refs/partnerctl/*:refs/partnerctl/*",
            "refs/notes/*:refs/notes/*",
        ],
    );
    for args in [&["plan"][..], &["apply"][..]] {
        let (code, _, err) = run(&c, args);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("the applied state is incomplete"), "{err}");
    }
}

#[test]
fn drift_shows_in_plans_with_a_base_and_a_corrupt_note_is_an_error() {
    let w = World::new();
    let ci = w.clone("ci-1");
    assert!(apply_job(&ci, true).is_ok());
    // A hand edit of the rendered Kong file on the machine that applied.
    edit(
        &ci.join("dist/gateway/kong-production.yaml"),
        "_format_version: '3.0'",
        "_format_version: '3.0'\n# hot fix, key sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    );
    // A pull request's plan against the merge base shows it, with its diff and without the key.
    git(&ci, &["checkout", "-q", "-b", "feature"]);
    for args in [
        &["plan", "--merge-base", "origin/main", "--format", "json"][..],
        &["plan", "--format", "json"][..],
    ] {
        let (code, out, err) = run(&ci, args);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["drift"][0]["path"], "dist/gateway/kong-production.yaml", "{args:?}");
        let diff = v["drift"][0]["diff"].as_str().unwrap();
        assert!(diff.contains("-# hot fix, key «redacted»"), "{diff}");
        assert!(!out.contains("sk_live_4eC39HqLyjWDarjtT1zdp7dc"), "{args:?}");
    }
    let (_, out, _) = run(&ci, &["plan", "--merge-base", "origin/main"]);
    assert!(out.contains("Drift (changed on disk since the last apply"), "{out}");
    assert!(!out.contains("The outputs match the program"), "{out}");

    // A note that is not a record: every command that reads the state stops and says so.
    let head = git(&ci, &["rev-parse", "refs/partnerctl/applied"]);
    git(
        &ci,
        &["notes", "--ref", "partnerctl", "add", "-f", "-m", "{not json", &head],
    );
    for args in [&["plan"][..], &["apply"][..], &["plan", "--base", "main"][..]] {
        let (code, _, err) = run(&ci, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("cannot be read"), "{err}");
    }
    // The ref without its record is not "nothing applied" either.
    git(&ci, &["update-ref", "-d", "refs/notes/partnerctl"]);
    let (code, _, err) = run(&ci, &["apply"]);
    assert_eq!(code, 2);
    assert!(err.contains("has no record for it"), "{err}");
}

#[test]
fn a_missed_deadline_is_excepted_in_review_so_an_urgent_revocation_ships() {
    let w = World::new();
    // partner-tos 2.0 must be re-accepted by 2026-11-20, and Caribe is still on 1.0.
    w.push_change(
        "terms/partner-tos.yaml",
        "reacceptBy: 2026-06-01",
        "reacceptBy: 2026-11-20",
        "re-acceptance of 2.0 by 2026-11-20",
    );
    w.push_change(
        "partners/caribe-shipping.yaml",
        "{terms: partner-tos, version: \"2.0\"",
        "{terms: partner-tos, version: \"1.0\"",
        "caribe is on 1.0",
    );
    let ci = w.clone("ci-0");
    assert!(apply_job(&ci, true).is_ok());
    let dev = w.path("dev");
    // Before the date: a warning; the day after: an error, with no commit in between.
    let (code, out, _) = run_at(&dev, "2026-11-10", &["validate"]);
    assert_eq!(code, 0, "{out}");
    // ...and `due` says so ahead, for the scheduled issue.
    let (code, out, err) = run_at(&dev, "2026-11-10", &["due", "--format", "json", "--detailed-exitcode"]);
    assert_eq!(code, 3, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let item = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "reaccept" && i["partner"] == "caribe-shipping")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(item["date"], "2026-11-20");
    assert_eq!(item["daysLeft"], 10);
    let (code, out, _) = run_at(&dev, "2026-11-21", &["validate"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("terms-outdated"), "{out}");

    // An urgent revocation for another partner cannot ship while the error stands...
    edit(
        &dev.join("partners/emea/baltic-freight.yaml"),
        "secretRef: \"vault://partners/baltic-freight/baltic-sbx-1\"",
        "revoked: 2026-11-21, secretRef: \"vault://partners/baltic-freight/baltic-sbx-1\"",
    );
    git(&dev, &["commit", "-q", "-am", "revoke a leaked key"]);
    git(&dev, &["push", "-q", "origin", "main"]);
    git(&ci, &["pull", "-q", "--ff-only", "origin", "main"]);
    let (code, _, err) = run_at(&ci, "2026-11-21", &["apply"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("terms-outdated"), "{err}");
    // ...until the known problem is excepted, with a reason and a date, in the same review.
    edit(
        &dev.join("program.yaml"),
        "  activeWithinDays: 30\n",
        "  activeWithinDays: 30\n  exceptions:\n    - {code: terms-outdated, resource: partner/caribe-shipping, until: 2026-12-15, reason: \"renegotiating, LEG-123\"}\n",
    );
    git(
        &dev,
        &["commit", "-q", "-am", "except caribe until the renegotiation ends"],
    );
    git(&dev, &["push", "-q", "origin", "main"]);
    let (code, out, err) = run_at(&dev, "2026-11-21", &["plan", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let program = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["resource"] == "program")
        .unwrap();
    assert!(
        program["classes"]
            .as_array()
            .unwrap()
            .contains(&"exception-changed".into()),
        "{program}"
    );
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "terms-outdated")
        .unwrap();
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["exception"]["reason"], "renegotiating, LEG-123");
    assert_eq!(d["exception"]["until"], "2026-12-15");
    git(&ci, &["pull", "-q", "--ff-only", "origin", "main"]);
    let (code, out, err) = run_at(&ci, "2026-11-21", &["apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("~ partner/baltic-freight"), "{out}");
    // After the exception's date it covers nothing, and says so.
    let (code, out, _) = run_at(&dev, "2026-12-16", &["validate"]);
    assert_eq!(code, 1);
    assert!(out.contains("exception-expired"), "{out}");
}

#[test]
fn a_killed_applys_lock_is_taken_over_and_its_temporaries_removed() {
    let w = World::new();
    let ci = w.clone("ci-1");
    assert!(apply_job(&ci, true).is_ok());
    // Left by an apply killed half-way: its lock (a process that is gone) and a temporary.
    std::fs::write(
        ci.join(".git/partnerctl-apply.lock"),
        format!(
            "{{\"host\":\"{}\",\"pid\":4194305,\"started\":\"2026-11-01T10:00:00Z\"}}\n",
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .unwrap_or_default()
                .trim()
        ),
    )
    .unwrap();
    std::fs::write(ci.join("dist/gateway/.partnerctl-x1y2.tmp"), "half").unwrap();
    let (code, out, err) = run(&ci, &["apply"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("took over the apply lock"), "{err}");
    assert!(err.contains("4194305"), "{err}");
    assert!(!ci.join("dist/gateway/.partnerctl-x1y2.tmp").exists());
    assert!(!ci.join(".git/partnerctl-apply.lock").exists());
}

#[test]
fn a_depth_one_clone_says_what_to_fetch_and_never_passes_for_a_first_apply() {
    let w = World::new();
    let dev = w.path("dev");
    git(&dev, &["checkout", "-q", "-b", "feature"]);
    edit(&dev.join("products/rates.yaml"), "lifecycle: beta", "lifecycle: ga");
    git(&dev, &["commit", "-q", "-am", "rates ga"]);
    git(&dev, &["push", "-q", "origin", "feature"]);
    git(
        w.root(),
        &["clone", "-q", "--depth", "1", "-b", "feature", &w.url(), "shallow"],
    );
    let shallow = w.path("shallow");
    for args in [
        &["plan", "--merge-base", "origin/main"][..],
        &["plan", "--base", "origin/main"][..],
    ] {
        let (code, _, err) = run(&shallow, args);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("shallow clone"), "{err}");
        assert!(
            err.contains("git fetch --unshallow") && err.contains("fetch-depth: 0"),
            "{err}"
        );
    }
    // With main fetched but not the history that joins them: still a clear message.
    git(
        &shallow,
        &["fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main"],
    );
    let (code, _, err) = run(&shallow, &["plan", "--merge-base", "origin/main"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no common ancestor in this shallow clone"), "{err}");
    // One commit visible is not a one-commit history: no silent first apply.
    let (code, _, err) = run(&shallow, &["apply"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("shallow clone"), "{err}");
}

#[test]
fn the_merge_base_keeps_mains_newer_changes_out_of_a_branch_plan() {
    let w = World::new();
    let dev = w.path("dev");
    git(&dev, &["checkout", "-q", "-b", "feature"]);
    edit(&dev.join("products/rates.yaml"), "lifecycle: beta", "lifecycle: ga");
    git(&dev, &["commit", "-q", "-am", "rates ga"]);
    // main moves after the branch was opened.
    git(&dev, &["checkout", "-q", "main"]);
    w.push_change(
        "partners/caribe-shipping.yaml",
        "displayName: Caribe Shipping",
        "displayName: Caribe Shipping Lines",
        "rename caribe",
    );
    git(&dev, &["checkout", "-q", "feature"]);
    git(&dev, &["fetch", "-q", "origin"]);
    let resources = |args: &[&str]| -> Vec<String> {
        let (code, out, err) = run(&dev, args);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["resource"].as_str().unwrap().to_string())
            .collect()
    };
    // Against the tip of main, main's rename shows as reverted by the branch.
    assert_eq!(
        resources(&["plan", "--base", "origin/main", "--format", "json"]),
        ["product/rates", "partner/caribe-shipping"]
    );
    // Against the merge base, only what the branch changes.
    assert_eq!(
        resources(&["plan", "--merge-base", "origin/main", "--format", "json"]),
        ["product/rates"]
    );
    let (_, out, _) = run(&dev, &["plan", "--merge-base", "origin/main"]);
    assert!(out.contains("the merge base with origin/main"), "{out}");
}

/// Every file of an output (a file, or a folder's files), by path, in a checkout.
fn output_files(dir: &Path, rel: &str) -> Vec<(String, String)> {
    let p = dir.join(rel);
    if p.is_file() {
        return vec![(rel.to_string(), std::fs::read_to_string(&p).unwrap())];
    }
    let mut out = Vec::new();
    for e in std::fs::read_dir(&p).unwrap_or_else(|e| panic!("{rel}: {e}")) {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        out.extend(output_files(dir, &format!("{rel}/{name}")));
    }
    out
}

/// The example's outputs that carry production keys.
const PRODUCTION_KEYS: [&str; 3] = [
    "dist/gateway/kong-production.yaml",
    "dist/k8s/envoy-gateway-production",
    "dist/k8s/kong-ingress-production",
];

fn names_key(dir: &Path, id: &str) -> Vec<&'static str> {
    PRODUCTION_KEYS
        .iter()
        .filter(|rel| output_files(dir, rel).iter().any(|(_, t)| t.contains(id)))
        .copied()
        .collect()
}

#[test]
fn the_daily_reconcile_applies_a_revocation_on_its_day_with_no_commit_on_main() {
    let w = World::new();
    assert!(apply_job(&w.clone("ci-0"), true).is_ok());
    // Merged on 2026-11-05: caribe's production key stops on 2026-11-20.
    w.push_change(
        "partners/caribe-shipping.yaml",
        "id: caribe-prd-1, environment: production,",
        "id: caribe-prd-1, environment: production, revoked: 2026-11-20,",
        "caribe moves off its production key on 2026-11-20",
    );
    let ci = w.clone("ci-1");
    let log = run_job(&ci, "apply", false, "2026-11-05").unwrap_or_else(|(s, l)| panic!("{s}: {l}"));
    assert!(
        log.contains("credential caribe-prd-1 revoked on 2026-11-20 (production)"),
        "{log}"
    );
    assert_eq!(
        names_key(&ci, "caribe-prd-1"),
        PRODUCTION_KEYS,
        "the key works until its day"
    );
    let main = w.remote_ref("refs/heads/main").unwrap();
    let state = || {
        (
            w.remote_ref("refs/partnerctl/applied"),
            w.remote_ref("refs/notes/partnerctl"),
        )
    };
    assert_eq!(state().0.as_deref(), Some(main.as_str()));

    // The day before it, the scheduled run applies what took effect since (three partners
    // became stuck: the funnel report lists them), not the revocation.
    let ci = w.clone("ci-2");
    let log = run_job(&ci, "reconcile", false, "2026-11-19").unwrap_or_else(|(s, l)| panic!("{s}: {l}"));
    assert!(
        log.contains("prairie-parcel is stuck in `terms_accepted` from 2026-11-10"),
        "{log}"
    );
    assert!(!log.contains("revoked on 2026-11-20 takes effect"), "{log}");
    assert_eq!(names_key(&ci, "caribe-prd-1"), PRODUCTION_KEYS);
    let before = state();
    assert_eq!(before.0.as_deref(), Some(main.as_str()));
    // Run again that day: nothing to do, nothing pushed.
    let log = run_job(&w.clone("ci-2b"), "reconcile", false, "2026-11-19").unwrap_or_else(|(s, l)| panic!("{s}: {l}"));
    assert!(
        log.contains("No changes.") && log.contains("== Apply (skipped)"),
        "{log}"
    );
    assert!(log.contains("== Record the applied state (skipped)"), "{log}");
    assert_eq!(state(), before);

    // On the day, with no commit: a date effect, applied, the state pushed as on a merge.
    let ci = w.clone("ci-3");
    let log = run_job(&ci, "reconcile", false, "2026-11-20").unwrap_or_else(|(s, l)| panic!("{s}: {l}"));
    assert!(
        log.contains("credential caribe-prd-1 revoked on 2026-11-20 takes effect"),
        "{log}"
    );
    assert!(log.contains("classes: date-effect"), "{log}");
    assert!(log.contains("Apply complete:"), "{log}");
    assert_eq!(names_key(&ci, "caribe-prd-1"), Vec::<&str>::new(), "{log}");
    assert!(
        output_files(&ci, "dist/gateway/kong-production.yaml")[0]
            .1
            .contains("caribe-shipping"),
        "caribe keeps its consumer, without the key"
    );
    // No new commit on main; the state is main's commit again, its record a day later, and
    // the notes ref moved forward.
    assert_eq!(w.remote_ref("refs/heads/main"), Some(main.clone()));
    let after = state();
    assert_eq!(after.0.as_deref(), Some(main.as_str()));
    let notes = after.1.clone().unwrap();
    assert_ne!(Some(notes.clone()), before.1);
    let parent = git(&w.remote(), &["rev-parse", &format!("{notes}^")]);
    assert_eq!(Some(parent), before.1, "the notes ref moved forward, never sideways");
    let record = git(&w.remote(), &["notes", "--ref", "partnerctl", "show", &main]);
    assert!(record.contains("\"asOf\": \"2026-11-20\""), "{record}");

    // Run again that day (a second schedule, Run workflow): nothing more.
    let ci = w.clone("ci-4");
    let log = run_job(&ci, "reconcile", false, "2026-11-20").unwrap_or_else(|(s, l)| panic!("{s}: {l}"));
    assert!(log.contains("== Apply (skipped)"), "{log}");
    assert_eq!(state(), after);
}

#[test]
fn the_generated_codeowners_reaches_main_once_and_only_when_it_changes() {
    let w = World::new();
    // As `init` writes it: the codeowners output is the file GitHub reads.
    w.push_change(
        "program.yaml",
        "{target: codeowners, path: dist/CODEOWNERS}",
        "{target: codeowners, path: .github/CODEOWNERS}",
        "CODEOWNERS where GitHub reads it",
    );
    let before = w.remote_ref("refs/heads/main").unwrap();
    let log = apply_job(&w.clone("ci-0"), true).unwrap_or_else(|(s, l)| panic!("{s}: {l}"));
    assert!(log.contains("Committed .github/CODEOWNERS to main."), "{log}");
    let main = w.remote_ref("refs/heads/main").unwrap();
    assert_eq!(
        git(&w.remote(), &["rev-parse", &format!("{main}^")]),
        before,
        "one commit on top"
    );
    let committed = git(&w.remote(), &["show", &format!("{main}:.github/CODEOWNERS")]);
    assert!(committed.contains("@northwind/"), "{committed}");
    let changed = git(&w.remote(), &["show", "--name-only", "--format=", &main]);
    assert_eq!(changed, ".github/CODEOWNERS", "only CODEOWNERS");
    // The state is the commit applied, whose program the CODEOWNERS commit does not change.
    assert_eq!(w.remote_ref("refs/partnerctl/applied"), Some(before));

    // The next merge that does not change the owners commits nothing more.
    w.push_change(
        "partners/caribe-shipping.yaml",
        "displayName: Caribe Shipping",
        "displayName: Caribe Shipping Lines",
        "rename caribe",
    );
    let merged = w.remote_ref("refs/heads/main").unwrap();
    let log = apply_job(&w.clone("ci-1"), false).unwrap_or_else(|(s, l)| panic!("{s}: {l}"));
    assert!(log.contains("CODEOWNERS on main is what the program renders"), "{log}");
    assert_eq!(w.remote_ref("refs/heads/main"), Some(merged.clone()));

    // A new team owning a product changes it: delivered again.
    w.push_change(
        "products/rates.yaml",
        "owner: rates-team",
        "owner: shipments-team",
        "shipments takes over rates",
    );
    let merged = w.remote_ref("refs/heads/main").unwrap();
    let log = apply_job(&w.clone("ci-2"), false).unwrap_or_else(|(s, l)| panic!("{s}: {l}"));
    assert!(log.contains("Committed .github/CODEOWNERS to main."), "{log}");
    let main = w.remote_ref("refs/heads/main").unwrap();
    assert_eq!(git(&w.remote(), &["rev-parse", &format!("{main}^")]), merged);
    // Nothing the scheduled run does commits.
    let log = run_job(&w.clone("ci-3"), "reconcile", false, AS_OF).unwrap_or_else(|(s, l)| panic!("{s}: {l}"));
    assert!(log.contains("== Apply (skipped)"), "{log}");
    assert_eq!(w.remote_ref("refs/heads/main"), Some(main));
}
