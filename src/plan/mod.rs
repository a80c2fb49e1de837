//! Plan: desired against applied state (SPEC §3–5).
//!
//! [`make`] takes two snapshots (the base: the applied state or `--base REV`; the desired: the
//! working tree or `--rev REV`), loads both into models, and returns a [`Plan`]: one
//! [`Change`] per resource that differs (action, per-field changes, classes, approvals with
//! `owner` resolved, effects in business terms), a diff of every rendered output, drift
//! handed in by `state.rs`, and the findings of checks, `terms-immutable` and policies (which
//! see the change set as `input.changes`). How a plan looks is decided in `cli/plan.rs`.

pub mod callers;
pub mod classes;
pub mod fields;
pub mod outputs;
pub mod saved;

use crate::diag::{self, Diagnostic, Severity};
use crate::model::{self, Program};
use crate::output::RenderedFile;
use crate::render;
use crate::source::Snapshot;
use crate::spec::{ChangeClass, Date, Kind};
use crate::state::Drift;
use classes::{Assessment, Effect};
use fields::FieldChange;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

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
    pub summary: Summary,
    pub changes: Vec<Change>,
    pub approvals: Vec<String>,
    /// Each team of `approvals` with its GitHub handle and the resources it must approve,
    /// for `partnerctl approvals` and the pull-request comment.
    pub approval_teams: Vec<ApprovalTeam>,
    pub artifacts: Vec<Artifact>,
    /// Outputs on disk that differ from what was last applied; `apply` restores them.
    pub drift: Vec<Drift>,
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

/// A plan and what it was made from, for `apply` to write without rendering twice.
#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    pub desired: Program,
    /// The outputs of the desired program that were rendered: all of them with
    /// [`Input::keep_outputs`].
    pub rendered: Vec<RenderedFile>,
    /// Replaces what `secret-in-repo` flagged on either side; the plan and the rendered files
    /// are redacted already.
    pub redactor: crate::redact::Redactor,
}

/// What to compare.
#[derive(Debug)]
pub struct Input {
    /// `None` when nothing has been applied: everything is a create.
    pub base: Option<Snapshot>,
    pub base_label: String,
    pub base_id: String,
    pub desired: Snapshot,
    pub desired_label: String,
    pub drift: Vec<Drift>,
    /// Render every output of the desired program into [`Planned::rendered`] (`apply` writes
    /// them); otherwise only those the plan needs: what the change reaches, and drifted files.
    pub keep_outputs: bool,
}

