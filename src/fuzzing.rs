//! Entry points shared by the fuzz targets (`fuzz/`, cargo-fuzz) and their bounded replay on
//! stable Rust (`tests/fuzz_replay.rs`), so that both drive exactly the same code.
//!
//! A fuzz input is a set of files laid over a base program (the bundled example): the bytes
//! split at NUL into `path, contents, path, contents, …`. The corpus in `fuzz/corpus/` holds
//! each file of `examples/northwind` as one such pair, so mutation starts from a realistic
//! program and reaches loading, every check and policy, rendering and planning. Whatever the
//! input, each entry point must return: a finding or an error, never a panic, an abort, a
//! stack overflow or a hang.

use crate::source::{Entry, Snapshot};
use crate::spec::Date;
use std::path::Path;

/// The date the bundled example is valid on; fuzzing uses one fixed date so runs reproduce.
pub const AS_OF: &str = "2026-11-01";

fn as_of() -> Date {
    Date::parse(AS_OF).expect("a valid date")
}

/// Reads a program folder (the fuzz base). Panics when it cannot be read: that is a broken
/// fuzz set-up, not a finding.
pub fn base(dir: &Path) -> Snapshot {
    Snapshot::from_dir(dir).unwrap_or_else(|e| panic!("the fuzz base {} cannot be read: {e}", dir.display()))
}

/// `base` with the files of `input` laid over it. A path that is not UTF-8 or not relative is
/// used as written: the loader must cope with any name a git tree can hold.
pub fn overlay(base: &Snapshot, input: &[u8]) -> Snapshot {
    let mut snapshot = base.clone();
    let mut parts = input.split(|b| *b == 0);
    while let Some(path) = parts.next() {
        let contents = parts.next().unwrap_or_default();
        let path = String::from_utf8_lossy(path).into_owned();
        if path.is_empty() {
            continue;
        }
        snapshot.insert(path, Entry::Bytes(contents.into()));
    }
    snapshot
}

/// The YAML reader alone, on one file.
pub fn load_yaml(input: &[u8]) {
    let _ = crate::source::yaml::parse("partners/fuzz.yaml", input);
}

/// The block reader held to saphyr on one file: whenever it reads a file, saphyr reads the
/// same value and positions (`source::yaml::compare_readers`).
pub fn block_yaml(input: &[u8]) {
    if let Err(e) = crate::source::yaml::compare_readers("partners/fuzz.yaml", input) {
        panic!("{e}");
    }
}

/// Loading, every check, output checks and policies.
pub fn validate(base: &Snapshot, input: &[u8]) {
    let _ = crate::validate_snapshot(overlay(base, input), as_of());
}

/// Loading and rendering every output.
pub fn render(base: &Snapshot, input: &[u8]) {
    let loaded = crate::model::load(overlay(base, input));
    let _ = crate::render::render_all(&loaded.program, as_of());
}

/// A plan from the base program to the base with `input` laid over it.
pub fn plan(base: &Snapshot, input: &[u8]) {
    let input = crate::plan::Input {
        base: Some(base.clone()),
        base_label: "base".into(),
        base_id: "base".into(),
        base_as_of: None,
        desired: overlay(base, input),
        desired_label: "fuzz".into(),
        drift: Vec::new(),
        keep_outputs: true,
    };
    let _ = crate::plan::make(input, as_of(), &|_| {});
}

/// A decK file (the whole input) read, imported into the base program (new files and a
/// merge, whose edited files must still parse) and audited against it: a gateway dump is
/// hostile input too (SPEC §9).
pub fn kong(base: &Snapshot, input: &[u8]) {
    use crate::gateway::kong;
    let Ok(deck) = kong::parse("fuzz.yaml", input) else {
        return;
    };
    let program = crate::model::load(base.clone()).program;
    for merge in [false, true] {
        let options = kong::import::ImportOptions {
            environment: Some(crate::spec::Environment::Sandbox),
            today: as_of(),
            merge,
            owner: None,
        };
        if let Ok(imported) = kong::import::import_kong(std::slice::from_ref(&deck), &program, &options) {
            for f in imported.files.iter().filter(|f| f.action.writes()) {
                assert!(
                    crate::source::yaml::parse(&f.path, f.contents.as_bytes()).is_ok(),
                    "the import wrote {} that does not parse:\n{}",
                    f.path,
                    f.contents
                );
            }
        }
    }
    let _ = kong::audit::audit(
        &program,
        as_of(),
        &deck,
        None,
        &crate::gateway::audit::AuditOptions::default(),
    );
}

