//! Where `validate`'s time goes, phase by phase, on a program directory:
//!
//! ```sh
//! cargo bench --bench phases -- bench/work/program 2026-11-01
//! ```
//!
//! Each phase runs the library function `validate` runs, in the same order, and prints its
//! wall time. `bench/run.sh` times the whole command; this tells which part to work on.
//!
//! With `--render`, it then renders each output of program.yaml alone and prints its time
//! and size: where `render` and `plan` spend theirs.
//!
//! With `--scan-only`, it only reads the files and runs the YAML scanner over each one, in
//! parallel, building nothing: the floor under any `validate` built on this YAML parser.
//! `bench/run.sh` times it next to `validate` and the schema validators.
//!
//! With `--parse-only`, it reads the files and parses each YAML file into a
//! `serde_json::Value` (saphyr's events, YAML 1.2 core schema), in parallel, and does nothing
//! else: no positions, no budgets, no schema, no checks. That is the parse floor `validate`
//! is measured against.
//!
//! With `--read-only`, it reads the files and parses each YAML file with partnerctl's own
//! reader (`source::yaml::parse`: the block reader, the JSON reader or saphyr, with
//! positions and budgets), in parallel, and does nothing else: the floor of `validate`'s
//! loading as partnerctl reads.

#![allow(clippy::print_stderr)]

use partnerctl::{check, model, policy, source};
use std::time::Instant;

// The global allocator is the binary's: mimalloc, installed by regorus (see src/main.rs).

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if let Some(i) = args.iter().position(|a| a == "--parse-only") {
        args.remove(i);
        parse_only(args.first().map(String::as_str).unwrap_or("examples/northwind"));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--read-only") {
        args.remove(i);
        read_only(args.first().map(String::as_str).unwrap_or("examples/northwind"));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--scan-only") {
        args.remove(i);
        scan_only(args.first().map(String::as_str).unwrap_or("examples/northwind"));
        return;
    }
    let render = match args.iter().position(|a| a == "--render") {
        Some(i) => {
            args.remove(i);
            true
        }
        None => false,
    };
    let dir = args.first().map(String::as_str).unwrap_or("examples/northwind");
    let today = partnerctl::spec::Date::parse(args.get(1).map(String::as_str).unwrap_or("2026-11-01"))
        .expect("a YYYY-MM-DD date");
    let total = Instant::now();
    let t = Instant::now();
    let snapshot = source::Snapshot::from_dir(std::path::Path::new(dir)).expect("a readable program");
    let files = snapshot.files.len();
    eprintln!(
        "read       {:>8.3} s  ({files} files; {})",
        t.elapsed().as_secs_f64(),
        rss()
    );
    let t = Instant::now();
    let loaded = model::load(snapshot);
    eprintln!(
        "load       {:>8.3} s  ({} partners, {} findings; {})",
        t.elapsed().as_secs_f64(),
        loaded.program.partners.len(),
        loaded.diagnostics.len(),
        rss()
    );
    let t = Instant::now();
    let found = policy::evaluate(&loaded.program, today, None);
    eprintln!(
        "policies   {:>8.3} s  ({} findings; {})",
        t.elapsed().as_secs_f64(),
        found.len(),
        rss()
    );
    // As validate does: the documents' policy form is dropped once the policies have run.
    loaded.program.release_documents();
    let t = Instant::now();
    let found = check::run_all(&loaded.program, today);
    eprintln!(
        "checks     {:>8.3} s  ({} findings; {})",
        t.elapsed().as_secs_f64(),
        found.len(),
        rss()
    );
    let t = Instant::now();
    let found = partnerctl::render::check_outputs(&loaded.program, today);
    eprintln!(
        "outputs    {:>8.3} s  ({} findings, outputs running program templates; {})",
        t.elapsed().as_secs_f64(),
        found.len(),
        rss()
    );
    eprintln!("total      {:>8.3} s", total.elapsed().as_secs_f64());
    if render {
        render_each(&loaded.program, today);
    }
    std::mem::forget(loaded);
}

/// Resident memory now and at its peak (`VmRSS`, `VmHWM` of /proc/self/status), in MiB.
fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            .map(|kb| format!("{}", kb / 1024))
            .unwrap_or_else(|| "?".into())
    };
    format!("rss {} MiB, peak {} MiB", field("VmRSS:"), field("VmHWM:"))
}

/// `--render`: each output of program.yaml rendered alone, with its time and size.
fn render_each(program: &model::Program, today: partnerctl::spec::Date) {
    let env = partnerctl::render::environment(program).expect("templates compile");
    let total = Instant::now();
    for output in &program.spec().expect("program.yaml loads").outputs {
        let t = Instant::now();
        let files = partnerctl::render::render_output(program, output, today, &env).expect("the output renders");
        let bytes: usize = files.iter().map(|f| f.bytes.len()).sum();
        eprintln!(
            "render     {:>8.3} s  {} ({} files, {} KiB; {})",
            t.elapsed().as_secs_f64(),
            output.path,
            files.len(),
            bytes / 1024,
            rss()
        );
        std::mem::forget(files);
    }
    eprintln!("rendered   {:>8.3} s", total.elapsed().as_secs_f64());
}

