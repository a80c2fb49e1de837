//! Hostile input: recursion and memory (see main.rs). A valid-looking OpenAPI description,
//! template, policy or usage log must end within its budget: no stack overflow, no hang, no
//! allocation of gigabytes and no count that wraps (SPEC §9 "Limits"). Each run here has a
//! time limit and, where an attack asks for memory, an address-space limit of 2 GiB
//! (`ulimit -v 2097152`, what CI runners and containers often impose), so that an allocation
//! past the budget kills the run instead of passing unnoticed on a large machine.

use super::*;
use common::{edit, write};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Address space the runs here may use, in KiB (`ulimit -v`).
const ADDRESS_SPACE_KIB: u32 = 2_097_152;

/// [`run_in`] under `ulimit -v` [`ADDRESS_SPACE_KIB`].
fn run_limited(dir: &Path, args: &[&str], limit: Duration) -> Run {
    run_within(dir, args, ADDRESS_SPACE_KIB, limit)
}

/// [`run_in`] under `ulimit -v KIB`.
fn run_within(dir: &Path, args: &[&str], kib: u32, limit: Duration) -> Run {
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {kib} || exit 99; exec \"$0\" \"$@\""))
        .arg(assert_cmd::cargo::cargo_bin("partnerctl"))
        .args(args)
        .arg("-C")
        .arg(dir)
        .args(["--as-of", common::AS_OF])
        .env("NO_COLOR", "1")
        .timeout(limit);
    Run::from(cmd.output().expect("run partnerctl"))
}

/// The run ended by itself with `code` and printed a `finding_code` finding naming `file`.
fn assert_finding(r: &Run, code: i32, finding_code: &str, file: &str) {
    assert_eq!(r.code, Some(code), "exit code (None: killed or timed out)\n{}", r.all());
    let all = r.all();
    assert!(
        all.lines()
            .any(|l| l.contains(&format!("[{finding_code}]")) && l.contains(file)),
        "expected a `{finding_code}` finding naming {file}\n{all}"
    );
}

#[test]
fn validate_render_and_plan_of_the_example_fit_a_2_gib_address_space() {
    let dir = common::copy_example();
    for args in [&["validate"][..], &["render"], &["plan"]] {
        let r = run_limited(dir.path(), args, Duration::from_secs(120));
        assert_eq!(
            r.code,
            Some(0),
            "{args:?} under ulimit -v {ADDRESS_SPACE_KIB}\n{}",
            r.all()
        );
    }
}

/// Adds schemas to the shipments description's components, and a query parameter of
/// `GET /v1/shipments` whose schema is `param`.
fn shipments_schema(dir: &Path, schemas: &str, param: &str) {
    edit(
        dir,
        "apis/shipments.yaml",
        "  schemas:\n",
        &format!("  schemas:\n{schemas}"),
    );
    edit(
        dir,
        "apis/shipments.yaml",
        "        - name: cursor\n",
        &format!("        - name: loop\n          in: query\n          schema: {param}\n        - name: cursor\n"),
    );
}

#[test]
fn a_recursive_schema_is_written_by_name_not_followed_for_ever() {
    let dir = common::copy_example();
    shipments_schema(
        dir.path(),
        "    Loop:\n      type: array\n      items: {$ref: \"#/components/schemas/Loop\"}\n",
        "{$ref: \"#/components/schemas/Loop\"}",
    );
    for args in [&["validate"][..], &["plan"], &["render"]] {
        let r = run_limited(dir.path(), args, Duration::from_secs(60));
        assert_eq!(r.code, Some(0), "{args:?} (None: killed or timed out)\n{}", r.all());
    }
    let reference =
        std::fs::read_to_string(dir.path().join("dist/docs/products/shipments/api.html")).expect("reference");
    assert!(reference.contains("array of Loop"), "the recursive schema is named");
}

#[test]
fn a_reference_to_itself_is_an_openapi_finding_not_a_hang() {
    let dir = common::copy_example();
    shipments_schema(
        dir.path(),
        "    Loop: {$ref: \"#/components/schemas/Loop\"}\n",
        "{$ref: \"#/components/schemas/Loop\"}",
    );
    let start = Instant::now();
    for args in [&["validate"][..], &["plan"]] {
        let r = run_limited(dir.path(), args, Duration::from_secs(60));
        assert_finding(&r, 1, "openapi-invalid", "apis/shipments.yaml");
        assert!(r.all().contains("refers back to itself"), "{}", r.all());
    }
    assert!(start.elapsed() < Duration::from_secs(30), "{:?}", start.elapsed());
}

