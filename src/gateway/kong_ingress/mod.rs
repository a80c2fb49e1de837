//! The Kong Ingress Controller (configuration.konghq.com): [`render`] (the program → the
//! `kong-ingress` target's manifests, SPEC §12).

pub mod render;
