//! Plan: desired against applied state (SPEC §3–5).
//!
//! [`make`] takes two snapshots (the base: the applied state or `--base REV`; the desired: the
//! working tree or `--rev REV`), loads both into models, and returns a [`Plan`]: one
//! [`Change`] per resource that differs (action, per-field changes, classes, approvals with
//! `owner` resolved, effects in business terms), a diff of every rendered output, drift
//! handed in by `state.rs`, and the findings of checks, `terms-immutable`,
//! `acceptance-evidence` and policies (which
//! see the change set as `input.changes`). How a plan looks is decided in `cli/plan.rs`.

pub mod callers;
pub mod classes;
pub mod date_effects;
pub mod fields;
pub mod outputs;
pub mod saved;

mod artifacts;
mod changes;
mod report;

pub use artifacts::artifacts;
use artifacts::{artifacts_except, drift_diffs};
pub use changes::{add_date_effects, changes};
pub use report::*;

use crate::diag::{self, Severity};
use crate::model::{self, Program};
use crate::output::RenderedFile;
use crate::render;
use crate::source::{Entry, Snapshot};
use crate::spec::{Date, Kind};
use crate::state::Drift;
use std::collections::{BTreeMap, BTreeSet};

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
    /// The day the base was applied for (the applied state's record): its outputs are
    /// rendered as of that day, and what took effect since is a change (SPEC §16). `None`
    /// (a revision given with `--base`, nothing applied) renders both sides as of today.
    pub base_as_of: Option<Date>,
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
    progress("loading the desired program");
    // The digest reads every file on one thread: beside the load, not before it. (The clone
    // shares the files' bytes; the original is dropped once the digest is taken.)
    let snapshot = input.desired;
    let (desired_digest, loaded) = rayon::join(
        || crate::state::snapshot_digest(&snapshot),
        || model::load(snapshot.clone()),
    );
    drop(snapshot);
    let desired = loaded.program;
    progress("loading the base");
    let base = input.base.map(|b| load_base(&desired, b));
    let empty = Program::default();
    let base_prog = base.as_ref().unwrap_or(&empty);

    progress("comparing resources");
    let mut changes = changes(base_prog, &desired, today);
    // The base's day: its outputs are rendered as they were applied.
    let base_day = input.base_as_of.filter(|_| base.is_some()).unwrap_or(today);
    let dated = date_effects::between(base_prog, &desired, base_day, today);
    // A day that changed any output alike on both sides: every output is rendered in full on
    // both sides (the shortcut below assumes the unchanged partners render alike).
    let days_differ = !dated.is_empty() || base_day > today;
    add_date_effects(&mut changes, dated, base_prog, &desired);
    let changes_json = serde_json::to_value(&changes).expect("changes serialize");

    progress("checking");
    let mut diagnostics = loaded.diagnostics;
    let checks = || {
        let checked = crate::check::run(&desired, today);
        let mut found = checked.diagnostics;
        // A secret the change removes is still in the base's outputs and diffs: redact it too.
        let mut secrets = checked.secrets;
        if let Some(b) = &base {
            let differs = |f: &str| desired.snapshot.files.get(f) != b.snapshot.files.get(f);
            secrets.extend(crate::check::secret_in_repo::scan(b, differs).1);
        }
        found.extend(crate::check::terms_immutable::check(base_prog, &desired, today));
        // With nothing applied there is no history to tell new acceptances from old ones.
        if let Some(b) = &base {
            found.extend(crate::check::acceptance_evidence::check(b, &desired));
        }
        (found, secrets)
    };
    let policies = || crate::policy::evaluate(&desired, today, Some(&changes_json));
    // The outputs the change cannot reach (see below), found beside the output checks: the
    // answer is used only when no output is invalid.
    let outputs = || {
        rayon::join(
            || render::check_and_render_outputs(&desired, today),
            || match &base {
                Some(b) if !days_differ => Some(outputs::unreached_at(b, base_day, &desired, today)),
                _ => None,
            },
        )
    };
    // The checks, the policies, the output checks and the comparison of outputs read the
    // programs and nothing of each other: side by side, as validate runs them. The program's
    // own policies read every document in the policy engine's form, which rendering does
    // not need: with such policies they run first and the forms are released after.
    let release = || {
        desired.release_documents();
        if let Some(b) = &base {
            b.release_documents();
        }
    };
    let ((checks_found, secrets), policies_found, ((found, prerendered), reached)) = if desired.holds_policy_forms() {
        let policies_found = policies();
        release();
        let (checked, outputs) = rayon::join(checks, outputs);
        (checked, policies_found, outputs)
    } else {
        let ((checked, policies_found), outputs) = rayon::join(|| rayon::join(checks, policies), outputs);
        // The comparison read the changed documents in that form, and keeps them: let them go
        // before rendering.
        release();
        (checked, policies_found, outputs)
    };
    diagnostics.extend(checks_found);
    diagnostics.extend(policies_found);
    let redactor = crate::redact::Redactor::new(&secrets);
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
    let unreached: Vec<bool> = match reached {
        Some(r) if !outputs_invalid => r
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
        || base.as_ref().map(|b| outputs::render_reached(b, base_day, &unreached)),
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
    // A file that already holds what this apply writes is no drift: an apply that was
    // interrupted wrote it and could not record it.
    let (already_written, drift): (Vec<Drift>, Vec<Drift>) = input.drift.into_iter().partition(|d| {
        d.content.as_deref().is_some_and(|bytes| {
            rendered
                .iter()
                .find(|f| f.path == d.path)
                .is_some_and(|f| f.bytes == bytes)
        })
    });
    let already_written: Vec<String> = already_written.into_iter().map(|d| d.path).collect();
    let drift = drift_diffs(drift, &rendered);
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
        base_as_of: input.base_as_of.filter(|_| base.is_some()),
        summary,
        changes,
        approvals: approvals.into_iter().collect(),
        approval_teams,
        artifacts,
        drift,
        already_written,
        temporaries: Vec::new(),
        diagnostics,
        render_errors,
    };
    plan.redact(&redactor);
    // Freeing the base program (a second program of 100,000 partners) took a tenth of a
    // plan's time on one core; nothing waits for it.
    if let Some(b) = base {
        rayon::spawn(move || drop(b));
    }
    Planned {
        plan,
        desired,
        rendered,
        redactor,
    }
}

