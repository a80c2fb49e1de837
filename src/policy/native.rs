//! The built-in rules evaluated in Rust over the typed program, with the same findings as
//! their Rego (`policies/*.rego`), member for member and in the same order.
//!
//! The Rego files stay the definition: `policy test` runs their tests, `policy show` prints
//! them, and a program whose own policies declare a package under `partnerctl` (and could so
//! add to a built-in rule set) has them evaluated as Rego. Everywhere else `validate` and
//! `plan` evaluate them here, which needs no policy engine and no document in the engine's
//! form: on 10,000 partners the nine rule sets took a sixth of validate's time in the engine,
//! and keeping every document for it most of validate's memory.
//!
//! Why the typed program reads as the documents "as written" that the Rego sees: the input
//! holds only documents that typed (SPEC §6), every field a rule reads is one the schema pins
//! to what its type writes back unchanged (dates `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, stages,
//! lifecycles and environments as enums), and no field a rule reads has a default the written
//! document could leave out (`listed` is `false` when absent, which the Rego's `== true` reads
//! the same). `tests/policy_native.rs` holds the two evaluations equal on the example, on
//! generated programs that hit every rule, and on every built-in rule's Rego tests' inputs.

use super::builtin::BuiltinRule;
use crate::model::Program;
use crate::spec::{Date, Environment, Lifecycle, Stage};
use regorus::Value;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// Whether a rule has a native evaluation (every built-in rule has).
pub fn has(rule: &BuiltinRule) -> bool {
    evaluator(rule.name).is_some()
}

/// The members of the rule's `deny` or `warn` set, as the Rego evaluation returns them (a
/// set: sorted by the engine's order of values, without duplicates), converted to JSON.
/// `None` for a rule without a native evaluation.
pub fn evaluate(rule: &BuiltinRule, program: &Program, today: Date, changes: Option<&Json>) -> Option<Vec<Json>> {
    let eval = evaluator(rule.name)?;
    let mut set = BTreeSet::new();
    eval(&mut Members(&mut set, rule.name), program, &today.to_string(), changes);
    Some(
        set.into_iter()
            .map(|v| serde_json::to_value(&v).unwrap_or(Json::Null))
            .collect(),
    )
}

/// The line of a built-in rule's `deny`/`warn` declaration and the set's name, as the engine
/// reports them for a finding it cannot place.
pub fn declaration(rule: &BuiltinRule) -> (&'static str, usize) {
    for (i, line) in rule.source.lines().enumerate() {
        for set in ["deny", "warn"] {
            if line.starts_with(set) && line[set.len()..].starts_with(" contains") {
                return (set, i + 1);
            }
        }
    }
    ("deny", 1)
}

type Eval = fn(&mut Members, &Program, &str, Option<&Json>);

fn evaluator(name: &str) -> Option<Eval> {
    Some(match name {
        "beta-not-in-production" => beta_not_in_production,
        "production-quota" => production_quota,
        "max-live-keys" => max_live_keys,
        "key-rotation" => key_rotation,
        "listed-partner-live" => listed_partner_live,
        "retired-product-unsubscribed" => retired_product_unsubscribed,
        "deprecated-no-new-subscriptions" => deprecated_no_new_subscriptions,
        "approval-teams-on-github" => approval_teams_on_github,
        "secret-ref-placeholder" => secret_ref_placeholder,
        _ => return None,
    })
}

/// The set being built, and the rule name every member carries.
struct Members<'a>(&'a mut BTreeSet<Value>, &'static str);

impl Members<'_> {
    fn add(&mut self, msg: String, resource: String, path: String) {
        let mut o = BTreeMap::new();
        o.insert(Value::from("rule"), Value::from(self.1));
        o.insert(Value::from("msg"), Value::from(msg));
        o.insert(Value::from("resource"), Value::from(resource));
        o.insert(Value::from("path"), Value::from(path));
        self.0.insert(Value::from(o));
    }
}

fn partner(name: &str) -> String {
    format!("partner/{name}")
}

/// `lib.live_credential(c)`: not revoked on or before today and not expired. Dates compare as
/// their `YYYY-MM-DD` text, as in the Rego.
fn live(revoked: Option<Date>, expires: Option<Date>, today: &str) -> bool {
    revoked.is_none_or(|d| d.to_string().as_str() > today) && expires.is_none_or(|d| d.to_string().as_str() > today)
}

