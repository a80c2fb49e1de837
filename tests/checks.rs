//! Every check code fires on a fixture (code, file and line asserted), and the bundled
//! example fires none: each case is the example with one realistic mistake in it.

mod common;

use common::{as_of, copy_example, edit, write};
use partnerctl::diag::{Code, Severity};
use std::path::Path;

/// Validates a program and returns its findings as (code, file, line).
fn findings(dir: &Path) -> Vec<(Code, String, usize, Severity)> {
    let v = partnerctl::validate_dir(dir, as_of()).expect("the program is readable");
    v.diagnostics
        .into_iter()
        .map(|d| (d.code, d.file, d.line, d.severity))
        .collect()
}

#[track_caller]
fn assert_fires(dir: &Path, code: Code, file: &str, line: usize) {
    let all = findings(dir);
    assert!(
        all.iter().any(|(c, f, l, _)| *c == code && f == file && *l == line),
        "expected {code} at {file}:{line}; got {all:#?}"
    );
}

/// The codes of all findings, for asserting that a mistake fires nothing unrelated.
fn codes(dir: &Path) -> Vec<Code> {
    let mut c: Vec<Code> = findings(dir).into_iter().map(|f| f.0).collect();
    c.sort();
    c.dedup();
    c
}

#[test]
fn the_bundled_example_fires_nothing() {
    let v = partnerctl::validate_dir(&common::example_dir(), as_of()).unwrap();
    assert_eq!(
        v.diagnostics,
        vec![],
        "the example must validate cleanly as of {}",
        common::AS_OF
    );
    assert_eq!(v.program.partners.len(), 18);
    assert_eq!(v.program.products.len(), 3);
    assert_eq!(v.program.terms.len(), 2);
}

#[test]
fn yaml_syntax() {
    let dir = copy_example();
    write(
        dir.path(),
        "partners/broken.yaml",
        "apiVersion: partnerctl/v1\nkind: Partner\nmetadata: {name: broken, owner: partnerships\nspec: {}\n",
    );
    let all = findings(dir.path());
    assert!(
        all.iter()
            .any(|(c, f, l, _)| *c == Code::YamlSyntax && f == "partners/broken.yaml" && *l >= 3),
        "{all:#?}"
    );
}

#[test]
fn yaml_syntax_for_bad_encodings_empty_files_and_several_documents() {
    let dir = copy_example();
    write(dir.path(), "partners/latin1.yaml", b"apiVersion: partnerctl/v1\nkind: Partner\nmetadata: {name: latin1, owner: partnerships}\nspec: {displayName: M\xfcller}\n");
    write(dir.path(), "partners/empty.yaml", "");
    write(dir.path(), "partners/two.yaml", "kind: Partner\n---\nkind: Partner\n");
    assert_fires(dir.path(), Code::YamlSyntax, "partners/latin1.yaml", 4);
    assert_fires(dir.path(), Code::YamlSyntax, "partners/empty.yaml", 1);
    // At the `---` that starts the second document.
    assert_fires(dir.path(), Code::YamlSyntax, "partners/two.yaml", 2);
}

