//! A plan renders the base's outputs only where the change can reach them
//! (`partnerctl::plan::outputs`): for every kind of one-partner change, and for changes
//! that are not about partners, the base's files the plan diffs against are byte for byte
//! the base rendered in full, and the outputs that were not rendered are the ones the change
//! could not reach.

mod common;

use partnerctl::model::{self, Program};
use partnerctl::output::RenderedFile;
use partnerctl::plan::outputs::base_outputs;
use partnerctl::render;
use partnerctl::source::{Entry, Snapshot};
use std::collections::BTreeMap;

fn example() -> Snapshot {
    Snapshot::from_dir(&common::example_dir()).unwrap()
}

fn load(s: Snapshot) -> Program {
    model::load(s).program
}

fn text(s: &Snapshot, path: &str) -> String {
    match &s.files[path] {
        Entry::Bytes(b) => String::from_utf8(b.bytes().into_owned()).unwrap(),
        Entry::Refused(why) => panic!("{path}: {why}"),
    }
}

fn edited(path: &str, from: &str, to: &str) -> Snapshot {
    let mut s = example();
    let before = text(&s, path);
    assert!(before.contains(from), "{path} has no {from:?}");
    s.insert(
        path.to_string(),
        Entry::Bytes(before.replacen(from, to, 1).into_bytes().into()),
    );
    s
}

/// The base's files as the plan has them, and per output whether it was rendered for the
/// base (`true`) or taken from the desired side (`false`), by output path.
fn as_planned(base: &Program, desired: &Program) -> (Vec<RenderedFile>, BTreeMap<String, bool>) {
    let today = common::as_of();
    let each = base_outputs(base, desired, today).unwrap();
    let desired_each = render::render_each(desired, today, None, Default::default()).unwrap();
    let outputs = &base.spec().unwrap().outputs;
    assert_eq!(each.len(), desired_each.len());
    let mut rendered = BTreeMap::new();
    let mut files = Vec::new();
    for ((output, b), d) in outputs.iter().zip(each).zip(desired_each) {
        rendered.insert(output.path.clone(), b.is_some());
        files.extend(b.unwrap_or(d));
    }
    (files, rendered)
}

fn full(p: &Program) -> Vec<RenderedFile> {
    render::render_all(p, common::as_of()).unwrap()
}

const SEPARABLE: &[&str] = &[
    "dist/gateway/kong-production.yaml",
    "dist/gateway/kong-sandbox.yaml",
    "dist/gateway/nginx-sandbox.conf",
    "dist/gateway/envoy-ratelimit-production.yaml",
    "dist/CODEOWNERS",
    "dist/k8s/envoy-gateway-production",
    "dist/k8s/kong-ingress-production",
];
/// Partner-separable outputs that also show a partner's display name: the Backstage catalog
/// and the API Management template.
const NAMED: &[&str] = &["dist/backstage", "dist/azure/apim-production.json"];
const ALWAYS: &[&str] = &["dist/docs", "dist/partners.csv"];
/// Rendered in full unless the change is to display names the report does not show.
const FUNNEL: &str = "dist/internal/funnel.html";

/// Checks one change (base → desired) and returns which outputs were rendered for the base.
fn check(base: Snapshot, desired: Snapshot) -> BTreeMap<String, bool> {
    check_as("", base, desired)
}

fn check_as(what: &str, base: Snapshot, desired: Snapshot) -> BTreeMap<String, bool> {
    let (base, desired) = (load(base), load(desired));
    let (files, rendered) = as_planned(&base, &desired);
    let expected = full(&base);
    assert_eq!(files.len(), expected.len());
    for (got, want) in files.iter().zip(&expected) {
        assert_eq!(got.path, want.path);
        assert!(
            got.bytes == want.bytes,
            "{what}: {}: the plan's base differs from the base rendered in full",
            got.path
        );
    }
    for path in ALWAYS {
        assert!(rendered[*path], "{path} is always rendered in full");
    }
    rendered
}

const ACME: &str = "partners/emea/acme-logistics.yaml";

