//! `partnerctl apply`.

use super::Common;

#[derive(clap::Args, Debug)]
pub struct ApplyArgs {}

pub fn run(_args: &ApplyArgs, _common: &Common) -> anyhow::Result<u8> {
    anyhow::bail!("`partnerctl apply` is not available yet")
}
