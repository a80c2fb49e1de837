//! `partnerctl validate`.

use super::{Common, EXIT_FINDINGS, EXIT_OK};

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {}

pub fn run(_args: &ValidateArgs, common: &Common) -> anyhow::Result<u8> {
    let v = super::load_and_validate(common)?;
    super::diagnostics::print(&v.diagnostics, v.files, &v.program.snapshot, common)?;
    Ok(if v.has_errors() { EXIT_FINDINGS } else { EXIT_OK })
}