#[test]
fn a_change_no_gateway_shows_renders_none_of_them() {
    let rendered = check(
        example(),
        edited(ACME, "displayName: ACME Logistics", "displayName: ACME Logistics AG"),
    );
    for path in SEPARABLE {
        assert!(!rendered[*path], "{path} was rendered for a display name");
    }
}

#[test]
fn a_new_display_name_spares_the_funnel_report_only_where_the_report_does_not_show_it() {
    let base = example();
    let funnel = |p: Program| full(&p).into_iter().find(|f| f.path == FUNNEL).unwrap().bytes;
    let before = funnel(load(base.clone()));
    let (mut spared, mut shown) = (Vec::new(), Vec::new());
    for file in base.files.keys().filter(|p| p.starts_with("partners/")) {
        let desired = edited(file, "displayName: ", "displayName: Renamed ");
        let rendered = check_as(file, base.clone(), desired.clone());
        let differs = funnel(load(desired)) != before;
        assert!(
            rendered[FUNNEL] || !differs,
            "{file}: the report shows the new name, yet the base's was not rendered"
        );
        if rendered[FUNNEL] { &mut shown } else { &mut spared }.push(file.clone());
    }
    assert!(!spared.is_empty(), "no partner unnamed by the report: {shown:?}");
    assert!(!shown.is_empty(), "no partner named by the report: {spared:?}");
    // Anything beside the display name: rendered in full.
    let rendered = check(example(), edited(ACME, "  stage: live\n", "  stage: suspended\n"));
    assert!(rendered[FUNNEL]);
}

#[test]
fn a_change_of_access_renders_exactly_the_outputs_it_reaches() {
    // Suspending a live partner takes it out of every production gateway; its CODEOWNERS
    // line stays. The outputs rendered in full are the ones whose base differs from the
    // desired output: taking the desired files for them would have hidden the change.
    let base = example();
    let desired = edited(ACME, "  stage: live\n", "  stage: suspended\n");
    let desired = {
        let mut d = desired;
        let t = text(&d, ACME).replacen(
            "    - {stage: live, date: 2025-03-17}\n",
            "    - {stage: live, date: 2025-03-17}\n    - {stage: suspended, date: 2026-10-01}\n",
            1,
        );
        d.insert(ACME.to_string(), Entry::Bytes(t.into_bytes().into()));
        d
    };
    let rendered = check(base.clone(), desired.clone());
    let (b, d) = (full(&load(base)), full(&load(desired)));
    let differs = |path: &str| {
        let pick = |files: &[RenderedFile]| -> Vec<(String, Vec<u8>)> {
            files
                .iter()
                .filter(|f| f.path == path || f.path.starts_with(&format!("{path}/")))
                .map(|f| (f.path.clone(), f.bytes.clone()))
                .collect()
        };
        pick(&b) != pick(&d)
    };
    for path in SEPARABLE.iter().chain(NAMED) {
        assert_eq!(rendered[*path], differs(path), "{path}");
    }
    assert!(rendered[NAMED[0]], "the catalog shows the partner's stage");
    assert!(rendered[NAMED[1]], "a suspended partner's subscriptions are suspended");
    assert!(rendered["dist/gateway/kong-production.yaml"] && rendered["dist/k8s/kong-ingress-production"]);
    assert!(!rendered["dist/CODEOWNERS"]);
}

