//! The rollup queries of `queries/` (SPEC §14) run on a real DuckDB (the `duckdb` Python
//! package, which `.ci/run` installs) over generated raw logs in the three dialects; the funnel
//! computed from the rollups equals the funnel computed from the raw logs.

use partnerctl::spec::Date;
use partnerctl::visibility::funnel;
use partnerctl::visibility::usage::Usage;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURE: &str = "tests/fixtures/funnel-measures";

/// Whether python3 can import duckdb; in CI it must.
#[allow(clippy::print_stderr)]
fn duckdb_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "the DuckDB equality test needs `python3 -m pip install duckdb` in CI (.ci/run does it)"
        );
        eprintln!("skipped: the duckdb Python package is not installed here (.ci/run installs it)");
    }
    ok
}

const RUN: &str = r#"
import sys, duckdb
query, logs, out = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute("SET VARIABLE usage_files = ?", [logs])
sql = open(query).read()
con.execute(f"COPY ({sql}) TO '{out}' (FORMAT json)")
"#;

fn run_query(dialect: &str, logs: &Path, out: &Path) {
    let query = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("queries/duckdb/rollup-{dialect}.sql"));
    let o = Command::new("python3")
        .args(["-c", RUN])
        .arg(&query)
        .arg(logs)
        .arg(out)
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "{dialect}: {}", String::from_utf8_lossy(&o.stderr));
}

/// A small deterministic generator (no dependency, same logs on every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const STATUSES: [u16; 10] = [200, 200, 200, 201, 204, 401, 403, 404, 429, 503];

/// Raw logs from 2026-04-20 to 2026-07-05 (past `--as-of`, so the cutoff is exercised too):
/// SPEC §8 lines with UTC and offset times, Envoy lines for india, Kong lines for kilo (with
/// unauthenticated requests), and a broken line in each.
fn generate(dir: &Path) -> [PathBuf; 3] {
    let mut rng = Lcg(16);
    let start = Date::parse("2026-04-20").unwrap().0;
    let (mut spec, mut envoy, mut kong) = (String::new(), String::new(), String::new());
    let creds = [
        ("gamma-prd", "production"),
        ("gamma-sbx", "sandbox"),
        ("hotel-sbx", "sandbox"),
        ("juliet-prd", "production"),
        ("juliet-sbx", "sandbox"),
        ("mike-sbx", ""),
        ("stranger-1", "sandbox"),
    ];
    for i in 0..4000u64 {
        let day = start + chrono::Days::new(rng.next(77));
        let secs = rng.next(86_400);
        let at = day.and_hms_opt(0, 0, 0).unwrap().and_utc() + chrono::Duration::seconds(secs as i64);
        let status = STATUSES[rng.next(STATUSES.len() as u64) as usize];
        match i % 4 {
            0 | 1 => {
                let (cred, env) = creds[rng.next(creds.len() as u64) as usize];
                // Every third line with a -02:00 offset: counted on its UTC day.
                let ts = if i % 3 == 0 {
                    (at - chrono::Duration::hours(2))
                        .format("%Y-%m-%dT%H:%M:%S-02:00")
                        .to_string()
                } else {
                    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                };
                let env = if env.is_empty() {
                    String::new()
                } else {
                    format!(", \"environment\": \"{env}\"")
                };
                let _ = writeln!(
                    spec,
                    "{{\"ts\": \"{ts}\", \"credential\": \"{cred}\"{env}, \"method\": \"GET\", \"path\": \"/v1/rates\", \"status\": {status}}}"
                );
            }
            2 => {
                let _ = writeln!(
                    envoy,
                    "{}",
                    json!({
                        "start_time": at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                        "method": "GET", "path": "/v1/rates?from=E1", "protocol": "HTTP/1.1",
                        "response_code": status, "duration": rng.next(90),
                        "credential": if rng.next(20) == 0 { "-" } else { "india-sbx" },
                        "partner": "-", "environment": "sandbox",
                    })
                );
            }
            _ => {
                let anonymous = rng.next(15) == 0;
                let mut line = json!({
                    "request": {"method": "GET", "uri": "/v1/rates?x=1", "headers": {"x-api-key": "not-logged"}},
                    "response": {"status": if anonymous { 401 } else { status }},
                    // The kong target's select tag names the environment; other gateways'
                    // services a `-<env>` suffix.
                    "service": if rng.next(2) == 0 {
                        json!({"name": "rates-sandbox", "tags": ["partnerctl", "product:rates"]})
                    } else {
                        json!({"name": "rates", "tags": ["partnerctl-measures-sandbox", "product:rates"]})
                    },
                    "latencies": {"proxy": 3},
                    "started_at": at.timestamp_millis(),
                });
                if !anonymous {
                    line["consumer"] = json!({"id": "c0ffee00", "username": "kilo", "custom_id": "kilo"});
                    line["authenticated_entity"] = json!({"id": "5e1f0000-0000-4000-8000-00000000000a"});
                }
                let _ = writeln!(kong, "{line}");
            }
        }
    }
    spec.push_str("this line is not JSON\n");
    envoy.push_str("{\"start_time\": \"yesterday\", \"credential\": \"india-sbx\"}\n");
    kong.push_str("{\"started_at\": \"soon\"}\n");
    let paths = ["calls.jsonl", "envoy.jsonl", "kong.jsonl"].map(|n| dir.join(n));
    for (p, body) in paths.iter().zip([spec, envoy, kong]) {
        std::fs::write(p, body).unwrap();
    }
    paths
}