#[test]
fn yaml_syntax_for_alias_bombs_in_bounded_time() {
    let dir = copy_example();
    let mut y =
        String::from("a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
    let mut prev = 'a';
    for c in 'b'..='i' {
        y.push_str(&format!(
            "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
        prev = c;
    }
    write(dir.path(), "partners/laughs.yaml", y);
    let all = findings(dir.path());
    assert!(
        all.iter()
            .any(|(c, f, _, _)| *c == Code::YamlSyntax && f == "partners/laughs.yaml"),
        "{all:#?}"
    );
}

#[test]
fn duplicate_key() {
    let dir = copy_example();
    edit(
        dir.path(),
        "products/rates.yaml",
        "  lifecycle: beta\n",
        "  lifecycle: beta\n  lifecycle: ga\n",
    );
    assert_fires(dir.path(), Code::DuplicateKey, "products/rates.yaml", 14);
    assert_eq!(codes(dir.path()), vec![Code::DuplicateKey]);
}

#[test]
fn schema_points_at_the_node() {
    let dir = copy_example();
    edit(dir.path(), "products/tracking.yaml", "lifecycle: ga", "lifecycle: gaa");
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "  listed: true\n",
        "  listed: true\n  websit: https://acme.example\n",
    );
    let line = std::fs::read_to_string(dir.path().join("products/tracking.yaml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("gaa"))
        .unwrap()
        + 1;
    assert_fires(dir.path(), Code::Schema, "products/tracking.yaml", line);
    assert_fires(dir.path(), Code::Schema, "partners/emea/acme-logistics.yaml", 11);
    let v = partnerctl::validate_dir(dir.path(), as_of()).unwrap();
    let unknown = v
        .diagnostics
        .iter()
        .find(|d| d.file.ends_with("acme-logistics.yaml"))
        .unwrap();
    assert_eq!(unknown.message, "unknown field `websit` in `spec`");
    assert!(unknown.hint.as_deref().unwrap().contains("did you mean `website`?"));
    let lifecycle = v
        .diagnostics
        .iter()
        .find(|d| d.file.ends_with("tracking.yaml"))
        .unwrap();
    assert!(
        lifecycle
            .message
            .contains("is not one of: beta, ga, deprecated, retired"),
        "{}",
        lifecycle.message
    );
}

#[test]
fn schema_rejects_impossible_dates_and_unquoted_versions() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/sahara-express.yaml",
        "date: 2026-10-27",
        "date: 2026-02-30",
    );
    edit(dir.path(), "terms/partner-tos.yaml", "version: \"1.0\"", "version: 1.0");
    assert_fires(dir.path(), Code::Schema, "partners/emea/sahara-express.yaml", 15);
    assert_fires(dir.path(), Code::Schema, "terms/partner-tos.yaml", 10);
}

#[test]
fn misplaced_resource() {
    let dir = copy_example();
    std::fs::copy(
        dir.path().join("partners/emea/sahara-express.yaml"),
        dir.path().join("products/sahara-express.yaml"),
    )
    .unwrap();
    assert_fires(dir.path(), Code::MisplacedResource, "products/sahara-express.yaml", 2);
}

#[test]
fn program_unguarded_without_a_rule_for_program_changed() {
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "    - on: [program-changed, exception-changed]\n      require: [partnerships, security]\n",
        "    - on: [exception-changed]\n      require: [partnerships]\n",
    );
    assert_fires(dir.path(), Code::ProgramUnguarded, "program.yaml", 23);
    assert_eq!(codes(dir.path()), vec![Code::ProgramUnguarded]);
    let all = findings(dir.path());
    assert!(all.iter().all(|f| f.3 == Severity::Warning), "{all:?}");
}

#[test]
fn misplaced_resource_outside_the_program_folders() {
    let dir = copy_example();
    let partner = std::fs::read_to_string(dir.path().join("partners/emea/sahara-express.yaml")).unwrap();
    for place in [
        "partner/sahara-express.yaml",
        "Partners/x.yaml",
        "sahara-express.yml",
        "templates/p.yaml",
    ] {
        write(dir.path(), place, &partner);
        assert_fires(dir.path(), Code::MisplacedResource, place, 2);
    }
    // An output's own files are not the program's.
    write(dir.path(), "dist/docs/p.yaml", &partner);
    assert!(!findings(dir.path()).iter().any(|f| f.1 == "dist/docs/p.yaml"));
    assert_eq!(codes(dir.path()), vec![Code::MisplacedResource]);
}

#[test]
fn endpoint_conflict_across_products_of_one_environment() {
    let dir = copy_example();
    // Listed endpoints take the place of the description's: the tracking product declares
    // one of the shipments description's operations under another parameter name.
    edit(
        dir.path(),
        "products/tracking.yaml",
        "  openapi: apis/tracking.yaml   # its operations are the endpoints (SPEC §13)\n",
        "  endpoints:\n    - {method: GET, path: \"/v1/shipments/{shipment}\"}\n",
    );
    assert_fires(dir.path(), Code::EndpointConflict, "products/tracking.yaml", 18);
    // The shipments product's operation comes from its description: the finding is at `openapi`.
    assert_fires(dir.path(), Code::EndpointConflict, "products/shipments.yaml", 18);
    let all = partnerctl::validate_dir(dir.path(), as_of()).unwrap().diagnostics;
    let d = all.iter().find(|d| d.file == "products/tracking.yaml").unwrap();
    assert!(
        d.message.contains("`shipments`") && d.message.contains("sandbox and production"),
        "{}",
        d.message
    );
    // The azure-apim output cannot place both products' APIs at `/v1/shipments` either, and
    // says so at its own line.
    assert_eq!(codes(dir.path()), vec![Code::OutputInvalid, Code::EndpointConflict]);
}

#[test]
fn misplaced_resource_when_program_yaml_is_missing() {
    let dir = copy_example();
    std::fs::remove_file(dir.path().join("program.yaml")).unwrap();
    assert_fires(dir.path(), Code::MisplacedResource, "program.yaml", 1);
}

#[test]
fn name_mismatch() {
    let dir = copy_example();
    std::fs::rename(
        dir.path().join("partners/emea/sahara-express.yaml"),
        dir.path().join("partners/emea/sahara.yaml"),
    )
    .unwrap();
    assert_fires(dir.path(), Code::NameMismatch, "partners/emea/sahara.yaml", 4);
    assert_eq!(codes(dir.path()), vec![Code::NameMismatch]);
}

#[test]
fn duplicate_name_of_resources_and_credentials() {
    let dir = copy_example();
    std::fs::copy(
        dir.path().join("partners/emea/sahara-express.yaml"),
        dir.path().join("partners/sahara-express.yaml"),
    )
    .unwrap();
    assert_fires(dir.path(), Code::DuplicateName, "partners/sahara-express.yaml", 4);

    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "{id: acme-prd-2,",
        "{id: acme-sbx-2,",
    );
    assert_fires(dir.path(), Code::DuplicateName, "partners/emea/acme-logistics.yaml", 37);
}

