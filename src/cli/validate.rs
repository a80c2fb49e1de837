//! `partnerctl validate`: every check and policy, and the checks made against a base (the
//! applied state, or `--base REV`) when one can be read: `terms-immutable`, so that a local
//! run or the pre-commit hook catches an edit of published terms, not only `plan`.

use super::{Common, EXIT_FINDINGS, EXIT_OK, Format};
use partnerctl::encode::{github, markdown, text};
use partnerctl::source::Snapshot;
use partnerctl::source::git::{ProgramRepo, short};
use partnerctl::state::Store;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

/// The formats `validate` writes: all of them.
const FORMATS: &[Format] = &[
    Format::Text,
    Format::Json,
    Format::Markdown,
    Format::Github,
    Format::Sarif,
];

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// Check `terms-immutable` against this revision instead of the applied state.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Read the applied state from this file instead of `refs/partnerctl/applied`.
    #[arg(long, value_name = "PATH", conflicts_with = "base")]
    pub state_file: Option<PathBuf>,
}

/// The checks that need a base, as `--format json` reports them under `base`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BaseChecks {
    /// The codes checked against the base; empty when none could be.
    checked: Vec<&'static str>,
    /// What they were checked against (`refs/partnerctl/applied (1a2b3c4d5e6f)`), if anything.
    against: Option<String>,
    /// Why they were not checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// The folders the checks against a base compare: terms and their texts only, so that the
/// base costs one git lookup and the terms' trees, whatever the number of partners.
const FOLDERS: &[&str] = &["terms"];

pub fn run(args: &ValidateArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "validate")?;
    let mut v = super::load_and_validate(common)?;
    let base = match read_base(args, common) {
        Ok(Some((label, snapshot))) => {
            let base = partnerctl::model::load(snapshot).program;
            let mut found = partnerctl::check::terms_immutable::check(&base, &v.program, common.today());
            v.redactor.diagnostics(&mut found);
            v.diagnostics.extend(found);
            partnerctl::diag::sort_and_dedup(&mut v.diagnostics);
            BaseChecks {
                checked: vec!["terms-immutable"],
                against: Some(label),
                note: None,
            }
        }
        Ok(None) => not_checked(match &args.state_file {
            Some(p) => format!("the state file {} does not exist: nothing was applied", p.display()),
            None => "there is no applied state here (refs/partnerctl/applied is missing: nothing was applied, or the state was not fetched: `git fetch origin 'refs/partnerctl/*:refs/partnerctl/*'`); pass --base REV to compare with a revision".into(),
        }),
        Err(why) => not_checked(why),
    };
    if v.needs_applied_state() {
        check_against_applied(&mut v, args, common);
    }
    match common.format {
        Format::Json => {
            let mut report = super::diagnostics::json_report(&v.diagnostics);
            report["base"] = serde_json::to_value(&base)?;
            let mut out = super::Out::new(common.format);
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            out.finish()?;
        }
        _ => {
            super::diagnostics::print(&v.diagnostics, v.files, &v.program.snapshot, common)?;
            if let Some(note) = &base.note {
                print_note(note, common)?;
            }
        }
    }
    let code = if v.has_errors() { EXIT_FINDINGS } else { EXIT_OK };
    // The process ends right after this; freeing a large program piece by piece would only
    // delay the exit (about a tenth of validate's time on 10,000 partners).
    std::mem::forget(v);
    Ok(code)
}

fn not_checked(why: String) -> BaseChecks {
    BaseChecks {
        checked: Vec::new(),
        against: None,
        note: Some(format!("terms-immutable was not checked: {why}")),
    }
}

/// Says that a check could not run: on stderr for people, as a notice annotation in a
/// workflow, as a line of the comment in markdown.
fn print_note(note: &str, common: &Common) -> anyhow::Result<()> {
    match common.format {
        Format::Github => {
            let mut out = super::Out::new(common.format);
            writeln!(out, "::notice title=partnerctl::{}", github::data(&text::escape(note)))?;
            out.finish()?;
        }
        Format::Markdown => {
            let mut out = super::Out::new(common.format);
            writeln!(out, "\n_Note: {}_", markdown::message(note))?;
            out.finish()?;
        }
        _ => eprintln!("note: {}", text::escape(note)),
    }
    Ok(())
}

/// The base's terms: `--base REV`, else the applied state (`--state-file`, else git). A base
/// that cannot be read is a reason to give, not an error: the checks that need none ran.
fn read_base(args: &ValidateArgs, common: &Common) -> Result<Option<(String, Snapshot)>, String> {
    let dir = &common.dir;
    if let Some(rev) = &args.base {
        let repo = ProgramRepo::discover(dir).map_err(|e| e.to_string())?;
        let oid = repo.resolve(rev).map_err(|e| e.to_string())?;
        let snapshot = repo.snapshot_folders(oid, FOLDERS).map_err(|e| e.to_string())?;
        return Ok(Some((format!("{rev} ({})", short(oid)), snapshot)));
    }
    let store = match Store::open(dir, args.state_file.as_deref()) {
        Ok(s) => s,
        Err(_) => {
            return Err("there is no applied state to compare with: this is not a git repository (pass --state-file PATH or --base REV)".into());
        }
    };
    store
        .applied_folders(FOLDERS)
        .map_err(|e| format!("the applied state cannot be read: {e}"))
}

/// `acceptance-evidence` needs what was applied before (`--base REV` stands for it): read it
/// whole when the program requires evidence. A folder outside git, or a repository where
/// nothing is applied yet, has none, and the rule waits for `plan`; a state that cannot be
/// read is said, not taken for "nothing applied".
fn check_against_applied(v: &mut partnerctl::Validated, args: &ValidateArgs, common: &Common) {
    if let Some(rev) = &args.base {
        match ProgramRepo::discover(&common.dir).and_then(|repo| repo.snapshot_at(rev)) {
            Ok((_, snapshot)) => v.check_against_applied(snapshot, common.today()),
            Err(e) => super::warn(&format!("acceptance-evidence is not checked: {e}")),
        }
        return;
    }
    let Ok(store) = Store::open(&common.dir, args.state_file.as_deref()) else {
        return;
    };
    match store.load() {
        Ok(applied) => {
            if let Some(snapshot) = applied.snapshot {
                v.check_against_applied(snapshot, common.today());
            }
        }
        Err(e) => super::warn(&format!(
            "acceptance-evidence is not checked: the applied state cannot be read: {e}"
        )),
    }
}