#[test]
fn references_that_fan_a_large_string_out_stop_at_the_byte_budget() {
    let dir = common::copy_example();
    // A 1 MB string, and a file whose every level refers twice to the one below: 2^13
    // copies, 8 GB once inlined, from two files of about 1 MB.
    write(
        dir.path(),
        "apis/big.yaml",
        format!("S: {{type: string, example: \"{}\"}}\n", "x".repeat(1 << 20)),
    );
    let mut fan = String::from("L0: {$ref: \"big.yaml#/S\"}\n");
    for i in 1..=13 {
        fan.push_str(&format!(
            "L{i}: {{type: object, properties: {{a: {{$ref: \"#/L{p}\"}}, b: {{$ref: \"#/L{p}\"}}}}}}\n",
            p = i - 1
        ));
    }
    write(dir.path(), "apis/fan.yaml", fan);
    shipments_schema(dir.path(), "", "{$ref: \"fan.yaml#/L13\"}");
    let start = Instant::now();
    for args in [&["validate"][..], &["plan"], &["render"]] {
        let r = run_limited(dir.path(), args, Duration::from_secs(60));
        // Named where the budget runs out: the file whose references fan out.
        assert_finding(&r, 1, "openapi-invalid", "apis/fan.yaml");
        assert!(r.all().contains("would take more than"), "{}", r.all());
    }
    assert!(start.elapsed() < Duration::from_secs(60), "{:?}", start.elapsed());
}

/// Adds a `template:` output rendering `templates/NAME` (written with `text`).
fn template_output(dir: &Path, name: &str, text: &str) {
    write(dir, &format!("templates/{name}"), text);
    edit(
        dir,
        "program.yaml",
        "  outputs:\n",
        &format!("  outputs:\n    - {{template: templates/{name}, path: dist/{name}.out}}\n"),
    );
}

#[test]
fn writing_a_repeated_list_out_is_paid_for_before_it_is_built() {
    // A list that holds one 100 kB string 100,000 times is small; written out it is 10 GB.
    for (i, written) in [
        "([a] * 100000)|join",
        "([a] * 100000)|join('-')",
        "'%s'|format([a] * 100000)",
        "'' ~ ([a] * 100000)",
        "([a] * 100000)|string|length",
        "([a] * 100000)|lower|length",
        "'y' in ([a] * 100000)|string",
    ]
    .into_iter()
    .enumerate()
    {
        let dir = common::copy_example();
        let name = format!("join{i}.txt.j2");
        template_output(
            dir.path(),
            &name,
            &format!("{{% set a = \"x\" * 100000 %}}{{{{ {written} }}}}\n"),
        );
        let r = run_limited(dir.path(), &["render"], Duration::from_secs(60));
        // Named at the output that runs it, in program.yaml, with the template's name.
        assert_finding(
            &r,
            1,
            "output-invalid",
            &format!("template `{name}` exceeds its budget"),
        );
        assert!(!dir.path().join(format!("dist/{name}.out")).exists(), "{written}");
    }
}

#[test]
fn rego_builtins_that_build_collections_are_refused_before_they_build() {
    for (i, expr) in [
        "count(numbers.range(1, 200000000)) > 0",
        "count(sprintf(\"%999999999d\", [1])) > 0",
        "count(concat(\"\", [s | some i in numbers.range(1, 100000); s := concat(\"\", [\"x\" | some j in numbers.range(1, 100000)])])) > 0",
    ]
    .into_iter()
    .enumerate()
    {
        let dir = common::copy_example();
        let name = format!("big{i}");
        write(
            dir.path(),
            &format!("policies/{name}.rego"),
            format!("package northwind.{name}\n\nimport rego.v1\n\ndeny contains \"big\" if {{\n\t{expr}\n}}\n"),
        );
        let start = Instant::now();
        let r = run_limited(dir.path(), &["validate"], Duration::from_secs(60));
        assert_finding(&r, 1, "policy", &format!("policies/{name}.rego"));
        assert!(start.elapsed() < Duration::from_secs(30), "{expr}: {:?}", start.elapsed());
    }
}