#[test]
fn unknown_reference() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "{product: tracking, plan: standard",
        "{product: tracking, plan: platinum",
    );
    edit(
        dir.path(),
        "partners/emea/fjord-cargo.yaml",
        "{product: shipments,",
        "{product: shipmnts,",
    );
    assert_fires(
        dir.path(),
        Code::UnknownReference,
        "partners/emea/acme-logistics.yaml",
        29,
    );
    assert_fires(dir.path(), Code::UnknownReference, "partners/emea/fjord-cargo.yaml", 25);
    assert_eq!(codes(dir.path()), vec![Code::UnknownReference]);
}

#[test]
fn plan_environment() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "{product: tracking, plan: standard, environment: production}",
        "{product: tracking, plan: starter, environment: production}",
    );
    assert_fires(
        dir.path(),
        Code::PlanEnvironment,
        "partners/emea/acme-logistics.yaml",
        29,
    );
    assert_eq!(codes(dir.path()), vec![Code::PlanEnvironment]);
}

#[test]
fn plan_environment_for_a_credential_without_subscription() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/fjord-cargo.yaml",
        "    - {product: shipments, plan: standard, environment: sandbox}\n    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    []\n",
    );
    let all = findings(dir.path());
    assert!(
        all.iter()
            .any(|(c, f, l, _)| *c == Code::PlanEnvironment && f == "partners/emea/fjord-cargo.yaml" && *l > 24),
        "{all:#?}"
    );
}

