//! What is wrong with a date the schema refused, and the date the author most likely meant:
//! `2027-3-3` is `2027-03-03`, `2027-13-03` has its month and day swapped, `2027-02-30` is
//! past the end of February. One finding per node says it, whichever of the schema's rules
//! (`format`, `pattern`, an optional date's `anyOf`) the value broke.

use chrono::{Datelike, NaiveDate};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn days_in(year: i32, month: u32) -> Option<u32> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    Some((next - first).num_days() as u32)
}

fn iso(y: i32, m: u32, d: u32) -> Option<String> {
    NaiveDate::from_ymd_opt(y, m, d).map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
}

/// What is wrong with `text` as a date (completing "`…` …"), and a hint naming the form and,
/// when it is clear, the date meant.
pub(crate) fn advice(text: &str) -> (String, String) {
    const FORM: &str = "write dates as YYYY-MM-DD (a four-digit year, then a two-digit month and day), e.g. 2026-01-04";
    let unknown = || ("is not a date written YYYY-MM-DD".to_string(), FORM.to_string());
    let sep = match text.chars().find(|c| matches!(c, '-' | '/' | '.')) {
        Some(c) => c,
        None => return unknown(),
    };
    let parts: Vec<&str> = text.split(sep).collect();
    let numbers: Option<Vec<u32>> = parts
        .iter()
        .map(|p| {
            (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect();
    let (Some(n), 3) = (numbers, parts.len()) else {
        return unknown();
    };
    if parts[0].len() == 4 {
        let (y, m, d) = (n[0] as i32, n[1], n[2]);
        if let Some(date) = iso(y, m, d) {
            return (
                "is not written YYYY-MM-DD".into(),
                format!("write it `{date}`: a two-digit month and day, joined by `-`"),
            );
        }
        if !(1..=12).contains(&m) {
            return match iso(y, d, m) {
                Some(swapped) => (
                    format!("is not a date: there is no month {m}"),
                    format!("dates are YYYY-MM-DD, the month before the day: did you mean `{swapped}`?"),
                ),
                None => (
                    format!("is not a date: there is no month {m}"),
                    "the month is 01 to 12; write dates as YYYY-MM-DD".into(),
                ),
            };
        }
        if let Some(last) = days_in(y, m) {
            let month = MONTHS[(m - 1) as usize];
            let end = iso(y, m, last).unwrap_or_default();
            return (
                format!("is not a date: {month} {y} has {last} days"),
                format!("write a day that exists: `{end}` is the last day of {month} {y}"),
            );
        }
        return unknown();
    }
    if parts[2].len() == 4 {
        // Day first, as many countries write it.
        let (a, b, y) = (n[0], n[1], n[2] as i32);
        return match (iso(y, b, a), iso(y, a, b)) {
            (Some(day_first), None) => (
                "is not written YYYY-MM-DD".into(),
                format!("write it `{day_first}`: year, month, day"),
            ),
            (None, Some(month_first)) => (
                "is not written YYYY-MM-DD".into(),
                format!("write it `{month_first}`: year, month, day"),
            ),
            (Some(day_first), Some(month_first)) if day_first != month_first => (
                "is not written YYYY-MM-DD".into(),
                format!(
                    "write it year, month, day: `{day_first}` if {a} is the day, `{month_first}` if it is the month"
                ),
            ),
            (Some(date), Some(_)) => ("is not written YYYY-MM-DD".into(), format!("write it `{date}`")),
            (None, None) => unknown(),
        };
    }
    unknown()
}

#[cfg(test)]
mod tests {
    use super::advice;

    #[test]
    fn names_what_is_wrong_and_the_date_meant() {
        assert_eq!(
            advice("2027-13-03"),
            (
                "is not a date: there is no month 13".into(),
                "dates are YYYY-MM-DD, the month before the day: did you mean `2027-03-13`?".into()
            )
        );
        assert_eq!(
            advice("2027-3-3").1,
            "write it `2027-03-03`: a two-digit month and day, joined by `-`"
        );
        assert_eq!(
            advice("2027/03/03").1,
            "write it `2027-03-03`: a two-digit month and day, joined by `-`"
        );
        assert_eq!(advice("2027-02-30").0, "is not a date: February 2027 has 28 days");
        assert_eq!(
            advice("2028-02-30").1,
            "write a day that exists: `2028-02-29` is the last day of February 2028"
        );
        assert_eq!(
            advice("2027-13-14").1,
            "the month is 01 to 12; write dates as YYYY-MM-DD"
        );
        assert_eq!(advice("13.03.2027").1, "write it `2027-03-13`: year, month, day");
        assert!(
            advice("03.04.2027")
                .1
                .contains("`2027-04-03` if 3 is the day, `2027-03-04` if it is the month")
        );
        assert_eq!(advice("next week").0, "is not a date written YYYY-MM-DD");
        assert_eq!(advice("2027-00-00").0, "is not a date: there is no month 0");
        assert_eq!(advice("99999-1-1").0, "is not a date written YYYY-MM-DD");
    }
}
