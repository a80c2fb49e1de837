//! The Program kind (`program.yaml`).

use super::{Environment, Name};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProgramSpec {
    /// The program's name as partners see it. Example: `Northwind Partner Program`.
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub display_name: String,
    /// Review and ownership units, by name. Each resource's `metadata.owner` and each
    /// approval rule names one of these. Example: `legal: {github: "@northwind/legal"}`.
    pub teams: BTreeMap<Name, TeamSpec>,
    /// Terms every partner past `registered` must have accepted. Example: `[partner-tos]`.
    #[serde(default)]
    pub required_terms: Vec<Name>,
    /// Days in a stage after which a partner counts as stuck, per stage.
    /// Example: `sandbox: {stuckAfterDays: 45}`.
    #[serde(default, skip_serializing_if = "StagesSpec::is_empty")]
    pub stages: StagesSpec,
    /// A partner is active if it made an API call within this many days. Default 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub active_within_days: Option<u32>,
    /// Who must approve which class of change. Example:
    /// `- {on: [production-access], require: [security, owner]}`.
    #[serde(default)]
    pub approvals: Vec<ApprovalRule>,
    /// What `render` and `apply` write. Example:
    /// `- {target: kong, environment: production, path: dist/gateway/kong-production.yaml}`.
    #[serde(default)]
    pub outputs: Vec<OutputSpec>,
    /// Settings for built-in policy rules, by rule name: switch a rule off or change its
    /// severity. Example: `beta-not-in-production: {severity: warning}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, PolicySetting>,
    /// Budgets for the engines that run the repository's own code (SPEC §9): how long a
    /// Rego rule set and a template may run, how deep a policy may recurse, how much a
    /// template may do and write. Every field is optional and has a safe default; raise one
    /// only when a large, trusted program needs it. Example: `limits: {policySeconds: 20}`.
    #[serde(default, skip_serializing_if = "LimitsSpec::is_empty")]
    pub limits: LimitsSpec,
    /// Reviewed, expiring exceptions to coded checks and policies (SPEC §10): a finding whose
    /// code and resource match one is reported as a warning, with its reason and date, until
    /// the exception expires. Example:
    /// `- {code: terms-outdated, resource: partner/initech, until: 2027-02-15, reason: "renegotiating, LEG-123"}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionSpec>,
    /// The longest an exception may run, in days from today. Default 90.
    /// Example: `exceptionsMaxDays: 30`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3650))]
    pub exceptions_max_days: Option<u32>,
    /// What the partner portal tells partners (SPEC §15.1), all of it public: the program
    /// team's contact, where partners ask for each step (`intake`), and where the portal is
    /// published. Example:
    /// `portal: {url: "https://partners.northwind.example", contact: {email: partners@northwind.example}, intake: {github: northwind/partners}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal: Option<super::PortalSpec>,
    /// What an acceptance must carry (SPEC §15.4). Example: `agreements: {requireEvidence: true}`.
    #[serde(default, skip_serializing_if = "AgreementsSettings::is_empty")]
    pub agreements: AgreementsSettings,
}

/// Rules for partners' acceptances (`spec.agreements`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgreementsSettings {
    /// An acceptance added without `textSha256`, `method` and `evidence` is an error
    /// (`acceptance-evidence`), found against the applied state by `plan` (and by `validate`
    /// when it can read one); acceptances already applied are not affected. Default false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_evidence: bool,
}

impl AgreementsSettings {
    pub fn is_empty(&self) -> bool {
        *self == AgreementsSettings::default()
    }
}

/// The default of `spec.exceptionsMaxDays`.
pub const DEFAULT_EXCEPTIONS_MAX_DAYS: u32 = 90;

/// One exception (`spec.exceptions[]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExceptionSpec {
    /// The check code (`terms-outdated`) or policy rule (`policy/<rule>`) excepted.
    /// Example: `terms-outdated`.
    #[schemars(regex(pattern = r"^(policy/[A-Za-z0-9_.-]{1,128}|[a-z][a-z-]{1,63})$"))]
    pub code: String,
    /// The resource the findings are about: `partner/<name>`, `product/<name>`,
    /// `terms/<name>`, or `program`. Example: `partner/initech`.
    #[schemars(regex(pattern = r"^(program|(partner|product|terms)/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$"))]
    pub resource: String,
    /// The last day the exception holds (`YYYY-MM-DD`); the finding is an error again the
    /// day after. Example: `2027-02-15`.
    pub until: super::Date,
    /// Why, and where it was agreed (a ticket, a contract). Shown with every finding it
    /// covers. Example: `"renegotiating, LEG-123"`.
    #[schemars(length(min = 1, max = 500))]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub reason: String,
}

