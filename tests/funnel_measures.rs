//! SPEC §14 on a fixture whose answers were worked out by hand
//! (`tests/fixtures/funnel-measures`, as of 2026-06-30, `activeWithinDays: 30`).
//!
//! The logs cover 2026-05-01 to 2026-06-29 (usage.jsonl: SPEC §8 lines; envoy.jsonl: an Envoy
//! JSON access log; kong.jsonl: Kong file-log; rollup.jsonl: the daily rollup of all three).
//! - gamma: sandbox access 2025-11-10, before the window: its first call is unknown; calls
//!   in production on 05-01 and 06-20 → active.
//! - hotel: sandbox 05-10, calls 05-13 (3 days) and 05-20 (a 500: still a call) → dormant.
//! - india (Envoy): sandbox 05-06, calls 05-16 (10 days) and 06-25, two 429s → active, blocked.
//! - juliet: suspended, sandbox 01-20 (unknown); on 06-28 three 403s and a 401 only → not
//!   active, not dormant, blocked 403 ×3.
//! - kilo (Kong, by consumer): sandbox 06-12, calls 06-14 (2 days) and 06-29, one 403 →
//!   active, blocked.
//! - lima: registered only, no credential. mike: sandbox 05-20, never called.

mod common;

use assert_cmd::Command;
use partnerctl::spec::Date;
use partnerctl::visibility::funnel::{self, Funnel};
use partnerctl::visibility::usage::{Usage, UsageError};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const FIXTURE: &str = "tests/fixtures/funnel-measures";

fn today() -> Date {
    Date::parse("2026-06-30").unwrap()
}

fn program() -> partnerctl::model::Program {
    let snapshot = partnerctl::source::Snapshot::from_dir(Path::new(FIXTURE)).unwrap();
    let loaded = partnerctl::model::load(snapshot);
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    loaded.program
}

fn file(name: &str) -> PathBuf {
    Path::new(FIXTURE).join(name)
}

fn usage(files: &[&str]) -> Usage {
    let mut u = Usage::until(today());
    for f in files {
        u.read_file(&file(f)).unwrap();
    }
    u
}

fn raw() -> Funnel {
    funnel::compute(
        &program(),
        today(),
        Some(&usage(&["usage.jsonl", "envoy.jsonl", "kong.jsonl"])),
    )
}

/// The funnel as JSON without `usage` (which names the files and counts their lines).
fn measures(f: &Funnel) -> Value {
    let mut v = serde_json::to_value(f).unwrap();
    v.as_object_mut().unwrap().remove("usage");
    v
}

#[test]
fn the_usage_window_is_stated() {
    let f = raw();
    let w = f.usage_window.unwrap();
    assert_eq!(
        (w.from.to_string(), w.to.to_string()),
        ("2026-05-01".into(), "2026-06-29".into())
    );
    let u = f.usage.as_ref().unwrap();
    // 8 SPEC §8 calls, 4 Envoy calls (the fifth line names nobody), 3 Kong calls.
    assert_eq!((u.calls, u.anonymous, u.problem_count), (15, 1, 0));
}

#[test]
fn partners_whose_sandbox_access_predates_the_window_are_unknown() {
    let f = raw();
    let t = f.time_to_first_call.as_ref().unwrap();
    // hotel 3, india 10, kilo 2 → sorted [2, 3, 10]: median 3, p90 (nearest rank 3) 10;
    // gamma and juliet got sandbox access before 2026-05-01.
    assert_eq!((t.n, t.median, t.p90, t.unknown), (3, Some(3.0), Some(10), 2));
    let gamma = f.first_calls.iter().find(|c| c.partner == "gamma").unwrap();
    assert_eq!(
        (gamma.date.to_string(), gamma.days_after_sandbox, gamma.known),
        ("2026-05-01".into(), None, false),
        "no \"172 days after sandbox\" for a partner the logs started after"
    );
    let firsts: Vec<(&str, Option<i64>)> = f
        .first_calls
        .iter()
        .map(|c| (c.partner.as_str(), c.days_after_sandbox))
        .collect();
    assert_eq!(
        firsts,
        [
            ("gamma", None),
            ("hotel", Some(3)),
            ("india", Some(10)),
            ("kilo", Some(2))
        ]
    );
}

