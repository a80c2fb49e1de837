//! The git command line, as the workflow tests run it: a fixed author and committer, and
//! neither the user's nor the system's configuration.

use std::path::Path;
use std::process::Command;

/// Runs git in `dir` and returns what it did, failed or not.
pub fn git_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.invalid")
        .env("GIT_COMMITTER_NAME", "dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.invalid")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs")
}

/// Runs git and insists that it succeeds; its standard output, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = git_in(dir, args);
    assert!(
        o.status.success(),
        "git {args:?} failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}
