//! The budget every template render runs under (SPEC §9 "Limits"): templates are the
//! repository's own code, so a pull request can write a loop that never ends, a value nested
//! a million levels deep, or a file of gigabytes.
//!
//! Three bounds, each turned into [`RenderError::Budget`] naming the template (reported as
//! `output-invalid`):
//! - **fuel** (minijinja's own): one unit per instruction and per 64 bytes of data the
//!   template builds or writes. This is what stops a silent loop (`range` inside `range`)
//!   and bounds the memory a template's values take: a value is paid for before it is built,
//!   also when a list that holds one long string many times is written out as text (`join`,
//!   `~`, `format`, any string argument; the patch of vendor/minijinja/PATCHES.md), and by
//!   the `tojson`, `json` and `yaml` filters ([`check_value`]), which count the bytes a value
//!   serialises to under the one walk guard of [`crate::walk`] before serialising it.
//! - **time**: a deadline checked at every write into the output and in every filter of
//!   ours; with the default fuel a render cannot reach it, but a raised fuel still ends.
//! - **output size**: the output is written into a bounded buffer that refuses to grow
//!   past the limit, so a render never holds more than that.
//!
//! Stack: a render runs on a thread of its own whose stack grows with its fuel
//! ([`stack_for`]): the deepest value a template can build costs about 9 units a level, and
//! comparing or dropping one takes at most about 420 bytes of stack a level (measured), so the
//! stack is what the fuel can nest, not a fixed gigabyte; 560 MiB at the default fuel, which
//! fits a 2 GiB address space. Writing a value out as text refuses one nested deeper than 500
//! levels before it recurses (the patched engine), the JSON and YAML filters one deeper than
//! [`MAX_VALUE_DEPTH`]; the engine's own recursion (macros, includes) grows its stack on demand
//! (minijinja's `stacker` feature).

use crate::output::RenderError;
use crate::spec::LimitsSpec;
use minijinja::value::{Kwargs, Object, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};
use std::time::{Duration, Instant};

/// Default fuel for one render (`spec.limits.templateFuel`).
pub const DEFAULT_FUEL: u64 = 10_000_000;
/// Most fuel `spec.limits.templateFuel` may give (the schema says so too): fuel also bounds
/// the data a render builds, 64 bytes a unit, and this keeps that under 1 GiB.
pub const MAX_FUEL: u64 = 12_000_000;
/// Default time for one render (`spec.limits.templateSeconds`).
pub const DEFAULT_SECONDS: u32 = 10;
/// Largest output of one render (`spec.limits.templateOutputBytes` may only lower it).
pub const MAX_OUTPUT_BYTES: u64 = 256 * 1024 * 1024;
/// Values nested deeper than this are refused by `tojson`, `json` and `yaml`.
pub const MAX_VALUE_DEPTH: usize = 128;
/// Least stack of the thread a render runs on. Reserved, not committed: only what a render
/// uses is backed by memory.
pub const RENDER_STACK: usize = 64 * 1024 * 1024;

/// Stack reserved per unit of fuel: the deepest value a template can build grows with its
/// fuel (a level costs about 9 units: `{% set ns.x = [ns.x] %}` in a loop), and comparing,
/// writing or dropping it takes at most about 420 bytes of stack a level (measured with
/// minijinja 3.1: `==` 419, `~` 392, drop 67).
const STACK_PER_FUEL: u64 = 56;

/// The stack a render with `fuel` gets.
pub fn stack_for(fuel: u64) -> usize {
    usize::try_from(fuel.saturating_mul(STACK_PER_FUEL))
        .unwrap_or(usize::MAX)
        .max(RENDER_STACK)
}

/// The global under which an environment carries its budget to [`render`].
const BUDGET_GLOBAL: &str = "__partnerctl_budget";

/// The limits one template render runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TemplateBudget {
    pub fuel: u64,
    pub time: Duration,
    pub output_bytes: u64,
}

