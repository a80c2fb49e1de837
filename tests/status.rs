//! `partnerctl status PARTNER` (SPEC §15.6) on the bundled example as a user runs it: the
//! stage and since when, the next step and what blocks it, credentials, deadlines and the
//! last call, in text, json and markdown.

mod common;

use assert_cmd::Command;
use common::{AS_OF, example_dir};
use serde_json::Value;

fn status(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("-C")
        .arg(example_dir())
        .args(["--as-of", AS_OF, "status"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(partner: &str) -> Value {
    let (code, out, err) = status(&[partner, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn usage() -> String {
    example_dir().join("usage/calls.jsonl").display().to_string()
}

#[test]
fn json_has_exactly_the_spec_keys() {
    let v = json("lone-star-dispatch");
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["partner", "stage", "since", "next", "credentials", "due", "lastCall"]
    );
    assert_eq!(v["partner"], "lone-star-dispatch");
    assert_eq!(v["stage"], "sandbox");
    assert_eq!(v["since"], "2026-10-19");
    assert_eq!(v["next"]["stage"], "production_requested");
    assert_eq!(v["lastCall"], Value::Null, "no --usage, no last call");
    assert_eq!(v["credentials"][0]["id"], "lonestar-sbx-1");
    assert_eq!(v["credentials"][0]["expires"], "2027-10-19");
    assert_eq!(v["credentials"][0]["live"], true);
}

#[test]
fn the_next_step_names_what_blocks_it() {
    // Registered: the program's terms, current version, digest and link, and the team that
    // approves the stage move.
    let v = json("sahara-express");
    assert_eq!(v["next"]["stage"], "terms_accepted");
    let needs = v["next"]["needs"].as_array().unwrap();
    assert_eq!(needs[0]["kind"], "accept-terms");
    assert_eq!(needs[0]["terms"], "partner-tos");
    assert_eq!(needs[0]["version"], "2.0");
    assert_eq!(
        needs[0]["textSha256"],
        "8533bfa6af42db65a006e340456efc11199c115e42afc80913749c54ce615734"
    );
    assert_eq!(
        needs[0]["link"],
        "https://partners.northwind.example/terms/partner-tos/2.0.html"
    );
    assert_eq!(needs[0]["request"], "accept-terms");
    assert_eq!(needs[1]["kind"], "approval");
    assert_eq!(
        needs[1]["teams"],
        serde_json::json!([{"team": "partnerships", "handle": "@northwind/partnerships", "classes": ["stage-changed"]}])
    );
    // In the sandbox: production access to ask for, and the teams production access needs
    // for the products it builds with (the product's owner through `owner`).
    let v = json("lone-star-dispatch");
    let needs = v["next"]["needs"].as_array().unwrap();
    assert_eq!(needs[0]["kind"], "subscription");
    assert_eq!(needs[0]["request"], "request-production");
    let teams: Vec<&str> = needs[1]["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team"].as_str().unwrap())
        .collect();
    assert_eq!(teams, ["partnerships", "security", "shipments-team"]);
    // Waiting for production: a production credential, issued once live.
    let v = json("fjord-cargo");
    assert_eq!(v["next"]["stage"], "live");
    assert!(
        v["next"]["needs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "credential")
    );
}

#[test]
fn live_and_offboarded_have_no_next_step_and_suspended_returns_where_it_was() {
    assert_eq!(json("caribe-shipping")["next"], Value::Null);
    assert_eq!(json("andes-cargo-link")["next"], Value::Null);
    let v = json("rhine-river-shipping");
    assert_eq!(v["stage"], "suspended");
    assert_eq!(v["next"]["stage"], "live", "the stage reinstate returns to");
}

#[test]
fn usage_gives_the_last_call() {
    let (code, out, err) = status(&["fjord-cargo", "--format", "json", "--usage", &usage()]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["lastCall"], "2026-10-25T09:05:00Z");
}

#[test]
fn text_and_markdown_read_like_the_product() {
    let (code, text, err) = status(&["fjord-cargo", "--usage", &usage()]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("status_text", text);
    let (code, md, err) = status(&["sahara-express", "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("status_markdown", md);
    let v = json("fjord-cargo");
    insta::assert_json_snapshot!("status_json", v);
}

#[test]
fn help_offers_only_the_formats_it_writes() {
    let (code, help, _) = status(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        help.contains("text:") && help.contains("json:") && help.contains("markdown:"),
        "{help}"
    );
    for absent in ["sarif", "github"] {
        assert!(!help.contains(absent), "`status --help` offers {absent}: {help}");
    }
    let (code, _, err) = status(&["fjord-cargo", "--format", "sarif"]);
    assert_eq!(code, 2, "{err}");
    // The global flag before the command is judged the same way.
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .arg("-C")
        .arg(example_dir())
        .args(["--as-of", AS_OF, "--format", "github", "status", "fjord-cargo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use one of: text, json, markdown"));
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .arg("-C")
        .arg(example_dir())
        .args(["--as-of", AS_OF, "--format", "json", "status", "fjord-cargo"])
        .output()
        .unwrap();
    assert!(serde_json::from_slice::<Value>(&out.stdout).is_ok());
}

#[test]
fn an_unknown_partner_is_an_error() {
    let (code, _, err) = status(&["nobody"]);
    assert_eq!(code, 2);
    assert!(err.contains("there is no partner named `nobody`"), "{err}");
}
