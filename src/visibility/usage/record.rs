//! What a usage log holds, in any dialect: a call ([`Call`]), who made it ([`Caller`]),
//! the counts of a day ([`Tally`]) and the statistics folded from them ([`CallStats`]); the
//! limits a reader keeps to.

use crate::spec::{Date, Environment};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Lines longer than this are reported and skipped (a Kong line with every header is a few
/// kilobytes; a megabyte means the file is not a usage log).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// At most this many problems are kept with their line; the rest are only counted.
pub const MAX_PROBLEMS_KEPT: usize = 50;

/// A credential or partner name longer than this is not one (names are at most 63
/// characters); the line is unusable, so a hostile log cannot make each key a megabyte.
pub const MAX_NAME_BYTES: usize = 256;

/// Which format a line was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineFormat {
    /// SPEC §8 JSON Lines.
    Partnerctl,
    /// Kong's file-log plugin.
    KongFileLog,
    /// A daily rollup (SPEC §14).
    Rollup,
    /// Envoy's JSON access log.
    Envoy,
}

/// The format `--usage-format` forces on every line; `Auto` tells them apart by their keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UsageFormat {
    /// Each line by its keys: `ts` (SPEC §8), `day` (rollup), `started_at` (Kong),
    /// `start_time` (Envoy).
    #[default]
    Auto,
    /// SPEC §8 lines only.
    Partnerctl,
    /// Daily rollups only.
    Rollup,
    /// Kong file-log/http-log only.
    Kong,
    /// Envoy JSON access log only.
    Envoy,
}

/// Who made a call, as the log names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Caller {
    /// The credential: a program credential id (SPEC §8) or the gateway's own credential id
    /// (Kong's `authenticated_entity.id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// The gateway consumer (Kong's `consumer.custom_id`, else `consumer.username`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    pub format: LineFormat,
}

/// One call, as read from a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub at: DateTime<Utc>,
    pub caller: Caller,
    pub method: Option<String>,
    pub path: Option<String>,
    pub status: Option<u16>,
}

/// What the calls of one caller add up to. Everything here is what a daily rollup carries
/// too, so the statistics of a raw log and of its rollup are equal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallStats {
    pub calls: u64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// Calls answered with a 4xx or 5xx status.
    pub failed: u64,
    /// Calls answered 400–499.
    pub status4xx: u64,
    /// Calls answered 401 (no valid key).
    pub status401: u64,
    /// Calls answered 403 (refused: a revoked key, a product not subscribed).
    pub status403: u64,
    /// Calls answered 429 (over the rate limit or quota).
    pub status429: u64,
    /// Calls answered 500 or more.
    pub status5xx: u64,
    /// The first and last day with a call that the gateway let through: any answer but 401
    /// and 403 (SPEC §14: those never make a partner active).
    pub first_accepted: Option<Date>,
    pub last_accepted: Option<Date>,
}

/// What one rollup line or one raw call adds to a caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    pub day: Date,
    pub calls: u64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub status4xx: u64,
    pub status401: u64,
    pub status403: u64,
    pub status429: u64,
    pub status5xx: u64,
}

impl Tally {
    pub(crate) fn of_call(call: &Call) -> Tally {
        let s = call.status.unwrap_or(0);
        let n = |b: bool| u64::from(b);
        Tally {
            day: Date(call.at.date_naive()),
            calls: 1,
            first: call.at,
            last: call.at,
            status4xx: n((400..500).contains(&s)),
            status401: n(s == 401),
            status403: n(s == 403),
            status429: n(s == 429),
            status5xx: n(s >= 500),
        }
    }

    /// Calls the gateway let through (not 401 or 403). A rollup's 401 and 403 are part of its
    /// 4xx, which is part of its calls (`parse_rollup` refuses a line where they are not), so
    /// neither the sum nor the difference can leave `u64`.
    pub fn accepted(&self) -> u64 {
        self.calls.saturating_sub(self.status401.saturating_add(self.status403))
    }
}

impl CallStats {
    pub(crate) fn new(at: DateTime<Utc>) -> Self {
        CallStats {
            calls: 0,
            first: at,
            last: at,
            failed: 0,
            status4xx: 0,
            status401: 0,
            status403: 0,
            status429: 0,
            status5xx: 0,
            first_accepted: None,
            last_accepted: None,
        }
    }

    /// Adds one day of calls; `None` (and nothing changed) when a count would pass
    /// `u64::MAX`: the counts come from a log, and a count that wrapped would make a partner
    /// whose every call was refused look active.
    pub(crate) fn tally(&mut self, t: &Tally) -> Option<()> {
        let next = CallStats {
            calls: self.calls.checked_add(t.calls)?,
            first: self.first.min(t.first),
            last: self.last.max(t.last),
            failed: self.failed.checked_add(t.status4xx.checked_add(t.status5xx)?)?,
            status4xx: self.status4xx.checked_add(t.status4xx)?,
            status401: self.status401.checked_add(t.status401)?,
            status403: self.status403.checked_add(t.status403)?,
            status429: self.status429.checked_add(t.status429)?,
            status5xx: self.status5xx.checked_add(t.status5xx)?,
            first_accepted: self.first_accepted,
            last_accepted: self.last_accepted,
        };
        *self = next;
        if t.accepted() > 0 {
            self.first_accepted = Some(self.first_accepted.map_or(t.day, |d| d.min(t.day)));
            self.last_accepted = Some(self.last_accepted.map_or(t.day, |d| d.max(t.day)));
        }
        Some(())
    }

    /// Folds another caller's statistics into these. The callers of one [`super::Usage`] add
    /// up to its `calls`, which reading keeps within `u64` line by line, so these sums cannot
    /// overflow; they saturate rather than wrap all the same.
    pub fn merge(&mut self, other: &CallStats) {
        self.calls = self.calls.saturating_add(other.calls);
        self.failed = self.failed.saturating_add(other.failed);
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.status4xx = self.status4xx.saturating_add(other.status4xx);
        self.status401 = self.status401.saturating_add(other.status401);
        self.status403 = self.status403.saturating_add(other.status403);
        self.status429 = self.status429.saturating_add(other.status429);
        self.status5xx = self.status5xx.saturating_add(other.status5xx);
        self.first_accepted = min_opt(self.first_accepted, other.first_accepted);
        self.last_accepted = self.last_accepted.max(other.last_accepted);
    }

    pub fn first_date(&self) -> Date {
        Date(self.first.date_naive())
    }

    pub fn last_date(&self) -> Date {
        Date(self.last.date_naive())
    }
}

pub(crate) fn min_opt(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
