//! `partnerctl import kong FILE...`: program files from a Kong declarative configuration.

use super::{Common, EXIT_OK, Format};
use partnerctl::report::deck::Deck;
use partnerctl::report::import::{self, Action, ImportOptions};
use partnerctl::spec::Environment;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A Kong decK file (`deck gateway dump`, or what the `kong` target renders).
    Kong,
    /// An OpenAPI 3.0 or 3.1 description: writes or updates a product (`--product NAME`).
    Openapi,
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// What to import from.
    #[arg(value_enum)]
    pub source: Source,
    /// The decK file(s), YAML or JSON; one per environment.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The environment the file(s) serve, when their tags and names do not say.
    #[arg(long, value_enum, value_name = "ENV")]
    pub environment: Option<EnvArg>,
    /// The owning team written into every imported resource (default: the program's owner).
    #[arg(long, value_name = "TEAM")]
    pub owner: Option<String>,
    /// Overwrite files (and resources of the same name) that already exist.
    #[arg(long)]
    pub force: bool,
    /// Show what would be written, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub openapi: super::import_openapi::OpenapiArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvArg {
    Sandbox,
    Production,
}

pub fn run(args: &ImportArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, &[Format::Text, Format::Json], "import")?;
    if args.source == Source::Openapi {
        let [file] = args.files.as_slice() else {
            anyhow::bail!("`import openapi` reads one description: partnerctl import openapi FILE --product NAME");
        };
        return super::import_openapi::run(file, &args.openapi, args.owner.as_deref(), args.dry_run, common);
    }
    let today = common.today();
    let decks = args
        .files
        .iter()
        .map(|f| Deck::read(f))
        .collect::<Result<Vec<_>, _>>()?;
    let existing = if common.dir.exists() {
        partnerctl::model::load(partnerctl::source::Snapshot::from_dir(&common.dir)?).program
    } else {
        partnerctl::model::Program::default()
    };
    let environment = args.environment.map(|e| match e {
        EnvArg::Sandbox => Environment::Sandbox,
        EnvArg::Production => Environment::Production,
    });
    let imported = import::import_kong(
        &decks,
        &existing,
        &ImportOptions {
            environment,
            today,
            force: args.force,
            owner: args.owner.clone(),
        },
    )?;

    if !args.dry_run {
        for f in imported.files.iter().filter(|f| f.action != Action::Skip) {
            write_atomic(&common.dir.join(&f.path), f.contents.as_bytes())?;
        }
    }
    let mut out = super::Out::new(common.format);
    if common.format == Format::Json {
        let files: Vec<_> = imported
            .files
            .iter()
            .map(|f| {
                serde_json::json!({
                    "path": f.path, "kind": f.kind.as_str(), "name": f.name,
                    "action": match f.action { Action::Create => "create", Action::Overwrite => "overwrite", Action::Skip => "skip" },
                    "contents": if args.dry_run { Some(&f.contents) } else { None },
                })
            })
            .collect();
        let v = serde_json::json!({"dryRun": args.dry_run, "files": files, "todo": imported.todo});
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        let verb = if args.dry_run { "would write" } else { "wrote" };
        for f in &imported.files {
            writeln!(
                out,
                "{:<10} {}",
                if f.action == Action::Skip {
                    "skipped"
                } else {
                    f.action.as_str()
                },
                f.path
            )?;
            if args.dry_run && f.action != Action::Skip {
                for line in f.contents.lines() {
                    writeln!(out, "    {line}")?;
                }
            }
        }
        let written = imported.files.iter().filter(|f| f.action != Action::Skip).count();
        let skipped = imported.files.len() - written;
        writeln!(out, "\n{verb} {written} file(s) in {}", common.dir.display())?;
        if skipped > 0 {
            writeln!(
                out,
                "{skipped} file(s) exist and were left alone; --force overwrites them"
            )?;
        }
        writeln!(out, "\nStill to do:")?;
        for t in &imported.todo {
            writeln!(out, "  - {t}")?;
        }
        writeln!(
            out,
            "Then run `partnerctl validate -C {}`: it lists what is still missing.",
            common.dir.display()
        )?;
    }
    Ok(EXIT_OK)
}

/// Writes a file through a temporary file in the same folder and a rename, so a failure never
/// leaves half a file.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
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
    tmp.persist(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