/// Steps reported to a progress display.
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// Builds the plan.
pub fn make(input: Input, today: Date, progress: Progress<'_>) -> Planned {
    let desired_digest = crate::state::snapshot_digest(&input.desired);
    progress("loading the desired program");
    let loaded = model::load(input.desired);
    let desired = loaded.program;
    progress("loading the base");
    let base = input.base.map(|b| load_base(&desired, b));
    let empty = Program::default();
    let base_prog = base.as_ref().unwrap_or(&empty);

    progress("checking");
    let mut diagnostics = loaded.diagnostics;
    let checked = crate::check::run(&desired, today);
    diagnostics.extend(checked.diagnostics);
    // A secret the change removes is still in the base's outputs and diffs: redact it too.
    let mut secrets = checked.secrets;
    if let Some(b) = &base {
        let differs = |f: &str| desired.snapshot.files.get(f) != b.snapshot.files.get(f);
        secrets.extend(crate::check::secret_in_repo::scan(b, differs).1);
    }
    let redactor = crate::redact::Redactor::new(&secrets);
    diagnostics.extend(crate::check::terms_immutable::check(base_prog, &desired, today));

    progress("comparing resources");
    let changes = changes(base_prog, &desired, today);
    let changes_json = serde_json::to_value(&changes).expect("changes serialize");
    diagnostics.extend(crate::policy::evaluate(&desired, today, Some(&changes_json)));
    // The checks, the comparison and the policies read every document; rendering reads the
    // typed resources.
    desired.release_documents();
    if let Some(b) = &base {
        b.release_documents();
    }
    let (found, prerendered) = render::check_and_render_outputs(&desired, today);
    diagnostics.extend(found);
    crate::check::exceptions::apply(&desired, today, &mut diagnostics);
    diag::sort_and_dedup(&mut diagnostics);

    progress("rendering outputs");
    // An output already found invalid (a template over its budget among them) is not rendered
    // a second time: the plan cannot be applied until it is fixed, and a runaway template
    // would cost its whole budget again.
    let outputs_invalid = diagnostics
        .iter()
        .any(|d| d.code == diag::Code::OutputInvalid && d.severity == Severity::Error);
    // The outputs the change cannot reach are the same on both sides: neither side renders
    // them, unless `apply` writes them or a drifted file of theirs needs its diff.
    let n_outputs = desired.spec().map_or(0, |s| s.outputs.len());
    let unreached: Vec<bool> = match &base {
        Some(b) if !outputs_invalid => outputs::unreached(b, &desired, today)
            .ok()
            .filter(|u| u.len() == n_outputs)
            .unwrap_or_else(|| vec![false; n_outputs]),
        _ => vec![false; n_outputs],
    };
    let drifted: Vec<&str> = input.drift.iter().map(|d| d.path.as_str()).collect();
    let wanted: Vec<bool> = desired.spec().map_or_else(Vec::new, |s| {
        s.outputs
            .iter()
            .zip(&unreached)
            .map(|(o, &same)| {
                let path = crate::output::normalize(&o.path);
                let path = path.as_str();
                input.keep_outputs
                    || !same
                    || drifted
                        .iter()
                        .any(|d| *d == path || d.strip_prefix(path).is_some_and(|r| r.starts_with('/')))
            })
            .collect()
    });
    let (desired_each, base_each) = rayon::join(
        || {
            if outputs_invalid {
                Ok(Vec::new())
            } else {
                render::render_selected(&desired, today, None, prerendered, |i| wanted[i])
            }
        },
        || base.as_ref().map(|b| outputs::render_reached(b, today, &unreached)),
    );
    // An output the change cannot reach is the desired program's on both sides: its files
    // (when rendered at all) are not copied, only their paths kept, and they compare equal.
    let mut same: BTreeSet<String> = BTreeSet::new();
    let base_render = match (base_each, &desired_each) {
        (Some(Ok(each)), Ok(desired_each)) if each.len() == desired_each.len() => Some(Ok(each
            .into_iter()
            .zip(desired_each)
            .flat_map(|(b, d)| {
                if b.is_none() {
                    same.extend(d.iter().flatten().map(|f| f.path.clone()));
                }
                b.unwrap_or_default()
            })
            .collect::<Vec<_>>())),
        (Some(Ok(each)), Ok(_)) => Some(Ok(each.into_iter().flatten().flatten().collect())),
        // The desired side did not render: nothing is diffed.
        (Some(Ok(_)), Err(_)) => Some(Ok(Vec::new())),
        (Some(Err(e)), _) => Some(Err(e)),
        (None, _) => None,
    }
    .map(|r| r.and_then(|files| crate::output::check_paths(&files).map(|()| files)));
    let desired_render = desired_each.and_then(|each| {
        let files: Vec<RenderedFile> = each.into_iter().flatten().flatten().collect();
        crate::output::check_paths(&files).map(|()| files)
    });
    let mut render_errors = Vec::new();
    let render_failed = desired_render.is_err() || outputs_invalid;
    let mut rendered = desired_render.unwrap_or_else(|e| {
        // A template over its budget is a finding about the program, with its code.
        match crate::template::budget::diagnostic(&e) {
            Some(d) => diagnostics.push(d),
            None => render_errors.push(e.to_string()),
        }
        Vec::new()
    });
    // A base that no longer renders (an older program, a renderer that changed) compares as
    // empty: every output then shows as created.
    let mut base_files = base_render.and_then(Result::ok).unwrap_or_default();
    redactor.files(&mut rendered);
    redactor.files(&mut base_files);
    progress("comparing outputs");
    let drift = drift_diffs(input.drift, &rendered);
    let artifacts = if !render_failed {
        artifacts_except(&base_files, &rendered, &same)
    } else {
        Vec::new()
    };

    let mut summary = Summary::default();
    for c in &changes {
        match c.action {
            Action::Create => summary.add += 1,
            Action::Update => summary.change += 1,
            Action::Delete => summary.destroy += 1,
        }
    }
    let approvals: BTreeSet<String> = changes.iter().flat_map(|c| c.approvals.iter().cloned()).collect();
    let approval_teams = approval_teams(&approvals, &changes, &desired, base_prog);
    let ok = !diagnostics.iter().any(|d| d.severity == Severity::Error) && render_errors.is_empty();
    let mut plan = Plan {
        ok,
        base: input.base_label,
        base_id: input.base_id,
        desired: input.desired_label,
        desired_digest,
        as_of: today,
        summary,
        changes,
        approvals: approvals.into_iter().collect(),
        approval_teams,
        artifacts,
        drift,
        diagnostics,
        render_errors,
    };
    plan.redact(&redactor);
    Planned {
        plan,
        desired,
        rendered,
        redactor,
    }
}