/// `lib.one_year_before(day)`: `sprintf("%d%s", [to_number(substring(day, 0, 4)) - 1,
/// substring(day, 4, -1)])`.
fn one_year_before(day: &str) -> Option<String> {
    let year: i64 = day.get(..4)?.parse().ok()?;
    Some(format!("{}{}", year - 1, day.get(4..)?))
}

fn lifecycle_of(program: &Program, product: &str) -> Option<Lifecycle> {
    program.products.get(product).map(|p| p.spec.lifecycle)
}

fn beta_not_in_production(out: &mut Members, program: &Program, _: &str, _: Option<&Json>) {
    for (name, p) in &program.partners {
        for (i, sub) in p.spec.subscriptions.iter().enumerate() {
            if sub.environment == Environment::Production
                && lifecycle_of(program, &sub.product.0) == Some(Lifecycle::Beta)
            {
                let product = &sub.product.0;
                out.add(
                    format!("{name} subscribes to {product} in production, but {product} is still beta; beta products stay in sandbox until they are ga"),
                    partner(name),
                    format!("/spec/subscriptions/{i}"),
                );
            }
        }
    }
}

fn production_quota(out: &mut Members, program: &Program, _: &str, _: Option<&Json>) {
    for (name, product) in &program.products {
        for (i, plan) in product.spec.plans.iter().enumerate() {
            if plan.environments.contains(&Environment::Production) && plan.quota.is_none() {
                out.add(
                    format!(
                        "plan {} of {name} is offered in production without a quota; add `quota: {{requests: N, per: day|month}}`",
                        plan.name.0
                    ),
                    format!("product/{name}"),
                    format!("/spec/plans/{i}"),
                );
            }
        }
    }
}

fn max_live_keys(out: &mut Members, program: &Program, today: &str, _: Option<&Json>) {
    const MAX_LIVE: usize = 2;
    for (name, p) in &program.partners {
        let live: Vec<(usize, Environment)> = p
            .spec
            .credentials
            .iter()
            .enumerate()
            .filter(|(_, c)| live(c.revoked, c.expires, today))
            .map(|(i, c)| (i, c.environment))
            .collect();
        if live.len() <= MAX_LIVE {
            continue;
        }
        let envs: BTreeSet<&str> = live.iter().map(|(_, e)| e.as_str()).collect();
        for env in envs {
            let in_env: Vec<usize> = live
                .iter()
                .filter(|(_, e)| e.as_str() == env)
                .map(|(i, _)| *i)
                .collect();
            if in_env.len() > MAX_LIVE {
                out.add(
                    format!(
                        "{name} has {} live {env} keys; keep at most {MAX_LIVE} (revoke the old key when rotating)",
                        in_env.len()
                    ),
                    partner(name),
                    format!("/spec/credentials/{}", in_env[MAX_LIVE]),
                );
            }
        }
    }
}

fn key_rotation(out: &mut Members, program: &Program, today: &str, _: Option<&Json>) {
    let Some(cutoff) = one_year_before(today) else {
        return;
    };
    for (name, p) in &program.partners {
        for (i, c) in p.spec.credentials.iter().enumerate() {
            let created = c.created.to_string();
            if created < cutoff && live(c.revoked, c.expires, today) {
                out.add(
                    format!(
                        "key {} of {name} was issued on {created}, more than a year ago; issue a new key and revoke this one",
                        c.id.0
                    ),
                    partner(name),
                    format!("/spec/credentials/{i}"),
                );
            }
        }
    }
}

fn listed_partner_live(out: &mut Members, program: &Program, _: &str, _: Option<&Json>) {
    for (name, p) in &program.partners {
        if p.spec.listed && !matches!(p.spec.stage, Stage::Live | Stage::ProductionRequested) {
            out.add(
                format!(
                    "{name} is listed in the public partner directory but is {}; set `listed: false` until it is live",
                    p.spec.stage.as_str()
                ),
                partner(name),
                "/spec/listed".to_string(),
            );
        }
    }
}

