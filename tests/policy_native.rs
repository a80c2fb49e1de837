//! The built-in rules evaluated natively (`policy::native`) give the findings their Rego gives,
//! in the same order: on the example at several dates, and on seeded random programs built to
//! hit every rule and its edges (keys revoked or expiring on the day itself, placeholders in
//! other cases, owners without teams, subscriptions added and not added by a change).

use partnerctl::diag::Diagnostic;
use partnerctl::model::{self, Program};
use partnerctl::policy::{self, builtin};
use partnerctl::source::{Entry, Snapshot};
use partnerctl::spec::Date;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;

fn example() -> Snapshot {
    Snapshot::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind")).unwrap()
}

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// Compares the two evaluations and returns the rules that fired.
fn agree(program: &Program, today: Date, changes: Option<&Value>) -> BTreeSet<String> {
    let native = policy::evaluate(program, today, changes);
    let rego = policy::evaluate_in_rego(program, today, changes);
    let show = |d: &[Diagnostic]| d.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>().join("\n");
    assert_eq!(show(&native), show(&rego), "today {today}");
    native
        .iter()
        .filter_map(|d| d.rule.as_deref().map(str::to_string))
        .collect()
}

#[test]
fn the_example_gets_the_same_findings_at_every_date() {
    let program = model::load(example()).program;
    for day in ["2026-11-01", "2027-03-23", "2027-11-02", "2029-02-28", "2030-01-01"] {
        agree(&program, date(day), None);
    }
}

/// xorshift64*: a seeded generator, so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// A date near 2026-11-01, often exactly on it or a year before it.
    fn day(&mut self) -> String {
        let years = ["2024", "2025", "2025", "2026", "2026", "2027"];
        let y = self.pick(&years);
        match self.below(4) {
            0 => format!("{y}-11-01"),
            1 => format!("{y}-10-31"),
            _ => format!("{y}-{:02}-{:02}", 1 + self.below(12), 1 + self.below(28)),
        }
    }
}

const PRODUCTS: [&str; 6] = ["p-beta", "p-ga", "p-deprecated", "p-retired", "p-ga2", "missing"];
const OWNERS: [&str; 5] = ["partnerships", "ops-team", "nohandle-team", "unknown-team", "owner"];

fn product(name: &str, lifecycle: &str, rng: &mut Rng) -> Value {
    let plans: Vec<Value> = (0..1 + rng.below(3))
        .map(|i| {
            let mut plan = json!({
                "name": format!("plan-{i}"),
                "rateLimit": {"requests": 10, "per": "second"},
                "environments": match rng.below(3) { 0 => json!(["sandbox"]), 1 => json!(["production"]), _ => json!(["sandbox", "production"]) },
            });
            if rng.chance(50) {
                plan["quota"] = json!({"requests": 1000, "per": "day"});
            }
            plan
        })
        .collect();
    let mut doc = json!({
        "apiVersion": "partnerctl/v1",
        "kind": "Product",
        "metadata": {"name": name},
        "spec": {
            "displayName": name,
            "lifecycle": lifecycle,
            "environments": {
                "sandbox": {"upstream": "https://sandbox.internal"},
                "production": {"upstream": "https://production.internal"}
            },
            "endpoints": [{"method": "GET", "path": format!("/{name}")}],
            "plans": plans,
        }
    });
    doc["metadata"]["owner"] = json!(rng.pick(&OWNERS));
    doc
}

fn partner(i: usize, rng: &mut Rng) -> Value {
    let stages = partnerctl::spec::Stage::ALL.map(|s| s.as_str());
    let name = format!("partner-{i}");
    let subscriptions: Vec<Value> = (0..rng.below(4))
        .map(|_| {
            json!({
                "product": rng.pick(&PRODUCTS),
                "plan": "plan-0",
                "environment": rng.pick(&["sandbox", "production"]),
            })
        })
        .collect();
    let refs = [
        "vault://partners/x",
        "vault://TODO/partners/x",
        "vault://ToDo",
        "vault://todo/",
        "vault://todox/y",
        "aws-sm://ToDo/key",
        "vault://partners/todo",
    ];
    let credentials: Vec<Value> = (0..rng.below(6))
        .map(|k| {
            let mut c = json!({
                "id": format!("{name}-k{k}"),
                "environment": rng.pick(&["sandbox", "production"]),
                "created": rng.day(),
                "secretRef": rng.pick(&refs),
            });
            if rng.chance(35) {
                c["revoked"] = json!(rng.day());
            }
            if rng.chance(35) {
                c["expires"] = json!(rng.day());
            }
            c
        })
        .collect();
    let mut doc = json!({
        "apiVersion": "partnerctl/v1",
        "kind": "Partner",
        "metadata": {"name": name},
        "spec": {
            "displayName": name,
            "stage": rng.pick(&stages),
            "history": [{"stage": "registered", "date": "2024-01-01"}],
            "subscriptions": subscriptions,
            "credentials": credentials,
        }
    });
    if rng.chance(50) {
        doc["spec"]["listed"] = json!(rng.chance(70));
    }
    doc["metadata"]["owner"] = json!(rng.pick(&OWNERS));
    doc
}