/// Engine budgets (`spec.limits`). Exceeding a policy budget is a `policy` error naming the
/// file; exceeding a template budget is an `output-invalid` error naming the template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LimitsSpec {
    /// Seconds one Rego rule set (`deny` or `warn` of one package) may run. Default 10.
    /// Example: `policySeconds: 20`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 600))]
    pub policy_seconds: Option<u32>,
    /// How deeply Rego evaluation may nest (rule calling rule, function calling function,
    /// nested comprehensions and values). Default 256. Recursion itself is always refused.
    /// Example: `policyDepth: 512`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 8, max = 4096))]
    pub policy_depth: Option<u32>,
    /// Seconds one template render (one output file, one portal page) may run. Default 10.
    /// Example: `templateSeconds: 30`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 600))]
    pub template_seconds: Option<u32>,
    /// Fuel for one template render: about one unit per template instruction and one per
    /// 64 bytes of data a template builds or writes. Default 10,000,000 (about a second of
    /// work, at most about 640 MB of data); at most 12,000,000, which keeps a render's data
    /// under 1 GiB. Example: `templateFuel: 12000000`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1000, max = 12_000_000))]
    pub template_fuel: Option<u64>,
    /// Largest file, in bytes, one template render may write. Default 268,435,456 (256 MiB).
    /// Example: `templateOutputBytes: 1048576`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 268_435_456))]
    pub template_output_bytes: Option<u64>,
}

impl LimitsSpec {
    pub fn is_empty(&self) -> bool {
        *self == LimitsSpec::default()
    }
}

/// A team that owns resources and approves changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TeamSpec {
    /// The team's GitHub handle, used for CODEOWNERS. Example: `"@northwind/legal"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9._-]+)?$"))]
    pub github: Option<String>,
    /// Optional contact address for the team (internal; never rendered for partners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub email: Option<String>,
}

/// Per-stage settings. Only stages of the onboarding path can be stuck.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct StagesSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered: Option<StageSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_accepted: Option<StageSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<StageSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_requested: Option<StageSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<StageSettings>,
}

impl StagesSpec {
    pub fn is_empty(&self) -> bool {
        *self == StagesSpec::default()
    }

