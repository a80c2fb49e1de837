//! The budget a Rego rule set runs under (SPEC §9 "Limits"): policies are the repository's
//! own code, and regorus evaluates them recursively on the calling thread.
//!
//! - **Time**: regorus's execution timer, [`PolicyBudget::time`] per rule set
//!   (`spec.limits.policySeconds`, default 10 s).
//! - **Recursion**: Rego, like OPA, forbids recursion, but regorus only notices it for
//!   rules, not functions, and a function calling itself overflows the stack. [`static_check`]
//!   refuses every cycle among the loaded rules and functions, and every chain of calls
//!   deeper than [`PolicyBudget::depth`] (`spec.limits.policyDepth`, default 256), at load.
//! - **Stack**: loading and evaluation run on threads whose stack grows with the depth the
//!   budget allows ([`stack_for`]): the static check bounds the chain of calls, regorus's
//!   parser bounds nesting within a rule (32 levels) and [`MAX_BRACKET_DEPTH`] bounds literals,
//!   so the deepest evaluation is known before it starts; measured at about 5 KiB a call, the
//!   stack gives each allowed level 64 KiB, and fits a 2 GiB address space.
//! - **Memory**: builtins that build large values are refused before they build them
//!   ([`super::guarded`]); whatever else a rule set grows (comprehensions, sets and objects
//!   built rule by rule) is bounded by [`MemoryScope`]: while policies run, the process may
//!   hold at most [`MAX_MEMORY`] more than it held when they started, counted by the
//!   allocator and checked by regorus at every statement and loop step.
//! - **Determinism**: builtins that read the clock, randomness, the network or the
//!   environment make findings differ between runs; [`nondeterministic`] refuses a file
//!   that calls one, at the line of the call.

use crate::diag::{Code, Diagnostic, Location};
use crate::spec::LimitsSpec;
use regorus::unstable::{Module, NodeRef, Rule};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::Duration;

/// Default seconds per rule set.
pub const DEFAULT_SECONDS: u32 = 10;
/// Default longest chain of rule and function calls.
pub const DEFAULT_DEPTH: u32 = 256;
/// Stack of a policy thread before the depth it allows, and per level of depth allowed.
const BASE_STACK: usize = 16 * 1024 * 1024;
const STACK_PER_LEVEL: usize = 64 * 1024;

/// The stack of the threads policies load and run on, for a call-chain depth of `depth`.
pub fn stack_for(depth: usize) -> usize {
    BASE_STACK.saturating_add(depth.saturating_mul(STACK_PER_LEVEL))
}

/// Memory the policies may take while they run, beyond what the process held when they
/// started (the program and the input document already built).
pub const MAX_MEMORY: u64 = 512 * 1024 * 1024;

/// While one is alive, regorus stops any evaluation once the process holds more than
/// [`MAX_MEMORY`] beyond what it held when the first one was made (evaluations running at the
/// same time share the allowance). The count is the allocator's (`src/main.rs` installs the
/// counting build of mimalloc); under another allocator nothing is counted and nothing is
/// stopped, and the other budgets still hold.
pub struct MemoryScope(());

static SCOPES: std::sync::Mutex<usize> = std::sync::Mutex::new(0);

impl MemoryScope {
    pub fn enter() -> MemoryScope {
        let mut open = SCOPES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if *open == 0 {
            // The binary counts allocations only from here (vendor/regorus-mimalloc/PATCHES.md):
            // the limit is the count now plus the budget, so it measures what the policies grow.
            regorus_mimalloc::mimalloc::set_counting(true);
            regorus::flush_thread_memory_counters();
            let held = regorus_mimalloc::mimalloc::global_allocation_stats_snapshot().allocated;
            regorus::set_global_memory_limit(Some(held.saturating_add(MAX_MEMORY)));
        }
        *open += 1;
        MemoryScope(())
    }
}

impl Drop for MemoryScope {
    fn drop(&mut self) {
        let mut open = SCOPES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *open = open.saturating_sub(1);
        if *open == 0 {
            regorus::set_global_memory_limit(None);
            regorus_mimalloc::mimalloc::set_counting(false);
        }
    }
}

/// Whether an evaluation error is regorus stopping at the memory limit.
pub fn is_memory_limit(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<regorus::LimitError>(),
            Some(regorus::LimitError::MemoryLimitExceeded { .. })
        )
    }) || format!("{e:#}").to_lowercase().contains("memory limit")
}

/// Builtins whose result depends on something besides the program: refused at load.
pub const NONDETERMINISTIC: &[&str] = &[
    "rand.intn",
    "time.now_ns",
    "uuid.rfc4122",
    "http.send",
    "opa.runtime",
    "net.lookup_ip_addr",
    "crypto.x509.parse_and_verify_certificates",
    "io.jwt.encode_sign",
    "io.jwt.encode_sign_raw",
    "io.jwt.decode_verify",
];

