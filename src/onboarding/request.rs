//! `partnerctl request` (SPEC §15.2): a Request applied to the working tree, or refused with
//! every reason.
//!
//! A request goes through four gates, each of which reports everything it finds before the
//! request stops:
//! 1. reading: the Request file (YAML or JSON), or the GitHub `issues` event turned into a
//!    Request by the form its label names (`github.rs`);
//! 2. the Request's schema ([`crate::schema::validate_request`]): every value bounded and
//!    patterned, names matching the name pattern before anything makes a path of them;
//! 3. the request against the program ([`super::draft`]): the partner, the stage it is in and
//!    the step it asks for, the terms and their texts' digests, the products and plans;
//! 4. the program as the request leaves it, checked by the same rules as `validate`
//!    ([`crate::validate_snapshot`], and `acceptance-evidence` against the working tree): a
//!    request never produces a program that `validate` rejects.
//!
//! Each finding names the request field at fault (`spec.subscriptions[1].plan`). Nothing is
//! written here: [`Outcome::files`] holds what the caller writes, through
//! [`crate::source::program_files::write`], and only when the request is accepted.

pub use super::change::{FileAction, FileChange, RequestError};
pub use super::input::{Input, Origin, RequestDiagnostic, field_of, read_file};

use super::draft::Draft;
use super::judge;
use super::{describe, forms};
use crate::diag::{Code, Diagnostic, Severity};
use crate::source::Snapshot;
use crate::source::yaml::{Positions, YamlDoc};
use crate::spec::{Date, RequestAction, RequestDocument};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// The largest Request file or GitHub event read (GitHub caps a webhook payload at 25 MB).
pub const MAX_INPUT_BYTES: u64 = 25 * 1024 * 1024;

/// What `request --format json` prints (SPEC §15.2).
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub ok: bool,
    /// The action asked for, once the request could be read.
    pub action: Option<RequestAction>,
    pub partner: Option<String>,
    /// What the request writes (nothing when it is refused).
    pub files: Vec<FileChange>,
    /// The pull request's title, in plain words.
    pub title: String,
    /// The pull request's description (Markdown); for a refusal, the reasons, for the issue.
    pub body: String,
    /// Labels for the pull request: `partnerctl:<action>`, the label of the action's form.
    pub labels: Vec<String>,
    /// Refusals (errors) and notes (warnings), each naming the request field at fault.
    pub diagnostics: Vec<RequestDiagnostic>,
}

/// Judges a request against the program in `snapshot` (the working tree) as of `today`.
pub fn apply(snapshot: Snapshot, input: Input, today: Date) -> Result<Outcome, RequestError> {
    let mut refusals = input.refusals;
    let origin = input.origin;
    let action = input
        .value
        .pointer("/spec/action")
        .and_then(Value::as_str)
        .and_then(RequestAction::parse);
    let partner = input
        .value
        .pointer("/spec/partner")
        .and_then(Value::as_str)
        .filter(|p| crate::source::paths::is_valid_folder_name(p))
        .map(str::to_string);

    // The schema, unless reading already failed (a file that does not parse has no fields).
    if !input.value.is_null() {
        let doc = match &origin {
            Origin::File { doc, .. } => (**doc).clone(),
            Origin::Event { .. } => YamlDoc {
                value: input.value.clone(),
                positions: Positions::default(),
            },
        };
        let refused: BTreeSet<String> = refusals.iter().filter_map(|r| r.field.clone()).collect();
        for (pointer, mut d) in crate::schema::validate_request(origin.file(), &doc) {
            let field = field_of(&pointer);
            // Reading the issue said it already, in the form's words.
            if refused
                .iter()
                .any(|f| field == *f || field.starts_with(&format!("{f}.")) || field.starts_with(&format!("{f}[")))
            {
                continue;
            }
            let at = origin.at(&pointer);
            (d.file, d.line, d.column) = (at.file, at.line, at.column);
            refusals.push(RequestDiagnostic {
                field: Some(field),
                diagnostic: d,
            });
        }
    }
    let request = if refusals.is_empty() {
        match serde_path_to_error::deserialize::<_, RequestDocument>(&input.value) {
            Ok(r) => Some(r),
            Err(e) => {
                // The schema passed, so this is what a schema cannot say; it is not placed
                // more precisely than the request.
                refusals.push(origin.finding(Code::Schema, "", format!("{}: {}", e.path(), e.inner())));
                None
            }
        }
    } else {
        None
    };
    let Some(request) = request else {
        return Ok(refused(action, partner, refusals));
    };

    let before = crate::model::load(snapshot.clone()).program;
    if before.program.is_none() {
        return Err(RequestError::Program(String::new()));
    }
    let draft = judge::draft(&before, &request, &origin, today)?;
    refusals.extend(draft.refusals.iter().cloned());
    let Some(change) = draft.file.clone() else {
        return Ok(refused(Some(request.spec.action), partner, refusals));
    };

    // The program as the request leaves it, judged as `validate` judges it.
    let mut after_snapshot = snapshot.clone();
    after_snapshot.insert(
        change.path.clone(),
        crate::source::Entry::Bytes(change.bytes.clone().into()),
    );
    let old = crate::validate_snapshot(snapshot, today);
    let mut new = crate::validate_snapshot(after_snapshot, today);
    let mut judged = crate::check::acceptance_evidence::check(&before, &new.program);
    new.redactor.diagnostics(&mut judged);
    new.diagnostics.extend(judged);
    let notes = program_findings(&old.diagnostics, &new.diagnostics, &change, &draft, &origin);
    let ok = refusals.is_empty() && !notes.iter().any(|n| n.diagnostic.severity == Severity::Error);
    refusals.extend(notes);
    if !ok {
        return Ok(refused(Some(request.spec.action), partner, refusals));
    }
    let (title, body) = describe::describe(&before, &new.program, &request, &draft, &change, today);
    Ok(Outcome {
        ok: true,
        action: Some(request.spec.action),
        partner: Some(request.spec.partner.0.clone()),
        files: vec![change],
        title,
        body,
        labels: vec![forms::label(request.spec.action)],
        diagnostics: refusals,
    })
}

