//! Printing diagnostics: text (like a compiler), json (SPEC §3), github (workflow annotations).

use super::Common;
use partnerctl::diag::Diagnostic;
use partnerctl::source::Snapshot;

pub fn print(_diags: &[Diagnostic], _files: usize, _snapshot: &Snapshot, _common: &Common) -> anyhow::Result<()> {
    Ok(())
}