fn measures(f: &funnel::Funnel) -> Value {
    let mut v = serde_json::to_value(f).unwrap();
    v.as_object_mut().unwrap().remove("usage");
    v
}

#[test]
fn duckdb_rollups_give_the_funnel_of_the_raw_logs() {
    if !duckdb_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let raw = generate(dir.path());
    let rollups: Vec<PathBuf> = ["partnerctl", "envoy", "kong"]
        .iter()
        .zip(&raw)
        .map(|(dialect, log)| {
            let out = dir.path().join(format!("rollup-{dialect}.jsonl"));
            run_query(dialect, log, &out);
            out
        })
        .collect();

    let snapshot = partnerctl::source::Snapshot::from_dir(Path::new(FIXTURE)).unwrap();
    let program = partnerctl::model::load(snapshot).program;
    let today = Date::parse("2026-06-30").unwrap();
    let read = |files: &[PathBuf]| {
        let mut u = Usage::until(today);
        for f in files {
            u.read_file(f).unwrap();
        }
        u
    };
    let (from_raw, from_rollup) = (read(&raw), read(&rollups));
    assert_eq!(from_rollup.problem_count, 0, "{:?}", from_rollup.problems);
    assert_eq!(from_raw.problem_count, 3);
    assert!(
        from_rollup.lines * 5 < from_raw.lines,
        "a rollup is much smaller than its log"
    );
    assert_eq!(
        (from_rollup.calls, from_rollup.after_cutoff),
        (from_raw.calls, from_raw.after_cutoff)
    );
    assert!(from_raw.after_cutoff > 0);

    let a = funnel::compute(&program, today, Some(&from_raw));
    let b = funnel::compute(&program, today, Some(&from_rollup));
    assert_eq!(measures(&a), measures(&b));
    assert_eq!(a.usage.unwrap().unknown_calls, b.usage.unwrap().unknown_calls);
    // The logs say something: every measure is exercised.
    assert!(!a.active.is_empty() && !a.blocked.is_empty() && !a.first_calls.is_empty());
    assert_eq!(
        a.usage_window.map(|w| (w.from.to_string(), w.to.to_string())),
        Some(("2026-04-20".into(), "2026-06-30".into()))
    );
}