/// Reads the program's files and scans every YAML file to its last event, in parallel.
fn scan_only(dir: &str) {
    use rayon::prelude::*;
    let snapshot = source::Snapshot::from_dir(std::path::Path::new(dir)).expect("a readable program");
    let events: usize = snapshot
        .files
        .par_iter()
        .filter(|(path, _)| path.ends_with(".yaml"))
        .map(|(path, entry)| {
            let source::Entry::Bytes(bytes) = entry else { return 0 };
            let bytes = bytes.bytes();
            let text = std::str::from_utf8(&bytes).unwrap_or_else(|_| panic!("{path} is not UTF-8"));
            let mut parser = saphyr_parser::Parser::new_from_str(text);
            let mut n = 0;
            while let Some(event) = parser.next_event() {
                event.unwrap_or_else(|e| panic!("{path}: {e}"));
                n += 1;
            }
            n
        })
        .sum();
    eprintln!("scanned {} files, {events} YAML events", snapshot.files.len());
    std::mem::forget(snapshot);
}

/// Reads the program's files and parses every YAML file into a `serde_json::Value`, in
/// parallel: the parse floor.
fn parse_only(dir: &str) {
    use rayon::prelude::*;
    let snapshot = source::Snapshot::from_dir(std::path::Path::new(dir)).expect("a readable program");
    let values: Vec<serde_json::Value> = snapshot
        .files
        .par_iter()
        .filter(|(path, _)| path.ends_with(".yaml"))
        .filter_map(|(path, entry)| {
            let source::Entry::Bytes(bytes) = entry else {
                return None;
            };
            let bytes = bytes.bytes();
            let text = std::str::from_utf8(&bytes).unwrap_or_else(|_| panic!("{path} is not UTF-8"));
            Some(to_json(text, path))
        })
        .collect();
    eprintln!("parsed {} of {} files", values.len(), snapshot.files.len());
    std::mem::forget(values);
    std::mem::forget(snapshot);
}

/// Reads the program's files and parses every YAML file with partnerctl's reader, positions
/// and all, in parallel, timing the parsing alone.
fn read_only(dir: &str) {
    use rayon::prelude::*;
    let snapshot = source::Snapshot::from_dir(std::path::Path::new(dir)).expect("a readable program");
    let t = Instant::now();
    let docs: Vec<source::yaml::YamlDoc> = snapshot
        .files
        .par_iter()
        .filter(|(path, _)| path.ends_with(".yaml"))
        .filter_map(|(path, entry)| {
            let source::Entry::Bytes(bytes) = entry else {
                return None;
            };
            Some(source::yaml::parse(path, &bytes.bytes()).unwrap_or_else(|d| panic!("{path}: {}", d.message)))
        })
        .collect();
    eprintln!(
        "read-only  {:>8.3} s  ({} of {} files; {})",
        t.elapsed().as_secs_f64(),
        docs.len(),
        snapshot.files.len(),
        rss()
    );
    std::mem::forget(docs);
    std::mem::forget(snapshot);
}

/// The document of a one-document file as a `serde_json::Value`.
fn to_json(text: &str, path: &str) -> serde_json::Value {
    use saphyr_parser::Event;
    use serde_json::{Map, Value};
    enum Open {
        List(Vec<Value>),
        Map(Map<String, Value>, Option<String>),
    }
    let mut parser = saphyr_parser::Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut root = Value::Null;
    while let Some(event) = parser.next_event() {
        let (event, _) = event.unwrap_or_else(|e| panic!("{path}: {e}"));
        let done = match event {
            Event::SequenceStart(..) => {
                stack.push(Open::List(Vec::new()));
                None
            }
            Event::MappingStart(..) => {
                stack.push(Open::Map(Map::new(), None));
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Open::List(items)) => Some(Value::Array(items)),
                _ => panic!("{path}: unbalanced events"),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Open::Map(map, _)) => Some(Value::Object(map)),
                _ => panic!("{path}: unbalanced events"),
            },
            Event::Scalar(text, style, _, tag) => Some(
                match saphyr::Scalar::parse_from_cow_and_metadata(text, style, tag.as_ref()) {
                    Some(saphyr::Scalar::Null) | None => Value::Null,
                    Some(saphyr::Scalar::Boolean(b)) => Value::Bool(b),
                    Some(saphyr::Scalar::Integer(i)) => Value::from(i),
                    Some(saphyr::Scalar::FloatingPoint(f)) => Value::from(f.into_inner()),
                    Some(saphyr::Scalar::String(s)) => Value::String(s.into_owned()),
                },
            ),
            _ => None,
        };
        let Some(value) = done else { continue };
        match stack.last_mut() {
            None => root = value,
            Some(Open::List(items)) => items.push(value),
            Some(Open::Map(map, key)) => match key.take() {
                None => *key = Some(value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())),
                Some(k) => {
                    map.insert(k, value);
                }
            },
        }
    }
    root
}
