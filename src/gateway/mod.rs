//! Gateways: everything partnerctl knows about one outside gateway format lives in one
//! folder here — its model, how to write its files, how to read them back, how an audit
//! compares them with the program and how an import turns them into program files.
//!
//! - [`kong`]: Kong's decK files (the `kong` target, `import kong`, `audit --gateway`);
//! - [`nginx`]: an NGINX `http`-level include (the `nginx` target);
//! - [`envoy_ratelimit`]: envoyproxy/ratelimit's configuration (the `envoy-ratelimit` target);
//! - [`envoy_gateway`]: Envoy Gateway's Kubernetes manifests (the `envoy-gateway` target);
//! - [`kong_ingress`]: the Kong Ingress Controller's manifests (the `kong-ingress` target);
//! - [`azure_apim`]: Azure API Management ARM templates (the `azure-apim` target, and
//!   `audit --gateway` of a template or an export of the service);
//! - [`backstage`]: a Backstage software catalog (the `backstage` target): not a gateway, but
//!   like one it writes what the access view grants, for the platform's own catalog;
//! - [`kubernetes`]: what the Kubernetes targets share (names, labels, ExternalSecret,
//!   kustomization, reading a `kubectl get -o yaml` list back, the audits' common checks);
//! - [`audit`]: the audit's codes, findings and report, shared by every gateway's audit.
//!
//! Each gateway is reached through one row of [`FORMATS`]: the target it renders, its
//! built-in templates, its render function and, where it has one, its audit. Gateways sit
//! below the dispatcher that runs every output of `program.yaml` ([`crate::render`]) and
//! above what they share with it: the template engine ([`crate::template`]), the encoders
//! ([`crate::encode`]), the access view ([`crate::access`]) and rendered files
//! ([`crate::output`]). No gateway imports the dispatcher.

pub mod audit;
pub mod azure_apim;
pub mod backstage;
pub mod envoy_gateway;
pub mod envoy_ratelimit;
pub mod kong;
pub mod kong_ingress;
pub mod kubernetes;
pub mod nginx;

use crate::model::Program;
use crate::output::{RenderError, RenderedFile};
use crate::spec::{Date, Environment, OutputSpec, Target};
use crate::visibility::usage::Usage;

/// What the dispatcher hands a gateway to render one output of `program.yaml`.
pub struct Input<'a> {
    pub program: &'a Program,
    /// `--as-of`: which credentials are live and which terms are current.
    pub today: Date,
    /// The output's `environment`: always there for a target written for one environment
    /// ([`Target::needs_environment`]); for `backstage`, an optional filter.
    pub environment: Option<Environment>,
    pub output: &'a OutputSpec,
    /// The output's path, normalized: a file, or the folder of a Kubernetes target.
    pub path: &'a str,
    /// The template engine, with the program's templates laid over the built-ins.
    pub templates: &'a minijinja::Environment<'static>,
}

impl Input<'_> {
    /// The environment of a target written for one environment.
    pub fn environment(&self) -> Result<Environment, RenderError> {
        self.environment.ok_or_else(|| {
            RenderError::Output(format!(
                "output `{}`: the {} target needs an `environment`",
                self.output.path,
                self.output.target.map_or("gateway", |t| t.as_str())
            ))
        })
    }
}

/// How a gateway's resources read back from a cluster are audited.
pub type ManifestAudit = fn(&mut kubernetes::AuditContext<'_>, &kubernetes::Manifests);

/// One gateway format: what the dispatcher and the audit need of it.
pub struct Format {
    /// The `target:` of `program.yaml` it renders.
    pub target: Target,
    /// Its built-in templates, by the name a program's `templates/` overrides them with
    /// (`nginx/nginx.conf.j2`); empty for targets written by a serializer alone.
    pub templates: &'static [(&'static str, &'static str)],
    /// Renders one output.
    pub render: fn(&Input) -> Result<Vec<RenderedFile>, RenderError>,
    /// The audit of its resources in a `kubectl get -o yaml` list, for the Kubernetes
    /// targets; Kong's decK dumps have their own reader ([`kong::read`]).
    pub audit: Option<ManifestAudit>,
}

/// Every gateway format partnerctl renders.
pub const FORMATS: &[Format] = &[
    kong::FORMAT,
    nginx::FORMAT,
    envoy_ratelimit::FORMAT,
    envoy_gateway::FORMAT,
    kong_ingress::FORMAT,
    backstage::FORMAT,
    azure_apim::FORMAT,
];

/// The gateway format that renders `target`, if it is a gateway target.
pub fn format(target: Target) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.target == target)
}

/// The built-in template folder of a target (`nginx/`), when it renders through templates.
pub fn template_folder(target: Target) -> Option<&'static str> {
    let (name, _) = format(target)?.templates.first()?;
    name.split_once('/').map(|(folder, _)| &name[..=folder.len()])
}

/// The audit of a `kubectl get -o yaml` list (or a stream of manifests): the comparison of
/// each Kubernetes target whose kinds the list holds, in one report.
pub fn audit_manifests(
    program: &Program,
    today: Date,
    manifests: &kubernetes::Manifests,
    usage: Option<&Usage>,
    options: &audit::AuditOptions,
) -> audit::Audit {
    kubernetes::audit(program, today, manifests, usage, options, &|ctx, flavor, m| {
        if let Some(run) = format(flavor.target()).and_then(|f| f.audit) {
            run(ctx, m);
        }
    })
}
