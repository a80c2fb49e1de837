//! Usage logs: who called the gateway, and when (SPEC §8).
//!
//! Four shapes are read, told apart line by line by their keys (or forced with
//! [`UsageFormat`], `--usage-format`):
//! - partnerctl's own JSON Lines (what the `nginx` target writes), recognised by `ts`:
//!   `{"ts": "2026-01-08T10:00:00Z", "credential": "acme-sbx-1", "environment": "sandbox", ...}`;
//! - daily rollups (SPEC §14), recognised by `day`: one line per day, credential and
//!   environment with the calls and status counts of that day, as the SQL in `queries/` makes
//!   them where the logs live. A rollup folds into exactly the statistics its raw lines would;
//! - Kong's `file-log`/`http-log` plugin output, recognised by `started_at` (milliseconds
//!   since the epoch), `consumer.custom_id`/`consumer.username`, `authenticated_entity.id`
//!   (the Kong id of the credential used), `request.method`, `request.uri`,
//!   `response.status` and `service.name`/`service.tags`;
//! - Envoy's JSON access log, recognised by `start_time` (RFC 3339) with `response_code`,
//!   `method`, `path`, and `credential` or `partner` (the fields docs/funnel.md asks the
//!   `json_format` to carry).
//!
//! A file most of whose lines are unusable is not a usage log (a YAML file, a text access
//! log): [`UsageError::MostlyUnusable`] names it and its first bad line instead of reporting
//! every partner as never called.
//!
//! Logs are streamed: a line is read into a bounded buffer, parsed, folded into per-caller
//! statistics and dropped, so a file of gigabytes runs in memory proportional to the number
//! of distinct credentials, not to the number of calls. A line that cannot be read is a
//! [`UsageProblem`] naming the file and line; reading goes on.

use crate::model::Program;
use crate::spec::{Date, Environment};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

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
    fn of_call(call: &Call) -> Tally {
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

    /// Calls the gateway let through (not 401 or 403).
    pub fn accepted(&self) -> u64 {
        self.calls.saturating_sub(self.status401 + self.status403)
    }
}

