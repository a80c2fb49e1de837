//! Policy: the program's rules as Rego (SPEC §6), next to the coded checks in the pipeline
//! (model → check/policy → diagnostics).
//!
//! [`evaluate`] builds one regorus engine per run holding the built-in pack (`policies/` at
//! the root of partnerctl, embedded: see [`builtin`]) and every `policies/**/*.rego` of the
//! program (files ending in `_test.rego` are tests and are left out), gives it the
//! [`input`] document once, and collects the rule sets `deny` (errors) and `warn` (warnings)
//! of every package. Members are strings or objects:
//!
//! ```json
//! {"msg": "...", "resource": "partner/acme", "path": "/spec/credentials/2", "rule": "max-live-keys"}
//! ```
//!
//! `resource` (`partner/<name>`, `product/<name>`, `terms/<name>`, `program`) places the
//! finding in that resource's file; the optional `path` (a JSON pointer into the document, or
//! an array of keys and indexes) places it on that node's line. `rule` names the rule, so that
//! program.yaml `spec.policies.<rule>` can switch it off or change its severity. Rego errors
//! become `policy` findings naming the policy file and line. [`test`] runs `_test.rego` files.

pub mod budget;
pub mod builtin;
mod engine;
pub mod guarded;
mod input;
pub mod native;
pub mod test;

pub use input::{input_json, input_schema, input_schema_text};

use crate::diag::{Code, Diagnostic, Location, Severity};
use crate::model::Program;
use crate::source::{Entry, Snapshot};
use crate::spec::{Date, PolicySetting, PolicySeverity};
use engine::{Module, Source};
use serde_json::Value as Json;
use std::collections::BTreeMap;

pub use crate::source::{POLICY_DIR, is_policy_file, is_test_file};

/// Runs the built-in pack and the program's `policies/*.rego` over the program; `changes` is
/// the plan's change set (the `changes` array of `plan --format json`) when called from `plan`.
///
/// Loading and every rule set run on threads with a large stack and under the budget of
/// program.yaml `spec.limits` (see [`budget`]); without policies of the program's own, the
/// built-in rules are evaluated natively ([`native`]) on the caller's thread.
pub fn evaluate(program: &Program, today: Date, changes: Option<&Json>) -> Vec<Diagnostic> {
    evaluate_with(program, today, changes, false)
}

/// [`evaluate`] with the built-in rules in the policy engine too, as their Rego says: what
/// the native evaluation of the built-in rules ([`native`]) must agree with, finding for
/// finding (`tests/policy_native.rs`).
pub fn evaluate_in_rego(program: &Program, today: Date, changes: Option<&Json>) -> Vec<Diagnostic> {
    evaluate_with(program, today, changes, true)
}

fn evaluate_with(program: &Program, today: Date, changes: Option<&Json>, all_rego: bool) -> Vec<Diagnostic> {
    if !all_rego && !program.holds_policy_forms() {
        // Without policies of the program's own the built-in rules are evaluated natively
        // and the policy engine runs nothing, so no thread of its own is needed: here, a
        // caller's parallel work (validate's checks beside the policies) keeps every core.
        let here = std::panic::AssertUnwindSafe(|| evaluate_here(program, today, changes, all_rego));
        return std::panic::catch_unwind(here).unwrap_or_else(|_| failed());
    }
    let limits = budget::PolicyBudget::from_limits(&program.spec().map(|s| s.limits.clone()).unwrap_or_default());
    budget::on_large_stack(limits.depth, || evaluate_here(program, today, changes, all_rego)).unwrap_or_else(failed)
}

/// The finding when evaluating failed as a whole.
fn failed() -> Vec<Diagnostic> {
    vec![Diagnostic::new(
        Code::Policy,
        &Location::file_start(POLICY_DIR),
        "the policies could not be evaluated (the policy engine failed)",
    )]
}

