//! Gateways: everything partnerctl knows about one outside gateway format lives in one
//! folder here — its model, how to read and write its files, how an import turns its
//! entities into program files, and how an audit compares them with the program.
//!
//! [`kong`]: Kong's decK files (the `kong` render target, `import kong`, `audit --gateway`).
//! [`envoy_gateway`]: Envoy Gateway's Kubernetes manifests (the `envoy-gateway` target);
//! [`kong_ingress`]: the Kong Ingress Controller's manifests (the `kong-ingress` target);
//! [`kubernetes`]: what the Kubernetes targets share (names, labels, ExternalSecret,
//! kustomization, reading a `kubectl get -o yaml` list back and the audit's common checks).
//! [`audit_manifests`] runs the audit of each target whose kinds a list holds.
//! Gateways sit below the dispatcher that runs every output of `program.yaml`
//! ([`crate::render`]) and above what they share with it (templates, encoders, the access
//! view of [`crate::render::access`]).

pub mod envoy_gateway;
pub mod kong;
pub mod kong_ingress;
pub mod kubernetes;

use crate::model::Program;
use crate::report::usage::Usage;
use crate::spec::Date;

/// The audit of a `kubectl get -o yaml` list (or a stream of manifests): the
/// `kong-ingress` comparison for its Kong resources, the `envoy-gateway` one for its
/// Envoy Gateway policies, in one report.
pub fn audit_manifests(
    program: &Program,
    today: Date,
    manifests: &kubernetes::Manifests,
    usage: Option<&Usage>,
    options: &kong::audit::AuditOptions,
) -> kong::audit::Audit {
    kubernetes::audit(
        program,
        today,
        manifests,
        usage,
        options,
        &|ctx, flavor, m| match flavor {
            kubernetes::Flavor::KongIngress => kong_ingress::audit::audit(ctx, m),
            kubernetes::Flavor::EnvoyGateway => envoy_gateway::audit::audit(ctx, m),
        },
    )
}
