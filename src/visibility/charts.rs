//! The funnel report's charts: inline SVG bar charts whose axes are labelled (a title on
//! each axis, ticks with their values, and on a month axis a tick per month with a label on
//! as many as fit), drawn 360 units wide so that on a phone they show at about their own
//! size. They take plain numbers and labels; every label is escaped where it meets the SVG.

use std::fmt::Write;

/// The width of every chart, in SVG units (about a phone's width in CSS pixels).
pub const W: f64 = 360.0;

const INK: &str = "#222";
const GRID: &str = "#ddd";

fn esc(s: &str) -> String {
    crate::encode::html::escape(s)
}

/// One series of a bar chart: its name (for the legend and each bar's tooltip) and colour.
pub struct Series<'a> {
    pub name: &'a str,
    pub colour: &'a str,
}

/// The step and the top of a value axis from 0 to at least `max`: at most five ticks, on
/// whole numbers (partners are counted).
pub fn ticks(max: f64) -> (f64, f64) {
    let max = max.max(1.0);
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor()).max(1.0);
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    (step, (max / step).ceil() * step)
}

fn open(h: f64, label: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {h}\" width=\"{W}\" height=\"{h}\" class=\"chart\" role=\"img\" aria-label=\"{}\" font-family=\"system-ui, sans-serif\">\n",
        esc(label)
    )
}

/// A legend of the series, in rows of `per_row`, from `y`; returns the height it took.
fn legend(s: &mut String, series: &[Series], y: f64, per_row: usize) -> f64 {
    let per_row = per_row.max(1);
    let slot = W / per_row as f64;
    for (k, se) in series.iter().enumerate() {
        let x = (k % per_row) as f64 * slot;
        let y = y + (k / per_row) as f64 * 16.0;
        let _ = writeln!(
            s,
            "  <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"11\" height=\"11\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{INK}\">{}</text>",
            se.colour,
            x + 15.0,
            y + 9.5,
            esc(se.name)
        );
    }
    series.len().div_ceil(per_row) as f64 * 16.0
}

/// Horizontal bars, one row per label: each series drawn over the one before it from the
/// axis (so a part, such as the active subscribers, shows inside its whole), with the
/// row's numbers written after the bar. `x_title` names the value axis, `y_title` the rows.
pub fn hbars(
    label: &str,
    rows: &[(String, Vec<usize>, String)],
    series: &[Series],
    x_title: &str,
    y_title: &str,
) -> String {
    const ROW: f64 = 20.0;
    // Room for the longest row label at 11 units a character of about 5.8 units.
    let longest = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0) as f64;
    let left = (16.0 + longest * 5.8 + 6.0).clamp(60.0, 200.0);
    // Room after the longest bar for its numbers.
    let note = rows.iter().map(|r| r.2.chars().count()).max().unwrap_or(0) as f64;
    let right = W - (note * 5.8 + 8.0).clamp(24.0, 110.0);
    let plot = right - left;
    let top = 4.0;
    let bottom = top + ROW * rows.len() as f64;
    let max = rows.iter().flat_map(|r| r.1.iter().copied()).max().unwrap_or(0) as f64;
    let (step, axis_max) = ticks(max);
    let with_legend = series.len() > 1;
    let h = bottom + 34.0 + if with_legend { 18.0 } else { 0.0 };
    let mut s = open(h, label);
    // The value axis: gridlines with their values, then its title.
    let mut v = 0.0;
    while v <= axis_max + 1e-9 {
        let x = left + v / axis_max * plot;
        let _ = writeln!(
            s,
            "  <line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"{GRID}\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{INK}\" text-anchor=\"middle\">{v}</text>",
            bottom + 3.0,
            bottom + 14.0
        );
        v += step;
    }
    let _ = writeln!(
        s,
        "  <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{INK}\" text-anchor=\"middle\">{}</text>",
        left + plot / 2.0,
        bottom + 28.0,
        esc(x_title)
    );
    // The row axis: its title turned along it, the labels beside their bars.
    let _ = writeln!(
        s,
        "  <text transform=\"translate(10 {:.1}) rotate(-90)\" font-size=\"11\" fill=\"{INK}\" text-anchor=\"middle\">{}</text>\n  <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{bottom:.1}\" stroke=\"{INK}\"/>",
        (top + bottom) / 2.0,
        esc(y_title)
    );
    for (i, (name, values, note)) in rows.iter().enumerate() {
        let y = top + i as f64 * ROW;
        let _ = writeln!(
            s,
            "  <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{INK}\" text-anchor=\"end\">{}</text>",
            left - 5.0,
            y + 13.5,
            esc(name)
        );
        let mut end = left;
        for (k, value) in values.iter().enumerate() {
            let width = *value as f64 / axis_max * plot;
            end = end.max(left + width);
            let Some(se) = series.get(k).or(series.last()) else {
                continue;
            };
            let _ = writeln!(
                s,
                "  <rect x=\"{left}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"13\" fill=\"{}\"><title>{}: {value} {}</title></rect>",
                y + 3.0,
                se.colour,
                esc(name),
                esc(se.name)
            );
        }
        let _ = writeln!(
            s,
            "  <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{INK}\">{}</text>",
            end + 4.0,
            y + 13.5,
            esc(note)
        );
    }
    if with_legend {
        legend(&mut s, series, bottom + 36.0, series.len());
    }
    s.push_str("</svg>\n");
    s
}