impl CallStats {
    fn new(at: DateTime<Utc>) -> Self {
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

    fn tally(&mut self, t: &Tally) {
        self.calls += t.calls;
        self.first = self.first.min(t.first);
        self.last = self.last.max(t.last);
        self.failed += t.status4xx + t.status5xx;
        self.status4xx += t.status4xx;
        self.status401 += t.status401;
        self.status403 += t.status403;
        self.status429 += t.status429;
        self.status5xx += t.status5xx;
        if t.accepted() > 0 {
            self.first_accepted = Some(self.first_accepted.map_or(t.day, |d| d.min(t.day)));
            self.last_accepted = Some(self.last_accepted.map_or(t.day, |d| d.max(t.day)));
        }
    }

    /// Folds another caller's statistics into these.
    pub fn merge(&mut self, other: &CallStats) {
        self.calls += other.calls;
        self.failed += other.failed;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.status4xx += other.status4xx;
        self.status401 += other.status401;
        self.status403 += other.status403;
        self.status429 += other.status429;
        self.status5xx += other.status5xx;
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

/// A line that could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UsageProblem {
    pub file: String,
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for UsageProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

fn min_opt(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Why a usage file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("cannot read usage log {file}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// More than half of the file's non-blank lines are unusable: it is not a usage log.
    #[error("{file} is not a usage log: {bad} of its {lines} lines are unusable; the first is line {line}: {message}")]
    MostlyUnusable {
        file: String,
        line: u64,
        message: String,
        bad: u64,
        lines: u64,
    },
}

/// The calls of every log read so far, per caller.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// The files read, in order.
    pub files: Vec<String>,
    /// Lines read (blank lines included).
    pub lines: u64,
    /// Calls counted.
    pub calls: u64,
    /// Calls dated after the last day counted (`--as-of`), left out so that results on a past
    /// date are reproducible.
    pub after_cutoff: u64,
    #[serde(skip)]
    pub by_caller: BTreeMap<Caller, CallStats>,
    /// Unusable lines (the first [`MAX_PROBLEMS_KEPT`]).
    pub problems: Vec<UsageProblem>,
    /// How many lines were unusable in all.
    pub problem_count: u64,
    /// Calls on days after this one are not counted.
    #[serde(skip)]
    pub cutoff: Option<Date>,
    /// The first and last day with a call counted: the window the logs cover.
    pub first_day: Option<Date>,
    pub last_day: Option<Date>,
    /// Requests no one was authenticated for (a Kong or Envoy line with neither consumer nor
    /// credential): counted, attributed to nobody.
    pub anonymous: u64,
    /// The format forced on every line (`--usage-format`); `Auto` by default.
    #[serde(skip)]
    pub format: UsageFormat,
}

impl Usage {
    /// An empty aggregate that leaves out calls after `cutoff` (the `--as-of` day).
    pub fn until(cutoff: Date) -> Self {
        Usage {
            cutoff: Some(cutoff),
            ..Usage::default()
        }
    }

    /// Reads one file (or `-` for standard input) into the aggregate.
    pub fn read_file(&mut self, path: &Path) -> Result<(), UsageError> {
        let name = path.display().to_string();
        if name == "-" {
            return self.read(&name, std::io::stdin().lock());
        }
        let file = std::fs::File::open(path).map_err(|source| UsageError::Io {
            file: name.clone(),
            source,
        })?;
        self.read(&name, file)
    }

    /// The same, reading every line in `format`.
    pub fn with_format(mut self, format: UsageFormat) -> Self {
        self.format = format;
        self
    }

    /// The first and last day the logs cover, when any call was counted.
    pub fn window(&self) -> Option<(Date, Date)> {
        Some((self.first_day?, self.last_day?))
    }

    /// Reads a stream of lines into the aggregate. A stream more than half of whose
    /// non-blank lines are unusable is [`UsageError::MostlyUnusable`]; its calls are still
    /// counted, so a caller that wants to go on may.
    pub fn read(&mut self, name: &str, input: impl Read) -> Result<(), UsageError> {
        self.files.push(name.to_string());
        let mut reader = BufReader::with_capacity(64 * 1024, input);
        let mut buf = Vec::with_capacity(4096);
        let mut line_no = 0u64;
        let mut nonblank = 0u64;
        let mut bad = 0u64;
        let mut first_bad: Option<(u64, String)> = None;
        let mut note = |line: u64, msg: &str, bad: &mut u64| {
            *bad += 1;
            if first_bad.is_none() {
                first_bad = Some((line, msg.to_string()));
            }
        };
        loop {
            buf.clear();
            let outcome =
                read_bounded_line(&mut reader, &mut buf, MAX_LINE_BYTES).map_err(|source| UsageError::Io {
                    file: name.to_string(),
                    source,
                })?;
            let Some((_, too_long)) = outcome else { break };
            line_no += 1;
            self.lines += 1;
            if too_long {
                nonblank += 1;
                let msg = format!("the line is longer than {MAX_LINE_BYTES} bytes");
                note(line_no, &msg, &mut bad);
                self.problem(name, line_no, msg);
                continue;
            }
            let text = trim_line(&buf);
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            nonblank += 1;
            match parse_record(text, self.format) {
                Ok(Record::Call(call)) => self.add(call),
                Ok(Record::Rollup(caller, tally)) => self.add_tally(caller, tally),
                Ok(Record::Anonymous) => self.anonymous += 1,
                Err(msg) => {
                    note(line_no, &msg, &mut bad);
                    self.problem(name, line_no, msg);
                }
            }
        }
        if bad > 0 && bad * 2 > nonblank {
            let (line, message) = first_bad.unwrap_or_default();
            return Err(UsageError::MostlyUnusable {
                file: name.to_string(),
                line,
                message,
                bad,
                lines: nonblank,
            });
        }
        Ok(())
    }

    /// Counts one call.
    pub fn add(&mut self, call: Call) {
        let tally = Tally::of_call(&call);
        self.add_tally(call.caller, tally);
    }

    /// Counts one day of a caller's calls (a rollup line, or one raw call).
    pub fn add_tally(&mut self, caller: Caller, tally: Tally) {
        if tally.calls == 0 {
            return;
        }
        if self.cutoff.is_some_and(|c| tally.day > c) {
            self.after_cutoff += tally.calls;
            return;
        }
        self.calls += tally.calls;
        self.first_day = Some(self.first_day.map_or(tally.day, |d| d.min(tally.day)));
        self.last_day = Some(self.last_day.map_or(tally.day, |d| d.max(tally.day)));
        match self.by_caller.get_mut(&caller) {
            Some(stats) => stats.tally(&tally),
            None => {
                let mut stats = CallStats::new(tally.first);
                stats.tally(&tally);
                self.by_caller.insert(caller, stats);
            }
        }
    }

    fn problem(&mut self, file: &str, line: u64, message: String) {
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS_KEPT {
            self.problems.push(UsageProblem {
                file: file.to_string(),
                line,
                message,
            });
        }
    }
}

/// Reads up to and including the next `\n` into `buf`, keeping at most `limit` bytes (the rest
/// of a longer line is skipped). Returns `None` at the end of input, else the bytes consumed
/// and whether the line was cut.
fn read_bounded_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Option<(usize, bool)>> {
    let mut consumed = 0usize;
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if consumed == 0 {
                None
            } else {
                Some((consumed, too_long))
            });
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let n = chunk.len();
        if !too_long {
            if buf.len() + n > limit {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        reader.consume(n);
        consumed += n;
        if done {
            return Ok(Some((consumed, too_long)));
        }
    }
}

fn trim_line(buf: &[u8]) -> &[u8] {
    let mut end = buf.len();
    while end > 0 && (buf[end - 1] == b'\n' || buf[end - 1] == b'\r') {
        end -= 1;
    }
    &buf[..end]
}

#[derive(Deserialize)]
struct RawLine<'a> {
    // SPEC §8
    #[serde(borrow, default)]
    ts: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    credential: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    environment: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    path: Option<Cow<'a, str>>,
    #[serde(default)]
    status: Option<serde_json::Value>,
    // Rollups (SPEC §14); `credential` and `environment` as above.
    #[serde(borrow, default)]
    day: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    partner: Option<Cow<'a, str>>,
    #[serde(default)]
    calls: Option<serde_json::Value>,
    #[serde(default)]
    status4xx: Option<serde_json::Value>,
    #[serde(default)]
    status401: Option<serde_json::Value>,
    #[serde(default)]
    status403: Option<serde_json::Value>,
    #[serde(default)]
    status429: Option<serde_json::Value>,
    #[serde(default)]
    status5xx: Option<serde_json::Value>,
    #[serde(borrow, default, rename = "firstTs")]
    first_ts: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "lastTs")]
    last_ts: Option<Cow<'a, str>>,
    // Envoy JSON access log; `method`, `path`, `credential`, `partner`, `environment` as above.
    #[serde(borrow, default)]
    start_time: Option<Cow<'a, str>>,
    #[serde(default)]
    response_code: Option<serde_json::Value>,
    // Kong file-log
    #[serde(default)]
    started_at: Option<serde_json::Number>,
    #[serde(borrow, default)]
    request: Option<KongRequest<'a>>,
    #[serde(default)]
    response: Option<KongResponse>,
    #[serde(borrow, default)]
    consumer: Option<KongConsumer<'a>>,
    #[serde(borrow, default)]
    authenticated_entity: Option<KongEntity<'a>>,
    #[serde(borrow, default)]
    service: Option<KongService<'a>>,
}

