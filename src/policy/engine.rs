//! Loading Rego sources into one regorus engine, and turning regorus errors (syntax,
//! compile, runtime) into `policy` findings that name the policy file and line.

use super::budget::{self, PolicyBudget};
use crate::diag::{Code, Diagnostic, Location};
use regorus::Engine;
use regorus::unstable::{Rule, RuleHead};
use std::num::NonZeroU32;
use std::sync::OnceLock;

/// One Rego file to load.
#[derive(Clone, Debug)]
pub struct Source {
    /// As shown in findings: relative to the repository, or `<built-in>/policies/...`.
    pub path: String,
    pub text: String,
}

/// A rule head found in a loaded module.
#[derive(Clone, Debug)]
pub struct RuleDecl {
    pub name: String,
    pub line: usize,
}

/// A loaded module: its file, package (`data.x.y`) and top-level rule heads.
#[derive(Clone, Debug)]
pub struct Module {
    pub path: String,
    pub package: String,
    pub rules: Vec<RuleDecl>,
}

/// An engine holding every source that parsed and compiled.
pub struct Loaded {
    pub engine: Engine,
    pub modules: Vec<Module>,
    /// Findings about sources that could not be loaded (they are left out).
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// No source: nothing to evaluate.
    pub fn empty(limits: &PolicyBudget) -> Loaded {
        Loaded {
            engine: new_engine(limits),
            modules: Vec::new(),
            diagnostics: Vec::new(),
        }
    }
}

/// An engine whose every evaluation stops after the budget's time: a runaway rule becomes a
/// finding, not a hang.
fn new_engine(budget: &PolicyBudget) -> Engine {
    let mut engine = Engine::new();
    super::guarded::install(&mut engine);
    // `print()` is gathered, never written to stderr by the engine: the library prints
    // nothing, and the CLI writes each line through its escaping writer (SPEC §9 "Messages").
    engine.set_gather_prints(true);
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: budget.time,
        check_interval: NonZeroU32::new(1000).expect("non-zero"),
    });
    engine
}

/// Parses every source into one engine and compiles it. A file that does not parse is
/// reported and left out; when the whole set does not compile (an unsafe variable, a
/// conflict), the file the error names is reported and left out and the rest is tried again.
/// A file that calls a non-deterministic builtin, or whose rules recurse or chain deeper than
/// the budget allows, is reported and left out the same way (see [`budget`]).
pub fn load(sources: &[Source], limits: &PolicyBudget) -> Loaded {
    let mut diagnostics = Vec::new();
    let mut included: Vec<&Source> = Vec::new();
    // Parse each file once on its own to report syntax errors per file.
    for s in sources {
        let refused = budget::refused(&s.path, &s.text);
        if !refused.is_empty() {
            diagnostics.extend(refused);
            continue;
        }
        let mut probe = new_engine(limits);
        match probe.add_policy(s.path.clone(), s.text.clone()) {
            Ok(_) => included.push(s),
            Err(e) => diagnostics.push(error_diagnostic(&e, &s.path, "does not parse")),
        }
    }
    loop {
        let mut engine = new_engine(limits);
        let mut modules = Vec::new();
        for s in &included {
            // Parsed fine alone, so this only fails on limits; treat like a parse error.
            match engine.add_policy(s.path.clone(), s.text.clone()) {
                Ok(package) => modules.push(Module {
                    path: s.path.clone(),
                    package,
                    rules: Vec::new(),
                }),
                Err(e) => diagnostics.push(error_diagnostic(&e, &s.path, "does not parse")),
            }
        }
        // Compile (analysis, imports, rule gathering) by running a trivial query.
        match engine.eval_query("true".to_string(), false) {
            Ok(_) => {
                let paths: Vec<String> = modules.iter().map(|m| m.path.clone()).collect();
                let (found, refused) = budget::static_check(engine.get_modules(), &paths, limits.depth);
                if !refused.is_empty() {
                    diagnostics.extend(found);
                    included.retain(|s| !refused.iter().any(|&i| paths[i] == s.path));
                    continue;
                }
                fill_rules(&mut engine, &mut modules);
                return Loaded {
                    engine,
                    modules,
                    diagnostics,
                };
            }
            Err(e) => {
                let text = format!("{e:#}");
                let culprit = located(&text).map(|(file, _, _)| file);
                let index = culprit
                    .as_deref()
                    .and_then(|f| included.iter().position(|s| s.path == f));
                match index {
                    Some(i) => {
                        diagnostics.push(error_diagnostic(&e, &included[i].path, "does not compile"));
                        included.remove(i);
                    }
                    None => {
                        // Nothing to blame: report at the first program file and give up.
                        let at = included
                            .iter()
                            .find(|s| !s.path.starts_with('<'))
                            .map(|s| s.path.clone());
                        diagnostics.push(error_diagnostic(
                            &e,
                            at.as_deref().unwrap_or("policies"),
                            "do not compile",
                        ));
                        return Loaded {
                            engine: new_engine(limits),
                            modules: Vec::new(),
                            diagnostics,
                        };
                    }
                }
            }
        }
    }
}

fn fill_rules(engine: &mut Engine, modules: &mut [Module]) {
    let loaded = engine.get_modules().clone();
    for (module, info) in loaded.iter().zip(modules.iter_mut()) {
        for rule in &module.policy {
            let (refr, line) = match rule.as_ref() {
                Rule::Spec { head, span, .. } => match head {
                    RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } | RuleHead::Func { refr, .. } => {
                        (refr, span.line)
                    }
                },
                Rule::Default { refr, span, .. } => (refr, span.line),
            };
            let name = refr.span().text().to_string();
            if !info.rules.iter().any(|r| r.name == name) {
                info.rules.push(RuleDecl {
                    name,
                    line: line as usize,
                });
            }
        }
    }
}

fn location_regex() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"-->\s*(.+?):(\d+):(\d+)\s*\n").expect("valid regex"))
}

/// The first `--> file:line:col` a regorus error message carries.
pub fn located(text: &str) -> Option<(String, usize, usize)> {
    let c = location_regex().captures(text)?;
    Some((c[1].to_string(), c[2].parse().ok()?, c[3].parse().ok()?))
}

/// The human part of a regorus error: its `error: ...` line(s), without the source excerpt.
pub fn error_message(text: &str) -> String {
    let msgs: Vec<&str> = text.lines().filter_map(|l| l.trim().strip_prefix("error: ")).collect();
    if !msgs.is_empty() {
        return msgs.join("; ");
    }
    // No excerpt: the whole text, minus the excerpt lines if any.
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-->") && !l.contains('|'))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A `policy` finding for a regorus error, at the place the error names (falling back to the
/// start of `fallback_file`).
pub fn error_diagnostic(e: &anyhow::Error, fallback_file: &str, what: &str) -> Diagnostic {
    let text = format!("{e:#}");
    let (file, line, column) = located(&text).unwrap_or_else(|| (fallback_file.to_string(), 1, 1));
    let msg = error_message(&text);
    let d = Diagnostic::new(
        Code::Policy,
        &Location::new(file.clone(), line, column),
        format!("{file} {what}: {msg}"),
    );
    if file.starts_with('<') {
        d.with_hint("this is a built-in policy: please report it; switch the rule off in program.yaml `spec.policies` meanwhile")
    } else {
        d.with_hint("fix the Rego (v1 syntax; `import rego.v1` is accepted); `partnerctl policy test` runs the program's policy tests")
    }
}
