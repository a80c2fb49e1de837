//! An API Management ARM template read and audited against the bundled example (see
//! `partnerctl::fuzzing::azure_apim`): any bytes give findings or an error, never a crash or a
//! hang.
#![no_main]
use std::sync::LazyLock;

static BASE: LazyLock<partnerctl::source::Snapshot> = LazyLock::new(|| {
    partnerctl::fuzzing::base(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/northwind"))
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| partnerctl::fuzzing::azure_apim(&BASE, data));
