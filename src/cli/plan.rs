//! `partnerctl plan`.

use super::Common;

#[derive(clap::Args, Debug)]
pub struct PlanArgs {}

pub fn run(_args: &PlanArgs, _common: &Common) -> anyhow::Result<u8> {
    anyhow::bail!("`partnerctl plan` is not available yet")
}
