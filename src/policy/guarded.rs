//! Rego builtins that can build a value far larger than their arguments, guarded (SPEC §9
//! "Limits"): `numbers.range(1, 200000000)` asks for 200 million items from two numbers,
//! `sprintf("%999999999d", [1])` for a gigabyte from a format, `concat` of a list that repeats
//! one large string for its length times the repeats. Rego's own time budget comes too late:
//! the allocation happens in one step, before regorus checks its timer.
//!
//! regorus looks a call up among the engine's extensions before its builtins, so each of
//! these is installed as an extension of the same name ([`install`]) that works out the size
//! of its result from its arguments, charges it to the rule set's budget ([`reset`],
//! [`MAX_BUILT_BYTES`]) and refuses the call, before anything is built, when the budget would
//! be passed; otherwise it calls regorus's own implementation, so a policy sees exactly what
//! OPA's builtin gives. The budget holds for computed arguments as much as for literals: it
//! is charged when the call runs. What a rule set builds without these builtins (a
//! comprehension over two large ranges, sets and objects growing rule by rule) is bounded by
//! the memory budget of [`super::budget`].

use anyhow::{Result, anyhow};
use regorus::Value;
use regorus::unstable::{BUILTINS, Expr, Ref, Span};
use std::cell::Cell;

/// Bytes the guarded builtins may build in one rule set (`deny` or `warn` of one package).
pub const MAX_BUILT_BYTES: u64 = 256 * 1024 * 1024;

/// What one item of an array or set costs, besides its own content.
const ITEM_BYTES: u64 = std::mem::size_of::<Value>() as u64;
/// What a string item costs besides its bytes: the value and the string's allocation.
const STRING_ITEM_BYTES: u64 = ITEM_BYTES + 32;

thread_local! {
    /// Bytes the rule set running on this thread may still build.
    static LEFT: Cell<u64> = const { Cell::new(MAX_BUILT_BYTES) };
}

/// Gives the rule set about to run on this thread the whole budget.
pub fn reset() {
    LEFT.with(|l| l.set(MAX_BUILT_BYTES));
}

/// How many bytes a builtin's result takes, from its arguments; `None` when they are not of
/// the kinds the builtin takes (its own error then makes the call undefined).
type Size = fn(&[Value]) -> Option<u64>;

/// The guarded builtins, by name, with their argument count and the size of their result.
const GUARDED: &[(&str, u8, Size)] = &[
    ("numbers.range", 2, range),
    ("numbers.range_step", 3, range_step),
    ("concat", 2, concat),
    ("sprintf", 2, sprintf),
    ("replace", 3, replace),
    ("strings.replace_n", 2, replace_n),
    ("regex.replace", 3, regex_replace),
    ("split", 2, split),
    ("regex.split", 2, regex_split),
    ("regex.find_n", 3, regex_find_n),
    ("indexof_n", 2, indexof_n),
    ("bits.lsh", 2, lsh),
    ("json.marshal", 1, marshal),
    ("json.marshal_with_options", 2, marshal_with_options),
    ("array.concat", 2, array_concat),
    ("union", 1, union),
    ("object.union", 2, object_union),
    ("object.union_n", 1, object_union_n),
];

/// Installs the guarded builtins on `engine`, in place of regorus's own.
pub fn install(engine: &mut regorus::Engine) {
    for &(name, nargs, size) in GUARDED {
        let call = move |args: Vec<Value>| -> Result<Value> {
            // Undefined arguments make the call undefined before anything is built.
            if args.contains(&Value::Undefined) {
                return Ok(Value::Undefined);
            }
            if let Some(bytes) = size(&args) {
                charge(name, bytes)?;
            }
            delegate(name, &args)
        };
        // Adding fails only for a name added twice, which GUARDED does not hold.
        let _ = engine.add_extension(name.to_string(), nargs, Box::new(call));
    }
}

/// Charges `bytes` to the rule set's budget, or refuses the call.
fn charge(name: &str, bytes: u64) -> Result<()> {
    LEFT.with(|left| {
        let l = left.get();
        if bytes > l {
            return Err(anyhow!(
                "`{name}` would build about {bytes} bytes, more than the {l} bytes this rule set may still build (SPEC §9: {MAX_BUILT_BYTES} bytes a rule set, through numbers.range, concat, sprintf and the like); the call is refused"
            ));
        }
        left.set(l - bytes);
        Ok(())
    })
}

