//! The messages of everyday mistakes, as a partner manager meets them: each fixture under
//! `tests/fixtures/mistake-*/` is the example with one mistake; the test asserts the finding
//! (its line, its words, its hint), then does what the hint says, taking the text to write
//! from the hint itself, and expects a clean `validate` (or plan).

mod common;
mod plan_common;

use common::{as_of, copy_example_with};
use partnerctl::diag::{Code, Diagnostic, Severity};
use std::path::Path;

fn validate(dir: &Path) -> Vec<Diagnostic> {
    partnerctl::validate_dir(dir, as_of())
        .expect("the program is readable")
        .diagnostics
}

/// The one finding of a program with one mistake.
#[track_caller]
fn only(dir: &Path) -> Diagnostic {
    let mut all = validate(dir);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.remove(0)
}

#[track_caller]
fn assert_clean(dir: &Path) {
    let all = validate(dir);
    assert!(all.is_empty(), "following the hint left findings: {all:#?}");
}

/// The spans of a hint written between backticks, in order.
fn quoted(hint: &str) -> Vec<&str> {
    hint.split('`').skip(1).step_by(2).collect()
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).unwrap();
}

#[test]
fn a_key_indented_three_spaces_is_reported_at_its_own_line_with_a_hint_that_works() {
    let dir = copy_example_with(&["mistake-indent"]);
    let d = only(dir.path());
    let file = "partners/emea/acme-logistics.yaml";
    assert_eq!(
        (d.code, d.file.as_str(), d.line, d.column),
        (Code::YamlSyntax, file, 4, 4)
    );
    assert_eq!(
        d.message,
        "`name` is indented 3 spaces, but `owner` on line 5, under the same `metadata`, is indented 2 spaces: \
         entries of one mapping or list line up (the YAML parser: while parsing a block mapping, did not find expected key)"
    );
    let hint = d.hint.unwrap();
    assert_eq!(
        hint,
        "move line 4 1 space to the left, so that `name` is indented 2 spaces like `owner` on line 5"
    );

    // Do what it says: "move line N K space(s) to the left".
    let re = regex::Regex::new(r"^move line (\d+) (\d+) spaces? to the left").unwrap();
    let c = re.captures(&hint).unwrap();
    let (line, by): (usize, usize) = (c[1].parse().unwrap(), c[2].parse().unwrap());
    let text = read(dir.path(), file);
    let fixed: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line {
                l[by..].to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    write(dir.path(), file, &(fixed.join("\n") + "\n"));
    assert_clean(dir.path());
}

#[test]
fn a_key_indented_less_than_the_one_before_it_gets_its_own_hint() {
    let dir = copy_example_with(&["mistake-indent"]);
    let file = "partners/emea/acme-logistics.yaml";
    // The other way round: `name` as the file indents, `owner` one space short.
    let text = read(dir.path(), file).replace("   name: acme-logistics\n  owner:", "  name: acme-logistics\n owner:");
    write(dir.path(), file, &text);
    let d = only(dir.path());
    assert_eq!((d.line, d.column), (5, 2));
    assert!(
        d.message.starts_with(
            "`owner` is indented 1 space, but `name` before it under `metadata` (line 4) is indented 2 spaces"
        ),
        "{}",
        d.message
    );
    let hint = d.hint.unwrap();
    assert_eq!(hint, "indent `owner` on line 5 by 2 spaces, as `name` on line 4");
    let re = regex::Regex::new(r"^indent `(\w+)` on line (\d+) by (\d+) spaces").unwrap();
    let c = re.captures(&hint).unwrap();
    let (line, to): (usize, usize) = (c[2].parse().unwrap(), c[3].parse().unwrap());
    let fixed: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line {
                format!("{}{}", " ".repeat(to), l.trim_start())
            } else {
                l.to_string()
            }
        })
        .collect();
    write(dir.path(), file, &(fixed.join("\n") + "\n"));
    assert_clean(dir.path());
}

