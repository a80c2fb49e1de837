//! The block YAML reader against saphyr on one file: whenever the block reader reads it,
//! saphyr reads the same value and positions.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| partnerctl::fuzzing::block_yaml(data));
