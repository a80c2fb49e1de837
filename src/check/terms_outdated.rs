//! `terms-outdated`: the newest accepted version of a terms the partner needs is older than
//! the current one. A warning, and an error once a newer published version's `reacceptBy`
//! date has passed.

use super::Context;
use super::terms_missing::needed_terms;
use crate::diag::{Code, Diagnostic, Severity};

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for partner in cx.program.partners.values() {
        for (name, _) in needed_terms(cx, partner) {
            let Some(terms) = cx.program.terms.get(&name) else {
                continue;
            };
            let Some((i, accepted)) = partner.accepted(&name, cx.program) else {
                continue;
            };
            let Some(accepted_idx) = terms.version_index(&accepted.version) else {
                continue;
            };
            let Some(current) = terms.current(cx.today) else {
                continue;
            };
            let current_idx = terms.version_index(&current.version).unwrap_or(0);
            if accepted_idx >= current_idx {
                continue;
            }
            // The earliest passed deadline among the newer published versions decides.
            let overdue = terms.spec.versions[accepted_idx + 1..=current_idx]
                .iter()
                .filter_map(|v| v.reaccept_by.map(|by| (v, by)))
                .filter(|(_, by)| *by < cx.today)
                .min_by_key(|(_, by)| *by);
            let at = partner.at(&format!("/spec/agreements/{i}/version"));
            let d = match overdue {
                Some((v, by)) => Diagnostic::new(
                    Code::TermsOutdated,
                    &at,
                    format!(
                        "{} accepted {name} \"{}\", but version \"{}\" had to be re-accepted by {by}; the current version is \"{}\"",
                        partner.name, accepted.version, v.version, current.version
                    ),
                )
                .with_severity(Severity::Error),
                None => {
                    let by = current.reaccept_by.map(|b| format!(", to be re-accepted by {b}")).unwrap_or_default();
                    Diagnostic::new(
                        Code::TermsOutdated,
                        &at,
                        format!(
                            "{} accepted {name} \"{}\"; the current version is \"{}\" (effective {}){by}",
                            partner.name, accepted.version, current.version, current.effective
                        ),
                    )
                }
            };
            // The exception route is for the while a re-acceptance is negotiated: it keeps the
            // finding visible, as a warning carrying its reason, until a reviewed date.
            let max_days = cx
                .program
                .spec()
                .and_then(|p| p.exceptions_max_days)
                .unwrap_or(crate::spec::DEFAULT_EXCEPTIONS_MAX_DAYS);
            out.push(d.with_hint(format!(
                "once the partner accepts, add `- {{terms: {name}, version: \"{}\", acceptedOn: YYYY-MM-DD, signedBy: ...}}` under spec.agreements; while that is negotiated, an exception keeps it a warning: add `- {{code: terms-outdated, resource: partner/{}, until: YYYY-MM-DD, reason: \"...\"}}` under spec.exceptions in program.yaml (until at most {max_days} days ahead)",
                current.version, partner.name
            )));
        }
    }
}
