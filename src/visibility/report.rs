//! The `funnel-report` target: an internal HTML page with the onboarding funnel (never part of
//! the partner portal). One self-contained file: inline CSS, inline SVG charts, no script,
//! no fonts or images to fetch. Deterministic, and the same on every day until a date the
//! program holds arrives (a partner becomes stuck): it prints no render date; with usage, the
//! day the usage measures are taken on.
//!
//! The charts (the funnel, the stages month by month, cohorts, product adoption) are drawn
//! 360 units wide, so that on a phone they are shown at about their own size and their text
//! stays readable; each has its numbers in a table beside it, which a screen reader reads.
//! With usage (`render --usage`), the page also states the usage window and lists active,
//! dormant, never-called and blocked partners.

use crate::model::Program;
use crate::spec::{Date, HistoryEntry, Stage};
use crate::visibility::funnel;
use crate::visibility::usage::Usage;
use chrono::{Datelike, NaiveDate};
use std::fmt::Write;

fn esc(s: &str) -> String {
    crate::encode::html::escape(s)
}

fn label(stage: Stage) -> String {
    stage.as_str().replace('_', " ")
}

/// The last day of a month, or `today` for the month that holds it.
fn month_end(year: i32, month: u32, today: Date) -> Date {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    let end = next.and_then(|d| d.pred_opt()).map(Date).unwrap_or(today);
    end.min(today)
}

/// Partners per stage at the end of each month, from the month of the first history entry
/// to that of the last one on or before `today`. After the last stage change every month
/// would repeat the last row, and a row per month up to `today` would change the report on
/// the first of every month with nothing happened (SPEC §16: a day passing changes an output
/// only through a date the program holds).
///
/// A partner's stage at a month's end is its last history entry dated on or before it, so it
/// can change only in a month that holds one of its dates: each partner is looked at in those
/// months alone and counted, through a running sum, in every month until its next change.
/// (Looking at every partner in every month cost the months times the partners.)
pub fn monthly(program: &Program, today: Date) -> Vec<(String, [usize; 7])> {
    let Some(start) = program
        .partners
        .values()
        .filter_map(|p| p.spec.history.first().map(|h| h.date))
        .min()
    else {
        return Vec::new();
    };
    let last = program
        .partners
        .values()
        .flat_map(|p| p.spec.history.iter().map(|h| h.date))
        .filter(|d| *d <= today)
        .max()
        .unwrap_or(start)
        .min(today);
    let (mut y, mut m) = (start.0.year(), start.0.month());
    let mut months: Vec<(String, Date)> = Vec::new();
    while (y, m) <= (last.0.year(), last.0.month()) {
        months.push((format!("{y:04}-{m:02}"), month_end(y, m, today)));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        if months.len() > 1200 {
            break; // a hundred years is enough for any chart
        }
    }
    let ends: Vec<Date> = months.iter().map(|(_, end)| *end).collect();
    let counts = stage_counts(program.partners.values().map(|p| p.spec.history.as_slice()), &ends);
    months.into_iter().map(|(month, _)| month).zip(counts).collect()
}

/// The stage (its place in `Stage::ALL`) of a history at `end`: its last entry dated on or
/// before it.
fn stage_at(history: &[HistoryEntry], end: Date) -> Option<usize> {
    history
        .iter()
        .rev()
        .find(|h| h.date <= end)
        .map(|h| Stage::ALL.iter().position(|s| *s == h.stage).unwrap_or(0))
}

