//! `partnerctl explain [CODE]`.

use super::{Common, EXIT_OK, Format};
use partnerctl::diag::Code;
use partnerctl::explain::explain;

/// The formats `explain` writes.
const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Markdown];

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// A check code, e.g. stage-gate. Without it: every code with its summary.
    pub code: Option<String>,
}

pub fn run(args: &ExplainArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "explain")?;
    let codes: Vec<Code> = match &args.code {
        Some(name) => match Code::from_name(name) {
            Some(c) => vec![c],
            None => {
                let names: Vec<String> = Code::ALL.iter().map(|c| c.as_str().to_string()).collect();
                let hint = partnerctl::schema::closest(name, &names)
                    .map(|b| format!(" (did you mean `{b}`?)"))
                    .unwrap_or_default();
                anyhow::bail!("unknown check code `{name}`{hint}; `partnerctl explain` lists them all")
            }
        },
        None => Code::ALL.to_vec(),
    };
    match common.format {
        Format::Json => {
            let list: Vec<_> = codes
                .iter()
                .map(|c| {
                    let e = explain(*c);
                    serde_json::json!({"code": c.as_str(), "severity": c.default_severity().as_str(), "summary": c.summary(), "why": e.why, "example": e.example, "fix": e.fix})
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
        _ if args.code.is_none() => {
            for c in codes {
                println!(
                    "{:<24} {:<8} {}",
                    c.as_str(),
                    c.default_severity().as_str(),
                    c.summary()
                );
            }
        }
        format => {
            for c in codes {
                let e = explain(c);
                let md = format == Format::Markdown;
                if md {
                    // The section of docs/checks.md, as code scanning links to it.
                    print!("{}", partnerctl::explain::markdown(c));
                } else {
                    println!(
                        "{} ({})\n\nWhen: {}\n\nWhy it matters: {}\n\nExample that fires it:\n",
                        c,
                        c.default_severity(),
                        c.summary(),
                        e.why
                    );
                    for line in e.example.lines() {
                        println!("    {line}");
                    }
                    println!("\nWhat to do: {}", e.fix);
                }
            }
        }
    }
    Ok(EXIT_OK)
}
