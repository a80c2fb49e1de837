//! The base side of a plan's outputs, rendered only where the change can reach.
//!
//! A plan diffs every output of the base against the desired program's. When a pull request
//! changes partners only (no program.yaml, product, terms, API description or template), an
//! output of a *partner-separable* target can differ only if what it says about those
//! partners differs. These targets write, for each partner, what the program grants it
//! (consumers, credentials, allow-list entries, limits, CODEOWNERS lines, catalog entities),
//! beside what comes from the program alone (services, routes, plans, APIs), and nothing that
//! depends on how many partners there are or on one partner's facts through another's: every
//! gateway target (`kong`, `nginx`, `envoy-ratelimit`, `envoy-gateway`, `kong-ingress`) whose
//! templates the program does not replace, `codeowners`, `backstage` (a partner's Group
//! and Components, and its line in the catalog's Location) and `azure-apim` (a partner's
//! subscriptions and their key parameters).
//!
//! So for such an output, [`base_outputs`] renders it twice for a program holding only the
//! changed partners (their base and their desired versions, with everything else as is). When
//! the two agree, the changed partners' part of the output is the same on both sides, and so
//! is the whole output: the base's files are the desired's, at the cost of rendering a handful
//! of partners. When they differ, the base's output is rendered in full and diffed as before.
//! The portal and the program's own templates can aggregate, count or truncate, so they are
//! always rendered in full; so is the funnel report, unless the changed partners differ in
//! their display names alone and the report lists none of them (it shows no other partner's
//! display name, and counts nothing a display name decides). Either way the plan shows every changed
//! byte of every output; `tests/plan_outputs.rs` checks that against full renders.

use crate::model::Program;
use crate::output::{RenderError, RenderedFile};
use crate::render;
use crate::source::Snapshot;
use crate::spec::{Date, OutputSpec, Target};
use crate::visibility::{funnel, report};
use std::collections::BTreeSet;

/// The base's files, output by output in `spec.outputs` order: `None` for an output the
/// change cannot reach (its files are the desired program's), else the output rendered for
/// the base in full.
pub fn base_outputs(
    base: &Program,
    desired: &Program,
    today: Date,
) -> Result<Vec<Option<Vec<RenderedFile>>>, RenderError> {
    let unreached = unreached(base, desired, today)?;
    render_reached(base, today, &unreached)
}

/// Each output of `program` the change reaches, rendered; `None` for those `unreached` marks.
pub fn render_reached(
    program: &Program,
    today: Date,
    unreached: &[bool],
) -> Result<Vec<Option<Vec<RenderedFile>>>, RenderError> {
    render::render_selected(program, today, None, render::Prerendered::default(), |i| {
        !unreached.get(i).copied().unwrap_or(false)
    })
}

/// For each output of `spec.outputs`, whether the change from `base` to `desired` cannot
/// reach it: a partner-separable output, a change to partners alone, and the changed
/// partners rendered alone give the same files on both sides.
pub fn unreached(base: &Program, desired: &Program, today: Date) -> Result<Vec<bool>, RenderError> {
    unreached_at(base, today, desired, today)
}

/// [`unreached`], the base rendered as of `base_day` and the desired program as of `today`.
/// Only sound when no date between them changes an unchanged partner's part (the plan
/// renders in full when a date effect falls between them).
pub fn unreached_at(base: &Program, base_day: Date, desired: &Program, today: Date) -> Result<Vec<bool>, RenderError> {
    let spec = base
        .spec()
        .ok_or_else(|| RenderError::Output("program.yaml did not load, so there is nothing to render".into()))?;
    let Some(names) = changed_partners(base, desired) else {
        return Ok(vec![false; spec.outputs.len()]);
    };
    let (small_base, small_desired) = (only(base, &names), only(desired, &names));
    let (eb, ed) = (render::environment(&small_base)?, render::environment(&small_desired)?);
    // Computed once, and only when a funnel report may be spared by it.
    let renamed_unnamed = std::cell::OnceCell::new();
    Ok(spec
        .outputs
        .iter()
        .map(|output| {
            if output.target == Some(Target::FunnelReport) && !render::runs_program_template(base, output) {
                return base_day == today
                    && *renamed_unnamed.get_or_init(|| renamed_unnamed_only(base, desired, today, &names));
            }
            separable(base, output)
                // A small render that fails (on either side) proves nothing: render in full.
                && match (
                    render::render_output(&small_base, output, base_day, &eb),
                    render::render_output(&small_desired, output, today, &ed),
                ) {
                    (Ok(x), Ok(y)) => x == y,
                    _ => false,
                }
        })
        .collect())
}

