//! The gateway audit (SPEC §3 `audit`): what a Kong gateway holds and what its logs show,
//! compared with what the program says.
//!
//! Each finding has a stable kebab-case [`AuditCode`] and a severity, and names the partner,
//! consumer or credential it is about (and, for what the gateway holds, the line of the decK
//! file). The audit is a report, not a check of the repository: a finding is fixed in the
//! gateway (or by bringing the partner into the program with `import kong`).

use super::EnvironmentSource;
use super::mapping::Mapping;
use super::model::{Consumer, Deck};
use crate::diag::Severity;
use crate::model::{Partner, Program};
use crate::report::usage::{CallStats, Usage};
use crate::spec::{CredentialSpec, Date, Environment};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Days without a call after which a credential is dormant, unless `--dormant-days` says.
pub const DEFAULT_DORMANT_DAYS: u32 = 90;

macro_rules! audit_codes {
    ($( $variant:ident = $name:literal, $sev:ident, $summary:literal; )*) => {
        /// Every audit finding code. The names are stable: scripts and dashboards use them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum AuditCode { $( $variant, )* }

        impl AuditCode {
            pub const ALL: &'static [AuditCode] = &[ $( AuditCode::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( AuditCode::$variant => $name, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( AuditCode::$variant => Severity::$sev, )* }
            }

            /// One line saying when the code fires.
            pub fn summary(self) -> &'static str {
                match self { $( AuditCode::$variant => $summary, )* }
            }
        }
    };
}

audit_codes! {
    UnknownConsumer = "unknown-consumer", Error, "a gateway consumer names no partner of the program";
    UnknownCredential = "unknown-credential", Error, "a key credential in the gateway is no credential of the program, or belongs to another partner";
    AccessBeyondProgram = "access-beyond-program", Error, "the gateway lets a partner call a product, or use an environment, that its subscriptions and stage do not give it";
    RevokedStillPresent = "revoked-still-present", Error, "a credential the program revoked (or that expired) is still in the gateway";
    ExitedPartnerPresent = "exited-partner-present", Error, "a suspended or offboarded partner still has a consumer in the gateway";
    ExitedPartnerCalling = "exited-partner-calling", Error, "a suspended or offboarded partner made calls after it left";
    RevokedStillCalling = "revoked-still-calling", Error, "a revoked or expired credential made calls after it stopped being valid";
    AccessWithoutTerms = "access-without-terms", Error, "a partner with access in the gateway has not accepted terms the program or a product requires";
    DormantCredential = "dormant-credential", Warning, "a credential in the gateway made no call in the last --dormant-days days";
    UnknownCredentialCalling = "unknown-credential-calling", Error, "the usage logs show calls from a credential or consumer the program does not know";
    MissingFromGateway = "missing-from-gateway", Warning, "a credential the program gives access in the gateway's environment is not in the gateway";
    LimitsDiffer = "limits-differ", Error, "the gateway limits a partner's calls to a product otherwise than its plan says (Kubernetes manifests)";
    UnmanagedResource = "unmanaged-resource", Warning, "a gateway resource of a kind partnerctl renders is not labelled as managed by partnerctl (Kubernetes manifests)";
}

impl AuditCode {
    pub fn from_name(name: &str) -> Option<AuditCode> {
        AuditCode::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// Whether only the audit of Kubernetes manifests makes it: a decK dump carries no
    /// `managed-by` label, and its limits are read by `import`, not compared.
    pub fn kubernetes_only(self) -> bool {
        matches!(self, AuditCode::LimitsDiffer | AuditCode::UnmanagedResource)
    }
}

impl Serialize for AuditCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One audit finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub code: AuditCode,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// The Kubernetes resource it is about (`KongPlugin kong/acl-shipments`), for a
    /// `kubectl get` list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The decK file (or usage log) and line the finding is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Finding {
    pub(crate) fn new(code: AuditCode, message: impl Into<String>) -> Self {
        Finding {
            code,
            severity: code.severity(),
            message: message.into(),
            partner: None,
            consumer: None,
            credential: None,
            resource: None,
            file: None,
            line: None,
        }
    }
    pub(crate) fn partner(mut self, p: &str) -> Self {
        self.partner = Some(p.to_string());
        self
    }
    /// About a consumer named `label`, with no place in a file.
    pub(crate) fn consumer_named(mut self, label: &str) -> Self {
        self.consumer = Some(label.to_string());
        self
    }
    fn consumer(mut self, c: &Consumer) -> Self {
        self.consumer = Some(c.label());
        self.file = Some(c.at.file.clone());
        self.line = Some(c.at.line);
        self
    }
    pub(crate) fn credential(mut self, c: &str) -> Self {
        self.credential = Some(c.to_string());
        self
    }
    pub(crate) fn at(mut self, loc: &crate::diag::Location) -> Self {
        self.file = Some(loc.file.clone());
        self.line = Some(loc.line);
        self
    }
}

/// The audit's result.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    pub ok: bool,
    pub as_of: Date,
    pub gateway: String,
    /// The environment the gateway serves, when `--environment`, the file's tags or the
    /// program's only `kong` output say.
    pub environment: Option<Environment>,
    /// Which of those said it: `--environment`, `tags` or `program`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment_from: Option<&'static str>,
    pub findings: Vec<Finding>,
}

impl Audit {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Options of an audit run.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    pub dormant_days: u32,
    /// The environment the gateway serves (see [`super::environment`]); without one,
    /// environment-specific findings are not made.
    pub environment: Option<(Environment, EnvironmentSource)>,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            dormant_days: DEFAULT_DORMANT_DAYS,
            environment: None,
        }
    }
}

