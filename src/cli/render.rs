//! `partnerctl render`: render every output of program.yaml and write them atomically,
//! without recording applied state.

use super::{Common, EXIT_FINDINGS, EXIT_OK, Format};
use partnerctl::output::{self, WriteReport};
use serde_json::json;
use std::path::PathBuf;

/// The formats `render` writes.
const FORMATS: &[Format] = &[Format::Text, Format::Json];

#[derive(clap::Args, Debug)]
pub struct RenderArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// Write the outputs below DIR instead of the repository (output paths stay relative).
    #[arg(long = "out-dir", value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Usage logs for the internal `funnel-report` (as `funnel --usage`). May repeat.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub usage: Vec<PathBuf>,
    /// The format of every --usage line; by default each line is told apart by its keys.
    #[arg(long = "usage-format", value_name = "FORMAT", value_enum, default_value = "auto")]
    pub usage_format: super::funnel::UsageFormatArg,
}

pub fn run(args: &RenderArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "render")?;
    let mut v = super::load_and_validate(common)?;
    if v.has_errors() {
        refuse(
            &v.diagnostics,
            &v,
            common,
            "the program has errors; fix them (see `partnerctl validate`)",
        )?;
        return Ok(EXIT_FINDINGS);
    }
    let usage = super::funnel::read_usage(&args.usage, args.usage_format, common.today())?;
    let root = args.out_dir.clone().unwrap_or_else(|| common.dir.clone());
    // Each output is staged (written beside its files, nothing replaced yet) as soon as it is
    // rendered and then let go, so that a large program and every output's bytes are never
    // held at once; the outputs replace the old ones only once all of them rendered.
    let mut staging: Option<output::Staging> = None;
    let mut refused = None;
    let rendered = v.render_each(common.today(), usage.as_ref(), |files| {
        // After a refusal the rest is still rendered (not written), so that a template over
        // its budget is reported as before, whatever the order of the outputs.
        if refused.is_some() {
            return;
        }
        let staged = match &mut staging {
            Some(s) => s.stage(files),
            None => output::Staging::new(&root, &common.dir).and_then(|s| staging.insert(s).stage(files)),
        };
        if let Err(e) = staged {
            refused = Some(e);
        }
    });
    if let Err(e) = rendered {
        drop(staging);
        let Some(d) = partnerctl::template::budget::diagnostic(&e) else {
            return Err(e.into());
        };
        refuse(&[d], &v, common, "a template exceeds its budget")?;
        return Ok(EXIT_FINDINGS);
    }
    if let Some(e) = refused {
        return Err(e.into());
    }
    drop(v);
    let report = match staging {
        Some(s) => s.publish()?,
        // No outputs: nothing to write, but the root is made (and judged) as before.
        None => {
            output::output_root(&root, &common.dir)?;
            WriteReport::default()
        }
    };
    print_report(&report, &root, common.format)?;
    Ok(EXIT_OK)
}

/// Prints the findings that stopped the render: the JSON report with nothing written, or the
/// findings and a line saying why nothing was rendered.
fn refuse(
    diags: &[partnerctl::diag::Diagnostic],
    v: &partnerctl::Validated,
    common: &Common,
    why: &str,
) -> anyhow::Result<()> {
    match common.format {
        Format::Json => {
            let diags: Vec<_> = diags.iter().map(super::diagnostics::json_diag).collect();
            let value = json!({"ok": false, "written": [], "unchanged": [], "diagnostics": diags});
            let mut out = super::Out::new(common.format);
            std::io::Write::write_all(&mut out, serde_json::to_string_pretty(&value)?.as_bytes())?;
            std::io::Write::write_all(&mut out, b"\n")?;
            out.finish()?;
        }
        _ => {
            super::diagnostics::print(diags, v.files, &v.program.snapshot, common)?;
            say!("error: nothing rendered: {why}");
        }
    }
    Ok(())
}

fn print_report(report: &WriteReport, root: &std::path::Path, format: Format) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = super::Out::new(format);
    let esc = partnerctl::encode::text::escape;
    match format {
        Format::Json => {
            let value = json!({
                "ok": true,
                "root": root.display().to_string(),
                "written": report.written,
                "unchanged": report.unchanged,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        }
        _ => {
            for path in &report.written {
                writeln!(out, "wrote      {}", esc(path))?;
            }
            for path in &report.unchanged {
                writeln!(out, "unchanged  {}", esc(path))?;
            }
            writeln!(
                out,
                "{} written, {} unchanged, below {}",
                report.written.len(),
                report.unchanged.len(),
                root.display()
            )?;
        }
    }
    out.finish()?;
    Ok(())
}