/// How many histories are in each stage at each of `ends` (ascending).
fn stage_counts<'a>(histories: impl Iterator<Item = &'a [HistoryEntry]>, ends: &[Date]) -> Vec<[usize; 7]> {
    // changes[i][s]: histories that enter stage s at ends[i], less those that leave it there.
    let mut changes = vec![[0isize; 7]; ends.len()];
    let mut firsts: Vec<usize> = Vec::new();
    for history in histories {
        // Where this history's stage can change: the first end on or after each of its dates.
        firsts.clear();
        firsts.extend(history.iter().map(|h| ends.partition_point(|end| *end < h.date)));
        firsts.sort_unstable();
        firsts.dedup();
        let mut current: Option<usize> = None;
        for &i in firsts.iter().filter(|i| **i < ends.len()) {
            let stage = stage_at(history, ends[i]);
            if stage == current {
                continue;
            }
            if let Some(was) = current {
                changes[i][was] -= 1;
            }
            if let Some(now) = stage {
                changes[i][now] += 1;
            }
            current = stage;
        }
    }
    let mut counts = [0isize; 7];
    changes
        .iter()
        .map(|change| {
            for (c, d) in counts.iter_mut().zip(change) {
                *c += d;
            }
            counts.map(|c| usize::try_from(c).unwrap_or(0))
        })
        .collect()
}

/// The width of every chart, in SVG units (about a phone's width in CSS pixels).
const W: f64 = 360.0;

/// One colour per stage, in `Stage::ALL` order (distinct in hue and lightness).
const STAGE_COLOURS: [&str; 7] = [
    "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#2ca25f", "#fdae6b", "#969696",
];

fn svg_open(h: f64, label: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {h}\" width=\"{W}\" height=\"{h}\" class=\"chart\" role=\"img\" aria-label=\"{}\">\n",
        esc(label)
    )
}

