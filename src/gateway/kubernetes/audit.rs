//! What the audits of both Kubernetes targets share: the context findings are collected in,
//! the checks of credentials, consumers and limits both make, and the audit of a set of
//! manifests, which runs the comparison of each target whose kinds it holds.

use super::manifests::*;
use super::read::*;
use crate::access::Gateway;
use crate::gateway::audit::{
    Audit, AuditCode, AuditOptions, Finding, ended, missing_terms, owner_map, sort_findings, usage_findings,
};
use crate::gateway::kong::EnvironmentSource;
use crate::model::{Partner, Program};
use crate::spec::{CredentialSpec, Date, Environment};
use crate::visibility::usage::Usage;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The findings of an audit of manifests as they are made, with what every check needs.
pub struct AuditContext<'a> {
    pub program: &'a Program,
    pub today: Date,
    /// The environment the manifests serve; without one, environment findings are not made.
    pub environment: Option<Environment>,
    pub owners: BTreeMap<&'a str, (&'a Partner, &'a CredentialSpec)>,
    pub findings: Vec<Finding>,
    /// The credentials the cluster lets authenticate, for the usage findings.
    pub present: BTreeSet<String>,
}

impl<'a> AuditContext<'a> {
    pub fn new(program: &'a Program, today: Date, environment: Option<Environment>) -> Self {
        AuditContext {
            program,
            today,
            environment,
            owners: owner_map(program),
            findings: Vec::new(),
            present: BTreeSet::new(),
        }
    }

    /// The program's view of the environment, when the environment is known.
    pub fn gateway(&self) -> Option<Gateway<'a>> {
        self.environment.map(|e| Gateway::new(self.program, e, self.today))
    }

    pub fn push(&mut self, mut f: Finding, m: &Manifest) {
        f.resource = Some(m.label());
        self.findings.push(f.at(&m.at));
    }

    /// A resource of the target's kinds without the managed-by label: partnerctl neither
    /// renders it nor has Argo CD or Flux prune it, so someone keeps it by hand. A Secret the
    /// external-secrets operator owns carries the labels of its ExternalSecret's template, or
    /// none; it is judged by its owner.
    pub fn unmanaged(&mut self, m: &Manifest) {
        let owned_by_external_secret = m
            .body
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|o| o.iter().any(|r| r["kind"] == "ExternalSecret"));
        if m.managed() || owned_by_external_secret {
            return;
        }
        self.push(
            Finding::new(
                AuditCode::UnmanagedResource,
                format!(
                    "{} is not labelled {}={}: partnerctl did not render it, and Argo CD or Flux will not prune it with the rendered folder",
                    m.label(),
                    MANAGED_BY.0,
                    MANAGED_BY.1
                ),
            ),
            m,
        );
    }

    /// Checks a credential the cluster lets authenticate (`holder`: the partner the resource
    /// gives it to, when it names one): unknown, another partner's, revoked or expired, of a
    /// partner that left, of the other environment. Returns its owner when none of these.
    pub fn credential(&mut self, id: &str, holder: Option<&Partner>, m: &Manifest, place: &str) -> Option<&'a Partner> {
        self.present.insert(id.to_string());
        let where_ = format!("{} {place}", m.label());
        let mut f = |code, message: String, partner: Option<&str>| {
            let mut f = Finding::new(code, message).credential(id);
            if let Some(p) = partner {
                f = f.partner(p);
            }
            if m.kind == "KongConsumer" {
                f = f.consumer_named(&m.name);
            }
            f.resource = Some(m.label());
            self.findings.push(f.at(&m.at));
        };
        let Some(&(owner, spec)) = self.owners.get(id) else {
            f(
                AuditCode::UnknownCredential,
                format!("{where_} names credential {id}, which is no credential of the program"),
                holder.map(|h| h.name.as_str()),
            );
            return None;
        };
        if let Some(h) = holder.filter(|h| h.name != owner.name) {
            f(
                AuditCode::UnknownCredential,
                format!(
                    "credential {id} belongs to partner {} but {where_} gives it to partner {}",
                    owner.name, h.name
                ),
                Some(&h.name),
            );
            return None;
        }
        if let Some(end) = ended(spec, self.today) {
            let why = if spec.revoked.is_some_and(|r| r <= self.today) {
                "revoked"
            } else {
                "expired"
            };
            f(
                AuditCode::RevokedStillPresent,
                format!(
                    "credential {id} of partner {} was {why} on {end} but {where_} still names it",
                    owner.name
                ),
                Some(&owner.name),
            );
            return None;
        }
        if owner.stage().is_exit() {
            f(
                AuditCode::ExitedPartnerPresent,
                format!(
                    "partner {} is {} but {where_} still names its credential {id}",
                    owner.name,
                    owner.stage()
                ),
                Some(&owner.name),
            );
            return None;
        }
        if let Some(e) = self.environment.filter(|e| *e != spec.environment) {
            f(
                AuditCode::AccessBeyondProgram,
                format!(
                    "credential {id} of partner {} is for {} but {where_} of the {e} cluster names it",
                    owner.name, spec.environment
                ),
                Some(&owner.name),
            );
            return None;
        }
        Some(owner)
    }

    /// The cluster lets `partner` call `product` (`how` says through what): an error unless a
    /// subscription and its stage give it that in the environment.
    pub fn access(&mut self, partner: &Partner, product: &str, m: &Manifest, how: &str, consumer: Option<&str>) {
        let env = self.environment;
        let subscribed = partner
            .spec
            .subscriptions
            .iter()
            .any(|s| s.product.0 == product && env.is_none_or(|e| s.environment == e));
        let where_ = env.map(|e| format!(" in {e}")).unwrap_or_default();
        let message = if !subscribed {
            format!(
                "partner {} can call product {product} ({how}) but is not subscribed to it{where_} in the program",
                partner.name
            )
        } else if let Some(e) = env.filter(|e| !partner.stage().allows(*e)) {
            format!(
                "partner {} is at stage {} which does not allow {e} access, but can call product {product} ({how})",
                partner.name,
                partner.stage()
            )
        } else {
            return;
        };
        let mut f = Finding::new(AuditCode::AccessBeyondProgram, message).partner(&partner.name);
        if let Some(c) = consumer {
            f = f.consumer_named(c);
        }
        self.push(f, m);
    }

    /// The partner can call `products` but has not accepted the terms they need.
    pub fn terms(&mut self, partner: &Partner, products: &BTreeSet<&str>, m: &Manifest, consumer: Option<&str>) {
        let missing = missing_terms(self.program, partner, products);
        if missing.is_empty() {
            return;
        }
        let mut f = Finding::new(
            AuditCode::AccessWithoutTerms,
            format!(
                "partner {} can call {} in the cluster but has not accepted {}",
                partner.name,
                products.iter().copied().collect::<Vec<_>>().join(", "),
                missing.into_iter().collect::<Vec<_>>().join(", ")
            ),
        )
        .partner(&partner.name);
        if let Some(c) = consumer {
            f = f.consumer_named(c);
        }
        self.push(f, m);
    }

    /// A credential or partner the program gives access that the cluster lacks.
    pub fn missing(&mut self, partner: &str, credential: Option<&str>, message: String) {
        let mut f = Finding::new(AuditCode::MissingFromGateway, message).partner(partner);
        if let Some(c) = credential {
            f = f.credential(c);
        }
        self.findings.push(f);
    }

    /// Limits in the cluster that are not the plan's.
    pub fn limits(&mut self, partner: &str, message: String, m: Option<&Manifest>) {
        let f = Finding::new(AuditCode::LimitsDiffer, message).partner(partner);
        match m {
            Some(m) => self.push(f, m),
            None => self.findings.push(f),
        }
    }
}

