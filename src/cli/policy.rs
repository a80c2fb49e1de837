//! `partnerctl policy ...`: run the program's Rego tests, show the `input` policies see, list
//! the built-in rules.

use super::{Common, EXIT_FINDINGS, EXIT_OK, Format, require_format};
use partnerctl::diag::Diagnostic;
use partnerctl::policy::builtin;
use partnerctl::policy::test::{Outcome, TestReport, run_builtin_tests, run_program_tests};
use partnerctl::source::Snapshot;
use serde_json::json;
use std::io::Write;

#[derive(clap::Subcommand, Debug)]
pub enum PolicyCommand {
    /// Run the program's Rego tests (`test_` rules in `policies/**/*_test.rego`), like `opa test`.
    Test(TestArgs),
    /// Print the `input` document the policies see (JSON).
    Input(InputArgs),
    /// List the built-in rules, their default severity and what they ask for.
    Rules(RulesArgs),
}

/// The formats `policy test` and `policy rules` write.
const FORMATS: &[Format] = &[Format::Text, Format::Json];

/// `policy input` prints a JSON document, and nothing else.
const INPUT_FORMATS: &[Format] = &[Format::Json];

#[derive(clap::Args, Debug)]
pub struct InputArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "json", value_parser = super::formats(INPUT_FORMATS))]
    pub _format: Format,
}

#[derive(clap::Args, Debug)]
pub struct RulesArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
}

#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// Run the built-in pack's own tests instead of the program's.
    #[arg(long)]
    pub builtin: bool,
}

pub fn run(cmd: &PolicyCommand, common: &Common) -> anyhow::Result<u8> {
    match cmd {
        PolicyCommand::Test(args) => test(args, common),
        PolicyCommand::Input(_) => input(common),
        PolicyCommand::Rules(_) => rules(common),
    }
}

fn test(args: &TestArgs, common: &Common) -> anyhow::Result<u8> {
    require_format(common, FORMATS, "policy test")?;
    let report = if args.builtin {
        run_builtin_tests()
    } else {
        run_program_tests(&Snapshot::from_dir(&common.dir)?)
    };
    let mut out = super::Out::new(common.format);
    match common.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&json_report(&report))?)?,
        _ => write!(out, "{}", text_report(&report))?,
    }
    Ok(if report.ok() { EXIT_OK } else { EXIT_FINDINGS })
}

fn diagnostic_line(d: &Diagnostic) -> String {
    format!(
        "{}:{}:{}: {}[{}]: {}",
        d.file, d.line, d.column, d.severity, d.code, d.message
    )
}

/// The report as `opa test -v` prints it: each file, each test with its outcome and time,
/// then the counts.
fn text_report(report: &TestReport) -> String {
    let mut s = String::new();
    for d in &report.diagnostics {
        s.push_str(&diagnostic_line(d));
        s.push('\n');
    }
    if !report.diagnostics.is_empty() {
        s.push('\n');
    }
    let mut file = None;
    for r in &report.results {
        if file != Some(&r.file) {
            if file.is_some() {
                s.push('\n');
            }
            s.push_str(&format!("{}:\n", r.file));
            file = Some(&r.file);
        }
        s.push_str(&format!(
            "{}.{}: {} ({:.1}ms)\n",
            r.package,
            r.name,
            r.outcome.as_str(),
            r.duration.as_secs_f64() * 1000.0
        ));
        if let Some(m) = &r.message {
            s.push_str(&format!("  {m}\n"));
        }
    }
    let total = report.results.len();
    if total == 0 {
        s.push_str("no tests found: write `test_` rules in policies/*_test.rego\n");
        return s;
    }
    s.push_str(&format!("{}\n", "-".repeat(80)));
    for outcome in [Outcome::Pass, Outcome::Fail, Outcome::Error] {
        let n = report.count(outcome);
        if n > 0 || outcome == Outcome::Pass {
            s.push_str(&format!("{}: {n}/{total}\n", outcome.as_str()));
        }
    }
    s
}

fn json_report(report: &TestReport) -> serde_json::Value {
    let tests: Vec<serde_json::Value> = report
        .results
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["durationMs"] = json!((r.duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0);
            v
        })
        .collect();
    json!({
        "ok": report.ok(),
        "passed": report.count(Outcome::Pass),
        "failed": report.count(Outcome::Fail),
        "errored": report.count(Outcome::Error),
        "tests": tests,
        "diagnostics": report.diagnostics,
    })
}

fn input(common: &Common) -> anyhow::Result<u8> {
    require_format(common, INPUT_FORMATS, "policy input")?;
    let loaded = partnerctl::model::load(Snapshot::from_dir(&common.dir)?);
    let input = partnerctl::policy::input_json(&loaded.program, common.today(), None);
    // The input is the program itself: what secret-in-repo flags in it is shown redacted.
    let secrets = partnerctl::check::secret_in_repo::scan(&loaded.program, |_| true).1;
    super::set_redactor(&partnerctl::redact::Redactor::new(&secrets));
    let mut out = super::Out::new(common.format);
    writeln!(out, "{}", serde_json::to_string_pretty(&input)?)?;
    Ok(EXIT_OK)
}

fn rules(common: &Common) -> anyhow::Result<u8> {
    require_format(common, FORMATS, "policy rules")?;
    let mut out = super::Out::new(common.format);
    if common.format == Format::Json {
        let rules: Vec<_> = builtin::RULES
            .iter()
            .map(|r| json!({"rule": r.name, "severity": r.severity, "summary": r.summary}))
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rules)?)?;
    } else {
        let width = builtin::RULES.iter().map(|r| r.name.len()).max().unwrap_or(0);
        for r in builtin::RULES {
            writeln!(out, "{:width$}  {:7}  {}", r.name, r.severity.as_str(), r.summary)?;
        }
    }
    Ok(EXIT_OK)
}
