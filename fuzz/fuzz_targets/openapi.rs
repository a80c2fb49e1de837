//! An OpenAPI description (the whole input, as `apis/fuzz.yaml` beside the example's own)
//! read, compared with the example's for the plan, and written as the portal's API
//! reference (see `partnerctl::fuzzing::openapi`): any bytes give a description or a
//! finding, never a crash, a stack overflow or a hang.
#![no_main]
use std::sync::LazyLock;

static BASE: LazyLock<partnerctl::source::Snapshot> = LazyLock::new(|| {
    partnerctl::fuzzing::base(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/northwind"))
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| partnerctl::fuzzing::openapi(&BASE, data));