#[derive(Deserialize)]
struct KongRequest<'a> {
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    uri: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct KongResponse {
    #[serde(default)]
    status: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct KongConsumer<'a> {
    #[serde(borrow, default)]
    custom_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    username: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct KongEntity<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct KongService<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tags: Option<Vec<Cow<'a, str>>>,
}

/// A value from the log, quoted in a message: at most 60 characters of it, so that a
/// problem never carries a megabyte of someone's line (outputs escape it further).
fn quote(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("\"{}\"", out.escape_debug())
}

fn status_of(key: &str, v: Option<&serde_json::Value>) -> Result<Option<u16>, String> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("`{key}` {} is not an HTTP status", quote(&n.to_string()))),
        Some(serde_json::Value::String(s)) => s
            .parse::<u16>()
            .map(Some)
            .map_err(|_| format!("`{key}` {} is not an HTTP status", quote(s))),
        Some(_) => Err(format!("`{key}` is not an HTTP status")),
    }
}

fn count_of(key: &str, v: Option<&serde_json::Value>) -> Result<u64, String> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(0),
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| format!("`{key}` {} is not a count", quote(&n.to_string()))),
        Some(serde_json::Value::String(s)) => s
            .parse::<u64>()
            .map_err(|_| format!("`{key}` {} is not a count", quote(s))),
        Some(_) => Err(format!("`{key}` is not a count")),
    }
}

