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
//!
//! [`record`] is what a line holds, [`dialects`] parses a line of each dialect; this module
//! streams files into a [`Usage`] and attributes its callers to the program's credentials.

pub mod dialects;
pub mod record;

pub use dialects::{Record, parse_line, parse_record};
pub use record::*;

use crate::model::Program;
use crate::spec::{Date, Environment};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

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
    /// Requests no one was authenticated for (a line with neither consumer nor credential, or
    /// an empty one, as the nginx target logs its 401s): counted, attributed to nobody.
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
            let counted = match parse_record(text, self.format) {
                Ok(Record::Call(call)) => self.add(call),
                Ok(Record::Rollup(caller, tally)) => self.add_tally(caller, tally),
                Ok(Record::Anonymous(n)) => {
                    self.add_anonymous(n);
                    Ok(())
                }
                Err(msg) => Err(msg),
            };
            if let Err(msg) = counted {
                note(line_no, &msg, &mut bad);
                self.problem(name, line_no, msg);
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

    /// Counts requests nobody was authenticated for (they make nobody active, and no day
    /// of the window).
    pub fn add_anonymous(&mut self, n: u64) {
        self.anonymous = self.anonymous.saturating_add(n);
    }

    /// Counts one call.
    pub fn add(&mut self, call: Call) -> Result<(), String> {
        let tally = Tally::of_call(&call);
        self.add_tally(call.caller, tally)
    }

    /// Counts one day of a caller's calls (a rollup line, or one raw call). Counts come from
    /// outside: a line that would take a total past `u64::MAX` is refused (the caller reports
    /// it at its line) and counts nothing, so that no total ever wraps. Every caller's
    /// statistics add up to `calls`, so keeping `calls` in range keeps them all in range.
    pub fn add_tally(&mut self, caller: Caller, tally: Tally) -> Result<(), String> {
        if tally.calls == 0 {
            return Ok(());
        }
        let overflow = || format!("its {} calls take the total past {} calls", tally.calls, u64::MAX);
        if self.cutoff.is_some_and(|c| tally.day > c) {
            self.after_cutoff = self.after_cutoff.checked_add(tally.calls).ok_or_else(overflow)?;
            return Ok(());
        }
        let calls = self.calls.checked_add(tally.calls).ok_or_else(overflow)?;
        match self.by_caller.get_mut(&caller) {
            Some(stats) => stats.tally(&tally).ok_or_else(overflow)?,
            None => {
                let mut stats = CallStats::new(tally.first);
                stats.tally(&tally).ok_or_else(overflow)?;
                self.by_caller.insert(caller, stats);
            }
        }
        self.calls = calls;
        self.first_day = Some(self.first_day.map_or(tally.day, |d| d.min(tally.day)));
        self.last_day = Some(self.last_day.map_or(tally.day, |d| d.max(tally.day)));
        Ok(())
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
            // A gateway's own credential id (Kong's UUID) says nothing the program knows
            // unless `gateway_ids` maps such ids: without a map, a caller whose consumer is
            // a partner is that partner's, not unknown.
            let unmapped = caller.credential.is_some() && !gateway_ids.is_empty();
            if credential.is_none() && (partner.is_none() || unmapped) {
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
            Ok(Record::Anonymous(1))
        );
        // Forced to Kong, an Envoy line is unusable.
        assert!(parse_record(envoy.as_bytes(), UsageFormat::Kong).is_err());
    }

    #[test]
    fn an_empty_credential_is_an_unauthenticated_call_in_every_dialect() {
        for (line, n) in [
            (
                "{\"ts\":\"2026-01-08T10:00:00Z\",\"credential\":\"\",\"environment\":\"sandbox\",\"status\":401}",
                1,
            ),
            (
                "{\"start_time\":\"2026-01-08T10:00:00Z\",\"credential\":\"\",\"response_code\":401}",
                1,
            ),
            (
                "{\"started_at\":1767866400000,\"authenticated_entity\":{\"id\":\"\"},\"response\":{\"status\":401}}",
                1,
            ),
            (
                "{\"day\":\"2026-01-08\",\"credential\":\"\",\"calls\":7,\"status4xx\":7,\"status401\":7}",
                7,
            ),
        ] {
            assert_eq!(
                parse_record(line.as_bytes(), UsageFormat::Auto),
                Ok(Record::Anonymous(n)),
                "{line}"
            );
        }
        // Not a usage record at all: still unusable.
        assert!(parse_record(b"{\"ts\":\"2026-01-08T10:00:00Z\"}", UsageFormat::Auto).is_err());
        // 80% of a log unauthenticated is a usage log.
        let mut log = String::new();
        for i in 0..10 {
            let credential = if i < 8 { "" } else { "acme-sbx-1" };
            log.push_str(&format!(
                "{{\"ts\":\"2026-01-08T10:00:0{i}Z\",\"credential\":\"{credential}\",\"status\":401}}\n"
            ));
        }
        let mut u = Usage::default();
        u.read("nginx.jsonl", log.as_bytes()).unwrap();
        assert_eq!((u.anonymous, u.calls, u.problem_count), (8, 2, 0));
    }

    #[test]
    fn kong_lines_take_their_environment_from_the_kong_targets_tags() {
        let line = |tags: &str| {
            format!(
                "{{\"started_at\":1767866400000,\"consumer\":{{\"custom_id\":\"acme\"}},\"authenticated_entity\":{{\"id\":\"4b1f\"}},\"service\":{{\"name\":\"shipments\",\"tags\":{tags}}}}}"
            )
        };
        for (tags, env) in [
            (
                "[\"partnerctl-northwind-production\",\"product:shipments\"]",
                Some(Environment::Production),
            ),
            ("[\"environment:sandbox\"]", Some(Environment::Sandbox)),
            ("[\"product:shipments\"]", None),
        ] {
            match parse_record(line(tags).as_bytes(), UsageFormat::Auto).unwrap() {
                Record::Call(c) => assert_eq!(c.caller.environment, env, "{tags}"),
                r => panic!("{r:?}"),
            }
        }
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