fn refused(action: Option<RequestAction>, partner: Option<String>, diagnostics: Vec<RequestDiagnostic>) -> Outcome {
    let (title, body) = describe::refusal(action, partner.as_deref(), &diagnostics);
    Outcome {
        ok: false,
        action,
        partner,
        files: Vec::new(),
        title,
        body,
        labels: action.map(forms::label).into_iter().collect(),
        diagnostics,
    }
}

/// What `validate` says of the program the request leaves that it did not say before: in the
/// request's own file, each finding with the request field it comes from; elsewhere, only
/// that there is one (another partner's file is nobody's business in a public issue). Errors
/// the program had already block the request too, counted but not shown.
fn program_findings(
    old: &[Diagnostic],
    new: &[Diagnostic],
    change: &FileChange,
    draft: &Draft,
    origin: &Origin,
) -> Vec<RequestDiagnostic> {
    let key = |d: &Diagnostic| (d.code, d.file.clone(), d.message.clone());
    let before: BTreeSet<_> = old.iter().map(key).collect();
    let mut out = Vec::new();
    let fields = draft.field_positions(&change.path, &change.bytes);
    let mut elsewhere = BTreeSet::new();
    for d in new.iter().filter(|d| !before.contains(&key(d))) {
        if d.file == change.path {
            let field = fields.field_at(d.line, d.column);
            out.push(RequestDiagnostic {
                field: Some(field),
                diagnostic: d.clone(),
            });
        } else if d.severity == Severity::Error {
            elsewhere.insert(d.code);
        }
    }
    for code in elsewhere {
        out.push(RequestDiagnostic {
            field: Some("spec".into()),
            diagnostic: Diagnostic::new(
                code,
                &origin.at(""),
                format!("with this request, `validate` reports `{code}` in another file of the program"),
            )
            .with_severity(Severity::Error),
        });
    }
    let errors: Vec<&Diagnostic> = old.iter().filter(|d| d.severity == Severity::Error).collect();
    if let Some(first) = errors.first() {
        let files: BTreeSet<&str> = errors.iter().map(|d| d.file.as_str()).collect();
        let n = errors.len();
        out.push(RequestDiagnostic {
            field: None,
            diagnostic: Diagnostic::new(
                first.code,
                &origin.at(""),
                format!(
                    "the program already fails `validate` ({n} error{} in {} file{}) before this request; no request is applied until it validates",
                    if n == 1 { "" } else { "s" },
                    files.len(),
                    if files.len() == 1 { "" } else { "s" }
                ),
            )
            .with_severity(Severity::Error)
            .with_hint("the program's team runs `partnerctl validate` and fixes what it reports"),
        });
    }
    out
}