fn svg_funnel(f: &funnel::Funnel) -> String {
    const ROW: f64 = 44.0;
    let path: Vec<&funnel::StageRow> = Stage::PATH.iter().map(|s| f.stage(*s)).collect();
    let max = path.iter().map(|r| r.reached).max().unwrap_or(0).max(1) as f64;
    let h = ROW * path.len() as f64 + 4.0;
    let mut s = svg_open(h, "Onboarding funnel: partners who reached each stage");
    for (i, row) in path.iter().enumerate() {
        let width = (row.reached as f64 / max * W).max(2.0);
        let x = (W - width) / 2.0;
        let y = i as f64 * ROW;
        let conv = row
            .conversion
            .map(|c| format!(" · {:.0}% on", c * 100.0))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  <text x=\"0\" y=\"{:.1}\" font-size=\"13\" fill=\"#222\">{}: {} reached, {} now{conv}</text>",
            y + 14.0,
            label(row.stage),
            row.reached,
            row.count
        );
        let _ = writeln!(
            s,
            "  <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"18\" rx=\"3\" fill=\"{}\"><title>{}: {} reached</title></rect>",
            y + 20.0,
            STAGE_COLOURS[i],
            label(row.stage),
            row.reached
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Stacked bars: the partners in each stage at the end of each month (the last 24 months).
fn svg_monthly(rows: &[(String, [usize; 7])]) -> String {
    let rows = &rows[rows.len().saturating_sub(24)..];
    let legend_rows = Stage::ALL.len().div_ceil(2) as f64;
    let plot = 160.0;
    let top = 8.0;
    let h = top + plot + 22.0 + legend_rows * 18.0 + 4.0;
    let max = rows
        .iter()
        .map(|(_, c)| c.iter().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut s = svg_open(h, "Partners per stage at the end of each month");
    let left = 28.0;
    let slot = (W - left) / rows.len().max(1) as f64;
    let bar = (slot * 0.7).max(1.0);
    let _ = writeln!(
        s,
        "  <text x=\"0\" y=\"{:.1}\" font-size=\"11\" fill=\"#222\">{max}</text>\n  <text x=\"0\" y=\"{:.1}\" font-size=\"11\" fill=\"#222\">0</text>\n  <line x1=\"{left}\" y1=\"{:.1}\" x2=\"{W}\" y2=\"{:.1}\" stroke=\"#888\"/>",
        top + 10.0,
        top + plot,
        top + plot,
        top + plot
    );
    for (i, (month, counts)) in rows.iter().enumerate() {
        let x = left + i as f64 * slot + (slot - bar) / 2.0;
        let mut y = top + plot;
        for (k, c) in counts.iter().enumerate() {
            if *c == 0 {
                continue;
            }
            let hh = *c as f64 / max * plot;
            y -= hh;
            let _ = writeln!(
                s,
                "  <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{hh:.1}\" fill=\"{}\"><title>{month}: {c} {}</title></rect>",
                STAGE_COLOURS[k],
                label(Stage::ALL[k])
            );
        }
    }
    // First and last month under the axis; every month is in the table below.
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        let _ = writeln!(
            s,
            "  <text x=\"{left}\" y=\"{:.1}\" font-size=\"11\" fill=\"#222\">{}</text>\n  <text x=\"{W}\" y=\"{:.1}\" font-size=\"11\" fill=\"#222\" text-anchor=\"end\">{}</text>",
            top + plot + 14.0,
            first.0,
            top + plot + 14.0,
            last.0
        );
    }
    for (k, st) in Stage::ALL.iter().enumerate() {
        let x = if k % 2 == 0 { 0.0 } else { W / 2.0 };
        let y = top + plot + 24.0 + (k / 2) as f64 * 18.0;
        let _ = writeln!(
            s,
            "  <rect x=\"{x}\" y=\"{y:.1}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#222\">{}</text>",
            STAGE_COLOURS[k],
            x + 16.0,
            y + 10.5,
            label(*st)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Per registration month (the last 24), three bars: registered, reached sandbox, reached live.
fn svg_cohorts(cohorts: &[funnel::Cohort]) -> String {
    let cohorts = &cohorts[cohorts.len().saturating_sub(24)..];
    const ROW: f64 = 58.0;
    let h = ROW * cohorts.len() as f64 + 22.0;
    let max = cohorts.iter().map(|c| c.registered).max().unwrap_or(0).max(1) as f64;
    let mut s = svg_open(
        h,
        "Cohorts by registration month: registered, reached sandbox, reached live",
    );
    let colours = [STAGE_COLOURS[0], STAGE_COLOURS[2], STAGE_COLOURS[4]];
    for (i, c) in cohorts.iter().enumerate() {
        let y = i as f64 * ROW;
        // The median days to live is in the table: the line must fit a phone's width.
        let _ = writeln!(
            s,
            "  <text x=\"0\" y=\"{:.1}\" font-size=\"13\" fill=\"#222\">{}: {} registered · {} sandbox · {} live</text>",
            y + 13.0,
            esc(&c.month),
            c.registered,
            c.reached_sandbox,
            c.reached_live
        );
        for (k, (n, what)) in [
            (c.registered, "registered"),
            (c.reached_sandbox, "reached sandbox"),
            (c.reached_live, "reached live"),
        ]
        .into_iter()
        .enumerate()
        {
            let width = (n as f64 / max * W).max(1.0);
            let _ = writeln!(
                s,
                "  <rect x=\"0\" y=\"{:.1}\" width=\"{width:.1}\" height=\"10\" fill=\"{}\"><title>{}: {n} {what}</title></rect>",
                y + 19.0 + k as f64 * 12.0,
                colours[k],
                esc(&c.month)
            );
        }
    }
    let y = ROW * cohorts.len() as f64 + 6.0;
    for (k, (x, what)) in [(0.0, "registered"), (100.0, "reached sandbox"), (240.0, "reached live")]
        .into_iter()
        .enumerate()
    {
        let _ = writeln!(
            s,
            "  <rect x=\"{x}\" y=\"{y:.1}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#222\">{what}</text>",
            colours[k],
            x + 16.0,
            y + 10.5
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Per product, plan and environment: subscribers, with the active ones (with usage) on top.
fn svg_products(products: &[funnel::ProductRow]) -> String {
    const ROW: f64 = 40.0;
    let h = ROW * products.len() as f64 + 4.0;
    let max = products.iter().map(|p| p.subscribers).max().unwrap_or(0).max(1) as f64;
    let mut s = svg_open(h, "Product adoption: subscribers and active subscribers per plan");
    for (i, p) in products.iter().enumerate() {
        let y = i as f64 * ROW;
        let active = p.active.map(|a| format!(", {a} active")).unwrap_or_default();
        let _ = writeln!(
            s,
            "  <text x=\"0\" y=\"{:.1}\" font-size=\"13\" fill=\"#222\">{} {} ({}): {} subscribers{active}</text>",
            y + 13.0,
            esc(&p.product),
            esc(&p.plan),
            p.environment.as_str(),
            p.subscribers
        );
        let width = (p.subscribers as f64 / max * W).max(1.0);
        let _ = writeln!(
            s,
            "  <rect x=\"0\" y=\"{:.1}\" width=\"{width:.1}\" height=\"14\" fill=\"#c6dbef\"><title>{} subscribers</title></rect>",
            y + 19.0,
            p.subscribers
        );
        if let Some(a) = p.active {
            let width = a as f64 / max * W;
            let _ = writeln!(
                s,
                "  <rect x=\"0\" y=\"{:.1}\" width=\"{width:.1}\" height=\"14\" fill=\"#08519c\"><title>{a} active</title></rect>",
                y + 19.0
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

fn names(program: &Program, list: &[String]) -> String {
    if list.is_empty() {
        return "none".into();
    }
    list.iter()
        .map(|n| {
            let shown = program
                .partners
                .get(n)
                .map(|p| p.spec.display_name.as_str())
                .unwrap_or(n);
            format!("{} <span class=\"note\">({})</span>", esc(shown), esc(n))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn days(d: Option<f64>) -> String {
    d.map(|d| format!("{d:.1}")).unwrap_or_else(|| "–".into())
}

/// The report's Content-Security-Policy, like the portal's (SPEC §9): no script, plugin,
/// form or `<base>`; its one stylesheet is inline, so inline styles only.
const CSP: &str = "default-src 'none'; script-src 'none'; object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'; style-src 'unsafe-inline'";

/// Renders the funnel report page from the repository alone.
pub fn render(program: &Program, today: Date) -> String {
    render_with_usage(program, today, None)
}

/// Renders the funnel report page, with the calls of `usage` when given.
pub fn render_with_usage(program: &Program, today: Date, usage: Option<&Usage>) -> String {
    let f = funnel::compute(program, today, usage);
    let title = program
        .spec()
        .map(|p| p.display_name.as_str())
        .unwrap_or(program.name());
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"robots\" content=\"noindex\">\n<title>Onboarding funnel — {t}</title>\n<style>\nbody{{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222;padding:0 1rem}}\n.chart{{display:block;width:100%;max-width:36rem;height:auto;margin:1rem 0}}\n.scroll{{overflow-x:auto;max-width:100%}}\ntable{{border-collapse:collapse;margin:1rem 0}}\nth,td{{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}}\nth:first-child,td:first-child{{text-align:left;white-space:nowrap}}\n.note{{color:#595959}}\n</style>\n</head>\n<body>\n<header>\n<h1>Onboarding funnel — {t}</h1>\n<p class=\"note\">Internal report{d}. {n} partners.</p>\n</header>\n<main>\n",
        csp = CSP,
        t = esc(title),
        // Only the usage measures (active, dormant) are of a day: without usage nothing
        // here is, and the report does not print one (SPEC §16).
        d = if usage.is_some() {
            format!(", usage as of {today}")
        } else {
            String::new()
        },
        n = f.partners
    );
    let table = |s: &mut String, label: &str, head: &str| {
        let _ = write!(
            s,
            "<div class=\"scroll\" role=\"region\" aria-label=\"{} (table)\" tabindex=\"0\">\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n",
            esc(label)
        );
    };
    const END: &str = "</tbody>\n</table>\n</div>\n";
    s.push_str("<section aria-labelledby=\"funnel\">\n<h2 id=\"funnel\">Funnel</h2>\n");
    s.push_str(&svg_funnel(&f));
    table(
        &mut s,
        "Funnel table",
        "<th>stage</th><th>now</th><th>reached</th><th>to next stage</th><th>median days in stage</th><th>stuck after</th>",
    );
    for row in &f.stages {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            label(row.stage),
            row.count,
            row.reached,
            row.conversion
                .map(|c| format!("{:.0}%", c * 100.0))
                .unwrap_or_else(|| "–".into()),
            days(row.median_days),
            row.stuck_after_days
                .map(|d| format!("{d} days"))
                .unwrap_or_else(|| "–".into())
        );
    }
    s.push_str(END);
    let ttl = &f.time_to_live;
    let _ = writeln!(
        s,
        "<p>Time to live (registration to live): median {} days, p90 {} days, over {} partners.</p>\n</section>",
        days(ttl.median),
        ttl.p90.map(|d| d.to_string()).unwrap_or_else(|| "–".into()),
        ttl.n
    );

    s.push_str("<section aria-labelledby=\"stuck\">\n<h2 id=\"stuck\">Stuck partners</h2>\n");
    if f.stuck.is_empty() {
        s.push_str("<p>No partner is stuck.</p>\n");
    } else {
        table(
            &mut s,
            "Stuck partners",
            "<th>partner</th><th>stage</th><th>since</th><th>stuck from</th><th>limit (days)</th>",
        );
        for st in &f.stuck {
            let name = program
                .partners
                .get(&st.partner)
                .map(|p| p.spec.display_name.as_str())
                .unwrap_or(&st.partner);
            let _ = writeln!(
                s,
                "<tr><td>{} <span class=\"note\">({})</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(name),
                esc(&st.partner),
                label(st.stage),
                st.since,
                // The day it became stuck, not a count of days that grows every day.
                st.since
                    .0
                    .checked_add_days(chrono::Days::new(u64::from(st.stuck_after_days) + 1))
                    .map(|d| Date(d).to_string())
                    .unwrap_or_default(),
                st.stuck_after_days
            );
        }
        s.push_str(END);
    }
    s.push_str("</section>\n");

    if let Some(u) = &f.usage {
        s.push_str("<section aria-labelledby=\"usage\">\n<h2 id=\"usage\">Usage</h2>\n");
        match f.usage_window {
            Some(w) => {
                let _ = writeln!(
                    s,
                    "<p>Usage window: <strong>{} to {}</strong> ({} calls). A partner whose sandbox access began outside it has an unknown time to first call.</p>",
                    w.from, w.to, u.calls
                );
            }
            None => s.push_str("<p>Usage window: the logs hold no call.</p>\n"),
        }
        let _ = writeln!(
            s,
            "<ul>\n<li>Active (an accepted call within {d} days): {}</li>\n<li>Dormant (called, not within {d} days): {}</li>\n<li>Never called: {}</li>",
            names(program, &f.active),
            names(program, &f.dormant),
            names(program, &f.never_called),
            d = f.active_within_days
        );
        if let Some(t) = &f.time_to_first_call {
            let _ = writeln!(
                s,
                "<li>Time to first call (from sandbox access): median {} days, p90 {} days, over {} partners; unknown for {}</li>",
                days(t.median),
                t.p90.map(|d| d.to_string()).unwrap_or_else(|| "–".into()),
                t.n,
                t.unknown
            );
        }
        s.push_str("</ul>\n");
        if !f.blocked.is_empty() {
            table(
                &mut s,
                "Blocked answers",
                "<th>partner</th><th>status</th><th>calls</th>",
            );
            for b in &f.blocked {
                let _ = writeln!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&b.partner),
                    b.status,
                    b.count
                );
            }
            s.push_str(END);
        }
        s.push_str("</section>\n");
    }

    let months = monthly(program, today);
    s.push_str("<section aria-labelledby=\"monthly\">\n<h2 id=\"monthly\">Partners per stage, month by month</h2>\n<p class=\"note\">The stage each partner was in at the end of the month, from the histories.</p>\n");
    if !months.is_empty() {
        s.push_str(&svg_monthly(&months));
    }
    let mut head = "<th>month</th>".to_string();
    for st in Stage::ALL {
        let _ = write!(head, "<th>{}</th>", label(st));
    }
    table(&mut s, "Partners per stage, month by month", &head);
    for (month, counts) in &months {
        let _ = write!(s, "<tr><td>{month}</td>");
        for c in counts {
            let _ = write!(s, "<td>{c}</td>");
        }
        s.push_str("</tr>\n");
    }
    s.push_str(END);
    s.push_str("</section>\n");

    s.push_str("<section aria-labelledby=\"cohorts\">\n<h2 id=\"cohorts\">Cohorts by registration month</h2>\n");
    if f.cohorts.is_empty() {
        s.push_str("<p>No partner has a registration date.</p>\n");
    } else {
        s.push_str(&svg_cohorts(&f.cohorts));
        table(
            &mut s,
            "Cohorts by registration month",
            "<th>month</th><th>registered</th><th>reached sandbox</th><th>reached live</th><th>median days to live</th>",
        );
        for c in &f.cohorts {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.month),
                c.registered,
                c.reached_sandbox,
                c.reached_live,
                days(c.median_days_to_live)
            );
        }
        s.push_str(END);
    }
    s.push_str("</section>\n");

    s.push_str("<section aria-labelledby=\"products\">\n<h2 id=\"products\">Product adoption</h2>\n");
    if f.products.is_empty() {
        s.push_str("<p>No partner subscribes to a product.</p>\n");
    } else {
        if usage.is_none() {
            s.push_str(
                "<p class=\"note\">Active subscribers need usage logs (<code>render --usage FILE</code>).</p>\n",
            );
        }
        s.push_str(&svg_products(&f.products));
        table(
            &mut s,
            "Product adoption",
            "<th>product</th><th>plan</th><th>environment</th><th>subscribers</th><th>active</th>",
        );
        for p in &f.products {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&p.product),
                esc(&p.plan),
                p.environment.as_str(),
                p.subscribers,
                p.active.map(|a| a.to_string()).unwrap_or_else(|| "–".into())
            );
        }
        s.push_str(END);
    }
    s.push_str("</section>\n</main>\n</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every history at every end, the slow way.
    fn counted_one_by_one(histories: &[Vec<HistoryEntry>], ends: &[Date]) -> Vec<[usize; 7]> {
        ends.iter()
            .map(|end| {
                let mut counts = [0usize; 7];
                for h in histories {
                    if let Some(s) = stage_at(h, *end) {
                        counts[s] += 1;
                    }
                }
                counts
            })
            .collect()
    }

    #[test]
    fn counts_by_stage_changes_as_every_month_does() {
        let date = |d: u32| Date(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(d)));
        let ends: Vec<Date> = (0..30).map(|m| date(m * 13 + 5)).collect();
        // Seeded variety: histories in order, out of order, on one day, after the last end,
        // and empty.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let histories: Vec<Vec<HistoryEntry>> = (0..300)
            .map(|_| {
                let len = next(7);
                let mut day = next(200) as u32;
                let mut h: Vec<HistoryEntry> = (0..len)
                    .map(|_| {
                        day += next(90) as u32;
                        HistoryEntry {
                            stage: Stage::ALL[next(7) as usize],
                            date: date(day),
                        }
                    })
                    .collect();
                if next(4) == 0 {
                    h.reverse();
                }
                h
            })
            .collect();
        let fast = stage_counts(histories.iter().map(Vec::as_slice), &ends);
        assert_eq!(fast, counted_one_by_one(&histories, &ends));
        assert!(
            fast.iter().any(|c| c.iter().sum::<usize>() > 100),
            "the test counts something"
        );
    }
}
