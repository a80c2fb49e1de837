//! `partnerctl import kong FILE...`: program files from a Kong declarative configuration;
//! `import openapi` is in `import_openapi.rs`.

use super::{Common, EXIT_OK, Format};
use partnerctl::encode::text;
use partnerctl::gateway::kong::import::{Action, ImportOptions};
use partnerctl::gateway::kong::{self, import};
use partnerctl::spec::Environment;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The formats `import kong` writes.
const FORMATS: &[Format] = &[Format::Text, Format::Json];

/// What to import from: each source takes its own flags.
#[derive(clap::Subcommand, Debug)]
pub enum ImportCommand {
    /// Partner and product files from a Kong decK file (`deck gateway dump`, or what the
    /// `kong` target renders).
    Kong(KongArgs),
    /// Write or update a product from an OpenAPI 3.0 or 3.1 description.
    Openapi(super::import_openapi::OpenapiArgs),
}

#[derive(clap::Args, Debug)]
pub struct KongArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// The decK file(s), YAML or JSON; one per environment.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The environment the file(s) serve, when their tags do not say and the program has not
    /// exactly one `kong` output.
    #[arg(long, value_enum, value_name = "ENV")]
    pub environment: Option<EnvArg>,
    /// The owning team written into every new resource (default: the program's owner).
    #[arg(long, value_name = "TEAM")]
    pub owner: Option<String>,
    /// Add what the gateway knows (subscriptions, credentials, plans) to existing partner and
    /// product files, editing them in place; without it, existing files are left alone.
    #[arg(long)]
    pub merge: bool,
    /// Show what would be written, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvArg {
    Sandbox,
    Production,
}

impl EnvArg {
    pub fn environment(self) -> Environment {
        match self {
            EnvArg::Sandbox => Environment::Sandbox,
            EnvArg::Production => Environment::Production,
        }
    }
}

pub fn run(cmd: &ImportCommand, common: &Common) -> anyhow::Result<u8> {
    match cmd {
        ImportCommand::Kong(args) => kong(args, common),
        ImportCommand::Openapi(args) => super::import_openapi::run(args, common),
    }
}