#[test]
fn calls_answered_401_or_403_do_not_make_a_partner_active() {
    let f = raw();
    assert_eq!(f.active, ["gamma", "india", "kilo"]);
    assert!(!f.active.contains(&"juliet".to_string()));
    assert!(f.first_calls.iter().all(|c| c.partner != "juliet"));
}

#[test]
fn dormant_and_never_called() {
    let f = raw();
    // hotel's last call (a 500, still a call) is 41 days before 2026-06-30.
    assert_eq!(f.dormant, ["hotel"]);
    // mike has a credential and no call; juliet is suspended (its credentials revoked) (not expected to call); lima
    // has no credential.
    assert_eq!(f.never_called, ["mike"]);
}

#[test]
fn blocked_answers_per_partner() {
    let v = serde_json::to_value(raw()).unwrap();
    assert_eq!(
        v["blocked"],
        json!([
            {"partner": "india", "status": 429, "count": 2},
            {"partner": "juliet", "status": 403, "count": 3},
            {"partner": "kilo", "status": 403, "count": 1},
        ])
    );
}

#[test]
fn cohorts_by_registration_month() {
    let v = serde_json::to_value(funnel::compute(&program(), today(), None)).unwrap();
    // gamma: 2025-11-03 → live 2025-12-15 = 42 days; juliet: 2026-01-10 → 2026-02-15 = 36.
    assert_eq!(
        v["cohorts"],
        json!([
            {"month": "2025-11", "registered": 1, "reachedSandbox": 1, "reachedLive": 1, "medianDaysToLive": 42.0},
            {"month": "2026-01", "registered": 1, "reachedSandbox": 1, "reachedLive": 1, "medianDaysToLive": 36.0},
            {"month": "2026-05", "registered": 3, "reachedSandbox": 3, "reachedLive": 0, "medianDaysToLive": null},
            {"month": "2026-06", "registered": 2, "reachedSandbox": 1, "reachedLive": 0, "medianDaysToLive": null},
        ])
    );
    assert_eq!(
        v["timeToLive"],
        json!({"n": 2, "median": 39.0, "p90": 42, "unknown": 0})
    );
    assert_eq!(v["usageWindow"], Value::Null);
    assert_eq!(v["timeToFirstCall"], Value::Null);
}

#[test]
fn products_with_subscribers_and_active_subscribers() {
    let v = serde_json::to_value(raw()).unwrap();
    // free/sandbox: gamma, hotel, india, kilo, mike (juliet is suspended, left out); active
    // in sandbox: india and kilo (gamma calls production only, hotel is dormant).
    assert_eq!(
        v["products"],
        json!([
            {"product": "rates", "plan": "free", "environment": "sandbox", "subscribers": 5, "active": 2},
            {"product": "rates", "plan": "pro", "environment": "production", "subscribers": 1, "active": 1},
        ])
    );
}

#[test]
fn a_rollup_gives_the_funnel_of_the_raw_logs_it_summarises() {
    let from_rollup = funnel::compute(&program(), today(), Some(&usage(&["rollup.jsonl"])));
    assert_eq!(measures(&from_rollup), measures(&raw()));
    let (a, b) = (from_rollup.usage.unwrap(), raw().usage.unwrap());
    assert_eq!((a.calls, a.unknown_calls), (b.calls, b.unknown_calls));
}

#[test]
fn a_mostly_unusable_file_is_an_error_naming_file_and_line() {
    let mut u = Usage::until(today());
    let err = u.read_file(&file("program.yaml")).unwrap_err();
    match &err {
        UsageError::MostlyUnusable {
            file, line, bad, lines, ..
        } => {
            assert!(file.ends_with("program.yaml"));
            // The first line, `apiVersion: partnerctl/v1`, is not JSON; so is every other.
            assert_eq!((*line, *bad, *lines), (1, 12, 12));
        }
        e => panic!("{e}"),
    }
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["-C", FIXTURE, "--as-of", "2026-06-30", "funnel", "--usage"])
        .arg(file("program.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("program.yaml is not a usage log: 12 of its 12 lines are unusable; the first is line 1"),
        "{stderr}"
    );
    // One bad line in seven is a warning, not an error (tests/funnel.rs).
}

