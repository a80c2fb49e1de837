//! `terms-immutable`: a published terms version (its `effective` date on or before today, in
//! the base) never changes again: not its text, not its dates. Partners accepted exactly that
//! text; changing it silently rewrites an agreement. This check needs a base, so it runs in
//! `plan` and `apply` (against the applied state or `--base`), not in `validate`.

use crate::diag::{Code, Diagnostic, Location};
use crate::model::{Program, Terms};
use crate::spec::Date;

/// Compares every version published in `base` with the same version in `desired`.
pub fn check(base: &Program, desired: &Program, today: Date) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, bt) in &base.terms {
        let Some(dt) = desired.terms.get(name) else { continue };
        for bv in bt.spec.versions.iter().filter(|v| Terms::is_published(v, today)) {
            let Some(i) = dt.version_index(&bv.version) else {
                out.push(
                    Diagnostic::new(
                        Code::TermsImmutable,
                        &dt.at("/spec/versions"),
                        format!(
                            "terms {name} version {} was published on {} and cannot be removed",
                            bv.version, bv.effective
                        ),
                    )
                    .with_hint("keep the version; publish a new one to change the terms"),
                );
                continue;
            };
            let dv = &dt.spec.versions[i];
            let mut at = |field: &str, what: String| {
                let pointer = format!("/spec/versions/{i}/{field}");
                // Falls back to the version's own node when the field is not written.
                let loc = dt.at(&pointer);
                out.push(
                    Diagnostic::new(
                        Code::TermsImmutable,
                        &loc,
                        format!("terms {name} version {}: {what}", bv.version),
                    )
                    .with_hint(format!(
                        "version {} took effect on {}; its text and dates are fixed. Publish a new version instead",
                        bv.version, bv.effective
                    )),
                );
            };
            if dv.effective != bv.effective {
                at(
                    "effective",
                    format!(
                        "the published effective date {} was changed to {}",
                        bv.effective, dv.effective
                    ),
                );
            }
            if dv.reaccept_by != bv.reaccept_by {
                let show = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_else(|| "none".into());
                at(
                    "reacceptBy",
                    format!(
                        "reacceptBy was changed from {} to {}",
                        show(bv.reaccept_by),
                        show(dv.reaccept_by)
                    ),
                );
            }
            let before = base.snapshot.bytes(&Terms::text_path(bv));
            let after = desired.snapshot.bytes(&Terms::text_path(dv));
            if before.is_some() && after.is_some() && before != after {
                let loc = Location::file_start(Terms::text_path(dv));
                out.push(
                    Diagnostic::new(
                        Code::TermsImmutable,
                        &loc,
                        format!("terms {name} version {}: the published text was changed", bv.version),
                    )
                    .with_hint(format!(
                        "{} took effect on {}; restore its text and publish a new version with the change",
                        bv.version, bv.effective
                    )),
                );
            }
        }
    }
    out
}
