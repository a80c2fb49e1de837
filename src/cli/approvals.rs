//! `partnerctl approvals`: whether a pull request has every approval its plan needs
//! ([`partnerctl::approvals::review`]), in text, json, markdown (the pull-request comment) or github
//! (one `::error` per team that has not approved).

use super::{Common, EXIT_FINDINGS, EXIT_OK, Format};
use partnerctl::approvals::review::{self, Approvals, RequiredTeam, TeamStatus};
use partnerctl::encode::{github, markdown, text};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The first line of the markdown comment, which a workflow looks for to update it.
pub const MARKER: &str = "<!-- partnerctl:approvals -->";

/// No input file is larger than this: a plan of a very large program is a few MiB.
const MAX_INPUT_BYTES: u64 = 64 << 20;

/// The formats `approvals` writes.
const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Markdown, Format::Github];

#[derive(clap::Args, Debug)]
pub struct ApprovalsArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// The plan: `partnerctl plan --format json` output, or a saved plan (`plan --out`).
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The pull request's reviews: the JSON array of GitHub's
    /// `GET /repos/{owner}/{repo}/pulls/{number}/reviews`.
    #[arg(long, value_name = "FILE")]
    pub reviews: PathBuf,
    /// Each team's members by GitHub handle: `{"@org/legal": ["alice", "bob"]}`; members may
    /// also be the objects of `GET /orgs/{org}/teams/{slug}/members`.
    #[arg(long, value_name = "FILE")]
    pub teams: PathBuf,
    /// The pull request's head commit: an approval given on another commit is stale.
    #[arg(long, value_name = "SHA")]
    pub head: Option<String>,
    /// The pull request's author, whose own review never counts.
    #[arg(long, value_name = "LOGIN")]
    pub author: Option<String>,
}

fn read(path: &Path) -> anyhow::Result<String> {
    let name = path.display();
    let meta = std::fs::metadata(path).map_err(|e| anyhow::anyhow!("{name}: cannot read: {e}"))?;
    if !meta.is_file() {
        anyhow::bail!("{name}: not a regular file");
    }
    if meta.len() > MAX_INPUT_BYTES {
        anyhow::bail!("{name}: {} bytes, more than the {MAX_INPUT_BYTES} read", meta.len());
    }
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{name}: cannot read: {e}"))?;
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{name}: not UTF-8 text"))
}

pub fn run(args: &ApprovalsArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "approvals")?;
    let plan_name = args.plan.display().to_string();
    let needs = review::parse_plan(&plan_name, &read(&args.plan)?)?;
    let reviews = review::parse_reviews(&args.reviews.display().to_string(), &read(&args.reviews)?)?;
    let teams = review::parse_teams(&args.teams.display().to_string(), &read(&args.teams)?)?;
    let mut required = needs.teams;
    if !needs.has_handles && !required.is_empty() {
        add_handles_from_base(&mut required, &common.dir, &plan_name, needs.base_id.as_deref());
    }
    let verdict = review::evaluate(
        &required,
        &reviews,
        &teams,
        args.head.as_deref(),
        args.author.as_deref(),
    )
    .with_plan(needs.broken.as_deref());
    let mut out = super::Out::new(common.format);
    match common.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&verdict)?)?,
        Format::Markdown => write!(out, "{}", markdown(&verdict))?,
        Format::Github => write!(out, "{}", github(&verdict))?,
        _ => write!(out, "{}", text(&verdict))?,
    }
    out.finish()?;
    Ok(if verdict.ok { EXIT_OK } else { EXIT_FINDINGS })
}

