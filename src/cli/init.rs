//! `partnerctl init [DIR]`: start a new program repository that validates cleanly, with one
//! product, one terms and one partner to copy from. Refuses to touch an existing program.

use super::{Common, EXIT_OK, Format};
use std::path::{Path, PathBuf};

/// `init` reports what it wrote in text only.
const FORMATS: &[Format] = &[Format::Text];

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// Where to create the program (default: `-C`, the current directory).
    pub dir: Option<PathBuf>,
    /// The program's name (default: the folder's name).
    #[arg(long)]
    pub name: Option<String>,
}

/// Days until the placeholder terms would take effect: time for legal to replace the text.
const PLACEHOLDER_DAYS: i64 = 90;

const FILES: &[(&str, &str)] = &[
    ("program.yaml", include_str!("init/program.yaml")),
    ("products/example-api.yaml", include_str!("init/example-api.yaml")),
    ("terms/partner-tos.yaml", include_str!("init/partner-tos.yaml")),
    ("terms/partner-tos/1.0.md", include_str!("init/partner-tos-1.0.md")),
    (
        "partners/example-partner.yaml",
        include_str!("init/example-partner.yaml"),
    ),
    (".gitignore", "/dist/\n"),
];

pub fn run(args: &InitArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "init")?;
    let dir = args.dir.clone().unwrap_or_else(|| common.dir.clone());
    if dir.join("program.yaml").exists() {
        anyhow::bail!(
            "{}: a program already exists here (program.yaml); init never overwrites",
            dir.display()
        );
    }
    let name = match &args.name {
        Some(n) => n.clone(),
        None => default_name(&dir),
    };
    if !valid_name(&name) {
        anyhow::bail!("`{name}` is not a valid program name: lower case letters, digits and dashes (pass --name)");
    }
    let today = common.today();
    // The placeholder terms are not in effect on day one: a version in effect is published
    // and never changes again, and placeholder text must never be what partners accepted.
    let effective = partnerctl::spec::Date(today.0 + chrono::Duration::days(PLACEHOLDER_DAYS));
    for (path, _) in FILES {
        let target = dir.join(path);
        if target.exists() {
            anyhow::bail!("{}: already exists; init never overwrites", target.display());
        }
    }
    for (path, text) in FILES {
        let target = dir.join(path);
        let text = text
            .replace("{{name}}", &name)
            .replace("{{today}}", &today.to_string())
            .replace("{{effective}}", &effective.to_string());
        partnerctl::source::paths::write_in_program(&dir, path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", target.display()))?;
        println!("created {}", target.display());
    }
    println!("\nnext: partnerctl validate -C {}", dir.display());
    Ok(EXIT_OK)
}

fn default_name(dir: &Path) -> String {
    let base = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let raw = base
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("partner-program")
        .to_ascii_lowercase();
    let slug: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let slug = slug.trim_matches('-').to_string();
    if valid_name(&slug) {
        slug
    } else {
        "partner-program".to_string()
    }
}

fn valid_name(s: &str) -> bool {
    regex::Regex::new(partnerctl::spec::NAME_PATTERN)
        .map(|r| r.is_match(s))
        .unwrap_or(false)
}