fn environment_of(s: &str) -> Option<Environment> {
    Environment::ALL.into_iter().find(|e| e.as_str() == s)
}

fn optional_environment(v: Option<&str>) -> Result<Option<Environment>, String> {
    match v {
        None | Some("") => Ok(None),
        Some(e) => environment_of(e)
            .map(Some)
            .ok_or_else(|| format!("`environment` {} is not sandbox or production", quote(e))),
    }
}

fn name_of(key: &str, v: Option<Cow<'_, str>>) -> Result<Option<String>, String> {
    match v {
        None => Ok(None),
        Some(s) if s.is_empty() || s == "-" => Ok(None),
        Some(s) if s.len() > MAX_NAME_BYTES => Err(format!("`{key}` is longer than {MAX_NAME_BYTES} bytes")),
        Some(s) => Ok(Some(s.into_owned())),
    }
}

fn rfc3339(key: &str, ts: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(ts)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "`{key}` {} is not an RFC 3339 time such as 2026-01-08T10:00:00Z",
                quote(ts)
            )
        })
}

/// What one line holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// One call (SPEC §8, Kong, Envoy).
    Call(Call),
    /// One day of a caller's calls (a rollup).
    Rollup(Caller, Tally),
    /// A request nobody was authenticated for.
    Anonymous,
}

/// Parses one non-blank line in any format (SPEC §8, Kong, Envoy); a rollup or an anonymous
/// request is an error here (see [`parse_record`]).
pub fn parse_line(text: &[u8]) -> Result<Call, String> {
    match parse_record(text, UsageFormat::Auto)? {
        Record::Call(call) => Ok(call),
        Record::Rollup(..) => Err("the line is a daily rollup, not one call".into()),
        Record::Anonymous => Err("the line names no consumer and no credential (an unauthenticated request)".into()),
    }
}

/// Parses one non-blank line, told apart by its keys or forced to `format`.
pub fn parse_record(text: &[u8], format: UsageFormat) -> Result<Record, String> {
    let raw: RawLine = serde_json::from_slice(text).map_err(|e| format!("not a JSON object: {e}"))?;
    let shape = match format {
        UsageFormat::Auto => {
            if raw.ts.is_some() {
                UsageFormat::Partnerctl
            } else if raw.day.is_some() {
                UsageFormat::Rollup
            } else if raw.started_at.is_some() {
                UsageFormat::Kong
            } else if raw.start_time.is_some() {
                UsageFormat::Envoy
            } else {
                return Err("the line is no usage record (`ts`), rollup (`day`), Kong log (`started_at`) or Envoy log (`start_time`)".to_string());
            }
        }
        f => f,
    };
    match shape {
        UsageFormat::Rollup => parse_rollup(raw),
        UsageFormat::Kong => parse_kong(raw),
        UsageFormat::Envoy => parse_envoy(raw),
        UsageFormat::Partnerctl | UsageFormat::Auto => parse_partnerctl(raw),
    }
}

fn parse_partnerctl(raw: RawLine<'_>) -> Result<Record, String> {
    let ts = raw.ts.as_deref().ok_or("the line has no `ts`")?;
    let at = rfc3339("ts", ts)?;
    let credential = name_of("credential", raw.credential)?.ok_or("the line has no `credential`")?;
    let environment = optional_environment(raw.environment.as_deref())?;
    Ok(Record::Call(Call {
        at,
        caller: Caller {
            credential: Some(credential),
            consumer: None,
            environment,
            format: LineFormat::Partnerctl,
        },
        method: raw.method.map(Cow::into_owned),
        path: raw.path.map(Cow::into_owned),
        status: status_of("status", raw.status.as_ref())?,
    }))
}