/// Calls regorus's own builtin, as the interpreter would with strict errors off: an error of
/// the builtin makes the call undefined.
fn delegate(name: &str, args: &[Value]) -> Result<Value> {
    let Some((builtin, _)) = BUILTINS.get(name) else {
        return Err(anyhow!("the builtin `{name}` is missing from the policy engine"));
    };
    let (span, params) = call_site(args.len());
    match builtin(&span, &params, args, false) {
        Ok(v) => Ok(v),
        Err(e) if e.downcast_ref::<regorus::LimitError>().is_some() => Err(e),
        Err(_) => Ok(Value::Undefined),
    }
}

/// The place a delegated call is said to come from: regorus's builtins want the call's
/// span and argument expressions only to word their errors, which [`delegate`] drops.
fn call_site(n: usize) -> (Span, Vec<Ref<Expr>>) {
    let source = regorus::Source::from_contents("<guarded builtin>".into(), "x".into())
        .expect("a one-byte source is within every limit");
    let span = Span {
        source,
        line: 1,
        col: 1,
        start: 0,
        end: 1,
    };
    let param = Ref::new(Expr::Null {
        span: span.clone(),
        value: Value::Null,
        eidx: 0,
    });
    (span, vec![param; n])
}

fn int(v: &Value) -> Option<i128> {
    let n = v.as_number().ok()?;
    if !n.is_integer() {
        return None;
    }
    n.as_i64().map(i128::from).or_else(|| {
        // Past i64: more items than any budget allows.
        Some(if n.as_f64()? < 0.0 {
            i128::MIN / 2
        } else {
            i128::MAX / 2
        })
    })
}

fn items_bytes(items: i128) -> Option<u64> {
    Some(
        u64::try_from(items.max(0))
            .unwrap_or(u64::MAX)
            .saturating_mul(ITEM_BYTES),
    )
}

fn range(args: &[Value]) -> Option<u64> {
    let (a, b) = (int(&args[0])?, int(&args[1])?);
    items_bytes((b - a).abs() + 1)
}

fn range_step(args: &[Value]) -> Option<u64> {
    let (a, b, s) = (int(&args[0])?, int(&args[1])?, int(&args[2])?);
    if s <= 0 {
        return None;
    }
    items_bytes((b - a).abs() / s + 1)
}

fn str_of(v: &Value) -> Option<&str> {
    v.as_string().ok().map(|s| &**s)
}

/// The strings of an array or a set.
fn strings(v: &Value) -> Option<Vec<&str>> {
    match v {
        Value::Array(a) => a.iter().map(str_of).collect(),
        Value::Set(s) => s.iter().map(str_of).collect(),
        _ => None,
    }
}

fn len(s: &str) -> u64 {
    s.len() as u64
}

fn concat(args: &[Value]) -> Option<u64> {
    let delimiter = len(str_of(&args[0])?);
    let parts = strings(&args[1])?;
    let n = parts.len() as u64;
    Some(
        parts
            .iter()
            .fold(0u64, |sum, p| sum.saturating_add(len(p)))
            .saturating_add(delimiter.saturating_mul(n.saturating_sub(1))),
    )
}

/// The format's bytes, every width and precision it asks for, and every argument as
/// printed (`%v` of a value that holds one list many times prints it many times).
fn sprintf(args: &[Value]) -> Option<u64> {
    let format = str_of(&args[0])?;
    let mut total = len(format);
    let mut digits = String::new();
    let mut in_verb = false;
    for c in format.chars() {
        if in_verb && c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            total = total.saturating_add(digits.parse::<u64>().unwrap_or(u64::MAX));
            digits.clear();
        }
        in_verb = match c {
            '%' => !in_verb,
            '.' => in_verb,
            _ => false,
        };
    }
    if !digits.is_empty() {
        total = total.saturating_add(digits.parse::<u64>().unwrap_or(u64::MAX));
    }
    let left = LEFT.with(Cell::get);
    Some(total.saturating_add(printed_bytes(&args[1], left)))
}

