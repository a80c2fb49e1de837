//! Snapshots of the plan as people, machines and pull requests see it, and the markdown split.

mod plan_common;

use plan_common::{Repo, redact};

/// A base committed, then a working tree that touches each kind: production access, a limits
/// change, a new terms version, a partner removed, a program setting.
fn scenario() -> Repo {
    let r = Repo::northwind();
    r.only_csv_output();
    r.commit("base");
    r.edit(
        "partners/caribe-shipping.yaml",
        "    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    - {product: tracking, plan: starter, environment: sandbox}\n    - {product: tracking, plan: enterprise, environment: production}\n",
    );
    r.edit(
        "products/tracking.yaml",
        "rateLimit: {requests: 500, per: second}",
        "rateLimit: {requests: 1000, per: second}",
    );
    r.edit(
        "terms/partner-tos.yaml",
        "reacceptBy: 2026-06-01}\n",
        "reacceptBy: 2026-06-01}\n    - {version: \"3.0\", effective: 2026-12-01, file: partner-tos/3.0.md, reacceptBy: 2027-02-01}\n",
    );
    r.write(
        "terms/partner-tos/3.0.md",
        "# Northwind Partner API Terms 3.0\n\nSection 4 now covers webhooks.\n",
    );
    r.remove("partners/lone-star-dispatch.yaml");
    r.edit("program.yaml", "activeWithinDays: 30", "activeWithinDays: 45");
    r.edit(
        "partners/emea/acme-logistics.yaml",
        "displayName: ACME Logistics",
        "displayName: ACME Logistics Group",
    );
    r
}

#[test]
fn text_plan() {
    let r = scenario();
    let (code, out, err) = r.run(&["plan", "--base", "HEAD", "--detailed-exitcode"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        out.contains(
            "Plan: 0 to add, 5 to change, 1 to destroy. Approvals: legal, partnerships, security, tracking-team."
        ),
        "{out}"
    );
    insta::assert_snapshot!(redact(&out, r.root()));
}

#[test]
fn json_plan() {
    let r = scenario();
    let (code, out, err) = r.run(&["plan", "--base", "HEAD", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(
        v["approvals"],
        serde_json::json!(["legal", "partnerships", "security", "tracking-team"])
    );
    insta::assert_snapshot!(redact(&out, r.root()));
}

#[test]
fn markdown_plan() {
    let r = scenario();
    let (code, out, err) = r.run(&["plan", "--base", "HEAD", "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(PART_BREAK), "a small plan is one part");
    assert_eq!(out.matches("<details>").count(), out.matches("</details>").count());
    insta::assert_snapshot!(redact(&out, r.root()));
}

const PART_BREAK: &str = "<!-- partnerctl:part-break -->";

#[test]
fn markdown_split_into_complete_parts() {
    let r = Repo::northwind();
    r.only_csv_output();
    r.commit("base");
    let limit = 4_000;
    let (code, out, err) = r.run(&["plan", "--format", "markdown", "--part-limit", &limit.to_string()]);
    assert_eq!(code, 0, "{err}");
    let parts: Vec<&str> = out.split(&format!("\n{PART_BREAK}\n")).collect();
    assert!(
        parts.len() > 2,
        "24 new resources do not fit in {limit} bytes: {} part(s)",
        parts.len()
    );
    let n = parts.len();
    let mut seen = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        assert!(p.len() <= limit, "part {} has {} bytes", i + 1, p.len());
        assert!(
            p.starts_with(&format!("<!-- partnerctl:plan part {}/{n} -->\n", i + 1)),
            "{p}"
        );
        assert_eq!(
            p.matches("<details>").count(),
            p.matches("</details>").count(),
            "part {} cuts a block",
            i + 1
        );
        assert_eq!(p.matches("```").count() % 2, 0, "part {} cuts a code block", i + 1);
        for line in p.lines().filter(|l| l.starts_with("<details><summary>")) {
            seen.push(line.to_string());
        }
    }
    assert_eq!(seen.len(), 24 + 1, "every resource and the one output, each once");

    // The same parts as files, for a workflow to post one comment each.
    let dir = r.path("parts");
    let (code, files, _) = r.run(&[
        "plan",
        "--format",
        "markdown",
        "--part-limit",
        "4000",
        "--parts-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(files.lines().count(), n);
    assert_eq!(std::fs::read_to_string(dir.join("plan-1.md")).unwrap(), parts[0]);

    let outline: Vec<String> = parts
        .iter()
        .map(|p| {
            let title = p.lines().nth(1).unwrap_or_default().to_string();
            let blocks = p.matches("<details>").count();
            format!("{title} — {blocks} block(s)")
        })
        .collect();
    insta::assert_snapshot!(outline.join("\n"));
}
