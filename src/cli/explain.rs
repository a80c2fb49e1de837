//! `partnerctl explain CODE`.

use super::{Common, EXIT_OK};

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A check code, e.g. stage-gate. Without it: every code with its summary.
    pub code: Option<String>,
}

pub fn run(_args: &ExplainArgs, _common: &Common) -> anyhow::Result<u8> {
    Ok(EXIT_OK)
}