fn parse_rollup(raw: RawLine<'_>) -> Result<Record, String> {
    let day_text = raw.day.as_deref().ok_or("the line has no `day`")?;
    let day =
        Date::parse(day_text).ok_or_else(|| format!("`day` {} is not a date such as 2026-01-08", quote(day_text)))?;
    let credential = name_of("credential", raw.credential)?;
    let consumer = name_of("partner", raw.partner)?;
    if credential.is_none() && consumer.is_none() {
        return Err("the rollup names no `credential` and no `partner`".into());
    }
    let environment = optional_environment(raw.environment.as_deref())?;
    let calls = count_of("calls", raw.calls.as_ref())?;
    let tally = |key: &str, v: Option<&serde_json::Value>| -> Result<u64, String> {
        let n = count_of(key, v)?;
        if n > calls {
            return Err(format!("`{key}` {n} is more than `calls` {calls}"));
        }
        Ok(n)
    };
    let status4xx = tally("status4xx", raw.status4xx.as_ref())?;
    let status401 = tally("status401", raw.status401.as_ref())?;
    let status403 = tally("status403", raw.status403.as_ref())?;
    let status429 = tally("status429", raw.status429.as_ref())?;
    let status5xx = tally("status5xx", raw.status5xx.as_ref())?;
    if status401 + status403 + status429 > status4xx || status4xx + status5xx > calls {
        return Err("the status counts do not add up (401, 403 and 429 are part of `status4xx`)".into());
    }
    let start = day.0.and_time(chrono::NaiveTime::MIN).and_utc();
    let first = match raw.first_ts.as_deref() {
        Some(t) => rfc3339("firstTs", t)?,
        None => start,
    };
    let last = match raw.last_ts.as_deref() {
        Some(t) => rfc3339("lastTs", t)?,
        None => start,
    };
    if first.date_naive() != day.0 || last.date_naive() != day.0 || last < first {
        return Err(format!("`firstTs` and `lastTs` are not on `day` {day} in that order"));
    }
    Ok(Record::Rollup(
        Caller {
            credential,
            consumer,
            environment,
            format: LineFormat::Rollup,
        },
        Tally {
            day,
            calls,
            first,
            last,
            status4xx,
            status401,
            status403,
            status429,
            status5xx,
        },
    ))
}

fn parse_envoy(raw: RawLine<'_>) -> Result<Record, String> {
    let ts = raw.start_time.as_deref().ok_or("the line has no `start_time`")?;
    let at = rfc3339("start_time", ts)?;
    let credential = name_of("credential", raw.credential)?;
    let consumer = name_of("partner", raw.partner)?;
    let status = status_of("response_code", raw.response_code.as_ref())?;
    if credential.is_none() && consumer.is_none() {
        return Ok(Record::Anonymous);
    }
    let environment = optional_environment(raw.environment.as_deref())?;
    Ok(Record::Call(Call {
        at,
        caller: Caller {
            credential,
            consumer,
            environment,
            format: LineFormat::Envoy,
        },
        method: raw.method.map(Cow::into_owned),
        path: raw.path.map(|u| u.split('?').next().unwrap_or("").to_string()),
        status,
    }))
}