/// The limits a rule set runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyBudget {
    pub time: Duration,
    pub depth: usize,
}

impl Default for PolicyBudget {
    fn default() -> Self {
        PolicyBudget {
            time: Duration::from_secs(DEFAULT_SECONDS.into()),
            depth: DEFAULT_DEPTH as usize,
        }
    }
}

impl PolicyBudget {
    /// The budget program.yaml `spec.limits` sets, defaults for what it leaves out.
    pub fn from_limits(limits: &LimitsSpec) -> PolicyBudget {
        let d = PolicyBudget::default();
        PolicyBudget {
            time: limits
                .policy_seconds
                .map_or(d.time, |s| Duration::from_secs(s.max(1).into())),
            depth: limits.policy_depth.map_or(d.depth, |n| n.max(1) as usize),
        }
    }
}

/// Runs `f` on a thread with [`stack_for`] `depth` bytes of stack and returns what it
/// returns; `None` when the thread could not start or `f` panicked.
pub fn on_large_stack<T: Send>(depth: usize, f: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("policy".into())
            .stack_size(stack_for(depth))
            .spawn_scoped(scope, f)
            .ok()?
            .join()
            .ok()
    })
}

/// Comments and string literals, which hold words that are not calls.
fn noise() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r#"#[^\n]*|"(?:\\.|[^"\\\n])*"|`[^`]*`"#).expect("valid regex"))
}

fn words() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"[A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*").expect("valid regex")
    })
}

/// `text` with comments and strings blanked out (same length, newlines kept), so that
/// offsets still give lines.
fn code_only(text: &str) -> String {
    noise()
        .replace_all(text, |c: &regex::Captures| {
            c[0].chars()
                .map(|ch| if ch == '\n' { '\n' } else { ' ' })
                .collect::<String>()
        })
        .into_owned()
}

/// The dotted names in `text` (code only), with their byte offsets, spaces around dots
/// removed.
fn names(text: &str) -> Vec<(usize, String)> {
    let code = code_only(text);
    words()
        .find_iter(&code)
        .map(|m| (m.start(), m.as_str().split_whitespace().collect::<String>()))
        .collect()
}

/// Deepest nesting of `[` and `{` a policy file may have. regorus's parser takes time
/// exponential in how deeply brackets open directly inside each other (`[[[[1]]]]`: twenty
/// levels run for minutes before evaluation, and its timer, begin); real rules nest far less.
pub const MAX_BRACKET_DEPTH: usize = 12;

