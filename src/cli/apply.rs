//! `partnerctl apply`: validate, render every output, write them atomically, record the
//! applied state. With a saved plan, refuse when the applied state or the program moved since
//! the plan was made.

use super::{Common, EXIT_FINDINGS, EXIT_OK, Format};
use anyhow::Context as _;
use partnerctl::encode::text;
use partnerctl::plan::{self, saved::SavedPlan};
use partnerctl::source::Snapshot;
use partnerctl::state::{self, Record, Store};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

/// The formats `apply` writes.
const FORMATS: &[Format] = &[Format::Text, Format::Json];

#[derive(clap::Args, Debug)]
pub struct ApplyArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// A plan saved with `plan --out FILE`; apply refuses it if it is stale.
    #[arg(value_name = "PLAN_FILE")]
    pub plan_file: Option<PathBuf>,
    /// Record the applied state in this file instead of `refs/partnerctl/applied`.
    #[arg(long, value_name = "PATH")]
    pub state_file: Option<PathBuf>,
    /// This is the program's first apply: there is no applied state to compare with. Without
    /// it, apply refuses to run with no state in a repository that has history, because a
    /// lost state would silently switch off the checks made against it (docs/plan.md, "Applied
    /// state").
    #[arg(long)]
    pub initial: bool,
}

