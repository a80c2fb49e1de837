//! `partnerctl due`: the deadlines of [`partnerctl::visibility::due`] in text, json, or markdown for the
//! issue a scheduled job keeps up to date.

use super::{Common, EXIT_CHANGES, EXIT_OK, Format};
use partnerctl::encode::{markdown, text};
use partnerctl::source::{Entry, PROGRAM_FILE, Snapshot};
use partnerctl::visibility::due::{self, Due, Item};
use std::io::Write;

/// The first line of the markdown report, which a workflow looks for to update its issue.
pub const MARKER: &str = "<!-- partnerctl:due -->";

/// Items due in fewer days than this (today and the six days after it), and not overdue,
/// are "this week".
const WEEK: i64 = 7;

/// The formats `due` writes.
const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Markdown];

#[derive(clap::Args, Debug)]
pub struct DueArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// The window: deadlines in the next DAYS days (overdue ones are always listed).
    #[arg(long, value_name = "DAYS", default_value_t = due::DEFAULT_WITHIN_DAYS)]
    pub within: u32,
    /// Exit 3 when anything is due or overdue, 0 when nothing is.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

pub fn run(args: &DueArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "due")?;
    let program = load(common)?;
    let d = due::compute(&program, common.today(), args.within);
    let mut out = super::Out::new(common.format);
    match common.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&d)?)?,
        Format::Markdown => write!(out, "{}", markdown(&d))?,
        _ => write!(out, "{}", text(&d))?,
    }
    out.finish()?;
    Ok(if args.detailed_exitcode && !d.items.is_empty() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    })
}

/// Loads the model without the checks: a program that does not validate still has deadlines,
/// so only a program.yaml that is missing or does not load stops `due` (every deadline
/// depends on it: stages, required terms, exceptions).
pub fn load(common: &Common) -> anyhow::Result<partnerctl::model::Program> {
    let dir = &common.dir;
    let snapshot = Snapshot::from_dir(dir)?;
    match snapshot.files.get(PROGRAM_FILE) {
        None => anyhow::bail!("{}: no program.yaml; point -C at a program repository", dir.display()),
        Some(Entry::Refused(why)) => {
            anyhow::bail!("{}: program.yaml is not read: {}", dir.display(), text::escape(why))
        }
        Some(Entry::Bytes(_)) => {}
    }
    let loaded = partnerctl::model::load(snapshot);
    let program = loaded.program;
    let (_, secrets) = partnerctl::check::secret_in_repo::scan(&program, |_| true);
    super::set_redactor(&partnerctl::redact::Redactor::new(&secrets));
    if program.program.is_none() {
        let why = loaded
            .diagnostics
            .iter()
            .find(|d| d.file == PROGRAM_FILE)
            .map(|d| format!(" (line {}: {})", d.line, text::escape(&d.message)))
            .unwrap_or_default();
        anyhow::bail!(
            "{}: program.yaml does not load{why}; run `partnerctl validate`",
            dir.display()
        );
    }
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == partnerctl::diag::Severity::Error)
        .count();
    if errors > 0 {
        say!(
            "warning: {errors} problems while loading the program; documents that did not load are left out (run `partnerctl validate`)"
        );
    }
    Ok(program)
}

fn days(n: i64) -> String {
    match n {
        0 => "today".into(),
        1 => "in 1 day".into(),
        -1 => "1 day ago".into(),
        n if n < 0 => format!("{} days ago", -n),
        n => format!("in {n} days"),
    }
}

fn counts(d: &Due) -> (usize, usize, usize) {
    let overdue = d.overdue().count();
    let week = d.items.iter().filter(|i| !i.overdue && i.days_left < WEEK).count();
    (overdue, week, d.items.len() - overdue - week)
}

/// For people: one line per item (date, days left, kind, resource, what), then what to do.
pub fn text(d: &Due) -> String {
    if d.items.is_empty() {
        return format!("Nothing is due in the next {} days (as of {}).\n", d.within, d.as_of);
    }
    let (overdue, week, later) = counts(d);
    let mut s = format!(
        "Deadlines as of {} (next {} days): {overdue} overdue, {week} this week, {later} later\n\n",
        d.as_of, d.within
    );
    let kind_w = d.items.iter().map(|i| i.kind.as_str().len()).max().unwrap_or(0);
    for i in &d.items {
        s.push_str(&format!(
            "  {:<7} {}  {:>12}  {:<kind_w$}  {}\n           {}\n           to do: {}\n",
            if i.overdue { "OVERDUE" } else { "" },
            i.date,
            days(i.days_left),
            i.kind.as_str(),
            text::escape(&i.resource),
            text::escape(&i.message),
            text::escape(&i.action),
        ));
    }
    s
}

fn markdown_rows(s: &mut String, title: &str, items: &[&Item]) {
    if items.is_empty() {
        return;
    }
    s.push_str(&format!(
        "\n### {title} ({})\n\n| due | days left | resource | what | to do |\n| --- | ---: | --- | --- | --- |\n",
        items.len()
    ));
    for i in items {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            i.date,
            i.days_left,
            markdown::code(&i.resource),
            markdown::message(&i.message),
            markdown::message(&i.action),
        ));
    }
}

/// The body of the issue a scheduled workflow keeps up to date: the marker it finds the issue
/// by, a heading, a summary line, then the items overdue, due this week, and later.
pub fn markdown(d: &Due) -> String {
    let mut s = format!("{MARKER}\n## Deadlines as of {}\n\n", d.as_of);
    if d.items.is_empty() {
        s.push_str(&format!("Nothing is due in the next {} days.\n", d.within));
        return s;
    }
    let (overdue, week, later) = counts(d);
    s.push_str(&format!(
        "{}{overdue} overdue, {week} due this week, {later} later in the next {} days.\n",
        if overdue > 0 { "⚠️ " } else { "" },
        d.within
    ));
    let pick = |f: &dyn Fn(&Item) -> bool| d.items.iter().filter(|i| f(i)).collect::<Vec<_>>();
    markdown_rows(&mut s, "Overdue", &pick(&|i| i.overdue));
    markdown_rows(&mut s, "This week", &pick(&|i| !i.overdue && i.days_left < WEEK));
    markdown_rows(&mut s, "Later", &pick(&|i| !i.overdue && i.days_left >= WEEK));
    s
}
