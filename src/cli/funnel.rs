//! `partnerctl funnel`: the onboarding funnel in text (with a bar chart), json or markdown.

use super::{Common, EXIT_OK, Format};
use partnerctl::encode::markdown::text as md;
use partnerctl::encode::text::escape as esc;
use partnerctl::spec::{Date, Stage};
use partnerctl::visibility::funnel::{self, Distribution, Funnel};
use partnerctl::visibility::usage::{Usage, UsageError, UsageFormat};
use std::io::Write;
use std::path::PathBuf;

/// The formats `funnel` writes.
const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Markdown];

#[derive(clap::Args, Debug)]
pub struct FunnelArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// Usage logs: partnerctl JSON Lines, daily rollups, Kong file-log/http-log or Envoy JSON
    /// access logs (docs/funnel.md, "Usage logs"); `-` reads stdin. May be given several times.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub usage: Vec<PathBuf>,
    /// The format of every --usage line; by default each line is told apart by its keys.
    #[arg(long = "usage-format", value_name = "FORMAT", value_enum, default_value = "auto")]
    pub usage_format: UsageFormatArg,
}

/// `--usage-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum UsageFormatArg {
    /// Each line by its keys: `ts`, `day`, `started_at`, `start_time`.
    Auto,
    /// partnerctl JSON Lines (what the `nginx` target logs).
    Partnerctl,
    /// Daily rollups (docs/funnel.md, "Rollups where the logs live").
    Rollup,
    /// Kong file-log/http-log.
    Kong,
    /// Envoy JSON access log.
    Envoy,
}

impl From<UsageFormatArg> for UsageFormat {
    fn from(f: UsageFormatArg) -> Self {
        match f {
            UsageFormatArg::Auto => UsageFormat::Auto,
            UsageFormatArg::Partnerctl => UsageFormat::Partnerctl,
            UsageFormatArg::Rollup => UsageFormat::Rollup,
            UsageFormatArg::Kong => UsageFormat::Kong,
            UsageFormatArg::Envoy => UsageFormat::Envoy,
        }
    }
}

/// Reads the usage logs (none: `None`), printing their unusable lines on stderr. A file that
/// cannot be opened, or most of whose lines are unusable, is an error (exit 2).
pub fn read_usage(files: &[PathBuf], format: UsageFormatArg, today: Date) -> anyhow::Result<Option<Usage>> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut usage = Usage::until(today).with_format(format.into());
    for file in files {
        usage.read_file(file).map_err(|e| match e {
            // The message quotes the log; keep it on one line, escaped.
            UsageError::MostlyUnusable { .. } => anyhow::anyhow!("{}", esc(&e.to_string())),
            e => e.into(),
        })?;
    }
    for p in &usage.problems {
        super::warn(&p.to_string());
    }
    if usage.problem_count > usage.problems.len() as u64 {
        say!(
            "warning: {} more unusable lines not shown",
            usage.problem_count - usage.problems.len() as u64
        );
    }
    Ok(Some(usage))
}

pub fn run(args: &FunnelArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "funnel")?;
    let today = common.today();
    let program = load_program(common)?;
    let usage = read_usage(&args.usage, args.usage_format, today)?;
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
        say!(
            "warning: {errors} problems while loading the program; documents that did not load are left out (run `partnerctl validate`)"
        );
    }
    Ok(loaded.program)
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.0}%", v * 100.0)).unwrap_or_else(|| "–".into())
}

/// Days as the HTML report writes them too (`406 days`).
fn days(x: Option<f64>) -> String {
    partnerctl::visibility::funnel::days_text(x)
}

fn dist(d: &Distribution) -> String {
    if d.n == 0 {
        return "no partner to measure".into();
    }
    format!(
        "median {}, p90 {} over {} partners",
        days(d.median),
        days(d.p90.map(|v| v as f64)),
        d.n
    )
}

fn window_text(f: &Funnel) -> String {
    match f.usage_window {
        Some(w) => format!("{} to {}", w.from, w.to),
        None => "no call in the logs".into(),
    }
}

