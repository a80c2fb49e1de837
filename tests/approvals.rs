//! `partnerctl approvals` as a workflow runs it: a plan made by `partnerctl plan` on a change
//! that needs three teams, GitHub-shaped reviews and team members (tests/fixtures/github/),
//! every format, and the exit codes.

mod plan_common;

use assert_cmd::Command;
use plan_common::Repo;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The head commit the fixtures' current reviews were given on.
const HEAD: &str = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
/// An older commit of the pull request.
const OLD: &str = "e5bd3914e2e596debea16f433f57875b5b90bcd6";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/github")
        .join(name)
}

/// `plan --format json` and the saved plan (`plan --out`) of a change that gives caribe-shipping
/// production access to tracking (security and the tracking team) and publishes partner-tos 3.0
/// (legal). Made once per test run.
fn plans() -> &'static (String, String) {
    static PLANS: OnceLock<(String, String)> = OnceLock::new();
    PLANS.get_or_init(|| {
        let r = Repo::northwind();
        r.only_csv_output();
        r.commit("base");
        r.edit(
            "partners/caribe-shipping.yaml",
            "    - {product: tracking, plan: starter, environment: sandbox}\n",
            "    - {product: tracking, plan: starter, environment: sandbox}\n    - {product: tracking, plan: enterprise, environment: production}\n",
        );
        r.edit(
            "terms/partner-tos.yaml",
            "reacceptBy: 2026-06-01}\n",
            "reacceptBy: 2026-06-01}\n    - {version: \"3.0\", effective: 2026-12-01, file: partner-tos/3.0.md, reacceptBy: 2027-02-01}\n",
        );
        r.write("terms/partner-tos/3.0.md", "# Terms 3.0\n\nSection 4 now covers webhooks.\n");
        let saved = r.path("saved-plan.json");
        let (code, out, err) = r.run(&["plan", "--base", "HEAD", "--format", "json", "--out", saved.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let saved = std::fs::read_to_string(saved).unwrap();
        (out, saved)
    })
}

fn plan_json() -> Value {
    serde_json::from_str(&plans().0).unwrap()
}

/// A temp dir holding files for one test.
struct Files(tempfile::TempDir);

impl Files {
    fn new() -> Files {
        Files(tempfile::tempdir().unwrap())
    }

    fn put(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn plan(&self) -> PathBuf {
        self.put("plan.json", &plans().0)
    }
}

/// Runs `partnerctl approvals --plan P --reviews R --teams T ARGS...`: (code, stdout, stderr).
fn approvals(plan: &Path, reviews: &Path, teams: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("approvals")
        .arg("--plan")
        .arg(plan)
        .arg("--reviews")
        .arg(reviews)
        .arg("--teams")
        .arg(teams)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn verdict(plan: &Path, reviews: &str, teams: &Path, args: &[&str], code: i32) -> Value {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    let (c, out, err) = approvals(plan, &fixture(reviews), teams, &a);
    assert_eq!(c, code, "{out}{err}");
    serde_json::from_str(&out).unwrap()
}

fn team<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["required"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == name)
        .unwrap_or_else(|| panic!("no {name} in {v}"))
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn the_plan_names_three_teams_with_handles() {
    let p = plan_json();
    assert_eq!(
        p["approvalTeams"],
        json!([
            {"team": "legal", "handle": "@northwind/legal", "resources": ["terms/partner-tos"], "classes": ["terms-published"]},
            {"team": "security", "handle": "@northwind/security", "resources": ["partner/caribe-shipping"], "classes": ["production-access"]},
            {"team": "tracking-team", "handle": "@northwind/tracking", "resources": ["partner/caribe-shipping"], "classes": ["production-access"]},
        ])
    );
}

#[test]
fn every_team_approved_on_head() {
    let f = Files::new();
    let v = verdict(
        &f.plan(),
        "reviews-approved.json",
        &fixture("teams.json"),
        &["--head", HEAD],
        0,
    );
    assert_eq!(keys(&v), ["ok", "planError", "required", "head", "author"]);
    assert_eq!(v["planError"], Value::Null);
    assert_eq!(v["ok"], true);
    assert_eq!(v["head"], HEAD);
    for t in v["required"].as_array().unwrap() {
        assert_eq!(
            keys(t),
            [
                "team",
                "handle",
                "satisfied",
                "approvedBy",
                "resources",
                "classes",
                "why",
                "stale",
                "changesRequestedBy"
            ]
        );
        assert_eq!(t["satisfied"], true);
        assert_eq!(t["why"], Value::Null);
    }
    assert_eq!(team(&v, "legal")["approvedBy"], json!(["alice"]));
    assert_eq!(team(&v, "legal")["resources"], json!(["terms/partner-tos"]));
    // The teams file says `Carol`, GitHub says `carol`: logins ignore case.
    assert_eq!(team(&v, "security")["approvedBy"], json!(["carol"]));
    assert_eq!(team(&v, "security")["handle"], "@northwind/security");
    // erin approved, then commented: a comment does not take an approval back.
    assert_eq!(team(&v, "tracking-team")["approvedBy"], json!(["erin"]));
}

#[test]
fn an_approval_of_an_older_commit_is_stale_with_head() {
    let f = Files::new();
    let v = verdict(
        &f.plan(),
        "reviews-stale.json",
        &fixture("teams.json"),
        &["--head", HEAD],
        1,
    );
    assert_eq!(v["ok"], false);
    let legal = team(&v, "legal");
    assert_eq!(legal["satisfied"], false);
    assert_eq!(legal["approvedBy"], json!([]));
    assert_eq!(legal["stale"], json!([{"login": "alice", "commit": OLD}]));
    assert_eq!(
        legal["why"],
        "no member of `@northwind/legal` has approved; `alice` approved an older commit (e5bd391)"
    );
    assert_eq!(team(&v, "security")["satisfied"], true);
    assert_eq!(team(&v, "tracking-team")["approvedBy"], json!(["frank"]));
    // Without --head, the commit is not asked about.
    let v = verdict(&f.plan(), "reviews-stale.json", &fixture("teams.json"), &[], 0);
    assert_eq!(team(&v, "legal")["approvedBy"], json!(["alice"]));
    assert_eq!(v["head"], Value::Null);
}

#[test]
fn latest_decisions_dismissals_and_the_author() {
    let f = Files::new();
    let v = verdict(
        &f.plan(),
        "reviews-mixed.json",
        &fixture("teams.json"),
        &["--head", HEAD, "--author", "CAROL"],
        1,
    );
    // alice approved, then requested changes; bob requested changes, then approved (the file
    // lists them out of order: what counts is submitted_at).
    let legal = team(&v, "legal");
    assert_eq!(legal["satisfied"], true);
    assert_eq!(legal["approvedBy"], json!(["bob"]));
    assert_eq!(legal["changesRequestedBy"], json!(["alice"]));
    // dave's approval was dismissed; carol is the author, whose approval does not count.
    let security = team(&v, "security");
    assert_eq!(security["satisfied"], false);
    assert_eq!(security["approvedBy"], json!([]));
    assert_eq!(
        security["why"],
        "no member of `@northwind/security` has approved; `CAROL` is the author, whose own review does not count"
    );
    assert_eq!(v["author"], "CAROL");
    // frank approved; erin's pending review and a deleted account's comment change nothing.
    assert_eq!(team(&v, "tracking-team")["approvedBy"], json!(["frank"]));

    // Without --author, carol's approval counts.
    let v = verdict(
        &f.plan(),
        "reviews-mixed.json",
        &fixture("teams.json"),
        &["--head", HEAD],
        0,
    );
    assert_eq!(team(&v, "security")["approvedBy"], json!(["carol"]));
}

#[test]
fn member_objects_as_github_returns_them_read_like_logins() {
    let f = Files::new();
    for reviews in ["reviews-approved.json", "reviews-stale.json", "reviews-mixed.json"] {
        let args = ["--head", HEAD, "--author", "carol"];
        let a = approvals(&f.plan(), &fixture(reviews), &fixture("teams.json"), &args);
        let b = approvals(&f.plan(), &fixture(reviews), &fixture("teams-members.json"), &args);
        assert_eq!(a, b, "{reviews}");
    }
}

#[test]
fn teams_without_members_or_handles_can_never_be_satisfied() {
    let f = Files::new();
    let teams = f.put(
        "teams.json",
        r#"{"@Northwind/Legal": ["alice"], "@northwind/tracking": []}"#,
    );
    let v = verdict(&f.plan(), "reviews-approved.json", &teams, &[], 1);
    assert_eq!(team(&v, "legal")["satisfied"], true, "handles ignore case");
    assert_eq!(
        team(&v, "security")["why"],
        "`@northwind/security` is not in the teams file, so no member is known"
    );
    assert_eq!(team(&v, "security")["approvedBy"], json!([]));
    assert_eq!(
        team(&v, "tracking-team")["why"],
        "`@northwind/tracking` has no members in the teams file"
    );

    let mut p = plan_json();
    p["approvalTeams"][1]["handle"] = Value::Null;
    let plan = f.put("no-handle.json", &p.to_string());
    let v = verdict(&plan, "reviews-approved.json", &fixture("teams.json"), &[], 1);
    let security = team(&v, "security");
    assert_eq!(security["handle"], Value::Null);
    assert_eq!(
        security["why"],
        "team `security` has no GitHub handle (program.yaml `spec.teams.security.github`), so no review can count for it"
    );
}

#[test]
fn a_saved_plan_reads_like_the_plan_json() {
    let f = Files::new();
    let saved = f.put("saved.json", &plans().1);
    let s: Value = serde_json::from_str(&plans().1).unwrap();
    assert_eq!(s["format"], "partnerctl-plan/v1");
    let args = ["--head", HEAD, "--author", "carol"];
    let a = approvals(&f.plan(), &fixture("reviews-mixed.json"), &fixture("teams.json"), &args);
    let b = approvals(&saved, &fixture("reviews-mixed.json"), &fixture("teams.json"), &args);
    assert_eq!(a, b);
    assert_eq!(a.0, 1);
}

#[test]
fn an_older_plan_without_approval_teams_takes_handles_from_its_base() {
    let r = Repo::northwind();
    r.only_csv_output();
    r.commit("base");
    r.edit(
        "partners/caribe-shipping.yaml",
        "    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    - {product: tracking, plan: starter, environment: sandbox}\n    - {product: tracking, plan: enterprise, environment: production}\n",
    );
    let (code, out, err) = r.run(&["plan", "--base", "HEAD", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let mut p: Value = serde_json::from_str(&out).unwrap();
    p.as_object_mut().unwrap().remove("approvalTeams");
    // The pull request re-points the tracking team at the author's friends: the working tree
    // is the pull request's, so its handles never count.
    r.edit("program.yaml", "@northwind/tracking", "@northwind/mallory-friends");
    let f = Files::new();
    let plan = f.put("old-plan.json", &p.to_string());
    let run = |dir: &Path| {
        Command::cargo_bin("partnerctl")
            .unwrap()
            .arg("-C")
            .arg(dir)
            .args(["approvals", "--format", "json", "--plan"])
            .arg(&plan)
            .arg("--reviews")
            .arg(fixture("reviews-approved.json"))
            .arg("--teams")
            .arg(fixture("teams.json"))
            .output()
            .unwrap()
    };
    let out = run(r.root());
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("has no approvalTeams"), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(team(&v, "tracking-team")["handle"], "@northwind/tracking");
    assert_eq!(
        team(&v, "tracking-team")["resources"],
        json!(["partner/caribe-shipping"])
    );

    // Run elsewhere (the base cannot be read), no team has a handle: nothing can be satisfied.
    let empty = tempfile::tempdir().unwrap();
    let out = run(empty.path());
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        team(&v, "security")["why"]
            .as_str()
            .unwrap()
            .contains("has no GitHub handle")
    );
}

#[test]
fn a_plan_that_needs_no_approval_passes() {
    let f = Files::new();
    let plan = f.put(
        "plan.json",
        r#"{"ok": true, "changes": [], "approvals": [], "approvalTeams": []}"#,
    );
    let v = verdict(&plan, "reviews-approved.json", &fixture("teams.json"), &[], 0);
    assert_eq!(v["ok"], true);
    assert_eq!(v["required"], json!([]));
    let (code, out, _) = approvals(
        &plan,
        &fixture("reviews-approved.json"),
        &fixture("teams.json"),
        &["--format", "markdown"],
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "<!-- partnerctl:approvals -->\n### ✅ partnerctl approvals\n\nThis plan needs no approvals.\n"
    );
}

#[test]
fn malformed_input_is_exit_2_naming_the_file() {
    let f = Files::new();
    let plan = f.plan();
    let teams = fixture("teams.json");
    let reviews = fixture("reviews-approved.json");
    let cases: Vec<(PathBuf, PathBuf, PathBuf, String)> = vec![
        {
            let p = f.put("broken-reviews.json", "[{\"id\": 1,");
            (
                plan.clone(),
                p.clone(),
                teams.clone(),
                format!("{}: not JSON", p.display()),
            )
        },
        {
            let p = f.put("object-reviews.json", "{\"message\": \"Not Found\"}");
            (
                plan.clone(),
                p.clone(),
                teams.clone(),
                format!("{}: not a list of reviews", p.display()),
            )
        },
        {
            let p = f.put(
                "state.json",
                r#"[{"id": 1, "user": {"login": "alice"}, "state": "LGTM", "commit_id": "x", "submitted_at": "2026-11-02T09:00:00Z"}]"#,
            );
            (
                plan.clone(),
                p.clone(),
                teams.clone(),
                format!("{}: [0].state: \"LGTM\" is not a review state", p.display()),
            )
        },
        {
            let p = f.put(
                "time.json",
                r#"[{"id": 1, "user": {"login": "alice"}, "state": "APPROVED", "commit_id": "x", "submitted_at": "yesterday"}]"#,
            );
            (
                plan.clone(),
                p.clone(),
                teams.clone(),
                format!("{}: [0].submitted_at", p.display()),
            )
        },
        {
            let p = f.put("teams-bad.json", r#"{"@northwind/legal": "alice"}"#);
            (
                plan.clone(),
                reviews.clone(),
                p.clone(),
                format!("{}: \"@northwind/legal\": the members are not an array", p.display()),
            )
        },
        {
            let p = f.put("plan-bad.json", r#"{"changes": 3}"#);
            (
                p.clone(),
                reviews.clone(),
                teams.clone(),
                format!("{}: not a plan", p.display()),
            )
        },
        {
            let p = f.put("plan-teams.json", r#"{"approvalTeams": [{"handle": "@x/y"}]}"#);
            (
                p.clone(),
                reviews.clone(),
                teams.clone(),
                format!("{}: approvalTeams[0].team is missing", p.display()),
            )
        },
        {
            let p = f.0.path().join("missing.json");
            (
                plan.clone(),
                p.clone(),
                teams.clone(),
                format!("{}: cannot read", p.display()),
            )
        },
    ];
    for (p, r, t, want) in cases {
        let (code, out, err) = approvals(&p, &r, &t, &[]);
        assert_eq!(code, 2, "{want}: {out}{err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(&want), "want {want:?} in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn text_markdown_and_github_formats() {
    let f = Files::new();
    let args = ["--head", HEAD, "--author", "carol"];
    let (code, out, err) = approvals(&f.plan(), &fixture("reviews-mixed.json"), &fixture("teams.json"), &args);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        "Approvals: 2 of 3 required teams approved (1 of them with a change request still open) on 6dcb09b5b578.\n\
         \x20 ⚠️ legal (@northwind/legal): approved by bob; alice requested changes, still open\n\
         \x20     must approve: terms/partner-tos (terms-published)\n\
         \x20 ❌ security (@northwind/security): no member of `@northwind/security` has approved; `carol` is the author, whose own review does not count\n\
         \x20     must approve: partner/caribe-shipping (production-access)\n\
         \x20 ✅ tracking-team (@northwind/tracking): approved by frank\n\
         \x20     must approve: partner/caribe-shipping (production-access)\n"
    );

    let mut md_args = args.to_vec();
    md_args.extend(["--format", "markdown"]);
    let (code, out, _) = approvals(
        &f.plan(),
        &fixture("reviews-mixed.json"),
        &fixture("teams.json"),
        &md_args,
    );
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "<!-- partnerctl:approvals -->\n### ❌ partnerctl approvals\n\n2 of 3 required teams approved (1 of them with a change request still open) on `6dcb09b5b578`.\n\n\
         | team | handle | must approve | approved by | status |\n| --- | --- | --- | --- | --- |\n\
         | legal | `@northwind/legal` | `terms/partner-tos` (terms-published) | bob | ⚠️ approved; changes requested by alice, still open |\n\
         | security | `@northwind/security` | `partner/caribe-shipping` (production-access) | — | ❌ no member of `@northwind/security` has approved; `carol` is the author, whose own review does not count |\n\
         | tracking-team | `@northwind/tracking` | `partner/caribe-shipping` (production-access) | frank | ✅ approved |\n"
    );

    let mut gh_args = args.to_vec();
    gh_args.extend(["--format", "github"]);
    let (code, out, _) = approvals(
        &f.plan(),
        &fixture("reviews-mixed.json"),
        &fixture("teams.json"),
        &gh_args,
    );
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "::warning title=changes requested%3A legal::legal: approved by bob; alice requested changes, still open\n\
         ::error title=approval missing%3A security::security (@northwind/security) has not approved: no member of `@northwind/security` has approved; `carol` is the author, whose own review does not count. It must approve: partner/caribe-shipping (production-access)\n"
    );
    let (code, out, _) = approvals(
        &f.plan(),
        &fixture("reviews-approved.json"),
        &fixture("teams.json"),
        &["--format", "github"],
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "::notice title=partnerctl approvals::3 of 3 required teams approved.\n"
    );

    let (code, _, err) = approvals(
        &f.plan(),
        &fixture("reviews-approved.json"),
        &fixture("teams.json"),
        &["--format", "sarif"],
    );
    assert_eq!(code, 2);
    // `approvals --help` does not offer it, and clap refuses it with the list it offers.
    assert!(
        err.contains("invalid value 'sarif' for '--format <FORMAT>'")
            && err.contains("[possible values: text, json, markdown, github]"),
        "{err}"
    );
}

#[test]
fn hostile_values_are_escaped_in_every_format() {
    let f = Files::new();
    let mut p = plan_json();
    let hostile_resource =
        "partner/x`</td><img src=x onerror=alert(1)>\n::warning::pwned <!-- partnerctl:approvals -->";
    p["approvalTeams"][0]["resources"] = json!([hostile_resource]);
    p["approvalTeams"][0]["team"] = json!("legal | @northwind/everyone\n## owned");
    let plan = f.put("hostile-plan.json", &p.to_string());
    let login = "ev<b>il@northwind/everyone\n::error::x";
    let teams = f.put(
        "hostile-teams.json",
        &json!({"@northwind/legal": [login], "@northwind/security": ["carol"], "@northwind/tracking": ["erin"]})
            .to_string(),
    );
    let reviews = f.put(
        "hostile-reviews.json",
        &json!([
            {"id": 1, "user": {"login": login}, "state": "APPROVED", "commit_id": HEAD, "submitted_at": "2026-11-02T09:00:00Z"},
            {"id": 2, "user": {"login": "carol"}, "state": "CHANGES_REQUESTED", "commit_id": HEAD, "submitted_at": "2026-11-02T09:00:00Z"},
            {"id": 3, "user": {"login": "erin"}, "state": "APPROVED", "commit_id": HEAD, "submitted_at": "2026-11-02T09:00:00Z"},
        ])
        .to_string(),
    );

    let (code, md, err) = approvals(&plan, &reviews, &teams, &["--format", "markdown"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(md.matches("<!--").count(), 1, "one marker: {md}");
    for bad in ["<b>", "@northwind/everyone", "\n## owned"] {
        assert!(!md.contains(bad), "{bad:?} in {md}");
    }
    // The resource stays in a code span (whose fence outlasts its backtick), on one line:
    // GitHub shows HTML in a code span as text.
    assert!(
        md.contains(
            "``partner/x`</td><img src=x onerror=alert(1)> ::warning::pwned <!-\u{200B}- partnerctl:approvals -->``"
        ),
        "{md}"
    );
    assert!(md.lines().all(|l| !l.trim_start().starts_with("::")), "{md}");
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 5, "a header, its rule and three teams: {md}");
    assert!(
        rows[2].contains("ev&lt;b&gt;il@&#8203;northwind/everyone ::error::x"),
        "{}",
        rows[2]
    );
    assert!(
        rows[2].contains("legal \\| @&#8203;northwind/everyone &#35;&#35; owned"),
        "{}",
        rows[2]
    );

    let (_, text, _) = approvals(&plan, &reviews, &teams, &[]);
    assert!(text.lines().all(|l| !l.trim_start().starts_with("::")), "{text}");
    assert!(
        text.contains("approved by ev<b>il@northwind/everyone\\n::error::x"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 7, "{text}");

    let (_, gh, _) = approvals(&plan, &reviews, &teams, &["--format", "github"]);
    assert_eq!(gh.lines().count(), 1, "only security has not approved: {gh}");
    assert!(gh.starts_with("::error title=approval missing%3A security::"), "{gh}");

    let (_, js, _) = approvals(&plan, &reviews, &teams, &["--format", "json"]);
    let v: Value = serde_json::from_str(&js).unwrap();
    assert_eq!(v["required"][0]["approvedBy"], json!([login]));
    assert_eq!(v["required"][0]["resources"], json!([hostile_resource]));
    assert_eq!(v["required"][1]["changesRequestedBy"], json!(["carol"]));
}

#[test]
fn a_team_that_approved_shows_a_members_open_change_request() {
    // GitHub's rule: one member's approval satisfies the team. bob's change request on the
    // head, made after alice approved, still stands, and every format says so next to
    // "approved".
    let f = Files::new();
    let reviews = fixture("reviews-team-split.json");
    let teams = fixture("teams.json");
    let args = ["--head", HEAD];
    let (code, text, err) = approvals(&f.plan(), &reviews, &teams, &args);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.starts_with(
            "Approvals: 3 of 3 required teams approved (1 of them with a change request still open) on 6dcb09b5b578."
        ),
        "{text}"
    );
    assert!(
        text.contains("  ⚠️ legal (@northwind/legal): approved by alice; bob requested changes, still open\n"),
        "{text}"
    );
    assert!(!text.contains("✅ legal"), "{text}");

    let mut md_args = args.to_vec();
    md_args.extend(["--format", "markdown"]);
    let (_, md, _) = approvals(&f.plan(), &reviews, &teams, &md_args);
    let legal = md.lines().find(|l| l.starts_with("| legal")).unwrap();
    assert!(
        legal.ends_with("| alice | ⚠️ approved; changes requested by bob, still open |"),
        "{legal}"
    );

    let mut gh_args = args.to_vec();
    gh_args.extend(["--format", "github"]);
    let (_, gh, _) = approvals(&f.plan(), &reviews, &teams, &gh_args);
    assert!(gh.lines().next().unwrap().starts_with("::notice "), "{gh}");
    assert!(
        gh.contains(
            "::warning title=changes requested%3A legal::legal: approved by alice; bob requested changes, still open"
        ),
        "{gh}"
    );

    let v = verdict(&f.plan(), "reviews-approved.json", &teams, &args, 0);
    assert_eq!(team(&v, "legal")["changesRequestedBy"], json!([]));
    let (_, js, _) = approvals(&f.plan(), &reviews, &teams, &["--head", HEAD, "--format", "json"]);
    let v: Value = serde_json::from_str(&js).unwrap();
    assert_eq!(team(&v, "legal")["satisfied"], true);
    assert_eq!(team(&v, "legal")["changesRequestedBy"], json!(["bob"]));
}