/// Findings that keep a policy file from being loaded at all: a call of a
/// [`NONDETERMINISTIC`] builtin, or brackets nested deeper than [`MAX_BRACKET_DEPTH`].
pub fn refused(path: &str, text: &str) -> Vec<Diagnostic> {
    let mut out = nondeterministic(path, text);
    let code = code_only(text);
    let mut depth = 0usize;
    for (at, c) in code.char_indices() {
        match c {
            '[' | '{' => {
                depth += 1;
                if depth > MAX_BRACKET_DEPTH {
                    out.push(
                        Diagnostic::new(
                            Code::Policy,
                            &location(path, text, at),
                            format!(
                                "{path} nests brackets more than {MAX_BRACKET_DEPTH} levels deep, which the policy engine cannot parse in reasonable time; the file is not loaded"
                            ),
                        )
                        .with_hint("split the value or the rule into named parts"),
                    );
                    break;
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    out
}

/// The 1-based line and column of byte offset `at` in `text` (columns count bytes, as the
/// offsets do).
fn location(path: &str, text: &str, at: usize) -> Location {
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    Location::new(path, line, column)
}

/// A `policy` error for every call of a [`NONDETERMINISTIC`] builtin in `path`.
pub fn nondeterministic(path: &str, text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let code = code_only(text);
    for (at, name) in names(text) {
        let Some(builtin) = NONDETERMINISTIC.iter().find(|b| name == **b) else {
            continue;
        };
        let rest = code[at..].trim_start_matches(|c: char| c.is_alphanumeric() || "._ \t".contains(c));
        if !rest.starts_with('(') {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::Policy,
                &location(path, text, at),
                format!(
                    "{path} calls `{builtin}`, whose result depends on the clock, chance, the network or the machine: findings would differ between runs, so the file is not loaded"
                ),
            )
            .with_hint("a policy decides from the program alone; pass dates through input.asOf"),
        );
    }
    out
}

/// A rule or function: its package and first name segment (`deny`, `f`).
type Node = (String, String);

/// Cycles among the rules and functions of `modules` (whose files are `paths`, in the same
/// order), and call chains deeper than `depth`: a `policy` error at the rule, naming the
/// file. Returns the diagnostics and the indexes of the modules to leave out.
pub fn static_check(modules: &[NodeRef<Module>], paths: &[String], depth: usize) -> (Vec<Diagnostic>, BTreeSet<usize>) {
    let mut packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut defined: BTreeMap<Node, (usize, usize)> = BTreeMap::new();
    let mut bodies: Vec<(usize, Node, String)> = Vec::new();
    for (i, m) in modules.iter().enumerate() {
        let package = m.package.refr.span().text().split_whitespace().collect::<String>();
        let package = if package.starts_with("data.") {
            package
        } else {
            format!("data.{package}")
        };
        for rule in &m.policy {
            let (refr, span) = match rule.as_ref() {
                Rule::Spec { head, span, .. } => (head_ref(head), span),
                Rule::Default { refr, span, .. } => (refr.span().text().to_string(), span),
            };
            let name = first_segment(&refr);
            packages.entry(package.clone()).or_default().insert(name.clone());
            let node = (package.clone(), name);
            defined.entry(node.clone()).or_insert((i, span.line as usize));
            if let Rule::Spec { .. } = rule.as_ref() {
                let text = span.text();
                let body = text.strip_prefix(refr.as_str()).unwrap_or(text);
                bodies.push((i, node, body.to_string()));
            }
        }
    }
    // Edges: every name in a rule's text that resolves to a rule or function.
    let mut edges: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
    for (i, node, body) in &bodies {
        let m = &modules[*i];
        let aliases: BTreeMap<String, String> = m
            .imports
            .iter()
            .filter_map(|imp| {
                let path = imp.refr.span().text().split_whitespace().collect::<String>();
                let alias = match &imp.r#as {
                    Some(a) => a.text().to_string(),
                    None => path.rsplit('.').next()?.to_string(),
                };
                path.starts_with("data.").then_some((alias, path))
            })
            .collect();
        for (_, name) in names(body) {
            let mut full = name.clone();
            let first = first_segment(&name);
            if let Some(path) = aliases.get(&first) {
                full = format!("{path}{}", &name[first.len()..]);
            }
            let target = if full.starts_with("data.") {
                resolve(&packages, &full)
            } else if packages.get(&node.0).is_some_and(|rules| rules.contains(&first)) {
                Some((node.0.clone(), first))
            } else {
                None
            };
            if let Some(t) = target {
                edges.entry(node.clone()).or_default().insert(t);
            }
        }
    }
    let mut diagnostics = Vec::new();
    let mut refused = BTreeSet::new();
    let report = |node: &Node, message: String, diagnostics: &mut Vec<Diagnostic>, refused: &mut BTreeSet<usize>| {
        let Some(&(i, line)) = defined.get(node) else { return };
        refused.insert(i);
        diagnostics.push(
            Diagnostic::new(Code::Policy, &Location::new(paths[i].clone(), line.max(1), 1), message).with_hint(
                "Rego forbids recursion: write the rule without calling itself (a comprehension or `walk` instead)",
            ),
        );
    };
    // Longest chain from each node, iteratively; a node met again while open is a cycle.
    let mut longest: BTreeMap<Node, usize> = BTreeMap::new();
    let mut open: BTreeSet<Node> = BTreeSet::new();
    let mut reported: BTreeSet<Node> = BTreeSet::new();
    for start in defined.keys() {
        if longest.contains_key(start) {
            continue;
        }
        let mut stack: Vec<(Node, bool)> = vec![(start.clone(), false)];
        while let Some((node, done)) = stack.pop() {
            let next = edges.get(&node).cloned().unwrap_or_default();
            if done {
                open.remove(&node);
                let d = 1 + next.iter().filter_map(|n| longest.get(n)).max().copied().unwrap_or(0);
                longest.insert(node.clone(), d);
                if d > depth && reported.insert(node.clone()) {
                    report(
                        &node,
                        format!(
                            "{}: `{}` starts a chain of more than {depth} rule and function calls (spec.limits.policyDepth)",
                            defined.get(&node).map_or("", |(i, _)| paths[*i].as_str()),
                            node.1
                        ),
                        &mut diagnostics,
                        &mut refused,
                    );
                }
                continue;
            }
            if longest.contains_key(&node) {
                continue;
            }
            if open.contains(&node) {
                continue;
            }
            open.insert(node.clone());
            stack.push((node.clone(), true));
            for n in next {
                if open.contains(&n) {
                    if reported.insert(n.clone()) {
                        let file = defined.get(&n).map_or("", |(i, _)| paths[*i].as_str());
                        let via = if n == node {
                            String::new()
                        } else {
                            format!(" (through `{}`)", node.1)
                        };
                        report(
                            &n,
                            format!("{file}: `{}` calls itself{via}; recursion is refused", n.1),
                            &mut diagnostics,
                            &mut refused,
                        );
                    }
                } else if !longest.contains_key(&n) {
                    stack.push((n, false));
                }
            }
        }
    }
    (diagnostics, refused)
}

/// The text of a rule head's reference (`deny`, `f`, `a.b`).
fn head_ref(head: &regorus::unstable::RuleHead) -> String {
    use regorus::unstable::RuleHead;
    match head {
        RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } | RuleHead::Func { refr, .. } => {
            refr.span().text().to_string()
        }
    }
}

fn first_segment(name: &str) -> String {
    name.split(['.', '[', '(', ' '])
        .next()
        .unwrap_or(name)
        .trim()
        .to_string()
}

/// The rule a `data.…` reference names: the longest package prefix, then a rule in it.
fn resolve(packages: &BTreeMap<String, BTreeSet<String>>, full: &str) -> Option<Node> {
    let parts: Vec<&str> = full.split('.').collect();
    for cut in (2..parts.len()).rev() {
        let package = parts[..cut].join(".");
        if let Some(rules) = packages.get(&package) {
            let rule = parts[cut].to_string();
            return rules.contains(&rule).then_some((package, rule));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modules(sources: &[(&str, &str)]) -> (Vec<NodeRef<Module>>, Vec<String>) {
        let mut engine = regorus::Engine::new();
        for (p, t) in sources {
            engine.add_policy(p.to_string(), t.to_string()).unwrap();
        }
        let _ = engine.eval_query("true".into(), false);
        (
            engine.get_modules().clone(),
            sources.iter().map(|(p, _)| p.to_string()).collect(),
        )
    }

    #[test]
    fn self_calling_functions_and_rule_cycles_are_refused() {
        let (m, p) = modules(&[
            (
                "policies/rec.rego",
                "package a\nimport rego.v1\n\nf(n) := x if {\n  x := f(n - 1) + 1\n}\n",
            ),
            (
                "policies/pair.rego",
                "package b\nimport rego.v1\nimport data.c\n\ng := 1 if c.h\n",
            ),
            (
                "policies/other.rego",
                "package c\nimport rego.v1\n\nh if data.b.g == 1\n",
            ),
            (
                "policies/fine.rego",
                "package d\nimport rego.v1\n\n# f(f(1)) in a comment\nk(x) := x + 1\nuse := k(k(1))\nmsg := \"f(n)\"\n",
            ),
        ]);
        let (d, refused) = static_check(&m, &p, 256);
        let files: BTreeSet<&str> = d.iter().map(|d| d.file.as_str()).collect();
        assert!(files.contains("policies/rec.rego"), "{d:?}");
        assert!(
            files.contains("policies/pair.rego") || files.contains("policies/other.rego"),
            "{d:?}"
        );
        assert!(!files.contains("policies/fine.rego"), "{d:?}");
        assert_eq!(d.iter().find(|d| d.file == "policies/rec.rego").unwrap().line, 4);
        assert!(!refused.contains(&3));
    }

    #[test]
    fn long_call_chains_are_refused() {
        let mut text = String::from("package a\nimport rego.v1\n\nf0(x) := x\n");
        for i in 1..20 {
            text.push_str(&format!("f{i}(x) := f{}(x)\n", i - 1));
        }
        let (m, p) = modules(&[("policies/chain.rego", &text)]);
        assert!(static_check(&m, &p, 256).0.is_empty());
        let (d, _) = static_check(&m, &p, 10);
        assert!(d[0].message.contains("more than 10"), "{}", d[0].message);
    }

    #[test]
    fn deeply_nested_brackets_are_refused_before_parsing() {
        let deep = format!("package a\n\nx := {}1{}\n", "[".repeat(20), "]".repeat(20));
        let d = refused("policies/deep.rego", &deep);
        assert_eq!((d.len(), d[0].line), (1, 3), "{d:?}");
        let fine = "package a\nimport rego.v1\n\ndeny contains msg if {\n  some p in input.partners\n  x := {\"a\": [[1], {\"b\": [2]}]}\n  msg := \"[[[[[[[[[[[[[[\"\n}\n";
        assert!(refused("policies/fine.rego", fine).is_empty());
    }

    #[test]
    fn nondeterministic_builtins_are_found_at_their_line() {
        let text =
            "package a\n# rand.intn(\"x\", 1) in a comment\nx := rand.intn(\"seed\", 10)\ny := \"time.now_ns()\"\n";
        let d = nondeterministic("policies/r.rego", text);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].line, d[0].column), (3, 6));
        assert!(d[0].message.contains("rand.intn"));
    }
}
