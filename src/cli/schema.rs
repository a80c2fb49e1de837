//! `partnerctl schema [KIND]`: print the JSON schema of a kind, or all four.

use super::{Common, EXIT_OK};
use partnerctl::spec::Kind;

#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// program, product, terms or partner. Without it: all four, as one JSON object by kind.
    pub kind: Option<String>,
}

pub fn run(args: &SchemaArgs, _common: &Common) -> anyhow::Result<u8> {
    match &args.kind {
        Some(k) => {
            let kind = Kind::parse(k)
                .ok_or_else(|| anyhow::anyhow!("unknown kind `{k}`; use one of: program, product, terms, partner"))?;
            print!("{}", partnerctl::schema::schema_text(kind));
        }
        None => {
            let all: serde_json::Map<String, serde_json::Value> = Kind::ALL
                .iter()
                .map(|k| (k.lower().to_string(), partnerctl::schema::schema_value(*k)))
                .collect();
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
    }
    Ok(EXIT_OK)
}