#[test]
fn stage_gate() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/lone-star-dispatch.yaml",
        "    - {product: shipments, plan: starter, environment: sandbox}\n",
        "    - {product: shipments, plan: starter, environment: sandbox}\n    - {product: shipments, plan: standard, environment: production}\n",
    );
    assert_fires(dir.path(), Code::StageGate, "partners/lone-star-dispatch.yaml", 24);
    assert_eq!(codes(dir.path()), vec![Code::StageGate]);
    let v = partnerctl::validate_dir(dir.path(), as_of()).unwrap();
    assert_eq!(
        v.diagnostics[0].message,
        "subscription to shipments/standard in production needs stage `live`; lone-star-dispatch is in `sandbox`"
    );
}

#[test]
fn stage_gate_lets_production_requested_hold_its_subscriptions_but_no_credential() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/fjord-cargo.yaml",
        "    - {product: tracking, plan: starter, environment: sandbox}\n",
        "    - {product: tracking, plan: starter, environment: sandbox}\n    - {product: tracking, plan: standard, environment: production}\n",
    );
    assert_eq!(codes(dir.path()), Vec::<Code>::new(), "the subscriptions it asked for");
    edit(
        dir.path(),
        "partners/emea/fjord-cargo.yaml",
        "       secretRef: \"vault://partners/fjord-cargo/fjord-sbx-1\"}\n",
        "       secretRef: \"vault://partners/fjord-cargo/fjord-sbx-1\"}\n    - {id: fjord-prd-1, environment: production, created: 2026-10-30, secretRef: \"vault://partners/fjord-cargo/fjord-prd-1\"}\n",
    );
    assert_fires(dir.path(), Code::StageGate, "partners/emea/fjord-cargo.yaml", 31);
    assert_eq!(codes(dir.path()), vec![Code::StageGate]);
    // Revoked, it grants nothing: no finding.
    edit(
        dir.path(),
        "partners/emea/fjord-cargo.yaml",
        "created: 2026-10-30, secretRef",
        "created: 2026-10-30, revoked: 2026-10-31, secretRef",
    );
    assert_eq!(codes(dir.path()), Vec::<Code>::new());
}

#[test]
fn terms_missing() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "    - {terms: partner-tos, version: \"1.0\", acceptedOn: 2025-01-15, signedBy: Petra Lang}\n",
        "",
    );
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "    - {terms: partner-tos, version: \"2.0\", acceptedOn: 2026-03-18, signedBy: Petra Lang}\n",
        "",
    );
    assert_fires(dir.path(), Code::TermsMissing, "partners/emea/acme-logistics.yaml", 15);
    assert_eq!(codes(dir.path()), vec![Code::TermsMissing]);
}

#[test]
fn terms_outdated_is_an_error_after_reaccept_by() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "    - {terms: partner-tos, version: \"2.0\", acceptedOn: 2026-03-18, signedBy: Petra Lang}\n",
        "",
    );
    assert_fires(dir.path(), Code::TermsOutdated, "partners/emea/acme-logistics.yaml", 23);
    let all = findings(dir.path());
    assert!(
        all.iter().all(|f| f.0 == Code::TermsOutdated && f.3 == Severity::Error),
        "{all:#?}"
    );
}

#[test]
fn terms_outdated_is_a_warning_before_reaccept_by() {
    let dir = copy_example();
    edit(
        dir.path(),
        "terms/partner-tos.yaml",
        "reacceptBy: 2026-06-01",
        "reacceptBy: 2026-12-01",
    );
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "    - {terms: partner-tos, version: \"2.0\", acceptedOn: 2026-03-18, signedBy: Petra Lang}\n",
        "",
    );
    let all = findings(dir.path());
    assert_eq!(
        all,
        vec![(
            Code::TermsOutdated,
            "partners/emea/acme-logistics.yaml".to_string(),
            23,
            Severity::Warning
        )]
    );
}

