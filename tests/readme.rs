//! The README's walk along the onboarding path works as shown: each command of the console
//! block under "The onboarding path, on the example" is run as written (with the built
//! binary for `cargo run -q --` and a temp folder for `/tmp/northwind`), must succeed, and
//! must print the lines shown after it, in that order (`…` stands for lines left out).

use std::path::Path;
use std::process::Command;

fn walk() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("### The onboarding path, on the example")
        .expect("the README walks the onboarding path");
    let block = &readme[start..];
    let open = block.find("```console\n").expect("a console block") + "```console\n".len();
    let close = block[open..].find("```").unwrap() + open;
    let mut steps: Vec<(String, Vec<String>)> = Vec::new();
    for line in block[open..close].lines() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            steps.push((cmd.to_string(), Vec::new()));
        } else if let Some((_, shown)) = steps.last_mut() {
            shown.push(line.to_string());
        }
    }
    steps
}

#[test]
fn the_readme_walk_along_the_onboarding_path_works_as_shown() {
    let steps = walk();
    assert!(steps.len() >= 4, "{steps:?}");
    assert!(steps.iter().any(|(c, _)| c.contains(" request ")), "a request");
    assert!(steps.iter().any(|(c, _)| c.contains(" plan ")), "its plan");
    assert!(steps.iter().any(|(c, _)| c.contains(" status ")), "the status");
    let tmp = tempfile::tempdir().unwrap();
    let program = tmp.path().join("northwind");
    let bin = env!("CARGO_BIN_EXE_partnerctl");
    for (cmd, shown) in &steps {
        let script = cmd
            .replace("cargo run -q --", bin)
            .replace("/tmp/northwind", program.to_str().unwrap());
        let o = Command::new("bash")
            .args(["--noprofile", "--norc", "-e", "-c", &script])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "dev")
            .env("GIT_AUTHOR_EMAIL", "dev@example.invalid")
            .env("GIT_COMMITTER_NAME", "dev")
            .env("GIT_COMMITTER_EMAIL", "dev@example.invalid")
            .env("NO_COLOR", "1")
            .env_remove("PARTNERCTL_AS_OF")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success(),
            "`{cmd}` failed:\n{out}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let mut rest = out.as_str();
        for line in shown.iter().filter(|l| l.trim() != "…") {
            let Some(at) = rest.find(line.as_str()) else {
                panic!("`{cmd}` does not print, at this point, the line\n{line}\nIt printed:\n{out}");
            };
            rest = &rest[at + line.len()..];
        }
    }
    // The request left a program validate accepts.
    let o = Command::new(bin)
        .args(["validate", "--as-of", "2026-11-01", "-C"])
        .arg(&program)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}
