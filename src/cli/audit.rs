//! `partnerctl audit`.

use super::Common;

#[derive(clap::Args, Debug)]
pub struct AuditArgs {}

pub fn run(_args: &AuditArgs, _common: &Common) -> anyhow::Result<u8> {
    anyhow::bail!("`partnerctl audit` is not available yet")
}