/// Each team the plan needs, with its handle as the base declares it
/// ([`crate::approvals::rules::handle`]): a pull request that re-points `security` at a team of
/// its author's, or adds a team, must not have that team approve it.
fn approval_teams(
    approvals: &BTreeSet<String>,
    changes: &[Change],
    desired: &Program,
    base: &Program,
) -> Vec<ApprovalTeam> {
    let handle = |team: &str| crate::approvals::rules::handle(base, desired, team);
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

/// The paths one side holds and the other does not, or holds otherwise, in path order.
fn changed_files<'a>(desired: &'a BTreeMap<String, Entry>, base: &'a BTreeMap<String, Entry>) -> BTreeSet<&'a String> {
    changes::pairs(desired, base)
        .filter(|(_, d, b)| d != b)
        .map(|(path, _, _)| path)
        .collect()
}

/// The resources of `map` whose file `keep` says the change leaves alone (shared, not copied).
fn kept<S: Clone>(
    map: &BTreeMap<String, model::Resource<S>>,
    keep: impl Fn(&String) -> bool,
) -> BTreeMap<String, model::Resource<S>> {
    map.iter()
        .filter(|(_, r)| keep(&r.file))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Loads the base, re-reading only the files that differ from the desired program: a
/// one-partner change in a program of ten thousand partners parses one file, not ten thousand.
/// (The base is only compared and rendered, never validated, so reusing the desired side's
/// typed documents for identical files gives the same model.)
fn load_base(desired: &Program, mut base: Snapshot) -> Program {
    // A file both sides hold alike is held once: the base's copy gives way to the desired's.
    // Both sides are in path order, so they are walked side by side, not looked up path by
    // path (100,000 lookups of long, alike paths were a serial tenth of a second).
    let mut desired_files = desired.snapshot.files.iter().peekable();
    for (path, entry) in base.files.iter_mut() {
        while desired_files.next_if(|(p, _)| *p < path).is_some() {}
        if let Some((_, d)) = desired_files.next_if(|(p, _)| *p == path)
            && d == entry
        {
            *entry = d.clone();
        }
    }
    let changed = changed_files(&desired.snapshot.files, &base.files);
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
    // The two long lists, the partners and the documents, are copied beside each other.
    let (partners, documents) = rayon::join(
        || kept(&desired.partners, keep),
        || desired.documents.iter().filter(|d| keep(&d.file)).cloned().collect(),
    );
    let mut prog = Program {
        program: desired.program.clone().filter(|r| keep(&r.file)),
        products: kept(&desired.products, keep),
        terms: kept(&desired.terms, keep),
        partners,
        documents,
        unloadable: desired
            .unloadable
            .iter()
            .filter(|u| !from_changed.contains(u))
            .cloned()
            .collect(),
        // The base is compared and rendered, never validated.
        strays: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_walked_side_by_side_are_the_files_looked_up_one_by_one() {
        // Paths on one side only (first, last, between), alike, and changed, in every mix:
        // each of 8 paths is missing, one text or another on each side.
        let paths: Vec<String> = (0..8).map(|i| format!("partners/p{i}.yaml")).collect();
        let side = |code: usize| -> BTreeMap<String, Entry> {
            paths
                .iter()
                .enumerate()
                .filter_map(|(i, p)| match (code / 3usize.pow(i as u32)) % 3 {
                    0 => None,
                    n => Some((p.clone(), Entry::Bytes(format!("v{n}").as_bytes().into()))),
                })
                .collect()
        };
        let mut compared = 0;
        for code in (0..3usize.pow(8)).step_by(7) {
            let (desired, base) = (side(code), side(code * 5 % 3usize.pow(8)));
            let looked_up: BTreeSet<&String> = desired
                .keys()
                .chain(base.keys())
                .filter(|p| desired.get(*p) != base.get(*p))
                .collect();
            assert_eq!(changed_files(&desired, &base), looked_up, "{code}");
            compared += 1;
        }
        assert!(compared > 900);
    }

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
