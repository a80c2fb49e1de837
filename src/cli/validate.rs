//! `partnerctl validate`.

use super::{Common, EXIT_FINDINGS, EXIT_OK};

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {}

pub fn run(_args: &ValidateArgs, common: &Common) -> anyhow::Result<u8> {
    let mut v = super::load_and_validate(common)?;
    if v.needs_applied_state() {
        check_against_applied(&mut v, common);
    }
    super::diagnostics::print(&v.diagnostics, v.files, &v.program.snapshot, common)?;
    let code = if v.has_errors() { EXIT_FINDINGS } else { EXIT_OK };
    // The process ends right after this; freeing a large program piece by piece would only
    // delay the exit (about a tenth of validate's time on 10,000 partners).
    std::mem::forget(v);
    Ok(code)
}

/// `acceptance-evidence` needs the applied state: read it from git when there is one. A
/// folder outside git, or a repository where nothing is applied yet, has none, and the rule
/// waits for `plan`; a state that cannot be read is said, not taken for "nothing applied".
fn check_against_applied(v: &mut partnerctl::Validated, common: &Common) {
    use partnerctl::state::Store;
    let Ok(store) = Store::open(&common.dir, None) else {
        return;
    };
    match store.load() {
        Ok(applied) => {
            if let Some(snapshot) = applied.snapshot {
                v.check_against_applied(snapshot, common.today());
            }
        }
        Err(e) => super::warn(&format!(
            "acceptance-evidence is not checked: the applied state cannot be read: {e}"
        )),
    }
}
