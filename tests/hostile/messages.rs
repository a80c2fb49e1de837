//! Hostile input: messages (see main.rs). A value of the repository — a partner's
//! `displayName`, a policy's message, the lines of a terms text, a file's raw bytes — must not
//! become a GitHub workflow command (`::add-mask::`, `::stop-commands::`, `##[…]`), a terminal
//! escape, or, in a pull-request comment, a heading, the end of a `<details>` block, a team
//! mention or a fake part marker (SPEC §9 "Messages").

use super::*;
use common::{copy_example, edit, write};

/// What the attacker writes, as a Rego / YAML double-quoted string.
const PAYLOAD: &str = r#"Evil\n::add-mask::x\n  ::stop-commands::tok\n\u001b[2J\n# heading\n</details>\n@northwind/legal\n<!-- partnerctl:part-break -->\n##[error]fake"#;

/// The same lines in a terms text (no escapes: a Markdown file is taken as written).
const TERMS_LINES: &str = "::add-mask::x\n  ::stop-commands::tok\n# heading\n</details>\n@northwind/legal\n<!-- partnerctl:part-break -->\n<!-- partnerctl:plan part 1/2 -->\n##[error]fake\n";

/// A policy of the program whose message is the payload, on a partner whose `displayName`
/// is the payload too.
fn hostile_program(dir: &Path) {
    let yaml = PAYLOAD.replace(r"\u001b", r"\x1b");
    edit(
        dir,
        "partners/caribe-shipping.yaml",
        "displayName: Caribe Shipping",
        &format!("displayName: \"{yaml}\""),
    );
    write(
        dir,
        "policies/hostile.rego",
        format!(
            r#"package northwind.hostile

import rego.v1

deny contains finding if {{
	some name, partner in input.partners
	name == "caribe-shipping"
	finding := {{
		"rule": "hostile",
		"msg": sprintf("{PAYLOAD} %s", [partner.spec.displayName]),
		"resource": sprintf("partner/%s", [name]),
		"path": "/spec/displayName",
	}}
}}
"#
        ),
    );
}

/// A line is one of partnerctl's own annotations: `::error file=…,line=N,col=N,title=CODE::`,
/// or its notice that a check could not run (`::notice title=partnerctl::`).
fn own_annotation(line: &str) -> bool {
    if line.starts_with("::notice title=partnerctl::") {
        return true;
    }
    let Some(rest) = line
        .strip_prefix("::error ")
        .or_else(|| line.strip_prefix("::warning "))
    else {
        return false;
    };
    let Some((props, _)) = rest.split_once("::") else {
        return false;
    };
    let keys: Vec<&str> = props.split(',').map(|p| p.split('=').next().unwrap_or("")).collect();
    keys == ["file", "line", "col", "title"]
}

/// The runner reads a command on any line (it splits at `\n` and `\r`) whose start, after
/// whitespace, is `::` or `##[`.
fn assert_no_workflow_commands(out: &str, github: bool) {
    for line in out.split(['\n', '\r']) {
        if github && own_annotation(line) {
            continue;
        }
        let t = line.trim_start();
        assert!(
            !t.starts_with("::") && !t.starts_with("##["),
            "a value became a workflow command: {line:?}\n--- output ---\n{out}"
        );
    }
    assert!(!out.contains('\x1b'), "a raw ESC reached the output:\n{out}");
}