/// The text report: a bar per stage, then stuck partners and usage.
pub fn text(f: &Funnel) -> String {
    const WIDTH: usize = 30;
    let max = f.stages.iter().map(|s| s.count).max().unwrap_or(0).max(1);
    let mut s = format!("Onboarding funnel as of {} ({} partners)\n\n", f.as_of, f.partners);
    s.push_str(&format!(
        "  {:<21} {:>5}  {:<WIDTH$}  {:>7}  {:>7}  {:>9}\n",
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
            "  {:<21} {:>5}  {:<WIDTH$}  {:>7}  {:>7}  {:>9}\n",
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
                esc(&st.partner),
                st.stage.as_str(),
                st.days,
                st.since,
                st.stuck_after_days
            ));
        }
    }
    if !f.cohorts.is_empty() {
        s.push_str("\nCohorts by registration month:\n");
        s.push_str(&format!(
            "  {:<8} {:>10} {:>8} {:>5} {:>16}\n",
            "month", "registered", "sandbox", "live", "median to live"
        ));
        for c in &f.cohorts {
            s.push_str(&format!(
                "  {:<8} {:>10} {:>8} {:>5} {:>16}\n",
                c.month,
                c.registered,
                c.reached_sandbox,
                c.reached_live,
                days(c.median_days_to_live)
            ));
        }
    }
    s.push_str(&format!(
        "Time to live (registration to live): {}\n",
        dist(&f.time_to_live)
    ));
    if !f.products.is_empty() {
        s.push_str("\nProducts (subscribers, active within the last days):\n");
        for p in &f.products {
            let active = p.active.map(|a| format!(", {a} active")).unwrap_or_default();
            s.push_str(&format!(
                "  {:<40} {} subscribers{active}\n",
                format!("{} {} ({})", esc(&p.product), esc(&p.plan), p.environment.as_str()),
                p.subscribers
            ));
        }
    }
    if let Some(u) = &f.usage {
        s.push_str(&format!(
            "\nUsage window: {} (partners whose sandbox access began outside it have an unknown first call)\n",
            window_text(f)
        ));
        s.push_str(&format!(
            "Usage: {} calls in {} lines of {} file(s); {} calls from unknown callers; {} unauthenticated; {} unusable lines\n",
            u.calls,
            u.lines,
            u.files.len(),
            u.unknown_calls,
            u.anonymous,
            u.problem_count
        ));
        s.push_str(&format!(
            "Active (an accepted call within {} days): {}\n",
            f.active_within_days,
            list(&f.active)
        ));
        s.push_str(&format!(
            "Dormant (called, but not within {} days): {}\n",
            f.active_within_days,
            list(&f.dormant)
        ));
        s.push_str(&format!(
            "Never called (credentials, no accepted call): {}\n",
            list(&f.never_called)
        ));
        if let Some(t) = &f.time_to_first_call {
            s.push_str(&format!(
                "Time to first call (from sandbox access): {}; unknown for {}\n",
                dist(t),
                t.unknown
            ));
        }
        if !f.blocked.is_empty() {
            s.push_str("Blocked answers:\n");
            for b in &f.blocked {
                s.push_str(&format!("  {:<28} {}  {} calls\n", esc(&b.partner), b.status, b.count));
            }
        }
        if !f.first_calls.is_empty() {
            s.push_str("First calls:\n");
            for c in &f.first_calls {
                let after = match c.days_after_sandbox {
                    Some(d) => format!("{d} days after sandbox access"),
                    None if !c.known => "first seen; sandbox access is outside the usage window (unknown)".into(),
                    None => "no sandbox access".into(),
                };
                s.push_str(&format!(
                    "  {:<28} {}  {}  ({} calls, last {})\n",
                    esc(&c.partner),
                    c.date,
                    after,
                    c.calls,
                    c.last
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
        let names: Vec<_> = v.iter().map(|n| esc(n)).collect();
        format!("{} ({})", names.join(", "), v.len())
    }
}

fn md_list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        let names: Vec<_> = v.iter().map(|n| md(n)).collect();
        format!("{} ({})", names.join(", "), v.len())
    }
}

/// A Mermaid bar chart of the partners who reached each stage of the path, which GitHub
/// renders in an issue or a pull request. Only stage names and numbers go in, never a user
/// value.
pub fn mermaid(f: &Funnel) -> String {
    let path: Vec<_> = Stage::PATH.iter().map(|s| f.stage(*s)).collect();
    let names: Vec<String> = path
        .iter()
        .map(|r| format!("\"{}\"", r.stage.as_str().replace('_', " ")))
        .collect();
    let values: Vec<String> = path.iter().map(|r| r.reached.to_string()).collect();
    let max = path.iter().map(|r| r.reached).max().unwrap_or(0).max(1);
    format!(
        "```mermaid\nxychart-beta\n    title \"Partners who reached each stage\"\n    x-axis [{}]\n    y-axis \"partners\" 0 --> {max}\n    bar [{}]\n```\n",
        names.join(", "),
        values.join(", ")
    )
}

/// The markdown report, for a pull request, an issue or a wiki page.
pub fn markdown(f: &Funnel) -> String {
    let mut s = format!("## Onboarding funnel as of {}\n\n{} partners.\n\n", f.as_of, f.partners);
    s.push_str(&mermaid(f));
    s.push('\n');
    s.push_str("| stage | now | reached | to next stage | median in stage |\n| --- | ---: | ---: | ---: | ---: |\n");
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
                md(&st.partner),
                st.stage.as_str(),
                st.days,
                st.since,
                st.stuck_after_days
            ));
        }
    }
    if !f.cohorts.is_empty() {
        s.push_str("\n### Cohorts by registration month\n\n| month | registered | reached sandbox | reached live | median to live |\n| --- | ---: | ---: | ---: | ---: |\n");
        for c in &f.cohorts {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                c.month,
                c.registered,
                c.reached_sandbox,
                c.reached_live,
                days(c.median_days_to_live)
            ));
        }
    }
    s.push_str(&format!(
        "\nTime to live (registration to live): {}.\n",
        dist(&f.time_to_live)
    ));
    if !f.products.is_empty() {
        s.push_str("\n### Products\n\n| product | plan | environment | subscribers | active |\n| --- | --- | --- | ---: | ---: |\n");
        for p in &f.products {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                md(&p.product),
                md(&p.plan),
                p.environment.as_str(),
                p.subscribers,
                p.active.map(|a| a.to_string()).unwrap_or_else(|| "-".into())
            ));
        }
    }
    if let Some(u) = &f.usage {
        s.push_str(&format!(
            "\n### Usage\n\nUsage window: **{}**. {} calls read; {} from unknown callers; {} unauthenticated; {} unusable lines.\n\n",
            window_text(f),
            u.calls,
            u.unknown_calls,
            u.anonymous,
            u.problem_count
        ));
        s.push_str(&format!(
            "- **Active** (an accepted call within {} days): {}\n",
            f.active_within_days,
            md_list(&f.active)
        ));
        s.push_str(&format!(
            "- **Dormant** (called, not within {} days): {}\n",
            f.active_within_days,
            md_list(&f.dormant)
        ));
        s.push_str(&format!("- **Never called**: {}\n", md_list(&f.never_called)));
        if let Some(t) = &f.time_to_first_call {
            s.push_str(&format!(
                "- **Time to first call** (from sandbox access): {}; unknown for {} (sandbox access outside the usage window)\n",
                dist(t),
                t.unknown
            ));
        }
        if !f.blocked.is_empty() {
            s.push_str("\n| partner | status | calls |\n| --- | ---: | ---: |\n");
            for b in &f.blocked {
                s.push_str(&format!("| {} | {} | {} |\n", md(&b.partner), b.status, b.count));
            }
        }
        if !f.first_calls.is_empty() {
            s.push_str("\n| partner | first call | days after sandbox access | calls | last call |\n| --- | --- | ---: | ---: | --- |\n");
            for c in &f.first_calls {
                let after = match c.days_after_sandbox {
                    Some(d) => d.to_string(),
                    None if !c.known => "unknown".into(),
                    None => "-".into(),
                };
                s.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    md(&c.partner),
                    c.date,
                    after,
                    c.calls,
                    c.last
                ));
            }
        }
    }
    s
}