#[test]
fn a_forced_format_reads_only_that_format() {
    let mut u = Usage::until(today()).with_format(partnerctl::visibility::usage::UsageFormat::Kong);
    assert!(matches!(
        u.read_file(&file("envoy.jsonl")),
        Err(UsageError::MostlyUnusable { line: 1, .. })
    ));
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .args([
            "-C",
            FIXTURE,
            "--as-of",
            "2026-06-30",
            "--format",
            "json",
            "funnel",
            "--usage-format",
            "envoy",
            "--usage",
        ])
        .arg(file("envoy.jsonl"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["active"], json!(["india"]));
}

fn cli(format: &str) -> String {
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .args([
            "-C",
            FIXTURE,
            "--as-of",
            "2026-06-30",
            "--format",
            format,
            "funnel",
            "--usage",
        ])
        .args(["usage.jsonl", "envoy.jsonl", "kong.jsonl"].map(file))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_format_carries_the_measures() {
    let v: Value = serde_json::from_str(&cli("json")).unwrap();
    for key in [
        "asOf",
        "stages",
        "stuck",
        "active",
        "neverCalled",
        "partners",
        "firstCalls",
        "usage",
    ] {
        assert!(v.get(key).is_some(), "the existing key {key} stays");
    }
    assert_eq!(v["usageWindow"], json!({"from": "2026-05-01", "to": "2026-06-29"}));
    assert_eq!(
        v["timeToFirstCall"],
        json!({"n": 3, "median": 3.0, "p90": 10, "unknown": 2})
    );
    assert_eq!(v["dormant"], json!(["hotel"]));

    let text = cli("text");
    for needle in [
        "Usage window: 2026-05-01 to 2026-06-29",
        "Dormant (called, but not within 30 days): hotel (1)",
        "Time to first call (from sandbox access): median 3 days, p90 10 days over 3 partners; unknown for 2",
        "  2026-05           3        3     0                –",
        "rates free (sandbox)",
        "juliet                       403  3 calls",
        "first seen; sandbox access is outside the usage window (unknown)",
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }

    let md = cli("markdown");
    for needle in [
        "```mermaid\nxychart-beta\n",
        "    bar [7, 6, 6, 2, 2]\n",
        "Usage window: **2026-05-01 to 2026-06-29**",
        "| 2025-11 | 1 | 1 | 1 | 42 days |",
        "| rates | free | sandbox | 5 | 2 |",
        "| india | 429 | 2 |",
        "- **Dormant** (called, not within 30 days): hotel (1)",
        "| gamma | 2026-05-01 | unknown | 2 | 2026-06-20 |",
    ] {
        assert!(md.contains(needle), "{needle:?} in\n{md}");
    }
}

#[test]
fn hostile_log_values_are_escaped_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("evil.jsonl");
    let long = "x".repeat(300);
    std::fs::write(
        &log,
        format!(
            "{{\"ts\": \"\\u001b]8;;http://evil\\u0007::error::x\", \"credential\": \"a\"}}\n{{\"ts\": \"2026-06-01T00:00:00Z\", \"credential\": \"{long}\"}}\n{}\n{}\n{}\n",
            r#"{"ts": "2026-06-01T00:00:00Z", "credential": "gamma-prd", "status": 200}"#,
            r#"{"ts": "2026-06-01T00:00:00Z", "credential": "gamma-prd", "status": 200}"#,
            r#"{"ts": "2026-06-01T00:00:00Z", "credential": "gamma-prd", "status": 200}"#,
        ),
    )
    .unwrap();
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["-C", FIXTURE, "--as-of", "2026-06-30", "funnel", "--usage"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains('\u{1b}') && !stderr.contains('\u{7}'), "{stderr}");
    assert!(
        stderr.contains("evil.jsonl:1:") && stderr.contains("evil.jsonl:2: `credential` is longer than 256 bytes"),
        "{stderr}"
    );
    assert!(!stderr.lines().any(|l| l.starts_with("::")));
}

#[test]
fn render_usage_feeds_the_report() {
    let out_dir = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), repo.path());
    std::fs::write(
        repo.path().join("program.yaml"),
        std::fs::read_to_string(file("program.yaml")).unwrap()
            + "  outputs:\n    - {target: funnel-report, path: internal/funnel.html}\n",
    )
    .unwrap();
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .arg("-C")
        .arg(repo.path())
        .args(["--as-of", "2026-06-30", "render", "--out-dir"])
        .arg(out_dir.path())
        .arg("--usage")
        .args(["usage.jsonl", "envoy.jsonl", "kong.jsonl"].map(file))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = std::fs::read_to_string(out_dir.path().join("internal/funnel.html")).unwrap();
    assert!(page.contains("Usage window: <strong>2026-05-01 to 2026-06-29</strong>"));
    assert!(page.contains("Dormant (called, not within 30 days): Hotel <span class=\"note\">(hotel)</span>"));
    assert!(page.contains("<h3>Stopped calling (1)</h3>"));
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn report(usage: Option<&Usage>) -> String {
    partnerctl::visibility::report::render_with_usage(&program(), today(), usage)
}

