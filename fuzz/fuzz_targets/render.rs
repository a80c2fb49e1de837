//! `render` on the bundled example with the input's files laid over it (see
//! `partnerctl::fuzzing`): any input gives findings or an error, never a crash or a hang.
#![no_main]
use std::sync::LazyLock;

static BASE: LazyLock<partnerctl::source::Snapshot> = LazyLock::new(|| {
    partnerctl::fuzzing::base(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/northwind"))
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| partnerctl::fuzzing::render(&BASE, data));
