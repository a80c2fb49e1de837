//! The change set of `plan`, through the library: the bundled northwind program as the base,
//! edited in memory as the desired state. Covers each kind's create/update/delete, every change
//! class, approvals with `owner` resolved, effects (re-acceptance, credentials that stop
//! working, partners a limits change reaches) and `terms-immutable`.

use partnerctl::diag::Code;
use partnerctl::plan::{self, Action, Change, Plan};
use partnerctl::source::{Entry, Snapshot};
use partnerctl::spec::{ChangeClass, Date};
use std::path::Path;

fn today() -> Date {
    Date::parse("2026-11-01").unwrap()
}

fn northwind() -> Snapshot {
    Snapshot::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind")).unwrap()
}

fn text(s: &Snapshot, path: &str) -> String {
    s.text(path)
        .unwrap_or_else(|| panic!("{path} is not in the program"))
        .to_string()
}

/// Replaces `from` by `to` in a file, insisting that `from` is there.
fn edit(s: &mut Snapshot, path: &str, from: &str, to: &str) {
    let t = text(s, path);
    assert!(t.contains(from), "{path} does not contain {from:?}");
    s.insert(path, Entry::Bytes(t.replacen(from, to, 1).into_bytes().into()));
}

fn write(s: &mut Snapshot, path: &str, body: &str) {
    s.insert(path, Entry::Bytes(body.as_bytes().into()));
}

fn make(base: Option<Snapshot>, desired: Snapshot) -> Plan {
    let input = plan::Input {
        base,
        base_label: "base".into(),
        base_id: "test".into(),
        base_as_of: None,
        desired,
        desired_label: "desired".into(),
        drift: Vec::new(),
        keep_outputs: false,
    };
    plan::make(input, today(), &|_| {}).plan
}

fn change<'a>(p: &'a Plan, resource: &str) -> &'a Change {
    p.changes.iter().find(|c| c.resource == resource).unwrap_or_else(|| {
        let all: Vec<&str> = p.changes.iter().map(|c| c.resource.as_str()).collect();
        panic!("no change for {resource}; changes: {all:?}")
    })
}

fn classes(c: &Change) -> Vec<&'static str> {
    c.classes.iter().map(|c| c.as_str()).collect()
}

const CARIBE: &str = "partners/caribe-shipping.yaml";
const ACME: &str = "partners/emea/acme-logistics.yaml";

#[test]
fn the_same_program_plans_nothing() {
    let p = make(Some(northwind()), northwind());
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    assert!(p.artifacts.is_empty());
    assert!(!p.has_changes());
    assert!(p.ok, "{:?}", p.diagnostics);
}

#[test]
fn with_nothing_applied_everything_is_created() {
    let p = make(None, northwind());
    assert!(p.changes.iter().all(|c| c.action == Action::Create));
    assert_eq!(p.summary.change + p.summary.destroy, 0);
    assert_eq!(
        p.summary.add,
        1 + 3 + 2 + 18,
        "program, 3 products, 2 terms, 18 partners"
    );
    assert_eq!(classes(change(&p, "program")), ["program-changed"]);
    assert_eq!(classes(change(&p, "product/rates")), ["product-added"]);
    assert_eq!(
        change(&p, "product/rates").approvals,
        ["rates-team"],
        "owner of a new product is its owner"
    );
    assert_eq!(classes(change(&p, "terms/partner-tos")), ["terms-published"]);
    let acme = change(&p, "partner/acme-logistics");
    assert!(acme.classes.contains(&ChangeClass::PartnerAdded));
    assert!(acme.classes.contains(&ChangeClass::ProductionAccess));
    assert!(acme.approvals.contains(&"security".to_string()));
    assert!(acme.approvals.contains(&"shipments-team".to_string()));
    assert!(acme.approvals.contains(&"tracking-team".to_string()));
}