/// Vertical bars over months: per month either one stacked bar of the series, or the
/// series side by side (`stacked: false`). Every month has a tick; labels go on as many as
/// fit, counted back from the last month so that it is always labelled.
pub fn month_bars(
    label: &str,
    months: &[(String, Vec<usize>)],
    series: &[Series],
    stacked: bool,
    x_title: &str,
    y_title: &str,
    legend_per_row: usize,
) -> String {
    let left = 44.0;
    // Room for the last month's label, centred on its tick.
    let right = W - 20.0;
    let top = 8.0;
    let plot_h = 120.0;
    let bottom = top + plot_h;
    let n = months.len().max(1);
    let slot = (right - left) / n as f64;
    let max = months
        .iter()
        .map(|(_, v)| {
            if stacked {
                v.iter().sum::<usize>()
            } else {
                v.iter().copied().max().unwrap_or(0)
            }
        })
        .max()
        .unwrap_or(0) as f64;
    let (step, axis_max) = ticks(max);
    let legend_h = series.len().div_ceil(legend_per_row.max(1)) as f64 * 16.0;
    let h = bottom + 36.0 + legend_h + 4.0;
    let mut s = open(h, label);
    let mut v = 0.0;
    while v <= axis_max + 1e-9 {
        let y = bottom - v / axis_max * plot_h;
        let _ = writeln!(
            s,
            "  <line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{right}\" y2=\"{y:.1}\" stroke=\"{GRID}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{INK}\" text-anchor=\"end\">{v}</text>",
            left - 3.0,
            left - 5.0,
            y + 4.0
        );
        v += step;
    }
    let _ = writeln!(
        s,
        "  <text transform=\"translate(10 {:.1}) rotate(-90)\" font-size=\"11\" fill=\"{INK}\" text-anchor=\"middle\">{}</text>\n  <line x1=\"{left}\" y1=\"{bottom:.1}\" x2=\"{right}\" y2=\"{bottom:.1}\" stroke=\"{INK}\"/>",
        (top + bottom) / 2.0,
        esc(y_title)
    );
    // A label is about 7 characters of 6 units; one every `every` months fits.
    let every = (46.0 / slot).ceil().max(1.0) as usize;
    for (i, (month, values)) in months.iter().enumerate() {
        let x0 = left + i as f64 * slot;
        let mid = x0 + slot / 2.0;
        let _ = writeln!(
            s,
            "  <line x1=\"{mid:.1}\" y1=\"{bottom:.1}\" x2=\"{mid:.1}\" y2=\"{:.1}\" stroke=\"{INK}\"/>",
            bottom + 3.0
        );
        if (months.len() - 1 - i) % every == 0 {
            let _ = writeln!(
                s,
                "  <text x=\"{mid:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"{INK}\" text-anchor=\"middle\">{}</text>",
                bottom + 14.0,
                esc(month)
            );
        }
        if stacked {
            let bar = (slot * 0.7).max(1.0);
            let mut y = bottom;
            for (k, c) in values.iter().enumerate().filter(|(_, c)| **c > 0) {
                let Some(se) = series.get(k) else { continue };
                let hh = *c as f64 / axis_max * plot_h;
                y -= hh;
                let _ = writeln!(
                    s,
                    "  <rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{hh:.1}\" fill=\"{}\"><title>{}: {c} {}</title></rect>",
                    mid - bar / 2.0,
                    se.colour,
                    esc(month),
                    esc(se.name)
                );
            }
        } else {
            let group = slot * 0.8;
            let bar = group / values.len().max(1) as f64;
            for (k, c) in values.iter().enumerate() {
                let Some(se) = series.get(k) else { continue };
                let hh = *c as f64 / axis_max * plot_h;
                let _ = writeln!(
                    s,
                    "  <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{hh:.1}\" fill=\"{}\"><title>{}: {c} {}</title></rect>",
                    mid - group / 2.0 + k as f64 * bar,
                    bottom - hh,
                    se.colour,
                    esc(month),
                    esc(se.name)
                );
            }
        }
    }
    let _ = writeln!(
        s,
        "  <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{INK}\" text-anchor=\"middle\">{}</text>",
        (left + right) / 2.0,
        bottom + 28.0,
        esc(x_title)
    );
    legend(&mut s, series, bottom + 36.0, legend_per_row);
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_whole_and_cover_the_maximum() {
        assert_eq!(ticks(0.0), (1.0, 1.0));
        assert_eq!(ticks(3.0), (1.0, 3.0));
        assert_eq!(ticks(18.0), (5.0, 20.0));
        assert_eq!(ticks(7.0), (2.0, 8.0));
        assert_eq!(ticks(1234.0), (500.0, 1500.0));
    }

    #[test]
    fn every_month_has_a_tick_and_the_labels_fit() {
        let months: Vec<(String, Vec<usize>)> = (1..=24).map(|m| (format!("m{m:02}"), vec![m % 5])).collect();
        let svg = month_bars(
            "x",
            &months,
            &[Series {
                name: "a",
                colour: "#000",
            }],
            true,
            "month",
            "partners",
            2,
        );
        let ticks = svg.matches("y2=\"131.0\"").count();
        assert_eq!(ticks, 24, "{svg}");
        let labels = months
            .iter()
            .filter(|(m, _)| svg.contains(&format!(">{m}</text>")))
            .count();
        assert!((6..24).contains(&labels), "{labels} of 24 labelled");
        assert!(svg.contains(">m24</text>"), "the last month is labelled");
        assert!(svg.contains(">month</text>") && svg.contains(">partners</text>"));
    }
}
