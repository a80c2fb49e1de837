//! A usage log (the whole input) read in every dialect, daily rollups among them,
//! attributed to the example's credentials and folded into the funnel (see
//! `partnerctl::fuzzing::usage`): no count may wrap, and no line may crash the reader.
#![no_main]
use std::sync::LazyLock;

static BASE: LazyLock<partnerctl::source::Snapshot> = LazyLock::new(|| {
    partnerctl::fuzzing::base(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/northwind"))
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| partnerctl::fuzzing::usage(&BASE, data));