#[test]
fn data_sharing_uncovered() {
    let dir = copy_example();
    // Shipments shares location data; a data-sharing terms without that category covers nothing.
    edit(
        dir.path(),
        "terms/data-sharing.yaml",
        "dataCategories: [location, contact]",
        "dataCategories: [contact]",
    );
    assert_fires(
        dir.path(),
        Code::DataSharingUncovered,
        "partners/emea/acme-logistics.yaml",
        27,
    );
    assert_eq!(codes(dir.path()), vec![Code::DataSharingUncovered]);
}

#[test]
fn history_invalid() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "    - {stage: production_requested, date: 2025-03-03}\n",
        "",
    );
    assert_fires(
        dir.path(),
        Code::HistoryInvalid,
        "partners/emea/acme-logistics.yaml",
        20,
    );

    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/sahara-express.yaml",
        "date: 2026-10-27",
        "date: 2026-12-27",
    );
    assert_fires(
        dir.path(),
        Code::HistoryInvalid,
        "partners/emea/sahara-express.yaml",
        15,
    );
    assert_eq!(codes(dir.path()), vec![Code::HistoryInvalid]);
}

#[test]
fn revoked_access() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/rhine-river-shipping.yaml",
        "expires: 2027-06-01, revoked: 2026-10-12,",
        "expires: 2027-06-01,",
    );
    assert_fires(
        dir.path(),
        Code::RevokedAccess,
        "partners/emea/rhine-river-shipping.yaml",
        37,
    );
    assert_eq!(codes(dir.path()), vec![Code::RevokedAccess]);

    // A suspended partner keeps its subscriptions (SPEC §15.5); an offboarded one may not.
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/rhine-river-shipping.yaml",
        "  subscriptions: []",
        "  subscriptions:\n    - {product: tracking, plan: standard, environment: production}",
    );
    assert_eq!(codes(dir.path()), Vec::<Code>::new());
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/apac/outback-haulage.yaml",
        "  subscriptions: []",
        "  subscriptions:\n    - {product: tracking, plan: standard, environment: production}",
    );
    assert_fires(
        dir.path(),
        Code::RevokedAccess,
        "partners/apac/outback-haulage.yaml",
        27,
    );
    assert_eq!(codes(dir.path()), vec![Code::RevokedAccess]);
}

#[test]
fn credential_expired() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "created: 2026-01-12, expires: 2027-01-12,",
        "created: 2026-01-12, expires: 2026-10-12,",
    );
    assert_fires(
        dir.path(),
        Code::CredentialExpired,
        "partners/emea/acme-logistics.yaml",
        33,
    );
    let all = findings(dir.path());
    assert!(
        all.iter()
            .all(|f| f.0 == Code::CredentialExpired && f.3 == Severity::Warning),
        "{all:#?}"
    );
}

#[test]
fn secret_in_repo_never_repeats_the_value() {
    let dir = copy_example();
    let secret = "9fK2mQ7xLp4Zr8Tw1Nv6Yb3Hc5Jd0Gs";
    edit(
        dir.path(),
        "partners/emea/sahara-express.yaml",
        "country: ma}",
        &format!("country: ma, api-key: \"{secret}\"}}"),
    );
    assert_fires(dir.path(), Code::SecretInRepo, "partners/emea/sahara-express.yaml", 6);
    let v = partnerctl::validate_dir(dir.path(), as_of()).unwrap();
    assert!(
        v.diagnostics
            .iter()
            .all(|d| !d.message.contains(secret) && !d.hint.clone().unwrap_or_default().contains(secret))
    );
}

#[test]
fn file_refused_for_links_out_of_the_repository_and_huge_files() {
    let dir = copy_example();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.yaml", "kind: Partner\n");
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("partners/evil.yaml"),
    )
    .unwrap();
    let big = vec![b'#'; (partnerctl::source::MAX_FILE_BYTES + 1) as usize];
    write(dir.path(), "partners/huge.yaml", big);
    assert_fires(dir.path(), Code::FileRefused, "partners/evil.yaml", 1);
    assert_fires(dir.path(), Code::FileRefused, "partners/huge.yaml", 1);
    assert_eq!(codes(dir.path()), vec![Code::FileRefused]);
}

