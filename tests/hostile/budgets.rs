//! Hostile input: budgets (see main.rs). The repository's YAML, templates and policies are
//! code an attacker writes; none of them may make partnerctl abort, overflow its stack, hang
//! or exhaust memory (SPEC §9 "Limits"). Each test runs the binary with a time limit, so a
//! hang fails the test instead of blocking the suite, and asserts the finding that replaces
//! the harm.

use super::*;
use common::{edit, write};
use std::time::{Duration, Instant};

/// The run ended by itself (no signal, no timeout) with `code`, and printed a finding with
/// `finding_code` naming `file`.
fn assert_finding(r: &Run, code: i32, finding_code: &str, file: &str) {
    assert_eq!(r.code, Some(code), "exit code (None: killed or timed out)\n{}", r.all());
    let all = r.all();
    assert!(
        all.lines()
            .any(|l| l.contains(&format!("[{finding_code}]")) && l.contains(file))
            || (all.contains(&format!("[{finding_code}]")) && all.contains(file)),
        "expected a `{finding_code}` finding naming {file}\n{all}"
    );
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

/// Sets program.yaml `spec.limits`.
fn limits(dir: &Path, flow: &str) {
    edit(
        dir,
        "program.yaml",
        "  outputs:\n",
        &format!("  limits: {flow}\n  outputs:\n"),
    );
}

#[test]
fn alias_bomb_by_bytes_is_a_yaml_syntax_finding() {
    let dir = common::copy_example();
    // 436 KB of aliases to a 400 KB string: few nodes, 8 GB expanded.
    let mut y =
        String::from("apiVersion: partnerctl.dev/v1\nkind: Partner\nmetadata: {name: bomb, owner: partnerships}\n");
    y.push_str(&format!(
        "x: &big \"{}\"\nspec:\n  displayName: Bomb\n  l:\n",
        "A".repeat(400_000)
    ));
    for _ in 0..5_000 {
        y.push_str("    - *big\n");
    }
    write(dir.path(), "partners/bomb.yaml", &y);
    let start = Instant::now();
    // A 2 GB address-space cap: expanding the aliases would need gigabytes and abort.
    let r = {
        let mut cmd = assert_cmd::Command::new("bash");
        cmd.arg("-c")
            .arg("ulimit -v 2000000; exec \"$0\" validate -C \"$1\" --as-of \"$2\"")
            .arg(assert_cmd::cargo::cargo_bin("partnerctl"))
            .arg(dir.path())
            .arg(common::AS_OF)
            .env("NO_COLOR", "1")
            .timeout(Duration::from_secs(30));
        Run::from(cmd.output().expect("run partnerctl"))
    };
    assert_finding(&r, 1, "yaml-syntax", "partners/bomb.yaml");
    assert!(r.all().contains("bytes"), "{}", r.all());
    assert!(start.elapsed() < Duration::from_secs(20), "{:?}", start.elapsed());
}

const NESTED_RANGE: &str = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n";

#[test]
fn nested_range_loops_in_a_template_stop_render_with_output_invalid() {
    let dir = common::copy_example();
    template_output(dir.path(), "spin.txt.j2", NESTED_RANGE);
    let start = Instant::now();
    let r = run_in(dir.path(), &["render"], Duration::from_secs(40));
    assert_finding(&r, 1, "output-invalid", "templates/spin.txt.j2");
    assert!(r.all().contains("fuel"), "{}", r.all());
    assert!(start.elapsed() < Duration::from_secs(30), "{:?}", start.elapsed());
    assert!(!dir.path().join("dist/spin.txt.j2.out").exists());
}

#[test]
fn nested_range_loops_in_a_template_fail_validate_not_the_merge() {
    // validate used to pass such a template: the loop only ran (for ever) on merge.
    let dir = common::copy_example();
    template_output(dir.path(), "spin.txt.j2", NESTED_RANGE);
    let start = Instant::now();
    let r = run_in(dir.path(), &["validate", "--format", "json"], Duration::from_secs(40));
    assert_eq!(r.code, Some(1), "{}", r.all());
    let out: serde_json::Value = serde_json::from_str(&r.stdout).expect("validate JSON");
    let found = out["diagnostics"].as_array().unwrap().iter().any(|d| {
        d["code"] == "output-invalid"
            && d["file"] == "program.yaml"
            && d["message"].as_str().unwrap().contains("spin.txt.j2")
    });
    assert!(
        found,
        "an output-invalid finding at the output's line names the template: {}",
        r.stdout
    );
    assert!(start.elapsed() < Duration::from_secs(30), "{:?}", start.elapsed());
}

#[test]
fn nested_range_loops_in_a_template_stop_plan_with_output_invalid() {
    let dir = common::copy_example();
    template_output(dir.path(), "spin.txt.j2", NESTED_RANGE);
    let start = Instant::now();
    let r = run_in(dir.path(), &["plan"], Duration::from_secs(40));
    assert_finding(&r, 1, "output-invalid", "templates/spin.txt.j2");
    assert!(start.elapsed() < Duration::from_secs(30), "{:?}", start.elapsed());
    // The same through the JSON plan: a finding with its code, not a crash.
    let r = run_in(dir.path(), &["plan", "--format", "json"], Duration::from_secs(40));
    assert_eq!(r.code, Some(1), "{}", r.all());
    let plan: serde_json::Value = serde_json::from_str(&r.stdout).expect("plan JSON");
    assert_eq!(plan["ok"], false);
    assert!(r.stdout.contains("output-invalid"), "{}", r.stdout);
}

#[test]
fn an_output_over_its_size_budget_is_refused() {
    let dir = common::copy_example();
    // 10 MB of output against a 1 MiB budget (the default, 256 MiB, is unit-tested).
    template_output(
        dir.path(),
        "huge.txt.j2",
        "{% for i in range(100000) %}{{ 'x' * 100 }}\n{% endfor %}",
    );
    limits(dir.path(), "{templateOutputBytes: 1048576}");
    let r = run_in(dir.path(), &["render"], Duration::from_secs(40));
    assert_finding(&r, 1, "output-invalid", "templates/huge.txt.j2");
    assert!(r.all().contains("1048576 bytes"), "{}", r.all());
    assert!(!dir.path().join("dist/huge.txt.j2.out").exists());
}

#[test]
fn tojson_of_deep_nesting_built_by_a_recursive_macro_does_not_overflow() {
    for filter in ["tojson", "json", "yaml"] {
        let dir = common::copy_example();
        // A macro that calls itself to nest a list, then a namespace loop that nests further.
        template_output(
            dir.path(),
            "deep.txt.j2",
            &format!(
                "{{% macro nest(v, n) %}}{{% if n > 0 %}}{{{{ nest([v], n - 1) }}}}{{% else %}}{{{{ v|{filter} }}}}{{% endif %}}{{% endmacro %}}\
                 {{{{ nest(1, 1000) }}}}\n\
                 {{% set ns = namespace(x=[]) %}}{{% for i in range(100000) %}}{{% set ns.x = [ns.x] %}}{{% endfor %}}{{{{ ns.x|{filter} }}}}\n"
            ),
        );
        let r = run_in(dir.path(), &["render"], Duration::from_secs(40));
        assert_finding(&r, 1, "output-invalid", "templates/deep.txt.j2");
        assert!(!dir.path().join("dist/deep.txt.j2.out").exists(), "{filter}");
    }
}

/// Adds `policies/NAME` to the example.
fn policy(dir: &Path, name: &str, text: &str) {
    write(dir, &format!("policies/{name}"), text);
}

#[test]
fn a_recursive_rego_function_is_a_policy_finding() {
    let dir = common::copy_example();
    policy(
        dir.path(),
        "rec.rego",
        "package northwind.rec\n\nimport rego.v1\n\nf(n) := x if {\n\tn > 0\n\tx := f(n - 1) + 1\n}\n\ndeny contains msg if {\n\tf(100000) > 0\n\tmsg := \"deep\"\n}\n",
    );
    let r = run_in(dir.path(), &["validate"], Duration::from_secs(30));
    assert_finding(&r, 1, "policy", "policies/rec.rego");
    assert!(r.all().contains("recursion"), "{}", r.all());
    // Mutual recursion between rules of two packages.
    let dir = common::copy_example();
    policy(
        dir.path(),
        "ping.rego",
        "package northwind.ping\n\nimport rego.v1\nimport data.northwind.pong\n\nup if pong.down\n\ndeny contains \"x\" if up\n",
    );
    policy(
        dir.path(),
        "pong.rego",
        "package northwind.pong\n\nimport rego.v1\n\ndown if data.northwind.ping.up\n",
    );
    let r = run_in(dir.path(), &["validate"], Duration::from_secs(30));
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(
        r.all().contains("[policy]") && r.all().contains("calls itself"),
        "{}",
        r.all()
    );
}

#[test]
fn deeply_nested_rego_literals_are_refused_not_parsed_forever() {
    let dir = common::copy_example();
    policy(
        dir.path(),
        "deep.rego",
        &format!(
            "package northwind.deep\n\nimport rego.v1\n\nx := {}1{}\n\ndeny contains \"d\" if x == 1\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    );
    let r = run_in(dir.path(), &["validate"], Duration::from_secs(30));
    assert_finding(&r, 1, "policy", "policies/deep.rego");
}

#[test]
fn a_rego_loop_stops_at_the_policy_time_budget() {
    let dir = common::copy_example();
    policy(
        dir.path(),
        "spin.rego",
        "package northwind.spin\n\nimport rego.v1\n\ndeny contains msg if {\n\tsome a in numbers.range(1, 100000)\n\tsome b in numbers.range(1, 100000)\n\ta == b + 1000000\n\tmsg := \"never\"\n}\n",
    );
    limits(dir.path(), "{policySeconds: 1}");
    let start = Instant::now();
    let r = run_in(dir.path(), &["validate"], Duration::from_secs(30));
    assert_finding(&r, 1, "policy", "policies/spin.rego");
    assert!(r.all().contains("ran longer than 1 s"), "{}", r.all());
    assert!(start.elapsed() < Duration::from_secs(15), "{:?}", start.elapsed());
}

#[test]
fn nondeterministic_rego_builtins_are_refused_at_the_call() {
    for (call, line) in [("rand.intn(\"coin\", 2) == 1", 6), ("time.now_ns() > 0", 6)] {
        let dir = common::copy_example();
        policy(
            dir.path(),
            "coin.rego",
            &format!(
                "package northwind.coin\n\nimport rego.v1\n\ndeny contains msg if {{\n\t{call}\n\tmsg := \"heads\"\n}}\n"
            ),
        );
        let r = run_in(dir.path(), &["validate"], Duration::from_secs(30));
        assert_finding(&r, 1, "policy", &format!("policies/coin.rego:{line}"));
        // The same findings on every run.
        let again = run_in(dir.path(), &["validate"], Duration::from_secs(30));
        assert_eq!(r.stdout, again.stdout);
    }
}