    pub fn get(&self, stage: super::Stage) -> Option<&StageSettings> {
        use super::Stage::*;
        match stage {
            Registered => self.registered.as_ref(),
            TermsAccepted => self.terms_accepted.as_ref(),
            Sandbox => self.sandbox.as_ref(),
            ProductionRequested => self.production_requested.as_ref(),
            Live => self.live.as_ref(),
            Suspended | Offboarded => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StageSettings {
    /// A partner longer than this many days in the stage is reported as stuck by `funnel`.
    #[schemars(range(min = 1))]
    pub stuck_after_days: u32,
}

/// A class of change (SPEC §5), as named in approval rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeClass {
    PartnerAdded,
    PartnerRemoved,
    StageChanged,
    SandboxAccess,
    ProductionAccess,
    PlanChanged,
    AccessRevoked,
    CredentialIssued,
    CredentialRevoked,
    ProductAdded,
    ProductRemoved,
    LimitsChanged,
    ProductChanged,
    TermsPublished,
    TermsChanged,
    ProgramChanged,
    ExceptionChanged,
    EndpointAdded,
    EndpointRemoved,
    ApiChanged,
    // A date written in the program arrived with no commit (SPEC §16): a credential's
    // `revoked` or `expires`, a terms version's `effective`, a `reacceptBy` passed. (A plain
    // comment: a doc comment on one variant would turn the schema's enum into a oneOf.)
    DateEffect,
}

impl ChangeClass {
    pub const ALL: [ChangeClass; 21] = [
        ChangeClass::PartnerAdded,
        ChangeClass::PartnerRemoved,
        ChangeClass::StageChanged,
        ChangeClass::SandboxAccess,
        ChangeClass::ProductionAccess,
        ChangeClass::PlanChanged,
        ChangeClass::AccessRevoked,
        ChangeClass::CredentialIssued,
        ChangeClass::CredentialRevoked,
        ChangeClass::ProductAdded,
        ChangeClass::ProductRemoved,
        ChangeClass::LimitsChanged,
        ChangeClass::ProductChanged,
        ChangeClass::TermsPublished,
        ChangeClass::TermsChanged,
        ChangeClass::ProgramChanged,
        ChangeClass::ExceptionChanged,
        ChangeClass::EndpointAdded,
        ChangeClass::EndpointRemoved,
        ChangeClass::ApiChanged,
        ChangeClass::DateEffect,
    ];

    /// The kind of resource a change of this class is made to (SPEC §5); `None` for
    /// `date-effect`, which comes with a day on a partner or a terms, not with an edit of a file.
    pub fn kind(self) -> Option<super::Kind> {
        use super::Kind;
        Some(match self {
            ChangeClass::PartnerAdded
            | ChangeClass::PartnerRemoved
            | ChangeClass::StageChanged
            | ChangeClass::SandboxAccess
            | ChangeClass::ProductionAccess
            | ChangeClass::PlanChanged
            | ChangeClass::AccessRevoked
            | ChangeClass::CredentialIssued
            | ChangeClass::CredentialRevoked => Kind::Partner,
            ChangeClass::ProductAdded
            | ChangeClass::ProductRemoved
            | ChangeClass::LimitsChanged
            | ChangeClass::ProductChanged
            | ChangeClass::EndpointAdded
            | ChangeClass::EndpointRemoved
            | ChangeClass::ApiChanged => Kind::Product,
            ChangeClass::TermsPublished | ChangeClass::TermsChanged => Kind::Terms,
            ChangeClass::ProgramChanged | ChangeClass::ExceptionChanged => Kind::Program,
            ChangeClass::DateEffect => return None,
        })
    }

    /// Every class of change made to one kind of resource.
    pub fn of_kind(kind: super::Kind) -> Vec<ChangeClass> {
        ChangeClass::ALL
            .into_iter()
            .filter(|c| c.kind() == Some(kind))
            .collect()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeClass::PartnerAdded => "partner-added",
            ChangeClass::PartnerRemoved => "partner-removed",
            ChangeClass::StageChanged => "stage-changed",
            ChangeClass::SandboxAccess => "sandbox-access",
            ChangeClass::ProductionAccess => "production-access",
            ChangeClass::PlanChanged => "plan-changed",
            ChangeClass::AccessRevoked => "access-revoked",
            ChangeClass::CredentialIssued => "credential-issued",
            ChangeClass::CredentialRevoked => "credential-revoked",
            ChangeClass::ProductAdded => "product-added",
            ChangeClass::ProductRemoved => "product-removed",
            ChangeClass::LimitsChanged => "limits-changed",
            ChangeClass::ProductChanged => "product-changed",
            ChangeClass::TermsPublished => "terms-published",
            ChangeClass::TermsChanged => "terms-changed",
            ChangeClass::ProgramChanged => "program-changed",
            ChangeClass::ExceptionChanged => "exception-changed",
            ChangeClass::EndpointAdded => "endpoint-added",
            ChangeClass::EndpointRemoved => "endpoint-removed",
            ChangeClass::ApiChanged => "api-changed",
            ChangeClass::DateEffect => "date-effect",
        }
    }
}

impl std::fmt::Display for ChangeClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who must approve a class of change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApprovalRule {
    /// The change classes this rule applies to. Example: `[terms-published, terms-changed]`.
    #[schemars(length(min = 1))]
    pub on: Vec<ChangeClass>,
    /// Teams that must approve; `owner` stands for the owning team of the changed resource
    /// (for access and plan changes: the product's owner). Example: `[security, owner]`.
    #[schemars(length(min = 1))]
    pub require: Vec<String>,
}

/// A built-in render target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// The partner-facing portal (static HTML): catalog, product pages, onboarding, terms, directory.
    Docs,
    /// An internal HTML funnel report.
    FunnelReport,
    /// A Kong decK declarative file (`_format_version: "3.0"`) for one environment.
    Kong,
    /// An NGINX `http`-level include for one environment.
    Nginx,
    /// An envoyproxy/ratelimit service configuration for one environment.
    EnvoyRatelimit,
    /// A GitHub CODEOWNERS file from the teams, owners and approval rules.
    Codeowners,
    /// Kubernetes manifests for Envoy Gateway for one environment (`path` is a folder).
    EnvoyGateway,
    /// Kubernetes manifests for the Kong Ingress Controller for one environment (`path` is a folder).
    KongIngress,
    /// A Backstage software catalog (`path` is a folder): the program's System, an API per
    /// product, a Group per team and per partner, a Component per partner and environment.
    Backstage,
    /// An Azure API Management ARM template for one environment (`path` is the template; its
    /// Key Vault parameters file is written beside it as `<stem>.parameters.json`).
    AzureApim,
    /// GitHub issue forms, one per onboarding request (`path` is a folder, normally
    /// `.github/ISSUE_TEMPLATE`).
    IssueForms,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Docs => "docs",
            Target::FunnelReport => "funnel-report",
            Target::Kong => "kong",
            Target::Nginx => "nginx",
            Target::EnvoyRatelimit => "envoy-ratelimit",
            Target::Codeowners => "codeowners",
            Target::EnvoyGateway => "envoy-gateway",
            Target::KongIngress => "kong-ingress",
            Target::Backstage => "backstage",
            Target::AzureApim => "azure-apim",
            Target::IssueForms => "issue-forms",
        }
    }

    /// Whether the target is written for one environment (and so needs `environment`).
    pub fn needs_environment(self) -> bool {
        matches!(
            self,
            Target::Kong
                | Target::Nginx
                | Target::EnvoyRatelimit
                | Target::EnvoyGateway
                | Target::KongIngress
                | Target::AzureApim
        )
    }
}