fn parse_kong(raw: RawLine<'_>) -> Result<Record, String> {
    let started = raw.started_at.as_ref().ok_or("the line has no `started_at`")?;
    let ms = started
        .as_i64()
        .or_else(|| started.as_f64().map(|f| f as i64))
        .ok_or("`started_at` is not a number")?;
    let at = DateTime::<Utc>::from_timestamp_millis(ms).ok_or_else(|| format!("`started_at` {ms} is out of range"))?;
    let credential = name_of("authenticated_entity.id", raw.authenticated_entity.and_then(|e| e.id))?;
    let consumer = match raw.consumer {
        Some(c) => name_of("consumer", c.custom_id.filter(|s| !s.is_empty()).or(c.username))?,
        None => None,
    };
    let status = status_of("response.status", raw.response.as_ref().and_then(|r| r.status.as_ref()))?;
    if credential.is_none() && consumer.is_none() {
        // Refused before authentication: a real request, but nobody to count it for.
        return Ok(Record::Anonymous);
    }
    let environment = raw.service.as_ref().and_then(|s| {
        let from_tags = s.tags.iter().flatten().find_map(|t| {
            t.strip_prefix("environment:")
                .or_else(|| t.strip_prefix("env:"))
                .and_then(environment_of)
        });
        from_tags.or_else(|| {
            let name = s.name.as_deref()?;
            Environment::ALL
                .into_iter()
                .find(|e| name.ends_with(&format!("-{}", e.as_str())))
        })
    });
    let (method, path) = match raw.request {
        Some(r) => (
            r.method.map(Cow::into_owned),
            r.uri.map(|u| u.split('?').next().unwrap_or("").to_string()),
        ),
        None => (None, None),
    };
    Ok(Record::Call(Call {
        at,
        caller: Caller {
            credential,
            consumer,
            environment,
            format: LineFormat::KongFileLog,
        },
        method,
        path,
        status,
    }))
}

/// Calls attributed to the program: per credential id, per partner, and what nobody owns.
#[derive(Clone, Debug, Default)]
pub struct Attributed {
    /// Per program credential id.
    pub by_credential: BTreeMap<String, CallStats>,
    /// Per partner: its credentials' calls plus calls a gateway attributed to its consumer.
    pub by_partner: BTreeMap<String, CallStats>,
    /// Callers the program does not know (a credential id no partner has, or a consumer that
    /// is no partner).
    pub unknown: Vec<(Caller, CallStats)>,
    /// Per partner and environment: the environment the log names, else the one of the
    /// program credential that called (calls whose environment cannot be told are left out).
    pub by_partner_environment: BTreeMap<(String, Environment), CallStats>,
}

impl Usage {
    /// Attributes every caller to the program's credentials and partners. `gateway_ids` maps a
    /// gateway's own credential ids (Kong's credential UUIDs) to program credential ids, as
    /// read from a decK dump; it may be empty.
    pub fn attribute(&self, program: &Program, gateway_ids: &BTreeMap<String, String>) -> Attributed {
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        let mut env_of: BTreeMap<&str, Environment> = BTreeMap::new();
        for p in program.partners.values() {
            for c in &p.spec.credentials {
                owner.insert(c.id.0.as_str(), p.name.as_str());
                env_of.insert(c.id.0.as_str(), c.environment);
            }
        }
        let mut out = Attributed::default();
        for (caller, stats) in &self.by_caller {
            let credential = caller.credential.as_deref().and_then(|c| {
                if owner.contains_key(c) {
                    Some(c)
                } else {
                    gateway_ids
                        .get(c)
                        .map(String::as_str)
                        .filter(|id| owner.contains_key(id))
                }
            });
            let partner = match credential {
                Some(c) => owner.get(c).copied(),
                None => caller.consumer.as_deref().filter(|p| program.partners.contains_key(*p)),
            };
            if let Some(c) = credential {
                merge_into(&mut out.by_credential, c, stats);
            }
            if let Some(p) = partner {
                merge_into(&mut out.by_partner, p, stats);
                let environment = caller
                    .environment
                    .or_else(|| credential.and_then(|c| env_of.get(c).copied()));
                if let Some(e) = environment {
                    let key = (p.to_string(), e);
                    match out.by_partner_environment.get_mut(&key) {
                        Some(s) => s.merge(stats),
                        None => {
                            out.by_partner_environment.insert(key, stats.clone());
                        }
                    }
                }
            }
            if credential.is_none() && (caller.credential.is_some() || partner.is_none()) {
                out.unknown.push((caller.clone(), stats.clone()));
            }
        }
        out
    }
}

