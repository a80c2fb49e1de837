//! The artifacts' side of a plan: the diff of every rendered file between the base and the
//! desired program, and the diff of each drifted output against what was applied.

use super::fields;
use super::report::*;
use crate::output::RenderedFile;
use crate::state::Drift;
use std::collections::{BTreeMap, BTreeSet};

/// The outputs that differ between two renders, by path, with unified diffs.
pub fn artifacts(base: &[RenderedFile], desired: &[RenderedFile]) -> Vec<Artifact> {
    artifacts_except(base, desired, &BTreeSet::new())
}

/// [`artifacts`], where the files at `same` are the desired ones on both sides (`base`
/// leaves them out).
pub(crate) fn artifacts_except(
    base: &[RenderedFile],
    desired: &[RenderedFile],
    same: &BTreeSet<String>,
) -> Vec<Artifact> {
    let d: BTreeMap<&str, &[u8]> = desired.iter().map(|f| (f.path.as_str(), f.bytes.as_slice())).collect();
    let b: BTreeMap<&str, &[u8]> = base
        .iter()
        .map(|f| (f.path.as_str(), f.bytes.as_slice()))
        .chain(
            same.iter()
                .filter_map(|p| d.get_key_value(p.as_str()).map(|(k, v)| (*k, *v))),
        )
        .collect();
    let paths: BTreeSet<&str> = b.keys().chain(d.keys()).copied().collect();
    let mut out = Vec::new();
    for path in paths {
        let (before, after) = (b.get(path).copied(), d.get(path).copied());
        if before == after {
            continue;
        }
        let action = match (before, after) {
            (None, _) => Action::Create,
            (Some(_), Some(_)) => Action::Update,
            (Some(_), None) => Action::Delete,
        };
        let diff = match (text_of(before), text_of(after)) {
            (Ok(x), Ok(y)) => fields::text_diff(path, x, y),
            _ => format!("Binary file {path} differs\n"),
        };
        out.push(Artifact {
            path: path.to_string(),
            action,
            diff,
        });
    }
    out
}

fn text_of(x: Option<&[u8]>) -> Result<&str, std::str::Utf8Error> {
    x.map(std::str::from_utf8).unwrap_or(Ok(""))
}

/// Fills in each drifted file's diff: the file on disk against what `apply` writes over it.
/// A file on disk is not the repository's: a value in it that looks like a secret (a key
/// pasted into a gateway file by hand) is redacted from the diff, as the repository's are.
pub(crate) fn drift_diffs(mut drift: Vec<Drift>, rendered: &[RenderedFile]) -> Vec<Drift> {
    for d in &mut drift {
        let Some(content) = d.content.take() else {
            continue;
        };
        let after = rendered.iter().find(|f| f.path == d.path).map(|f| f.bytes.as_slice());
        let (Ok(before), Ok(after)) = (
            std::str::from_utf8(&content),
            std::str::from_utf8(after.unwrap_or_default()),
        ) else {
            d.diff = Some(format!("Binary file {} differs\n", d.path));
            continue;
        };
        let found: Vec<&str> = before
            .lines()
            .filter_map(|l| crate::model::secrets::find(l).map(|(_, s)| s))
            .collect();
        let local = crate::redact::Redactor::new(&found);
        let diff = fields::text_diff(&d.path, before, after)
            .replacen(&format!("--- a/{}", d.path), &format!("--- {} (on disk)", d.path), 1)
            .replacen(
                &format!("+++ b/{}", d.path),
                &format!("+++ {} (as apply writes it)", d.path),
                1,
            );
        d.diff = Some(local.text(&diff).into_owned());
    }
    drift
}
