//! The funnel of a fixture whose answers were worked out by hand
//! (`tests/fixtures/funnel-known`, as of 2026-06-30).

use assert_cmd::Command;
use partnerctl::spec::{Date, Stage};
use partnerctl::visibility::funnel;
use partnerctl::visibility::usage::Usage;
use std::path::Path;

const FIXTURE: &str = "tests/fixtures/funnel-known";

fn today() -> Date {
    Date::parse("2026-06-30").unwrap()
}

fn program() -> partnerctl::model::Program {
    let snapshot = partnerctl::source::Snapshot::from_dir(Path::new(FIXTURE)).unwrap();
    let loaded = partnerctl::model::load(snapshot);
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    loaded.program
}

fn usage() -> Usage {
    let mut u = Usage::until(today());
    u.read_file(&Path::new(FIXTURE).join("usage.jsonl")).unwrap();
    u.read_file(&Path::new(FIXTURE).join("kong-file-log.jsonl")).unwrap();
    u
}

#[test]
fn counts_reached_and_conversion() {
    let f = funnel::compute(&program(), today(), None);
    let counts: Vec<(Stage, usize, usize)> = f.stages.iter().map(|r| (r.stage, r.count, r.reached)).collect();
    assert_eq!(
        counts,
        vec![
            (Stage::Registered, 1, 6),
            (Stage::TermsAccepted, 1, 5),
            (Stage::Sandbox, 2, 4),
            (Stage::ProductionRequested, 0, 1),
            (Stage::Live, 1, 1),
            (Stage::Suspended, 0, 0),
            (Stage::Offboarded, 1, 1),
        ]
    );
    let conv: Vec<Option<f64>> = f
        .stages
        .iter()
        .map(|r| r.conversion.map(|c| (c * 10_000.0).round() / 10_000.0))
        .collect();
    assert_eq!(
        conv,
        vec![Some(0.8333), Some(0.8), Some(0.25), Some(1.0), None, None, None]
    );
}

#[test]
fn medians_of_finished_stays() {
    let f = funnel::compute(&program(), today(), None);
    let medians: Vec<Option<f64>> = f.stages.iter().map(|r| r.median_days).collect();
    // registered: 2, 4, 6, 1, 1 → 2; terms_accepted: 10, 6, 8, 39 → 9; sandbox: 30, 80 → 55;
    // production_requested: 14; nobody has left live yet.
    assert_eq!(
        medians,
        vec![Some(2.0), Some(9.0), Some(55.0), Some(14.0), None, None, None]
    );
}

#[test]
fn stuck_partners_with_days() {
    let f = funnel::compute(&program(), today(), None);
    let stuck: Vec<(&str, Stage, i64)> = f.stuck.iter().map(|s| (s.partner.as_str(), s.stage, s.days)).collect();
    assert_eq!(
        stuck,
        vec![("bravo", Stage::Sandbox, 111), ("charlie", Stage::Registered, 29)]
    );
}

#[test]
fn first_calls_active_and_never_called() {
    let u = usage();
    assert_eq!(u.calls, 6, "the call after --as-of is left out");
    assert_eq!(u.after_cutoff, 1);
    assert_eq!(u.problem_count, 1);
    assert_eq!(
        (u.problems[0].line, u.problems[0].file.ends_with("usage.jsonl")),
        (4, true)
    );

    let f = funnel::compute(&program(), today(), Some(&u));
    let first: Vec<(&str, String, Option<i64>)> = f
        .first_calls
        .iter()
        .map(|c| (c.partner.as_str(), c.date.to_string(), c.days_after_sandbox))
        .collect();
    // The logs begin on 2026-01-20 (alpha's first call): alpha's sandbox access (2026-01-13)
    // predates them, so its time to first call is unknown (SPEC §14), not 7 days.
    assert_eq!(
        first,
        vec![
            ("alpha", "2026-01-20".to_string(), None),
            ("bravo", "2026-05-15".to_string(), Some(65)),
            ("echo", "2026-02-15".to_string(), Some(5)),
        ]
    );
    // alpha called on 2026-06-25 (and through Kong, by consumer, on 2026-06-28); bravo's last
    // call is 46 days old; echo's 51.
    assert_eq!(f.active, vec!["alpha"]);
    assert_eq!(f.never_called, vec!["foxtrot"]);
    let alpha = f.first_calls.iter().find(|c| c.partner == "alpha").unwrap();
    assert_eq!((alpha.calls, alpha.last.to_string()), (3, "2026-06-28".to_string()));
}

#[test]
fn json_has_the_spec_keys() {
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
            "--usage",
        ])
        .arg(Path::new(FIXTURE).join("usage.jsonl"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("usage.jsonl:4:"),
        "a bad line names file and line"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["asOf"], "2026-06-30");
    let stages: Vec<&str> = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "registered",
            "terms_accepted",
            "sandbox",
            "production_requested",
            "live",
            "suspended",
            "offboarded"
        ]
    );
    assert_eq!(v["stages"][2]["count"], 2);
    assert_eq!(
        v["stuck"][0],
        serde_json::json!({"partner": "bravo", "stage": "sandbox", "days": 111, "since": "2026-03-11", "stuckAfterDays": 30})
    );
    assert_eq!(v["active"], serde_json::json!(["alpha"]));
    assert_eq!(v["neverCalled"], serde_json::json!(["foxtrot"]));
}

