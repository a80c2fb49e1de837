//! Names the commit partnerctl is built from, for `partnerctl --version`:
//! `PARTNERCTL_BUILD_COMMIT` when the release build sets it, else `git rev-parse HEAD` of the
//! source (a clone, or the checkout `cargo install --git` makes), else `unknown`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PARTNERCTL_BUILD_COMMIT");
    let from_env = std::env::var("PARTNERCTL_BUILD_COMMIT")
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let commit = from_env.or_else(git_head).unwrap_or_else(|| "unknown".into());
    // Only hex digits reach the version string, whatever the environment holds.
    let commit: String = if commit.chars().all(|c| c.is_ascii_hexdigit()) {
        commit.chars().take(12).collect()
    } else {
        "unknown".into()
    };
    println!("cargo:rustc-env=PARTNERCTL_COMMIT={commit}");
}

fn git_head() -> Option<String> {
    let dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "HEAD"])?;
    // Rebuild when HEAD moves: the files git itself reads for it.
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
        if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={git_dir}/{r}");
        }
        println!("cargo:rerun-if-changed={git_dir}/packed-refs");
    }
    Some(head)
}