pub fn run(args: &ApplyArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "apply")?;
    let dir = &common.dir;
    let store = Store::open(dir, args.state_file.as_deref())?;

    let saved = match &args.plan_file {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            Some(SavedPlan::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    // The plan's date unless --as-of says otherwise: the outputs are then those reviewed.
    let today = common
        .as_of
        .or(saved.as_ref().map(|s| s.as_of))
        .unwrap_or_else(|| common.today());

    let (desired, commit, unrecordable) = desired(&store, dir, saved.as_ref())?;

    let bar = super::plan::progress();
    let step = |s: &str| {
        if let Some(b) = &bar {
            b.set_message(s.to_string());
        }
    };
    step("waiting for the apply lock");
    let mut warnings = Vec::new();
    let _lock = store.lock()?;
    if let Some(w) = _lock.took_over() {
        warn(bar.as_ref(), w);
    }
    // The files the applied commit holds alike are the desired program's (not read twice).
    let applied = match store.load_beside(&desired) {
        // A first apply stopped after writing its record and before moving the ref (the order
        // `record_state` writes them in): `--initial` says this is still the first apply, and
        // its record is added to the records that one left.
        Err(state::StateError::Unreferenced(_)) if args.initial => state::Applied::none(),
        loaded => loaded?,
    };
    guard_initial(&store, dir, &applied, args)?;

    if let (Some(saved), Some(path)) = (&saved, &args.plan_file) {
        let digest = state::snapshot_digest(&desired);
        if let Some(why) = saved.staleness(&applied.id, &applied.label, &digest) {
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            say!("error: refusing to apply the stale plan {}: {why}.", path.display());
            say!(
                "Run `partnerctl plan --out {}` again and review the new plan.",
                path.display()
            );
            return Ok(EXIT_FINDINGS);
        }
    }
    if let Some(why) = unrecordable {
        anyhow::bail!(why);
    }

    let drift = applied
        .record
        .as_ref()
        .map(|r| state::drift(dir, r))
        .unwrap_or_default();
    let input = plan::Input {
        base: applied.snapshot.clone(),
        base_label: applied.label.clone(),
        base_id: applied.id.clone(),
        base_as_of: applied.as_of,
        desired,
        desired_label: commit
            .clone()
            .map(|c| format!("commit {}", &c[..12.min(c.len())]))
            .unwrap_or("working tree".into()),
        drift,
        keep_outputs: true,
    };
    let planned = plan::make(input, today, &step);
    super::set_redactor(&planned.redactor);
    let p = &planned.plan;
    if !p.ok {
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        for d in p
            .diagnostics
            .iter()
            .filter(|d| d.severity == partnerctl::diag::Severity::Error)
        {
            say!(
                "{}[{}]: {}:{}:{}: {}",
                d.severity,
                d.code,
                text::escape(&d.file),
                d.line,
                d.column,
                text::escape(&d.message)
            );
        }
        for e in &p.render_errors {
            say!("error: an output could not be rendered: {}", text::escape(e));
        }
        say!(
            "error: apply stopped before writing anything: {} error(s). Nothing was changed.",
            p.errors()
        );
        return Ok(EXIT_FINDINGS);
    }

    step("writing outputs");
    let written = partnerctl::output::output_root(dir, dir).and_then(|out| {
        // Left by an apply that was interrupted; only in the folders written now.
        for tmp in partnerctl::output::remove_temporaries(&out, &planned.rendered) {
            warnings.push(format!("removed {tmp}, a temporary file left by an interrupted apply"));
        }
        partnerctl::output::write_files(&out, &planned.rendered).map(|r| (out, r))
    });
    let (out_root, report) = match written {
        Ok(r) => r,
        Err(e) => {
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            say!("error: writing the outputs failed: {e}");
            return Ok(EXIT_FINDINGS);
        }
    };
    let outputs: BTreeMap<String, String> = planned
        .rendered
        .iter()
        .map(|f| (f.path.clone(), state::digest(&f.bytes)))
        .collect();

    // Outputs the last apply wrote that no longer exist in the program: removed, unless they
    // were edited by hand since (then they are left for a person to look at).
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    if let Some(old) = &applied.record {
        for (path, digest) in &old.outputs {
            if outputs.contains_key(path) {
                continue;
            }
            // Resolved like a written output: a recorded `../x`, or an output folder turned
            // into a link since, never removes anything outside the root.
            let target = dir.join(path);
            if !target.exists() {
                continue;
            }
            match partnerctl::output::remove_output(&out_root, path, |b| state::digest(b) == *digest) {
                Ok(true) => removed.push(path.clone()),
                Ok(false) => kept.push(path.clone()),
                Err(e) => anyhow::bail!("cannot remove a former output: {e}"),
            }
        }
    }

    for w in &warnings {
        warn(bar.as_ref(), w);
    }

    step("recording the applied state");
    let record = Record {
        version: state::RECORD_VERSION,
        as_of: Some(today),
        desired_digest: p.desired_digest.clone(),
        commit: None,
        outputs,
        files: None,
    };
    let recorded = store.record(&applied, commit.as_deref(), &planned.desired.snapshot, record)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    // Restored: the drifted files this apply wrote over. (A drifted file that no longer is an
    // output was removed or kept above; one that was already right on disk was not drift.)
    let written: std::collections::HashSet<&str> = report.written.iter().map(String::as_str).collect();
    let restored: Vec<&state::Drift> = p.drift.iter().filter(|d| written.contains(d.path.as_str())).collect();
    let mut out = super::Out::new(common.format);
    if common.format == Format::Json {
        let v = serde_json::json!({
            "ok": true,
            "applied": recorded,
            "summary": p.summary,
            "changes": p.changes.iter().map(|c| serde_json::json!({"resource": c.resource, "action": c.action})).collect::<Vec<_>>(),
            "written": report.written,
            "unchanged": report.unchanged,
            "removed": removed,
            "restored": restored,
            "alreadyWritten": p.already_written,
            "keptEdited": kept,
            "diagnostics": p.diagnostics,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        for c in &p.changes {
            writeln!(out, "{} {}: {}", c.action.mark(), c.resource, c.summary)?;
        }
        for path in &report.written {
            let why = match p.drift.iter().find(|d| &d.path == path) {
                Some(d) => format!(
                    " (restored: it was {} since the last apply)",
                    if d.reason == "replaced" {
                        "replaced by something other than a file"
                    } else {
                        "edited"
                    }
                ),
                None => String::new(),
            };
            writeln!(out, "wrote {path}{why}")?;
        }
        for path in &removed {
            writeln!(out, "removed {path} (no longer an output)")?;
        }
        for path in &kept {
            writeln!(
                out,
                "kept {path}: no longer an output, but edited since the last apply; remove it by hand"
            )?;
        }
        let s = p.summary;
        // The counts are of the files themselves: written (restored ones among them), and
        // unchanged (among them those an interrupted apply had already written).
        let interrupted = match p.already_written.len() {
            0 => String::new(),
            n => format!(" ({n} of them written by an interrupted apply)"),
        };
        writeln!(
            out,
            "Apply complete: {} added, {} changed, {} destroyed; {} file(s) written, {} unchanged{interrupted}, {} drifted file(s) restored. State: {recorded}.",
            s.add,
            s.change,
            s.destroy,
            report.written.len(),
            report.unchanged.len(),
            restored.len()
        )?;
    }
    Ok(EXIT_OK)
}

/// No state in a repository with history is a lost state unless `--initial` says it is the
/// first apply; `--initial` with a state is refused, so it cannot become a habit that hides one.
fn guard_initial(
    store: &Store,
    dir: &std::path::Path,
    applied: &state::Applied,
    args: &ApplyArgs,
) -> anyhow::Result<()> {
    let nothing = applied.id == "none";
    if !nothing {
        if args.initial {
            anyhow::bail!(
                "--initial is for a program's first apply, but there is an applied state ({}); run apply without it",
                applied.label
            );
        }
        return Ok(());
    }
    if args.initial {
        return Ok(());
    }
    let found;
    let repo = match store {
        Store::Git(r) => r,
        Store::File(_) => match partnerctl::source::git::ProgramRepo::discover(dir) {
            Ok(r) => {
                found = r;
                &found
            }
            Err(_) => return Ok(()),
        },
    };
    let Some(head) = repo.head() else { return Ok(()) };
    if !repo.has_history(head) {
        return Ok(());
    }
    let (where_, fetch) = match store {
        Store::Git(_) => (
            format!("{} is missing", partnerctl::source::git::APPLIED_REF),
            "fetch it (`git fetch origin 'refs/partnerctl/*:refs/partnerctl/*' 'refs/notes/partnerctl:refs/notes/partnerctl'`)",
        ),
        Store::File(p) => (
            format!("the state file {} does not exist", p.display()),
            "restore the state file",
        ),
    };
    let shallow = if repo.is_shallow() {
        " (this shallow clone's history cannot be seen, so it counts as having some)"
    } else {
        ""
    };
    Err(state::StateError::NoState(format!(
        "no applied state: {where_}, but this repository has history{shallow}. A lost state would switch off the checks made against it (terms-immutable) and make everything a create. If the state exists elsewhere, {fetch}; if this really is the program's first apply, run `partnerctl apply --initial`."
    ))
    .into())
}

/// A warning on stderr that does not tear the progress bar.
fn warn(bar: Option<&indicatif::ProgressBar>, message: &str) {
    match bar {
        Some(b) => b.suspend(|| say!("warning: {message}")),
        None => say!("warning: {message}"),
    }
}

/// The program to apply, the commit it is (the git store records a commit), and why it cannot
/// be recorded, if it cannot (reported after a saved plan's staleness, which says more).
fn desired(
    store: &Store,
    dir: &std::path::Path,
    saved: Option<&SavedPlan>,
) -> anyhow::Result<(Snapshot, Option<String>, Option<String>)> {
    let repo = match store {
        Store::Git(repo) => Some(repo),
        Store::File(_) => None,
    };
    if let Some(commit) = saved.and_then(|s| s.desired_commit.as_deref()) {
        let repo_owned;
        let repo = match repo {
            Some(r) => r,
            None => {
                repo_owned = partnerctl::source::git::ProgramRepo::discover(dir)?;
                &repo_owned
            }
        };
        let oid = git2::Oid::from_str(commit).context("the saved plan names a malformed commit")?;
        return Ok((repo.snapshot(oid)?, Some(commit.to_string()), None));
    }
    let tree = Snapshot::from_dir(dir)?;
    let Some(repo) = repo else {
        return Ok((tree, None, None));
    };
    let Some(head) = repo.head() else {
        let why = "the repository has no commit yet; commit the program first, or pass --state-file PATH";
        return Ok((tree, None, Some(why.to_string())));
    };
    let at_head = repo.snapshot(head)?;
    if at_head.files != tree.files {
        let differing: std::collections::BTreeSet<&str> = tree
            .files
            .keys()
            .chain(at_head.files.keys())
            .filter(|k| tree.files.get(*k) != at_head.files.get(*k))
            .map(String::as_str)
            .collect();
        let list: Vec<&str> = differing.into_iter().take(3).collect();
        let why = format!(
            "the working tree's program differs from HEAD ({}); the applied state records a commit: commit the change first, or pass --state-file PATH",
            list.join(", ")
        );
        return Ok((tree, None, Some(why)));
    }
    Ok((tree, Some(head.to_string()), None))
}