#[test]
fn text_has_a_bar_chart_and_markdown_a_table() {
    let text = Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["-C", FIXTURE, "--as-of", "2026-06-30", "funnel"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.lines().any(|l| l.contains("sandbox") && l.contains('█')), "{text}");
    let md = Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["-C", FIXTURE, "--as-of", "2026-06-30", "--format", "markdown", "funnel"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("| `sandbox` | 2 | 4 | 25% | 55 days |"), "{md}");
}

#[test]
fn funnel_report_page_is_self_contained_and_deterministic() {
    let p = program();
    let a = partnerctl::visibility::report::render(&p, today());
    assert_eq!(a, partnerctl::visibility::report::render(&p, today()));
    assert!(a.contains("<svg") && a.contains("bravo") && a.contains("2026-06"));
    assert!(!a.contains("http://") || a.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(!a.contains("<script"));
    // End of March 2026: alpha live, bravo sandbox, echo sandbox.
    let march = a.lines().find(|l| l.starts_with("<tr><td>2026-03</td>")).unwrap();
    assert_eq!(
        march,
        "<tr><td>2026-03</td><td>0</td><td>0</td><td>2</td><td>0</td><td>1</td><td>0</td><td>0</td></tr>"
    );
}

/// Runs `funnel --format json` on the bundled example with `log` as the usage file.
fn example_funnel(log: &str) -> (i32, serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usage.jsonl");
    std::fs::write(&file, log).unwrap();
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .arg("-C")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind"))
        .args(["--as-of", "2026-11-01", "--format", "json", "funnel", "--usage"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let v = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v, stderr)
}

/// A key scanner against the NGINX gateway: 80 of its 100 lines are 401s, logged by the
/// nginx target with `"credential":""`. They are unauthenticated requests, not unusable
/// lines: the funnel runs (exit 0), counts them in `usage.anonymous`, and the partner
/// whose calls went through is active.
#[test]
fn an_nginx_log_of_mostly_401s_is_read_as_unauthenticated_calls() {
    let mut log = String::new();
    for i in 0..100 {
        if i % 5 == 0 {
            log.push_str(&format!(
                "{{\"ts\":\"2026-10-20T10:00:{:02}Z\",\"credential\":\"acme-sbx-2\",\"environment\":\"sandbox\",\"method\":\"GET\",\"path\":\"/v1/shipments/1\",\"status\":200}}\n",
                i % 60
            ));
        } else {
            log.push_str(&format!(
                "{{\"ts\":\"2026-10-20T10:01:{:02}Z\",\"credential\":\"\",\"environment\":\"sandbox\",\"method\":\"GET\",\"path\":\"/v1/shipments/{i}\",\"status\":401}}\n",
                i % 60
            ));
        }
    }
    let (code, v, err) = example_funnel(&log);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["usage"]["anonymous"], 80, "{v}");
    assert_eq!(v["usage"]["calls"], 20);
    assert_eq!(v["usage"]["problemCount"], 0);
    assert_eq!(v["usage"]["unknownCalls"], 0);
    assert!(
        v["active"].as_array().unwrap().iter().any(|p| p == "acme-logistics"),
        "{}",
        v["active"]
    );
}

/// Kong `file-log` lines as a gateway configured by the kong target writes them: the
/// service is the product, tagged `partnerctl-<program>-<env>`, the consumer the partner,
/// and the credential Kong's own id. The calls are the partner's (no unknown caller), in
/// production by the tag, so the production product shows its active subscriber.
#[test]
fn kong_file_log_lines_of_the_kong_target_count_for_their_partner_and_environment() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind");
    let as_of = Date::parse("2026-11-01").unwrap();
    let v = partnerctl::validate_dir(&example, as_of).unwrap();
    let files = partnerctl::render::render_all(&v.program, as_of).unwrap();
    let kong = files
        .iter()
        .find(|f| f.path == "dist/gateway/kong-production.yaml")
        .unwrap();
    let deck: serde_json::Value = yaml_serde::from_str(std::str::from_utf8(&kong.bytes).unwrap()).unwrap();
    let service = deck["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "shipments")
        .unwrap();
    let consumer = deck["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["username"] == "acme-logistics")
        .unwrap();
    let mut log = String::new();
    for i in 0..10 {
        let line = serde_json::json!({
            "started_at": 1_792_490_400_000_i64 + i * 1000,
            "request": {"method": "GET", "uri": "/v1/shipments/1?x=1"},
            "response": {"status": 200},
            "service": {"name": service["name"], "tags": service["tags"]},
            "route": {"name": "shipments-v1-shipments-id", "tags": service["tags"]},
            "consumer": {"id": "8f0a4d3e-0000-4000-8000-000000000001", "username": consumer["username"],
                         "custom_id": consumer["custom_id"], "tags": consumer["tags"]},
            "authenticated_entity": {"id": "5e1f0000-0000-4000-8000-00000000000a"},
        });
        log.push_str(&format!("{line}\n"));
    }
    let (code, v, err) = example_funnel(&log);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["usage"]["calls"], 10, "{v}");
    assert_eq!(v["usage"]["unknownCalls"], 0, "{}", v["usage"]);
    let row = v["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["product"] == "shipments" && r["environment"] == "production" && r["plan"] == "standard")
        .unwrap();
    assert!(row["active"].as_u64().unwrap() >= 1, "{row}");
}
