//! Envoy Gateway (gateway.envoyproxy.io) and the Gateway API: [`render`] (the program → the
//! `envoy-gateway` target's manifests, SPEC §12).

pub mod render;