impl Default for TemplateBudget {
    fn default() -> Self {
        TemplateBudget {
            fuel: DEFAULT_FUEL,
            time: Duration::from_secs(DEFAULT_SECONDS.into()),
            output_bytes: MAX_OUTPUT_BYTES,
        }
    }
}

impl TemplateBudget {
    /// The budget program.yaml `spec.limits` sets, defaults for what it leaves out.
    pub fn from_limits(limits: &LimitsSpec) -> TemplateBudget {
        let d = TemplateBudget::default();
        TemplateBudget {
            fuel: limits.template_fuel.unwrap_or(d.fuel).clamp(1, MAX_FUEL),
            time: limits
                .template_seconds
                .map_or(d.time, |s| Duration::from_secs(s.max(1).into())),
            output_bytes: limits
                .template_output_bytes
                .map_or(d.output_bytes, |b| b.clamp(1, MAX_OUTPUT_BYTES)),
        }
    }
}

#[derive(Debug)]
struct BudgetObject(TemplateBudget);

impl Object for BudgetObject {}

/// Puts `budget` on `env`: its fuel, and the budget itself for [`render`] to find; replaces
/// `tojson` with one that refuses values too deep to serialise.
pub fn install(env: &mut Environment<'static>, budget: TemplateBudget) {
    env.set_fuel(Some(budget.fuel));
    env.add_global(BUDGET_GLOBAL, Value::from_object(BudgetObject(budget)));
    env.add_filter("tojson", tojson);
}

/// The `output-invalid` finding for a render that exceeded its budget, at the template's
/// file (`templates/<name>`); `None` for any other error.
pub fn diagnostic(e: &RenderError) -> Option<crate::diag::Diagnostic> {
    if let RenderError::Description { file, line, message } = e {
        return Some(
            crate::diag::Diagnostic::new(
                crate::diag::Code::OpenapiInvalid,
                &crate::diag::Location::new(file.clone(), (*line).max(1), 1),
                format!("{file}: {message}"),
            )
            .with_hint("the portal writes every operation, schema and example of a description within a budget (docs/security.md): split the description, or trim what it repeats"),
        );
    }
    let RenderError::Budget { name, what } = e else {
        return None;
    };
    let file = format!("templates/{name}");
    Some(
        crate::diag::Diagnostic::new(
            crate::diag::Code::OutputInvalid,
            &crate::diag::Location::file_start(file.clone()),
            format!("{file} exceeds its render budget: {what}"),
        )
        .with_hint(
            "a template may not loop without end, recurse, build values nested deeper than 128 levels or write more than 256 MiB; program.yaml `spec.limits` sets the budget",
        ),
    )
}

/// The budget installed on `env`, or the default.
fn budget_of(env: &Environment<'static>) -> TemplateBudget {
    env.globals()
        .find(|(name, _)| *name == BUDGET_GLOBAL)
        .and_then(|(_, v)| v.downcast_object_ref::<BudgetObject>().map(|b| b.0))
        .unwrap_or_default()
}

thread_local! {
    /// The deadline of the render running on this thread, for the filters to check.
    static DEADLINE: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
    /// The output budget of the render running on this thread: no value larger than what
    /// the render may write is worth serialising.
    static OUTPUT_LIMIT: std::cell::Cell<u64> = const { std::cell::Cell::new(MAX_OUTPUT_BYTES) };
}

/// Fails once the render on this thread is past its deadline; called by our filters so that
/// a template looping over them stops in time even with fuel to spare.
pub fn check_deadline() -> Result<(), Error> {
    match DEADLINE.with(std::cell::Cell::get) {
        Some(d) if Instant::now() > d => Err(Error::new(ErrorKind::InvalidOperation, TIME_MARK)),
        _ => Ok(()),
    }
}

const TIME_MARK: &str = "the render ran out of time";

/// Why a bounded write stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Size,
    Time,
}