#[test]
fn production_access_needs_security_and_the_products_owner() {
    let mut d = northwind();
    edit(
        &mut d,
        CARIBE,
        "    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    - {product: tracking, plan: starter, environment: sandbox}\n    - {product: tracking, plan: enterprise, environment: production}\n",
    );
    let p = make(Some(northwind()), d);
    let c = change(&p, "partner/caribe-shipping");
    assert_eq!(c.action, Action::Update);
    assert_eq!(classes(c), ["production-access"]);
    assert_eq!(
        c.approvals,
        ["security", "tracking-team"],
        "owner is the product's owner, not the partner's"
    );
    assert!(
        c.summary.contains("gains production access to tracking/enterprise"),
        "{}",
        c.summary
    );
    assert_eq!(c.fields.len(), 1);
    assert_eq!(
        c.fields[0].address,
        "partner/caribe-shipping/subscriptions/tracking@production"
    );
    assert_eq!(p.approvals, ["security", "tracking-team"]);
}

#[test]
fn sandbox_access_plan_change_and_stage_change() {
    let mut d = northwind();
    edit(
        &mut d,
        "partners/emea/baltic-freight.yaml",
        "    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    - {product: tracking, plan: starter, environment: sandbox}\n    - {product: rates, plan: starter, environment: sandbox}\n",
    );
    edit(
        &mut d,
        ACME,
        "{product: tracking, plan: standard, environment: production}",
        "{product: tracking, plan: enterprise, environment: production}",
    );
    edit(&mut d, ACME, "  stage: live\n", "  stage: suspended\n");
    edit(
        &mut d,
        ACME,
        "    - {stage: live, date: 2025-03-17}\n",
        "    - {stage: live, date: 2025-03-17}\n    - {stage: suspended, date: 2026-10-30}\n",
    );
    let p = make(Some(northwind()), d);

    let baltic = change(&p, "partner/baltic-freight");
    assert_eq!(classes(baltic), ["sandbox-access"]);
    assert!(baltic.approvals.is_empty(), "northwind has no rule for sandbox access");

    let acme = change(&p, "partner/acme-logistics");
    assert_eq!(classes(acme), ["stage-changed", "plan-changed"]);
    assert_eq!(acme.approvals, ["partnerships"]);
    let plan_field = acme
        .fields
        .iter()
        .find(|f| f.address.ends_with("tracking@production/plan"))
        .unwrap();
    assert_eq!(plan_field.before, Some("standard".into()));
    assert_eq!(plan_field.after, Some("enterprise".into()));
    let stop = acme
        .effects
        .iter()
        .find(|e| e.kind == "credentials-stop")
        .expect("suspension stops its keys");
    assert_eq!(stop.credentials, ["acme-prd-2", "acme-sbx-2"]);
    // A suspended partner with live keys and subscriptions is an error of its own.
    assert!(p.diagnostics.iter().any(|d| d.code == Code::RevokedAccess));
    assert!(!p.ok);
}

#[test]
fn credentials_issued_revoked_and_removed() {
    let mut d = northwind();
    edit(
        &mut d,
        ACME,
        "    - {id: acme-prd-2, environment: production, created: 2026-03-02, expires: 2027-03-02,\n",
        "    - {id: acme-prd-2, environment: production, created: 2026-03-02, expires: 2027-03-02, revoked: 2026-10-31,\n",
    );
    edit(
        &mut d,
        ACME,
        "  credentials:\n",
        "  credentials:\n    - {id: acme-sbx-3, environment: sandbox, created: 2026-10-30, expires: 2027-10-30,\n       secretRef: \"vault://partners/acme-logistics/acme-sbx-3\"}\n",
    );
    let p = make(Some(northwind()), d);
    let acme = change(&p, "partner/acme-logistics");
    assert_eq!(
        classes(acme),
        ["access-revoked", "credential-issued", "credential-revoked"]
    );
    let stop = acme.effects.iter().find(|e| e.kind == "credentials-stop").unwrap();
    assert_eq!(stop.credentials, ["acme-prd-2"]);
    assert!(stop.message.contains("acme-prd-2"));
    assert!(
        acme.fields
            .iter()
            .any(|f| f.address == "partner/acme-logistics/credentials/acme-sbx-3")
    );
    assert!(
        acme.fields
            .iter()
            .any(|f| f.address == "partner/acme-logistics/credentials/acme-prd-2/revoked")
    );

    // Removing a live credential outright is a revocation too.
    let mut d = northwind();
    edit(
        &mut d,
        "partners/emea/baltic-freight.yaml",
        "  credentials:\n    - {id: baltic-sbx-1, environment: sandbox, created: 2026-05-11, expires: 2027-05-11,\n       secretRef: \"vault://partners/baltic-freight/baltic-sbx-1\"}\n",
        "  credentials: []\n",
    );
    let p = make(Some(northwind()), d);
    let b = change(&p, "partner/baltic-freight");
    assert_eq!(classes(b), ["access-revoked", "credential-revoked"]);
    assert_eq!(
        b.effects
            .iter()
            .find(|e| e.kind == "credentials-stop")
            .unwrap()
            .credentials,
        ["baltic-sbx-1"]
    );
}

