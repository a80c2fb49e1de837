//! Gateways: everything partnerctl knows about one outside gateway format lives in one
//! folder here — its model, how to read and write its files, how an import turns its
//! entities into program files, and how an audit compares them with the program.
//!
//! [`kong`]: Kong's decK files (the `kong` render target, `import kong`, `audit --gateway`).
//! [`envoy_gateway`]: Envoy Gateway's Kubernetes manifests (the `envoy-gateway` target);
//! [`kong_ingress`]: the Kong Ingress Controller's manifests (the `kong-ingress` target);
//! [`kubernetes`]: what the Kubernetes targets share (names, labels, ExternalSecret,
//! kustomization).
//! Gateways sit below the dispatcher that runs every output of `program.yaml`
//! ([`crate::render`]) and above what they share with it (templates, encoders, the access
//! view of [`crate::render::access`]).

pub mod envoy_gateway;
pub mod kong;
pub mod kong_ingress;
pub mod kubernetes;
