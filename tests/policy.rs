//! Policies as a user meets them: the built-in rules fire on an edited copy of the bundled
//! example at the right file and line, program policies are loaded next to them, settings in
//! program.yaml switch rules off or change their severity, and broken Rego is a clear finding.

mod common;

use common::{as_of as today, copy_example_with as northwind, edit};

use partnerctl::diag::{Code, Diagnostic, Severity};
use std::fs;
use std::path::{Path, PathBuf};

/// Takes the quota off the production plan `standard` of shipments, so production-quota fires.
fn drop_standard_quota(dir: &Path) {
    let file = dir.join("products/shipments.yaml");
    let text = fs::read_to_string(&file).unwrap();
    let start = text
        .find("    - name: standard\n")
        .expect("shipments has a standard plan");
    let rest = &text[start..];
    let quota = rest.find("      quota:").expect("the standard plan has a quota");
    let end = quota + rest[quota..].find('\n').unwrap() + 1;
    fs::write(&file, format!("{}{}{}", &text[..start], &rest[..quota], &rest[end..])).unwrap();
}

/// The 1-based line of the first line containing `needle`.
fn line_of(dir: &Path, file: &str, needle: &str) -> usize {
    let text = fs::read_to_string(dir.join(file)).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{file}: no {needle:?}"))
        + 1
}

fn policy_findings(dir: &Path) -> Vec<Diagnostic> {
    let validated = partnerctl::validate_dir(dir, today()).unwrap();
    validated
        .diagnostics
        .into_iter()
        .filter(|d| d.code == Code::Policy)
        .collect()
}

fn by_rule<'a>(diags: &'a [Diagnostic], rule: &str) -> Vec<&'a Diagnostic> {
    let needle = format!("`{rule}`");
    diags
        .iter()
        .filter(|d| d.hint.as_deref().is_some_and(|h| h.contains(&needle)))
        .collect()
}

/// The one finding of `rule`, which must be at `file`:`line` with `severity`.
fn assert_one(diags: &[Diagnostic], rule: &str, file: &str, line: usize, severity: Severity) -> Diagnostic {
    let found = by_rule(diags, rule);
    assert_eq!(found.len(), 1, "expected one {rule} finding, got {found:#?}");
    let d = found[0].clone();
    assert_eq!((d.file.as_str(), d.line, d.severity), (file, line, severity), "{d:#?}");
    d
}