#[test]
fn a_broken_product_does_not_flood_its_subscribers() {
    let dir = copy_example();
    edit(dir.path(), "products/tracking.yaml", "lifecycle: ga", "lifecycle: gaa");
    assert_eq!(codes(dir.path()), vec![Code::Schema]);
}

#[test]
fn output_invalid_for_paths_targets_and_templates() {
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "    - {template: templates/partners.csv.j2, path: dist/partners.csv}\n",
        "    - {template: templates/partners.csv.j2, path: dist/partners.csv}
    - {template: templates/partners.csv.j2, path: ../outside.csv}
    - {target: kong, path: dist/gateway/kong-any.yaml}
    - {template: templates/missing.j2, path: dist/missing.txt}
    - {template: templates/broken.txt.j2, path: dist/broken.txt}
    - {target: codeowners, path: dist/CODEOWNERS}
",
    );
    write(
        dir.path(),
        "templates/broken.txt.j2",
        "line one\n{% for p in partners %}\n",
    );
    let all = findings(dir.path());
    let at = |line: usize| {
        all.iter()
            .any(|(c, f, l, _)| *c == Code::OutputInvalid && f == "program.yaml" && *l == line)
    };
    assert!(at(44), "a path out of the repository: {all:#?}");
    assert!(at(45), "kong without environment: {all:#?}");
    assert!(at(46), "a missing template: {all:#?}");
    assert!(at(48), "two outputs on one path: {all:#?}");
    assert!(
        !at(43) && !at(47),
        "valid outputs and a broken template's output: {all:#?}"
    );
    assert_fires(dir.path(), Code::OutputInvalid, "templates/broken.txt.j2", 2);
}

#[test]
fn output_invalid_when_a_template_fails_to_render() {
    let dir = copy_example();
    write(
        dir.path(),
        "templates/partners.csv.j2",
        "{{ partners | nosuchfilter }}\n",
    );
    assert_fires(dir.path(), Code::OutputInvalid, "program.yaml", 43);
    assert_eq!(codes(dir.path()), vec![Code::OutputInvalid]);
}

#[test]
fn output_invalid_for_a_route_or_redis_setting_that_only_render_would_miss() {
    let dir = copy_example();
    edit(
        dir.path(),
        "products/tracking.yaml",
        ", route: {name: tracking, namespace: northwind}}",
        "}",
    );
    edit(
        dir.path(),
        "program.yaml",
        "path: dist/k8s/kong-ingress-production, namespace: kong}",
        "path: dist/k8s/kong-ingress-production, namespace: kong, quotaPolicy: redis}",
    );
    edit(
        dir.path(),
        "program.yaml",
        "path: dist/gateway/kong-sandbox.yaml}",
        "path: dist/gateway/kong-sandbox.yaml, redis: {host: redis.kong.svc, port: 6379}}",
    );
    let all: Vec<(Code, String, usize, String)> = partnerctl::validate_dir(dir.path(), as_of())
        .expect("the program is readable")
        .diagnostics
        .into_iter()
        .map(|d| (d.code, d.file, d.line, d.message))
        .collect();
    let at = |line: usize, needle: &str| {
        all.iter()
            .any(|(c, f, l, m)| *c == Code::OutputInvalid && f == "program.yaml" && *l == line && m.contains(needle))
    };
    assert!(
        at(44, "product `tracking`") && at(44, "environments.production.route"),
        "envoy-gateway without the product's route: {all:#?}"
    );
    assert!(!at(44, "product `shipments`"), "shipments has its route: {all:#?}");
    assert!(
        at(45, "`quotaPolicy: redis` needs `redis"),
        "redis without its settings: {all:#?}"
    );
    assert!(
        at(38, "`redis` is only read with `quotaPolicy: redis`"),
        "redis settings without redis: {all:#?}"
    );
    assert_eq!(
        all.iter().filter(|(c, ..)| *c == Code::OutputInvalid).count(),
        3,
        "{all:#?}"
    );
}

