//! `partnerctl import`.

use super::Common;

#[derive(clap::Args, Debug)]
pub struct ImportArgs {}

pub fn run(_args: &ImportArgs, _common: &Common) -> anyhow::Result<u8> {
    anyhow::bail!("`partnerctl import` is not available yet")
}