#[test]
fn report_snapshot_with_usage() {
    let u = usage(&["usage.jsonl", "envoy.jsonl", "kong.jsonl"]);
    let page = report(Some(&u));
    assert_eq!(page, report(Some(&u)), "deterministic");
    assert!(page.contains("script-src 'none'"), "the CSP forbidding scripts stays");
    assert!(!page.contains("<script"));
    assert_eq!(page.matches("<svg").count(), 4, "funnel, months, cohorts, products");
    assert!(page.contains("<main>") && page.contains("</main>"));
    insta::assert_snapshot!("funnel_report_with_usage", page);
}

/// The example's report as the `funnel-report` output renders it, with the example's usage
/// log or without.
fn example_report(with_usage: bool) -> String {
    let northwind =
        partnerctl::model::load(partnerctl::source::Snapshot::from_dir(&common::example_dir()).unwrap()).program;
    let as_of = Date::parse(common::AS_OF).unwrap();
    let mut u = Usage::until(as_of);
    u.read_file(&common::example_dir().join("usage/calls.jsonl")).unwrap();
    partnerctl::visibility::report::render_with_usage(&northwind, as_of, with_usage.then_some(&u))
}

#[test]
fn the_report_opens_with_what_to_act_on_and_labels_every_axis() {
    for with_usage in [true, false] {
        let page = example_report(with_usage);
        let main = &page[page.find("<main>").unwrap()..];
        // The first thing in it: who is stuck, what falls due, who stopped calling.
        assert!(
            main.starts_with("<main>\n<section id=\"act-on\" aria-labelledby=\"act\">\n<h2 id=\"act\">To act on</h2>"),
            "{main}"
        );
        let act = &main[..main.find("</section>").unwrap()];
        // Dates, never counts of days or a window of the next days: the page changes only on
        // a date the program holds (SPEC §16).
        assert!(act.contains("<h3>Stuck (4)</h3>") && act.contains("<strong>Baltic Freight</strong> <span class=\"note\">(baltic-freight)</span>: sandbox since 2026-05-11, stuck from 2026-07-11 (limit 60 days)"), "{act}");
        assert!(
            act.contains("<h3>Deadlines (23)</h3>\n<p>No partner has terms to re-accept.</p>"),
            "{act}"
        );
        assert!(
            act.contains(
                "by 2026-12-01</span>: credential lumen-prd-1 (production) of lumen-parcel expires on 2026-12-01"
            ),
            "{act}"
        );
        if with_usage {
            assert!(act.contains("<h3>Stopped calling (2)</h3>"), "{act}");
            assert!(act.contains("<strong>Harbour Line</strong> <span class=\"note\">(harbour-line)</span>: last call 2026-04-01 (214 days ago)"), "{act}");
            // The blocked calls have a heading of their own.
            assert!(page.contains("<h3 id=\"blocked\">Blocked calls (403 refused, 429 over the limit)</h3>"));
        } else {
            assert!(act.contains("<h3>Stopped calling</h3>\n<p>Needs usage logs"), "{act}");
        }
        // Every chart labels both axes: a title along each, values on the value axis.
        let charts: Vec<&str> = page
            .split("<svg ")
            .skip(1)
            .map(|c| &c[..c.find("</svg>").unwrap()])
            .collect();
        assert_eq!(charts.len(), 4, "funnel, months, cohorts, products");
        for (chart, (x, y)) in charts.iter().zip([
            ("partners who reached the stage", "stage"),
            ("subscribers", "product, plan and environment"),
            ("month (stage at its end)", "partners"),
            ("registration month", "partners"),
        ]) {
            assert!(chart.contains(&format!(">{x}</text>")), "no x axis title {x}: {chart}");
            assert!(
                chart.contains(&format!(
                    "rotate(-90)\" font-size=\"11\" fill=\"#222\" text-anchor=\"middle\">{y}</text>"
                )),
                "no y axis title {y}"
            );
            assert!(chart.contains(">0</text>"), "the value axis has its values");
        }
        // The month chart: a tick per month, and more than the first and the last labelled.
        let months = charts[2];
        let labelled = (1..=12)
            .flat_map(|m| [format!(">2025-{m:02}</text>"), format!(">2026-{m:02}</text>")])
            .filter(|l| months.contains(l.as_str()))
            .count();
        assert!(labelled >= 5, "{labelled} months labelled: {months}");
        // The months end with the last stage change (2026-10-27): later months would repeat
        // it, and a month per month up to today would change the page with nothing happened.
        assert!(months.contains(">2026-10</text>"), "the last month is labelled");
        assert!(!months.contains(">2026-11</text>"), "no month after the last change");
        // The cohorts are one chart, not a chart per month.
        assert_eq!(page.matches("Cohorts by registration month: registered").count(), 1);
        // Medians read as the CLI writes them.
        assert!(page.contains("<td>406 days</td>"), "median in stage");
        assert!(!page.contains("406.0"));
    }
    let cli = Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["funnel", "--as-of", common::AS_OF, "-C"])
        .arg(common::example_dir())
        .output()
        .unwrap();
    let cli = String::from_utf8(cli.stdout).unwrap();
    let live = cli.lines().find(|l| l.trim_start().starts_with("live ")).unwrap();
    assert!(live.ends_with(" 406 days"), "{live}");
}