/// A `kubectl get -o yaml` list or a stream of manifests (the whole input), read and audited
/// against the base program (SPEC §9: what a cluster holds is hostile input too).
pub fn kubernetes(base: &Snapshot, input: &[u8]) {
    use crate::gateway::{self, audit::AuditOptions, kubernetes};
    let Ok(Some(manifests)) = kubernetes::parse("fuzz.yaml", input) else {
        return;
    };
    let program = crate::model::load(base.clone()).program;
    let _ = gateway::audit_manifests(&program, as_of(), &manifests, None, &AuditOptions::default());
}

/// A usage log (the whole input) read in every dialect, rollups among them, attributed to
/// the base program's credentials and folded into the funnel's measures: a log is hostile
/// input too, and no count in it may wrap, panic or make the funnel fail. The invariant that
/// reading keeps is checked here: every caller's calls add up to the total.
pub fn usage(base: &Snapshot, input: &[u8]) {
    use crate::visibility::usage::{Usage, UsageFormat};
    let program = crate::model::load(base.clone()).program;
    for format in [UsageFormat::Auto, UsageFormat::Rollup] {
        let mut usage = Usage::until(as_of()).with_format(format);
        let _ = usage.read("fuzz.jsonl", input);
        let total = usage
            .by_caller
            .values()
            .try_fold(0u64, |sum, s| sum.checked_add(s.calls));
        assert_eq!(total, Some(usage.calls), "the callers' calls add up to the total");
        for stats in usage.by_caller.values() {
            assert!(
                stats.status4xx.saturating_add(stats.status5xx) <= stats.calls,
                "{stats:?}"
            );
        }
        let _ = usage.attribute(&program, &std::collections::BTreeMap::new());
        let _ = crate::visibility::funnel::compute(&program, as_of(), Some(&usage));
    }
}

/// One OpenAPI description (the input, as `apis/fuzz.yaml`, beside the example's own
/// descriptions it may reference) read, compared with the example's shipments description
/// for the plan, and written as the portal's API reference within its budget: recursion,
/// fan-out and size end in a finding, never in a crash or a hang.
pub fn openapi(base: &Snapshot, input: &[u8]) {
    let mut snapshot = base.clone();
    snapshot.insert("apis/fuzz.yaml", Entry::Bytes(input.into()));
    let Ok((api, _)) = crate::openapi::load(&snapshot, "apis/fuzz.yaml") else {
        return;
    };
    if let Ok((before, _)) = crate::openapi::load(&snapshot, "apis/shipments.yaml") {
        let _ = crate::openapi::diff::diff(&before, &api);
        let _ = crate::openapi::diff::diff(&api, &before);
    }
    let _ = crate::portal::api_reference::pages("fuzz", &api);
}

/// An API Management ARM template (the whole input), read and audited against the base
/// program: an export of the service is hostile input too.
pub fn azure_apim(base: &Snapshot, input: &[u8]) {
    use crate::gateway::{audit::AuditOptions, azure_apim};
    let Ok(Some(export)) = azure_apim::parse("fuzz.json", input) else {
        return;
    };
    let program = crate::model::load(base.clone()).program;
    let options = AuditOptions {
        environment: Some((
            crate::spec::Environment::Production,
            crate::gateway::kong::EnvironmentSource::Flag,
        )),
        ..AuditOptions::default()
    };
    let _ = azure_apim::audit::audit(&program, as_of(), &export, None, &options);
}

/// A partner's request judged against the base program, as `partnerctl request` judges it
/// (nothing is written): the first byte picks the intake. Even: the rest is a Request
/// document. Odd: the rest is the body of an issue opened from the form of the action
/// `(byte / 2) % 4`, read from GitHub's `issues` event payload with that form's label.
pub fn request(base: &Snapshot, input: &[u8]) {
    use crate::onboarding::{forms, github, request};
    use crate::spec::RequestAction;
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let read = if mode % 2 == 0 {
        request::read_file("request.yaml", rest)
    } else {
        let action = RequestAction::ALL[usize::from(mode / 2) % RequestAction::ALL.len()];
        let program = crate::model::load(base.clone()).program;
        let payload = serde_json::json!({
            "action": "opened",
            "issue": {
                "body": String::from_utf8_lossy(rest),
                "labels": [{"name": forms::label(action)}],
                "user": {"login": "fuzz"},
                "html_url": "https://github.com/northwind/partners/issues/1",
            },
        });
        let bytes = serde_json::to_vec(&payload).expect("a JSON value serializes");
        github::read_event("event.json", &bytes, &program, as_of())
    };
    let _ = request::apply(base.clone(), read, as_of());
}

/// Every entry point on one input, as the replay runs them.
pub fn all(base: &Snapshot, input: &[u8]) {
    load_yaml(input);
    validate(base, input);
    render(base, input);
    plan(base, input);
}