#[test]
fn no_built_in_rule_fires_on_the_bundled_example() {
    let dir = northwind(&[]);
    let diags = policy_findings(dir.path());
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn beta_not_in_production_fires_on_a_production_subscription() {
    let dir = northwind(&[]);
    edit(
        dir.path(),
        "products/shipments.yaml",
        "lifecycle: ga",
        "lifecycle: beta",
    );
    let diags = policy_findings(dir.path());
    let file = "partners/emea/acme-logistics.yaml";
    let line = line_of(
        dir.path(),
        file,
        "{product: shipments, plan: standard, environment: production}",
    );
    let acme: Vec<_> = by_rule(&diags, "beta-not-in-production")
        .into_iter()
        .filter(|d| d.file == file)
        .cloned()
        .collect();
    let d = assert_one(&acme, "beta-not-in-production", file, line, Severity::Error);
    assert!(
        d.message
            .contains("acme-logistics subscribes to shipments in production"),
        "{}",
        d.message
    );
    assert_eq!(d.column, 7, "points at the subscription item");
}

#[test]
fn production_quota_fires_on_the_plan() {
    let dir = northwind(&[]);
    drop_standard_quota(dir.path());
    let diags = policy_findings(dir.path());
    let file = "products/shipments.yaml";
    let line = line_of(dir.path(), file, "- name: standard");
    let found: Vec<_> = by_rule(&diags, "production-quota")
        .into_iter()
        .filter(|d| d.file == file)
        .cloned()
        .collect();
    assert_one(&found, "production-quota", file, line, Severity::Warning);
}

#[test]
fn max_live_keys_fires_on_the_third_live_key() {
    let dir = northwind(&[]);
    let file = "partners/emea/acme-logistics.yaml";
    edit(
        dir.path(),
        file,
        "       secretRef: \"vault://partners/acme-logistics/acme-prd-2\"}",
        "       secretRef: \"vault://partners/acme-logistics/acme-prd-2\"}\n    - {id: acme-prd-3, environment: production, created: 2026-10-01, secretRef: \"vault://partners/acme-logistics/acme-prd-3\"}\n    - {id: acme-prd-4, environment: production, created: 2026-10-02, secretRef: \"vault://partners/acme-logistics/acme-prd-4\"}",
    );
    let diags = policy_findings(dir.path());
    let d = assert_one(
        &diags,
        "max-live-keys",
        file,
        line_of(dir.path(), file, "id: acme-prd-4"),
        Severity::Error,
    );
    assert!(d.message.contains("3 live production keys"), "{}", d.message);
}

#[test]
fn key_rotation_fires_on_a_key_older_than_a_year() {
    let dir = northwind(&[]);
    let file = "partners/emea/acme-logistics.yaml";
    edit(
        dir.path(),
        file,
        "id: acme-sbx-2, environment: sandbox, created: 2026-01-12",
        "id: acme-sbx-2, environment: sandbox, created: 2025-10-31",
    );
    let diags = policy_findings(dir.path());
    let d = assert_one(
        &diags,
        "key-rotation",
        file,
        line_of(dir.path(), file, "id: acme-sbx-2"),
        Severity::Warning,
    );
    assert!(d.message.contains("acme-sbx-2"), "{}", d.message);
}

#[test]
fn listed_partner_live_fires_on_a_listed_suspended_partner() {
    let dir = northwind(&[]);
    let file = "partners/emea/rhine-river-shipping.yaml";
    edit(dir.path(), file, "listed: false", "listed: true");
    let diags = policy_findings(dir.path());
    assert_one(
        &diags,
        "listed-partner-live",
        file,
        line_of(dir.path(), file, "listed: true"),
        Severity::Warning,
    );
}

#[test]
fn retired_product_unsubscribed_fires_on_each_subscription() {
    let dir = northwind(&[]);
    edit(
        dir.path(),
        "products/tracking.yaml",
        "lifecycle: ga",
        "lifecycle: retired",
    );
    let diags = policy_findings(dir.path());
    let file = "partners/emea/acme-logistics.yaml";
    let acme: Vec<_> = by_rule(&diags, "retired-product-unsubscribed")
        .into_iter()
        .filter(|d| d.file == file)
        .cloned()
        .collect();
    assert_one(
        &acme,
        "retired-product-unsubscribed",
        file,
        line_of(dir.path(), file, "{product: tracking"),
        Severity::Error,
    );
}

#[test]
fn approval_teams_on_github_fires_on_a_team_without_handle() {
    let dir = northwind(&[]);
    edit(
        dir.path(),
        "program.yaml",
        "legal: {github: \"@northwind/legal\"}",
        "legal: {email: legal@northwind.example}",
    );
    let diags = policy_findings(dir.path());
    assert_one(
        &diags,
        "approval-teams-on-github",
        "program.yaml",
        line_of(dir.path(), "program.yaml", "legal: {email"),
        Severity::Warning,
    );
}

#[test]
fn deprecated_no_new_subscriptions_fires_in_plan_only() {
    let dir = northwind(&[]);
    edit(
        dir.path(),
        "products/tracking.yaml",
        "lifecycle: ga",
        "lifecycle: deprecated",
    );
    let validated = partnerctl::validate_dir(dir.path(), today()).unwrap();
    let file = "partners/emea/acme-logistics.yaml";
    assert!(
        by_rule(&validated.diagnostics, "deprecated-no-new-subscriptions").is_empty(),
        "validate has no change set"
    );

    let changes = serde_json::json!([
        {"resource": "partner/acme-logistics", "action": "update", "classes": ["production-access"], "summary": "",
         "approvals": ["security"], "file": file,
         "fields": [{"address": "partner/acme-logistics/subscriptions/tracking@production", "op": "add"}]},
        {"resource": "partner/kiwi-couriers", "action": "update", "classes": ["stage-changed"], "summary": "",
         "approvals": [], "file": "partners/apac/kiwi-couriers.yaml",
         "fields": [{"address": "partner/kiwi-couriers/stage", "op": "change"}]}
    ]);
    let diags = partnerctl::policy::evaluate(&validated.program, today(), Some(&changes));
    let d = assert_one(
        &diags,
        "deprecated-no-new-subscriptions",
        file,
        line_of(dir.path(), file, "{product: tracking"),
        Severity::Error,
    );
    assert!(d.message.contains("tracking, which is deprecated"), "{}", d.message);
}

/// The same rule on a change set computed by the plan stage: a new production subscription to
/// a deprecated product fires, the deprecated product's existing subscribers do not.
#[test]
fn deprecated_no_new_subscriptions_fires_on_a_real_plan() {
    let base_dir = northwind(&[]);
    edit(
        base_dir.path(),
        "products/tracking.yaml",
        "lifecycle: ga",
        "lifecycle: deprecated",
    );
    let desired_dir = northwind(&[]);
    edit(
        desired_dir.path(),
        "products/tracking.yaml",
        "lifecycle: ga",
        "lifecycle: deprecated",
    );
    let file = "partners/emea/fjord-cargo.yaml";
    edit(
        desired_dir.path(),
        file,
        "    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    - {product: tracking, plan: starter, environment: sandbox}\n    - {product: tracking, plan: standard, environment: production}\n",
    );
    let load = |d: &Path| partnerctl::model::load(partnerctl::source::Snapshot::from_dir(d).unwrap()).program;
    let (base, desired) = (load(base_dir.path()), load(desired_dir.path()));
    let changes = serde_json::to_value(partnerctl::plan::changes(&base, &desired, today())).unwrap();
    let diags = partnerctl::policy::evaluate(&desired, today(), Some(&changes));
    let line = line_of(
        desired_dir.path(),
        file,
        "{product: tracking, plan: standard, environment: production}",
    );
    assert_one(&diags, "deprecated-no-new-subscriptions", file, line, Severity::Error);
}

#[test]
fn settings_switch_rules_off_and_change_severity() {
    let dir = northwind(&["policy-own"]);
    drop_standard_quota(dir.path());
    edit(
        dir.path(),
        "program.yaml",
        "  outputs:\n",
        "  policies:\n    production-quota: {enabled: false}\n    live-legal-contact: {severity: warning}\n    key-rotaton: {severity: error}\n  outputs:\n",
    );
    let file = "partners/emea/acme-logistics.yaml";
    edit(
        dir.path(),
        file,
        "    - {name: Petra Lang, email: legal@acme-logistics.example, role: legal}\n",
        "",
    );
    let diags = policy_findings(dir.path());
    assert!(
        by_rule(&diags, "production-quota").is_empty(),
        "switched off: {diags:#?}"
    );
    assert_one(
        &diags,
        "live-legal-contact",
        file,
        line_of(dir.path(), file, "{name: Jane Roe"),
        Severity::Warning,
    );
    let typo: Vec<_> = diags.iter().filter(|d| d.message.contains("`key-rotaton`")).collect();
    assert_eq!(typo.len(), 1, "{diags:#?}");
    assert_eq!(
        (typo[0].file.as_str(), typo[0].line),
        ("program.yaml", line_of(dir.path(), "program.yaml", "key-rotaton"))
    );
    assert_eq!(typo[0].hint.as_deref(), Some("did you mean `key-rotation`?"));
}

#[test]
fn a_program_policy_fires_at_the_resource_and_a_plain_string_at_the_rule() {
    let dir = northwind(&["policy-own"]);
    let file = "partners/emea/acme-logistics.yaml";
    edit(
        dir.path(),
        file,
        "    - {name: Petra Lang, email: legal@acme-logistics.example, role: legal}\n",
        "",
    );
    let diags = policy_findings(dir.path());
    let d = assert_one(
        &diags,
        "live-legal-contact",
        file,
        line_of(dir.path(), file, "{name: Jane Roe"),
        Severity::Error,
    );
    assert_eq!(d.message, "acme-logistics is live without a legal contact");

    let policy = "policies/contacts.rego";
    let reminder: Vec<_> = diags.iter().filter(|d| d.message.contains("suspended")).collect();
    assert_eq!(reminder.len(), 1, "{diags:#?}");
    assert_eq!(
        (reminder[0].file.as_str(), reminder[0].line, reminder[0].severity),
        (
            policy,
            line_of(dir.path(), policy, "warn contains msg"),
            Severity::Warning
        )
    );
    // Test files are never policies.
    assert!(diags.iter().all(|d| !d.file.ends_with("_test.rego")));
}

#[test]
fn a_syntax_error_names_the_file_and_line_and_the_rest_still_runs() {
    let dir = northwind(&["policy-broken", "policy-own"]);
    drop_standard_quota(dir.path());
    let diags = policy_findings(dir.path());
    let broken: Vec<_> = diags.iter().filter(|d| d.file == "policies/broken.rego").collect();
    assert_eq!(broken.len(), 1, "{diags:#?}");
    let d = broken[0];
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.line, 8, "the line where the unclosed call is detected: {d:#?}");
    assert!(
        d.message.starts_with("policies/broken.rego does not parse: "),
        "{}",
        d.message
    );
    assert_eq!(by_rule(&diags, "production-quota").len(), 1, "built-ins still run");
    assert_eq!(
        diags.iter().filter(|d| d.file == "policies/contacts.rego").count(),
        1,
        "other program policies still run"
    );
}

