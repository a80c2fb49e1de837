//! What a request becomes (SPEC §15.2): the refusals found, the partner file to write, the
//! stage move, the acceptances and subscriptions recorded, and where each written node comes
//! from in the request, so that a finding `validate` makes in the file names the request
//! field at fault. [`super::judge`] fills it in; [`super::partner_file`] writes the file.

use super::change::FileChange;
use super::input::{Origin, RequestDiagnostic};
use crate::diag::Code;
use crate::source::yaml;
use crate::spec::Stage;

/// An acceptance the request records.
#[derive(Clone, Debug)]
pub struct Accepted {
    /// Its index in `spec.accept`.
    pub index: usize,
    pub terms: String,
    pub title: String,
    pub version: String,
    pub sha256: String,
}

/// What the request becomes.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub refusals: Vec<RequestDiagnostic>,
    /// The partner file written, when there is anything to write.
    pub file: Option<FileChange>,
    /// The partner's stage before (none for a new partner) and after.
    pub stage_before: Option<Stage>,
    pub stage_after: Option<Stage>,
    pub accepted: Vec<Accepted>,
    /// Products and plans subscribed to, in the action's environment.
    pub subscribed: Vec<(String, String)>,
    /// A pointer into the written partner document → the request field it comes from.
    map: Vec<(String, String)>,
}

impl Draft {
    pub(super) fn refuse(&mut self, origin: &Origin, code: Code, pointer: &str, message: String, hint: Option<String>) {
        let mut r = origin.finding(code, pointer, message);
        if let Some(h) = hint {
            r.diagnostic = r.diagnostic.with_hint(h);
        }
        self.refusals.push(r);
    }

    pub(super) fn map(&mut self, pointer: impl Into<String>, field: impl Into<String>) {
        self.map.push((pointer.into(), field.into()));
    }

    /// Where each mapped node stands in the written file, to name the request field of a
    /// finding `validate` makes there.
    pub fn field_positions(&self, file: &str, bytes: &[u8]) -> FieldPositions {
        let mut candidates = Vec::new();
        if let Ok(doc) = yaml::parse(file, bytes) {
            for (pointer, field) in &self.map {
                if doc.value.pointer(pointer).is_none() {
                    continue;
                }
                let depth = pointer.matches('/').count();
                let at = doc.pos(pointer);
                let key = doc.key_pos(pointer);
                candidates.push((at.line, at.column, key.line, key.column, depth, field.clone()));
            }
        }
        FieldPositions { candidates }
    }
}

/// Nodes of a written partner file by position, and the request fields they come from.
pub struct FieldPositions {
    candidates: Vec<(usize, usize, usize, usize, usize, String)>,
}

impl FieldPositions {
    /// The request field of the deepest node written exactly at `line`:`column` (its value
    /// or its key), else of the deepest node starting on that line, else the partner.
    pub fn field_at(&self, line: usize, column: usize) -> String {
        let deepest = |hits: Vec<&(usize, usize, usize, usize, usize, String)>| {
            hits.into_iter().max_by_key(|c| c.4).map(|c| c.5.clone())
        };
        let exact = self
            .candidates
            .iter()
            .filter(|c| (c.0 == line && c.1 == column) || (c.2 == line && c.3 == column))
            .collect();
        if let Some(f) = deepest(exact) {
            return f;
        }
        let same_line = self.candidates.iter().filter(|c| c.0 == line || c.2 == line).collect();
        deepest(same_line).unwrap_or_else(|| "spec.partner".into())
    }
}
