//! `partnerctl plan`: what merging (or applying) changes, for people (text), machines (json)
//! and pull requests (markdown, split into complete parts under GitHub's comment limit).

use super::{Common, EXIT_CHANGES, EXIT_FINDINGS, EXIT_OK, Format};
use anyhow::Context as _;
use partnerctl::encode::{markdown, text};
use partnerctl::plan::{self, Action, Change, Plan, saved::SavedPlan};
use partnerctl::source::Snapshot;
use partnerctl::source::git::{ProgramRepo, short};
use partnerctl::state::{self, Store};
use serde_json::Value;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// GitHub refuses comments longer than 65,536 characters; parts stay under this.
pub const MARKDOWN_PART_LIMIT: usize = 65_000;

/// The line between two markdown parts on stdout.
pub const PART_BREAK: &str = "<!-- partnerctl:part-break -->";

/// The formats `plan` writes.
const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Markdown];

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// Compare with this revision instead of the applied state.
    #[arg(long, value_name = "REV", conflicts_with = "merge_base")]
    pub base: Option<String>,
    /// Compare with the merge base of REF and the revision planned (on a pull request:
    /// `--merge-base origin/main`), so that what REF gained since the branch left it is not
    /// shown as reverted.
    #[arg(long, value_name = "REF")]
    pub merge_base: Option<String>,
    /// Plan this revision instead of the working tree.
    #[arg(long, value_name = "REV")]
    pub rev: Option<String>,
    /// Save the plan, with the identity of its base and a digest of the program, for `apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when nothing changes, 1 on errors, 3 when there are changes.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Read the applied state from this file instead of `refs/partnerctl/applied`.
    #[arg(long, value_name = "PATH")]
    pub state_file: Option<PathBuf>,
    /// Usage logs (partnerctl JSON Lines, docs/funnel.md "Usage logs"): an endpoint the
    /// change removes then names the partners who called it within `activeWithinDays`.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub usage: Vec<PathBuf>,
    /// Markdown: write each part to DIR/plan-1.md, plan-2.md, ... instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub parts_dir: Option<PathBuf>,
    /// Markdown: the longest part, in bytes.
    #[arg(long, value_name = "N", default_value_t = MARKDOWN_PART_LIMIT, hide = true)]
    pub part_limit: usize,
}

/// A spinner on stderr, only when stderr is a terminal.
pub fn progress() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}