#[test]
fn an_unsafe_variable_is_reported_and_the_file_left_out() {
    let dir = northwind(&["policy-unsafe"]);
    drop_standard_quota(dir.path());
    let diags = policy_findings(dir.path());
    let bad: Vec<_> = diags.iter().filter(|d| d.file == "policies/unsafe.rego").collect();
    assert_eq!(bad.len(), 1, "{diags:#?}");
    assert_eq!(bad[0].line, line_of(dir.path(), "policies/unsafe.rego", "== stage"));
    assert!(bad[0].message.contains("does not compile"), "{}", bad[0].message);
    assert_eq!(by_rule(&diags, "production-quota").len(), 1, "built-ins still run");
}

#[test]
fn a_runtime_error_names_the_file_and_line() {
    let dir = northwind(&["policy-runtime"]);
    let diags = policy_findings(dir.path());
    let bad: Vec<_> = diags.iter().filter(|d| d.file == "policies/conflict.rego").collect();
    assert_eq!(bad.len(), 1, "{diags:#?}");
    assert_eq!(bad[0].severity, Severity::Error);
    assert!(
        bad[0].message.contains("failed evaluating `deny`"),
        "{}",
        bad[0].message
    );
    assert!(bad[0].line > 1, "{:#?}", bad[0]);
}