#[test]
fn partners_are_added_and_removed() {
    let mut d = northwind();
    let acme = text(&d, ACME);
    d.files.remove(ACME);
    write(
        &mut d,
        "partners/emea/acme-two.yaml",
        &acme
            .replace("name: acme-logistics", "name: acme-two")
            .replace("id: acme-", "id: acme2-"),
    );
    let p = make(Some(northwind()), d);
    let gone = change(&p, "partner/acme-logistics");
    assert_eq!(gone.action, Action::Delete);
    assert_eq!(
        classes(gone),
        ["partner-removed", "access-revoked", "credential-revoked"]
    );
    assert_eq!(gone.approvals, ["partnerships"]);
    let stop = gone.effects.iter().find(|e| e.kind == "credentials-stop").unwrap();
    assert_eq!(stop.credentials, ["acme-prd-2", "acme-sbx-2"]);
    let new = change(&p, "partner/acme-two");
    assert_eq!(new.action, Action::Create);
    assert!(new.classes.contains(&ChangeClass::PartnerAdded));
    assert!(new.classes.contains(&ChangeClass::CredentialIssued));
    assert_eq!(new.file, "partners/emea/acme-two.yaml");
    assert_eq!((p.summary.add, p.summary.change, p.summary.destroy), (1, 0, 1));
}

#[test]
fn limits_changes_name_the_partners_they_reach() {
    let mut d = northwind();
    edit(
        &mut d,
        "products/tracking.yaml",
        "rateLimit: {requests: 500, per: second}",
        "rateLimit: {requests: 1000, per: second}",
    );
    let p = make(Some(northwind()), d);
    let c = change(&p, "product/tracking");
    assert_eq!(classes(c), ["limits-changed"]);
    assert_eq!(c.approvals, ["tracking-team"], "owner resolves to the product's owner");
    let e = c.effects.iter().find(|e| e.kind == "limits").unwrap();
    assert_eq!(e.partners, ["kiwi-couriers", "lumen-parcel"]);
    assert_eq!(
        c.fields[0].address,
        "product/tracking/plans/enterprise/rateLimit/requests"
    );
}

#[test]
fn products_are_changed_added_and_removed() {
    let mut d = northwind();
    edit(
        &mut d,
        "products/tracking.yaml",
        "lifecycle: ga",
        "lifecycle: deprecated",
    );
    let rates = text(&d, "products/rates.yaml");
    d.files.remove("products/rates.yaml");
    write(
        &mut d,
        "products/quotes.yaml",
        &rates.replace("name: rates", "name: quotes"),
    );
    let p = make(Some(northwind()), d);
    assert_eq!(classes(change(&p, "product/tracking")), ["product-changed"]);
    assert!(change(&p, "product/tracking").approvals.is_empty());
    let removed = change(&p, "product/rates");
    assert_eq!(
        (removed.action, classes(removed)),
        (Action::Delete, vec!["product-removed"])
    );
    assert_eq!(removed.approvals, ["rates-team"]);
    assert!(
        removed
            .effects
            .iter()
            .any(|e| e.partners.contains(&"lumen-parcel".to_string()))
    );
    assert_eq!(classes(change(&p, "product/quotes")), ["product-added"]);
}

