//! The gateway audit (SPEC §3 `audit`): what a gateway holds and what its logs show,
//! compared with what the program says. This module holds what every gateway's audit
//! shares: the codes, the findings and the report, the program's view of credentials, and
//! the findings from usage logs; each gateway folder compares its own entities
//! (`kong/audit.rs`, `kong_ingress/audit.rs`, `envoy_gateway/audit.rs`).
//!
//! Each finding has a stable kebab-case [`AuditCode`] and a severity, and names the partner,
//! consumer or credential it is about (and, for what the gateway holds, the line of the decK
//! file). The audit is a report, not a check of the repository: a finding is fixed in the
//! gateway (or by bringing the partner into the program with `import kong`).

use super::kong::EnvironmentSource;
use super::kong::model::Consumer;
use crate::diag::Severity;
use crate::model::{Partner, Program};
use crate::spec::{CredentialSpec, Date, Environment};
use crate::visibility::usage::{CallStats, Usage};
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
    LimitsDiffer = "limits-differ", Error, "the gateway limits a partner's calls to a product otherwise than its plan says (Kubernetes manifests, API Management templates)";
    UnmanagedResource = "unmanaged-resource", Warning, "a gateway resource of a kind partnerctl renders is not labelled as managed by partnerctl (Kubernetes manifests)";
}

impl AuditCode {
    pub fn from_name(name: &str) -> Option<AuditCode> {
        AuditCode::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// Whether the decK audit never makes it (the Kubernetes audit does, and API Management's
    /// makes `limits-differ` too): a decK dump carries no `managed-by` label, and its limits
    /// are read by `import`, not compared.
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
    pub(crate) fn consumer(mut self, c: &Consumer) -> Self {
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
    /// The environment the gateway serves (see [`super::kong::environment`]); without one,
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
