//! `partnerctl init`.

use super::Common;

#[derive(clap::Args, Debug)]
pub struct InitArgs {}

pub fn run(_args: &InitArgs, _common: &Common) -> anyhow::Result<u8> {
    anyhow::bail!("`partnerctl init` is not available yet")
}