#[test]
fn a_new_terms_version_lists_who_must_reaccept_and_by_when() {
    let mut d = northwind();
    edit(
        &mut d,
        "terms/partner-tos.yaml",
        "reacceptBy: 2026-06-01}\n",
        "reacceptBy: 2026-06-01}\n    - {version: \"3.0\", effective: 2026-12-01, file: partner-tos/3.0.md, reacceptBy: 2027-02-01}\n",
    );
    write(
        &mut d,
        "terms/partner-tos/3.0.md",
        "# Partner API Terms 3.0\n\nNew terms.\n",
    );
    let p = make(Some(northwind()), d);
    let c = change(&p, "terms/partner-tos");
    assert_eq!(classes(c), ["terms-published"]);
    assert_eq!(c.approvals, ["legal"]);
    let e = c.effects.iter().find(|e| e.kind == "reaccept").unwrap();
    assert_eq!(e.by, Date::parse("2027-02-01"));
    assert!(e.partners.contains(&"acme-logistics".to_string()));
    assert!(
        !e.partners
            .iter()
            .any(|p| p == "pampas-transport" || p == "andes-cargo-link"),
        "offboarded partners are not asked"
    );
    assert!(e.message.contains("by 2027-02-01"), "{}", e.message);
    assert!(p.ok, "{:?}", p.diagnostics);
}

#[test]
fn a_published_text_or_date_cannot_change() {
    let mut d = northwind();
    let t = text(&d, "terms/partner-tos/2.0.md");
    write(&mut d, "terms/partner-tos/2.0.md", &format!("{t}\nOne more clause.\n"));
    edit(
        &mut d,
        "terms/partner-tos.yaml",
        "effective: 2025-01-01",
        "effective: 2025-02-01",
    );
    let p = make(Some(northwind()), d);
    let c = change(&p, "terms/partner-tos");
    assert_eq!(classes(c), ["terms-changed"]);
    assert_eq!(c.approvals, ["legal"]);
    let text_change = c
        .fields
        .iter()
        .find(|f| f.address == "terms/partner-tos/versions/2.0/text")
        .unwrap();
    assert!(text_change.diff.as_deref().unwrap().contains("+One more clause."));
    let found: Vec<(&str, &str)> = p
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::TermsImmutable)
        .map(|d| (d.file.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found
            .iter()
            .any(|(f, m)| *f == "terms/partner-tos/2.0.md" && m.contains("text"))
    );
    assert!(
        found
            .iter()
            .any(|(f, m)| *f == "terms/partner-tos.yaml" && m.contains("effective"))
    );
    assert!(!p.ok);
}

#[test]
fn a_future_version_may_still_change() {
    let mut base = northwind();
    edit(
        &mut base,
        "terms/partner-tos.yaml",
        "reacceptBy: 2026-06-01}\n",
        "reacceptBy: 2026-06-01}\n    - {version: \"3.0\", effective: 2026-12-01, file: partner-tos/3.0.md}\n",
    );
    write(&mut base, "terms/partner-tos/3.0.md", "draft\n");
    let mut d = base.clone();
    write(&mut d, "terms/partner-tos/3.0.md", "final\n");
    let p = make(Some(base), d);
    assert!(
        !p.diagnostics.iter().any(|d| d.code == Code::TermsImmutable),
        "{:?}",
        p.diagnostics
    );
    assert_eq!(classes(change(&p, "terms/partner-tos")), ["terms-changed"]);
}

#[test]
fn program_changes_and_rules_of_both_sides_apply() {
    let mut d = northwind();
    // The change drops the legal rule and publishes terms in the same breath: legal still signs.
    edit(
        &mut d,
        "program.yaml",
        "    - on: [terms-published, terms-changed]\n      require: [legal]\n",
        "",
    );
    write(
        &mut d,
        "terms/dpa.yaml",
        "apiVersion: partnerctl/v1\nkind: Terms\nmetadata:\n  name: dpa\n  owner: legal\nspec:\n  title: DPA\n  type: other\n  versions:\n    - {version: \"1.0\", effective: 2026-12-01, file: dpa/1.0.md}\n",
    );
    write(&mut d, "terms/dpa/1.0.md", "# DPA\n");
    let p = make(Some(northwind()), d);
    let prog = change(&p, "program");
    assert_eq!(classes(prog), ["program-changed"]);
    assert!(prog.fields.iter().any(|f| f.address.starts_with("program/approvals")));
    let dpa = change(&p, "terms/dpa");
    assert_eq!((dpa.action, classes(dpa)), (Action::Create, vec!["terms-published"]));
    assert_eq!(dpa.approvals, ["legal"]);
}

