//! The audit of a Kong gateway (SPEC §3 `audit`): the consumers, credentials and plugins of
//! a decK dump compared with the program. The codes, findings and usage checks every
//! gateway's audit shares are in [`crate::gateway::audit`].

use super::mapping::Mapping;
use super::model::{Consumer, Deck};
use crate::gateway::audit::*;
use crate::model::{Partner, Program};
use crate::spec::{Date, Environment};
use crate::visibility::usage::Usage;
use std::collections::{BTreeMap, BTreeSet};

/// Compares the program with a gateway and, optionally, its usage logs.
pub fn audit(program: &Program, today: Date, deck: &Deck, usage: Option<&Usage>, options: &AuditOptions) -> Audit {
    let owners = owner_map(program);
    let mapping = Mapping::new(program);
    let env = options.environment.map(|(e, _)| e);
    let mut findings = Vec::new();
    let mut in_gateway: BTreeSet<String> = BTreeSet::new();
    let mut gateway_ids: BTreeMap<String, String> = BTreeMap::new();

    for consumer in &deck.consumers {
        let Some(partner) = mapping.partner(consumer) else {
            findings.push(
                Finding::new(
                    AuditCode::UnknownConsumer,
                    format!(
                        "consumer {} is in the gateway with {} key credential(s) but names no partner of the program",
                        consumer.label(),
                        consumer.credentials.len()
                    ),
                )
                .consumer(consumer),
            );
            continue;
        };
        let ids: Vec<Option<String>> = consumer
            .credentials
            .iter()
            .map(|kc| mapping.credential(partner, kc, env))
            .collect();
        for (kc, id) in consumer.credentials.iter().zip(&ids) {
            if let (Some(kong), Some(id)) = (&kc.kong_id, id) {
                gateway_ids.insert(kong.clone(), id.clone());
            }
            if let Some(id) = id {
                in_gateway.insert(id.clone());
            }
        }
        if partner.stage().is_exit() {
            let since = partner.stage_since().map(|d| format!(" since {d}")).unwrap_or_default();
            findings.push(
                Finding::new(
                    AuditCode::ExitedPartnerPresent,
                    format!(
                        "partner {} is {}{since} but consumer {} is still in the gateway with {} key credential(s)",
                        partner.name,
                        partner.stage(),
                        consumer.label(),
                        consumer.credentials.len()
                    ),
                )
                .partner(&partner.name)
                .consumer(consumer),
            );
            continue;
        }
        for (kc, id) in consumer.credentials.iter().zip(&ids) {
            let known = id.as_deref().and_then(|id| owners.get(id).map(|o| (id, o)));
            match known {
                None => {
                    let name = id
                        .clone()
                        .or_else(|| kc.kong_id.clone())
                        .unwrap_or_else(|| format!("at line {}", kc.at.line));
                    let mut f = Finding::new(
                        AuditCode::UnknownCredential,
                        format!(
                            "consumer {} has key credential {name}, which is no credential of partner {}",
                            consumer.label(),
                            partner.name
                        ),
                    )
                    .partner(&partner.name)
                    .credential(&name);
                    f.consumer = Some(consumer.label());
                    findings.push(f.at(&kc.at));
                }
                Some((id, (owner, spec))) => {
                    if owner.name != partner.name {
                        let mut f = Finding::new(
                            AuditCode::UnknownCredential,
                            format!(
                                "credential {id} belongs to partner {} but the gateway gives it to consumer {}",
                                owner.name,
                                consumer.label()
                            ),
                        )
                        .partner(&partner.name)
                        .credential(id);
                        f.consumer = Some(consumer.label());
                        findings.push(f.at(&kc.at));
                    } else if let Some(end) = ended(spec, today) {
                        let why = if spec.revoked.is_some_and(|r| r <= today) {
                            "revoked"
                        } else {
                            "expired"
                        };
                        let mut f = Finding::new(
                            AuditCode::RevokedStillPresent,
                            format!(
                                "credential {id} of partner {} was {why} on {end} but is still in the gateway",
                                partner.name
                            ),
                        )
                        .partner(&partner.name)
                        .credential(id);
                        f.consumer = Some(consumer.label());
                        findings.push(f.at(&kc.at));
                    } else if let Some(e) = env.filter(|e| *e != spec.environment) {
                        let mut f = Finding::new(
                            AuditCode::AccessBeyondProgram,
                            format!(
                                "credential {id} of partner {} is for {} but the {e} gateway holds it",
                                partner.name, spec.environment
                            ),
                        )
                        .partner(&partner.name)
                        .credential(id);
                        f.consumer = Some(consumer.label());
                        findings.push(f.at(&kc.at));
                    }
                }
            }
        }
        access_findings(program, deck, consumer, partner, env, &mut findings);
    }

    if let Some(e) = env {
        for p in program.partners.values().filter(|p| p.stage().allows(e)) {
            for c in p
                .spec
                .credentials
                .iter()
                .filter(|c| c.environment == e && c.is_live(today))
            {
                if !in_gateway.contains(&c.id.0) {
                    findings.push(
                        Finding::new(
                            AuditCode::MissingFromGateway,
                            format!(
                                "credential {} of partner {} gives {e} access in the program but is not in the gateway",
                                c.id, p.name
                            ),
                        )
                        .partner(&p.name)
                        .credential(&c.id),
                    );
                }
            }
        }
    }

    if let Some(usage) = usage {
        usage_findings(
            program,
            today,
            usage,
            &gateway_ids,
            &in_gateway,
            env,
            options,
            &mut findings,
        );
    }

    let audit = Audit {
        ok: true,
        as_of: today,
        gateway: deck.file.clone(),
        environment: env,
        environment_from: options.environment.map(|(_, s)| s.as_str()),
        findings,
    };
    Audit {
        ok: !audit.has_errors(),
        ..audit
    }
}

