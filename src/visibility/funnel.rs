//! The onboarding funnel (SPEC §3 `funnel`): partners per stage, conversion, time in stage,
//! stuck partners and, with usage logs, first calls, active and never-called partners.
//!
//! Everything is computed from the partners' histories and the `--as-of` date, so the same
//! repository and date always give the same numbers. The definitions (which stays count for
//! the median, what "within" means) are written down in `docs/funnel.md`.
//!
//! With usage, the measures of SPEC §14 too: the window the logs cover, cohorts by
//! registration month, adoption per product and plan, dormant partners, time to first call
//! (only for partners whose sandbox access began inside the window; the others are unknown,
//! never guessed) and blocked (403/429) answers. A call answered 401 or 403 never makes a
//! partner active, called or dormant.

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
    /// The first day with an accepted call (not 401/403) in the logs.
    pub date: Date,
    /// Days from sandbox access (the day the partner entered `sandbox`, else its first
    /// sandbox credential was issued) to the first call; `None` when that access began
    /// outside the usage window (the true first call may predate the logs) or never.
    pub days_after_sandbox: Option<i64>,
    /// Whether `date` is known to be the partner's first call: its sandbox access began
    /// inside the usage window.
    pub known: bool,
    pub calls: u64,
    /// The last day with an accepted call.
    pub last: Date,
}

/// The first and last day the usage logs cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UsageWindow {
    pub from: Date,
    pub to: Date,
}

/// The partners who registered in one month, and how far they got.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cohort {
    /// `2026-01`: the month of the partner's `registered` history entry (else its first).
    pub month: String,
    pub registered: usize,
    pub reached_sandbox: usize,
    pub reached_live: usize,
    /// The median days from registration to `live`, over the cohort's partners who are live
    /// or have been.
    pub median_days_to_live: Option<f64>,
}

/// Subscribers of one plan of a product in one environment, and how many of them called.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductRow {
    pub product: String,
    pub plan: String,
    pub environment: crate::spec::Environment,
    /// Partners still in the program (not suspended or offboarded) subscribed to the plan
    /// in this environment.
    pub subscribers: usize,
    /// Of them, those with an accepted call in this environment within `activeWithinDays`;
    /// `None` without usage.
    pub active: Option<usize>,
}

/// A distribution of days.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Distribution {
    /// How many partners it is taken over.
    pub n: usize,
    pub median: Option<f64>,
    /// The 90th percentile (nearest rank: the smallest value at least 90% of the values are
    /// at or below).
    pub p90: Option<i64>,
    /// Partners left out because the answer cannot be known from the data.
    pub unknown: usize,
}

impl Distribution {
    pub fn of(mut values: Vec<i64>, unknown: usize) -> Distribution {
        values.sort_unstable();
        let p90 = (!values.is_empty()).then(|| values[(values.len() * 9).div_ceil(10) - 1]);
        Distribution {
            n: values.len(),
            median: median(&mut values),
            p90,
            unknown,
        }
    }
}

/// Calls of a partner answered 403 (refused) or 429 (over the limit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Blocked {
    pub partner: String,
    pub status: u16,
    pub count: u64,
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
    /// The first and last day the logs cover; `None` without `--usage` or without a call.
    pub usage_window: Option<UsageWindow>,
    /// Partners by registration month, oldest first.
    pub cohorts: Vec<Cohort>,
    /// Subscribers (and, with usage, active subscribers) per product, plan and environment.
    pub products: Vec<ProductRow>,
    /// Partners still in the program that made accepted calls, but none within
    /// `activeWithinDays` (empty without `--usage`).
    pub dormant: Vec<String>,
    /// Days from sandbox access to the first call, over the partners whose sandbox access
    /// began inside the usage window; `None` without `--usage`.
    pub time_to_first_call: Option<Distribution>,
    /// Days from registration to `live`, over the partners who reached it (from histories).
    pub time_to_live: Distribution,
    /// 403 and 429 answers per partner (empty without `--usage`).
    pub blocked: Vec<Blocked>,
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
    /// Requests nobody was authenticated for.
    pub anonymous: u64,
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
                // A set: a list's `contains` made this quadratic in the partners.
                let there: std::collections::HashSet<_> =
                    reached.get(&next).map(Vec::as_slice).unwrap_or(&[]).iter().collect();
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
        usage_window: None,
        cohorts: cohorts(program),
        products: products(program, None, today),
        dormant: Vec::new(),
        time_to_first_call: None,
        time_to_live: time_to_live(program),
        blocked: Vec::new(),
    };
    if let Some(usage) = usage {
        let attributed = usage.attribute(program, &BTreeMap::new());
        add_usage(&mut funnel, program, today, usage, &attributed);
    }
    funnel
}

/// The day a partner registered: its `registered` history entry, else its first.
pub fn registered_on(p: &crate::model::Partner) -> Option<Date> {
    p.reached(Stage::Registered)
        .or_else(|| p.spec.history.first().map(|h| h.date))
}

/// The day a partner got sandbox access: it entered `sandbox`, else its first sandbox
/// credential was issued.
pub fn sandbox_access(p: &crate::model::Partner) -> Option<Date> {
    p.reached(Stage::Sandbox).or_else(|| {
        p.spec
            .credentials
            .iter()
            .filter(|c| c.environment == crate::spec::Environment::Sandbox)
            .map(|c| c.created)
            .min()
    })
}

fn month_of(d: Date) -> String {
    d.0.format("%Y-%m").to_string()
}