#[test]
fn every_change_class_is_reachable() {
    // The union of the tests above, in one program change, so that a class nobody produces shows.
    let mut d = northwind();
    edit(
        &mut d,
        CARIBE,
        "    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    - {product: tracking, plan: enterprise, environment: production}\n    - {product: rates, plan: starter, environment: sandbox}\n",
    );
    edit(
        &mut d,
        ACME,
        "{product: tracking, plan: standard, environment: production}",
        "{product: tracking, plan: enterprise, environment: production}",
    );
    edit(&mut d, ACME, "  stage: live\n", "  stage: suspended\n");
    edit(
        &mut d,
        ACME,
        "    - {product: shipments, plan: standard, environment: sandbox}\n",
        "",
    );
    edit(
        &mut d,
        ACME,
        "  credentials:\n",
        "  credentials:\n    - {id: acme-sbx-9, environment: sandbox, created: 2026-10-30, revoked: 2026-10-31, secretRef: \"vault://x/y\"}\n",
    );
    edit(
        &mut d,
        ACME,
        "expires: 2027-03-02,\n",
        "expires: 2027-03-02, revoked: 2026-10-31,\n",
    );
    d.files.remove("partners/lone-star-dispatch.yaml");
    let new = text(&d, "partners/maple-route.yaml")
        .replace("name: maple-route", "name: maple-two")
        .replace("id: maple-", "id: maple2-");
    write(&mut d, "partners/maple-two.yaml", &new);
    edit(
        &mut d,
        "products/tracking.yaml",
        "rateLimit: {requests: 500, per: second}",
        "rateLimit: {requests: 900, per: second}",
    );
    edit(
        &mut d,
        "products/tracking.yaml",
        "lifecycle: ga",
        "lifecycle: deprecated",
    );
    let rates = text(&d, "products/rates.yaml");
    write(
        &mut d,
        "products/quotes.yaml",
        &rates.replace("name: rates", "name: quotes"),
    );
    edit(&mut d, "products/shipments.yaml", "kind: Product", "kind: Product");
    edit(
        &mut d,
        "terms/partner-tos.yaml",
        "reacceptBy: 2026-06-01}\n",
        "reacceptBy: 2026-06-01}\n    - {version: \"3.0\", effective: 2026-12-01, file: partner-tos/3.0.md}\n",
    );
    write(&mut d, "terms/partner-tos/3.0.md", "three\n");
    edit(
        &mut d,
        "terms/data-sharing.yaml",
        "title: Northwind Data Sharing Agreement",
        "title: Northwind Data Sharing Agreement (EU)",
    );
    edit(
        &mut d,
        "program.yaml",
        "activeWithinDays: 30",
        "activeWithinDays: 45\n  exceptions:\n    - {code: terms-outdated, resource: partner/caribe-shipping, until: 2026-11-20, reason: LEG-1}",
    );
    // The rates description: one operation goes, one comes, a field changes type.
    edit(
        &mut d,
        "apis/rates.json",
        "\"/v1/rates/services\": {",
        "\"/v1/rates/zones\": {",
    );
    edit(
        &mut d,
        "apis/rates.json",
        "\"weightKg\": {\"type\": \"number\"}",
        "\"weightKg\": {\"type\": \"string\"}",
    );
    let mut base = northwind();
    write(
        &mut base,
        "products/legacy.yaml",
        &rates.replace("name: rates", "name: legacy"),
    );
    // Applied a month ago: the dates of that month take effect too (`date-effect`).
    let input = plan::Input {
        base: Some(base),
        base_label: "base".into(),
        base_id: "test".into(),
        base_as_of: Date::parse("2026-10-01"),
        desired: d,
        desired_label: "desired".into(),
        drift: Vec::new(),
        keep_outputs: false,
    };
    let p = plan::make(input, today(), &|_| {}).plan;
    let seen: std::collections::BTreeSet<ChangeClass> =
        p.changes.iter().flat_map(|c| c.classes.iter().copied()).collect();
    let missing: Vec<&str> = ChangeClass::ALL
        .iter()
        .filter(|c| !seen.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "classes never produced: {missing:?}");
}

