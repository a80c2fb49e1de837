//! The completion script loads in a real bash and completes what the parser accepts; the man
//! page renders with `man -l`; `--version` names the commit.

use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_partnerctl")
}

fn output(args: &[&str]) -> String {
    let o = Command::new(bin()).args(args).output().unwrap();
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// What bash offers after `line` (completing its last word), with the script loaded as a
/// user's `.bashrc` would load it.
fn complete(script: &std::path::Path, line: &str) -> Vec<String> {
    let program = r#"source "$1" || exit 9
complete -p partnerctl >/dev/null || exit 8
COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<< "$2"
case "$2" in *" ") COMP_WORDS+=("");; esac
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_partnerctl partnerctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#;
    let o = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", program, "bash"])
        .arg(script)
        .arg(line)
        .output()
        .expect("bash runs");
    assert!(
        o.status.success(),
        "bash could not load or run the script ({:?}): {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_subcommands_and_their_flags() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("partnerctl.bash");
    std::fs::write(&script, output(&["completions", "bash"])).unwrap();

    let subcommands = complete(&script, "partnerctl ");
    for c in ["validate", "plan", "apply", "due", "approvals", "completions", "man"] {
        assert!(subcommands.contains(&c.to_string()), "{c} not offered: {subcommands:?}");
    }
    assert_eq!(complete(&script, "partnerctl va"), ["validate"]);
    assert_eq!(complete(&script, "partnerctl plan --merge"), ["--merge-base"]);
    let apply = complete(&script, "partnerctl apply --");
    assert!(apply.contains(&"--initial".to_string()), "{apply:?}");
    let shells = complete(&script, "partnerctl completions ");
    for s in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(shells.contains(&s.to_string()), "{shells:?}");
    }
}

#[test]
fn every_shell_gets_a_script_and_an_unknown_one_is_a_usage_error() {
    for (shell, marker) in [
        ("zsh", "#compdef partnerctl"),
        ("fish", "complete -c partnerctl"),
        ("elvish", "edit:completion:arg-completer[partnerctl]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let s = output(&["completions", shell]);
        assert!(s.contains(marker), "{shell}: {}", &s[..s.len().min(300)]);
    }
    let o = Command::new(bin()).args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("possible values"));
}

#[test]
fn the_man_page_renders_with_man() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("partnerctl.1");
    std::fs::write(&page, output(&["man"])).unwrap();
    let o = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "100")
        .output();
    let Ok(o) = o else {
        assert!(
            std::env::var_os("CI").is_none(),
            "man is needed in CI (.ci/run installs man-db)"
        );
        return;
    };
    assert!(o.status.success(), "man -l: {}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    // man emboldens with backspaces when it thinks it prints to a terminal; drop them.
    let plain: String = {
        let mut s = String::new();
        for c in text.chars() {
            if c == '\u{8}' {
                s.pop();
            } else {
                s.push(c);
            }
        }
        s
    };
    for needed in ["NAME", "SYNOPSIS", "partnerctl", "validate", "--as-of", "VERSION"] {
        assert!(plain.contains(needed), "{needed} not in the rendered page:\n{plain}");
    }

    // One page per command, for a man1/ folder.
    let out = dir.path().join("man1");
    let listed = output(&["man", "--out-dir", out.to_str().unwrap()]);
    for page in [
        "partnerctl.1",
        "partnerctl-plan.1",
        "partnerctl-due.1",
        "partnerctl-approvals.1",
    ] {
        assert!(out.join(page).is_file(), "{page} missing: {listed}");
    }
}

#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let v = output(&["--version"]);
    let v = v.trim();
    let rest = v
        .strip_prefix(&format!("partnerctl {} (", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{v}"));
    let commit = rest.strip_suffix(')').unwrap_or_else(|| panic!("{v}"));
    assert!(
        commit == "unknown" || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{v}"
    );
    // Built from a git checkout (as here and in CI), it is that checkout's commit.
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Some(h) = head.ok().filter(|h| h.status.success()) {
        let head = String::from_utf8_lossy(&h.stdout);
        assert!(head.starts_with(commit), "{v} is not HEAD {head}");
    }
}
