//! Replays the fuzz corpus (`fuzz/corpus/<target>/`) and every reproducer kept under
//! `fuzz/regressions/<target>/` on stable Rust, through the same entry points the cargo-fuzz
//! targets call (`partnerctl::fuzzing`). A panic fails the test; an abort or a stack overflow
//! kills it, which fails it too. The replay is bounded: inputs run in name order until the
//! budget is spent, so a corpus grown by long fuzzing runs cannot make CI slow.

use partnerctl::fuzzing;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BUDGET: Duration = Duration::from_secs(120);

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        files.extend(entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()));
    }
    files.sort();
    files
}

fn replay(target: &str, run: impl Fn(&[u8])) {
    let files = inputs(target);
    assert!(!files.is_empty(), "fuzz/corpus/{target} is empty: run fuzz/seed-corpus");
    let start = Instant::now();
    for file in &files {
        if start.elapsed() > BUDGET {
            break;
        }
        let data = std::fs::read(file).unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&data)));
        assert!(outcome.is_ok(), "{} panicked", file.display());
    }
}

fn base() -> partnerctl::source::Snapshot {
    fuzzing::base(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind"))
}

#[test]
fn load() {
    replay("load", fuzzing::load_yaml);
}

/// The block YAML reader against saphyr, on its own corpus and the YAML reader's: a panic is
/// a file the two read differently.
#[test]
fn block_yaml() {
    replay("block_yaml", fuzzing::block_yaml);
    replay("load", fuzzing::block_yaml);
    mutated("block_yaml", b"\n \"{:-#|'", fuzzing::block_yaml);
}

#[test]
fn validate() {
    let base = base();
    replay("validate", |d| fuzzing::validate(&base, d));
}

#[test]
fn render() {
    let base = base();
    replay("render", |d| fuzzing::render(&base, d));
}

#[test]
fn plan() {
    let base = base();
    replay("plan", |d| fuzzing::plan(&base, d));
}

#[test]
fn kong() {
    let base = base();
    replay("kong", |d| fuzzing::kong(&base, d));
    mutated("kong", b"\n\"{:", |d| fuzzing::kong(&base, d));
}

#[test]
fn kubernetes() {
    let base = base();
    replay("kubernetes", |d| fuzzing::kubernetes(&base, d));
    mutated("kubernetes", b"\n\"{:&*", |d| fuzzing::kubernetes(&base, d));
}

#[test]
fn openapi() {
    let base = base();
    replay("openapi", |d| fuzzing::openapi(&base, d));
    mutated("openapi", b"\n\"{:&*", |d| fuzzing::openapi(&base, d));
}

#[test]
fn usage() {
    let base = base();
    replay("usage", |d| fuzzing::usage(&base, d));
    mutated("usage", b"\n\"{:9-", |d| fuzzing::usage(&base, d));
}

#[test]
fn azure_apim() {
    let base = base();
    replay("azure_apim", |d| fuzzing::azure_apim(&base, d));
    mutated("azure_apim", b"\n\"{[]:'<", |d| fuzzing::azure_apim(&base, d));
}

#[test]
fn request() {
    let base = base();
    replay("request", |d| fuzzing::request(&base, d));
    mutated("request", b"\n\"{:#[", |d| fuzzing::request(&base, d));
}

/// A few cheap mutations of each seed of `target` too: cut short, and with a byte that YAML
/// gives a meaning (`bytes`: a newline, a quote, a bracket, a colon, an anchor, an alias) put
/// in at evenly spaced places. None may panic.
fn mutated(target: &str, bytes: &[u8], run: impl Fn(&[u8])) {
    let start = Instant::now();
    for file in inputs(target) {
        let data = std::fs::read(&file).unwrap();
        for k in 1..12 {
            if start.elapsed() > BUDGET {
                return;
            }
            let at = data.len() * k / 12;
            let mut variants = vec![data[..at].to_vec()];
            for b in bytes {
                let mut v = data.clone();
                v[at] = *b;
                variants.push(v);
            }
            for v in variants {
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&v)));
                assert!(outcome.is_ok(), "{} mutated at byte {at} panicked", file.display());
            }
        }
    }
}