/// The example with teams without handles, an approval rule naming them and `owner`, and
/// generated products and partners.
fn random_program(seed: u64) -> (Program, Vec<String>) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut snap = example();
    let program = snap.text("program.yaml").unwrap().into_owned();
    let program = program
        .replace(
            "    rates-team: {github: \"@northwind/rates\"}\n",
            "    rates-team: {github: \"@northwind/rates\"}\n    ops-team: {email: ops@northwind.example}\n    nohandle-team: {}\n",
        )
        .replace(
            "  approvals:\n",
            if rng.chance(70) {
                "  approvals:\n    - on: [partner-added]\n      require: [nohandle-team, owner, ops-team]\n"
            } else {
                "  approvals:\n    - on: [partner-added]\n      require: [ops-team]\n"
            },
        );
    snap.insert("program.yaml", Entry::Bytes(program.into_bytes().into()));
    for (name, lifecycle) in [
        ("p-beta", "beta"),
        ("p-ga", "ga"),
        ("p-deprecated", "deprecated"),
        ("p-retired", "retired"),
        ("p-ga2", "ga"),
    ] {
        let doc = product(name, lifecycle, &mut rng);
        snap.insert(
            format!("products/{name}.yaml"),
            Entry::Bytes(doc.to_string().into_bytes().into()),
        );
    }
    let mut names = Vec::new();
    for i in 0..40 {
        let doc = partner(i, &mut rng);
        names.push(format!("partner-{i}"));
        snap.insert(
            format!("partners/gen/partner-{i}.yaml"),
            Entry::Bytes(doc.to_string().into_bytes().into()),
        );
    }
    let loaded = model::load(snap);
    for name in &names {
        assert!(
            loaded.program.partners.contains_key(name),
            "{name} did not load: {:#?}",
            loaded.diagnostics
        );
    }
    (loaded.program, names)
}

/// A change set as `plan --format json` writes it: partners created and updated, with fields
/// that add the subscriptions they have (and some that do not match any).
fn random_changes(program: &Program, names: &[String], rng: &mut Rng) -> Value {
    let mut changes = Vec::new();
    for name in names {
        let resource = format!("partner/{name}");
        match rng.below(4) {
            0 => changes.push(json!({"resource": resource, "action": "create", "classes": ["partner-added"]})),
            1 => {
                let p = &program.partners[name];
                let mut fields = Vec::new();
                for sub in &p.spec.subscriptions {
                    let address = format!("{resource}/subscriptions/{}@{}", sub.product.0, sub.environment);
                    let op = rng.pick(&["add", "add", "remove", "change"]);
                    fields.push(json!({"address": address, "op": op}));
                }
                fields.push(json!({"address": format!("{resource}/subscriptions/p-deprecated@nowhere"), "op": "add"}));
                changes.push(
                    json!({"resource": resource, "action": "update", "classes": ["access-granted"], "fields": fields}),
                );
            }
            2 => changes.push(json!({"resource": resource, "action": "delete", "classes": ["partner-removed"]})),
            _ => {}
        }
    }
    changes.push(json!({"resource": "partner/not-a-partner", "action": "create", "classes": []}));
    changes.push(json!({"resource": "product/p-deprecated", "action": "update", "classes": []}));
    Value::Array(changes)
}

#[test]
fn generated_programs_get_the_same_findings_from_both_evaluations() {
    let mut fired = BTreeSet::new();
    for seed in 1..=12u64 {
        let (program, names) = random_program(seed);
        let mut rng = Rng(seed | 1);
        for day in ["2026-11-01", "2025-11-01", "2027-06-15"] {
            fired.extend(agree(&program, date(day), None));
        }
        let changes = random_changes(&program, &names, &mut rng);
        fired.extend(agree(&program, date("2026-11-01"), Some(&changes)));
    }
    // Not a vacuous comparison: every built-in rule fired somewhere.
    for rule in builtin::RULES {
        assert!(fired.contains(rule.name), "{} never fired; fired: {fired:?}", rule.name);
    }
}

#[test]
fn settings_apply_to_natively_evaluated_rules_as_to_rego() {
    let (program, _) = random_program(7);
    let mut snap = program.snapshot.clone();
    let text = snap.text("program.yaml").unwrap().into_owned();
    let text = text.replace(
        "  approvals:\n",
        "  policies:\n    key-rotation: {severity: error}\n    max-live-keys: {enabled: false}\n  approvals:\n",
    );
    snap.insert("program.yaml", Entry::Bytes(text.into_bytes().into()));
    let program = model::load(snap).program;
    let rules = agree(&program, date("2026-11-01"), None);
    assert!(!rules.contains("max-live-keys"));
    assert!(rules.contains("key-rotation"));
}

#[test]
fn a_program_policy_in_a_built_in_package_is_evaluated_with_the_built_in_rules_in_rego() {
    // A program policy that adds a member to a built-in rule's set: both evaluations see it.
    let mut snap = example();
    snap.insert(
        "policies/extra.rego",
        Entry::Bytes(
            b"package partnerctl.rules.key_rotation\n\nimport rego.v1\n\nwarn contains {\"rule\": \"key-rotation\", \"msg\": \"added by the program\", \"resource\": \"program\"} if true\n"
                .as_slice()
                .into(),
        ),
    );
    let program = model::load(snap).program;
    let native = policy::evaluate(&program, date("2026-11-01"), None);
    assert!(
        native.iter().any(|d| d.message == "added by the program"),
        "{native:#?}"
    );
    agree(&program, date("2026-11-01"), None);
}

#[test]
fn a_program_policy_beside_the_built_in_rules_sees_the_same_input() {
    let mut snap = example();
    snap.insert(
        "policies/own.rego",
        Entry::Bytes(
            b"package northwind.own\n\nimport data.partnerctl.lib\nimport rego.v1\n\nwarn contains {\"msg\": sprintf(\"%s is live\", [name]), \"resource\": lib.partner(name)} if {\n\tsome name, p in input.partners\n\tp.spec.stage == \"live\"\n}\n"
                .as_slice()
                .into(),
        ),
    );
    let program = model::load(snap).program;
    let native = policy::evaluate(&program, date("2026-11-01"), None);
    assert!(native.iter().any(|d| d.message.ends_with(" is live")), "{native:#?}");
    agree(&program, date("2026-11-01"), None);
}
