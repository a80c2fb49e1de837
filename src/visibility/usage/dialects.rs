//! The dialects of a usage line: partnerctl's own JSON Lines, daily rollups, Kong's
//! `file-log`/`http-log` and Envoy's JSON access log, told apart by their keys (or forced
//! with `--usage-format`), each parsed into a [`Record`] or refused with the reason.

use super::record::*;
use crate::spec::{Date, Environment};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::borrow::Cow;

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
    #[serde(borrow, default)]
    route: Option<KongTagged<'a>>,
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
    #[serde(borrow, default)]
    tags: Option<Vec<Cow<'a, str>>>,
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

/// A Kong entity of the line that carries tags (the route; the consumer's are read from
/// [`KongConsumer`]).
#[derive(Deserialize)]
struct KongTagged<'a> {
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
    /// Requests nobody was authenticated for (one for a raw line, the rollup's `calls` for
    /// a rollup line): an empty or missing credential and no consumer, in every dialect.
    Anonymous(u64),
}

/// Parses one non-blank line in any format (SPEC §8, Kong, Envoy); a rollup or an anonymous
/// request is an error here (see [`parse_record`]).
pub fn parse_line(text: &[u8]) -> Result<Call, String> {
    match parse_record(text, UsageFormat::Auto)? {
        Record::Call(call) => Ok(call),
        Record::Rollup(..) => Err("the line is a daily rollup, not one call".into()),
        Record::Anonymous(_) => Err("the line names no consumer and no credential (an unauthenticated request)".into()),
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
    if raw.credential.is_none() {
        return Err("the line has no `credential`".into());
    }
    // `"credential": ""` is what the nginx target logs for a request without a known key
    // (its 401s): a real request nobody was authenticated for, as in the other dialects.
    let Some(credential) = name_of("credential", raw.credential)? else {
        status_of("status", raw.status.as_ref())?;
        optional_environment(raw.environment.as_deref())?;
        return Ok(Record::Anonymous(1));
    };
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
    if raw.credential.is_none() && raw.partner.is_none() {
        return Err("the rollup names no `credential` and no `partner`".into());
    }
    let credential = name_of("credential", raw.credential)?;
    let consumer = name_of("partner", raw.partner)?;
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
    // Checked: each count is at most `calls`, but their sums are not, and a sum that wrapped
    // would pass the check (a partner whose every call was refused would look active).
    let refused = status401.checked_add(status403).and_then(|n| n.checked_add(status429));
    let answered = status4xx.checked_add(status5xx);
    if refused.is_none_or(|n| n > status4xx) || answered.is_none_or(|n| n > calls) {
        return Err("the status counts do not add up (401, 403 and 429 are part of `status4xx`, and `status4xx` and `status5xx` of `calls`)".into());
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
    if credential.is_none() && consumer.is_none() {
        // `"credential": ""`: a day of requests nobody was authenticated for.
        return Ok(Record::Anonymous(calls));
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
        return Ok(Record::Anonymous(1));
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
    let consumer_tags = raw.consumer.as_ref().and_then(|c| c.tags.clone());
    let consumer = match raw.consumer {
        Some(c) => name_of("consumer", c.custom_id.filter(|s| !s.is_empty()).or(c.username))?,
        None => None,
    };
    let status = status_of("response.status", raw.response.as_ref().and_then(|r| r.status.as_ref()))?;
    if credential.is_none() && consumer.is_none() {
        // Refused before authentication: a real request, but nobody to count it for.
        return Ok(Record::Anonymous(1));
    }
    // The environment the tags of the service, route or consumer name (`environment:<env>`,
    // `env:<env>`, or the select tag `partnerctl-<program>-<env>` the kong target puts on
    // every entity it writes), else a `-<env>` suffix of the service's name.
    let tagged = |tags: Option<&Vec<Cow<'_, str>>>| {
        let tags: Vec<String> = tags.into_iter().flatten().map(|t| t.to_string()).collect();
        crate::gateway::kong::model::environment_tag(&tags)
    };
    let service_tags = raw.service.as_ref().and_then(|s| s.tags.as_ref());
    let environment = tagged(service_tags)
        .or_else(|| tagged(raw.route.as_ref().and_then(|r| r.tags.as_ref())))
        .or_else(|| tagged(consumer_tags.as_ref()))
        .or_else(|| {
            let name = raw.service.as_ref()?.name.as_deref()?;
            Environment::ALL
                .into_iter()
                .find(|e| name.ends_with(&format!("-{}", e.as_str())))
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
