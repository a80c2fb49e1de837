//! The onboarding funnel (SPEC §3 `funnel`): partners per stage, conversion, time in stage,
//! stuck partners and, with usage logs, first calls, active and never-called partners.
//!
//! Everything is computed from the partners' histories and the `--as-of` date, so the same
//! repository and date always give the same numbers. The definitions (which stays count for
//! the median, what "within" means) are written down in `docs/funnel.md`.

use super::usage::{Attributed, Usage};
use crate::model::Program;
use crate::spec::{Date, Stage};
use serde::Serialize;
use std::collections::BTreeMap;

/// One row of the funnel.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageRow {
    pub stage: Stage,
    /// Partners whose current stage this is.
    pub count: usize,
    /// Partners whose history ever entered this stage.
    pub reached: usize,
    /// Of the partners who reached this stage, the share (0..1) who also reached the next
    /// stage of the path; `None` for the last stage, the exits, or when nobody reached it.
    pub conversion: Option<f64>,
    /// The median length, in days, of the finished stays in this stage (a stay that is
    /// still going on is not counted); `None` when no stay has finished.
    pub median_days: Option<f64>,
    /// How many finished stays the median is taken over.
    pub finished_stays: usize,
    /// The program's `stuckAfterDays` for this stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stuck_after_days: Option<u32>,
}

/// A partner longer in its stage than the stage allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stuck {
    pub partner: String,
    pub stage: Stage,
    /// Days since the partner entered the stage.
    pub days: i64,
    pub since: Date,
    pub stuck_after_days: u32,
}

/// A partner's first API call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirstCall {
    pub partner: String,
    pub date: Date,
    /// Days from sandbox access (the day the partner entered `sandbox`, else its first
    /// sandbox credential was issued) to the first call.
    pub days_after_sandbox: Option<i64>,
    pub calls: u64,
    pub last: Date,
}

/// The whole funnel report.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Funnel {
    pub as_of: Date,
    pub partners: usize,
    /// Every stage: the path in order, then suspended and offboarded.
    pub stages: Vec<StageRow>,
    pub stuck: Vec<Stuck>,
    /// `activeWithinDays` of the program (or its default).
    pub active_within_days: u32,
    /// Partners with a call within `activeWithinDays` of `asOf` (empty without `--usage`).
    pub active: Vec<String>,
    /// Partners still in the program that have credentials and never called (empty without
    /// `--usage`).
    pub never_called: Vec<String>,
    /// First call per partner that called, by partner name (empty without `--usage`).
    pub first_calls: Vec<FirstCall>,
    /// What the usage logs held; `None` without `--usage`.
    pub usage: Option<UsageSummary>,
}

/// A summary of the usage logs read.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageSummary {
    pub files: Vec<String>,
    pub lines: u64,
    pub calls: u64,
    pub after_cutoff: u64,
    /// Calls from callers the program does not know.
    pub unknown_calls: u64,
    pub problem_count: u64,
    pub problems: Vec<super::usage::UsageProblem>,
}

/// The median of a list of whole days.
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0
    })
}

/// The clock of a partner's current stage: the day it entered it and the stage's
/// `stuckAfterDays`. The partner is stuck once *more than* that many days have passed, so it
/// is stuck from the day after `since + stuckAfterDays` (`funnel` and `due` share this).
pub fn stage_clock(program: &Program, p: &crate::model::Partner) -> Option<(Date, u32)> {
    Some((p.stage_since()?, program.stuck_after_days(p.stage())?))
}

