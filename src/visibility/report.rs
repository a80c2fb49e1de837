//! The `funnel-report` target: an internal HTML page with the onboarding funnel (never part of
//! the partner portal). One self-contained file: inline CSS, inline SVG charts, no script,
//! no fonts or images to fetch. Deterministic, and the same on every day until a date the
//! program holds arrives (a partner becomes stuck, a deadline passes): it prints no render
//! date and no count of days; with usage, the day the usage measures are taken on.
//!
//! It opens with what to act on (stuck partners; what `due` lists, re-acceptances among it;
//! with usage, the partners that stopped calling), then the funnel with its table, the
//! stages month by month, one chart of every registration cohort and product adoption
//! (charts in [`charts`], every axis labelled; the numbers of each in a table, folded under
//! the chart where the chart says it already, which a screen reader opens). On a wide
//! screen the sections sit in two columns, so that a program like the example fits two
//! screens. With usage (`render --usage`), the page also states the usage window and lists
//! active, dormant, never-called and blocked partners.

use crate::model::Program;
use crate::spec::{Date, HistoryEntry, Stage};
use crate::visibility::usage::Usage;
use crate::visibility::{charts, funnel};
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

/// One colour per stage, in `Stage::ALL` order (distinct in hue and lightness).
const STAGE_COLOURS: [&str; 7] = [
    "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#2ca25f", "#fdae6b", "#969696",
];

/// How many entries a card of "to act on" lists before pointing at the full list.
const CARD_ITEMS: usize = 6;

/// Every partner whose display name the page may show: [`display_name`] is asked only for
/// the partners the funnel lists (stuck, dormant, active, never called, with a first call,
/// blocked). A plan relies on this: a change to display names alone that none of these hold
/// leaves the page as it is (`plan::outputs`). Keep it in step with the callers of
/// [`display_name`].
pub fn partners_named(f: &funnel::Funnel) -> std::collections::BTreeSet<&str> {
    f.stuck
        .iter()
        .map(|s| s.partner.as_str())
        .chain(f.first_calls.iter().map(|c| c.partner.as_str()))
        .chain(f.blocked.iter().map(|b| b.partner.as_str()))
        .chain(
            [&f.active, &f.dormant, &f.never_called]
                .into_iter()
                .flatten()
                .map(String::as_str),
        )
        .collect()
}

fn display_name<'a>(program: &'a Program, name: &'a str) -> &'a str {
    program
        .partners
        .get(name)
        .map(|p| p.spec.display_name.as_str())
        .unwrap_or(name)
}

/// A partner as the page names it: its display name, its program name beside it.
fn partner(program: &Program, name: &str) -> String {
    format!(
        "<strong>{}</strong> <span class=\"note\">({})</span>",
        esc(display_name(program, name)),
        esc(name)
    )
}

