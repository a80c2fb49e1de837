//! The `funnel-report` target: an internal HTML page with the onboarding funnel (never part of
//! the partner portal). One self-contained file: inline CSS, an inline SVG chart, no script,
//! no fonts or images to fetch. Deterministic: the only date on the page is `--as-of`.

use crate::model::Program;
use crate::report::funnel;
use crate::spec::{Date, Stage};
use chrono::{Datelike, NaiveDate};
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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

/// Partners per stage at the end of each month, from the first history entry to `today`.
pub fn monthly(program: &Program, today: Date) -> Vec<(String, [usize; 7])> {
    let Some(start) = program
        .partners
        .values()
        .filter_map(|p| p.spec.history.first().map(|h| h.date))
        .min()
    else {
        return Vec::new();
    };
    let (mut y, mut m) = (start.0.year(), start.0.month());
    let mut rows = Vec::new();
    while (y, m) <= (today.0.year(), today.0.month()) {
        let end = month_end(y, m, today);
        let mut counts = [0usize; 7];
        for p in program.partners.values() {
            if let Some(h) = p.spec.history.iter().rev().find(|h| h.date <= end) {
                let i = Stage::ALL.iter().position(|s| *s == h.stage).unwrap_or(0);
                counts[i] += 1;
            }
        }
        rows.push((format!("{y:04}-{m:02}"), counts));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        if rows.len() > 1200 {
            break; // a hundred years is enough for any chart
        }
    }
    rows
}

fn svg_funnel(f: &funnel::Funnel) -> String {
    // Bars take the left 400 units, labels the rest (the longest label is ~390 units wide).
    const W: f64 = 820.0;
    const ROW: f64 = 48.0;
    let path: Vec<&funnel::StageRow> = Stage::PATH.iter().map(|s| f.stage(*s)).collect();
    let max = path.iter().map(|r| r.reached).max().unwrap_or(0).max(1) as f64;
    let h = ROW * path.len() as f64 + 8.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {h}\" width=\"{W}\" height=\"{h}\" style=\"max-width:100%;height:auto\" role=\"img\" aria-label=\"Onboarding funnel: partners who reached each stage\">\n"
    );
    for (i, row) in path.iter().enumerate() {
        let width = (row.reached as f64 / max * (W - 420.0)).max(2.0);
        let x = (W - 420.0 - width) / 2.0;
        let y = i as f64 * ROW + 4.0;
        let shade = 70 - (i as u32 * 8);
        let _ = writeln!(
            s,
            "  <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\" rx=\"4\" fill=\"hsl(210, 60%, {shade}%)\"><title>{}: {} reached, {} now</title></rect>",
            ROW - 10.0,
            label(row.stage),
            row.reached,
            row.count
        );
        let conv = row
            .conversion
            .map(|c| format!(" · {:.0}% to next", c * 100.0))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" fill=\"#222\">{} — {} reached, {} now{conv}</text>",
            W - 410.0,
            y + ROW / 2.0,
            label(row.stage),
            row.reached,
            row.count
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The report's Content-Security-Policy, like the portal's (SPEC §9): no script, plugin,
/// form or `<base>`; its one stylesheet is inline, so inline styles only.
const CSP: &str = "default-src 'none'; script-src 'none'; object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'; style-src 'unsafe-inline'";

/// Renders the funnel report page.
pub fn render(program: &Program, today: Date) -> String {
    let f = funnel::compute(program, today, None);
    let title = program
        .spec()
        .map(|p| p.display_name.as_str())
        .unwrap_or(program.name());
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n<meta charset=\"utf-8\">\n<meta name=\"robots\" content=\"noindex\">\n<title>Onboarding funnel — {t}</title>\n<style>\nbody{{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222;padding:0 1rem}}\ntable{{border-collapse:collapse;margin:1rem 0}}\nth,td{{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}}\nth:first-child,td:first-child{{text-align:left;white-space:nowrap}}\n.note{{color:#666}}\n</style>\n</head>\n<body>\n<h1>Onboarding funnel — {t}</h1>\n<p class=\"note\">Internal report, as of {d}. {n} partners.</p>\n",
        csp = CSP,
        t = esc(title),
        d = today,
        n = f.partners
    );
    s.push_str("<h2>Funnel</h2>\n");
    s.push_str(&svg_funnel(&f));
    s.push_str("<table>\n<thead><tr><th>stage</th><th>now</th><th>reached</th><th>to next stage</th><th>median days in stage</th><th>stuck after</th></tr></thead>\n<tbody>\n");
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
            row.median_days.map(|d| format!("{d:.1}")).unwrap_or_else(|| "–".into()),
            row.stuck_after_days
                .map(|d| format!("{d} days"))
                .unwrap_or_else(|| "–".into())
        );
    }
    s.push_str("</tbody>\n</table>\n<h2>Stuck partners</h2>\n");
    if f.stuck.is_empty() {
        s.push_str("<p>No partner is stuck.</p>\n");
    } else {
        s.push_str("<table>\n<thead><tr><th>partner</th><th>stage</th><th>since</th><th>days</th><th>limit</th></tr></thead>\n<tbody>\n");
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
                st.days,
                st.stuck_after_days
            );
        }
        s.push_str("</tbody>\n</table>\n");
    }
    s.push_str("<h2>Partners per stage, month by month</h2>\n<p class=\"note\">The stage each partner was in at the end of the month, from the histories.</p>\n<table>\n<thead><tr><th>month</th>");
    for st in Stage::ALL {
        let _ = write!(s, "<th>{}</th>", label(st));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for (month, counts) in monthly(program, today) {
        let _ = write!(s, "<tr><td>{month}</td>");
        for c in counts {
            let _ = write!(s, "<td>{c}</td>");
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    s
}
