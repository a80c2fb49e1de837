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

    if !args.dry_run {
        for f in imported.files.iter().filter(|f| f.action.writes()) {
            write_atomic(&common.dir, &f.path, f.contents.as_bytes())?;
        }
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

/// Writes a file of the program through a temporary file in the same folder and a rename,
/// so a failure never leaves half a file; refuses to write through a symbolic link.
fn write_atomic(root: &Path, relative: &str, bytes: &[u8]) -> anyhow::Result<()> {
    partnerctl::source::paths::check_relative(relative)
        .or_else(|e| {
            // Program files are protected from outputs, not from the import that writes them.
            if e.reason.contains("program's own source") {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(|e| anyhow::anyhow!("refusing to write {relative}: {e}"))?;
    let path = root.join(relative);
    let mut at = root.to_path_buf();
    for part in Path::new(relative).iter() {
        at.push(part);
        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            anyhow::bail!("refusing to write {relative}: {} is a symbolic link", at.display());
        }
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| anyhow::anyhow!("cannot write in {}: {e}", dir.display()))?;
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    {
        // Program files are ordinary repository files, not private temporaries.
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(&path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