pub(crate) fn owner_map(program: &Program) -> BTreeMap<&str, (&Partner, &CredentialSpec)> {
    let mut m = BTreeMap::new();
    for p in program.partners.values() {
        for c in &p.spec.credentials {
            m.insert(c.id.0.as_str(), (p, c));
        }
    }
    m
}

/// The date a credential stopped being valid, if it has.
pub(crate) fn ended(c: &CredentialSpec, today: Date) -> Option<Date> {
    match (c.revoked, c.expires) {
        (Some(r), _) if r <= today => Some(r),
        (_, Some(e)) if e <= today => Some(e),
        _ => None,
    }
}

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

/// The terms a partner has not accepted of those it needs to call `products`: the
/// program's and each product's.
pub(crate) fn missing_terms(program: &Program, partner: &Partner, products: &BTreeSet<&str>) -> BTreeSet<String> {
    let mut needed: Vec<&str> = program.required_terms().iter().map(|t| t.0.as_str()).collect();
    for p in products {
        if let Some(product) = program.product(p) {
            needed.extend(product.spec.required_terms.iter().map(|t| t.0.as_str()));
        }
    }
    needed
        .into_iter()
        .filter(|t| partner.accepted(t, program).is_none())
        .map(str::to_string)
        .collect()
}

/// Whether partnerctl sorts a finding before another: gateway findings by place, then code.
pub(crate) fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (
            a.line.unwrap_or(usize::MAX),
            a.code,
            &a.partner,
            &a.credential,
            &a.message,
        )
            .cmp(&(
                b.line.unwrap_or(usize::MAX),
                b.code,
                &b.partner,
                &b.credential,
                &b.message,
            ))
    });
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn usage_findings(
    program: &Program,
    today: Date,
    usage: &Usage,
    gateway_ids: &BTreeMap<String, String>,
    in_gateway: &BTreeSet<String>,
    env: Option<Environment>,
    options: &AuditOptions,
    findings: &mut Vec<Finding>,
) {
    let attributed = usage.attribute(program, gateway_ids);
    let files = usage.files.join(", ");

    let mut unknown: BTreeMap<String, CallStats> = BTreeMap::new();
    for (caller, stats) in &attributed.unknown {
        let key = match (&caller.credential, &caller.consumer) {
            (Some(c), _) => format!("credential {c}"),
            (None, Some(c)) => format!("consumer {c}"),
            (None, None) => "an unnamed caller".to_string(),
        };
        match unknown.get_mut(&key) {
            Some(s) => s.merge(stats),
            None => {
                unknown.insert(key, stats.clone());
            }
        }
    }
    for (who, stats) in unknown {
        let mut f = Finding::new(
            AuditCode::UnknownCredentialCalling,
            format!(
                "{who} made {} call(s) from {} to {} ({files}) but is not in the program",
                stats.calls,
                stats.first_date(),
                stats.last_date()
            ),
        );
        if let Some(c) = who.strip_prefix("credential ") {
            f.credential = Some(c.to_string());
        } else if let Some(c) = who.strip_prefix("consumer ") {
            f.consumer = Some(c.to_string());
        }
        findings.push(f);
    }

    let mut exited_reported: BTreeSet<&str> = BTreeSet::new();
    for p in program.partners.values().filter(|p| p.stage().is_exit()) {
        let Some(since) = p.stage_since() else { continue };
        // Per-partner statistics include every credential's calls and the calls a gateway
        // attributed to the partner's consumer.
        let last = attributed
            .by_partner
            .get(&p.name)
            .map(CallStats::last_date)
            .filter(|l| *l > since);
        if let Some(last) = last {
            exited_reported.insert(p.name.as_str());
            findings.push(
                Finding::new(
                    AuditCode::ExitedPartnerCalling,
                    format!(
                        "partner {} is {} since {since} but its credentials were used after that, last on {last}",
                        p.name,
                        p.stage()
                    ),
                )
                .partner(&p.name),
            );
        }
    }

    for p in program.partners.values() {
        for c in &p.spec.credentials {
            let stats = attributed.by_credential.get(&c.id.0);
            if let (Some(stats), Some(end)) = (stats, ended(c, today))
                && !exited_reported.contains(p.name.as_str())
                && stats.last_date() > end
            {
                findings.push(
                    Finding::new(
                        AuditCode::RevokedStillCalling,
                        format!(
                            "credential {} of partner {} stopped being valid on {end} but was used until {}",
                            c.id,
                            p.name,
                            stats.last_date()
                        ),
                    )
                    .partner(&p.name)
                    .credential(&c.id),
                );
            }
            let dormant_window = i64::from(options.dormant_days);
            let present = in_gateway.contains(&c.id.0) && env.is_none_or(|e| c.environment == e);
            if present && c.is_live(today) && !p.stage().is_exit() {
                let quiet_since = stats.map(|s| s.last_date()).unwrap_or(c.created);
                if quiet_since.days_until(today) > dormant_window {
                    let what = match stats {
                        Some(s) => format!("made no call since {}", s.last_date()),
                        None => format!("made no call since it was issued on {}", c.created),
                    };
                    findings.push(
                        Finding::new(
                            AuditCode::DormantCredential,
                            format!(
                                "credential {} of partner {} {what} (more than {} days)",
                                c.id, p.name, options.dormant_days
                            ),
                        )
                        .partner(&p.name)
                        .credential(&c.id),
                    );
                }
            }
        }
    }
}
