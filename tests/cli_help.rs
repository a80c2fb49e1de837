//! `--help` says what each command does: its `--format` offers exactly the formats the
//! command writes (found by asking the command for each of them), and the texts point at
//! pages this repository has.

use assert_cmd::Command;
use std::collections::BTreeSet;
use std::path::Path;

const ALL: [&str; 5] = ["text", "json", "markdown", "github", "sarif"];

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .env("NO_COLOR", "1")
        .env_remove("PARTNERCTL_AS_OF")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The names under `Commands:` of a help text, without `help`.
fn commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// Every command a user can run, as its words: `["validate"]`, `["policy", "test"]`, ...
fn leaves() -> Vec<Vec<String>> {
    let (_, top, _) = run(&["--help"]);
    let mut out = Vec::new();
    for c in commands(&top) {
        let (_, help, _) = run(&[c.as_str(), "--help"]);
        let subs = commands(&help);
        if subs.is_empty() {
            out.push(vec![c]);
        } else {
            out.extend(subs.into_iter().map(|s| vec![c.clone(), s]));
        }
    }
    out
}

/// The `--format` values `-h` lists for a command; `None` when it has no `--format`.
fn offered(path: &[String]) -> Option<BTreeSet<String>> {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("-h");
    let (code, help, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let line = help.lines().find(|l| l.trim_start().starts_with("--format"))?;
    let list = line.split("[possible values: ").nth(1).expect("a list of formats");
    Some(list.trim_end_matches(']').split(", ").map(str::to_string).collect())
}

/// Arguments that get each command past its parsing and then fail on the first thing it
/// reads (nothing here exists), so that only the check of the format tells the runs apart.
fn probe_args(path: &[String], missing: &str) -> Vec<String> {
    let m = |s: &str| format!("{missing}/{s}");
    let extra: Vec<String> = match path.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["audit"] => vec!["--gateway".into(), m("dump.yaml")],
        ["approvals"] => vec![
            "--plan".into(),
            m("p.json"),
            "--reviews".into(),
            m("r.json"),
            "--teams".into(),
            m("t.json"),
        ],
        ["import", "kong"] => vec![m("kong.yaml")],
        ["import", "openapi"] => vec![m("api.yaml"), "--product".into(), "x".into()],
        ["init"] => vec![m("new")],
        ["schema"] => vec!["partner".into()],
        ["explain"] => vec!["stage-gate".into()],
        ["status"] => vec!["some-partner".into()],
        _ => vec![],
    };
    path.iter().cloned().chain(extra).collect()
}

#[test]
fn every_command_offers_exactly_the_formats_it_writes() {
    let missing = tempfile::tempdir().unwrap();
    let absent = missing.path().join("absent");
    let absent = absent.to_str().unwrap();
    let leaves = leaves();
    assert!(leaves.len() >= 17, "{leaves:?}");
    for path in &leaves {
        let name = path.join(" ");
        let Some(offered) = offered(path) else {
            // Commands that print no report (completions, man) take no --format.
            continue;
        };
        assert!(!offered.is_empty(), "{name}");
        let mut accepted = BTreeSet::new();
        for format in ALL {
            // Given before the command's name, the flag reaches the command whatever it is:
            // the command itself says whether it writes that format.
            let mut args = vec!["-C".to_string(), absent.to_string(), "--format".into(), format.into()];
            args.extend(probe_args(path, absent));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (code, _, err) = run(&args);
            if err.contains(&format!("does not write --format {format}")) {
                assert_eq!(code, 2, "{name} --format {format}: {err}");
            } else {
                accepted.insert(format.to_string());
            }
            // After it, clap refuses what the command does not write.
            let mut after: Vec<String> = probe_args(path, absent);
            after.splice(path.len()..path.len(), ["--format".to_string(), format.to_string()]);
            let mut args = vec!["-C".to_string(), absent.to_string()];
            args.extend(after);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (code, _, err) = run(&args);
            if !offered.contains(format) {
                assert_eq!(code, 2, "{name} --format {format}");
                assert!(err.contains("invalid value"), "{name} --format {format}: {err}");
            } else {
                assert!(!err.contains("invalid value"), "{name} --format {format}: {err}");
            }
        }
        assert_eq!(
            offered, accepted,
            "`{name} --help` offers formats other than those it writes"
        );
    }
}

#[test]
fn schema_refuses_markdown_instead_of_printing_json() {
    let (code, out, err) = run(&["schema", "partner", "--format", "markdown"]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("[possible values: json]"), "{err}");
    let (code, out, _) = run(&["schema", "partner"]);
    assert_eq!(code, 0);
    assert!(out.starts_with('{'));
}

#[test]
fn import_kong_and_import_openapi_each_list_only_their_own_flags() {
    let (_, kong, _) = run(&["import", "kong", "--help"]);
    for flag in ["--merge", "--environment", "--owner", "--dry-run"] {
        assert!(kong.contains(flag), "{flag}: {kong}");
    }
    for flag in ["--product", "--upstream", "--plan", "--lifecycle"] {
        assert!(!kong.contains(flag), "{flag} is OpenAPI's: {kong}");
    }
    let (_, openapi, _) = run(&["import", "openapi", "--help"]);
    for flag in [
        "--product",
        "--upstream",
        "--plan",
        "--lifecycle",
        "--owner",
        "--dry-run",
    ] {
        assert!(openapi.contains(flag), "{flag}: {openapi}");
    }
    for flag in ["--merge", "--environment"] {
        assert!(!openapi.contains(flag), "{flag} is Kong's: {openapi}");
    }
    let (code, _, err) = run(&["import", "openapi", "api.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("--product <NAME>"), "{err}");
}

#[test]
fn help_texts_point_at_pages_this_repository_has() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = Vec::new();
    let (_, top, _) = run(&["--help"]);
    let mut texts = vec![("partnerctl".to_string(), top)];
    for path in leaves() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        texts.push((path.join(" "), run(&args).1));
    }
    for (name, help) in &texts {
        assert!(
            !help.contains("SPEC"),
            "`{name} --help` cites a SPEC this repository does not have:\n{help}"
        );
        for (i, _) in help.match_indices("docs/") {
            let page: String = help[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_'))
                .collect();
            let page = page.trim_end_matches('.').to_string();
            assert!(
                root.join(&page).is_file(),
                "`{name} --help` points at {page}, which does not exist"
            );
            pages.push(page);
        }
    }
    assert!(pages.iter().any(|p| p == "docs/funnel.md"), "{pages:?}");
}