fn merge_into(map: &mut BTreeMap<String, CallStats>, key: &str, stats: &CallStats) {
    match map.get_mut(key) {
        Some(s) => s.merge(stats),
        None => {
            map.insert(key.to_string(), stats.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_formats_and_reports_bad_lines() {
        let log = concat!(
            "{\"ts\": \"2026-01-08T10:00:00Z\", \"credential\": \"acme-sbx-1\", \"environment\": \"sandbox\", \"method\": \"GET\", \"path\": \"/v1/x\", \"status\": 200}\n",
            "\n",
            "not json\n",
            "{\"started_at\": 1767866400000, \"consumer\": {\"custom_id\": \"acme\", \"username\": \"ACME\"}, \"authenticated_entity\": {\"id\": \"4b1f\"}, \"request\": {\"method\": \"POST\", \"uri\": \"/v1/y?a=1\"}, \"response\": {\"status\": 429}, \"service\": {\"name\": \"shipments\"}}\n",
            "{\"ts\": \"2026-01-09T10:00:00Z\", \"credential\": \"acme-sbx-1\", \"status\": 500}",
        );
        let mut u = Usage::default();
        u.read("calls.jsonl", log.as_bytes()).unwrap();
        assert_eq!(u.lines, 5);
        assert_eq!(u.calls, 3);
        assert_eq!(u.problem_count, 1);
        assert_eq!(u.problems[0].line, 3);
        assert_eq!(u.problems[0].file, "calls.jsonl");
        let mut spec = u
            .by_caller
            .iter()
            .filter(|(c, _)| c.credential.as_deref() == Some("acme-sbx-1"))
            .map(|(_, s)| s.clone());
        let mut total = spec.next().unwrap();
        total.merge(&spec.next().unwrap());
        assert_eq!(total.calls, 2);
        assert_eq!(total.failed, 1);
        assert_eq!(total.last_date().to_string(), "2026-01-09");
        let kong = u
            .by_caller
            .keys()
            .find(|c| c.format == LineFormat::KongFileLog)
            .unwrap();
        assert_eq!(kong.consumer.as_deref(), Some("acme"));
        assert_eq!(kong.credential.as_deref(), Some("4b1f"));
    }

    #[test]
    fn a_long_line_is_skipped_not_kept() {
        let mut log = vec![b'x'; 100];
        log.push(b'\n');
        log.extend_from_slice(b"{\"ts\": \"2026-01-08T10:00:00Z\", \"credential\": \"a\"}\n");
        let mut reader = BufReader::with_capacity(16, log.as_slice());
        let mut buf = Vec::new();
        let (_, cut) = read_bounded_line(&mut reader, &mut buf, 50).unwrap().unwrap();
        assert!(cut);
        buf.clear();
        let (_, cut) = read_bounded_line(&mut reader, &mut buf, 50).unwrap().unwrap();
        assert!(!cut);
        assert!(buf.starts_with(b"{\"ts\""));
    }

    #[test]
    fn calls_after_the_cutoff_are_left_out() {
        let mut u = Usage::until(Date::parse("2026-01-08").unwrap());
        u.read(
            "l",
            "{\"ts\": \"2026-01-09T00:00:01Z\", \"credential\": \"a\"}\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(u.calls, 0);
        assert_eq!(u.after_cutoff, 1);
    }

    #[test]
    fn a_rollup_folds_into_the_statistics_of_its_raw_lines() {
        let raw = concat!(
            "{\"ts\": \"2026-01-08T10:00:00Z\", \"credential\": \"a\", \"environment\": \"sandbox\", \"status\": 200}\n",
            "{\"ts\": \"2026-01-08T11:00:00Z\", \"credential\": \"a\", \"environment\": \"sandbox\", \"status\": 403}\n",
            "{\"ts\": \"2026-01-09T00:30:00+02:00\", \"credential\": \"a\", \"environment\": \"sandbox\", \"status\": 429}\n",
            "{\"ts\": \"2026-01-09T12:00:00Z\", \"credential\": \"a\", \"environment\": \"sandbox\", \"status\": 401}\n",
        );
        let rollup = concat!(
            "{\"day\": \"2026-01-08\", \"credential\": \"a\", \"environment\": \"sandbox\", \"calls\": 3, \"status4xx\": 2, \"status403\": 1, \"status429\": 1, \"firstTs\": \"2026-01-08T10:00:00Z\", \"lastTs\": \"2026-01-08T22:30:00Z\"}\n",
            "{\"day\": \"2026-01-09\", \"credential\": \"a\", \"environment\": \"sandbox\", \"calls\": \"1\", \"status4xx\": 1, \"status401\": 1, \"firstTs\": \"2026-01-09T12:00:00Z\", \"lastTs\": \"2026-01-09T12:00:00Z\"}\n",
        );
        let (mut a, mut b) = (Usage::default(), Usage::default());
        a.read("raw", raw.as_bytes()).unwrap();
        b.read("rollup", rollup.as_bytes()).unwrap();
        let one = |u: &Usage| u.by_caller.values().next().cloned().unwrap();
        assert_eq!(one(&a), one(&b));
        let s = one(&a);
        assert_eq!(
            (s.calls, s.status4xx, s.status401, s.status403, s.status429),
            (4, 3, 1, 1, 1)
        );
        // 2026-01-09 had only a 401: the last accepted day is the 8th (the 429 was on the 8th, UTC).
        assert_eq!(s.last_accepted.map(|d| d.to_string()), Some("2026-01-08".into()));
        assert_eq!(a.window(), b.window());
    }

    #[test]
    fn rollups_that_do_not_add_up_are_unusable() {
        for line in [
            "{\"day\": \"2026-01-08\", \"credential\": \"a\", \"calls\": 1, \"status4xx\": 2}",
            "{\"day\": \"2026-01-08\", \"credential\": \"a\", \"calls\": 3, \"status4xx\": 1, \"status403\": 2}",
            "{\"day\": \"2026-01-08\", \"credential\": \"a\", \"calls\": -1}",
            "{\"day\": \"2026-01-08\", \"calls\": 1}",
            "{\"day\": \"2026-01-08\", \"credential\": \"a\", \"calls\": 1, \"firstTs\": \"2026-01-09T00:00:00Z\"}",
            "{\"day\": \"yesterday\", \"credential\": \"a\", \"calls\": 1}",
        ] {
            assert!(parse_record(line.as_bytes(), UsageFormat::Auto).is_err(), "{line}");
        }
    }

    #[test]
    fn envoy_lines_and_anonymous_requests() {
        let envoy = "{\"start_time\": \"2026-01-08T10:00:00.123Z\", \"method\": \"GET\", \"path\": \"/v1/x?y=1\", \"response_code\": 200, \"credential\": \"a\", \"partner\": \"-\"}";
        match parse_record(envoy.as_bytes(), UsageFormat::Auto).unwrap() {
            Record::Call(c) => {
                assert_eq!(c.caller.credential.as_deref(), Some("a"));
                assert_eq!(c.caller.consumer, None);
                assert_eq!((c.path.as_deref(), c.status), (Some("/v1/x"), Some(200)));
                assert_eq!(c.caller.format, LineFormat::Envoy);
            }
            r => panic!("{r:?}"),
        }
        let nobody = "{\"start_time\": \"2026-01-08T10:00:00Z\", \"response_code\": 401, \"credential\": \"-\"}";
        assert_eq!(
            parse_record(nobody.as_bytes(), UsageFormat::Auto),
            Ok(Record::Anonymous)
        );
        // Forced to Kong, an Envoy line is unusable.
        assert!(parse_record(envoy.as_bytes(), UsageFormat::Kong).is_err());
    }

    #[test]
    fn a_mostly_unusable_stream_is_an_error_naming_its_first_bad_line() {
        let log = "{\"ts\": \"2026-01-08T10:00:00Z\", \"credential\": \"a\"}\n\nkind: Partner\nmetadata:\n";
        let err = Usage::default().read("partners.yaml", log.as_bytes()).unwrap_err();
        match err {
            UsageError::MostlyUnusable {
                file, line, bad, lines, ..
            } => {
                assert_eq!((file.as_str(), line, bad, lines), ("partners.yaml", 3, 2, 3));
            }
            e => panic!("{e}"),
        }
        // Half is not most.
        let log = "{\"ts\": \"2026-01-08T10:00:00Z\", \"credential\": \"a\"}\nnot json\n";
        Usage::default().read("l", log.as_bytes()).unwrap();
    }
}
