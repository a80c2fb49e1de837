//! A decK file read, imported (new and merged) into the bundled example and audited against
//! it (see `partnerctl::fuzzing::kong`): any bytes give files that parse, findings, or an
//! error, never a crash or a hang.
#![no_main]
use std::sync::LazyLock;

static BASE: LazyLock<partnerctl::source::Snapshot> = LazyLock::new(|| {
    partnerctl::fuzzing::base(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/northwind"))
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| partnerctl::fuzzing::kong(&BASE, data));
