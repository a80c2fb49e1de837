//! `partnerctl render`.

use super::Common;

#[derive(clap::Args, Debug)]
pub struct RenderArgs {}

pub fn run(_args: &RenderArgs, _common: &Common) -> anyhow::Result<u8> {
    anyhow::bail!("`partnerctl render` is not available yet")
}