fn access_findings(
    program: &Program,
    deck: &Deck,
    consumer: &Consumer,
    partner: &Partner,
    env: Option<Environment>,
    findings: &mut Vec<Finding>,
) {
    let services = deck.services_for(consumer);
    if services.is_empty() {
        return;
    }
    let mut products: BTreeSet<&str> = BTreeSet::new();
    for s in &services {
        products.insert(s.product.as_str());
        let subscribed = partner
            .spec
            .subscriptions
            .iter()
            .any(|sub| sub.product.0 == s.product && env.is_none_or(|e| sub.environment == e));
        let where_ = env.map(|e| format!(" in {e}")).unwrap_or_default();
        if !subscribed {
            let how = if deck.has_acl(s) {
                "its ACL groups let it call"
            } else {
                "service has no ACL, so it can call"
            };
            findings.push(
                Finding::new(
                    AuditCode::AccessBeyondProgram,
                    format!(
                        "consumer {} ({how} service {}) is not subscribed to product {}{where_} in the program",
                        consumer.label(),
                        s.name,
                        s.product
                    ),
                )
                .partner(&partner.name)
                .consumer(consumer),
            );
        } else if let Some(e) = env.filter(|e| !partner.stage().allows(*e)) {
            findings.push(
                Finding::new(
                    AuditCode::AccessBeyondProgram,
                    format!("partner {} is at stage {} which does not allow {e} access, but the gateway lets it call service {}", partner.name, partner.stage(), s.name),
                )
                .partner(&partner.name)
                .consumer(consumer),
            );
        }
    }
    let missing = missing_terms(program, partner, &products);
    if !missing.is_empty() {
        findings.push(
            Finding::new(
                AuditCode::AccessWithoutTerms,
                format!(
                    "partner {} can call {} in the gateway but has not accepted {}",
                    partner.name,
                    products.iter().copied().collect::<Vec<_>>().join(", "),
                    missing.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
            .partner(&partner.name)
            .consumer(consumer),
        );
    }
}