#[test]
fn a_date_written_wrong_is_one_finding_per_node_naming_the_form_and_the_date_meant() {
    let dir = copy_example_with(&["mistake-date"]);
    let file = "partners/emea/acme-logistics.yaml";
    let all = validate(dir.path());
    let summary: Vec<(usize, &str, &str)> = all
        .iter()
        .map(|d| (d.line, d.message.as_str(), d.hint.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        summary,
        [
            (
                33,
                "`spec.credentials[1].expires`: `2027-13-03` is not a date: there is no month 13",
                "dates are YYYY-MM-DD, the month before the day: did you mean `2027-03-13`?"
            ),
            (
                37,
                "`spec.credentials[3].created`: `2026-3-2` is not written YYYY-MM-DD",
                "write it `2026-03-02`: a two-digit month and day, joined by `-`"
            ),
        ],
        "{all:#?}"
    );
    assert!(all.iter().all(|d| d.code == Code::Schema && d.file == file));

    // Write the date each hint names, on the line of its finding.
    let mut lines: Vec<String> = read(dir.path(), file).lines().map(str::to_string).collect();
    for d in &all {
        let hint = d.hint.as_deref().unwrap();
        let meant = quoted(hint).into_iter().find(|q| q.len() == 10).unwrap();
        let wrong = d.message.split('`').nth(3).unwrap();
        let l = &mut lines[d.line - 1];
        assert_eq!(l.matches(wrong).count(), 1, "{l}");
        *l = l.replace(wrong, meant);
    }
    write(dir.path(), file, &(lines.join("\n") + "\n"));
    assert_clean(dir.path());
}

/// Appends history entries after the last one of a partner file.
fn append_history(text: &str, entries: &[String]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let last = lines
        .iter()
        .rposition(|l| l.trim_start().starts_with("- {stage:"))
        .unwrap();
    for (k, e) in entries.iter().enumerate() {
        lines.insert(last + 1 + k, format!("    {e}"));
    }
    lines.join("\n") + "\n"
}

#[test]
fn a_stage_ahead_of_its_history_names_every_missing_step() {
    let dir = copy_example_with(&["mistake-history"]);
    let file = "partners/apac/monsoon-freight.yaml";
    let d = only(dir.path());
    assert_eq!((d.code, d.file.as_str(), d.line), (Code::HistoryInvalid, file, 14));
    assert_eq!(d.message, "stage is `sandbox` but history ends at `registered`");
    let hint = d.hint.unwrap();
    assert_eq!(
        hint,
        "add `- {stage: terms_accepted, date: YYYY-MM-DD}` and `- {stage: sandbox, date: YYYY-MM-DD}` \
         to the end of the history, each with the date it was reached"
    );
    // The dates the partner reached them (from its acceptance and its first credential).
    let dates = ["2026-09-15", "2026-09-29"];
    let entries: Vec<String> = quoted(&hint)
        .iter()
        .zip(dates)
        .map(|(e, date)| e.replace("YYYY-MM-DD", date))
        .collect();
    let text = read(dir.path(), file);
    write(dir.path(), file, &append_history(&text, &entries));
    assert_clean(dir.path());

    // Someone who adds only the stage it is in is told the step between, and that works too.
    write(dir.path(), file, &append_history(&text, &entries[1..]));
    let d = only(dir.path());
    assert_eq!(
        d.message,
        "history moves from `registered` to `sandbox`; after `registered` comes `terms_accepted`, `suspended` or `offboarded`"
    );
    let hint = d.hint.unwrap();
    assert_eq!(
        hint,
        "partners move one stage at a time: insert `- {stage: terms_accepted, date: YYYY-MM-DD}` above it, each with the date it was reached"
    );
    let insert = quoted(&hint)[0].replace("YYYY-MM-DD", dates[0]);
    let fixed = read(dir.path(), file).replace(
        &format!("    {}\n", entries[1]),
        &format!("    {insert}\n    {}\n", entries[1]),
    );
    write(dir.path(), file, &fixed);
    assert_clean(dir.path());
}

#[test]
fn a_required_terms_that_does_not_exist_is_the_one_finding_with_a_hint() {
    let dir = copy_example_with(&["mistake-required-terms"]);
    let all = validate(dir.path());
    // The cause alone: no "has not accepted nda" for each partner past registered.
    assert!(all.iter().all(|d| d.code != Code::TermsMissing), "{all:#?}");
    let d = only(dir.path());
    assert_eq!(
        (d.code, d.file.as_str(), d.line),
        (Code::UnknownReference, "program.yaml", 15)
    );
    assert_eq!(
        d.message,
        "required terms `nda` do not exist, so no partner can accept them"
    );
    let hint = d.hint.unwrap();
    assert_eq!(
        hint,
        "remove `nda` from requiredTerms, or add terms/nda.yaml (a Terms document with its versions and their texts) in the same change"
    );
    let name = quoted(&hint)[0];
    let program = read(dir.path(), "program.yaml").replace(&format!(", {name}]"), "]");
    write(dir.path(), "program.yaml", &program);
    assert_clean(dir.path());
}

#[test]
fn terms_outdated_names_the_exception_route_and_both_routes_work() {
    let dir = copy_example_with(&["mistake-terms-outdated"]);
    let file = "partners/emea/acme-logistics.yaml";
    let d = only(dir.path());
    assert_eq!(
        (d.code, d.severity, d.file.as_str()),
        (Code::TermsOutdated, Severity::Error, file)
    );
    let hint = d.hint.unwrap();
    assert!(hint.contains("an exception keeps it a warning"), "{hint}");
    assert!(hint.contains("until at most 90 days ahead"), "{hint}");
    let [agreement, exception] = quoted(&hint)[..] else {
        panic!("two snippets: {hint}")
    };
    assert_eq!(
        exception,
        "- {code: terms-outdated, resource: partner/acme-logistics, until: YYYY-MM-DD, reason: \"...\"}"
    );

    // The agreement, where the hint says: under spec.agreements.
    let text = read(dir.path(), file);
    let agreed = agreement
        .replace("YYYY-MM-DD", "2026-10-20")
        .replace("signedBy: ...", "signedBy: Petra Lang");
    write(
        dir.path(),
        file,
        &text.replace("  subscriptions:\n", &format!("    {agreed}\n  subscriptions:\n")),
    );
    assert_clean(dir.path());

    // The exception, under spec.exceptions of program.yaml: a warning carrying its reason.
    write(dir.path(), file, &text);
    let excepted = exception
        .replace("YYYY-MM-DD", "2026-12-01")
        .replace("\"...\"", "\"renegotiating, LEG-7\"");
    let program = read(dir.path(), "program.yaml");
    write(
        dir.path(),
        "program.yaml",
        &program.replace("  outputs:\n", &format!("  exceptions:\n    {excepted}\n  outputs:\n")),
    );
    let all = validate(dir.path());
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!((all[0].code, all[0].severity), (Code::TermsOutdated, Severity::Warning));
    assert_eq!(all[0].exception.as_ref().unwrap().reason, "renegotiating, LEG-7");

    let explain = assert_cmd::Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["explain", "terms-outdated"])
        .output()
        .unwrap();
    let explain = String::from_utf8(explain.stdout).unwrap();
    assert!(explain.contains("`spec.exceptions`"), "{explain}");
    assert!(explain.contains("code: terms-outdated"), "{explain}");
}