#[test]
fn the_input_document_is_the_documents_as_written() {
    let dir = northwind(&[]);
    let validated = partnerctl::validate_dir(dir.path(), today()).unwrap();
    let input = partnerctl::policy::input_json(&validated.program, today(), None);
    assert_eq!(input["today"], "2026-11-01");
    assert_eq!(input["program"]["kind"], "Program");
    assert_eq!(input["partners"]["acme-logistics"]["spec"]["stage"], "live");
    assert_eq!(input["products"]["rates"]["spec"]["lifecycle"], "beta");
    assert_eq!(
        input["terms"]["partner-tos"]["spec"]["versions"][1]["reacceptBy"],
        "2026-06-01"
    );
    assert!(input.get("changes").is_none());
}

#[test]
fn input_schema_is_committed_and_describes_the_input() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas/input.schema.json");
    let generated = partnerctl::policy::input_schema_text();
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        fs::write(&path, &generated).unwrap();
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/input.schema.json is out of date (it embeds the kind schemas); run `UPDATE_SCHEMAS=1 cargo test --test policy` and commit"
    );

    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the input schema compiles");
    let dir = northwind(&[]);
    let validated = partnerctl::validate_dir(dir.path(), today()).unwrap();
    let input = partnerctl::policy::input_json(&validated.program, today(), Some(&serde_json::json!([])));
    let errors: Vec<String> = validator
        .iter_errors(&input)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut bad = input.clone();
    bad["partners"]["acme-logistics"]["spec"]["stage"] = "dormant".into();
    assert!(!validator.is_valid(&bad), "the schema checks the documents");
}

#[test]
fn secret_ref_placeholder_fires_on_a_live_key_left_by_import() {
    let dir = northwind(&[]);
    let file = "partners/emea/acme-logistics.yaml";
    edit(
        dir.path(),
        file,
        "secretRef: \"vault://partners/acme-logistics/acme-prd-2\"",
        "secretRef: \"vault://TODO/acme-logistics/acme-prd-2\"",
    );
    let diags = policy_findings(dir.path());
    let d = assert_one(
        &diags,
        "secret-ref-placeholder",
        file,
        line_of(dir.path(), file, "vault://TODO/"),
        Severity::Warning,
    );
    assert!(d.message.contains("acme-prd-2"), "{d:#?}");
}