#[test]
fn every_kind_of_partner_change_gives_the_full_base() {
    let changes: Vec<(&str, Snapshot, Snapshot)> = vec![
        (
            "a credential revoked",
            example(),
            edited(
                ACME,
                "{id: acme-prd-2, environment: production, created: 2026-03-02, expires: 2027-03-02,",
                "{id: acme-prd-2, environment: production, created: 2026-03-02, expires: 2027-03-02, revoked: 2026-10-30,",
            ),
        ),
        (
            "another plan",
            example(),
            edited(
                ACME,
                "{product: tracking, plan: standard, environment: production}",
                "{product: tracking, plan: enterprise, environment: production}",
            ),
        ),
        (
            "a subscription dropped",
            example(),
            edited(
                ACME,
                "    - {product: tracking, plan: standard, environment: production}\n",
                "",
            ),
        ),
        (
            "an owner changed",
            example(),
            edited(ACME, "owner: partnerships", "owner: security"),
        ),
        ("a partner removed", example(), {
            let mut s = example();
            s.files.remove(ACME);
            s
        }),
        (
            "a partner added",
            {
                let mut s = example();
                s.files.remove(ACME);
                s
            },
            example(),
        ),
        ("a partner moved to another folder", example(), {
            let mut s = example();
            let t = s.files.remove(ACME).unwrap();
            s.insert("partners/acme-logistics.yaml".to_string(), t);
            s
        }),
        ("two partners changed", example(), {
            let mut s = edited(ACME, "displayName: ACME Logistics", "displayName: ACME");
            let kiwi = "partners/apac/kiwi-couriers.yaml";
            let t = text(&s, kiwi).replacen("  stage: live\n", "  stage: offboarded\n", 1);
            s.insert(kiwi.to_string(), Entry::Bytes(t.into_bytes().into()));
            s
        }),
    ];
    for (what, base, desired) in changes {
        let rendered = check_as(what, base.clone(), desired.clone());
        if what == "an owner changed" {
            // Neither names the partner's owner: the change cannot reach them.
            for path in NAMED {
                assert!(!rendered[*path], "{what}: {path} was rendered");
            }
        }
        // And the change undone: the same partners, the other way round.
        check_as(what, desired, base);
    }
}

#[test]
fn a_change_beyond_partners_renders_every_output() {
    let product = "products/tracking.yaml";
    let s = example();
    let t = text(&s, product);
    let line = t
        .lines()
        .find(|l| l.contains("requests:"))
        .expect("a plan with requests")
        .to_string();
    let rendered = check(
        example(),
        edited(product, &line, &line.replacen("requests: ", "requests: 1", 1)),
    );
    assert!(rendered.values().all(|r| *r), "{rendered:?}");
}

#[test]
fn a_gateway_template_the_program_replaces_is_always_rendered() {
    // A replaced template can count or truncate what it is given, so the changed partners
    // rendered alone prove nothing about it.
    let with_override = |mut s: Snapshot| {
        s.insert(
            "templates/kong/kong.yaml.j2".to_string(),
            Entry::Bytes(
                b"# {{ deck.consumers | length }} consumers\n{{ deck | yaml }}"
                    .as_slice()
                    .into(),
            ),
        );
        s
    };
    let rendered = check(
        with_override(example()),
        with_override(edited(
            ACME,
            "displayName: ACME Logistics",
            "displayName: ACME Logistics AG",
        )),
    );
    assert!(rendered["dist/gateway/kong-production.yaml"] && rendered["dist/gateway/kong-sandbox.yaml"]);
    assert!(!rendered["dist/gateway/nginx-sandbox.conf"] && !rendered["dist/CODEOWNERS"]);
}

/// Once the checks and policies have run, validate and plan hold no document in the policy
/// engine's form (several times the size of its file: at 100,000 partners, most of the
/// memory), so rendering does not add to it; a plan still compares and shows the change.
#[test]
fn validate_and_plan_let_go_of_the_documents_before_rendering() {
    let today = common::as_of();
    let kept = |p: &Program| -> Vec<String> {
        p.documents
            .iter()
            // program.yaml is read again to place the outputs' findings: one small file.
            .filter(|d| d.written.is_kept() && d.file != "program.yaml")
            .map(|d| d.file.clone())
            .collect()
    };
    let v = partnerctl::validate_snapshot(example(), today);
    assert!(v.program.documents.len() > 20);
    assert_eq!(kept(&v.program), Vec::<String>::new());

    let input = partnerctl::plan::Input {
        base: Some(example()),
        base_label: "base".into(),
        base_id: "base".into(),
        base_as_of: None,
        desired: edited(ACME, "displayName: ACME Logistics", "displayName: ACME Logistics AG"),
        desired_label: "desired".into(),
        drift: Vec::new(),
        keep_outputs: false,
    };
    let planned = partnerctl::plan::make(input, today, &|_| {});
    assert_eq!(kept(&planned.desired), Vec::<String>::new());
    let changed: Vec<&str> = planned.plan.changes.iter().map(|c| c.resource.as_str()).collect();
    assert_eq!(changed, ["partner/acme-logistics"]);
}