/// An older plan names teams without handles: read them from program.yaml as the plan's base
/// has it (`baseId` `git:<commit>`, in `-C DIR`'s repository), never from the working tree,
/// which is the pull request's and would let it name its own reviewers. A team left without a
/// handle is then reported as such.
fn add_handles_from_base(required: &mut [RequiredTeam], dir: &Path, plan: &str, base_id: Option<&str>) {
    use partnerctl::source::{PROGRAM_FILE, git::ProgramRepo, yaml};
    let commit = base_id.and_then(|b| b.strip_prefix("git:"));
    let teams = commit.and_then(|c| {
        let repo = ProgramRepo::discover(dir).ok()?;
        let (_, snapshot) = repo.snapshot_at(c).ok()?;
        let doc = yaml::parse(PROGRAM_FILE, &snapshot.bytes(PROGRAM_FILE)?).ok()?;
        doc.value.pointer("/spec/teams").cloned()
    });
    match (&teams, commit) {
        (Some(_), Some(c)) => say!(
            "note: {} has no approvalTeams (a plan of an older partnerctl); the teams' handles are read from program.yaml at its base {}",
            text::escape(plan),
            text::escape(short(c))
        ),
        _ => say!(
            "warning: {} has no approvalTeams, and program.yaml at its base ({}) cannot be read in {}: no team has a handle; plan again with this partnerctl",
            text::escape(plan),
            text::escape(base_id.unwrap_or("none")),
            text::escape(&dir.display().to_string())
        ),
    }
    for t in required.iter_mut() {
        t.handle = teams
            .as_ref()
            .and_then(|v| v.get(&t.team))
            .and_then(|v| v.get("github"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
    }
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

fn summary(a: &Approvals) -> String {
    let done = a.required.iter().filter(|t| t.satisfied).count();
    let mut s = format!("{done} of {} required teams approved", a.required.len());
    let open = a.required.iter().filter(|t| !open_requests(t).is_empty()).count();
    if open > 0 {
        s.push_str(&format!(" ({open} of them with a change request still open)"));
    }
    s
}

/// Change requests of members of a team that has approved: GitHub counts one member's
/// approval for the team, but the request stands until it is dismissed or withdrawn, and a
/// reader of "approved" must see it.
fn open_requests(t: &TeamStatus) -> &[String] {
    if t.satisfied { &t.changes_requested_by } else { &[] }
}

/// `approved by sam; alex requested changes, still open`
fn approved_plain(t: &TeamStatus) -> String {
    let mut s = format!("approved by {}", t.approved_by.join(", "));
    let open = open_requests(t);
    if !open.is_empty() {
        s.push_str(&format!("; {} requested changes, still open", open.join(", ")));
    }
    s
}

fn mark(t: &TeamStatus) -> &'static str {
    match (t.satisfied, open_requests(t).is_empty()) {
        (true, true) => "✅",
        (true, false) => "⚠️",
        (false, _) => "❌",
    }
}

fn must_approve_text(t: &TeamStatus) -> String {
    text::escape(&must_approve_plain(t)).into_owned()
}

/// For people: a line per team with its verdict, then what it must approve.
pub fn text(a: &Approvals) -> String {
    let mut s = String::new();
    if let Some(why) = &a.plan_error {
        s.push_str(&format!("❌ Not satisfied: {}.\n", text::escape(why)));
    }
    if a.required.is_empty() {
        s.push_str("This plan needs no approvals.\n");
        return s;
    }
    s.push_str(&format!("Approvals: {}", summary(a)));
    if let Some(h) = &a.head {
        s.push_str(&format!(" on {}", text::escape(short(h))));
    }
    s.push_str(".\n");
    for t in &a.required {
        let handle = t.handle.as_deref().map(text::escape).unwrap_or("no handle".into());
        let verdict = if t.satisfied {
            text::escape(&approved_plain(t)).into_owned()
        } else {
            text::escape(t.why.as_deref().unwrap_or("not approved")).into_owned()
        };
        s.push_str(&format!(
            "  {} {} ({handle}): {verdict}\n      must approve: {}\n",
            mark(t),
            text::escape(&t.team),
            must_approve_text(t),
        ));
    }
    s
}

/// The pull-request comment: the marker, a verdict, and a table of the teams.
pub fn markdown(a: &Approvals) -> String {
    let mark = if a.ok { "✅" } else { "❌" };
    let mut s = format!("{MARKER}\n### {mark} partnerctl approvals\n\n");
    if let Some(why) = &a.plan_error {
        s.push_str(&format!("**Not satisfied:** {}.\n\n", markdown::message(why)));
    }
    if a.required.is_empty() {
        s.push_str("This plan needs no approvals.\n");
        return s;
    }
    s.push_str(&summary(a));
    if let Some(h) = &a.head {
        s.push_str(&format!(" on {}", markdown::code(short(h))));
    }
    s.push_str(".\n\n| team | handle | must approve | approved by | status |\n| --- | --- | --- | --- | --- |\n");
    for t in &a.required {
        let handle = t.handle.as_deref().map(markdown::code).unwrap_or_else(|| "none".into());
        let mut what = if t.resources.is_empty() {
            "—".to_string()
        } else {
            t.resources
                .iter()
                .map(|r| markdown::code(r))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !t.classes.is_empty() {
            what.push_str(&format!(" ({})", markdown::text(&t.classes.join(", "))));
        }
        let by = if t.approved_by.is_empty() {
            "—".to_string()
        } else {
            t.approved_by
                .iter()
                .map(|l| markdown::text(l))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let open = open_requests(t);
        let status = if t.satisfied && open.is_empty() {
            "✅ approved".to_string()
        } else if t.satisfied {
            format!(
                "⚠️ approved; changes requested by {}, still open",
                open.iter().map(|l| markdown::text(l)).collect::<Vec<_>>().join(", ")
            )
        } else {
            format!("❌ {}", markdown::message(t.why.as_deref().unwrap_or("not approved")))
        };
        s.push_str(&format!(
            "| {} | {handle} | {what} | {by} | {status} |\n",
            markdown::text(&t.team)
        ));
    }
    s
}

/// Workflow annotations: one `::error` per team that has not approved, else one `::notice`;
/// and one `::warning` per team that approved with a member's change request still open.
pub fn github(a: &Approvals) -> String {
    let mut s = String::new();
    if a.ok {
        s.push_str(&format!(
            "::notice title=partnerctl approvals::{}\n",
            github::data(&if a.required.is_empty() {
                "This plan needs no approvals.".to_string()
            } else {
                format!("{}.", summary(a))
            })
        ));
    }
    if let Some(why) = &a.plan_error {
        s.push_str(&format!(
            "::error title={}::{}\n",
            github::property("approvals not satisfied: the plan fails"),
            github::data(&text::escape(why))
        ));
    }
    for t in &a.required {
        if !t.satisfied {
            let message = format!(
                "{} ({}) has not approved: {}. It must approve: {}",
                t.team,
                t.handle.as_deref().unwrap_or("no handle"),
                t.why.as_deref().unwrap_or("not approved"),
                must_approve_plain(t)
            );
            s.push_str(&format!(
                "::error title={}::{}\n",
                github::property(&text::escape(&format!("approval missing: {}", t.team))),
                github::data(&text::escape(&message))
            ));
        } else if !open_requests(t).is_empty() {
            s.push_str(&format!(
                "::warning title={}::{}\n",
                github::property(&text::escape(&format!("changes requested: {}", t.team))),
                github::data(&text::escape(&format!("{}: {}", t.team, approved_plain(t))))
            ));
        }
    }
    s
}

fn must_approve_plain(t: &TeamStatus) -> String {
    let mut s = if t.resources.is_empty() {
        "-".to_string()
    } else {
        t.resources.join(", ")
    };
    if !t.classes.is_empty() {
        s.push_str(&format!(" ({})", t.classes.join(", ")));
    }
    s
}