/// How often `pattern` occurs in `s` (an empty pattern: between every two bytes and at both
/// ends).
fn occurrences(s: &str, pattern: &str) -> u64 {
    if pattern.is_empty() {
        len(s) + 1
    } else {
        s.matches(pattern).count() as u64
    }
}

fn replace(args: &[Value]) -> Option<u64> {
    let (s, old, new) = (str_of(&args[0])?, str_of(&args[1])?, str_of(&args[2])?);
    Some(len(s).saturating_add(occurrences(s, old).saturating_mul(len(new))))
}

fn replace_n(args: &[Value]) -> Option<u64> {
    let s = str_of(&args[1])?;
    let Value::Object(patterns) = &args[0] else {
        return None;
    };
    let mut total = len(s);
    for (old, new) in patterns.iter() {
        let (Some(old), Some(new)) = (str_of(old), str_of(new)) else {
            continue;
        };
        total = total.saturating_add(occurrences(s, old).saturating_mul(len(new)));
    }
    Some(total)
}

/// A regular expression can match at every place of the string, the empty string included.
fn regex_replace(args: &[Value]) -> Option<u64> {
    let (s, new) = (str_of(&args[0])?, str_of(&args[2])?);
    Some(len(s).saturating_add((len(s) + 1).saturating_mul(len(new))))
}

fn pieces(s: &str, at_most: u64) -> u64 {
    (len(s) + 1).min(at_most)
}

fn split(args: &[Value]) -> Option<u64> {
    let s = str_of(&args[0])?;
    Some(len(s).saturating_add(pieces(s, u64::MAX).saturating_mul(STRING_ITEM_BYTES)))
}

fn regex_split(args: &[Value]) -> Option<u64> {
    let s = str_of(&args[1])?;
    Some(len(s).saturating_add(pieces(s, u64::MAX).saturating_mul(STRING_ITEM_BYTES)))
}

fn regex_find_n(args: &[Value]) -> Option<u64> {
    let s = str_of(&args[1])?;
    let n = int(&args[2])?;
    let at_most = if n < 0 {
        u64::MAX
    } else {
        u64::try_from(n).unwrap_or(u64::MAX)
    };
    Some(len(s).saturating_add(pieces(s, at_most).saturating_mul(STRING_ITEM_BYTES)))
}

fn indexof_n(args: &[Value]) -> Option<u64> {
    let s = str_of(&args[0])?;
    Some(pieces(s, u64::MAX).saturating_mul(ITEM_BYTES))
}

/// `bits.lsh(x, n)`: an integer `n` bits longer than `x`.
fn lsh(args: &[Value]) -> Option<u64> {
    let shift = int(&args[1])?;
    Some(u64::try_from(shift.max(0)).unwrap_or(u64::MAX) / 8 + 16)
}

fn marshal(args: &[Value]) -> Option<u64> {
    Some(printed_bytes(&args[0], LEFT.with(Cell::get)))
}

/// Indented JSON: each nested level indents every line below it.
fn marshal_with_options(args: &[Value]) -> Option<u64> {
    Some(printed_bytes(&args[0], LEFT.with(Cell::get)).saturating_mul(4))
}

fn count(v: &Value) -> u64 {
    match v {
        Value::Array(a) => a.len() as u64,
        Value::Set(s) => s.len() as u64,
        Value::Object(o) => o.len() as u64 * 2,
        _ => 0,
    }
}

fn array_concat(args: &[Value]) -> Option<u64> {
    Some(
        count(&args[0])
            .saturating_add(count(&args[1]))
            .saturating_mul(ITEM_BYTES),
    )
}

fn union(args: &[Value]) -> Option<u64> {
    let Value::Set(sets) = &args[0] else { return None };
    Some(
        sets.iter()
            .fold(0u64, |sum, s| sum.saturating_add(count(s)))
            .saturating_mul(ITEM_BYTES),
    )
}

fn object_union(args: &[Value]) -> Option<u64> {
    Some(
        count(&args[0])
            .saturating_add(count(&args[1]))
            .saturating_mul(ITEM_BYTES),
    )
}

fn object_union_n(args: &[Value]) -> Option<u64> {
    let Value::Array(objects) = &args[0] else { return None };
    Some(
        objects
            .iter()
            .fold(0u64, |sum, o| sum.saturating_add(count(o)))
            .saturating_mul(ITEM_BYTES),
    )
}