#[test]
fn rollup_counts_that_would_wrap_are_refused_at_their_line() {
    let dir = common::copy_example();
    // Every call refused (403): summed without checking, the counts wrap and the partner
    // looks active; in a debug build the sum panics.
    write(
        dir.path(),
        "wrap.jsonl",
        "{\"day\": \"2026-10-21\", \"credential\": \"caribe-prd-1\", \"environment\": \"production\", \"calls\": 18446744073709551615, \"status4xx\": 18446744073709551615, \"status401\": 1, \"status403\": 18446744073709551615}\n\
         {\"day\": \"2026-10-22\", \"credential\": \"caribe-prd-1\", \"environment\": \"production\", \"calls\": 9223372036854775808, \"status4xx\": 9223372036854775808, \"status403\": 9223372036854775808}\n\
         {\"day\": \"2026-10-23\", \"credential\": \"caribe-prd-1\", \"environment\": \"production\", \"calls\": 9223372036854775808, \"status4xx\": 9223372036854775808, \"status403\": 9223372036854775808}\n\
         {\"day\": \"2026-10-24\", \"credential\": \"caribe-prd-1\", \"environment\": \"production\", \"calls\": 1, \"status4xx\": 1, \"status403\": 1}\n",
    );
    let usage = dir.path().join("wrap.jsonl");
    let r = run_in(
        dir.path(),
        &["funnel", "--format", "json", "--usage", usage.to_str().unwrap()],
        Duration::from_secs(60),
    );
    assert!(matches!(r.code, Some(0 | 1)), "exit code (101: a panic)\n{}", r.all());
    assert!(
        r.stderr.contains("wrap.jsonl:1") && r.stderr.contains("do not add up"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("wrap.jsonl:3") && r.stderr.contains("past"),
        "{}",
        r.stderr
    );
    let funnel: serde_json::Value = serde_json::from_str(&r.stdout).expect("funnel JSON");
    // Lines 2 and 4 count, 2^63 + 1 calls, every one refused: nothing wrapped.
    assert_eq!(
        funnel["usage"]["calls"],
        serde_json::json!(9_223_372_036_854_775_809u64),
        "{}",
        r.stdout
    );
    assert_eq!(funnel["usage"]["problemCount"], 2, "{}", r.stdout);
    // Nothing the gateway let through: caribe is not active on the strength of this log.
    let active = funnel["active"].as_array().expect("active partners");
    assert!(!active.iter().any(|p| p == "caribe-shipping"), "{active:?}");
}

/// The rates description (`apis/rates.json`) with `paths` added to its paths and `examples`
/// to its components, written indented (each operation on a line of its own) when `pretty`.
fn rates_description(dir: &Path, paths: Vec<(String, Value)>, examples: Value, pretty: bool) -> String {
    let file = dir.join("apis/rates.json");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("rates")).expect("JSON");
    doc["components"]["examples"] = examples;
    let map = doc["paths"].as_object_mut().expect("paths");
    for (path, item) in paths {
        map.insert(path, item);
    }
    let text = if pretty {
        serde_json::to_string_pretty(&doc)
    } else {
        serde_json::to_string(&doc)
    }
    .expect("JSON");
    std::fs::write(&file, &text).expect("write");
    text
}

