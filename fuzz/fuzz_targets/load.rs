//! The YAML reader on one file: any bytes give a document or a finding.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| partnerctl::fuzzing::load_yaml(data));
