//! `partnerctl policy test`: runs Rego tests the way `opa test` does. Every rule whose name
//! starts with `test_` in a `policies/**/*_test.rego` file is a test; it passes when it
//! evaluates to `true`, fails when it is false or undefined, and errors when evaluation
//! fails. Tests mock their input with `with input as {...}` (and data with `with data.x as`).
//! The program's policies and the built-in pack are loaded next to the tests, so a test can
//! exercise either.

use super::engine::{self, Source};
use super::{builtin, is_policy_file, is_test_file, program_sources};
use crate::diag::Diagnostic;
use crate::source::Snapshot;
use serde::Serialize;
use std::time::{Duration, Instant};

/// How one test ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Error => "ERROR",
        }
    }
}

/// One test's result.
#[derive(Clone, Debug, Serialize)]
pub struct TestResult {
    /// The test file, relative to the repository (or `<built-in>/policies/...`).
    pub file: String,
    pub line: usize,
    /// The package, e.g. `data.northwind.limits_test`.
    pub package: String,
    /// The rule, e.g. `test_beta_in_production_is_denied`.
    pub name: String,
    pub outcome: Outcome,
    /// Why an errored test errored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip)]
    pub duration: Duration,
}

/// Every test's result, plus findings about files that could not be loaded.
#[derive(Clone, Debug, Default)]
pub struct TestReport {
    pub results: Vec<TestResult>,
    pub diagnostics: Vec<Diagnostic>,
}

impl TestReport {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// Whether every test passed and every file loaded.
    pub fn ok(&self) -> bool {
        self.diagnostics.is_empty() && self.results.iter().all(|r| r.outcome == Outcome::Pass)
    }
}

/// Runs the program's `policies/**/*_test.rego` against its policies and the built-in pack.
pub fn run_program_tests(snapshot: &Snapshot) -> TestReport {
    let (mut sources, mut diagnostics) = program_sources(snapshot, |p| is_policy_file(p) || is_test_file(p));
    let tests: Vec<String> = sources
        .iter()
        .filter(|s| is_test_file(&s.path))
        .map(|s| s.path.clone())
        .collect();
    sources.splice(0..0, builtin_pack(false));
    let mut report = run(&sources, &tests);
    diagnostics.append(&mut report.diagnostics);
    report.diagnostics = diagnostics;
    report
}

/// Runs the built-in pack's own tests.
pub fn run_builtin_tests() -> TestReport {
    let sources = builtin_pack(true);
    let tests: Vec<String> = builtin::RULES.iter().map(|r| r.test_path.to_string()).collect();
    run(&sources, &tests)
}

fn builtin_pack(with_tests: bool) -> Vec<Source> {
    let mut out = vec![Source {
        path: builtin::LIB_PATH.to_string(),
        text: builtin::LIB_SOURCE.to_string(),
    }];
    for r in builtin::RULES {
        out.push(Source {
            path: r.path.to_string(),
            text: r.source.to_string(),
        });
        if with_tests {
            out.push(Source {
                path: r.test_path.to_string(),
                text: r.test_source.to_string(),
            });
        }
    }
    out
}

fn run(sources: &[Source], test_files: &[String]) -> TestReport {
    let mut loaded = engine::load(sources, &super::budget::PolicyBudget::default());
    let mut results = Vec::new();
    for m in loaded.modules.iter().filter(|m| test_files.contains(&m.path)) {
        for rule in m.rules.iter().filter(|r| r.name.starts_with("test_")) {
            let start = Instant::now();
            super::guarded::reset();
            let (outcome, message) = match loaded.engine.eval_rule(format!("{}.{}", m.package, rule.name)) {
                Ok(regorus::Value::Bool(true)) => (Outcome::Pass, None),
                Ok(_) => (Outcome::Fail, None),
                Err(e) => (Outcome::Error, Some(engine::error_message(&format!("{e:#}")))),
            };
            super::keep_prints(loaded.engine.take_prints().unwrap_or_default());
            results.push(TestResult {
                file: m.path.clone(),
                line: rule.line,
                package: m.package.clone(),
                name: rule.name.clone(),
                outcome,
                message,
                duration: start.elapsed(),
            });
        }
    }
    TestReport {
        results,
        diagnostics: loaded.diagnostics,
    }
}
