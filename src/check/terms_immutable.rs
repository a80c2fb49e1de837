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
            if let (Some(before), Some(after)) = (&before, &after)
                && before != after
            {
                // Where the text first differs, so that the finding (and its frame) shows the
                // edit rather than the top of the file.
                let line = first_changed_line(before, after);
                let loc = Location::new(Terms::text_path(dv), line, 1);
                let next = next_version(&dt.spec.versions.iter().map(|v| v.version.as_str()).collect::<Vec<_>>());
                out.push(
                    Diagnostic::new(
                        Code::TermsImmutable,
                        &loc,
                        format!(
                            "terms {name} version {}: the published text was changed (line {line}); partners accepted it as it was on {}",
                            bv.version, bv.effective
                        ),
                    )
                    .with_hint(format!(
                        "restore {} as published and put the change in a new version: a new file (e.g. {name}/{next}.md) and `- {{version: \"{next}\", effective: YYYY-MM-DD, file: {name}/{next}.md}}` at the end of spec.versions in {}",
                        Terms::text_path(dv),
                        dt.file
                    )),
                );
            }
        }
    }
    out
}

/// The 1-based line where two texts first differ (one past the shorter when one extends the
/// other).
fn first_changed_line(before: &[u8], after: &[u8]) -> usize {
    let a = before.split_inclusive(|b| *b == b'\n');
    let mut b = after.split_inclusive(|b| *b == b'\n');
    let mut line = 1;
    for x in a {
        match b.next() {
            Some(y) if x == y => line += 1,
            _ => return line,
        }
    }
    line
}

/// A version string after every one listed: the last one's major number plus one (`"2.0"` →
/// `"3.0"`), or the last one with `-2` appended when it has no number.
fn next_version(versions: &[&str]) -> String {
    let last = versions.last().copied().unwrap_or("1");
    let major: Option<u64> = last
        .split('.')
        .next()
        .and_then(|m| m.trim_start_matches('v').parse().ok());
    let mut candidate = match major {
        Some(m) => format!("{}.0", m + 1),
        None => format!("{last}-2"),
    };
    while versions.contains(&candidate.as_str()) {
        candidate.push_str(".1");
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_changed_line_and_the_next_version() {
        assert_eq!(first_changed_line(b"a\nb\nc\n", b"a\nb\nC\n"), 3);
        assert_eq!(first_changed_line(b"a\nb\n", b"a\nb\nc\n"), 3);
        assert_eq!(first_changed_line(b"x\n", b"y\n"), 1);
        assert_eq!(next_version(&["1.0", "2.0"]), "3.0");
        assert_eq!(next_version(&["2026-q1"]), "2026-q1-2");
        assert_eq!(next_version(&["beta"]), "beta-2");
    }
}
