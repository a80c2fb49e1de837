//! `partnerctl schema [KIND]`: print the JSON schema of a kind (or of a Request), or all.

use super::{Common, EXIT_OK, Format};
use partnerctl::schema::REQUEST;
use partnerctl::spec::Kind;

/// A schema is a JSON document: `schema` writes it as it is, and nothing else.
const FORMATS: &[Format] = &[Format::Json];

#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "json", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// program, product, terms, partner, or request (what `partnerctl request` reads).
    /// Without it: all five, as one JSON object by kind.
    pub kind: Option<String>,
}

pub fn run(args: &SchemaArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "schema")?;
    match &args.kind {
        Some(k) if k.eq_ignore_ascii_case(REQUEST) => print!("{}", partnerctl::schema::request_schema_text()),
        Some(k) => {
            let kind = Kind::parse(k).ok_or_else(|| {
                anyhow::anyhow!("unknown kind `{k}`; use one of: program, product, terms, partner, request")
            })?;
            print!("{}", partnerctl::schema::schema_text(kind));
        }
        None => {
            let mut all: serde_json::Map<String, serde_json::Value> = Kind::ALL
                .iter()
                .map(|k| (k.lower().to_string(), partnerctl::schema::schema_value(*k)))
                .collect();
            all.insert(REQUEST.into(), partnerctl::schema::request_schema_value());
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
    }
    Ok(EXIT_OK)
}
