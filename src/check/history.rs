//! `history-invalid`: history out of date order, dated after today, skipping a stage, or not
//! ending in `stage`.
//!
//! Allowed moves: one step forward on the onboarding path; from any stage to `suspended` or
//! `offboarded`; from `suspended` back to the stage before it (or on to `offboarded`).

use super::Context;
use crate::diag::{Code, Diagnostic};
use crate::spec::{HistoryEntry, Stage};

/// The stages between `from` and `to` (`to` included) that a history must pass through, one
/// allowed move at a time; `None` when no sequence of moves leads there.
fn steps(history: &[HistoryEntry], from: Stage, to: Stage) -> Option<Vec<Stage>> {
    if to.is_exit() && from != to && from != Stage::Offboarded {
        return Some(vec![to]);
    }
    let from = if from == Stage::Suspended {
        // Back to the stage before the suspension first.
        history.iter().rev().map(|h| h.stage).find(|s| !s.is_exit())?
    } else {
        from
    };
    let (a, b) = (from.path_index()?, to.path_index()?);
    let mut out: Vec<Stage> = Stage::PATH.get(a + 1..=b)?.to_vec();
    if history.last().is_some_and(|h| h.stage == Stage::Suspended) {
        out.insert(0, from);
    }
    (!out.is_empty()).then_some(out)
}

/// `` `- {stage: a, date: YYYY-MM-DD}` and `- {stage: b, date: YYYY-MM-DD}` ``.
fn entries(stages: &[Stage]) -> String {
    let one = |s: &Stage| format!("`- {{stage: {s}, date: YYYY-MM-DD}}`");
    match stages {
        [only] => one(only),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter().map(one).collect::<Vec<_>>().join(", "),
            one(last)
        ),
        [] => String::new(),
    }
}

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
                let hint = match steps(&h[..i], prev.stage, entry.stage) {
                    Some(between) if between.len() > 1 => format!(
                        "partners move one stage at a time: insert {} above it, each with the date it was reached",
                        entries(&between[..between.len() - 1])
                    ),
                    _ => "partners move one stage at a time; correct the stage, or add the stages passed through with their dates".to_string(),
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
                    .with_hint(hint),
                );
            }
        }
        let last = h[h.len() - 1];
        if last.stage != partner.spec.stage {
            // Every stage the partner passed through, so that following the hint leaves a
            // history that moves one step at a time.
            let hint = match steps(h, last.stage, partner.spec.stage) {
                Some(between) => format!(
                    "add {} to the end of the history, each with the date it was reached",
                    entries(&between)
                ),
                None => format!(
                    "no move leads from `{}` to `{}`: set `stage: {}` as the history ends, or correct the history",
                    last.stage, partner.spec.stage, last.stage
                ),
            };
            out.push(
                Diagnostic::new(
                    Code::HistoryInvalid,
                    &partner.at("/spec/stage"),
                    format!("stage is `{}` but history ends at `{}`", partner.spec.stage, last.stage),
                )
                .with_hint(hint),
            );
        }
    }
}
