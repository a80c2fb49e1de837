//! Hostile pull requests (SPEC §9, docs/security.md): one module per class of attack, each
//! test driving the real binary on a copy of the bundled example that an attacker has edited.
//!
//! Every test here is written against the binary only (no library API), so the same file runs
//! against an older build to show that it fails without the defence; `tests/hostile/README.md`
//! records that run.

#[path = "../common/mod.rs"]
mod common;

mod approvals;
mod budgets;
mod catalogs;
mod encoding;
mod kubernetes;
mod memory;
mod messages;
mod paths;
mod placement;
mod requests;
mod routes;
mod secrets;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// A finished run of the binary: exit code (None when killed by a signal or the timeout),
/// stdout and stderr as text.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Everything the run printed.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs `partnerctl ARGS -C DIR --as-of 2026-11-01` with a time limit; a hang or a crash is a
/// failed test, never a stuck suite.
pub fn run_in(dir: &Path, args: &[&str], limit: Duration) -> Run {
    let mut cmd = assert_cmd::Command::cargo_bin("partnerctl").expect("binary");
    cmd.args(args)
        .arg("-C")
        .arg(dir)
        .args(["--as-of", common::AS_OF])
        .env("NO_COLOR", "1")
        .timeout(limit);
    Run::from(cmd.output().expect("run partnerctl"))
}

/// [`run_in`] with 60 seconds.
pub fn run(dir: &Path, args: &[&str]) -> Run {
    run_in(dir, args, Duration::from_secs(60))
}

/// Makes `dir` a git repository with everything in it committed (one commit per call).
pub fn git_commit_all(dir: &Path, message: &str) -> String {
    let repo = git2::Repository::open(dir)
        .or_else(|_| git2::Repository::init(dir))
        .expect("git repo");
    let mut index = repo.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@example.com").unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
        .to_string()
}
