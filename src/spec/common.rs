//! Value types shared by several kinds: names, dates, stages, environments.

use chrono::NaiveDate;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// One line of text: no control character (C0, DEL, C1) and no Unicode line or paragraph
/// separator. Names, display names, titles and the like end up in comments, CSV rows, YAML
/// and NGINX files, where a line break would start a line of the attacker's (SPEC §9).
pub const LINE_PATTERN: &str = r"^[^\x00-\x1F\x7F-\x9F\u2028\u2029]*$";

/// Text of several lines (descriptions, summaries): tab and line feed allowed, no other
/// control character.
pub const TEXT_PATTERN: &str = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$";

/// An absolute `http`/`https` URL: a host (name, IPv4 or `[IPv6]`), an optional port, and a
/// path, query or fragment without spaces, control characters, quotes, `<>`, `\`, `{}`,
/// `|`, `^`, `` ` `` or `$`.
pub const URL_PATTERN: &str = r#"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?([/?#][^\s\x00-\x1F\x7F-\x9F"'<>\\^`{|}$]*)?$"#;

/// An e-mail address: one `@`, no space or control character.
pub const EMAIL_PATTERN: &str = r"^[^@\s\x00-\x1F\x7F-\x9F]+@[^@\s\x00-\x1F\x7F-\x9F]+$";

/// A SHA-256 digest in lower-case hex.
pub const SHA256_PATTERN: &str = "^[0-9a-f]{64}$";

/// The pattern every resource name matches.
pub const NAME_PATTERN: &str = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";

/// A resource name: `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(pub String);

impl JsonSchema for Name {
    fn schema_name() -> Cow<'static, str> {
        "Name".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": NAME_PATTERN,
            "description": "Lower case letters, digits and dashes; starts and ends with a letter or digit; at most 63 characters. Example: `acme-logistics`."
        })
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// A calendar date written `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

impl Date {
    pub fn parse(s: &str) -> Option<Date> {
        // Read by hand: a program of 100,000 partners holds about a million dates, and
        // chrono's `parse_from_str` reads its format string again for each.
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| {
            b[r].iter()
                .try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
        };
        let year = i32::try_from(digits(0..4)?).ok()?;
        NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?).map(Date)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        (later.0 - self.0).num_days()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::Datelike;
        let d = self.0;
        if (0..=9999).contains(&d.year()) {
            write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
        } else {
            // Out of the written form's range (only reached by arithmetic): chrono's sign.
            write!(f, "{}", d.format("%Y-%m-%d"))
        }
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a valid date; write YYYY-MM-DD")))
    }
}

impl JsonSchema for Date {
    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "format": "date",
            "description": "A date written YYYY-MM-DD. Example: `2026-01-04`."
        })
    }
}

/// An environment a product runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Test data, for building an integration.
    Sandbox,
    /// Live traffic.
    Production,
}

impl Environment {
    pub const ALL: [Environment; 2] = [Environment::Sandbox, Environment::Production];

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }

    /// The stage a partner must have reached to have access in this environment.
    pub fn required_stage(self) -> Stage {
        match self {
            Environment::Sandbox => Stage::Sandbox,
            Environment::Production => Stage::Live,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stage of the onboarding path, in path order, then the two exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Signed up; nothing accepted yet.
    Registered,
    /// Accepted the program's required terms.
    TermsAccepted,
    /// Building against the sandbox.
    Sandbox,
    /// Asked for production access; waiting for review.
    ProductionRequested,
    /// In production.
    Live,
    /// Access paused; may return to the stage before.
    Suspended,
    /// Left the program.
    Offboarded,
}

impl Stage {
    /// The onboarding path, in order.
    pub const PATH: [Stage; 5] = [
        Stage::Registered,
        Stage::TermsAccepted,
        Stage::Sandbox,
        Stage::ProductionRequested,
        Stage::Live,
    ];
    pub const ALL: [Stage; 7] = [
        Stage::Registered,
        Stage::TermsAccepted,
        Stage::Sandbox,
        Stage::ProductionRequested,
        Stage::Live,
        Stage::Suspended,
        Stage::Offboarded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Registered => "registered",
            Stage::TermsAccepted => "terms_accepted",
            Stage::Sandbox => "sandbox",
            Stage::ProductionRequested => "production_requested",
            Stage::Live => "live",
            Stage::Suspended => "suspended",
            Stage::Offboarded => "offboarded",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Position on the onboarding path; `None` for suspended and offboarded.
    pub fn path_index(self) -> Option<usize> {
        Stage::PATH.iter().position(|s| *s == self)
    }

    /// The next stage on the path.
    pub fn next(self) -> Option<Stage> {
        self.path_index().and_then(|i| Stage::PATH.get(i + 1).copied())
    }

    /// Whether a partner in this stage may have access in `env`: sandbox from `sandbox`
    /// on, production only when `live`. Suspended and offboarded partners have none.
    pub fn allows(self, env: Environment) -> bool {
        match (self.path_index(), env.required_stage().path_index()) {
            (Some(have), Some(need)) => have >= need,
            _ => false,
        }
    }

    /// Whether the partner is past `registered` and still in the program.
    pub fn is_exit(self) -> bool {
        matches!(self, Stage::Suspended | Stage::Offboarded)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written reader and writer agree with chrono's `%Y-%m-%d` on every day of
    /// four centuries, and refuse what is not a date.
    #[test]
    fn dates_read_and_print_as_chrono_does() {
        let mut day = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(2300, 12, 31).unwrap();
        while day <= end {
            let text = day.format("%Y-%m-%d").to_string();
            let parsed = Date::parse(&text).expect("a date chrono wrote");
            assert_eq!(parsed.0, day);
            assert_eq!(parsed.to_string(), text);
            day = day.succ_opt().unwrap();
        }
        for bad in [
            "2026-02-29",
            "2026-02-30",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-01-32",
            "+202-01-01",
            "-202-01-01",
            "2026-1-011",
            "2026-01-1a",
            "2026/01/01",
            "20260-1-01",
            "2026-01-01 ",
            "",
            "2026-٠١-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
            // chrono takes a signed three-digit year; a written date never has one.
            assert!(
                NaiveDate::parse_from_str(bad, "%Y-%m-%d").is_err() || bad.starts_with(['+', '-']),
                "{bad}"
            );
        }
        assert_eq!(
            Date::parse("0000-01-01").map(|d| d.to_string()),
            Some("0000-01-01".into())
        );
        let far = Date(NaiveDate::from_ymd_opt(12026, 1, 1).unwrap());
        assert_eq!(far.to_string(), "+12026-01-01");
    }
}