fn cohorts(program: &Program) -> Vec<Cohort> {
    let mut by_month: BTreeMap<String, (usize, usize, usize, Vec<i64>)> = BTreeMap::new();
    for p in program.partners.values() {
        let Some(reg) = registered_on(p) else { continue };
        let row = by_month.entry(month_of(reg)).or_default();
        row.0 += 1;
        let reached = |s: Stage| p.reached(s).is_some() || p.stage() == s;
        if reached(Stage::Sandbox) || reached(Stage::ProductionRequested) || reached(Stage::Live) {
            row.1 += 1;
        }
        if reached(Stage::Live) {
            row.2 += 1;
            if let Some(live) = p.reached(Stage::Live) {
                row.3.push(reg.days_until(live));
            }
        }
    }
    by_month
        .into_iter()
        .map(|(month, (registered, sandbox, live, mut days))| Cohort {
            month,
            registered,
            reached_sandbox: sandbox,
            reached_live: live,
            median_days_to_live: median(&mut days),
        })
        .collect()
}

fn time_to_live(program: &Program) -> Distribution {
    let mut days = Vec::new();
    let mut unknown = 0;
    for p in program.partners.values() {
        let Some(live) = p.reached(Stage::Live) else {
            unknown += usize::from(p.stage() == Stage::Live);
            continue;
        };
        match p.reached(Stage::Registered) {
            Some(reg) => days.push(reg.days_until(live)),
            None => unknown += 1,
        }
    }
    Distribution::of(days, unknown)
}

fn products(program: &Program, attributed: Option<&Attributed>, today: Date) -> Vec<ProductRow> {
    let window = i64::from(program.active_within_days());
    let mut rows: BTreeMap<(String, String, crate::spec::Environment), (usize, usize)> = BTreeMap::new();
    for p in program.partners.values() {
        if p.stage().is_exit() {
            continue;
        }
        for sub in &p.spec.subscriptions {
            let row = rows
                .entry((sub.product.0.clone(), sub.plan.0.clone(), sub.environment))
                .or_default();
            row.0 += 1;
            let active = attributed
                .and_then(|a| a.by_partner_environment.get(&(p.name.clone(), sub.environment)))
                .and_then(|s| s.last_accepted)
                .is_some_and(|last| last.days_until(today) <= window);
            row.1 += usize::from(active);
        }
    }
    rows.into_iter()
        .map(|((product, plan, environment), (subscribers, active))| ProductRow {
            product,
            plan,
            environment,
            subscribers,
            active: attributed.map(|_| active),
        })
        .collect()
}

fn add_usage(funnel: &mut Funnel, program: &Program, today: Date, usage: &Usage, attributed: &Attributed) {
    let window = i64::from(program.active_within_days());
    let covered = usage.window().map(|(from, to)| UsageWindow { from, to });
    let mut to_first_call = Vec::new();
    let mut unknown = 0usize;
    for p in program.partners.values() {
        let stats = attributed.by_partner.get(&p.name);
        let sandbox = sandbox_access(p);
        // The first call is known only when the logs cover the whole time since sandbox access.
        let inside = match (sandbox, covered) {
            (Some(s), Some(w)) => w.from <= s && s <= w.to,
            _ => false,
        };
        if sandbox.is_some() && !inside {
            unknown += 1;
        }
        if let Some(stats) = stats {
            for (status, count) in [(403u16, stats.status403), (429, stats.status429)] {
                if count > 0 {
                    funnel.blocked.push(Blocked {
                        partner: p.name.clone(),
                        status,
                        count,
                    });
                }
            }
        }
        match stats.and_then(|s| Some((s, s.first_accepted?, s.last_accepted?))) {
            Some((stats, first, last)) => {
                let days = sandbox.filter(|_| inside).map(|s| s.days_until(first));
                if let Some(d) = days {
                    to_first_call.push(d);
                }
                funnel.first_calls.push(FirstCall {
                    partner: p.name.clone(),
                    date: first,
                    days_after_sandbox: days,
                    known: inside,
                    calls: stats.calls,
                    last,
                });
                if last.days_until(today) <= window {
                    funnel.active.push(p.name.clone());
                } else if !p.stage().is_exit() {
                    funnel.dormant.push(p.name.clone());
                }
            }
            None => {
                if !p.spec.credentials.is_empty() && !p.stage().is_exit() {
                    funnel.never_called.push(p.name.clone());
                }
            }
        }
    }
    funnel.usage_window = covered;
    funnel.time_to_first_call = Some(Distribution::of(to_first_call, unknown));
    funnel.products = products(program, Some(attributed), today);
    funnel.usage = Some(UsageSummary {
        files: usage.files.clone(),
        lines: usage.lines,
        calls: usage.calls,
        after_cutoff: usage.after_cutoff,
        unknown_calls: attributed.unknown.iter().map(|(_, s)| s.calls).sum(),
        anonymous: usage.anonymous,
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

/// A number of days as every report writes it, the CLI's and the HTML page's alike:
/// `406 days`, `2.5 days`, `1 day`, `–` for none. The word, not `406d`: the reports already
/// say "174 days" of a stuck partner, and a unit letter is one more thing to decode (a
/// screen reader reads it as a letter).
pub fn days_text(days: Option<f64>) -> String {
    match days {
        None => "–".into(),
        Some(1.0) => "1 day".into(),
        Some(d) if d.fract() == 0.0 => format!("{d:.0} days"),
        Some(d) => format!("{d:.1} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::{Distribution, median};

    #[test]
    fn p90_is_the_nearest_rank() {
        let d = Distribution::of(vec![10, 1, 2, 3, 4, 5, 6, 7, 8, 9], 2);
        assert_eq!((d.n, d.median, d.p90, d.unknown), (10, Some(5.5), Some(9), 2));
        assert_eq!(Distribution::of(vec![4], 0).p90, Some(4));
        assert_eq!(Distribution::of(vec![], 0).p90, None);
    }

    #[test]
    fn median_of_odd_and_even_lists() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 3, 10]), Some(3.5));
    }
}
