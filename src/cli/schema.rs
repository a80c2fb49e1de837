//! `partnerctl schema [KIND]`: print the JSON schema of a kind (or of a Request), or all.

use super::{Common, EXIT_OK};
use partnerctl::schema::REQUEST;
use partnerctl::spec::Kind;

#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// program, product, terms, partner, or request (SPEC §15.2). Without it: all five, as
    /// one JSON object by kind.
    pub kind: Option<String>,
}

pub fn run(args: &SchemaArgs, _common: &Common) -> anyhow::Result<u8> {
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
