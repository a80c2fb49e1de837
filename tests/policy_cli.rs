//! `partnerctl policy ...` as a user runs it: the real binary, its output and exit code.

mod common;

use common::copy_example_with as northwind;

use assert_cmd::Command;
use std::path::Path;

fn partnerctl(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .arg("-C")
        .arg(dir)
        .args(["--as-of", "2026-11-01"])
        .args(args)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn policy_test_passes_like_opa_test() {
    let dir = northwind(&["policy-own"]);
    let (code, out) = partnerctl(dir.path(), &["policy", "test"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("policies/contacts_test.rego:\n"), "{out}");
    assert!(
        out.contains("data.northwind.contacts_test.test_live_partner_without_legal_contact_is_denied: PASS ("),
        "{out}"
    );
    assert!(out.ends_with("PASS: 3/3\n"), "{out}");
}

#[test]
fn policy_test_fails_with_exit_1() {
    let dir = northwind(&["policy-own", "policy-failing"]);
    let (code, out) = partnerctl(dir.path(), &["policy", "test"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("data.northwind.naming_test.test_short_name_is_denied: FAIL ("),
        "{out}"
    );
    assert!(
        out.contains("data.northwind.naming_test.test_long_name_is_denied: PASS ("),
        "{out}"
    );
    assert!(out.ends_with("PASS: 4/5\nFAIL: 1/5\n"), "{out}");
}

#[test]
fn policy_test_json() {
    let dir = northwind(&["policy-failing"]);
    let (code, out) = partnerctl(dir.path(), &["policy", "test", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64(), v["errored"].as_u64()),
        (Some(1), Some(1), Some(0))
    );
    let failed: Vec<_> = v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["outcome"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["name"], "test_short_name_is_denied");
    assert_eq!(failed[0]["file"], "policies/naming_test.rego");
    assert_eq!(failed[0]["line"], 12);
    assert_eq!(failed[0]["package"], "data.northwind.naming_test");
}

#[test]
fn policy_test_reports_a_broken_policy() {
    let dir = northwind(&["policy-own", "policy-broken"]);
    let (code, out) = partnerctl(dir.path(), &["policy", "test"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("policies/broken.rego:8:1: error[policy]: policies/broken.rego does not parse"),
        "{out}"
    );
    assert!(out.ends_with("PASS: 3/3\n"), "the other tests still run: {out}");
}

#[test]
fn policy_test_without_tests() {
    let dir = northwind(&[]);
    let (code, out) = partnerctl(dir.path(), &["policy", "test"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no tests found"), "{out}");
}

#[test]
fn policy_test_builtin_runs_the_built_in_pack_tests() {
    let dir = northwind(&[]);
    let (code, out) = partnerctl(dir.path(), &["policy", "test", "--builtin"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("<built-in>/policies/max_live_keys_test.rego:\n"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
}

#[test]
fn policy_input_prints_what_policies_see() {
    let dir = northwind(&[]);
    let (code, out) = partnerctl(dir.path(), &["policy", "input"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["today"], "2026-11-01");
    assert_eq!(v["partners"]["acme-logistics"]["metadata"]["name"], "acme-logistics");
}

#[test]
fn policy_rules_lists_the_built_in_pack() {
    let dir = northwind(&[]);
    let (code, out) = partnerctl(dir.path(), &["policy", "rules", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    for rule in [
        "beta-not-in-production",
        "production-quota",
        "max-live-keys",
        "key-rotation",
    ] {
        assert!(names.contains(&rule), "{names:?}");
    }
}