/// One output of `render`/`apply`: a built-in `target` or a program `template`, written to `path`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("oneOf" = [{"required": ["target"]}, {"required": ["template"]}]))]
pub struct OutputSpec {
    /// A built-in target: docs, funnel-report, kong, nginx, envoy-ratelimit, codeowners,
    /// envoy-gateway, kong-ingress, backstage, azure-apim, issue-forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// A minijinja template of the program's, relative to the repository root.
    /// Example: `templates/partners.csv.j2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub template: Option<String>,
    /// Where to write, relative to the repository (or `--out-dir`); a folder for `docs`,
    /// `envoy-gateway`, `kong-ingress` and `issue-forms`.
    /// Example: `dist/gateway/kong-production.yaml`.
    #[schemars(length(min = 1))]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub path: String,
    /// The environment a gateway target is for (kong, nginx, envoy-ratelimit, envoy-gateway,
    /// kong-ingress, azure-apim). backstage: when given, only that environment's partner
    /// integrations (Components) are written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    /// nginx: the map file of API keys read at run time, one `"<secret>" <credential-id>;`
    /// a line. Default `/etc/nginx/partnerctl-keys.map`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub keys_file: Option<String>,
    /// nginx: the `listen` address. Default `8080`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub listen: Option<String>,
    /// nginx: where the JSON Lines access log goes. Default `/var/log/nginx/partnerctl-usage.jsonl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub access_log: Option<String>,
    /// envoy-ratelimit: the rate limit domain. Default: the program's name and environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub domain: Option<String>,
    /// kong, kong-ingress: where the `rate-limiting` plugin counts calls. `local` (default): in each node's
    /// memory, fast and with no dependency, but per node, so N nodes behind a load balancer
    /// allow about N times the quota; `cluster`: in Kong's database, exact across nodes but a
    /// database write per call (not available in DB-less mode or Konnect); `redis`: in the
    /// Redis named by `redis`, exact across nodes at the cost of a Redis round trip.
    /// Example: `quotaPolicy: redis`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_policy: Option<QuotaPolicy>,
    /// kong-ingress: the Kong Gateway edition behind the controller. `oss` (default): Kong
    /// OSS, what it and the controller's DB-less mode accept (limits per consumer, ACL groups
    /// through `acl` credential Secrets); `enterprise`: Kong Enterprise with a licence
    /// (limits and ACL groups through KongConsumerGroups). Example: `edition: enterprise`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<KongEdition>,
    /// kong, kong-ingress: how the Kong nodes keep their configuration, which decides what
    /// `quotaPolicy` they accept. `database` (the kong target's default): a Kong with its
    /// database; `db-less` (the kong-ingress target's default, the controller's usual mode):
    /// declarative configuration only, no `quotaPolicy: cluster`; `hybrid`: a control plane
    /// with data planes, no `quotaPolicy: cluster` either. Example: `mode: db-less`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<KongMode>,
    /// kong with `quotaPolicy: redis`: the Redis counters are kept in.
    /// Example: `redis: {host: redis.kong.svc, port: 6379, passwordRef: "{vault://env/kong-redis-password}"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<RedisSpec>,
    /// kong-ingress: the namespace of the manifests. Default `partnerctl`. Example: `namespace: kong`.
    /// backstage: the catalog namespace of the entities. Default `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub namespace: Option<String>,
    /// envoy-gateway, kong-ingress: the external-secrets store every credential's `secretRef` is read from.
    /// Default `{name: partnerctl, kind: ClusterSecretStore}`.
    /// Example: `secretStore: {name: vault, kind: ClusterSecretStore}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_store: Option<SecretStoreSpec>,
    /// backstage: where the program repository's files are browsed, ending in `/`; each
    /// entity links to its source file there (`backstage.io/view-url`).
    /// Example: `sourceUrl: "https://github.com/northwind/partners/blob/main/"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r#"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?/$"#))]
    pub source_url: Option<String>,
    /// azure-apim (required there): the API Management instance the template deploys into;
    /// every resource is named below it. Example: `service: northwind-apim-prod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z]([A-Za-z0-9-]{0,48}[A-Za-z0-9])?$"))]
    pub service: Option<String>,
    /// azure-apim: the resource id of the Key Vault that holds the subscription keys, which
    /// the parameters file references (keys never pass through partnerctl).
    /// Example: `keyVault: /subscriptions/0000…/resourceGroups/partners/providers/Microsoft.KeyVault/vaults/northwind-keys`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(
        pattern = r"^/subscriptions/[0-9A-Fa-f-]{36}/resourceGroups/[-\w._()]{1,90}/providers/Microsoft\.KeyVault/vaults/[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$"
    ))]
    pub key_vault: Option<String>,
}

