//! The gateway audit: a fixture that fires every audit finding exactly once
//! (`tests/fixtures/audit-all`, as of 2026-06-30), and the example's dump.

mod common;

use common::copy_dir;

use assert_cmd::Command;
use partnerctl::gateway::audit::AuditCode;
use serde_json::Value;
use std::collections::BTreeMap;

const FIXTURE: &str = "tests/fixtures/audit-all";

fn audit_json(dir: &str, gateway: &str, usage: Option<&str>, as_of: &str) -> (i32, Value) {
    let mut cmd = Command::cargo_bin("partnerctl").unwrap();
    cmd.args(["-C", dir, "--as-of", as_of, "--format", "json", "audit", "--gateway"])
        .arg(format!("{dir}/{gateway}"));
    if let Some(u) = usage {
        cmd.arg("--usage").arg(format!("{dir}/{u}"));
    }
    let out = cmd.output().unwrap();
    let v =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

#[test]
fn every_finding_fires_once() {
    let (code, v) = audit_json(FIXTURE, "gateway.yaml", Some("usage.jsonl"), "2026-06-30");
    assert_eq!(code, 1, "errors exit 1");
    assert_eq!(v["ok"], false);
    let mut seen: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for f in v["findings"].as_array().unwrap() {
        seen.entry(f["code"].as_str().unwrap().to_string())
            .or_default()
            .push(f.clone());
    }
    for c in AuditCode::ALL.iter().filter(|c| !c.kubernetes_only()) {
        let hits = seen.get(c.as_str()).map(Vec::len).unwrap_or(0);
        assert_eq!(hits, 1, "{} fired {hits} times: {:#?}", c.as_str(), v["findings"]);
    }
    assert_eq!(
        seen.len(),
        AuditCode::ALL.iter().filter(|c| !c.kubernetes_only()).count()
    );
    // Each names what it is about.
    let about = |code: &str, key: &str| seen[code][0][key].as_str().unwrap_or("").to_string();
    assert_eq!(about("unknown-consumer", "consumer"), "stranger");
    assert_eq!(about("unknown-credential", "credential"), "bogus-1");
    assert_eq!(about("access-beyond-program", "partner"), "wide");
    assert_eq!(about("revoked-still-present", "credential"), "good-sbx-0");
    assert_eq!(about("revoked-still-calling", "credential"), "good-sbx-0");
    assert_eq!(about("exited-partner-present", "partner"), "gone");
    assert_eq!(about("exited-partner-calling", "partner"), "gone");
    assert_eq!(about("access-without-terms", "partner"), "noterms");
    assert_eq!(about("dormant-credential", "credential"), "sleepy-sbx");
    assert_eq!(about("unknown-credential-calling", "credential"), "mystery-key");
    assert_eq!(about("missing-from-gateway", "credential"), "missing-sbx");
    assert_eq!(seen["dormant-credential"][0]["severity"], "warning");
    assert_eq!(
        seen["unknown-consumer"][0]["line"], 48,
        "gateway findings point at the consumer's line"
    );
}

#[test]
fn without_usage_only_gateway_findings() {
    let (_, v) = audit_json(FIXTURE, "gateway.yaml", None, "2026-06-30");
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        !codes
            .iter()
            .any(|c| c.ends_with("-calling") || *c == "dormant-credential"),
        "{codes:?}"
    );
    assert!(codes.contains(&"unknown-consumer"));
}

#[test]
fn the_example_dump_has_findings_and_a_clean_gateway_has_none() {
    let (code, v) = audit_json(
        "examples/northwind",
        "gateway/kong-dump.yaml",
        Some("usage/calls.jsonl"),
        "2026-11-01",
    );
    assert_eq!(code, 1);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for c in [
        "revoked-still-present",
        "exited-partner-present",
        "unknown-consumer",
        "unknown-credential-calling",
        "revoked-still-calling",
    ] {
        assert!(codes.contains(&c), "{c} missing from {codes:?}");
    }

    // What `render` writes for the example matches the program: no findings.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(std::path::Path::new("examples/northwind"), dir.path());
    let d = dir.path().to_str().unwrap();
    let r = Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["-C", d, "--as-of", "2026-11-01", "render"])
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    for env in ["sandbox", "production"] {
        let (code, v) = audit_json(d, &format!("dist/gateway/kong-{env}.yaml"), None, "2026-11-01");
        assert_eq!(v["findings"], serde_json::json!([]), "{env}: {v:#}");
        assert_eq!(code, 0);
    }
}

#[test]
fn text_and_markdown_name_the_codes() {
    for (format, needle) in [
        ("text", "error[unknown-consumer]"),
        ("markdown", "| error | `unknown-consumer` |"),
    ] {
        let out = Command::cargo_bin("partnerctl")
            .unwrap()
            .args([
                "-C",
                FIXTURE,
                "--as-of",
                "2026-06-30",
                "--format",
                format,
                "audit",
                "--gateway",
            ])
            .arg(format!("{FIXTURE}/gateway.yaml"))
            .output()
            .unwrap();
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(s.contains(needle), "{format}: {s}");
    }
}

#[test]
fn a_broken_gateway_file_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    std::fs::write(&f, "_format_version: \"3.0\"\nconsumers:\n  - username: [unclosed\n").unwrap();
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["-C", FIXTURE, "audit", "--gateway"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:"), "{err}");
}

#[test]
fn github_format_annotates_the_deck_file() {
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .args([
            "-C",
            FIXTURE,
            "--as-of",
            "2026-06-30",
            "--format",
            "github",
            "audit",
            "--gateway",
        ])
        .arg(format!("{FIXTURE}/gateway.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.lines().any(|l| l.starts_with(&format!(
            "::error file={FIXTURE}/gateway.yaml,line=48,title=unknown-consumer::"
        ))),
        "{s}"
    );
    assert!(
        s.lines()
            .all(|l| l.starts_with("::error ") || l.starts_with("::warning ")),
        "{s}"
    );
}

/// A consumer name is the gateway's, hostile like the rest of the dump: it cannot add a
/// workflow command, a Markdown heading or a mention.
#[test]
fn hostile_consumer_names_are_escaped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("dump.json");
    let evil = "x\n::add-mask::y\n# heading @northwind/legal <b>";
    std::fs::write(
        &f,
        serde_json::to_string(&serde_json::json!({"consumers": [{"username": evil}]})).unwrap(),
    )
    .unwrap();
    for format in ["text", "markdown", "github", "json"] {
        let out = Command::cargo_bin("partnerctl")
            .unwrap()
            .args([
                "-C",
                FIXTURE,
                "--as-of",
                "2026-06-30",
                "--format",
                format,
                "audit",
                "--gateway",
            ])
            .arg(&f)
            .args(["--environment", "sandbox"])
            .output()
            .unwrap();
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(s.contains("unknown-consumer"), "{format}: {s}");
        for line in s.lines() {
            assert!(!line.trim_start().starts_with("::add-mask"), "{format}: {s}");
            if format != "github" {
                assert!(!line.trim_start().starts_with("::"), "{format}: {s}");
            }
            if format == "markdown" {
                assert!(
                    !line.starts_with("# heading") && !line.contains("@northwind") && !line.contains("<b>"),
                    "{s}"
                );
            }
        }
        if format == "github" {
            assert_eq!(
                s.lines().filter(|l| l.contains("unknown-consumer")).count(),
                1,
                "one annotation, on one line: {s}"
            );
        }
    }
}
