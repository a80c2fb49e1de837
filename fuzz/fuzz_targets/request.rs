//! A partner's request (a Request document, or an issue body read by the form its label
//! names) judged against the bundled example (see `partnerctl::fuzzing::request`): any bytes
//! give a refusal or an accepted request, never a crash or a hang.
#![no_main]
use std::sync::LazyLock;

static BASE: LazyLock<partnerctl::source::Snapshot> = LazyLock::new(|| {
    partnerctl::fuzzing::base(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/northwind"))
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| partnerctl::fuzzing::request(&BASE, data));