/// Computes the funnel on `today`, with the calls of `usage` when given.
pub fn compute(program: &Program, today: Date, usage: Option<&Usage>) -> Funnel {
    let mut stays: BTreeMap<Stage, Vec<i64>> = BTreeMap::new();
    let mut reached: BTreeMap<Stage, Vec<&str>> = BTreeMap::new();
    let mut count: BTreeMap<Stage, usize> = BTreeMap::new();
    let mut stuck = Vec::new();

    for p in program.partners.values() {
        *count.entry(p.stage()).or_default() += 1;
        let history = &p.spec.history;
        let mut seen: Vec<Stage> = history.iter().map(|h| h.stage).collect();
        seen.push(p.stage());
        seen.sort();
        seen.dedup();
        for s in seen {
            reached.entry(s).or_default().push(p.name.as_str());
        }
        for w in history.windows(2) {
            stays
                .entry(w[0].stage)
                .or_default()
                .push(w[0].date.days_until(w[1].date));
        }
        if let Some((since, limit)) = stage_clock(program, p) {
            let days = since.days_until(today);
            if days > i64::from(limit) {
                stuck.push(Stuck {
                    partner: p.name.clone(),
                    stage: p.stage(),
                    days,
                    since,
                    stuck_after_days: limit,
                });
            }
        }
    }
    stuck.sort_by(|a, b| b.days.cmp(&a.days).then_with(|| a.partner.cmp(&b.partner)));

    let stages = Stage::ALL
        .into_iter()
        .map(|stage| {
            let here = reached.get(&stage).map(Vec::as_slice).unwrap_or(&[]);
            let conversion = stage.next().filter(|_| !here.is_empty()).map(|next| {
                let there = reached.get(&next).map(Vec::as_slice).unwrap_or(&[]);
                let moved = here.iter().filter(|p| there.contains(p)).count();
                moved as f64 / here.len() as f64
            });
            let mut finished = stays.get(&stage).cloned().unwrap_or_default();
            StageRow {
                stage,
                count: count.get(&stage).copied().unwrap_or(0),
                reached: here.len(),
                conversion,
                finished_stays: finished.len(),
                median_days: median(&mut finished),
                stuck_after_days: program.stuck_after_days(stage),
            }
        })
        .collect();

    let mut funnel = Funnel {
        as_of: today,
        partners: program.partners.len(),
        stages,
        stuck,
        active_within_days: program.active_within_days(),
        active: Vec::new(),
        never_called: Vec::new(),
        first_calls: Vec::new(),
        usage: None,
    };
    if let Some(usage) = usage {
        let attributed = usage.attribute(program, &BTreeMap::new());
        add_usage(&mut funnel, program, today, usage, &attributed);
    }
    funnel
}

fn add_usage(funnel: &mut Funnel, program: &Program, today: Date, usage: &Usage, attributed: &Attributed) {
    let window = i64::from(program.active_within_days());
    for p in program.partners.values() {
        match attributed.by_partner.get(&p.name) {
            Some(stats) => {
                let sandbox = p.reached(Stage::Sandbox).or_else(|| {
                    p.spec
                        .credentials
                        .iter()
                        .filter(|c| c.environment == crate::spec::Environment::Sandbox)
                        .map(|c| c.created)
                        .min()
                });
                let first = stats.first_date();
                funnel.first_calls.push(FirstCall {
                    partner: p.name.clone(),
                    date: first,
                    days_after_sandbox: sandbox.map(|s| s.days_until(first)),
                    calls: stats.calls,
                    last: stats.last_date(),
                });
                if stats.last_date().days_until(today) <= window {
                    funnel.active.push(p.name.clone());
                }
            }
            None => {
                if !p.spec.credentials.is_empty() && !p.stage().is_exit() {
                    funnel.never_called.push(p.name.clone());
                }
            }
        }
    }
    funnel.usage = Some(UsageSummary {
        files: usage.files.clone(),
        lines: usage.lines,
        calls: usage.calls,
        after_cutoff: usage.after_cutoff,
        unknown_calls: attributed.unknown.iter().map(|(_, s)| s.calls).sum(),
        problem_count: usage.problem_count,
        problems: usage.problems.clone(),
    });
}

impl Funnel {
    /// The row of a stage.
    pub fn stage(&self, stage: Stage) -> &StageRow {
        // `stages` always holds every stage, in `Stage::ALL` order.
        &self.stages[Stage::ALL.iter().position(|s| *s == stage).unwrap_or(0)]
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_lists() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 3, 10]), Some(3.5));
    }
}