#[test]
fn terms_are_removed() {
    let mut d = northwind();
    d.files.remove("terms/data-sharing.yaml");
    let p = make(Some(northwind()), d);
    let c = change(&p, "terms/data-sharing");
    assert_eq!((c.action, classes(c)), (Action::Delete, vec!["terms-changed"]));
    assert_eq!(c.approvals, ["legal"]);
    assert!(c.fields.iter().all(|f| f.op == plan::fields::Op::Remove));
    // Partners still point at it: the plan is not ok.
    assert!(p.diagnostics.iter().any(|d| d.code == Code::UnknownReference));
}

#[test]
fn policies_see_the_change_set() {
    let policy = "package partnerctl.custom\n\nimport rego.v1\n\ndeny contains msg if {\n\tsome c in input.changes\n\t\"production-access\" in c.classes\n\tmsg := sprintf(\"%s: production access needs a ticket\", [c.resource])\n}\n";
    let mut base = northwind();
    write(&mut base, "policies/changes.rego", policy);
    let mut d = base.clone();
    edit(
        &mut d,
        CARIBE,
        "    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    - {product: tracking, plan: starter, environment: sandbox}\n    - {product: tracking, plan: enterprise, environment: production}\n",
    );
    let quiet = make(Some(base.clone()), base);
    assert!(
        !quiet.diagnostics.iter().any(|d| d.code == Code::Policy),
        "{:?}",
        quiet.diagnostics
    );
    let p = make(Some(northwind()), d);
    let found: Vec<&str> = p
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::Policy)
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        found
            .iter()
            .any(|m| m.contains("partner/caribe-shipping: production access needs a ticket")),
        "{found:?}"
    );
    assert!(!p.ok);
}

#[test]
fn approval_handles_come_from_the_base_so_a_change_cannot_re_point_a_team_at_its_author() {
    let mut d = northwind();
    // Production access (security must approve), and security re-pointed in the same change.
    edit(
        &mut d,
        CARIBE,
        "    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    - {product: tracking, plan: starter, environment: sandbox}\n    - {product: tracking, plan: standard, environment: production}\n",
    );
    edit(
        &mut d,
        "program.yaml",
        "security: {github: \"@northwind/security\"}",
        "security: {github: \"@mallory/friends\"}",
    );
    // A team the change adds is not trusted before it is merged: the program's owner (as the
    // base has it) approves in its place, and the plan says so.
    edit(
        &mut d,
        "program.yaml",
        "    rates-team: {github: \"@northwind/rates\"}\n",
        "    rates-team: {github: \"@northwind/rates\"}\n    audit: {github: \"@northwind/audit\"}\n",
    );
    edit(
        &mut d,
        "program.yaml",
        "  approvals:\n",
        "  approvals:\n    - on: [program-changed]\n      require: [audit]\n",
    );
    let p = make(Some(northwind()), d);
    let handle = |team: &str| {
        p.approval_teams
            .iter()
            .find(|t| t.team == team)
            .unwrap_or_else(|| panic!("{team} not required: {:?}", p.approval_teams))
            .handle
            .clone()
    };
    assert_eq!(handle("security").as_deref(), Some("@northwind/security"));
    assert_eq!(handle("partnerships").as_deref(), Some("@northwind/partnerships"));
    assert!(
        !p.approval_teams.iter().any(|t| t.team == "audit"),
        "{:?}",
        p.approval_teams
    );
    let program = p.changes.iter().find(|c| c.resource == "program").unwrap();
    assert!(
        program.effects.iter().any(|e| e.kind == "approval"
            && e.message
                .contains("team `audit` is not a team of the base program: `partnerships`")),
        "{:?}",
        program.effects
    );
    let security = p.approval_teams.iter().find(|t| t.team == "security").unwrap();
    assert_eq!(security.resources, ["program", "partner/caribe-shipping"]);
    assert_eq!(security.classes, ["production-access", "program-changed"]);
}
