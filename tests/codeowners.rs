//! The codeowners target: what it writes for the bundled example, and that it agrees with the
//! approvals the plan asks for (docs/policies.md, "Review routing").

mod common;

use common::{as_of as today, copy_example as northwind, edit};

use partnerctl::approvals::codeowners;
use partnerctl::model::{self, Program};
use partnerctl::plan::Action;
use partnerctl::source::Snapshot;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

fn load(dir: &Path) -> Program {
    model::load(Snapshot::from_dir(dir).unwrap()).program
}

#[test]
fn northwind_codeowners() {
    let dir = northwind();
    let text = codeowners::render(&load(dir.path())).unwrap();
    insta::assert_snapshot!(text);
}

#[test]
fn codeowners_is_deterministic_and_names_only_handles() {
    let dir = northwind();
    let program = load(dir.path());
    let text = codeowners::render(&program).unwrap();
    assert_eq!(text, codeowners::render(&load(dir.path())).unwrap());
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut parts = line.split(' ');
        let pattern = parts.next().unwrap();
        assert!(pattern == "*" || pattern.starts_with('/'), "{line}");
        let owners: Vec<&str> = parts.collect();
        assert!(!owners.is_empty(), "{line}");
        assert!(owners.iter().all(|o| o.starts_with("@northwind/")), "{line}");
    }
}

#[test]
fn a_team_without_handle_is_left_out_but_the_file_keeps_an_owner() {
    let dir = northwind();
    edit(
        dir.path(),
        "program.yaml",
        "security: {github: \"@northwind/security\"}",
        "security: {}",
    );
    let text = codeowners::render(&load(dir.path())).unwrap();
    assert!(!text.contains("@northwind/security"), "{text}");
    let acme = text
        .lines()
        .find(|l| l.starts_with("/partners/emea/acme-logistics.yaml "))
        .unwrap();
    assert!(acme.contains("@northwind/partnerships"), "{acme}");
}

/// For every change of a pull request, each team the plan requires is an owner of the file
/// the change is written in, in the CODEOWNERS generated from the base (GitHub reads
/// CODEOWNERS from the base branch), so GitHub requests review from every required team.
#[test]
fn plan_approvals_and_codeowners_agree() {
    let base_dir = northwind();
    let base = load(base_dir.path());

    let desired_dir = northwind();
    let d = desired_dir.path();
    // Production access for a partner (needs security and the product's owner).
    edit(
        d,
        "partners/emea/fjord-cargo.yaml",
        "    - {product: shipments, plan: standard, environment: sandbox}\n",
        "    - {product: shipments, plan: standard, environment: sandbox}\n    - {product: shipments, plan: standard, environment: production}\n",
    );
    // A new version of the terms (legal).
    edit(
        d,
        "terms/partner-tos.yaml",
        "reacceptBy: 2026-06-01}",
        "reacceptBy: 2026-06-01}\n    - {version: \"3.0\", effective: 2027-01-01, file: partner-tos/3.0.md}",
    );
    fs::write(d.join("terms/partner-tos/3.0.md"), "# Terms 3.0\n").unwrap();
    // A limits change (the product's owner).
    edit(
        d,
        "products/tracking.yaml",
        "quota: {requests: 5000, per: day}",
        "quota: {requests: 6000, per: day}",
    );
    // A stage change (partnerships), and a new partner (partnerships).
    let kiwi = fs::read_to_string(d.join("partners/apac/kiwi-couriers.yaml")).unwrap();
    let stage_line = kiwi
        .lines()
        .find(|l| l.trim_start().starts_with("stage:"))
        .unwrap()
        .to_string();
    edit(d, "partners/apac/kiwi-couriers.yaml", &stage_line, "  stage: suspended");
    let acme = fs::read_to_string(d.join("partners/emea/acme-logistics.yaml")).unwrap();
    fs::write(
        d.join("partners/emea/acme-two.yaml"),
        acme.replace("name: acme-logistics", "name: acme-two")
            .replace("id: acme-", "id: acme-two-"),
    )
    .unwrap();
    // The program itself.
    edit(
        d,
        "program.yaml",
        "displayName: Northwind Partner Program",
        "displayName: Northwind Partners",
    );

    let desired = load(d);
    let changes = partnerctl::plan::changes(&base, &desired, today());
    let handles: BTreeMap<String, String> = base
        .spec()
        .unwrap()
        .teams
        .iter()
        .filter_map(|(n, t)| t.github.clone().map(|h| (n.0.clone(), h)))
        .collect();
    let rendered = codeowners::render(&base).unwrap();

    let mut seen_classes = std::collections::BTreeSet::new();
    for change in &changes {
        seen_classes.extend(change.classes.iter().map(|c| c.as_str()));
        let owners = codeowners::owners_of(&base, &change.file);
        for team in &change.approvals {
            assert!(
                owners.contains(team),
                "{} ({:?}, {}) needs {team}, but CODEOWNERS gives {} to {owners:?}",
                change.resource,
                change.classes,
                change.file,
                change.file
            );
            let handle = &handles[team];
            assert!(rendered.contains(handle.as_str()), "{handle} missing from CODEOWNERS");
        }
    }
    for class in [
        "production-access",
        "terms-published",
        "limits-changed",
        "stage-changed",
        "partner-added",
        "program-changed",
    ] {
        assert!(
            seen_classes.contains(class),
            "the scenario covers {class}: {seen_classes:?}"
        );
    }
    let added = changes.iter().find(|c| c.resource == "partner/acme-two").unwrap();
    assert_eq!(added.action, Action::Create);
    let access = changes.iter().find(|c| c.resource == "partner/fjord-cargo").unwrap();
    assert!(
        access.approvals.contains(&"security".to_string()) && access.approvals.contains(&"shipments-team".to_string())
    );
}

/// A team handle that smuggles a second owner in is a schema finding, and CODEOWNERS never
/// names it (the handle pattern already refused this before SPEC §9's encoders; kept as a
/// regression guard beside them).
#[test]
fn a_handle_that_is_no_handle_never_reaches_codeowners() {
    let dir = northwind();
    edit(
        dir.path(),
        "program.yaml",
        "github: \"@northwind/legal\"",
        "github: \"@northwind/legal @evil-user\"",
    );
    let v = partnerctl::validate_dir(dir.path(), today()).unwrap();
    assert!(
        v.diagnostics
            .iter()
            .any(|d| d.code == partnerctl::diag::Code::Schema && d.file == "program.yaml"),
        "{:#?}",
        v.diagnostics
    );
    let text = codeowners::render(&v.program).unwrap_or_default();
    assert!(!text.contains("@evil-user"), "{text}");
}