#[test]
fn acceptance_mismatch() {
    let dir = copy_example();
    // The right digest: no finding, and a digest is not a secret.
    edit(
        dir.path(),
        "partners/lone-star-dispatch.yaml",
        "acceptedOn: 2026-10-07, signedBy: Maria Hernández}\n    - {terms: data-sharing",
        "acceptedOn: 2026-10-07, signedBy: {name: Maria Hernández, email: maria.hernandez@lonestardispatch.example, title: COO},\n       textSha256: 8533bfa6af42db65a006e340456efc11199c115e42afc80913749c54ce615734, method: issue-form,\n       evidence: \"https://github.com/northwind/partners/issues/7\"}\n    - {terms: data-sharing",
    );
    assert_eq!(codes(dir.path()), Vec::<Code>::new());
    // The digest of version 1.0's text, recorded for 2.0.
    edit(
        dir.path(),
        "partners/lone-star-dispatch.yaml",
        "8533bfa6af42db65a006e340456efc11199c115e42afc80913749c54ce615734",
        "fe91f91e126005ed4ed2d2a3562012a2f259f6f3ea5f39dde0331c753fc04fd0",
    );
    assert_fires(
        dir.path(),
        Code::AcceptanceMismatch,
        "partners/lone-star-dispatch.yaml",
        21,
    );
    assert_eq!(codes(dir.path()), vec![Code::AcceptanceMismatch]);
}

#[test]
fn acceptance_evidence_against_the_applied_state() {
    let applied = partnerctl::source::Snapshot::from_dir(&common::example_dir()).unwrap();
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "  activeWithinDays: 30\n",
        "  activeWithinDays: 30\n  agreements: {requireEvidence: true}\n",
    );
    // An acceptance already applied is not judged; one added without evidence is.
    edit(
        dir.path(),
        "partners/lone-star-dispatch.yaml",
        "    - {terms: data-sharing, version: \"1.0\", acceptedOn: 2026-10-07, signedBy: Maria Hernández}\n",
        "    - {terms: data-sharing, version: \"1.0\", acceptedOn: 2026-10-07, signedBy: Maria Hernández}\n    - {terms: partner-tos, version: \"1.0\", acceptedOn: 2026-10-08, signedBy: Maria Hernández}\n",
    );
    let mut v = partnerctl::validate_dir(dir.path(), as_of()).unwrap();
    assert!(v.needs_applied_state());
    assert!(v.diagnostics.is_empty(), "{:#?}", v.diagnostics);
    v.check_against_applied(applied.clone(), as_of());
    let found: Vec<(Code, &str, usize)> = v
        .diagnostics
        .iter()
        .map(|d| (d.code, d.file.as_str(), d.line))
        .collect();
    assert_eq!(
        found,
        vec![(Code::AcceptanceEvidence, "partners/lone-star-dispatch.yaml", 22)]
    );
    assert!(
        v.diagnostics[0]
            .message
            .contains("without textSha256, method, evidence")
    );
    // With all three, nothing.
    edit(
        dir.path(),
        "partners/lone-star-dispatch.yaml",
        "acceptedOn: 2026-10-08, signedBy: Maria Hernández}",
        "acceptedOn: 2026-10-08, signedBy: Maria Hernández, textSha256: fe91f91e126005ed4ed2d2a3562012a2f259f6f3ea5f39dde0331c753fc04fd0, method: countersigned, evidence: \"https://contracts.northwind.example/lsd/1\"}",
    );
    let mut v = partnerctl::validate_dir(dir.path(), as_of()).unwrap();
    v.check_against_applied(applied, as_of());
    assert!(v.diagnostics.is_empty(), "{:#?}", v.diagnostics);
}