pub fn run(args: &PlanArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "plan")?;
    let today = common.today();
    let dir = &common.dir;
    let bar = progress();
    let step = |s: &str| {
        if let Some(b) = &bar {
            b.set_message(s.to_string());
        }
    };

    step("reading the desired program");
    let (desired, desired_label, desired_commit) = match &args.rev {
        Some(rev) => {
            let repo = ProgramRepo::discover(dir)?;
            let (oid, snap) = repo.snapshot_at(rev)?;
            (snap, format!("{rev} ({})", short(oid)), Some(oid.to_string()))
        }
        None => (Snapshot::from_dir(dir)?, "working tree".to_string(), None),
    };

    step("reading the base");
    // Drift is judged against the applied state whatever the base (SPEC §10): outputs edited
    // by hand show in a pull request's plan too.
    let applied = match Store::open(dir, args.state_file.as_deref()) {
        Ok(store) => Some(store.load_beside(&desired)?),
        // Outside git with no state file nothing can have been applied.
        Err(_) => None,
    };
    let drift = applied
        .as_ref()
        .and_then(|a| a.record.as_ref())
        .map(|r| state::drift(dir, r))
        .unwrap_or_default();
    // Left beside the outputs by an apply that was killed: listed, for apply to remove.
    let temporaries: Vec<String> = match (
        applied.as_ref().and_then(|a| a.record.as_ref()),
        partnerctl::output::output_root(dir, dir),
    ) {
        (Some(r), Ok(out)) => partnerctl::output::temporaries(&out, r.outputs.keys().map(String::as_str))
            .into_iter()
            .map(|(_, rel)| rel)
            .collect(),
        _ => Vec::new(),
    };
    let base_rev = match (&args.base, &args.merge_base) {
        (Some(rev), _) => Some((rev.clone(), None)),
        (None, Some(r)) => {
            let repo = ProgramRepo::discover(dir)?;
            let planned = match &desired_commit {
                Some(c) => git2::Oid::from_str(c)?,
                None => repo
                    .head()
                    .ok_or_else(|| anyhow::anyhow!("--merge-base: the repository has no commit yet"))?,
            };
            let mb = repo.merge_base(r, planned)?;
            Some((mb.to_string(), Some(r.clone())))
        }
        (None, None) => None,
    };
    let (base, base_label, base_id, base_as_of) = match base_rev {
        Some((rev, from)) => {
            let repo = ProgramRepo::discover(dir)?;
            // The files the base holds alike are the desired program's (not read twice).
            let oid = repo.resolve(&rev)?;
            let snap = repo.snapshot_beside(oid, &desired)?;
            let label = match from {
                Some(r) => format!("the merge base with {r} ({})", short(oid)),
                None => format!("{rev} ({})", short(oid)),
            };
            // A revision was never applied on a day: both sides are rendered as of today, so
            // a pull request's plan shows what it changes, not what a date did.
            (Some(snap), label, format!("git:{oid}"), None)
        }
        None => match applied {
            Some(a) => (a.snapshot, a.label, a.id, a.as_of),
            None => (
                None,
                "nothing applied yet (not a git repository; see --state-file)".to_string(),
                "none".to_string(),
                None,
            ),
        },
    };

    let input = plan::Input {
        base,
        base_label,
        base_id,
        base_as_of,
        desired,
        desired_label,
        drift,
        keep_outputs: false,
    };
    let planned = plan::make(input, today, &step);
    super::set_redactor(&planned.redactor);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut plan = planned.plan;
    plan.temporaries = temporaries;
    let logs: Vec<&Path> = args.usage.iter().map(PathBuf::as_path).collect();
    partnerctl::plan::callers::annotate(&mut plan, &planned.desired, today, &logs)?;

    if let Some(out) = &args.out {
        let saved = SavedPlan::new(&plan, desired_commit);
        let text = serde_json::to_string_pretty(&saved)?;
        state::write_atomic(out, text.as_bytes()).with_context(|| format!("cannot write {}", out.display()))?;
    }

    let mut stdout = super::Out::new(common.format);
    match common.format {
        Format::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&plan)?)?,
        Format::Markdown => {
            let parts = markdown_parts(&plan, args.part_limit);
            match &args.parts_dir {
                Some(d) => {
                    std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
                    // Parts from an earlier, longer plan would be posted too: remove them.
                    for entry in std::fs::read_dir(d)?.flatten() {
                        let name = entry.file_name().to_string_lossy().to_string();
                        if name.starts_with("plan-") && name.ends_with(".md") {
                            std::fs::remove_file(entry.path())?;
                        }
                    }
                    for (i, p) in parts.iter().enumerate() {
                        let path = d.join(format!("plan-{}.md", i + 1));
                        state::write_atomic(&path, p.as_bytes())?;
                        writeln!(stdout, "{}", path.display())?;
                    }
                }
                None => {
                    let joined = parts.join(&format!("\n{PART_BREAK}\n"));
                    write!(stdout, "{joined}")?;
                }
            }
        }
        _ => write!(stdout, "{}", text(&plan, Some(&planned.desired.snapshot)))?,
    }
    stdout.finish()?;
    if let Some(out) = &args.out {
        say!(
            "Saved the plan to {}; apply it with `partnerctl apply {}`.",
            out.display(),
            out.display()
        );
    }
    let code = if !plan.ok {
        EXIT_FINDINGS
    } else if args.detailed_exitcode && plan.has_changes() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    };
    // The process ends right after this; freeing the program and the rendered outputs piece
    // by piece would only delay the exit (as in validate).
    std::mem::forget(plan);
    std::mem::forget(planned.desired);
    std::mem::forget(planned.rendered);
    Ok(code)
}

