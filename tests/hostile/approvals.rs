//! Hostile input: the approval loop (see main.rs; SPEC §5, §11, §16). A pull request must not
//! approve itself: the owners and teams it is judged by are the base's, a plan with errors is
//! never approved, and a change to the program's own rules is a change that needs approval.

use super::*;
use common::{copy_example, edit, write};
use serde_json::{Value, json};
use std::fs;

/// The example, committed as the base of a pull request.
fn base() -> tempfile::TempDir {
    let dir = copy_example();
    git_commit_all(dir.path(), "base");
    dir
}

/// `plan --base HEAD --format json` of the working tree.
fn plan_json(dir: &Path) -> (Option<i32>, Value) {
    let r = run(dir, &["plan", "--base", "HEAD", "--format", "json"]);
    let v = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("plan json: {e}\n{}", r.all()));
    (r.code, v)
}

/// The teams of `approvalTeams` as (team, handle).
fn teams(plan: &Value) -> Vec<(String, Option<String>)> {
    plan["approvalTeams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["team"].as_str().unwrap().to_string(),
                t["handle"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Runs `approvals` on a plan approved by `friend` (the author's accomplice), a member of the
/// team the pull request made up and, with `everywhere`, of every team the plan names;
/// without it, the base teams' members (`owner-member`) approve nothing.
fn approvals(dir: &Path, plan: &Value, format: &str, everywhere: bool) -> Run {
    let files = tempfile::tempdir().unwrap();
    let plan_file = files.path().join("plan.json");
    fs::write(&plan_file, plan.to_string()).unwrap();
    let reviews = json!([
        {"id": 1, "user": {"login": "friend"}, "state": "APPROVED", "commit_id": "abc", "submitted_at": "2026-11-01T10:00:00Z"},
        {"id": 2, "user": {"login": "mallory"}, "state": "APPROVED", "commit_id": "abc", "submitted_at": "2026-11-01T10:00:00Z"}
    ]);
    fs::write(files.path().join("reviews.json"), reviews.to_string()).unwrap();
    let mut members = serde_json::Map::new();
    for t in plan["approvalTeams"].as_array().into_iter().flatten() {
        if let Some(h) = t["handle"].as_str() {
            let who = if everywhere { "friend" } else { "owner-member" };
            members.insert(h.to_string(), json!([who]));
        }
    }
    members.insert("@northwind/mallory-friends".into(), json!(["friend"]));
    fs::write(files.path().join("teams.json"), Value::Object(members).to_string()).unwrap();
    let p = |f: &str| files.path().join(f).to_str().unwrap().to_string();
    run(
        dir,
        &[
            "approvals",
            "--format",
            format,
            "--plan",
            &p("plan.json"),
            "--reviews",
            &p("reviews.json"),
            "--teams",
            &p("teams.json"),
            "--author",
            "mallory",
        ],
    )
}

/// A pull request that makes another team (or a team it adds, or a team whose handle it
/// re-points) the owner of what it changes still needs the owner the base has.
#[test]
fn a_pull_request_cannot_choose_who_approves_it() {
    let raise = |dir: &Path| {
        edit(
            dir,
            "products/shipments.yaml",
            "rateLimit: {requests: 250, per: second}",
            "rateLimit: {requests: 5000, per: second}",
        )
    };
    // 1. The owner moved to another team of the base.
    let dir = base();
    raise(dir.path());
    edit(
        dir.path(),
        "products/shipments.yaml",
        "owner: shipments-team",
        "owner: rates-team",
    );
    let (_, plan) = plan_json(dir.path());
    let t = teams(&plan);
    assert!(
        t.contains(&("shipments-team".into(), Some("@northwind/shipments".into()))),
        "moving the owner to rates-team dropped the base owner: {t:?}"
    );

    // 2. A team the pull request adds, with the author's friend behind it, made the owner.
    let dir = base();
    raise(dir.path());
    edit(
        dir.path(),
        "program.yaml",
        "    rates-team: {github: \"@northwind/rates\"}\n",
        "    rates-team: {github: \"@northwind/rates\"}\n    shipments-ops: {github: \"@northwind/mallory-friends\"}\n",
    );
    edit(
        dir.path(),
        "products/shipments.yaml",
        "owner: shipments-team",
        "owner: shipments-ops",
    );
    let (_, plan) = plan_json(dir.path());
    let t = teams(&plan);
    assert!(
        !t.iter()
            .any(|(team, handle)| team == "shipments-ops" || handle.as_deref() == Some("@northwind/mallory-friends")),
        "a team the pull request added approves it: {t:?}"
    );
    assert!(
        t.contains(&("shipments-team".into(), Some("@northwind/shipments".into()))),
        "{t:?}"
    );
    let r = approvals(dir.path(), &plan, "json", false);
    let verdict: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.all()));
    assert_eq!(
        r.code,
        Some(1),
        "the friend's review passed the pull request: {verdict}"
    );

    // 3. The owner team's handle re-pointed at the friends in the same pull request.
    let dir = base();
    raise(dir.path());
    edit(
        dir.path(),
        "program.yaml",
        "@northwind/shipments",
        "@northwind/mallory-friends",
    );
    let (_, plan) = plan_json(dir.path());
    let t = teams(&plan);
    assert!(
        t.contains(&("shipments-team".into(), Some("@northwind/shipments".into()))),
        "{t:?}"
    );

    // 4. A product the pull request adds, owned by a team it adds: the program's owner in the
    // base approves in its place, and the plan says so.
    let dir = base();
    let text = fs::read_to_string(dir.path().join("products/rates.yaml")).unwrap();
    edit(
        dir.path(),
        "program.yaml",
        "    rates-team: {github: \"@northwind/rates\"}\n",
        "    rates-team: {github: \"@northwind/rates\"}\n    shipments-ops: {github: \"@northwind/mallory-friends\"}\n",
    );
    let new = text
        .replace("name: rates", "name: quotes")
        .replace("owner: rates-team", "owner: shipments-ops")
        .replace(
            "openapi: apis/rates.json",
            "endpoints: [{method: GET, path: /v1/quotes}]",
        );
    write(dir.path(), "products/quotes.yaml", new);
    let (_, plan) = plan_json(dir.path());
    let t = teams(&plan);
    assert!(!t.iter().any(|(team, _)| team == "shipments-ops"), "{t:?}");
    assert!(
        t.contains(&("partnerships".into(), Some("@northwind/partnerships".into()))),
        "{t:?}"
    );
    let change = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["resource"] == "product/quotes")
        .unwrap();
    assert!(
        change.to_string().contains("not a team of the base program"),
        "the plan does not say who stands in: {change}"
    );
}

/// The approvals status of a plan with errors is never satisfied, in any format.
#[test]
fn a_plan_with_errors_is_never_approved() {
    let dir = base();
    // Production access that security and the owner must approve, and a product that no
    // longer validates (a `schema` error).
    edit(
        dir.path(),
        "partners/caribe-shipping.yaml",
        "    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    - {product: tracking, plan: starter, environment: sandbox}\n    - {product: tracking, plan: enterprise, environment: production}\n",
    );
    edit(dir.path(), "products/rates.yaml", "lifecycle: beta", "lifecycle: betaa");
    let (code, plan) = plan_json(dir.path());
    assert_eq!(code, Some(1), "{plan}");
    assert_eq!(plan["ok"], false);
    assert!(!plan["approvalTeams"].as_array().unwrap().is_empty());
    for format in ["json", "text", "markdown", "github"] {
        let r = approvals(dir.path(), &plan, format, true);
        assert_eq!(
            r.code,
            Some(1),
            "{format}: every team approved, and a plan with errors passed:\n{}",
            r.all()
        );
        assert!(
            r.stdout.contains("error") && r.stdout.contains("plan"),
            "{format}: no line says the plan fails:\n{}",
            r.stdout
        );
        if format == "json" {
            let v: Value = serde_json::from_str(&r.stdout).unwrap();
            assert_eq!(v["ok"], false);
            assert!(
                v["planError"].as_str().is_some_and(|w| w.contains("severity error")),
                "{v}"
            );
        }
    }
}

/// A change to the program's own rules (program.yaml, policies/, templates/) is
/// `program-changed` on `program`, naming the file; a program with no rule for it is warned;
/// `init` ships one.
#[test]
fn the_rules_for_the_rules_need_approval_too() {
    let dir = base();
    write(
        dir.path(),
        "policies/lenient.rego",
        "package northwind.lenient\n\nimport rego.v1\n\nwarn contains \"nothing\" if false\n",
    );
    edit(
        dir.path(),
        "templates/partners.csv.j2",
        "name,displayName,website\n",
        "name,displayName,website\n{# reviewed? #}",
    );
    let (_, plan) = plan_json(dir.path());
    let program = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["resource"] == "program")
        .unwrap_or_else(|| panic!("a policy and a template changed, and the plan shows no program change: {plan}"));
    assert!(
        program["classes"]
            .as_array()
            .unwrap()
            .contains(&json!("program-changed")),
        "{program}"
    );
    let fields = program["fields"].to_string();
    assert!(
        fields.contains("policies/lenient.rego") && fields.contains("templates/partners.csv.j2"),
        "{fields}"
    );

    // No rule for program-changed: a warning.
    let dir = copy_example();
    let text = fs::read_to_string(dir.path().join("program.yaml")).unwrap();
    let unguarded: String = text
        .lines()
        .filter(|l| !l.contains("program-changed") && !l.contains("require: [partnerships, security]"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(dir.path().join("program.yaml"), unguarded).unwrap();
    let r = run(dir.path(), &["validate", "--format", "json"]);
    assert!(r.stdout.contains("\"program-unguarded\""), "{}", r.all());
    assert_eq!(r.code, Some(0), "a warning alone: {}", r.all());

    // init ships a rule for both classes.
    let fresh = tempfile::tempdir().unwrap();
    let target = fresh.path().join("program");
    let init = assert_cmd::Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["init", target.to_str().unwrap(), "--as-of", common::AS_OF])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let program = fs::read_to_string(target.join("program.yaml")).unwrap();
    assert!(
        program.contains("on: [program-changed, exception-changed]"),
        "{program}"
    );
    let r = run(&target, &["validate", "--format", "json"]);
    assert!(!r.stdout.contains("program-unguarded"), "{}", r.all());
}
