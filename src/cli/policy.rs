//! `partnerctl policy ...`.

use super::Common;

#[derive(clap::Subcommand, Debug)]
pub enum PolicyCommand {
    /// Run the program's Rego tests (`policies/*_test.rego`).
    Test,
}

pub fn run(_cmd: &PolicyCommand, _common: &Common) -> anyhow::Result<u8> {
    anyhow::bail!("`partnerctl policy test` is not available yet")
}