/// The output buffer: refuses to grow past `limit` bytes or past the deadline.
struct Bounded {
    buf: Vec<u8>,
    limit: usize,
    deadline: Instant,
    stopped: Option<Stop>,
}

impl std::io::Write for Bounded {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len().saturating_add(data.len()) > self.limit {
            self.stopped = Some(Stop::Size);
            return Err(std::io::Error::other("output limit"));
        }
        if Instant::now() > self.deadline {
            self.stopped = Some(Stop::Time);
            return Err(std::io::Error::other("time limit"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders template `name` with a JSON context under the budget installed on `env` (see
/// [`install`]; the default budget otherwise, fuel aside).
pub fn render(env: &Environment<'static>, name: &str, ctx: Value) -> Result<String, RenderError> {
    let budget = budget_of(env);
    let run = || render_here(env, name, ctx, budget);
    let joined = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("render".into())
            .stack_size(stack_for(budget.fuel))
            .spawn_scoped(scope, run)
            .map(|handle| handle.join())
    });
    match joined {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(RenderError::Template {
            name: name.to_string(),
            message: "the template engine failed unexpectedly".into(),
        }),
        Err(e) => Err(RenderError::Template {
            name: name.to_string(),
            message: format!("cannot start the render: {e}"),
        }),
    }
}

fn render_here(
    env: &Environment<'static>,
    name: &str,
    ctx: Value,
    budget: TemplateBudget,
) -> Result<String, RenderError> {
    let start = Instant::now();
    let deadline = start + budget.time;
    DEADLINE.with(|d| d.set(Some(deadline)));
    OUTPUT_LIMIT.with(|l| l.set(budget.output_bytes));
    let template_error = |e: &Error| RenderError::Template {
        name: name.to_string(),
        message: describe(e),
    };
    let tmpl = env.get_template(name).map_err(|e| template_error(&e))?;
    let mut out = Bounded {
        buf: Vec::new(),
        limit: usize::try_from(budget.output_bytes).unwrap_or(usize::MAX),
        deadline,
        stopped: None,
    };
    let result = tmpl.render_captured_to(ctx, &mut out).map(drop);
    DEADLINE.with(|d| d.set(None));
    let budget_error = |what: String| RenderError::Budget {
        name: name.to_string(),
        what,
    };
    match (result, out.stopped) {
        (_, Some(Stop::Size)) => Err(budget_error(format!(
            "its output exceeds {} bytes",
            budget.output_bytes
        ))),
        (_, Some(Stop::Time)) => Err(budget_error(format!("it ran longer than {} s", budget.time.as_secs()))),
        (Ok(_), None) => String::from_utf8(out.buf).map_err(|_| RenderError::Template {
            name: name.to_string(),
            message: "rendered bytes that are not UTF-8".into(),
        }),
        (Err(e), None) => Err(match classify(&e) {
            Some(Exceeded::Fuel) => budget_error(format!(
                "it ran out of fuel ({} units: a loop that does too much, or data too large)",
                budget.fuel
            )),
            Some(Exceeded::Time) => budget_error(format!("it ran longer than {} s", budget.time.as_secs())),
            Some(Exceeded::Recursion) => {
                budget_error("it recurses too deeply (a macro or include calling itself)".into())
            }
            Some(Exceeded::Depth) => budget_error(e.detail().unwrap_or("a value is nested too deeply").into()),
            None => template_error(&e),
        }),
    }
}

enum Exceeded {
    Fuel,
    Time,
    Recursion,
    Depth,
}

/// Which budget an engine error (or one of its causes) reports, if any.
fn classify(e: &Error) -> Option<Exceeded> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(e) = err.downcast_ref::<Error>() {
            if e.kind() == ErrorKind::OutOfFuel {
                return Some(Exceeded::Fuel);
            }
            let detail = e.detail().unwrap_or_default();
            if detail.contains(TIME_MARK) {
                return Some(Exceeded::Time);
            }
            if detail.contains(DEPTH_MARK) || detail.contains(SIZE_MARK) {
                return Some(Exceeded::Depth);
            }
            if detail.contains("recursion limit exceeded") || e.to_string().contains("recursion limit exceeded") {
                return Some(Exceeded::Recursion);
            }
        }
        current = err.source();
    }
    None
}

const DEPTH_MARK: &str = "nested deeper than";
const SIZE_MARK: &str = "cannot be serialised";

/// Fails when `value` is nested deeper than [`MAX_VALUE_DEPTH`], or when written as JSON it
/// would take more bytes than the render can still pay for (its fuel left, at 64 bytes a
/// unit) or write (its output budget). Bytes are counted along every path, so a value built
/// by sharing (`[x, x]` nested, a list that repeats one long string) pays for every copy it
/// would write; the count stops at the budget, and it walks without recursion.
///
/// Data handed to the template by Rust ([`super::data::Data`]) is a tree without sharing, as
/// deep as the program's own documents: its first appearance in a value counts one item, and
/// every further appearance of data from the same tree counts its size, so a value that
/// repeats the program's data pays for each copy.
pub fn check_value(state: &State, value: &Value) -> Result<(), Error> {
    let fuel_bytes = state
        .fuel_levels()
        .map_or(u64::MAX, |(_, remaining)| remaining.saturating_mul(64));
    let limit = fuel_bytes.min(OUTPUT_LIMIT.with(std::cell::Cell::get));
    let mut walk = crate::walk::Walk::new(crate::walk::Limits {
        depth: MAX_VALUE_DEPTH,
        bytes: limit,
    });
    let too_large = |limit: u64| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("a value that would take more than {limit} bytes written out {SIZE_MARK}"),
        )
    };
    let mut todo: Vec<(Value, usize)> = vec![(value.clone(), 0)];
    let mut trees = std::collections::HashSet::new();
    while let Some((v, depth)) = todo.pop() {
        if let Some(data) = v.downcast_object_ref::<super::data::Data>() {
            let bytes = if trees.insert(data.tree()) {
                1
            } else {
                crate::walk::json_bytes(data.json(), walk.remaining())
            };
            walk.spend(bytes).map_err(|_| too_large(limit))?;
            continue;
        }
        let bytes = match v.as_str() {
            Some(s) => s.len() as u64 + 2,
            None => 8,
        };
        walk.spend(bytes).map_err(|_| too_large(limit))?;
        match v.kind() {
            ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => {
                if depth >= MAX_VALUE_DEPTH {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        format!("a value {DEPTH_MARK} {MAX_VALUE_DEPTH} levels cannot be serialised"),
                    ));
                }
                // More items than bytes left is too large whatever the items are.
                if v.len().is_some_and(|n| n as u64 > walk.remaining()) {
                    return Err(too_large(limit));
                }
                let is_map = v.kind() == ValueKind::Map;
                if let Ok(iter) = v.try_iter() {
                    for key in iter {
                        walk.spend(1).map_err(|_| too_large(limit))?;
                        if is_map {
                            if let Ok(item) = v.get_item(&key) {
                                todo.push((item, depth + 1));
                            }
                        }
                        todo.push((key, depth + 1));
                    }
                }
            }
            _ => {}
        }
    }
    check_deadline()
}

/// minijinja's `tojson`, after [`check_value`].
fn tojson(state: &State, value: &Value, indent: Option<Value>, args: Kwargs) -> Result<Value, Error> {
    check_value(state, value)?;
    minijinja::filters::tojson(value, indent, args)
}

/// An error with its location and causes, on one line.
pub(crate) fn describe(e: &minijinja::Error) -> String {
    let mut msg = e.to_string();
    if let (Some(name), Some(line)) = (e.name(), e.line()) {
        if !msg.contains(name) {
            msg = format!("{msg} (in {name}, line {line})");
        }
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}
