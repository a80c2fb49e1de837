//! Usage logs: who called the gateway, and when (SPEC §8).
//!
//! Two formats are read, told apart line by line:
//! - partnerctl's own JSON Lines (what the `nginx` target writes):
//!   `{"ts": "2026-01-08T10:00:00Z", "credential": "acme-sbx-1", "environment": "sandbox", ...}`;
//! - Kong's `file-log` plugin output: one JSON object a line with `started_at` (milliseconds
//!   since the epoch), `consumer.custom_id`/`consumer.username`, `authenticated_entity.id`
//!   (the Kong id of the credential used), `request.method`, `request.uri`,
//!   `response.status` and `service.name`/`service.tags`.
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

/// Which format a line was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineFormat {
    /// SPEC §8 JSON Lines.
    Partnerctl,
    /// Kong's file-log plugin.
    KongFileLog,
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

/// What the calls of one caller add up to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallStats {
    pub calls: u64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// Calls answered with a 4xx or 5xx status.
    pub failed: u64,
}

impl CallStats {
    fn new(at: DateTime<Utc>) -> Self {
        CallStats {
            calls: 0,
            first: at,
            last: at,
            failed: 0,
        }
    }

    fn add(&mut self, call: &Call) {
        self.calls += 1;
        if call.at < self.first {
            self.first = call.at;
        }
        if call.at > self.last {
            self.last = call.at;
        }
        if call.status.is_some_and(|s| s >= 400) {
            self.failed += 1;
        }
    }

    /// Folds another caller's statistics into these.
    pub fn merge(&mut self, other: &CallStats) {
        self.calls += other.calls;
        self.failed += other.failed;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
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

/// Why a usage file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("cannot read usage log {file}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
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

    /// Reads a stream of lines into the aggregate.
    pub fn read(&mut self, name: &str, input: impl Read) -> Result<(), UsageError> {
        self.files.push(name.to_string());
        let mut reader = BufReader::with_capacity(64 * 1024, input);
        let mut buf = Vec::with_capacity(4096);
        let mut line_no = 0u64;
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
                self.problem(name, line_no, format!("the line is longer than {MAX_LINE_BYTES} bytes"));
                continue;
            }
            let text = trim_line(&buf);
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match parse_line(text) {
                Ok(call) => self.add(call),
                Err(msg) => self.problem(name, line_no, msg),
            }
        }
        Ok(())
    }

    /// Counts one call.
    pub fn add(&mut self, call: Call) {
        if self.cutoff.is_some_and(|c| call.at.date_naive() > c.0) {
            self.after_cutoff += 1;
            return;
        }
        self.calls += 1;
        match self.by_caller.get_mut(&call.caller) {
            Some(stats) => stats.add(&call),
            None => {
                let mut stats = CallStats::new(call.at);
                stats.add(&call);
                self.by_caller.insert(call.caller.clone(), stats);
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

fn status_of(v: Option<&serde_json::Value>) -> Result<Option<u16>, String> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("`status` {n} is not an HTTP status")),
        Some(serde_json::Value::String(s)) => s
            .parse::<u16>()
            .map(Some)
            .map_err(|_| format!("`status` \"{s}\" is not an HTTP status")),
        Some(other) => Err(format!("`status` {other} is not an HTTP status")),
    }
}

fn environment_of(s: &str) -> Option<Environment> {
    Environment::ALL.into_iter().find(|e| e.as_str() == s)
}

/// Parses one non-blank line in either format.
pub fn parse_line(text: &[u8]) -> Result<Call, String> {
    let raw: RawLine = serde_json::from_slice(text).map_err(|e| format!("not a JSON object: {e}"))?;
    if let Some(ts) = raw.ts.as_deref() {
        let at = DateTime::parse_from_rfc3339(ts)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| format!("`ts` \"{ts}\" is not an RFC 3339 time such as 2026-01-08T10:00:00Z"))?;
        let credential = match raw.credential.as_deref() {
            Some(c) if !c.is_empty() => c.to_string(),
            _ => return Err("the line has no `credential`".to_string()),
        };
        let environment = match raw.environment.as_deref() {
            None | Some("") => None,
            Some(e) => {
                Some(environment_of(e).ok_or_else(|| format!("`environment` \"{e}\" is not sandbox or production"))?)
            }
        };
        return Ok(Call {
            at,
            caller: Caller {
                credential: Some(credential),
                consumer: None,
                environment,
                format: LineFormat::Partnerctl,
            },
            method: raw.method.map(Cow::into_owned),
            path: raw.path.map(Cow::into_owned),
            status: status_of(raw.status.as_ref())?,
        });
    }
    if let Some(started) = raw.started_at.as_ref() {
        let ms = started
            .as_i64()
            .or_else(|| started.as_f64().map(|f| f as i64))
            .ok_or("`started_at` is not a number")?;
        let at =
            DateTime::<Utc>::from_timestamp_millis(ms).ok_or_else(|| format!("`started_at` {ms} is out of range"))?;
        let credential = raw
            .authenticated_entity
            .and_then(|e| e.id)
            .filter(|s| !s.is_empty())
            .map(Cow::into_owned);
        let consumer = raw
            .consumer
            .and_then(|c| {
                c.custom_id
                    .filter(|s| !s.is_empty())
                    .or(c.username.filter(|s| !s.is_empty()))
            })
            .map(Cow::into_owned);
        if credential.is_none() && consumer.is_none() {
            // An anonymous request (refused before authentication): nobody to count it for.
            return Err(
                "the Kong log line names no consumer and no authenticated credential (an unauthenticated request)"
                    .to_string(),
            );
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
        let status = status_of(raw.response.as_ref().and_then(|r| r.status.as_ref()))?;
        return Ok(Call {
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
        });
    }
    Err("the line is neither a usage record (no `ts`) nor a Kong file-log record (no `started_at`)".to_string())
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
}

impl Usage {
    /// Attributes every caller to the program's credentials and partners. `gateway_ids` maps a
    /// gateway's own credential ids (Kong's credential UUIDs) to program credential ids, as
    /// read from a decK dump; it may be empty.
    pub fn attribute(&self, program: &Program, gateway_ids: &BTreeMap<String, String>) -> Attributed {
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        for p in program.partners.values() {
            for c in &p.spec.credentials {
                owner.insert(c.id.0.as_str(), p.name.as_str());
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
}
