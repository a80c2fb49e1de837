//! The audit of an API Management service (SPEC §3 `audit`): the subscriptions, products
//! and product policies of an ARM template (an export of the service, or what the
//! `azure-apim` target rendered) compared with the program. A subscription is a partner's
//! consumer (`<partner>.<product>`); only an `active` one lets anyone call. The codes,
//! findings and usage checks every gateway's audit shares are in [`crate::gateway::audit`].

use super::names::{parse_product_id, parse_subscription_name};
use super::policy;
use super::read::{ApimSubscription, Export, Key, Scope};
use crate::access::Gateway;
use crate::gateway::audit::*;
use crate::model::{Partner, Program};
use crate::spec::{Date, Environment};
use crate::visibility::usage::Usage;
use std::collections::{BTreeMap, BTreeSet};

fn about(f: Finding, s: &ApimSubscription) -> Finding {
    f.consumer_named(&format!("subscription {}", s.name)).at(&s.at)
}

/// Compares the program with an API Management template and, optionally, usage logs.
pub fn audit(program: &Program, today: Date, export: &Export, usage: Option<&Usage>, options: &AuditOptions) -> Audit {
    let owners = owner_map(program);
    let env = options.environment.map(|(e, _)| e);
    let mut findings = Vec::new();
    let mut present: BTreeSet<String> = BTreeSet::new();
    // (partner, product) an active subscription lets call.
    let mut callable: BTreeSet<(String, String)> = BTreeSet::new();

    for s in &export.subscriptions {
        let partner_name = parse_subscription_name(&s.name).map_or(s.name.as_str(), |(p, _)| p);
        let Some(partner) = program.partners.get(partner_name) else {
            findings.push(about(
                Finding::new(
                    AuditCode::UnknownConsumer,
                    format!(
                        "subscription {} ({}) is in the gateway but names no partner of the program",
                        s.name, s.state
                    ),
                ),
                s,
            ));
            continue;
        };
        if !s.active() {
            continue;
        }
        if partner.stage().is_exit() {
            let since = partner.stage_since().map(|d| format!(" since {d}")).unwrap_or_default();
            findings.push(about(
                Finding::new(
                    AuditCode::ExitedPartnerPresent,
                    format!(
                        "partner {} is {}{since} but its subscription {} is active in the gateway",
                        partner.name,
                        partner.stage(),
                        s.name
                    ),
                )
                .partner(&partner.name),
                s,
            ));
            continue;
        }
        for k in &s.keys {
            match k {
                Key::Credential { id, .. } => credential(&owners, today, env, partner, s, id, &mut present, &mut findings),
                Key::Value => findings.push(about(
                    Finding::new(
                        AuditCode::UnknownCredential,
                        format!(
                            "subscription {} carries a key written into the file, which no credential of the program names",
                            s.name
                        ),
                    )
                    .partner(&partner.name),
                    s,
                )),
                Key::Generated | Key::Other => {}
            }
        }
        let products: BTreeSet<String> = match &s.scope {
            Scope::Product(id) => match export.products.get(id) {
                Some(p) => p.apis.clone(),
                None => parse_product_id(id).map(|(p, _)| p.to_string()).into_iter().collect(),
            },
            Scope::Api(api) => {
                findings.push(about(
                    Finding::new(
                        AuditCode::LimitsDiffer,
                        format!(
                            "subscription {} is scoped to API {api}, so no product policy and none of the plan's limits apply to it",
                            s.name
                        ),
                    )
                    .partner(&partner.name),
                    s,
                ));
                BTreeSet::from([api.clone()])
            }
            Scope::AllApis => {
                findings.push(about(
                    Finding::new(
                        AuditCode::AccessBeyondProgram,
                        format!(
                            "subscription {} of partner {} lets it call every API of the service",
                            s.name, partner.name
                        ),
                    )
                    .partner(&partner.name),
                    s,
                ));
                export.apis.keys().cloned().collect()
            }
            Scope::Unknown(_) => BTreeSet::new(),
        };
        for product in &products {
            callable.insert((partner.name.clone(), product.clone()));
            access(partner, product, env, s, &mut findings);
        }
        if let Scope::Product(id) = &s.scope {
            limits(program, export, partner, id, env, s, &mut findings);
        }
        let names: BTreeSet<&str> = products
            .iter()
            .map(String::as_str)
            .filter(|p| program.products.contains_key(*p))
            .collect();
        let missing = missing_terms(program, partner, &names);
        if !missing.is_empty() {
            findings.push(about(
                Finding::new(
                    AuditCode::AccessWithoutTerms,
                    format!(
                        "partner {} can call {} in the gateway but has not accepted {}",
                        partner.name,
                        names.iter().copied().collect::<Vec<_>>().join(", "),
                        missing.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                )
                .partner(&partner.name),
                s,
            ));
        }
    }

    // An open product lets anyone call its APIs without a key.
    for p in export.products.values().filter(|p| !p.subscription_required) {
        let apis: Vec<&str> = p
            .apis
            .iter()
            .map(String::as_str)
            .filter(|a| program.products.contains_key(*a))
            .collect();
        if !apis.is_empty() {
            let mut f = Finding::new(
                AuditCode::AccessBeyondProgram,
                format!(
                    "product {} requires no subscription, so anyone can call {} without a key",
                    p.id,
                    apis.join(", ")
                ),
            );
            f.resource = Some(format!("product {}", p.id));
            findings.push(f.at(&p.at));
        }
    }

    if let Some(e) = env {
        let gw = Gateway::new(program, e, today);
        for p in &gw.partners {
            for product in p.plans.keys() {
                let active = callable.contains(&(p.name.to_string(), product.to_string()));
                if !active && !p.credentials.is_empty() {
                    findings.push(
                        Finding::new(
                            AuditCode::MissingFromGateway,
                            format!(
                                "partner {} is subscribed to {product} in {e} with a live credential, but no active subscription in the gateway lets it call {product}",
                                p.name
                            ),
                        )
                        .partner(p.name),
                    );
                }
            }
            if export.keys_known() && !p.plans.is_empty() {
                for c in &p.credentials {
                    if !present.contains(&c.id.0) {
                        findings.push(
                            Finding::new(
                                AuditCode::MissingFromGateway,
                                format!(
                                    "credential {} of partner {} gives {e} access in the program but no subscription in the gateway holds it",
                                    c.id, p.name
                                ),
                            )
                            .partner(p.name)
                            .credential(&c.id),
                        );
                    }
                }
            }
        }
    }

    if let Some(usage) = usage {
        usage_findings(
            program,
            today,
            usage,
            &BTreeMap::new(),
            &present,
            env,
            options,
            &mut findings,
        );
    }
    sort_findings(&mut findings);
    findings.dedup();
    let ok = !findings.iter().any(|f| f.severity == crate::diag::Severity::Error);
    Audit {
        ok,
        as_of: today,
        gateway: export.file.clone(),
        environment: env,
        environment_from: options.environment.map(|(_, s)| s.as_str()),
        findings,
    }
}

#[allow(clippy::too_many_arguments)]
fn credential(
    owners: &BTreeMap<&str, (&Partner, &crate::spec::CredentialSpec)>,
    today: Date,
    env: Option<Environment>,
    partner: &Partner,
    s: &ApimSubscription,
    id: &str,
    present: &mut BTreeSet<String>,
    findings: &mut Vec<Finding>,
) {
    present.insert(id.to_string());
    let f = |code, message: String, who: &str| about(Finding::new(code, message).partner(who).credential(id), s);
    let Some(&(owner, spec)) = owners.get(id) else {
        findings.push(f(
            AuditCode::UnknownCredential,
            format!(
                "subscription {} holds the key of credential {id}, which is no credential of the program",
                s.name
            ),
            &partner.name,
        ));
        return;
    };
    if owner.name != partner.name {
        findings.push(f(
            AuditCode::UnknownCredential,
            format!(
                "credential {id} belongs to partner {} but the gateway gives its key to subscription {}",
                owner.name, s.name
            ),
            &partner.name,
        ));
    } else if let Some(end) = ended(spec, today) {
        let why = if spec.revoked.is_some_and(|r| r <= today) {
            "revoked"
        } else {
            "expired"
        };
        findings.push(f(
            AuditCode::RevokedStillPresent,
            format!(
                "credential {id} of partner {} was {why} on {end} but its key is still in subscription {}",
                partner.name, s.name
            ),
            &partner.name,
        ));
    } else if let Some(e) = env.filter(|e| *e != spec.environment) {
        findings.push(f(
            AuditCode::AccessBeyondProgram,
            format!(
                "credential {id} of partner {} is for {} but the {e} gateway holds its key",
                partner.name, spec.environment
            ),
            &partner.name,
        ));
    }
}

fn access(
    partner: &Partner,
    product: &str,
    env: Option<Environment>,
    s: &ApimSubscription,
    findings: &mut Vec<Finding>,
) {
    let subscribed = partner
        .spec
        .subscriptions
        .iter()
        .any(|sub| sub.product.0 == product && env.is_none_or(|e| sub.environment == e));
    let where_ = env.map(|e| format!(" in {e}")).unwrap_or_default();
    let message = if !subscribed {
        format!(
            "subscription {} lets partner {} call {product}, but it is not subscribed to {product}{where_} in the program",
            s.name, partner.name
        )
    } else if let Some(e) = env.filter(|e| !partner.stage().allows(*e)) {
        format!(
            "partner {} is at stage {} which does not allow {e} access, but subscription {} lets it call {product}",
            partner.name,
            partner.stage(),
            s.name
        )
    } else {
        return;
    };
    findings.push(about(
        Finding::new(AuditCode::AccessBeyondProgram, message).partner(&partner.name),
        s,
    ));
}

/// The subscription's product limits the partner otherwise than its plan: another plan's
/// product, or a product whose policy is not the plan's limits.
fn limits(
    program: &Program,
    export: &Export,
    partner: &Partner,
    id: &str,
    env: Option<Environment>,
    s: &ApimSubscription,
    findings: &mut Vec<Finding>,
) {
    let Some((product, gateway_plan)) = parse_product_id(id) else {
        return;
    };
    let Some(sub) = partner
        .spec
        .subscriptions
        .iter()
        .find(|x| x.product.0 == product && env.is_none_or(|e| x.environment == e))
    else {
        return; // reported as access beyond the program
    };
    let mut push = |message: String| {
        findings.push(about(
            Finding::new(AuditCode::LimitsDiffer, message).partner(&partner.name),
            s,
        ))
    };
    if sub.plan.0 != gateway_plan {
        push(format!(
            "subscription {} is to product {id} (plan {gateway_plan}) but partner {} is on plan {} of {product}",
            s.name, partner.name, sub.plan
        ));
        return;
    }
    let Some(plan) = program.plan(product, gateway_plan) else {
        return;
    };
    let want = policy::windows(&policy::limits(plan));
    match export.products.get(id).and_then(|p| p.limits.as_ref()) {
        None => push(format!(
            "product {id} has no policy in the gateway, so plan {gateway_plan}'s limits ({}) do not apply to subscription {}",
            show(&want),
            s.name
        )),
        Some(Err(why)) => push(format!("the policy of product {id} cannot be read: {why}")),
        Some(Ok(l)) => {
            let have = policy::windows(l);
            if have != want {
                push(format!(
                    "product {id} limits calls to {} but plan {gateway_plan} of {product} says {}",
                    show(&have),
                    show(&want)
                ));
            }
        }
    }
}

fn show(w: &BTreeMap<String, u64>) -> String {
    if w.is_empty() {
        return "nothing".into();
    }
    w.iter()
        .map(|(k, v)| format!("{v} per {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}
