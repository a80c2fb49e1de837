//! The Kong Ingress Controller (configuration.konghq.com): [`render`] (the program → the
//! `kong-ingress` target's manifests, SPEC §12), [`audit`] (the program against a
//! `kubectl get -o yaml` list of them).

pub mod audit;
pub mod render;