fn names(program: &Program, list: &[String]) -> String {
    if list.is_empty() {
        return "none".into();
    }
    list.iter()
        .map(|n| {
            format!(
                "{} <span class=\"note\">({})</span>",
                esc(display_name(program, n)),
                esc(n)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A message of `due`, its `code` spans kept as code.
fn message_html(m: &str) -> String {
    m.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{}</code>", esc(part))
            } else {
                esc(part)
            }
        })
        .collect()
}

/// How far ahead the report's deadlines card looks: every deadline the program holds.
const DEADLINE_HORIZON_DAYS: u32 = 36_500;

/// The nearest deadlines the card shows; with its "and N more" line, as tall as the other
/// cards, so that the page still fits two screens.
const DEADLINE_ITEMS: usize = 5;

/// The day a stuck partner became stuck: a date of the program, not a count of days that
/// grows every day.
fn stuck_from(st: &funnel::Stuck) -> String {
    st.since
        .0
        .checked_add_days(chrono::Days::new(u64::from(st.stuck_after_days) + 1))
        .map(|d| Date(d).to_string())
        .unwrap_or_default()
}

fn when(days_left: i64) -> String {
    match days_left {
        0 => "today".into(),
        1 => "tomorrow".into(),
        -1 => "yesterday".into(),
        d if d > 0 => format!("in {d} days"),
        d => format!("{} days ago", -d),
    }
}

/// The report's Content-Security-Policy, like the portal's (SPEC §9): no script, plugin,
/// form or `<base>`; its one stylesheet is inline, so inline styles only.
const CSP: &str = "default-src 'none'; script-src 'none'; object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'; style-src 'unsafe-inline'";

/// The page's stylesheet: one column on a phone; on a wide screen "to act on" across the
/// top and two columns of charts below, so that the example's page fits two screens.
const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:76rem;color:#222;padding:0 1rem;line-height:1.35}\n\
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.2rem;margin:.9rem 0 .3rem}h3{font-size:1rem;margin:.2rem 0 .3rem}\n\
.chart{display:block;width:100%;max-width:24rem;height:auto;margin:.4rem 0}\n\
.scroll{overflow-x:auto;max-width:100%}\n\
table{border-collapse:collapse;margin:.4rem 0;font-size:.9rem}\n\
th,td{border:1px solid #ccc;padding:.15rem .45rem;text-align:right}\n\
th:first-child,td:first-child{text-align:left;white-space:nowrap}\n\
.note{color:#595959}p{margin:.4rem 0}\n\
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(17rem,1fr));gap:.8rem}\n\
.card{border:1px solid #ccc;border-radius:4px;padding:.4rem .7rem;font-size:.92rem}\n\
.card ul{margin:0;padding-left:1.1rem}.card li{margin:.15rem 0}\n\
details{margin:.3rem 0}summary{cursor:pointer;color:#08519c}\n\
@media (min-width:60rem){main{display:grid;grid-template-columns:1fr 1fr;column-gap:2.5rem;align-items:start}\n\
#act-on{grid-column:1/-1}.cards{grid-template-columns:1fr 1.4fr 1fr}}\n";

/// Renders the funnel report page from the repository alone.
pub fn render(program: &Program, today: Date) -> String {
    render_with_usage(program, today, None)
}

/// A table in a region that scrolls on its own when it is wider than the screen.
fn table_open(s: &mut String, label: &str, head: &str) {
    let _ = write!(
        s,
        "<div class=\"scroll\" role=\"region\" aria-label=\"{} (table)\" tabindex=\"0\">\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n",
        esc(label)
    );
}

const TABLE_END: &str = "</tbody>\n</table>\n</div>\n";

/// What needs someone's attention, first: who is stuck, what falls due (re-acceptances
/// among it), who stopped calling.
fn act_on(s: &mut String, program: &Program, f: &funnel::Funnel, today: Date, usage: bool) {
    s.push_str(
        "<section id=\"act-on\" aria-labelledby=\"act\">\n<h2 id=\"act\">To act on</h2>\n<div class=\"cards\">\n",
    );
    // Stuck partners.
    let _ = writeln!(s, "<div class=\"card\">\n<h3>Stuck ({})</h3>", f.stuck.len());
    if f.stuck.is_empty() {
        s.push_str("<p>No partner is stuck.</p>\n");
    } else {
        s.push_str("<ul>\n");
        for st in f.stuck.iter().take(CARD_ITEMS) {
            let _ = writeln!(
                s,
                "<li>{}: {} since {}, stuck from {} (limit {} days)</li>",
                partner(program, &st.partner),
                label(st.stage),
                st.since,
                stuck_from(st),
                st.stuck_after_days
            );
        }
        if f.stuck.len() > CARD_ITEMS {
            let _ = writeln!(
                s,
                "<li>and {} more, in the funnel below</li>",
                f.stuck.len() - CARD_ITEMS
            );
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</div>\n");

    // Deadlines: everything `due` lists at any distance, less the stuck partners already
    // shown. A window of the next N days would change the page on the day a deadline enters
    // it, which no date of the program marks (SPEC §16); the first items by date are shown.
    let within = DEADLINE_HORIZON_DAYS;
    let d = crate::visibility::due::compute_unplaced(program, today, within);
    let items: Vec<&crate::visibility::due::Item> = d
        .items
        .iter()
        .filter(|i| !(i.kind == crate::visibility::due::ItemKind::Stuck && i.overdue))
        // `due` lists a revocation and a version taking effect on their day too; here they
        // leave on that day, the day the program marks, not the day after.
        .filter(|i| {
            !(matches!(
                i.kind,
                crate::visibility::due::ItemKind::DateEffect | crate::visibility::due::ItemKind::Effective
            ) && i.days_left <= 0)
        })
        .collect();
    let _ = writeln!(s, "<div class=\"card\">\n<h3>Deadlines ({})</h3>", items.len());
    let reaccept = items
        .iter()
        .filter(|i| i.kind == crate::visibility::due::ItemKind::Reaccept)
        .count();
    if reaccept == 0 {
        s.push_str("<p>No partner has terms to re-accept.</p>\n");
    }
    if !items.is_empty() {
        s.push_str("<ul>\n");
        for i in items.iter().take(DEADLINE_ITEMS) {
            let _ = writeln!(
                s,
                "<li><span class=\"note\">{} {}</span>: {}</li>",
                if i.overdue { "overdue since" } else { "by" },
                i.date,
                message_html(&i.message)
            );
        }
        if items.len() > DEADLINE_ITEMS {
            let _ = writeln!(
                s,
                "<li>and {} more, later: <code>partnerctl due --within DAYS</code></li>",
                items.len() - DEADLINE_ITEMS
            );
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</div>\n");

    // Partners that stopped calling.
    let _ = write!(s, "<div class=\"card\">\n<h3>Stopped calling");
    if !usage {
        s.push_str("</h3>\n<p>Needs usage logs: <code>render --usage FILE</code> shows the partners that called before and no longer do.</p>\n</div>\n");
    } else {
        let _ = writeln!(s, " ({})</h3>", f.dormant.len());
        if f.dormant.is_empty() {
            let _ = writeln!(
                s,
                "<p>Every partner that called has called within {} days.</p>",
                f.active_within_days
            );
        } else {
            s.push_str("<ul>\n");
            for name in f.dormant.iter().take(CARD_ITEMS) {
                let last = f
                    .first_calls
                    .iter()
                    .find(|c| &c.partner == name)
                    .map(|c| {
                        format!(
                            "last call {} ({})",
                            c.last,
                            when(c.last.0.signed_duration_since(today.0).num_days())
                        )
                    })
                    .unwrap_or_default();
                let _ = writeln!(s, "<li>{}: {last}</li>", partner(program, name));
            }
            if f.dormant.len() > CARD_ITEMS {
                let _ = writeln!(s, "<li>and {} more, under Usage</li>", f.dormant.len() - CARD_ITEMS);
            }
            s.push_str("</ul>\n");
        }
        s.push_str("</div>\n");
    }
    s.push_str("</div>\n</section>\n");
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
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"robots\" content=\"noindex\">\n<title>Onboarding funnel — {t}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>Onboarding funnel — {t}</h1>\n<p class=\"note\">Internal report{d}. {n} partners.</p>\n</header>\n<main>\n",
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
    act_on(&mut s, program, &f, today, usage.is_some());

    // Two columns on a wide screen: the funnel and the products; the months, the cohorts
    // and the usage. On a phone, one after the other.
    s.push_str("<div class=\"column\">\n");
    // The funnel: a bar per stage of the path, its numbers in the table.
    s.push_str("<section id=\"funnel-section\" aria-labelledby=\"funnel\">\n<h2 id=\"funnel\">Funnel</h2>\n");
    let rows: Vec<(String, Vec<usize>, String)> = Stage::PATH
        .iter()
        .map(|st| {
            let row = f.stage(*st);
            let conv = row
                .conversion
                .map(|c| format!(" · {:.0}% on", c * 100.0))
                .unwrap_or_default();
            (label(*st), vec![row.reached], format!("{}{conv}", row.reached))
        })
        .collect();
    s.push_str(&charts::hbars(
        "Onboarding funnel: partners who reached each stage",
        &rows,
        &[charts::Series {
            name: "reached",
            colour: STAGE_COLOURS[2],
        }],
        "partners who reached the stage",
        "stage",
    ));
    table_open(
        &mut s,
        "Funnel",
        "<th>stage</th><th>now</th><th>reached</th><th>to next stage</th><th>median in stage</th><th>stuck after</th>",
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
            funnel::days_text(row.median_days),
            row.stuck_after_days
                .map(|d| format!("{d} days"))
                .unwrap_or_else(|| "–".into())
        );
    }
    s.push_str(TABLE_END);
    let ttl = &f.time_to_live;
    let _ = writeln!(
        s,
        "<p>Registration to live: median {}, p90 {}, over {} partners.</p>\n</section>",
        funnel::days_text(ttl.median),
        funnel::days_text(ttl.p90.map(|d| d as f64)),
        ttl.n
    );

    // Products.
    s.push_str(
        "<section id=\"products-section\" aria-labelledby=\"products\">\n<h2 id=\"products\">Product adoption</h2>\n",
    );
    if f.products.is_empty() {
        s.push_str("<p>No partner subscribes to a product.</p>\n");
    } else {
        if usage.is_none() {
            s.push_str(
                "<p class=\"note\">Active subscribers need usage logs (<code>render --usage FILE</code>).</p>\n",
            );
        }
        let rows: Vec<(String, Vec<usize>, String)> = f
            .products
            .iter()
            .map(|p| {
                let name = format!("{} {}, {}", p.product, p.plan, p.environment.as_str());
                let mut values = vec![p.subscribers];
                let note = match p.active {
                    Some(a) => {
                        values.push(a);
                        format!("{} ({a} active)", p.subscribers)
                    }
                    None => p.subscribers.to_string(),
                };
                (name, values, note)
            })
            .collect();
        let active_series = format!("active within {} days", f.active_within_days);
        let series = [
            charts::Series {
                name: "subscribers",
                colour: "#c6dbef",
            },
            charts::Series {
                name: &active_series,
                colour: "#08519c",
            },
        ];
        s.push_str(&charts::hbars(
            "Product adoption: subscribers and active subscribers per plan",
            &rows,
            if usage.is_some() { &series } else { &series[..1] },
            "subscribers",
            "product, plan and environment",
        ));
        s.push_str("<details>\n<summary>The numbers, plan by plan</summary>\n");
        table_open(
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
        s.push_str(TABLE_END);
        s.push_str("</details>\n");
    }
    s.push_str("</section>\n");

    s.push_str("</div>\n<div class=\"column\">\n");

    // Month by month.
    let months = monthly(program, today);
    s.push_str("<section id=\"monthly-section\" aria-labelledby=\"monthly\">\n<h2 id=\"monthly\">Partners per stage, month by month</h2>\n<p class=\"note\">At each month's end, from the histories (the last 24 months).</p>\n");
    let stage_names: Vec<String> = Stage::ALL.iter().map(|st| label(*st)).collect();
    let stage_series: Vec<charts::Series> = stage_names
        .iter()
        .zip(STAGE_COLOURS)
        .map(|(name, colour)| charts::Series { name, colour })
        .collect();
    if !months.is_empty() {
        let shown = &months[months.len().saturating_sub(24)..];
        let data: Vec<(String, Vec<usize>)> = shown.iter().map(|(m, c)| (m.clone(), c.to_vec())).collect();
        s.push_str(&charts::month_bars(
            "Partners per stage at the end of each month",
            &data,
            &stage_series,
            true,
            "month (stage at its end)",
            "partners",
            2,
        ));
    }
    let mut head = "<th>month</th>".to_string();
    for st in Stage::ALL {
        let _ = write!(head, "<th>{}</th>", label(st));
    }
    s.push_str("<details>\n<summary>The numbers, month by month</summary>\n");
    table_open(&mut s, "Partners per stage, month by month", &head);
    for (month, counts) in &months {
        let _ = write!(s, "<tr><td>{month}</td>");
        for c in counts {
            let _ = write!(s, "<td>{c}</td>");
        }
        s.push_str("</tr>\n");
    }
    s.push_str(TABLE_END);
    s.push_str("</details>\n</section>\n");

    // Cohorts: one chart of every registration month.
    s.push_str("<section id=\"cohorts-section\" aria-labelledby=\"cohorts\">\n<h2 id=\"cohorts\">Cohorts by registration month</h2>\n");
    if f.cohorts.is_empty() {
        s.push_str("<p>No partner has a registration date.</p>\n");
    } else {
        let shown = &f.cohorts[f.cohorts.len().saturating_sub(24)..];
        let data: Vec<(String, Vec<usize>)> = shown
            .iter()
            .map(|c| (c.month.clone(), vec![c.registered, c.reached_sandbox, c.reached_live]))
            .collect();
        s.push_str(&charts::month_bars(
            "Cohorts by registration month: registered, reached sandbox, reached live",
            &data,
            &[
                charts::Series {
                    name: "registered",
                    colour: STAGE_COLOURS[0],
                },
                charts::Series {
                    name: "reached sandbox",
                    colour: STAGE_COLOURS[2],
                },
                charts::Series {
                    name: "reached live",
                    colour: STAGE_COLOURS[4],
                },
            ],
            false,
            "registration month",
            "partners",
            3,
        ));
        s.push_str("<details>\n<summary>The numbers, cohort by cohort</summary>\n");
        table_open(
            &mut s,
            "Cohorts by registration month",
            "<th>month</th><th>registered</th><th>reached sandbox</th><th>reached live</th><th>median to live</th>",
        );
        for c in &f.cohorts {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.month),
                c.registered,
                c.reached_sandbox,
                c.reached_live,
                funnel::days_text(c.median_days_to_live)
            );
        }
        s.push_str(TABLE_END);
        s.push_str("</details>\n");
    }
    s.push_str("</section>\n");

    if let Some(u) = &f.usage {
        s.push_str("<section id=\"usage-section\" aria-labelledby=\"usage\">\n<h2 id=\"usage\">Usage</h2>\n");
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
                "<li>Time to first call (from sandbox access): median {}, p90 {}, over {} partners; unknown for {}</li>",
                funnel::days_text(t.median),
                funnel::days_text(t.p90.map(|d| d as f64)),
                t.n,
                t.unknown
            );
        }
        s.push_str("</ul>\n<h3 id=\"blocked\">Blocked calls (403 refused, 429 over the limit)</h3>\n");
        if f.blocked.is_empty() {
            s.push_str("<p>No call was answered 403 or 429.</p>\n");
        } else {
            table_open(&mut s, "Blocked calls", "<th>partner</th><th>status</th><th>calls</th>");
            for b in &f.blocked {
                let _ = writeln!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&b.partner),
                    b.status,
                    b.count
                );
            }
            s.push_str(TABLE_END);
        }
        s.push_str("</section>\n");
    }
    s.push_str("</div>\n</main>\n</body>\n</html>\n");
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
