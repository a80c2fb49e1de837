//! Envoy Gateway (gateway.envoyproxy.io) and the Gateway API: [`render`] (the program → the
//! `envoy-gateway` target's manifests, SPEC §12), [`audit`] (the program against a
//! `kubectl get -o yaml` list of them).

pub mod audit;
pub mod render;