fn kong(args: &KongArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "import kong")?;
    let today = common.today();
    let decks = args
        .files
        .iter()
        .map(|f| kong::read(f))
        .collect::<Result<Vec<_>, _>>()?;
    let existing = if common.dir.exists() {
        partnerctl::model::load(partnerctl::source::Snapshot::from_dir(&common.dir)?).program
    } else {
        partnerctl::model::Program::default()
    };
    let imported = import::import_kong(
        &decks,
        &existing,
        &ImportOptions {
            environment: args.environment.map(EnvArg::environment),
            today,
            merge: args.merge,
            owner: args.owner.clone(),
        },
    )?;

    // A hundred thousand consumers take a while to free, and nothing reads them again: another
    // core frees them while this one writes the files.
    std::thread::spawn(move || drop((decks, existing)));
    let mut imported = imported;
    if args.merge && common.dir.exists() {
        imported
            .todo
            .extend(flagged_by_merge(&common.dir, &imported.files, today)?);
        imported.todo.sort();
        imported.todo.dedup();
    }
    if !args.dry_run {
        let files: Vec<(&str, &[u8])> = imported
            .files
            .iter()
            .filter(|f| f.action.writes())
            .map(|f| (f.path.as_str(), f.contents.as_bytes()))
            .collect();
        partnerctl::source::program_files::write_all(&common.dir, &files).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let mut out = super::Out::new(common.format);
    if common.format == Format::Json {
        let files: Vec<_> = imported
            .files
            .iter()
            .map(|f| {
                let mut v = serde_json::json!({
                    "path": f.path, "kind": f.kind.as_str(), "name": f.name, "action": f.action.as_str(),
                });
                if f.action == Action::Merge {
                    v["added"] = serde_json::json!(f.added);
                }
                if args.dry_run && f.action.writes() {
                    v["contents"] = serde_json::json!(f.contents);
                }
                v
            })
            .collect();
        let environments: Vec<_> = imported
            .environments
            .iter()
            .map(|(file, env, from)| serde_json::json!({"file": file, "environment": env.as_str(), "from": from}))
            .collect();
        let v = serde_json::json!({
            "dryRun": args.dry_run,
            "merge": args.merge,
            "environments": environments,
            "files": files,
            "todo": imported.todo,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(EXIT_OK);
    }
    for (file, env, from) in &imported.environments {
        writeln!(out, "{}: {env} (from {from})", text::escape(file))?;
    }
    let verb = if args.dry_run { "would write" } else { "wrote" };
    for f in &imported.files {
        let what = match f.action {
            Action::Create => "create",
            Action::Merge => "merge",
            Action::Unchanged => "unchanged",
            Action::Skip => "skipped",
        };
        writeln!(out, "{what:<10} {}", text::escape(&f.path))?;
        for a in &f.added {
            writeln!(out, "    + {}", text::escape(a))?;
        }
        if args.dry_run && f.action.writes() {
            for line in f.contents.lines() {
                writeln!(out, "    | {}", text::escape(line))?;
            }
        }
    }
    let written = imported.files.iter().filter(|f| f.action.writes()).count();
    let skipped = imported.files.iter().filter(|f| f.action == Action::Skip).count();
    writeln!(
        out,
        "\n{verb} {written} file(s) in {}",
        text::escape(&common.dir.display().to_string())
    )?;
    if skipped > 0 {
        writeln!(
            out,
            "{skipped} file(s) exist and were left alone; --merge adds what the gateway knows to them"
        )?;
    }
    writeln!(out, "\nStill to do (what the program does not say after the import):")?;
    let mut consumer: Option<&Option<String>> = None;
    for t in &imported.todo {
        if consumer != Some(&t.consumer) {
            match &t.consumer {
                Some(c) => writeln!(out, "  consumer {}:", text::escape(c))?,
                None => writeln!(out, "  the gateway and the program:")?,
            }
            consumer = Some(&t.consumer);
        }
        let file = t
            .file
            .as_deref()
            .map(|f| format!(" {}:", text::escape(f)))
            .unwrap_or_default();
        let source = t
            .source
            .as_deref()
            .map(|s| format!(" ({})", text::escape(s)))
            .unwrap_or_default();
        writeln!(out, "    - [{}]{file} {}{source}", t.kind, text::escape(&t.message))?;
    }
    writeln!(
        out,
        "Then run `partnerctl validate -C {}`: it lists what is still missing.",
        text::escape(&common.dir.display().to_string())
    )?;
    Ok(EXIT_OK)
}

/// What `validate` finds in the files a merge edits that it did not find before: the
/// gateway's drift the merge copied into the program (a subscription of a suspended partner,
/// a plan offered in production without a quota, …), one to-do line each, at its line in the
/// merged file. Findings are told apart by code, file and message (lines move as the merge
/// inserts).
fn flagged_by_merge(
    dir: &Path,
    files: &[import::ImportedFile],
    today: partnerctl::spec::Date,
) -> anyhow::Result<Vec<import::Todo>> {
    let merged: Vec<&import::ImportedFile> = files.iter().filter(|f| f.action == Action::Merge).collect();
    if merged.is_empty() {
        return Ok(Vec::new());
    }
    let before = partnerctl::source::Snapshot::from_dir(dir)?;
    let mut after = before.clone();
    for f in files.iter().filter(|f| f.action.writes()) {
        after.insert(
            f.path.clone(),
            partnerctl::source::Entry::Bytes(f.contents.as_bytes().to_vec().into()),
        );
    }
    let key = |d: &partnerctl::diag::Diagnostic| (d.code, d.file.clone(), d.message.clone());
    let known: std::collections::BTreeSet<_> = partnerctl::validate_snapshot(before, today)
        .diagnostics
        .iter()
        .map(key)
        .collect();
    Ok(partnerctl::validate_snapshot(after, today)
        .diagnostics
        .iter()
        .filter(|d| merged.iter().any(|f| f.path == d.file) && !known.contains(&key(d)))
        .map(|d| import::Todo {
            consumer: None,
            kind: "merged".to_string(),
            file: Some(d.file.clone()),
            message: format!(
                "line {}: the merge brings {} `{}`: {}",
                d.line,
                d.severity.as_str(),
                d.code.as_str(),
                d.message
            ),
            source: None,
        })
        .collect())
}
