//! `partnerctl funnel`: the onboarding funnel in text (with a bar chart), json or markdown.

use super::{Common, EXIT_OK, Format};
use partnerctl::report::funnel::{self, Funnel};
use partnerctl::report::usage::Usage;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct FunnelArgs {
    /// Usage logs: partnerctl JSON Lines (SPEC §8) or Kong file-log output; `-` reads stdin.
    /// May be given several times.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub usage: Vec<PathBuf>,
}

pub fn run(args: &FunnelArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, &[Format::Text, Format::Json, Format::Markdown], "funnel")?;
    let today = common.today();
    let program = load_program(common)?;
    let usage = if args.usage.is_empty() {
        None
    } else {
        let mut usage = Usage::until(today);
        for file in &args.usage {
            usage.read_file(file)?;
        }
        for p in &usage.problems {
            eprintln!("warning: {p}");
        }
        if usage.problem_count > usage.problems.len() as u64 {
            eprintln!(
                "warning: {} more unusable lines not shown",
                usage.problem_count - usage.problems.len() as u64
            );
        }
        Some(usage)
    };
    let f = funnel::compute(&program, today, usage.as_ref());
    let mut out = super::Out::new(common.format);
    match common.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&f)?)?,
        Format::Markdown => write!(out, "{}", markdown(&f))?,
        _ => write!(out, "{}", text(&f))?,
    }
    Ok(EXIT_OK)
}

/// Loads the program's model without running the checks (the funnel only needs histories);
/// documents that cannot be loaded are counted on stderr.
pub fn load_program(common: &Common) -> anyhow::Result<partnerctl::model::Program> {
    let snapshot = partnerctl::source::Snapshot::from_dir(&common.dir)?;
    let loaded = partnerctl::model::load(snapshot);
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == partnerctl::diag::Severity::Error)
        .count();
    if loaded.program.program.is_none() {
        anyhow::bail!(
            "{} holds no loadable program.yaml; run `partnerctl validate`",
            common.dir.display()
        );
    }
    if errors > 0 {
        eprintln!(
            "warning: {errors} problems while loading the program; documents that did not load are left out (run `partnerctl validate`)"
        );
    }
    Ok(loaded.program)
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.0}%", v * 100.0)).unwrap_or_else(|| "-".into())
}

fn days(x: Option<f64>) -> String {
    match x {
        Some(v) if v.fract() == 0.0 => format!("{v:.0}d"),
        Some(v) => format!("{v:.1}d"),
        None => "-".into(),
    }
}

/// The text report: a bar per stage, then stuck partners and usage.
pub fn text(f: &Funnel) -> String {
    const WIDTH: usize = 30;
    let max = f.stages.iter().map(|s| s.count).max().unwrap_or(0).max(1);
    let mut s = format!("Onboarding funnel as of {} ({} partners)\n\n", f.as_of, f.partners);
    s.push_str(&format!(
        "  {:<21} {:>5}  {:<WIDTH$}  {:>7}  {:>7}  {:>6}\n",
        "stage", "now", "", "reached", "to next", "median"
    ));
    for row in &f.stages {
        let bar = "█".repeat((row.count * WIDTH).div_ceil(max).min(WIDTH));
        let bar = if row.count > 0 && bar.is_empty() {
            "▏".to_string()
        } else {
            bar
        };
        s.push_str(&format!(
            "  {:<21} {:>5}  {:<WIDTH$}  {:>7}  {:>7}  {:>6}\n",
            row.stage.as_str(),
            row.count,
            bar,
            row.reached,
            pct(row.conversion),
            days(row.median_days)
        ));
    }
    s.push('\n');
    if f.stuck.is_empty() {
        s.push_str("No partner is stuck.\n");
    } else {
        s.push_str(&format!("Stuck ({}):\n", f.stuck.len()));
        for st in &f.stuck {
            s.push_str(&format!(
                "  {:<28} {:<21} {:>4} days (since {}, limit {})\n",
                st.partner,
                st.stage.as_str(),
                st.days,
                st.since,
                st.stuck_after_days
            ));
        }
    }
    if let Some(u) = &f.usage {
        s.push_str(&format!(
            "\nUsage: {} calls in {} lines of {} file(s); {} calls from unknown callers; {} unusable lines\n",
            u.calls,
            u.lines,
            u.files.len(),
            u.unknown_calls,
            u.problem_count
        ));
        s.push_str(&format!(
            "Active (a call within {} days): {}\n",
            f.active_within_days,
            list(&f.active)
        ));
        s.push_str(&format!(
            "Never called (credentials, no call): {}\n",
            list(&f.never_called)
        ));
        if !f.first_calls.is_empty() {
            s.push_str("First calls:\n");
            for c in &f.first_calls {
                let after = c
                    .days_after_sandbox
                    .map(|d| format!("{d} days after sandbox access"))
                    .unwrap_or_else(|| "no sandbox access".into());
                s.push_str(&format!(
                    "  {:<28} {}  {}  ({} calls, last {})\n",
                    c.partner, c.date, after, c.calls, c.last
                ));
            }
        }
    } else {
        s.push_str("\nActive and never-called partners need usage logs: --usage FILE\n");
    }
    s
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        format!("{} ({})", v.join(", "), v.len())
    }
}

/// The markdown report, for a pull request or a wiki page.
pub fn markdown(f: &Funnel) -> String {
    let mut s = format!("## Onboarding funnel as of {}\n\n{} partners.\n\n", f.as_of, f.partners);
    s.push_str("| stage | now | reached | to next stage | median days |\n| --- | ---: | ---: | ---: | ---: |\n");
    for row in &f.stages {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            row.stage.as_str(),
            row.count,
            row.reached,
            pct(row.conversion),
            days(row.median_days)
        ));
    }
    s.push_str("\n### Stuck partners\n\n");
    if f.stuck.is_empty() {
        s.push_str("None.\n");
    } else {
        s.push_str("| partner | stage | days | since | limit |\n| --- | --- | ---: | --- | ---: |\n");
        for st in &f.stuck {
            s.push_str(&format!(
                "| {} | `{}` | {} | {} | {} |\n",
                st.partner,
                st.stage.as_str(),
                st.days,
                st.since,
                st.stuck_after_days
            ));
        }
    }
    if let Some(u) = &f.usage {
        s.push_str(&format!(
            "\n### Usage\n\n{} calls read; {} from unknown callers; {} unusable lines.\n\n",
            u.calls, u.unknown_calls, u.problem_count
        ));
        s.push_str(&format!(
            "- **Active** (a call within {} days): {}\n",
            f.active_within_days,
            list(&f.active)
        ));
        s.push_str(&format!("- **Never called**: {}\n", list(&f.never_called)));
        if !f.first_calls.is_empty() {
            s.push_str("\n| partner | first call | days after sandbox access | calls | last call |\n| --- | --- | ---: | ---: | --- |\n");
            for c in &f.first_calls {
                let after = c
                    .days_after_sandbox
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into());
                s.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    c.partner, c.date, after, c.calls, c.last
                ));
            }
        }
    }
    s
}
