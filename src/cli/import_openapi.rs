//! `partnerctl import openapi FILE --product NAME`: a product from an OpenAPI description
//! (see `partnerctl::openapi::import`). Written files go through the one path resolver, so an
//! import never writes outside the program or onto `.git`.

use super::{Common, EXIT_OK, Format};
use partnerctl::encode::text;
use partnerctl::openapi::import::{self, Options};
use partnerctl::spec::Environment;
use std::io::Write;
use std::path::PathBuf;

/// The formats `import openapi` writes.
const FORMATS: &[Format] = &[Format::Text, Format::Json];

#[derive(clap::Args, Debug, Clone)]
pub struct OpenapiArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// The description, YAML or JSON (OpenAPI 3.0 or 3.1).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The product to write or update (`products/NAME.yaml`, `apis/NAME.yaml`).
    #[arg(long, value_name = "NAME")]
    pub product: String,
    /// A new product's upstream for an environment: `sandbox=https://...`, `production=https://...`.
    #[arg(long = "upstream", value_name = "ENV=URL")]
    pub upstreams: Vec<String>,
    /// A new product's plan: `NAME:REQUESTS/UNIT` (unit second, minute, hour or day), in every
    /// environment given; repeat for more. Default: one `standard` plan, listed in the to-do.
    #[arg(long = "plan", value_name = "NAME:REQUESTS/UNIT")]
    pub plans: Vec<String>,
    /// A new product's lifecycle (beta, ga). Default: beta, listed in the to-do.
    #[arg(long, value_name = "LIFECYCLE")]
    pub lifecycle: Option<String>,
    /// The owning team of a new product (default: the program's owner).
    #[arg(long, value_name = "TEAM")]
    pub owner: Option<String>,
    /// Show what would be written, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn parse(args: &OpenapiArgs) -> anyhow::Result<Options> {
    let product = args.product.clone();
    let mut upstreams = Vec::new();
    for u in &args.upstreams {
        let (env, url) = u.split_once('=').ok_or_else(|| {
            anyhow::anyhow!("--upstream `{u}`: write ENV=URL, e.g. sandbox=https://sandbox.example.internal")
        })?;
        let env = Environment::ALL
            .into_iter()
            .find(|e| e.as_str() == env)
            .ok_or_else(|| anyhow::anyhow!("--upstream `{u}`: the environment is sandbox or production"))?;
        upstreams.push((env, url.to_string()));
    }
    let mut plans = Vec::new();
    for p in &args.plans {
        let bad = || anyhow::anyhow!("--plan `{p}`: write NAME:REQUESTS/UNIT, e.g. standard:50/second");
        let (name, limit) = p.split_once(':').ok_or_else(bad)?;
        let (n, unit) = limit.split_once('/').ok_or_else(bad)?;
        let n: u64 = n.parse().map_err(|_| bad())?;
        if !matches!(unit, "second" | "minute" | "hour" | "day") || n == 0 {
            return Err(bad());
        }
        plans.push((name.to_string(), n, unit.to_string()));
    }
    if let Some(l) = &args.lifecycle
        && !matches!(l.as_str(), "beta" | "ga" | "deprecated" | "retired")
    {
        anyhow::bail!("--lifecycle `{l}`: one of beta, ga, deprecated, retired");
    }
    Ok(Options {
        product,
        upstreams,
        plans,
        owner: args.owner.clone(),
        lifecycle: args.lifecycle.clone(),
    })
}

pub fn run(args: &OpenapiArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "import openapi")?;
    let dry_run = args.dry_run;
    let opts = parse(args)?;
    let outcome = import::plan(&common.dir, &args.file, &opts)?;
    if !dry_run {
        for f in &outcome.files {
            // Through the path door: what stands on the way must be folders, not links (SPEC
            // §9: a link never carries a write out of the program).
            partnerctl::source::paths::write_in_program(&common.dir, &f.path, f.contents.as_bytes())
                .map_err(|e| anyhow::anyhow!("refusing to write {}: {e}", f.path))?;
        }
    }
    let mut out = super::Out::new(common.format);
    if common.format == Format::Json {
        let v = serde_json::json!({
            "ok": true,
            "dryRun": dry_run,
            "operations": outcome.operations,
            "files": outcome.files.iter().map(|f| serde_json::json!({"path": f.path, "action": f.action})).collect::<Vec<_>>(),
            "todo": outcome.todo,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        let verb = if dry_run { "would write" } else { "wrote" };
        for f in &outcome.files {
            writeln!(out, "{verb} {} ({})", text::escape(&f.path), f.action)?;
        }
        writeln!(out, "{} operation(s) read.", outcome.operations)?;
        if !outcome.todo.is_empty() {
            writeln!(out, "\nTo do:")?;
            for t in &outcome.todo {
                writeln!(out, "  - {}", text::escape(t))?;
            }
        }
        writeln!(out, "\nRun `partnerctl validate` next.")?;
    }
    Ok(EXIT_OK)
}
