//! `history-invalid`: history out of date order, dated after today, skipping a stage, or not
//! ending in `stage`.
//!
//! Allowed moves: one step forward on the onboarding path; from any stage to `suspended` or
//! `offboarded`; from `suspended` back to the stage before it (or on to `offboarded`).

use super::Context;
use crate::diag::{Code, Diagnostic};
use crate::spec::Stage;

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for partner in cx.program.partners.values() {
        let h = &partner.spec.history;
        let Some(first) = h.first() else { continue };
        if first.stage != Stage::Registered {
            out.push(
                Diagnostic::new(
                    Code::HistoryInvalid,
                    &partner.at("/spec/history/0/stage"),
                    format!(
                        "history starts at `{}`; every partner starts at `registered`",
                        first.stage
                    ),
                )
                .with_hint("add the earlier stages with the dates they were reached"),
            );
        }
        for (i, entry) in h.iter().enumerate() {
            if entry.date > cx.today {
                out.push(Diagnostic::new(
                    Code::HistoryInvalid,
                    &partner.at(&format!("/spec/history/{i}/date")),
                    format!(
                        "history entry `{}` is dated {}, after today ({})",
                        entry.stage, entry.date, cx.today
                    ),
                ));
            }
            if i == 0 {
                continue;
            }
            let prev = h[i - 1];
            if entry.date < prev.date {
                out.push(Diagnostic::new(
                    Code::HistoryInvalid,
                    &partner.at(&format!("/spec/history/{i}/date")),
                    format!(
                        "history entry `{}` ({}) is dated before the entry above it (`{}`, {})",
                        entry.stage, entry.date, prev.stage, prev.date
                    ),
                ));
            }
            // The stage a suspension returns to: the one before the suspension.
            let before_suspension = h[..i]
                .iter()
                .rev()
                .find(|e| e.stage != Stage::Suspended)
                .map(|e| e.stage);
            let ok = match (prev.stage, entry.stage) {
                (Stage::Offboarded, _) => false,
                (_, Stage::Suspended | Stage::Offboarded) => prev.stage != entry.stage,
                (Stage::Suspended, to) => Some(to) == before_suspension,
                (from, to) => from.next() == Some(to),
            };
            if !ok {
                let expected = match prev.stage {
                    Stage::Offboarded => "nothing: offboarded is final".to_string(),
                    Stage::Suspended => format!(
                        "`{}` (the stage before the suspension) or `offboarded`",
                        before_suspension.map(|s| s.as_str()).unwrap_or("?")
                    ),
                    s => match s.next() {
                        Some(n) => format!("`{n}`, `suspended` or `offboarded`"),
                        None => "`suspended` or `offboarded`".to_string(),
                    },
                };
                out.push(
                    Diagnostic::new(
                        Code::HistoryInvalid,
                        &partner.at(&format!("/spec/history/{i}/stage")),
                        format!(
                            "history moves from `{}` to `{}`; after `{}` comes {expected}",
                            prev.stage, entry.stage, prev.stage
                        ),
                    )
                    .with_hint("partners move one stage at a time; add the missing stages with their dates"),
                );
            }
        }
        let last = h[h.len() - 1];
        if last.stage != partner.spec.stage {
            out.push(
                Diagnostic::new(
                    Code::HistoryInvalid,
                    &partner.at("/spec/stage"),
                    format!("stage is `{}` but history ends at `{}`", partner.spec.stage, last.stage),
                )
                .with_hint(format!(
                    "add `- {{stage: {}, date: YYYY-MM-DD}}` to the history",
                    partner.spec.stage
                )),
            );
        }
    }
}