fn evaluate_here(program: &Program, today: Date, changes: Option<&Json>, all_rego: bool) -> Vec<Diagnostic> {
    let limits = budget::PolicyBudget::from_limits(&program.spec().map(|s| s.limits.clone()).unwrap_or_default());
    let empty = BTreeMap::new();
    let settings = program.spec().map(|s| &s.policies).unwrap_or(&empty);
    let mut diagnostics = Vec::new();

    let (program_sources, read_errors) = program_sources(&program.snapshot, is_policy_file);
    diagnostics.extend(read_errors);
    diagnostics.extend(unknown_settings(program, settings, &program_sources));

    // The built-in rules are evaluated natively ([`native`]) unless a program policy declares
    // a package under `partnerctl`, which could add members to a built-in rule set: then
    // everything is Rego, as written.
    let own_packages = !program_sources.is_empty();
    let mut loaded = if own_packages {
        let mut sources = vec![lib_source()];
        sources.extend(program_sources.iter().cloned());
        engine::load(&sources, &limits)
    } else {
        engine::Loaded::empty(&limits)
    };
    let native = !all_rego
        && !loaded
            .modules
            .iter()
            .any(|m| !m.path.starts_with('<') && is_builtin_package(&m.package));
    if !native {
        let mut sources = builtin_sources(settings);
        sources.extend(program_sources);
        loaded = engine::load(&sources, &limits);
    }
    diagnostics.append(&mut loaded.diagnostics);
    if native {
        // The built-in rules read the program and nothing of each other: in parallel, each
        // rule's findings in the pack's order.
        use rayon::prelude::*;
        let rules: Vec<_> = enabled_rules(settings).collect();
        let found: Vec<Vec<Diagnostic>> = rules
            .par_iter()
            .map(|rule| {
                let mut diagnostics = Vec::new();
                let (set, line) = native::declaration(rule);
                let origin = Origin {
                    file: rule.path.to_string(),
                    line,
                    package: format!(
                        "data.partnerctl.rules.{}",
                        rule.path
                            .trim_start_matches("<built-in>/policies/")
                            .trim_end_matches(".rego")
                    ),
                    builtin: true,
                };
                let severity = if set == "deny" {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                for member in native::evaluate(rule, program, today, changes).unwrap_or_default() {
                    if let Some(d) = finding(program, settings, &member, severity, &origin) {
                        diagnostics.push(d);
                    }
                }
                diagnostics
            })
            .collect();
        diagnostics.extend(found.into_iter().flatten());
    }
    // Natively evaluated, the library alone holds no rule set to evaluate.
    if loaded.modules.is_empty() || (native && loaded.modules.iter().all(|m| m.path.starts_with('<'))) {
        return diagnostics;
    }
    loaded.engine.set_input(input::input_value(program, today, changes));

    // Each package's rule set once, however many files the package spans.
    let mut wanted: Vec<(String, &'static str, Severity)> = Vec::new();
    for m in &loaded.modules {
        for (set, severity) in [("deny", Severity::Error), ("warn", Severity::Warning)] {
            if m.rules.iter().any(|r| r.name == set) && !wanted.iter().any(|(p, s, _)| *p == m.package && *s == set) {
                wanted.push((m.package.clone(), set, severity));
            }
        }
    }
    // Rule sets are independent: evaluate them in parallel on clones of the prepared engine
    // (a clone shares the parsed modules and the input), each on a thread with a large stack.
    let jobs: Vec<_> = wanted.into_iter().map(|w| (w, loaded.engine.clone())).collect();
    let results = {
        let _memory = budget::MemoryScope::enter();
        run_jobs(jobs, limits.depth)
    };
    for (package, set, severity, result) in results {
        let origin = origin(&loaded.modules, &package, set);
        match result {
            Ok(value) => {
                let json = serde_json::to_value(&value).unwrap_or(Json::Null);
                let members: Vec<Json> = match json {
                    Json::Array(a) => a,
                    Json::Null => Vec::new(),
                    Json::Object(o) => o.into_values().collect(),
                    other => vec![other],
                };
                for member in members {
                    if let Some(d) = finding(program, settings, &member, severity, &origin) {
                        diagnostics.push(d);
                    }
                }
            }
            Err(e) if is_time_limit(&e) => diagnostics.push(
                Diagnostic::new(
                    Code::Policy,
                    &Location::new(origin.file.clone(), origin.line.max(1), 1),
                    format!(
                        "{}: `{set}` of {} ran longer than {} s and was stopped (spec.limits.policySeconds)",
                        origin.file,
                        origin.package,
                        limits.time.as_secs()
                    ),
                )
                .with_hint("a rule that loops over every pair or triple of partners grows fast; iterate over what the rule needs"),
            ),
            Err(e) if budget::is_memory_limit(&e) => diagnostics.push(
                Diagnostic::new(
                    Code::Policy,
                    &Location::new(origin.file.clone(), origin.line.max(1), 1),
                    format!(
                        "{}: `{set}` of {} took more than {} MiB of memory and was stopped",
                        origin.file,
                        origin.package,
                        budget::MAX_MEMORY / (1024 * 1024)
                    ),
                )
                .with_hint("a rule that builds every pair or triple of partners, or a very large range, grows fast; build only what the rule needs"),
            ),
            Err(e) => diagnostics.push(engine::error_diagnostic(
                &e,
                &origin.file,
                &format!("failed evaluating `{set}`"),
            )),
        }
    }
    // Freeing the engine and its input (every document as regorus values) takes a while with
    // 10,000 partners; nothing waits for it.
    rayon::spawn(move || drop(loaded));
    diagnostics
}

/// What policies printed (`print()`), gathered from every evaluation of this process, at most
/// [`MAX_PRINTS`] lines of at most [`MAX_PRINT_BYTES`] each.
static PRINTS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Lines of `print()` output kept; the rest are counted in one last line.
pub const MAX_PRINTS: usize = 1000;
/// Bytes of one `print()` line kept.
pub const MAX_PRINT_BYTES: usize = 4096;

fn keep_prints(lines: Vec<String>) {
    if lines.is_empty() {
        return;
    }
    let Ok(mut kept) = PRINTS.lock() else { return };
    for mut line in lines {
        if kept.len() >= MAX_PRINTS {
            break;
        }
        if line.len() > MAX_PRINT_BYTES {
            let mut end = MAX_PRINT_BYTES;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            line.truncate(end);
            line.push('…');
        }
        kept.push(line);
    }
}

/// Takes what the policies printed (`print()`, as `file:line: message`) since the last call.
/// The library never writes it anywhere: it is untrusted text, and the CLI writes it on
/// stderr escaped, so that no line of it can start a workflow command.
pub fn take_prints() -> Vec<String> {
    PRINTS.lock().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default()
}

type Job = ((String, &'static str, Severity), regorus::Engine);
type JobResult = (String, &'static str, Severity, anyhow::Result<regorus::Value>);

/// Evaluates each rule set on one of a few threads with the stack `depth` needs
/// ([`budget::stack_for`]), each with the whole budget of [`guarded`]; results in the order
/// of `jobs`.
fn run_jobs(jobs: Vec<Job>, depth: usize) -> Vec<JobResult> {
    let total = jobs.len();
    let queue = std::sync::Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let done = std::sync::Mutex::new(Vec::with_capacity(total));
    let work = || {
        loop {
            let Some((i, ((package, set, severity), mut engine))) = queue.lock().ok().and_then(|mut q| q.pop()) else {
                break;
            };
            guarded::reset();
            let result = engine.eval_rule(format!("{package}.{set}"));
            keep_prints(engine.take_prints().unwrap_or_default());
            if let Ok(mut d) = done.lock() {
                d.push((i, (package, set, severity, result)));
            }
        }
    };
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(total.max(1));
    std::thread::scope(|scope| {
        let mut started = 0;
        for _ in 0..workers {
            let spawned = std::thread::Builder::new()
                .name("policy".into())
                .stack_size(budget::stack_for(depth))
                .spawn_scoped(scope, work);
            if spawned.is_ok() {
                started += 1;
            }
        }
        if started == 0 {
            work();
        }
    });
    let mut done = done.into_inner().unwrap_or_default();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

fn is_time_limit(e: &anyhow::Error) -> bool {
    let text = format!("{e:#}").to_lowercase();
    text.contains("time limit") || text.contains("execution time") || text.contains("timed out")
}

/// The built-in rules that are switched on, in the order they are documented.
fn enabled_rules(settings: &BTreeMap<String, PolicySetting>) -> impl Iterator<Item = &'static builtin::BuiltinRule> {
    builtin::RULES
        .iter()
        .filter(|r| settings.get(r.name).and_then(|s| s.enabled) != Some(false))
}

/// The helpers every built-in rule imports, which program policies may import too.
fn lib_source() -> Source {
    Source {
        path: builtin::LIB_PATH.to_string(),
        text: builtin::LIB_SOURCE.to_string(),
    }
}

/// Whether a package (`data.x.y`, as the engine names it) is the built-in pack's or below it.
fn is_builtin_package(package: &str) -> bool {
    let p = package.strip_prefix("data.").unwrap_or(package);
    p == "partnerctl" || p.starts_with("partnerctl.") || p.starts_with("partnerctl[")
}

/// The built-in rules that are switched on, with the shared library, as Rego.
fn builtin_sources(settings: &BTreeMap<String, PolicySetting>) -> Vec<Source> {
    let mut out = vec![lib_source()];
    for r in enabled_rules(settings) {
        out.push(Source {
            path: r.path.to_string(),
            text: r.source.to_string(),
        });
    }
    out
}

/// The program's Rego files picked by `want`, in path order; files that cannot be read as
/// UTF-8 are findings.
fn program_sources(snapshot: &Snapshot, want: impl Fn(&str) -> bool) -> (Vec<Source>, Vec<Diagnostic>) {
    let mut sources = Vec::new();
    let mut diags = Vec::new();
    for (path, entry) in &snapshot.files {
        if !want(path) {
            continue;
        }
        if let Entry::Bytes(b) = entry {
            match String::from_utf8(b.bytes().into_owned()) {
                Ok(text) => sources.push(Source {
                    path: path.clone(),
                    text,
                }),
                Err(_) => diags.push(Diagnostic::new(
                    Code::Policy,
                    &Location::file_start(path.clone()),
                    format!("{path} is not UTF-8 text, so the policy is not loaded"),
                )),
            }
        }
    }
    (sources, diags)
}

/// Settings in program.yaml `spec.policies` that name no rule: a typo would otherwise
/// silently leave a rule on.
fn unknown_settings(program: &Program, settings: &BTreeMap<String, PolicySetting>, own: &[Source]) -> Vec<Diagnostic> {
    let Some(p) = &program.program else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in settings.keys() {
        let quoted = format!("\"{name}\"");
        if builtin::rule(name).is_some() || own.iter().any(|s| s.text.contains(&quoted)) {
            continue;
        }
        let names: Vec<String> = builtin::RULES.iter().map(|r| r.name.to_string()).collect();
        let mut d = Diagnostic::new(
            Code::Policy,
            &p.key_at(&format!("/spec/policies/{}", escape(name))),
            format!(
                "spec.policies names `{name}`, which is neither a built-in rule nor a `rule` of the program's policies"
            ),
        )
        .with_severity(Severity::Warning);
        d = match crate::schema::closest(name, &names) {
            Some(best) => d.with_hint(format!("did you mean `{best}`?")),
            None => d.with_hint(format!("built-in rules: {}", names.join(", "))),
        };
        out.push(d);
    }
    out
}

/// Where a finding without a resource is reported: the rule set's declaration.
struct Origin {
    file: String,
    line: usize,
    package: String,
    builtin: bool,
}

fn origin(modules: &[Module], package: &str, set: &str) -> Origin {
    for m in modules.iter().filter(|m| m.package == package) {
        if let Some(r) = m.rules.iter().find(|r| r.name == set) {
            return Origin {
                file: m.path.clone(),
                line: r.line,
                package: package.to_string(),
                builtin: m.path.starts_with('<'),
            };
        }
    }
    Origin {
        file: POLICY_DIR.trim_end_matches('/').to_string(),
        line: 1,
        package: package.to_string(),
        builtin: false,
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A `path` key: a JSON pointer, or an array of keys and indexes.
fn pointer(path: &Json) -> Option<String> {
    match path {
        Json::String(s) if s.is_empty() || s.starts_with('/') => Some(s.clone()),
        Json::String(s) => Some(format!("/{}", s.split('.').map(escape).collect::<Vec<_>>().join("/"))),
        Json::Array(parts) => {
            let mut p = String::new();
            for part in parts {
                p.push('/');
                match part {
                    Json::String(s) => p.push_str(&escape(s)),
                    Json::Number(n) => p.push_str(&n.to_string()),
                    _ => return None,
                }
            }
            Some(p)
        }
        _ => None,
    }
}

/// Where a resource name (`partner/acme`) is written: its file, and the node at `ptr`.
fn locate(program: &Program, resource: &str, ptr: &str) -> Option<Location> {
    if resource == "program" || resource.starts_with("program/") {
        return program.program.as_ref().map(|p| p.at(ptr));
    }
    let (kind, name) = resource.split_once('/')?;
    match kind.to_ascii_lowercase().trim_end_matches('s') {
        "partner" => program.partners.get(name).map(|r| r.at(ptr)),
        "product" => program.products.get(name).map(|r| r.at(ptr)),
        "term" => program.terms.get(name).map(|r| r.at(ptr)),
        _ => None,
    }
}

/// One member of a `deny`/`warn` set as a finding, or `None` when its rule is switched off.
fn finding(
    program: &Program,
    settings: &BTreeMap<String, PolicySetting>,
    member: &Json,
    default: Severity,
    origin: &Origin,
) -> Option<Diagnostic> {
    let (msg, resource, path, rule) = match member {
        Json::String(s) => (s.clone(), None, None, None),
        Json::Object(o) => (
            match o.get("msg").or_else(|| o.get("message")) {
                Some(Json::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => member.to_string(),
            },
            o.get("resource").and_then(Json::as_str).map(str::to_string),
            o.get("path").and_then(pointer),
            o.get("rule").and_then(Json::as_str).map(str::to_string),
        ),
        other => (other.to_string(), None, None, None),
    };

    let mut severity = default;
    if let Some(setting) = rule.as_deref().and_then(|r| settings.get(r)) {
        if setting.enabled == Some(false) {
            return None;
        }
        match setting.severity {
            Some(PolicySeverity::Error) => severity = Severity::Error,
            Some(PolicySeverity::Warning) => severity = Severity::Warning,
            None => {}
        }
    }

    let source = match (&rule, origin.builtin) {
        (Some(r), true) => format!("built-in rule `{r}`"),
        (Some(r), false) => format!("rule `{r}` in {} ({})", origin.file, origin.package),
        (None, _) => format!("{} ({})", origin.file, origin.package),
    };
    let mut hint = format!("from {source}");
    if let Some(r) = &rule {
        hint.push_str(&format!(
            "; program.yaml `spec.policies: {{{r}: {{enabled: false}}}}` switches it off"
        ));
    }

    let located = resource
        .as_deref()
        .and_then(|r| locate(program, r, path.as_deref().unwrap_or("")));
    let (at, msg) = match (located, &resource) {
        (Some(at), _) => (at, msg),
        (None, Some(r)) => (
            Location::new(origin.file.clone(), origin.line, 1),
            format!("{msg} (the finding names `{r}`, which is not a resource of this program)"),
        ),
        (None, None) => (Location::new(origin.file.clone(), origin.line, 1), msg),
    };
    let d = Diagnostic::new(Code::Policy, &at, msg)
        .with_severity(severity)
        .with_hint(hint);
    Some(match rule {
        Some(r) => d.with_rule(r),
        None => d,
    })
}

/// The program's policy sources and the built-in pack, for tools that list them.
pub fn program_policy_paths(snapshot: &Snapshot) -> Vec<String> {
    snapshot.files.keys().filter(|p| is_policy_file(p)).cloned().collect()
}
