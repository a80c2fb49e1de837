//! Checks: the coded rules of SPEC §2 over the resolved program, one module per code.
//!
//! Every check is a function `fn check(cx: &Context, out: &mut Vec<Diagnostic>)`: it reads the
//! model and pushes findings; it never returns early on a finding and never re-parses YAML.
//! `secret-in-repo` ([`secret_in_repo::scan`]) also returns the values it flagged, which
//! [`crate::redact`] then keeps out of every output; [`run`] runs it beside the others.
//! `yaml-syntax`, `duplicate-key`, `schema` and `file-refused` come from loading (`source/`,
//! `schema.rs`, `model/`); `terms-immutable` and `acceptance-evidence` need a base and run in
//! `plan` (see [`terms_immutable`], [`acceptance_evidence`]); `policy` comes from `policy/`.

use crate::diag::Diagnostic;
use crate::model::Program;
use crate::spec::Date;

/// Needs a base: run by `plan`, and by `validate` with an applied state (not in [`CHECKS`]).
pub mod acceptance_evidence;
mod acceptance_mismatch;
mod credential_expired;
mod data_sharing;
mod duplicate_name;
mod endpoint_conflict;
/// Run after every check and policy: see [`exceptions::apply`].
pub mod exceptions;
mod history;
mod misplaced_resource;
mod name_mismatch;
mod plan_environment;
mod program_unguarded;
mod revoked_access;
/// Also run alone by `plan` on the base, for its values to redact.
pub mod secret_in_repo;
mod stage_gate;
/// Plan-only: compares against the base, so it is not in [`CHECKS`].
pub mod terms_immutable;
/// Also used by `due`, for the terms each partner needs.
pub(crate) mod terms_missing;
mod terms_outdated;
mod unknown_reference;

pub use crate::model::secrets::looks_like_secret;

/// What every check sees.
pub struct Context<'a> {
    pub program: &'a Program,
    /// The `--as-of` date.
    pub today: Date,
}

type Check = fn(&Context, &mut Vec<Diagnostic>);

/// Every check, in the order of SPEC §2.
const CHECKS: &[Check] = &[
    misplaced_resource::check,
    name_mismatch::check,
    duplicate_name::check,
    unknown_reference::check,
    plan_environment::check,
    stage_gate::check,
    terms_missing::check,
    terms_outdated::check,
    data_sharing::check,
    history::check,
    revoked_access::check,
    credential_expired::check,
    program_unguarded::check,
    endpoint_conflict::check,
    acceptance_mismatch::check,
];

/// The findings of every check, and the values `secret-in-repo` flagged (which every
/// output then shows as `«redacted»`, see [`crate::redact`]).
#[derive(Debug, Default)]
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    pub secrets: Vec<String>,
}

/// Runs every check over a loaded program. Checks are independent, so they run in
/// parallel; the caller sorts the findings.
pub fn run_all(program: &Program, today: Date) -> Vec<Diagnostic> {
    run(program, today).diagnostics
}

/// [`run_all`], keeping the flagged values. `secret-in-repo` is not in `CHECKS` because it
/// returns those values besides its findings.
pub fn run(program: &Program, today: Date) -> Checked {
    use rayon::prelude::*;
    let cx = Context { program, today };
    let (mut diagnostics, (secret_findings, secrets)) = rayon::join(
        || {
            CHECKS
                .par_iter()
                .map(|check| {
                    let mut out = Vec::new();
                    check(&cx, &mut out);
                    out
                })
                .flatten()
                .collect::<Vec<_>>()
        },
        || secret_in_repo::scan(program, |_| true),
    );
    diagnostics.extend(secret_findings);
    Checked { diagnostics, secrets }
}