/// Whether the changed partners differ in their display names alone, and the funnel report
/// names none of them: the report counts and lists partners by their facts, and shows a
/// display name only for the partners it lists ([`report::partners_named`]), so it is the
/// same on both sides. Finding the lists costs a fraction of rendering the page twice.
fn renamed_unnamed_only(base: &Program, desired: &Program, today: Date, names: &BTreeSet<String>) -> bool {
    let renamed_only = names
        .iter()
        .all(|n| match (base.partners.get(n), desired.partners.get(n)) {
            (Some(b), Some(d)) => {
                let mut spec = (*b.spec).clone();
                spec.display_name.clone_from(&d.spec.display_name);
                b.file == d.file && b.metadata == d.metadata && spec == *d.spec
            }
            _ => false,
        });
    renamed_only && {
        let f = funnel::compute(desired, today, None);
        let named = report::partners_named(&f);
        names.iter().all(|n| !named.contains(n.as_str()))
    }
}

/// Whether an output of `program` writes each partner's part apart from the others'.
fn separable(program: &Program, output: &OutputSpec) -> bool {
    let gateway_or_codeowners = matches!(
        output.target,
        Some(
            Target::Kong
                | Target::Nginx
                | Target::EnvoyRatelimit
                | Target::EnvoyGateway
                | Target::KongIngress
                | Target::Codeowners
                | Target::Backstage
                | Target::AzureApim
        )
    );
    gateway_or_codeowners && !render::runs_program_template(program, output)
}

/// The partners whose files differ, when nothing but partner files does; `None` otherwise
/// (or when a changed file holds no partner on either side: a document that did not load).
fn changed_partners(base: &Program, desired: &Program) -> Option<BTreeSet<String>> {
    let (b, d) = (&base.snapshot.files, &desired.snapshot.files);
    let mut files = BTreeSet::new();
    for path in b.keys().chain(d.keys()) {
        if b.get(path) == d.get(path) {
            continue;
        }
        if !path.starts_with("partners/") {
            return None;
        }
        files.insert(path.as_str());
    }
    let mut names = BTreeSet::new();
    for file in &files {
        let mut found = false;
        for program in [base, desired] {
            // Documents are in path order.
            let docs = &program.documents;
            let from = docs.partition_point(|doc| doc.file.as_str() < *file);
            for doc in docs[from..].iter().take_while(|doc| doc.file == *file) {
                let name = doc.name.as_ref()?;
                if program.partners.get(name).is_none_or(|p| p.file != *file) {
                    return None;
                }
                names.insert(name.clone());
                found = true;
            }
        }
        if !found {
            return None;
        }
    }
    // Past a quarter of the partners, rendering them twice saves little: render in full.
    (names.len() * 4 <= desired.partners.len().max(base.partners.len())).then_some(names)
}

/// The program with only the named partners (and their files); everything else as it is.
fn only(program: &Program, names: &BTreeSet<String>) -> Program {
    let partners: std::collections::BTreeMap<_, _> = program
        .partners
        .iter()
        .filter(|(n, _)| names.contains(*n))
        .map(|(n, p)| (n.clone(), p.clone()))
        .collect();
    let files: BTreeSet<String> = partners.values().map(|p| p.file.clone()).collect();
    let keep = |path: &str| !path.starts_with("partners/") || files.contains(path);
    let mut snapshot = Snapshot {
        origin: program.snapshot.origin.clone(),
        ..Snapshot::default()
    };
    for (path, entry) in program.snapshot.files.iter().filter(|(p, _)| keep(p)) {
        snapshot.insert(path.clone(), entry.clone());
    }
    Program {
        program: program.program.clone(),
        products: program.products.clone(),
        terms: program.terms.clone(),
        partners,
        documents: program.documents.iter().filter(|d| keep(&d.file)).cloned().collect(),
        unloadable: program.unloadable.clone(),
        snapshot,
        apis: program.apis.clone(),
        strays: Vec::new(),
    }
}