/// An external-secrets store (`outputs[].secretStore`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretStoreSpec {
    /// The store's name. Example: `vault`.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,251}[a-z0-9])?$"))]
    pub name: String,
    /// `SecretStore` (in the manifests' namespace) or `ClusterSecretStore`. Default `ClusterSecretStore`.
    #[serde(default)]
    pub kind: SecretStoreKind,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SecretStoreKind {
    SecretStore,
    #[default]
    ClusterSecretStore,
}

impl SecretStoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretStoreKind::SecretStore => "SecretStore",
            SecretStoreKind::ClusterSecretStore => "ClusterSecretStore",
        }
    }
}

/// Where Kong's `rate-limiting` plugin keeps its counters (`outputs[].quotaPolicy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuotaPolicy {
    /// Per node, in memory: N nodes allow about N times the limits.
    #[default]
    Local,
    /// In Kong's database, shared by all nodes.
    Cluster,
    /// In Redis (`redis`), shared by all nodes.
    Redis,
}

impl QuotaPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaPolicy::Local => "local",
            QuotaPolicy::Cluster => "cluster",
            QuotaPolicy::Redis => "redis",
        }
    }
}

/// The Kong Gateway edition a kong-ingress output is for (`outputs[].edition`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KongEdition {
    /// Kong OSS: no consumer groups, no `include_consumer_groups` in the `acl` plugin.
    #[default]
    Oss,
    /// Kong Enterprise with a valid licence: consumer groups.
    Enterprise,
}

impl KongEdition {
    pub fn as_str(self) -> &'static str {
        match self {
            KongEdition::Oss => "oss",
            KongEdition::Enterprise => "enterprise",
        }
    }
}

/// How Kong keeps its configuration (`outputs[].mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum KongMode {
    /// Kong with its database (PostgreSQL).
    Database,
    /// Declarative configuration only (`database = off`), as the Kong Ingress Controller runs it.
    DbLess,
    /// A control plane with data planes (`role = control_plane`).
    Hybrid,
}

impl KongMode {
    pub fn as_str(self) -> &'static str {
        match self {
            KongMode::Database => "database",
            KongMode::DbLess => "db-less",
            KongMode::Hybrid => "hybrid",
        }
    }

    /// The mode of an output: its `mode`, else the target's usual one (`db-less` for the
    /// Kong Ingress Controller, `database` for a decK file).
    pub fn of(output: &OutputSpec) -> KongMode {
        output.mode.unwrap_or(if output.target == Some(Target::KongIngress) {
            KongMode::DbLess
        } else {
            KongMode::Database
        })
    }

    /// Whether the `rate-limiting` plugin accepts `policy: cluster`: Kong's schema allows
    /// only `local` and `redis` when it runs without a database or as a hybrid control plane.
    pub fn allows_cluster_counters(self) -> bool {
        self == KongMode::Database
    }
}

/// The Redis of `quotaPolicy: redis`. Its password is never a value in the repository: only
/// a Kong vault reference to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RedisSpec {
    /// The host name. Example: `redis.kong.svc.cluster.local`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$"))]
    pub host: String,
    /// The port. Example: `6379`.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// The database number. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 15))]
    pub database: Option<u32>,
    /// Milliseconds to wait for Redis. Default Kong's (2000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 60000))]
    pub timeout: Option<u32>,
    /// A Kong vault reference to the password, never the password.
    /// Example: `"{vault://env/kong-redis-password}"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\{vault://[A-Za-z0-9._/-]{1,256}\}$"))]
    pub password_ref: Option<String>,
}

/// Settings for one built-in policy rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicySetting {
    /// `false` switches the rule off. Default `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Report the rule's findings as `error` or `warning` instead of its default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<PolicySeverity>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PolicySeverity {
    Error,
    Warning,
}