/// The bytes of `v` printed as JSON, counted along every path (a value that holds one list
/// many times prints it many times), without recursion, up to `limit`: past it the count
/// stops and is more than `limit`.
pub fn printed_bytes(v: &Value, limit: u64) -> u64 {
    let mut todo = vec![v];
    let mut n = 0u64;
    while let Some(node) = todo.pop() {
        n = n.saturating_add(match node {
            Value::Null | Value::Undefined => 4,
            Value::Bool(_) => 5,
            Value::Number(_) => 24,
            Value::String(s) => len(s) + 2,
            Value::Array(a) => {
                todo.extend(a.iter());
                a.len() as u64 + 1
            }
            Value::Set(s) => {
                todo.extend(s.iter());
                s.len() as u64 + 1
            }
            Value::Object(o) => {
                for (k, x) in o.iter() {
                    todo.push(k);
                    todo.push(x);
                }
                o.len() as u64 * 2 + 1
            }
        });
        if n > limit {
            break;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(rule: &str) -> Result<Value> {
        let mut engine = regorus::Engine::new();
        install(&mut engine);
        engine.add_policy("t.rego".into(), format!("package t\nimport rego.v1\n\n{rule}\n"))?;
        reset();
        engine.eval_rule("data.t.x".into())
    }

    #[test]
    fn guarded_builtins_answer_as_regorus_does() {
        for (rule, want) in [
            ("x := numbers.range(1, 3)", "[1,2,3]"),
            ("x := numbers.range(3, 1)", "[3,2,1]"),
            ("x := numbers.range_step(1, 10, 4)", "[1,5,9]"),
            ("x := concat(\"-\", [\"a\", \"b\"])", "\"a-b\""),
            ("x := sprintf(\"%05d|%s|%v\", [42, \"s\", [1]])", "\"00042|s|[1]\""),
            ("x := replace(\"aXbX\", \"X\", \"yy\")", "\"ayybyy\""),
            ("x := strings.replace_n({\"a\": \"b\"}, \"aa\")", "\"bb\""),
            ("x := split(\"a,b\", \",\")", "[\"a\",\"b\"]"),
            ("x := bits.lsh(1, 10)", "1024"),
            ("x := json.marshal({\"a\": [1]})", "\"{\\\"a\\\":[1]}\""),
            ("x := array.concat([1], [2])", "[1,2]"),
            ("x := object.union({\"a\": 1}, {\"b\": 2})", "{\"a\":1,\"b\":2}"),
        ] {
            let v = eval(rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
            assert_eq!(v.to_json_str().unwrap().replace(['\n', ' '], ""), want, "{rule}");
        }
        // A builtin's own error still makes the call undefined, as with regorus's builtins.
        assert!(matches!(eval("x := numbers.range(1, \"a\")"), Ok(Value::Undefined)));
    }

    #[test]
    fn large_results_are_refused_before_they_are_built() {
        for rule in [
            "x := count(numbers.range(1, 200000000))",
            "n := count(numbers.range(1, 10)) * 20000000\nx := count(numbers.range(1, n))",
            "x := count(numbers.range_step(0, 4000000000, 1))",
            "x := sprintf(\"%999999999d\", [1])",
            "s := concat(\"\", [\"x\" | some i in numbers.range(1, 100000)])\nx := count(concat(\"\", [s | some i in numbers.range(1, 100000)]))",
            "s := concat(\"\", [\"x\" | some i in numbers.range(1, 100000)])\nx := replace(s, \"\", s)",
            "x := bits.lsh(1, 4000000000)",
        ] {
            let e = eval(rule).expect_err(rule);
            assert!(e.to_string().contains("would build about"), "{rule}: {e}");
        }
        // The budget is per rule set, and counts what every call built before.
        let e = eval("x := [count(numbers.range(1, 5000000)) | some i in numbers.range(1, 1000)]").unwrap_err();
        assert!(e.to_string().contains("would build about"), "{e}");
    }

    #[test]
    fn printed_bytes_counts_every_path() {
        let v = Value::from_json_str("[[\"ab\", \"ab\"], 1]").unwrap();
        assert_eq!(printed_bytes(&v, u64::MAX), 3 + 3 + 4 + 4 + 24);
        assert!(printed_bytes(&v, 5) > 5);
    }
}
