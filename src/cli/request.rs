//! `partnerctl request FILE | --github-event FILE`: a partner's request applied to the working
//! tree, or refused with every reason (SPEC §15.2). Exit 0 when applied, 1 when refused
//! (nothing is written), 2 when it cannot be judged.

use super::{Common, EXIT_FINDINGS, EXIT_OK, Format};
use partnerctl::encode::text;
use partnerctl::onboarding::github;
use partnerctl::onboarding::request::{self, Input, MAX_INPUT_BYTES, Outcome};
use partnerctl::source::{Snapshot, paths, program_files};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(group = clap::ArgGroup::new("input").required(true).args(["file", "github_event"]))]
pub struct RequestArgs {
    /// A Request document, YAML or JSON (`partnerctl schema request`).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The payload of GitHub's `issues` event for an issue opened from one of the program's
    /// issue forms (in a workflow: `$GITHUB_EVENT_PATH`).
    #[arg(long, value_name = "FILE")]
    pub github_event: Option<PathBuf>,
    /// Judge the request and print the outcome, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: &RequestArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, &[Format::Text, Format::Json], "request")?;
    let today = common.today();
    let snapshot = Snapshot::from_dir(&common.dir)?;
    let (path, event) = match (&args.file, &args.github_event) {
        (_, Some(e)) => (e, true),
        (Some(f), None) => (f, false),
        (None, None) => anyhow::bail!("give a Request FILE or --github-event FILE"),
    };
    let name = path.display().to_string();
    let bytes = paths::read_regular(path, MAX_INPUT_BYTES).map_err(|r| anyhow::anyhow!("{name}: {r}"))?;
    let input: Input = if event {
        let program = partnerctl::model::load(snapshot.clone()).program;
        github::read_event(&name, &bytes, &program, today)
    } else {
        request::read_file(&name, &bytes)
    };
    let outcome = request::apply(snapshot, input, today)?;
    if outcome.ok && !args.dry_run {
        for f in &outcome.files {
            program_files::write(&common.dir, &f.path, &f.bytes)
                .map_err(|r| anyhow::anyhow!("cannot write {}: {r}", f.path))?;
        }
    }
    let mut out = super::Out::new(common.format);
    match common.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&outcome)?)?,
        _ => write!(out, "{}", text_report(&outcome, args.dry_run))?,
    }
    out.finish()?;
    Ok(if outcome.ok { EXIT_OK } else { EXIT_FINDINGS })
}

/// For people: what was done (or refused), every finding with its field, then the pull
/// request's title and description.
fn text_report(o: &Outcome, dry_run: bool) -> String {
    let what = match (&o.action, &o.partner) {
        (Some(a), Some(p)) => format!("{a} for {p}"),
        (Some(a), None) => a.to_string(),
        (None, Some(p)) => format!("request for {p}"),
        (None, None) => "request".into(),
    };
    let mut s = String::new();
    if o.ok {
        s.push_str(&format!(
            "{}: {}\n",
            text::escape(&what),
            if dry_run {
                "accepted (dry run: nothing written)"
            } else {
                "applied"
            }
        ));
        for f in &o.files {
            s.push_str(&format!("  {:<6} {}\n", f.action.as_str(), text::escape(&f.path)));
        }
    } else {
        s.push_str(&format!("{}: refused; nothing written\n", text::escape(&what)));
    }
    for r in &o.diagnostics {
        let d = &r.diagnostic;
        let field = r
            .field
            .as_deref()
            .map(|f| format!(" {}", text::escape(f)))
            .unwrap_or_default();
        s.push_str(&format!(
            "\n{}[{}]{field}: {}\n  --> {}:{}:{}\n",
            d.severity,
            d.code,
            text::escape(&d.message),
            text::escape(&d.file),
            d.line,
            d.column
        ));
        if let Some(h) = &d.hint {
            s.push_str(&format!("  = hint: {}\n", text::escape(h)));
        }
    }
    if o.ok {
        s.push_str(&format!(
            "\nPull request: {}\nLabels: {}\n\n{}",
            text::escape(&o.title),
            o.labels.join(", "),
            text::source(&o.body)
        ));
    }
    s
}
