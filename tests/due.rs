//! `partnerctl due` on the bundled example as a user runs it: which deadlines, in which order,
//! in every format, and its exit codes.

mod common;

use assert_cmd::Command;
use common::{copy_example, edit, example_dir};
use serde_json::Value;
use std::path::Path;

/// Runs `partnerctl -C DIR --as-of DATE due ARGS...`: (exit code, stdout, stderr).
fn due(dir: &Path, as_of: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("-C")
        .arg(dir)
        .args(["--as-of", as_of, "due"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(dir: &Path, as_of: &str, args: &[&str]) -> Value {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    let (code, out, err) = due(dir, as_of, &a);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// (date, kind, resource, daysLeft, overdue) of every item.
fn rows(v: &Value) -> Vec<(String, String, String, i64, bool)> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["date"].as_str().unwrap().to_string(),
                i["kind"].as_str().unwrap().to_string(),
                i["resource"].as_str().unwrap().to_string(),
                i["daysLeft"].as_i64().unwrap(),
                i["overdue"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn row(date: &str, kind: &str, resource: &str, days: i64, overdue: bool) -> (String, String, String, i64, bool) {
    (date.into(), kind.into(), resource.into(), days, overdue)
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// The example with partner-tos 3.0 taking effect on 2026-11-15 (re-accept by 2026-12-15) and
/// an exception for acme-logistics' outdated terms until 2026-12-10.
fn with_new_terms_and_exception() -> tempfile::TempDir {
    let dir = copy_example();
    edit(
        dir.path(),
        "terms/partner-tos.yaml",
        "reacceptBy: 2026-06-01}\n",
        "reacceptBy: 2026-06-01}\n    - {version: \"3.0\", effective: 2026-11-15, file: partner-tos/3.0.md, reacceptBy: 2026-12-15}\n",
    );
    common::write(dir.path(), "terms/partner-tos/3.0.md", "# Terms 3.0\n\nWebhooks.\n");
    edit(
        dir.path(),
        "program.yaml",
        "  activeWithinDays: 30\n",
        "  activeWithinDays: 30\n  exceptions:\n    - {code: terms-outdated, resource: partner/acme-logistics, until: 2026-12-10, reason: \"renegotiating, LEG-123\"}\n",
    );
    dir
}

/// Partners past `registered` and still in the program: every one needs partner-tos.
const NEED_TOS: [&str; 14] = [
    "acme-logistics",
    "baltic-freight",
    "caribe-shipping",
    "fjord-cargo",
    "gulfstream-carriers",
    "harbour-line",
    "kiwi-couriers",
    "lone-star-dispatch",
    "lumen-parcel",
    "maple-route",
    "monsoon-freight",
    "prairie-parcel",
    "rhine-river-shipping",
    "sakura-logistics",
];

#[test]
fn the_example_on_its_date_lists_stuck_partners_and_an_expiring_credential() {
    let v = json(&example_dir(), "2026-11-01", &[]);
    assert_eq!(keys(&v), ["asOf", "within", "items"]);
    assert_eq!(v["asOf"], "2026-11-01");
    assert_eq!(v["within"], 30);
    assert_eq!(
        rows(&v),
        vec![
            row("2026-07-10", "stuck", "partner/baltic-freight", -114, true),
            row("2026-09-29", "stuck", "partner/harbour-line", -33, true),
            row("2026-09-29", "stuck", "partner/pampas-transport", -33, true),
            row("2026-10-08", "stuck", "partner/sakura-logistics", -24, true),
            row("2026-11-09", "stuck", "partner/prairie-parcel", 8, false),
            row("2026-11-10", "stuck", "partner/sahara-express", 9, false),
            row("2026-11-12", "stuck", "partner/fjord-cargo", 11, false),
            row("2026-11-28", "stuck", "partner/monsoon-freight", 27, false),
            row("2026-12-01", "credential-expiry", "partner/lumen-parcel", 30, false),
        ]
    );
    for item in v["items"].as_array().unwrap() {
        assert_eq!(
            keys(item),
            [
                "date", "kind", "resource", "partner", "message", "daysLeft", "overdue", "action", "file", "line"
            ]
        );
        assert_eq!(
            format!("partner/{}", item["partner"].as_str().unwrap()),
            item["resource"].as_str().unwrap()
        );
    }
    let cred = &v["items"][8];
    assert_eq!(cred["partner"], "lumen-parcel");
    assert_eq!(
        cred["message"],
        "credential lumen-prd-1 (production) of lumen-parcel expires on 2026-12-01"
    );
    assert_eq!(cred["file"], "partners/emea/lumen-parcel.yaml");
    let pampas = &v["items"][2];
    assert_eq!(
        pampas["message"],
        "pampas-transport is stuck in `registered`: 47 days since 2026-09-15, more than the 14 allowed"
    );
    // The same partners as the funnel calls stuck.
    let funnel: Value = serde_json::from_slice(
        &Command::cargo_bin("partnerctl")
            .unwrap()
            .arg("-C")
            .arg(example_dir())
            .args(["--as-of", "2026-11-01", "--format", "json", "funnel"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let mut stuck: Vec<&str> = funnel["stuck"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["partner"].as_str().unwrap())
        .collect();
    stuck.sort();
    let mut overdue: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["overdue"] == true)
        .map(|i| i["partner"].as_str().unwrap())
        .collect();
    overdue.sort();
    assert_eq!(stuck, overdue);
}

#[test]
fn within_narrows_the_window_but_keeps_what_is_overdue() {
    let v = json(&example_dir(), "2026-11-01", &["--within", "10"]);
    assert_eq!(v["within"], 10);
    let r = rows(&v);
    assert_eq!(r.len(), 6, "{r:?}");
    assert_eq!(r[4], row("2026-11-09", "stuck", "partner/prairie-parcel", 8, false));
    assert_eq!(r[5], row("2026-11-10", "stuck", "partner/sahara-express", 9, false));
    assert!(r.iter().all(|x| x.3 <= 10));
    let v = json(&example_dir(), "2026-11-01", &["--within", "0"]);
    assert!(rows(&v).iter().all(|x| x.4), "only overdue items with a zero window");
    assert_eq!(rows(&v).len(), 4);
}

#[test]
fn a_terms_version_takes_effect_then_partners_must_re_accept() {
    let dir = with_new_terms_and_exception();
    // Before 3.0 takes effect: one `effective` item, about no partner; nobody re-accepts yet.
    let v = json(dir.path(), "2026-11-01", &[]);
    let effective: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "effective")
        .collect();
    assert_eq!(effective.len(), 1);
    let e = effective[0];
    assert_eq!(e["date"], "2026-11-15");
    assert_eq!(e["resource"], "terms/partner-tos");
    assert_eq!(e["daysLeft"], 14);
    assert!(e.get("partner").is_none(), "{e}");
    assert_eq!(
        e["message"],
        "partner-tos \"3.0\" takes effect on 2026-11-15; partners who accepted an older version must re-accept it by 2026-12-15"
    );
    assert_eq!(e["file"], "terms/partner-tos.yaml");
    assert_eq!(e["line"], 12);
    assert!(!v["items"].as_array().unwrap().iter().any(|i| i["kind"] == "reaccept"));

    // After: every partner that needs partner-tos must re-accept by 2026-12-15; the exception
    // for acme-logistics ends first, on 2026-12-10.
    let v = json(dir.path(), "2026-11-20", &[]);
    let items = v["items"].as_array().unwrap();
    let reaccept: Vec<&Value> = items.iter().filter(|i| i["kind"] == "reaccept").collect();
    let partners: Vec<&str> = reaccept.iter().map(|i| i["partner"].as_str().unwrap()).collect();
    assert_eq!(partners, NEED_TOS, "sorted by resource within a day");
    for r in &reaccept {
        assert_eq!(r["date"], "2026-12-15");
        assert_eq!(r["daysLeft"], 25);
        assert_eq!(r["overdue"], false);
    }
    let acme = reaccept[0];
    assert!(
        acme["message"]
            .as_str()
            .unwrap()
            .starts_with("acme-logistics must re-accept partner-tos by 2026-12-15: it accepted \"2.0\""),
        "{acme}"
    );
    assert!(
        acme["message"]
            .as_str()
            .unwrap()
            .contains("(excepted until 2026-12-10: renegotiating, LEG-123)")
    );
    assert_eq!(acme["file"], "partners/emea/acme-logistics.yaml");
    let exception: Vec<&Value> = items.iter().filter(|i| i["kind"] == "exception-expiry").collect();
    assert_eq!(exception.len(), 1);
    let x = exception[0];
    assert_eq!(
        (
            x["date"].as_str(),
            x["resource"].as_str(),
            x["partner"].as_str(),
            x["daysLeft"].as_i64()
        ),
        (
            Some("2026-12-10"),
            Some("partner/acme-logistics"),
            Some("acme-logistics"),
            Some(20)
        )
    );
    assert_eq!(x["file"], "program.yaml");
    assert_eq!(x["line"], 23);
    // Sorted by date, then kind order (reaccept before credential-expiry and stuck on a day).
    let dates: Vec<&str> = items.iter().map(|i| i["date"].as_str().unwrap()).collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted);

    // Past both dates: the re-acceptances and the exception are overdue.
    let v = json(dir.path(), "2026-12-20", &["--within", "0"]);
    let r = rows(&v);
    assert!(r.contains(&row(
        "2026-12-10",
        "exception-expiry",
        "partner/acme-logistics",
        -10,
        true
    )));
    assert!(r.contains(&row("2026-12-15", "reaccept", "partner/kiwi-couriers", -5, true)));
    assert!(r.contains(&row(
        "2026-12-01",
        "credential-expiry",
        "partner/lumen-parcel",
        -19,
        true
    )));
    assert_eq!(r.iter().filter(|x| x.1 == "reaccept").count(), 14);
}

#[test]
fn a_credential_is_overdue_from_its_expiry_day() {
    let v = json(&example_dir(), "2026-12-01", &["--within", "0"]);
    let cred: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "credential-expiry")
        .collect();
    assert_eq!(cred.len(), 1);
    assert_eq!(cred[0]["daysLeft"], 0);
    assert_eq!(cred[0]["overdue"], true);
    assert_eq!(
        cred[0]["message"],
        "credential lumen-prd-1 (production) of lumen-parcel expired on 2026-12-01"
    );
    assert!(cred[0]["action"].as_str().unwrap().contains("revoked: 2026-12-01"));
}

#[test]
fn text_lists_items_and_marks_overdue() {
    let (code, out, err) = due(&example_dir(), "2026-11-05", &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Deadlines as of 2026-11-05 (next 30 days): 4 overdue, 2 this week, 3 later\n"),
        "{out}"
    );
    let pampas = out.lines().find(|l| l.contains("partner/pampas-transport")).unwrap();
    assert!(pampas.trim_start().starts_with("OVERDUE 2026-09-29"), "{pampas}");
    assert!(pampas.contains("37 days ago"), "{pampas}");
    let prairie = out.lines().find(|l| l.contains("partner/prairie-parcel")).unwrap();
    assert!(
        !prairie.contains("OVERDUE") && prairie.contains("in 4 days"),
        "{prairie}"
    );
    assert!(out.contains("to do: help prairie-parcel to the next stage"));
}

#[test]
fn markdown_is_an_issue_body_grouped_overdue_this_week_later() {
    let (code, out, err) = due(&example_dir(), "2026-11-05", &["--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("<!-- partnerctl:due -->"));
    assert_eq!(lines.next(), Some("## Deadlines as of 2026-11-05"));
    assert_eq!(lines.next(), Some(""));
    assert_eq!(
        lines.next(),
        Some("⚠️ 4 overdue, 2 due this week, 3 later in the next 30 days.")
    );
    let overdue = out.find("### Overdue (4)").unwrap();
    let week = out.find("### This week (2)").unwrap();
    let later = out.find("### Later (3)").unwrap();
    assert!(overdue < week && week < later);
    assert!(out.contains(
        "| 2026-11-09 | 4 | `partner/prairie-parcel` | prairie-parcel will be stuck in `terms_accepted` after 2026-11-09 (14 days since 2026-10-26) | help prairie-parcel to the next stage, or record why it stays in `terms_accepted` |"
    ), "{out}");
    assert!(out[overdue..week].contains("`partner/pampas-transport`"));
    assert!(out[later..].contains("`partner/lumen-parcel`"));
}

#[test]
fn nothing_due_says_so_and_detailed_exitcode_tells_apart() {
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "  stages:\n    registered: {stuckAfterDays: 14}\n    terms_accepted: {stuckAfterDays: 14}\n    sandbox: {stuckAfterDays: 60}\n    production_requested: {stuckAfterDays: 21}\n",
        "",
    );
    let v = json(dir.path(), "2026-11-01", &["--within", "5"]);
    assert_eq!(v["items"], serde_json::json!([]));
    let (code, out, _) = due(dir.path(), "2026-11-01", &["--within", "5", "--format", "markdown"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "<!-- partnerctl:due -->\n## Deadlines as of 2026-11-01\n\nNothing is due in the next 5 days.\n"
    );
    let (code, out, _) = due(dir.path(), "2026-11-01", &["--within", "5", "--detailed-exitcode"]);
    assert_eq!(code, 0);
    assert_eq!(out, "Nothing is due in the next 5 days (as of 2026-11-01).\n");
    // Thirty days reach lumen-prd-1's expiry.
    let (code, out, _) = due(dir.path(), "2026-11-01", &["--detailed-exitcode"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("lumen-prd-1"));
    let (code, _, _) = due(
        &example_dir(),
        "2026-11-01",
        &["--detailed-exitcode", "--format", "json"],
    );
    assert_eq!(code, 3);
}

#[test]
fn other_formats_are_refused() {
    for f in ["github", "sarif"] {
        // After the command's name clap refuses it, naming the formats `due` writes.
        let (code, out, err) = due(&example_dir(), "2026-11-01", &["--format", f]);
        assert_eq!(code, 2);
        assert!(out.is_empty());
        // clap refuses it, naming the formats `due` writes (its --help offers only those).
        assert!(
            err.contains(&format!("invalid value '{f}' for '--format <FORMAT>'"))
                && err.contains("[possible values: text, json, markdown]"),
            "{err}"
        );
    }
}

#[test]
fn a_program_that_does_not_validate_still_has_deadlines_but_program_yaml_must_load() {
    // A broken partner file: the rest still loads, and its deadlines are listed.
    let dir = copy_example();
    common::write(
        dir.path(),
        "partners/broken.yaml",
        "apiVersion: partnerctl/v1\nkind: Partner\nmetadata: {name: broken}\nspec: {stage: nowhere}\n",
    );
    let (code, out, err) = due(dir.path(), "2026-11-01", &["--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("problems while loading the program"), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows(&v).len(), 9);

    // program.yaml that does not load, or none at all: exit 2 with a clear message.
    edit(
        dir.path(),
        "program.yaml",
        "  displayName: Northwind Partner Program\n",
        "",
    );
    let (code, out, err) = due(dir.path(), "2026-11-01", &[]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("program.yaml does not load") && err.contains("partnerctl validate"),
        "{err}"
    );
    std::fs::remove_file(dir.path().join("program.yaml")).unwrap();
    let (code, _, err) = due(dir.path(), "2026-11-01", &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no program.yaml; point -C at a program repository"),
        "{err}"
    );
    let (code, _, err) = due(&dir.path().join("nope"), "2026-11-01", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no such directory"), "{err}");
}

#[test]
fn repository_values_cannot_add_structure_to_the_issue() {
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "  activeWithinDays: 30\n",
        "  activeWithinDays: 30\n  exceptions:\n    - {code: terms-outdated, resource: partner/acme-logistics, until: 2026-11-20, reason: \"</details> <!-- partnerctl:due --> @northwind/all | # ::warning::x\"}\n",
    );
    let (code, out, err) = due(dir.path(), "2026-11-01", &["--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("<!--").count(), 1, "{out}");
    assert!(!out.contains("</details>") && !out.contains("@northwind/all"), "{out}");
    let row = out.lines().find(|l| l.contains("2026-11-20")).unwrap();
    assert_eq!(
        row.matches(" | ").count(),
        4,
        "the reason's `|` does not add a cell: {row}"
    );
    assert!(
        row.contains("&lt;/details&gt;") && row.contains("@&#8203;northwind/all"),
        "{row}"
    );
}