/// The audit of manifests, whichever target they are from: [`Manifests::flavors`] decides
/// which comparisons run (both, when a list holds both). The environment is `flag`, else
/// the manifests' labels, else the program's only output of the flavor's target.
pub fn audit(
    program: &Program,
    today: Date,
    manifests: &Manifests,
    usage: Option<&Usage>,
    options: &AuditOptions,
    run: &dyn Fn(&mut AuditContext<'_>, Flavor, &Manifests),
) -> Audit {
    let flag = options.environment.map(|(e, _)| e);
    let flavors = manifests.flavors();
    let environment = flag
        .map(|e| (e, EnvironmentSource::Flag))
        .or_else(|| manifests.environment().map(|e| (e, EnvironmentSource::Labels)))
        .or_else(|| {
            let envs: BTreeSet<Environment> = program
                .spec()
                .into_iter()
                .flat_map(|s| s.outputs.iter())
                .filter(|o| o.target.is_some_and(|t| flavors.iter().any(|f| f.target() == t)))
                .filter_map(|o| o.environment)
                .collect();
            (envs.len() == 1)
                .then(|| envs.into_iter().next())
                .flatten()
                .map(|e| (e, EnvironmentSource::Program))
        });
    let mut ctx = AuditContext::new(program, today, environment.map(|(e, _)| e));
    for m in manifests.of("ExternalSecret").chain(manifests.of("Secret")) {
        ctx.unmanaged(m);
    }
    for f in &flavors {
        run(&mut ctx, *f, manifests);
    }
    if let Some(usage) = usage {
        // Kubernetes resources carry no gateway ids of their own: calls are attributed by
        // credential id, as the NGINX and Envoy logs name them.
        usage_findings(
            program,
            today,
            usage,
            &BTreeMap::new(),
            &ctx.present,
            ctx.environment,
            options,
            &mut ctx.findings,
        );
    }
    let mut findings = ctx.findings;
    sort_findings(&mut findings);
    findings.dedup();
    let ok = !findings.iter().any(|f| f.severity == crate::diag::Severity::Error);
    Audit {
        ok,
        as_of: today,
        gateway: manifests.file.clone(),
        environment: environment.map(|(e, _)| e),
        environment_from: environment.map(|(_, s)| s.as_str()),
        findings,
    }
}

/// The windows of a Kong `rate-limiting` config: `second` … `month` → the limit.
pub fn kong_windows(config: &Value) -> BTreeMap<String, u64> {
    ["second", "minute", "hour", "day", "month"]
        .iter()
        .filter_map(|w| config.get(*w).and_then(Value::as_u64).map(|v| (w.to_string(), v)))
        .collect()
}
