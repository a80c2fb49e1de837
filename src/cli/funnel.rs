//! `partnerctl funnel`.

use super::Common;

#[derive(clap::Args, Debug)]
pub struct FunnelArgs {}

pub fn run(_args: &FunnelArgs, _common: &Common) -> anyhow::Result<u8> {
    anyhow::bail!("`partnerctl funnel` is not available yet")
}
