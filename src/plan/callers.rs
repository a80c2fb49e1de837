//! `plan --usage`: who called an endpoint the change removes, within the program's
//! `activeWithinDays`, read from the usage logs (SPEC §8 lines) by streaming them once.

use super::Plan;
use crate::model::Program;
use crate::spec::Date;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader};
use std::path::Path;

/// Longest log line read; longer ones are skipped.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Why the logs could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct LogError {
    pub file: String,
    pub message: String,
}

/// A path template (`/v1/pets/{id}`) as a matcher of concrete paths.
fn matches(template: &str, path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if t.starts_with('{') && t.ends_with('}') {
                !p.is_empty()
            } else {
                t == p
            }
        })
}

/// Adds to every `endpoint-removed` effect of the plan the partners that called it within
/// `activeWithinDays` before `today`, and says so in its message.
pub fn annotate(plan: &mut Plan, program: &Program, today: Date, files: &[&Path]) -> Result<(), LogError> {
    let wanted: BTreeSet<(String, String)> = plan
        .changes
        .iter()
        .flat_map(|c| c.effects.iter())
        .filter(|e| e.kind == "endpoint-removed")
        .filter_map(|e| {
            e.endpoint
                .as_deref()?
                .split_once(' ')
                .map(|(m, p)| (m.to_string(), p.to_string()))
        })
        .collect();
    if wanted.is_empty() || files.is_empty() {
        return Ok(());
    }
    let window = program.spec().and_then(|s| s.active_within_days).unwrap_or(30);
    let from = today.0 - chrono::Duration::days(i64::from(window));
    let owner: BTreeMap<&str, &str> = program
        .partners
        .values()
        .flat_map(|p| p.spec.credentials.iter().map(move |c| (&*c.id, p.name.as_str())))
        .collect();
    let mut callers: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let f = std::fs::File::open(file).map_err(|e| LogError {
            file: file.display().to_string(),
            message: e.to_string(),
        })?;
        let mut reader = BufReader::new(f);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = std::io::Read::take(&mut reader, MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|e| LogError {
                    file: file.display().to_string(),
                    message: e.to_string(),
                })?;
            if n == 0 {
                break;
            }
            if buf.len() > MAX_LINE_BYTES && !buf.ends_with(b"\n") {
                // Skip the rest of an overlong line.
                let mut rest = Vec::new();
                let _ = reader.read_until(b'\n', &mut rest);
                continue;
            }
            let Ok(call) = crate::visibility::usage::parse_line(buf.trim_ascii()) else {
                continue;
            };
            let day = call.at.date_naive();
            if day < from || day > today.0 || call.status.is_some_and(|s| s == 401 || s == 403) {
                continue;
            }
            let (Some(method), Some(path), Some(cred)) = (&call.method, &call.path, &call.caller.credential) else {
                continue;
            };
            let Some(partner) = owner.get(cred.as_str()) else {
                continue;
            };
            for (m, t) in &wanted {
                if m.eq_ignore_ascii_case(method) && matches(t, path) {
                    callers
                        .entry((m.clone(), t.clone()))
                        .or_default()
                        .insert(partner.to_string());
                }
            }
        }
    }
    for e in plan.changes.iter_mut().flat_map(|c| c.effects.iter_mut()) {
        if e.kind != "endpoint-removed" {
            continue;
        }
        let Some((m, p)) = e.endpoint.as_deref().and_then(|x| x.split_once(' ')) else {
            continue;
        };
        let who: Vec<String> = callers
            .get(&(m.to_string(), p.to_string()))
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        if who.is_empty() {
            e.message
                .push_str(&format!("; the logs show no call to it in the last {window} days"));
        } else {
            e.message.push_str(&format!(
                "; {} called it in the last {window} days: {}",
                who.len(),
                who.join(", ")
            ));
        }
        e.called_by = who;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_match_concrete_paths() {
        assert!(super::matches("/v1/pets/{id}", "/v1/pets/7?x=1"));
        assert!(!super::matches("/v1/pets/{id}", "/v1/pets/7/toys"));
        assert!(!super::matches("/v1/pets/{id}", "/v1/pets/"));
        assert!(super::matches("/v1/pets", "/v1/pets"));
    }
}