fn retired_product_unsubscribed(out: &mut Members, program: &Program, _: &str, _: Option<&Json>) {
    for (name, p) in &program.partners {
        for (i, sub) in p.spec.subscriptions.iter().enumerate() {
            if lifecycle_of(program, &sub.product.0) == Some(Lifecycle::Retired) {
                out.add(
                    format!(
                        "{name} still subscribes to {}, which is retired; remove the subscription",
                        sub.product.0
                    ),
                    partner(name),
                    format!("/spec/subscriptions/{i}"),
                );
            }
        }
    }
}

fn deprecated_no_new_subscriptions(out: &mut Members, program: &Program, _: &str, changes: Option<&Json>) {
    let Some(Json::Array(changes)) = changes else {
        return;
    };
    for change in changes {
        let Some(resource) = change.get("resource").and_then(Json::as_str) else {
            continue;
        };
        let Some(name) = resource.strip_prefix("partner/") else {
            continue;
        };
        let Some(p) = program.partners.get(name) else {
            continue;
        };
        let action = change.get("action").and_then(Json::as_str);
        for (i, sub) in p.spec.subscriptions.iter().enumerate() {
            if lifecycle_of(program, &sub.product.0) != Some(Lifecycle::Deprecated) {
                continue;
            }
            let new = match action {
                Some("create") => true,
                Some("update") => {
                    let address = format!(
                        "{resource}/subscriptions/{}@{}",
                        sub.product.0,
                        sub.environment.as_str()
                    );
                    change.get("fields").is_some_and(|fields| {
                        members(fields).any(|f| {
                            f.get("op").and_then(Json::as_str) == Some("add")
                                && f.get("address").and_then(Json::as_str) == Some(address.as_str())
                        })
                    })
                }
                _ => false,
            };
            if new {
                out.add(
                    format!(
                        "this change subscribes {name} to {}, which is deprecated and takes no new subscribers",
                        sub.product.0
                    ),
                    resource.to_string(),
                    format!("/spec/subscriptions/{i}"),
                );
            }
        }
    }
}

/// `some x in v`: the items of an array, the values of an object.
fn members(v: &Json) -> Box<dyn Iterator<Item = &Json> + '_> {
    match v {
        Json::Array(a) => Box::new(a.iter()),
        Json::Object(o) => Box::new(o.values()),
        _ => Box::new(std::iter::empty()),
    }
}

fn approval_teams_on_github(out: &mut Members, program: &Program, _: &str, _: Option<&Json>) {
    let Some(spec) = program.spec() else {
        return;
    };
    let mut teams: BTreeSet<&str> = BTreeSet::new();
    for rule in &spec.approvals {
        for team in &rule.require {
            if team != "owner" {
                teams.insert(team);
            }
        }
    }
    if spec.approvals.iter().any(|r| r.require.iter().any(|t| t == "owner")) {
        let owners = program
            .products
            .values()
            .map(|r| r.owner())
            .chain(program.partners.values().map(|r| r.owner()))
            .chain(program.terms.values().map(|r| r.owner()));
        teams.extend(owners.flatten());
    }
    for team in teams {
        let Some((_, declared)) = spec.teams.iter().find(|(k, _)| k.0 == team) else {
            continue;
        };
        if declared.github.is_none() {
            out.add(
                format!(
                    "team {team} approves changes but has no `github` handle, so CODEOWNERS cannot ask it for review"
                ),
                "program".to_string(),
                format!("/spec/teams/{team}"),
            );
        }
    }
}

/// The placeholder pattern of `secret-ref-placeholder`, as in its Rego.
static PLACEHOLDER: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"(?i)^[a-z][a-z0-9+.-]*://todo(/|$)").expect("the pattern compiles"));

fn secret_ref_placeholder(out: &mut Members, program: &Program, today: &str, _: Option<&Json>) {
    for (name, p) in &program.partners {
        for (i, c) in p.spec.credentials.iter().enumerate() {
            let s = &c.secret_ref;
            if s.to_lowercase().contains("://todo") && PLACEHOLDER.is_match(s) && live(c.revoked, c.expires, today) {
                out.add(
                    format!(
                        "credential {} of {name} has the placeholder secretRef {s}; set it to where the key really lives",
                        c.id.0
                    ),
                    partner(name),
                    format!("/spec/credentials/{i}/secretRef"),
                );
            }
        }
    }
}