/// Fills in each drifted file's diff: the file on disk against what `apply` writes over it.
/// A file on disk is not the repository's: a value in it that looks like a secret (a key
/// pasted into a gateway file by hand) is redacted from the diff, as the repository's are.
fn drift_diffs(mut drift: Vec<Drift>, rendered: &[RenderedFile]) -> Vec<Drift> {
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

/// Each team the plan needs, with its handle: the base's, else (a team the change adds) the
/// desired program's. The base is what was reviewed before; a pull request that re-points
/// `security` at a team of its author's must not have that team approve it.
fn approval_teams(
    approvals: &BTreeSet<String>,
    changes: &[Change],
    desired: &Program,
    base: &Program,
) -> Vec<ApprovalTeam> {
    let handle = |team: &str| {
        [base, desired].iter().find_map(|p| {
            p.spec()?
                .teams
                .iter()
                .find(|(k, _)| k.0 == team)
                .and_then(|(_, t)| t.github.clone())
        })
    };
    approvals
        .iter()
        .map(|team| {
            let mine: Vec<&Change> = changes.iter().filter(|c| c.approvals.contains(team)).collect();
            let classes: BTreeSet<String> = mine
                .iter()
                .flat_map(|c| c.approval_classes.get(team).into_iter().flatten())
                .map(|x| x.as_str().to_string())
                .collect();
            ApprovalTeam {
                team: team.clone(),
                handle: handle(team),
                resources: mine.iter().map(|c| c.resource.clone()).collect(),
                classes: classes.into_iter().collect(),
            }
        })
        .collect()
}

/// Loads the base, re-reading only the files that differ from the desired program: a
/// one-partner change in a program of ten thousand partners parses one file, not ten thousand.
/// (The base is only compared and rendered, never validated, so reusing the desired side's
/// typed documents for identical files gives the same model.)
fn load_base(desired: &Program, mut base: Snapshot) -> Program {
    // A file both sides hold alike is held once: the base's copy gives way to the desired's.
    for (path, entry) in base.files.iter_mut() {
        if let Some(d) = desired.snapshot.files.get(path).filter(|d| *d == entry) {
            *entry = d.clone();
        }
    }
    let changed: BTreeSet<&String> = desired
        .snapshot
        .files
        .keys()
        .chain(base.files.keys())
        .filter(|p| desired.snapshot.files.get(*p) != base.files.get(*p))
        .collect();
    // A description that changed changes the endpoints of every product naming it.
    if changed.len() * 2 > base.files.len() || changed.iter().any(|p| crate::openapi::is_api_file(p)) {
        return model::load(base).program;
    }
    let changed: BTreeSet<String> = changed.into_iter().cloned().collect();
    let mut mini = Snapshot {
        origin: base.origin.clone(),
        ..Snapshot::default()
    };
    for p in &changed {
        if let Some(e) = base.files.get(p) {
            mini.insert(p.clone(), e.clone());
        }
    }
    // The descriptions a changed product may name (unchanged, so the desired side's reading).
    for (p, e) in base.files.iter().filter(|(p, _)| crate::openapi::is_api_file(p)) {
        mini.insert(p.clone(), e.clone());
    }
    let part = model::load(mini).program;
    let keep = |file: &String| !changed.contains(file);
    let from_changed: BTreeSet<(Kind, String)> = desired
        .documents
        .iter()
        .filter(|d| !keep(&d.file))
        .filter_map(|d| Some((d.kind?, d.name.clone()?)))
        .collect();
    let mut prog = Program {
        program: desired.program.clone().filter(|r| keep(&r.file)),
        products: desired
            .products
            .iter()
            .filter(|(_, r)| keep(&r.file))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        terms: desired
            .terms
            .iter()
            .filter(|(_, r)| keep(&r.file))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        partners: desired
            .partners
            .iter()
            .filter(|(_, r)| keep(&r.file))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        documents: desired.documents.iter().filter(|d| keep(&d.file)).cloned().collect(),
        unloadable: desired
            .unloadable
            .iter()
            .filter(|u| !from_changed.contains(u))
            .cloned()
            .collect(),
        snapshot: base,
        apis: desired.apis.clone(),
    };
    if prog.program.is_none() {
        prog.program = part.program;
    }
    for (k, v) in part.products {
        prog.products.entry(k).or_insert(v);
    }
    for (k, v) in part.terms {
        prog.terms.entry(k).or_insert(v);
    }
    for (k, v) in part.partners {
        prog.partners.entry(k).or_insert(v);
    }
    prog.unloadable.extend(part.unloadable);
    prog.documents.extend(part.documents);
    prog.documents.sort_by(|a, b| a.file.cmp(&b.file));
    prog
}

/// One [`Change`] per resource that differs, in order: program, products, terms, partners.
pub fn changes(base: &Program, desired: &Program, today: Date) -> Vec<Change> {
    let rules = crate::approvals::rules::Rules::from_programs(base, desired);
    let mut out = Vec::new();

    let (bp, dp) = (base.program.as_ref(), desired.program.as_ref());
    if !same_document(bp, dp) {
        let exceptions = |r: Option<&model::ProgramRes>| r.map(|r| r.spec.exceptions.clone()).unwrap_or_default();
        let a = classes::program(bp.is_some(), dp.is_some(), &exceptions(bp), &exceptions(dp));
        out.push(build(Kind::Program, "program", bp, dp, a, &rules, base, desired, &[]));
    }

    for (name, b, d) in pairs(&base.products, &desired.products) {
        let api = |p: &'_ Program, r: Option<&model::Product>| {
            r.and_then(|r| r.spec.openapi.as_ref())
                .and_then(|f| p.apis.get(f))
                .cloned()
        };
        let (ba, da) = (api(base, b), api(desired, d));
        if same_document(b, d) && ba.as_ref().map(|a| &a.doc) == da.as_ref().map(|a| &a.doc) {
            continue;
        }
        let a = classes::product(b, d, desired, (ba.as_deref(), da.as_deref()));
        out.push(build(Kind::Product, name, b, d, a, &rules, base, desired, &[]));
    }

    for (name, b, d) in pairs(&base.terms, &desired.terms) {
        let texts = |p: &Program, t: Option<&model::Terms>| -> Vec<(String, Option<Vec<u8>>)> {
            t.map(|t| {
                t.spec
                    .versions
                    .iter()
                    .map(|v| {
                        (
                            v.version.clone(),
                            p.snapshot
                                .bytes(&model::Terms::text_path(v))
                                .map(std::borrow::Cow::into_owned),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
        };
        let (bt, dt) = (texts(base, b), texts(desired, d));
        if same_document(b, d) && bt == dt {
            continue;
        }
        // Text changes of versions on both sides show as a diff under `versions/<v>/text`.
        let mut extra = Vec::new();
        for (version, after) in &dt {
            let Some((_, before)) = bt.iter().find(|(v, _)| v == version) else {
                continue;
            };
            if before != after {
                let s = |b: &Option<Vec<u8>>| {
                    b.as_deref()
                        .map(String::from_utf8_lossy)
                        .unwrap_or_default()
                        .into_owned()
                };
                let label = d
                    .and_then(|t| t.version(version))
                    .map(model::Terms::text_path)
                    .unwrap_or_default();
                extra.push(FieldChange {
                    address: format!("terms/{name}/versions/{version}/text"),
                    op: fields::Op::Change,
                    before: None,
                    after: None,
                    diff: Some(fields::text_diff(&label, &s(before), &s(after))),
                });
            }
        }
        // A new version's text is shown whole, for the reviewers who sign it off.
        for (version, after) in &dt {
            if bt.iter().any(|(v, _)| v == version)
                || b.is_none() && dt.len() > 1 && Some(version) != dt.last().map(|x| &x.0)
            {
                continue;
            }
            let Some(after) = after else { continue };
            let label = d
                .and_then(|t| t.version(version))
                .map(model::Terms::text_path)
                .unwrap_or_default();
            extra.push(FieldChange {
                address: format!("terms/{name}/versions/{version}/text"),
                op: fields::Op::Add,
                before: None,
                after: None,
                diff: Some(fields::text_diff(&label, "", &String::from_utf8_lossy(after))),
            });
        }
        let a = classes::terms(b, d, base, desired);
        out.push(build(Kind::Terms, name, b, d, a, &rules, base, desired, &extra));
    }

    for (name, b, d) in pairs(&base.partners, &desired.partners) {
        if same_document(b, d) {
            continue;
        }
        let a = classes::partner(b, d, today);
        out.push(build(Kind::Partner, name, b, d, a, &rules, base, desired, &[]));
    }
    out
}

/// A changed resource as JSON, in the order its file is written (so that a plan lists fields as
/// the reviewer reads them in the file).
fn as_written<S>(program: &Program, r: Option<&model::Resource<S>>) -> Option<serde_json::Value> {
    let r = r?;
    Some(
        program
            .json_of(&r.file)
            .unwrap_or_else(|| model::raw::to_json(&r.raw())),
    )
}

/// Whether a resource is on both sides, written the same ([`model::Written::same`]), or on
/// neither.
fn same_document<S>(base: Option<&model::Resource<S>>, desired: Option<&model::Resource<S>>) -> bool {
    match (base, desired) {
        (Some(b), Some(d)) => b.same_as(d),
        (None, None) => true,
        _ => false,
    }
}

/// Every name in either map, with its resource on each side.
fn pairs<'a, R>(
    base: &'a BTreeMap<String, R>,
    desired: &'a BTreeMap<String, R>,
) -> impl Iterator<Item = (&'a str, Option<&'a R>, Option<&'a R>)> {
    let names: BTreeSet<&String> = base.keys().chain(desired.keys()).collect();
    names.into_iter().map(|n| (n.as_str(), base.get(n), desired.get(n)))
}

#[allow(clippy::too_many_arguments)]
fn build<S>(
    kind: Kind,
    name: &str,
    b: Option<&model::Resource<S>>,
    d: Option<&model::Resource<S>>,
    a: Assessment,
    rules: &crate::approvals::rules::Rules,
    base: &Program,
    desired: &Program,
    extra: &[FieldChange],
) -> Change {
    let resource = if kind == Kind::Program {
        "program".to_string()
    } else {
        format!("{}/{name}", kind.lower())
    };
    let action = match (b.is_some(), d.is_some()) {
        (false, _) => Action::Create,
        (true, true) => Action::Update,
        (true, false) => Action::Delete,
    };
    let file = d.or(b).map(|r| r.file.clone()).unwrap_or_default();
    let (bj, dj) = (as_written(base, b), as_written(desired, d));
    let mut fields = fields::diff(kind.lower(), &resource, bj.as_ref(), dj.as_ref());
    fields.extend(extra.iter().cloned());
    let by_team = rules.resolve_by_team(&a.hits, kind, name, base, desired);
    let approvals: Vec<String> = by_team.keys().cloned().collect();
    let approval_classes: BTreeMap<String, Vec<ChangeClass>> =
        by_team.into_iter().map(|(t, c)| (t, c.into_iter().collect())).collect();
    let mut summary = a.phrases.join("; ");
    if summary.is_empty() {
        summary = match fields.len() {
            1 => format!(
                "{} changed",
                fields[0]
                    .address
                    .strip_prefix(&format!("{resource}/"))
                    .unwrap_or(&fields[0].address)
            ),
            n => format!("{n} fields changed"),
        };
    }
    Change {
        resource,
        action,
        classes: a.classes(),
        summary,
        approvals,
        file,
        fields,
        effects: a.effects,
        approval_classes,
    }
}

/// The outputs that differ between two renders, by path, with unified diffs.
pub fn artifacts(base: &[RenderedFile], desired: &[RenderedFile]) -> Vec<Artifact> {
    artifacts_except(base, desired, &BTreeSet::new())
}

/// [`artifacts`], where the files at `same` are the desired ones on both sides (`base`
/// leaves them out).
fn artifacts_except(base: &[RenderedFile], desired: &[RenderedFile], same: &BTreeSet<String>) -> Vec<Artifact> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Entry;

    #[test]
    fn the_base_read_from_changed_files_equals_a_full_load() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind");
        let desired = Snapshot::from_dir(&root).unwrap();
        let mut base = desired.clone();
        let acme = "partners/emea/acme-logistics.yaml";
        let text = base
            .text(acme)
            .unwrap()
            .replace("stage: live", "stage: production_requested");
        base.insert(acme, Entry::Bytes(text.as_bytes().into()));
        base.insert(
            "partners/extra.yaml",
            Entry::Bytes(text.replace("name: acme-logistics", "name: extra").into_bytes().into()),
        );
        base.files.remove("products/rates.yaml");
        base.insert("program.yaml", Entry::Bytes(b"not: [valid".as_slice().into()));
        let d = model::load(desired).program;
        let quick = load_base(&d, base.clone());
        let full = model::load(base).program;
        let raws = |p: &Program| {
            (
                p.program.as_ref().map(|r| r.raw()),
                p.products
                    .values()
                    .map(|r| (r.file.clone(), r.raw()))
                    .collect::<Vec<_>>(),
                p.terms.values().map(|r| (r.file.clone(), r.raw())).collect::<Vec<_>>(),
                p.partners
                    .values()
                    .map(|r| (r.file.clone(), r.raw()))
                    .collect::<Vec<_>>(),
                p.documents.iter().map(|d| d.file.clone()).collect::<Vec<_>>(),
                p.unloadable.clone(),
            )
        };
        assert_eq!(raws(&quick), raws(&full));
        assert_eq!(quick.snapshot, full.snapshot);
    }

    #[test]
    fn artifacts_are_created_updated_and_deleted_by_path() {
        let f = |p: &str, s: &str| RenderedFile {
            path: p.into(),
            bytes: s.as_bytes().to_vec(),
        };
        let base = [f("a", "1\n"), f("b", "x\n"), f("c", "same\n")];
        let desired = [f("a", "2\n"), f("c", "same\n"), f("d", "new\n")];
        let got: Vec<(String, Action)> = artifacts(&base, &desired)
            .into_iter()
            .map(|a| (a.path, a.action))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a".into(), Action::Update),
                ("b".into(), Action::Delete),
                ("d".into(), Action::Create)
            ]
        );
    }
}