/// A value as YAML flow style: `{product: tracking, plan: standard}`, `[sandbox, production]`.
pub fn flow(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => {
            let plain = !s.is_empty()
                && !s.contains([':', '{', '}', '[', ']', ',', '#', '"', '\'', '\n'])
                && !s.starts_with([' ', '-', '@', '*', '&', '!', '|', '>', '%', '?'])
                && !s.ends_with(' ')
                && !matches!(s.as_str(), "true" | "false" | "null" | "yes" | "no")
                && s.parse::<f64>().is_err();
            if plain {
                s.clone()
            } else {
                Value::String(s.clone()).to_string()
            }
        }
        Value::Array(a) => format!("[{}]", a.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => {
            format!(
                "{{{}}}",
                m.iter()
                    .map(|(k, v)| format!("{k}: {}", flow(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        other => other.to_string(),
    }
}

fn field_line(c: &Change, f: &plan::fields::FieldChange) -> String {
    let addr = f
        .address
        .strip_prefix(&format!("{}/", c.resource))
        .unwrap_or(&f.address);
    match (&f.before, &f.after) {
        (Some(b), Some(a)) => format!("{} {addr}: {} → {}", f.op.mark(), flow(b), flow(a)),
        (None, Some(a)) => format!("{} {addr}: {}", f.op.mark(), flow(a)),
        (Some(b), None) => format!("{} {addr}: {}", f.op.mark(), flow(b)),
        (None, None) => format!("{} {addr}", f.op.mark()),
    }
}

/// `Plan: 2 to add, 1 to change, 0 to destroy. Approvals: legal, security.`
pub fn summary_line(plan: &Plan) -> String {
    let s = plan.summary;
    let mut line = format!(
        "Plan: {} to add, {} to change, {} to destroy.",
        s.add, s.change, s.destroy
    );
    if plan.approvals.is_empty() {
        line.push_str(" Approvals: none.");
    } else {
        line.push_str(&format!(" Approvals: {}.", plan.approvals.join(", ")));
    }
    line
}

fn diag_line(d: &partnerctl::diag::Diagnostic) -> String {
    let mut line = format!(
        "{}[{}]: {}:{}:{}: {}",
        d.severity,
        d.code,
        esc(&d.file),
        d.line,
        d.column,
        esc(&d.message)
    );
    if let Some(h) = &d.hint {
        line.push_str(&format!("\n  = hint: {}", esc(h)));
    }
    line
}

/// A repository value in the text plan: on its line, no control characters.
fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    text::escape(s)
}

/// The text plan, terraform-like. With the desired program's files, findings are shown with
/// the lines they point at, as `validate` shows them.
pub fn text(plan: &Plan, files: Option<&Snapshot>) -> String {
    let mut s = String::new();
    let applied_on = match plan.base_as_of {
        Some(d) if d != plan.as_of => format!(", applied as of {d}"),
        _ => String::new(),
    };
    s.push_str(&format!(
        "Comparing {} with {} (as of {}{applied_on}).\n",
        esc(&plan.desired),
        esc(&plan.base),
        plan.as_of
    ));
    if !plan.has_changes() {
        s.push_str("\nNo changes. The outputs match the program.\n");
    }
    for c in &plan.changes {
        s.push_str(&format!(
            "\n{} {} ({})\n",
            c.action.mark(),
            esc(&c.resource),
            esc(&c.file)
        ));
        s.push_str(&format!("    {}\n", esc(&c.summary)));
        if !c.classes.is_empty() {
            let classes: Vec<&str> = c.classes.iter().map(|x| x.as_str()).collect();
            s.push_str(&format!("    classes: {}\n", classes.join(", ")));
        }
        if !c.approvals.is_empty() {
            s.push_str(&format!("    approvals: {}\n", esc(&c.approvals.join(", "))));
        }
        for f in &c.fields {
            s.push_str(&format!("    {}\n", esc(&field_line(c, f))));
            if let Some(d) = &f.diff {
                for l in d.lines() {
                    s.push_str(&format!("        {}\n", esc(l)));
                }
            }
        }
        for e in &c.effects {
            s.push_str(&format!("    → {}\n", esc(&e.message)));
        }
    }
    if !plan.artifacts.is_empty() {
        s.push_str("\nOutputs:\n");
        for a in &plan.artifacts {
            s.push_str(&format!("\n  {} {}\n", a.action.mark(), esc(&a.path)));
            for l in a.diff.lines() {
                s.push_str(&format!("      {}\n", esc(l)));
            }
        }
    }
    if !plan.drift.is_empty() {
        s.push_str("\nDrift (changed on disk since the last apply; apply restores them):\n");
        for d in &plan.drift {
            s.push_str(&format!("\n  ! {} ({})\n", esc(&d.path), d.reason));
            for l in d.diff.as_deref().unwrap_or_default().lines() {
                s.push_str(&format!("      {}\n", esc(l)));
            }
        }
    }
    if !plan.already_written.is_empty() {
        s.push_str("\nAlready written by an apply that did not finish (not drift; apply records them):\n");
        for p in &plan.already_written {
            s.push_str(&format!("  = {}\n", esc(p)));
        }
    }
    if !plan.temporaries.is_empty() {
        s.push_str("\nTemporary files left by an interrupted apply (apply removes them):\n");
        for p in &plan.temporaries {
            s.push_str(&format!("  ? {}\n", esc(p)));
        }
    }
    for e in &plan.render_errors {
        s.push_str(&format!("\nerror: an output could not be rendered: {}\n", esc(e)));
    }
    if !plan.diagnostics.is_empty() {
        s.push('\n');
        let framed = files.and_then(|f| super::diagnostics::frames(&plan.diagnostics, f).ok());
        match framed {
            Some(bytes) => s.push_str(&String::from_utf8_lossy(&bytes)),
            None => {
                for d in &plan.diagnostics {
                    s.push_str(&diag_line(d));
                    s.push('\n');
                }
            }
        }
        let (e, w) = partnerctl::diag::counts(&plan.diagnostics);
        s.push_str(&format!("{e} error(s), {w} warning(s).\n"));
    }
    s.push('\n');
    s.push_str(&summary_line(plan));
    s.push('\n');
    s
}

fn action_icon(a: Action) -> &'static str {
    match a {
        Action::Create => "➕",
        Action::Update => "✏️",
        Action::Delete => "➖",
    }
}

/// A repository value in Markdown prose: no headings, HTML, mentions or part markers.
fn md_escape(s: &str) -> String {
    markdown::message(s)
}

/// A fenced block that the content cannot close early.
fn fence(lang: &str, body: &str) -> String {
    markdown::fence(lang, body)
}

/// Cuts a body to `max` bytes at a line end, saying how much was left out.
fn truncate(body: &str, max: usize) -> String {
    if body.len() <= max {
        return body.to_string();
    }
    let mut cut = max.min(body.len());
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = body[..cut].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let left = body[cut..].lines().count();
    format!(
        "{}… {left} more line(s) not shown here; run `partnerctl plan --format json` for all of it\n",
        &body[..cut]
    )
}

/// The markdown plan, as complete parts of at most `limit` bytes each: the overview (summary,
/// table, approvals, findings) first, then one collapsible block per resource and per output.
/// A block never straddles two parts; a block too large for any part has its diff cut.
pub fn markdown_parts(plan: &Plan, limit: usize) -> Vec<String> {
    let limit = limit.max(2_000);
    // What a diff may take of a part: the rest is the block's title and the part's header.
    let diff_max = limit.checked_sub(3_000).filter(|d| *d >= 1_000).unwrap_or(limit / 2);
    let mut head = String::new();
    let mark = if plan.ok { "✅" } else { "❌" };
    head.push_str(&format!("{mark} **{}**\n\n", md_escape(&summary_line(plan))));
    let applied_on = match plan.base_as_of {
        Some(d) if d != plan.as_of => format!(" (applied as of {d})"),
        _ => String::new(),
    };
    head.push_str(&format!(
        "Desired: {} · base: {}{applied_on} · as of {}\n\n",
        md_escape(&plan.desired),
        markdown::code(&plan.base),
        plan.as_of
    ));
    let mut blocks: Vec<String> = Vec::new();
    if !plan.changes.is_empty() {
        let mut table = String::from("| | Resource | Change | Classes | Approvals |\n|---|---|---|---|---|\n");
        const ROWS: usize = 150;
        for c in plan.changes.iter().take(ROWS) {
            let classes: Vec<&str> = c.classes.iter().map(|x| x.as_str()).collect();
            table.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                action_icon(c.action),
                markdown::code(&c.resource),
                md_escape(&c.summary),
                classes.join(", "),
                markdown::text(&c.approvals.join(", "))
            ));
        }
        if plan.changes.len() > ROWS {
            table.push_str(&format!(
                "\n… and {} more resources, listed below.\n",
                plan.changes.len() - ROWS
            ));
        }
        head.push_str(&truncate(&table, limit / 2));
        head.push('\n');
    } else if !plan.has_changes() {
        head.push_str("No changes. The outputs match the program.\n\n");
    }
    if !plan.approvals.is_empty() {
        head.push_str("### Approvals needed\n\n");
        for team in &plan.approvals {
            let why: Vec<String> = plan
                .changes
                .iter()
                .filter(|c| c.approvals.contains(team))
                .map(|c| markdown::code(&c.resource))
                .collect();
            let shown: Vec<String> = why.iter().take(20).cloned().collect();
            let more = if why.len() > 20 {
                format!(" and {} more", why.len() - 20)
            } else {
                String::new()
            };
            head.push_str(&format!(
                "- **{}** — {}{more}\n",
                markdown::text(team),
                shown.join(", ")
            ));
        }
        head.push('\n');
    }
    if !plan.diagnostics.is_empty() || !plan.render_errors.is_empty() {
        let (e, w) = partnerctl::diag::counts(&plan.diagnostics);
        let mut f = format!("### Findings: {e} error(s), {w} warning(s)\n\n");
        for d in &plan.diagnostics {
            let icon = if d.severity == partnerctl::diag::Severity::Error {
                "❌"
            } else {
                "⚠️"
            };
            f.push_str(&format!(
                "- {icon} `{}` {}:{} — {}\n",
                d.code,
                markdown::text(&d.file),
                d.line,
                md_escape(&d.message)
            ));
            if let Some(h) = &d.hint {
                f.push_str(&format!("  hint: {}\n", md_escape(h)));
            }
        }
        for r in &plan.render_errors {
            f.push_str(&format!("- ❌ rendering: {}\n", md_escape(r)));
        }
        f.push('\n');
        head.push_str(&truncate(&f, limit / 4));
    }
    if !plan.drift.is_empty() {
        let mut f = String::from("### Drift\n\nChanged on disk since the last apply; `apply` restores them:\n\n");
        for d in &plan.drift {
            f.push_str(&format!("- {} ({})\n", markdown::code(&d.path), d.reason));
        }
        f.push('\n');
        head.push_str(&truncate(&f, limit / 8));
    }
    if !plan.already_written.is_empty() {
        let mut f = String::from(
            "### Already written\n\nAn apply that did not finish wrote these; they hold what this plan writes:\n\n",
        );
        for p in &plan.already_written {
            f.push_str(&format!("- {}\n", markdown::code(p)));
        }
        f.push('\n');
        head.push_str(&truncate(&f, limit / 8));
    }
    for d in plan.drift.iter().filter(|d| d.diff.is_some()) {
        let mut block = format!(
            "<details><summary>⚠️ drift <code>{}</code> ({})</summary>\n\n",
            markdown::text(&d.path),
            d.reason
        );
        block.push_str(&fence(
            "diff",
            &truncate(d.diff.as_deref().unwrap_or_default(), diff_max),
        ));
        block.push_str("\n</details>\n\n");
        blocks.push(block);
    }

    for c in &plan.changes {
        let mut body = String::new();
        for f in &c.fields {
            body.push_str(&field_line(c, f));
            body.push('\n');
            if let Some(d) = &f.diff {
                for l in d.lines() {
                    body.push_str(&format!("    {l}\n"));
                }
            }
        }
        let mut block = format!(
            "<details><summary>{} <code>{}</code> — {}</summary>\n\n",
            c.action.mark(),
            markdown::text(&c.resource),
            md_escape(&c.summary)
        );
        block.push_str(&format!("File: {}", markdown::code(&c.file)));
        if !c.approvals.is_empty() {
            block.push_str(&format!(" · approvals: {}", markdown::text(&c.approvals.join(", "))));
        }
        block.push_str("\n\n");
        for e in &c.effects {
            block.push_str(&format!("- {}\n", md_escape(&e.message)));
        }
        if !c.effects.is_empty() {
            block.push('\n');
        }
        if !body.is_empty() {
            block.push_str(&fence("diff", &truncate(&body, diff_max)));
        }
        block.push_str("\n</details>\n\n");
        blocks.push(block);
    }
    for a in &plan.artifacts {
        let added = a
            .diff
            .lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .count();
        let removed = a
            .diff
            .lines()
            .filter(|l| l.starts_with('-') && !l.starts_with("---"))
            .count();
        let mut block = format!(
            "<details><summary>{} output <code>{}</code> (+{added} −{removed})</summary>\n\n",
            a.action.mark(),
            markdown::text(&a.path)
        );
        block.push_str(&fence("diff", &truncate(&a.diff, diff_max)));
        block.push_str("\n</details>\n\n");
        blocks.push(block);
    }

    // Pack: the head, then whole blocks, starting a new part when the next does not fit.
    let title = |i: usize, n: usize| {
        if n == 1 {
            "<!-- partnerctl:plan -->\n## partnerctl plan\n\n".to_string()
        } else {
            format!("<!-- partnerctl:plan part {i}/{n} -->\n## partnerctl plan (part {i} of {n})\n\n")
        }
    };
    let reserve = title(99, 99).len() + 64;
    let mut bodies: Vec<String> = vec![head];
    let mut resources_heading = !plan.changes.is_empty();
    let mut outputs_heading = !plan.artifacts.is_empty();
    for (i, block) in blocks.into_iter().enumerate() {
        let heading = if i < plan.changes.len() && resources_heading {
            resources_heading = false;
            "### Resources\n\n"
        } else if i >= plan.changes.len() && outputs_heading {
            outputs_heading = false;
            "### Outputs\n\n"
        } else {
            ""
        };
        let last = bodies.last_mut().expect("one part at least");
        if last.len() + heading.len() + block.len() + reserve > limit {
            bodies.push(String::new());
        }
        let last = bodies.last_mut().expect("one part at least");
        last.push_str(heading);
        last.push_str(&block);
    }
    let n = bodies.len();
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, b)| format!("{}{}", title(i + 1, n), b))
        .collect()
}
