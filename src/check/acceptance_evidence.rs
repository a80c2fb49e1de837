//! `acceptance-evidence`: with `program.yaml` `spec.agreements.requireEvidence: true`, an
//! acceptance added since the applied state (or `--base`) must carry `textSha256`, `method`
//! and `evidence` (SPEC §15.4). Like `terms-immutable` it needs a base: `plan` runs it, and
//! `validate` when it can read an applied state. An acceptance already applied (a partner's
//! agreement with the same terms and version on the base side) is not judged again, so
//! turning the setting on does not make the program's history an error.

use crate::diag::{Code, Diagnostic};
use crate::model::Program;

/// The findings of the desired program against `base`; nothing unless the desired program
/// requires evidence.
pub fn check(base: &Program, desired: &Program) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if !desired.spec().is_some_and(|s| s.agreements.require_evidence) {
        return out;
    }
    for partner in desired.partners.values() {
        let before = base.partners.get(&partner.name);
        for (i, a) in partner.spec.agreements.iter().enumerate() {
            let applied = before.is_some_and(|b| {
                b.spec
                    .agreements
                    .iter()
                    .any(|x| x.terms == a.terms && x.version == a.version)
            });
            if applied {
                continue;
            }
            let missing: Vec<&str> = [
                ("textSha256", a.text_sha256.is_none()),
                ("method", a.method.is_none()),
                ("evidence", a.evidence.is_none()),
            ]
            .into_iter()
            .filter_map(|(k, m)| m.then_some(k))
            .collect();
            if missing.is_empty() {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Code::AcceptanceEvidence,
                    &partner.at(&format!("/spec/agreements/{i}")),
                    format!(
                        "{} accepts {} \"{}\" without {}; the program requires evidence of every acceptance (spec.agreements.requireEvidence)",
                        partner.name,
                        a.terms,
                        a.version,
                        missing.join(", ")
                    ),
                )
                .with_hint(
                    "add textSha256 (the SHA-256 of the text accepted), method (click-through, issue-form, e-signature or countersigned) and evidence (an https URL to the record); `partnerctl partner accept` and `partnerctl request` write all three",
                ),
            );
        }
    }
    out
}