/// The Markdown outside fenced code blocks (where GitHub reads headings, HTML and mentions).
fn prose(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<usize> = None;
    for line in md.lines() {
        let ticks = line.len() - line.trim_start_matches('`').len();
        match fence {
            Some(n) if ticks >= n && line.trim_start_matches('`').trim().is_empty() => fence = None,
            Some(_) => {}
            None if ticks >= 3 => fence = Some(ticks),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// No heading, `</details>`, mention or part marker came from the value.
fn assert_markdown_inert(md: &str, own_markers: usize) {
    let text = prose(md);
    for line in text.lines() {
        let t = line.trim_start();
        assert!(
            !(t.starts_with('#') && t.contains("heading")),
            "a value made a heading: {line:?}"
        );
    }
    assert!(!text.contains("@northwind/legal"), "a value mentions a team:\n{text}");
    // Inside a fenced block `</details>` is only text; outside, every one is partnerctl's.
    assert_eq!(
        text.matches("</details>").count(),
        text.matches("<details>").count(),
        "a value closed a <details> block:\n{md}"
    );
    assert_eq!(
        md.matches("<!-- partnerctl:").count(),
        own_markers,
        "a value faked a part marker:\n{md}"
    );
}

#[test]
fn validate_prints_no_workflow_command_escape_or_markup_from_a_value() {
    let dir = copy_example();
    hostile_program(dir.path());
    for format in ["text", "github", "markdown"] {
        let r = run(dir.path(), &["validate", "--format", format]);
        assert_eq!(r.code, Some(1), "{format}: the policy denies\n{}", r.all());
        assert!(
            r.stdout.contains("Evil"),
            "{format}: the finding is shown\n{}",
            r.stdout
        );
        assert_no_workflow_commands(&r.all(), format == "github");
        if format == "markdown" {
            assert_markdown_inert(&r.stdout, 0);
        }
    }
}

#[test]
fn source_snippets_carry_no_terminal_escape_or_carriage_return() {
    let dir = copy_example();
    // A raw ESC, CR and bidi override on the line a finding points at: the policy does not
    // parse there, and the snippet prints that line.
    write(
        dir.path(),
        "policies/broken.rego",
        "package northwind.broken\n\nimport rego.v1\n\ndeny contains msg if { x := \"\x1b[2J\r::add-mask::x\u{202e}evil\" \n",
    );
    // A bidi override in the line of an unknown reference (YAML refuses ESC and CR).
    edit(
        dir.path(),
        "partners/caribe-shipping.yaml",
        "- {product: tracking, plan: starter, environment: sandbox}",
        "- {product: trackinq, plan: starter, environment: sandbox} # \u{202e}evil",
    );
    let r = run(dir.path(), &["validate"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(
        r.stdout.contains("add-mask") && r.stdout.contains("trackinq"),
        "the snippets are shown\n{}",
        r.stdout
    );
    assert_no_workflow_commands(&r.all(), false);
    assert!(
        !r.stdout.contains('\u{202e}'),
        "a bidi override reached the output\n{}",
        r.stdout
    );
}

#[test]
fn plan_prints_no_workflow_command_escape_or_markup_from_a_value() {
    let dir = copy_example();
    // The base holds the hostile values already; the change edits what is next to them, so
    // they come back as context lines of the diffs (indented, and the runner trims): the
    // partner after caribe-shipping in partners.csv, and the line above the terms text's.
    write(
        dir.path(),
        "terms/partner-tos/2.0.md",
        format!("# Terms\n\nIntro.\n\n{TERMS_LINES}\nLast line.\n"),
    );
    hostile_program(dir.path());
    git_commit_all(dir.path(), "base");
    edit(dir.path(), "terms/partner-tos/2.0.md", "Intro.", "Intro, changed.");
    edit(
        dir.path(),
        "partners/emea/fjord-cargo.yaml",
        "displayName: Fjord Cargo",
        "displayName: Fjord Cargo AS",
    );
    for format in ["text", "markdown"] {
        let r = run(dir.path(), &["plan", "--base", "HEAD", "--format", format]);
        assert!(r.code.is_some(), "{format}: plan ran\n{}", r.all());
        assert!(r.stdout.contains("Evil"), "{format}: the change is shown\n{}", r.stdout);
        assert_no_workflow_commands(&r.all(), false);
        if format == "markdown" {
            assert_markdown_inert(&r.stdout, 1);
        }
    }
    // Cut into parts, every part keeps its own marker and no value adds one.
    let r = run(
        dir.path(),
        &["plan", "--base", "HEAD", "--format", "markdown", "--part-limit", "2000"],
    );
    let parts = r.stdout.split("\n<!-- partnerctl:part-break -->\n").count();
    assert!(parts > 1, "the plan is cut into parts\n{}", r.stdout);
    assert_eq!(
        r.stdout.matches("<!-- partnerctl:part-break -->").count(),
        parts - 1,
        "a value faked a part break"
    );
    for part in r.stdout.split("\n<!-- partnerctl:part-break -->\n") {
        assert_markdown_inert(part, 1);
    }
}

/// A policy's `print()` output is the policy author's text: at the start of a stderr line it
/// would be a workflow command (`::add-mask::` hides what CI prints next, `::stop-commands::`
/// switches off the annotations). `validate` and `plan` write it escaped, on lines of their
/// own, through the one stderr writer.
#[test]
fn policy_print_output_starts_no_workflow_command() {
    let dir = copy_example();
    let root = dir.path();
    write(
        root,
        "policies/noisy.rego",
        "package northwind.noisy\n\nimport rego.v1\n\nwarn contains msg if {\n  print(\"::stop-commands::tok\")\n  print(\"x\\n::add-mask::x\\r##[error]fake\")\n  false\n  msg := \"never\"\n}\n",
    );
    git_commit_all(root, "base");
    for args in [
        vec!["validate"],
        vec!["validate", "--format", "json"],
        vec!["plan", "--base", "HEAD"],
        vec!["plan", "--base", "HEAD", "--format", "json"],
    ] {
        let r = run(root, &args);
        assert!(
            r.stderr.contains("stop-commands"),
            "{args:?}: the print is not shown:\n{}",
            r.all()
        );
        assert_no_workflow_commands(&r.stderr, false);
    }
}