/// The line of the first finding at `apis/rates.json:LINE:COLUMN`.
fn finding_line(r: &Run) -> usize {
    let all = r.all();
    all.split("apis/rates.json:")
        .skip(1)
        .find_map(|at| at.split(':').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no finding at a line of apis/rates.json\n{all}"))
}

#[test]
fn an_example_shown_by_ref_in_many_operations_stops_at_the_reference_budget() {
    // One example of 2 MiB in components, shown by `$ref` in the 200 response of 400
    // operations: a description of 2 MB, a reference of 800 MB. In one tag it is one page
    // over the template's output budget; in ten tags of 40, ten pages within it. Copied into
    // the page data once per operation, it took 2.7 GB and aborted under this address space.
    for per_tag in [400, 40] {
        let dir = common::copy_example();
        let big = json!({"Big": {"summary": "a large example", "value": "x".repeat(2 << 20)}});
        let paths = (0..400)
            .map(|i| {
                let content = json!({"application/json": {"examples": {"big": {"$ref": "#/components/examples/Big"}}}});
                (
                    format!("/v1/rates/e{i}"),
                    json!({"get": {"tags": [format!("t{}", i / per_tag)], "responses": {"200": {"description": "ok", "content": content}}}}),
                )
            })
            .collect();
        let text = rates_description(dir.path(), paths, big, true);
        for args in [&["validate"][..], &["render"]] {
            let start = Instant::now();
            let r = run_limited(dir.path(), args, Duration::from_secs(120));
            assert_finding(&r, 1, "openapi-invalid", "apis/rates.json");
            assert!(r.all().contains("32 MiB of page data"), "{}", r.all());
            // At the operation where the budget ran out: the line of its `get`, below its path.
            let line = finding_line(&r);
            let lines: Vec<&str> = text.lines().collect();
            let (path, get) = (lines[line - 2], lines[line - 1]);
            assert!(
                path.contains("\"/v1/rates/e") && get.contains("\"get\""),
                "line {line} is `{get}` below `{path}`\n{}",
                r.all()
            );
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{args:?}: {:?}",
                start.elapsed()
            );
        }
        // Nothing of the reference is written.
        assert!(!dir.path().join("dist/docs/products/rates").exists(), "{per_tag}");
    }
}

#[test]
fn a_description_of_many_operations_loads_in_memory_that_follows_its_size() {
    // 60,000 small operations, 6.4 MB (under the 8 MiB file limit). Judged in one piece, each
    // path item's typed form took about 23 KB: 1.4 GB to load the description, and `policy
    // input` (which only loads the program) aborted under 1 GiB of address space.
    let dir = common::copy_example();
    let paths = (0..60_000)
        .map(|i| {
            (
                format!("/v1/rates/op{i}"),
                json!({"get": {"summary": format!("Operation {i}"), "responses": {"200": {"description": "ok"}}}}),
            )
        })
        .collect();
    rates_description(dir.path(), paths, json!({}), false);
    assert!(
        std::fs::metadata(dir.path().join("apis/rates.json"))
            .expect("rates")
            .len()
            < 8 << 20,
        "under the file limit"
    );
    let r = run_within(
        dir.path(),
        &["policy", "input", "--format", "json"],
        1 << 20,
        Duration::from_secs(300),
    );
    assert_eq!(
        r.code,
        Some(0),
        "policy input under ulimit -v 1 GiB (None: killed)\n{}",
        &r.stderr
    );
    // Its reference, with a navigation of 60,000 operations on every page, is over budget.
    let r = run_limited(dir.path(), &["validate"], Duration::from_secs(300));
    assert_finding(&r, 1, "openapi-invalid", "apis/rates.json");
}

/// A rule set that keeps what it builds (a comprehension of copies of a 490 KB string, which
/// no guarded builtin makes) is stopped by the allocator's count at the memory budget, long
/// before the time budget: the binary counts allocations only while policies run, and this
/// proves the count is on then (with it off, the rule grows to 2 GB and is stopped by the
/// clock or the address-space limit, not the budget).
#[test]
fn a_rego_rule_set_that_grows_past_its_memory_budget_is_stopped() {
    let dir = common::copy_example();
    write(
        dir.path(),
        "policies/grow.rego",
        "package northwind.grow\n\nimport rego.v1\n\nbig := concat(\"\", [sprintf(\"%d\", [i]) | some i in numbers.range(1, 100000)])\n\ndeny contains msg if {\n\tcopies := [upper(big) | some i in numbers.range(1, 4000)]\n\tcount(copies) > 0\n\tmsg := \"grown\"\n}\n",
    );
    edit(
        dir.path(),
        "program.yaml",
        "  outputs:\n",
        "  limits: {policySeconds: 60}\n  outputs:\n",
    );
    let start = Instant::now();
    let r = run_within(dir.path(), &["validate"], 3 * 1024 * 1024, Duration::from_secs(90));
    assert_finding(&r, 1, "policy", "policies/grow.rego");
    assert!(r.all().contains("MiB of memory and was stopped"), "{}", r.all());
    assert!(start.elapsed() < Duration::from_secs(45), "{:?}", start.elapsed());
}