#[test]
fn an_edited_published_text_points_at_the_line_and_a_new_version_is_a_redline() {
    let r = plan_common::Repo::northwind();
    r.only_csv_output();
    r.commit("outputs: only the csv");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mistake-terms-edited"),
        r.root(),
    );
    let (code, out, err) = r.run(&["plan", "--base", "HEAD"]);
    assert_eq!(code, 1, "{out}{err}");
    let expected = "\
error[terms-immutable]: terms partner-tos version 1.0: the published text was changed (line 5); partners accepted it as it was on 2025-01-01
  ┌─ terms/partner-tos/1.0.md:5:1
  │
5 │ These terms govern your use of the Northwind partner APIs (the \"APIs\" and any beta APIs). By
  │ ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  │
  = hint: restore terms/partner-tos/1.0.md as published and put the change in a new version: \
a new file (e.g. partner-tos/3.0.md) and `- {version: \"3.0\", effective: YYYY-MM-DD, file: partner-tos/3.0.md}` \
at the end of spec.versions in terms/partner-tos.yaml
";
    assert!(out.contains(expected), "{out}");

    // Follow it: the published text back, the change as version 3.0 (from 2.0's text).
    let hint = out.lines().find(|l| l.contains("= hint: restore")).unwrap();
    let [version] = quoted(hint)[..] else { panic!("{hint}") };
    let new_file = version.split("file: ").nth(1).unwrap().trim_end_matches('}');
    let edited = r.read("terms/partner-tos/1.0.md");
    let published = std::fs::read_to_string(common::example_dir().join("terms/partner-tos/1.0.md")).unwrap();
    r.write("terms/partner-tos/1.0.md", &published);
    let line5 = edited.lines().nth(4).unwrap();
    let v3 = r
        .read("terms/partner-tos/2.0.md")
        .replace(
            "Version 2.0 — effective 1 March 2026",
            "Version 3.0 — effective 1 December 2026",
        )
        .replace(published.lines().nth(4).unwrap(), line5);
    r.write(&format!("terms/{new_file}"), &v3);
    let terms = r.read("terms/partner-tos.yaml");
    r.write(
        "terms/partner-tos.yaml",
        &format!("{terms}    {}\n", version.replace("YYYY-MM-DD", "2026-12-01")),
    );
    let (code, out, err) = r.run(&["plan", "--base", "HEAD"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("error["), "{out}");
    assert_clean(r.root());
    // The new version reads as a redline against 2.0, not as 90 added lines.
    assert!(
        out.contains("--- a/terms/partner-tos/2.0.md\n") && out.contains("+++ b/terms/partner-tos/3.0.md\n"),
        "{out}"
    );
    assert!(out.contains("-Version 2.0 — effective 1 March 2026"), "{out}");
    assert!(out.contains("+Version 3.0 — effective 1 December 2026"), "{out}");
    let block: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.contains("+++ b/terms/partner-tos/3.0.md"))
        .skip(1)
        .take_while(|l| l.starts_with("        "))
        .collect();
    let added = block.iter().filter(|l| l.trim_start().starts_with('+')).count();
    assert_eq!(added, 2, "only the changed lines are added: {out}");
}
