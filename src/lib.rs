//! partnerctl: an API partner program as code.
//!
//! The pipeline: [`source`] (files from a work tree or a git revision, through one path
//! door) → [`spec`] (the YAML as typed documents, checked against [`schema`]) → [`model`]
//! (the resolved program) → [`check`] and [`policy`] (findings as [`diag::Diagnostic`]s) →
//! [`plan`] (desired against applied, with the teams [`approvals`] requires) → [`render`]
//! (the dispatcher over `program.yaml`'s outputs) → [`state`] (what was applied).
//!
//! The dispatcher sits above what it runs: the partner portal ([`portal`]), one folder per
//! gateway format ([`gateway`]), the CODEOWNERS file ([`approvals::codeowners`]) and the
//! funnel report ([`visibility::report`]). They in turn sit above what they share: the
//! template engine ([`template`]), the encoders of every output syntax ([`encode`]), the
//! access view ([`access`]) and rendered files with their writer ([`output`]). Beside the
//! pipeline, [`visibility`] reads usage logs and computes the funnel and the deadlines,
//! [`onboarding`] turns partners' requests and the lifecycle commands into edits the same
//! checks judge (and writes the issue forms requests come from), and [`redact`] keeps
//! flagged secrets out of everything shown.
//!
//! The library prints nothing; `cli/` in the binary decides how results look.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod access;
pub mod approvals;
pub mod check;
pub mod diag;
pub mod encode;
pub mod explain;
#[doc(hidden)]
pub mod fuzzing;
pub mod gateway;
pub mod lock;
pub mod model;
pub mod onboarding;
pub mod openapi;
pub mod output;
pub mod plan;
pub mod policy;
pub mod portal;
pub mod redact;
pub mod render;
pub mod schema;
pub mod source;
pub mod spec;
pub mod state;
pub mod template;
pub mod visibility;
pub mod walk;

use std::path::Path;

/// A program loaded and checked: the model and every finding, sorted.
#[derive(Debug)]
pub struct Validated {
    pub program: model::Program,
    pub diagnostics: Vec<diag::Diagnostic>,
    /// How many files were read (for the summary line).
    pub files: usize,
    /// Replaces what `secret-in-repo` flagged; the diagnostics are redacted already, and
    /// whatever else is shown or written from the program goes through it too.
    pub redactor: redact::Redactor,
    /// The outputs validating had to render (those running the program's templates), for
    /// [`Validated::render`] to reuse.
    pub prerendered: render::Prerendered,
}

impl Validated {
    /// Every output ([`render::render_all_with_usage`]), reusing what validating rendered.
    pub fn render(
        &mut self,
        today: spec::Date,
        usage: Option<&visibility::usage::Usage>,
    ) -> Result<Vec<output::RenderedFile>, output::RenderError> {
        let prerendered = std::mem::take(&mut self.prerendered);
        render::render_all_reusing(&self.program, today, usage, prerendered)
    }

    /// Every output ([`render::render_streamed`]), reusing what validating rendered: each
    /// output's files, redacted, go to `each` as soon as they are rendered.
    pub fn render_each(
        &mut self,
        today: spec::Date,
        usage: Option<&visibility::usage::Usage>,
        mut each: impl FnMut(Vec<output::RenderedFile>),
    ) -> Result<(), output::RenderError> {
        let prerendered = std::mem::take(&mut self.prerendered);
        let redactor = &self.redactor;
        render::render_streamed(&self.program, today, usage, prerendered, |mut files| {
            redactor.files(&mut files);
            each(files)
        })
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == diag::Severity::Error)
    }
}

/// Loads a snapshot and runs loading checks, coded checks and policies (without a change set).
pub fn validate_snapshot(snapshot: source::Snapshot, today: spec::Date) -> Validated {
    let files = snapshot.files.len();
    let loaded = model::load(snapshot);
    let mut diagnostics = loaded.diagnostics;
    let program = &loaded.program;
    // The checks and the output checks read the program and nothing of each other: side by
    // side, the largest output (a Kubernetes target's manifests) is not left alone on one core
    // at the end.
    let checks = || {
        rayon::join(
            || check::run(program, today),
            || render::check_and_render_outputs(program, today),
        )
    };
    let (checked, (found, prerendered)) = if program.holds_policy_forms() {
        // The program's own policies read every document in the policy engine's form; the
        // checks and rendering read the typed resources (and a finding's file again, to place
        // it), so those forms are released before the outputs are built.
        diagnostics.extend(policy::evaluate(program, today, None));
        program.release_documents();
        checks()
    } else {
        // The built-in rules read the typed program too: all three side by side.
        let (policies, checked) = rayon::join(|| policy::evaluate(program, today, None), checks);
        diagnostics.extend(policies);
        // What read a document in that form meanwhile keeps it: let it go.
        program.release_documents();
        checked
    };
    diagnostics.extend(checked.diagnostics);
    diagnostics.extend(found);
    check::exceptions::apply(&loaded.program, today, &mut diagnostics);
    let redactor = redact::Redactor::new(&checked.secrets);
    redactor.diagnostics(&mut diagnostics);
    diag::sort_and_dedup(&mut diagnostics);
    Validated {
        program: loaded.program,
        diagnostics,
        files,
        redactor,
        prerendered,
    }
}

impl Validated {
    /// Adds the findings made against an applied state (`acceptance-evidence`, SPEC §15.4):
    /// `validate` calls it when it can read one and the program requires evidence.
    pub fn check_against_applied(&mut self, applied: source::Snapshot, today: spec::Date) {
        let base = model::load(applied).program;
        let mut found = check::acceptance_evidence::check(&base, &self.program);
        if found.is_empty() {
            return;
        }
        check::exceptions::apply(&self.program, today, &mut found);
        found.retain(|d| d.code == diag::Code::AcceptanceEvidence);
        self.redactor.diagnostics(&mut found);
        self.diagnostics.extend(found);
        diag::sort_and_dedup(&mut self.diagnostics);
    }

    /// Whether the program asks for what only an applied state can show
    /// (`spec.agreements.requireEvidence`).
    pub fn needs_applied_state(&self) -> bool {
        self.program.spec().is_some_and(|s| s.agreements.require_evidence)
    }
}

/// Reads the working tree at `dir` and validates it.
pub fn validate_dir(dir: &Path, today: spec::Date) -> Result<Validated, source::SourceError> {
    let (snapshot, ()) = rayon::join(|| source::Snapshot::from_dir(dir), model::prepare);
    Ok(validate_snapshot(snapshot?, today))
}