#[test]
fn report_charts_pass_axe_core_in_headless_chromium() {
    if !common::browser::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let with = dir.path().join("with-usage.html");
    let without = dir.path().join("without-usage.html");
    let u = usage(&["usage.jsonl", "envoy.jsonl", "kong.jsonl"]);
    std::fs::write(&with, report(Some(&u))).unwrap();
    std::fs::write(&without, report(None)).unwrap();
    let example = dir.path().join("northwind.html");
    let example_usage = dir.path().join("northwind-usage.html");
    std::fs::write(&example, example_report(false)).unwrap();
    std::fs::write(&example_usage, example_report(true)).unwrap();
    // A laptop's screen: 1280 by 800.
    let pages = common::browser::check_in(&[&with, &without, &example, &example_usage], 800);
    let problems = common::browser::problems(&pages);
    assert!(problems.is_empty(), "{problems:#?}");
    for p in pages.iter().filter(|p| p.file.contains("northwind")) {
        assert!(
            !p.overflow || p.width > 600,
            "{} scrolls sideways at {} px",
            p.file,
            p.width
        );
        if p.width == 1280 {
            assert_eq!(p.inner_height, 800);
            assert!(
                p.scroll_height <= 2 * p.inner_height,
                "{} is {} px tall at 1280×800: more than two screens",
                p.file,
                p.scroll_height
            );
        }
    }
}
