//! What a plan says (SPEC §3 `plan --format json`): each resource change with its classes
//! and approvals, the artifacts' diffs, drift, render errors and findings.

use super::classes::Effect;
use super::fields::FieldChange;
use crate::diag;
use crate::diag::Diagnostic;
use crate::spec::{ChangeClass, Date};
use crate::state::Drift;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What happens to a resource or an output file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }

    /// The terraform-like mark: `+`, `~`, `-`.
    pub fn mark(self) -> char {
        match self {
            Action::Create => '+',
            Action::Update => '~',
            Action::Delete => '-',
        }
    }
}

/// One resource that differs between base and desired.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// `partner/acme-logistics`, `product/rates`, `terms/dpa`, `program`.
    pub resource: String,
    pub action: Action,
    pub classes: Vec<ChangeClass>,
    /// One line in the program's own terms.
    pub summary: String,
    /// Teams whose approval the change needs, `owner` resolved.
    pub approvals: Vec<String>,
    /// The file the resource is written in (desired side, else base).
    pub file: String,
    pub fields: Vec<FieldChange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
    /// The dates of the resource that took effect since the applied day (class `date-effect`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub date_effects: Vec<super::date_effects::DateEffect>,
    /// For each team of `approvals`, the classes it is needed for (in `approvalTeams`).
    #[serde(skip)]
    pub approval_classes: BTreeMap<String, Vec<ChangeClass>>,
}

/// One output file that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    pub path: String,
    pub action: Action,
    /// A unified diff (`a/path` → `b/path`); for bytes that are not UTF-8, a one-line note.
    pub diff: String,
}

/// Counts for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

/// The result of `plan`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// No finding of severity error (and every output rendered).
    pub ok: bool,
    /// What the desired state was compared with, for people.
    pub base: String,
    /// The base's identity (`git:<commit>`, `file:<digest>`, `none`); a saved plan keeps it.
    pub base_id: String,
    /// Where the desired state came from.
    pub desired: String,
    /// A digest of the desired program's files.
    pub desired_digest: String,
    pub as_of: Date,
    /// The day the base was applied for, when it is the applied state: its outputs are
    /// rendered as of that day (SPEC §16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_as_of: Option<Date>,
    pub summary: Summary,
    pub changes: Vec<Change>,
    pub approvals: Vec<String>,
    /// Each team of `approvals` with its GitHub handle and the resources it must approve,
    /// for `partnerctl approvals` and the pull-request comment.
    pub approval_teams: Vec<ApprovalTeam>,
    pub artifacts: Vec<Artifact>,
    /// Outputs on disk that differ from what was last applied; `apply` restores them.
    pub drift: Vec<Drift>,
    /// Outputs on disk that differ from what was last applied but already hold what this
    /// plan writes (an apply that was interrupted wrote them): not drift.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub already_written: Vec<String>,
    /// Temporary files an interrupted apply left beside the outputs; `apply` removes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub temporaries: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// Outputs that could not be rendered (desired side).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub render_errors: Vec<String>,
}

impl Plan {
    /// Redacts everything a plan shows: resources, summaries, field values and diffs, effects,
    /// output diffs, drift, render errors and findings.
    pub fn redact(&mut self, redactor: &crate::redact::Redactor) {
        let plan = self;
        if redactor.is_empty() {
            return;
        }
        for c in &mut plan.changes {
            redactor.string(&mut c.resource);
            redactor.string(&mut c.summary);
            redactor.string(&mut c.file);
            for f in &mut c.fields {
                redactor.string(&mut f.address);
                for v in [&mut f.before, &mut f.after].into_iter().flatten() {
                    redactor.json(v);
                }
                if let Some(d) = &mut f.diff {
                    redactor.string(d);
                }
            }
            for e in &mut c.effects {
                redactor.string(&mut e.message);
            }
            for e in &mut c.date_effects {
                redactor.string(&mut e.message);
            }
        }
        for a in &mut plan.artifacts {
            redactor.string(&mut a.path);
            redactor.string(&mut a.diff);
        }
        for d in &mut plan.drift {
            redactor.string(&mut d.path);
            if let Some(diff) = &mut d.diff {
                redactor.string(diff);
            }
        }
        for e in &mut plan.render_errors {
            redactor.string(e);
        }
        redactor.diagnostics(&mut plan.diagnostics);
    }

    /// Whether applying it would change anything (resources, outputs, or drifted files).
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty() || !self.artifacts.is_empty() || !self.drift.is_empty()
    }

    pub fn errors(&self) -> usize {
        diag::counts(&self.diagnostics).0
    }
}

/// A team whose approval the plan needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalTeam {
    /// The team's name in program.yaml `spec.teams`.
    pub team: String,
    /// Its GitHub handle (`@org/team`), when the program declares one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// The changed resources that need it (`partner/acme`).
    pub resources: Vec<String>,
    /// The classes of change it approves, over those resources.
    pub classes: Vec<String>,
}
