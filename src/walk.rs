//! The one recursion guard and byte budget of every walk over a tree the repository controls
//! (SPEC §9 "Limits"): the `$ref`s of an OpenAPI description as it is bundled, compared for
//! the plan and written as the portal's API reference, and the values a template serialises
//! or displays.
//!
//! Such a tree is an attacker's: `Loop: {$ref: "#/components/schemas/Loop"}` refers to itself,
//! a schema can nest without end through `items`, and a few kilobytes of references can fan
//! one string out into gigabytes. A [`Walk`] carries three bounds through a walk, and a walk
//! that passes one stops with [`Exceeded`], which its caller turns into a finding
//! (`openapi-invalid` at the node, `output-invalid` naming the template), never a crash:
//! - **cycles**: a reference followed ([`Walk::follow`]) while it is already on the path that
//!   leads to it;
//! - **depth**: more nested levels ([`Walk::descend`]) than the walk's limit. Each level runs
//!   on a stack that grows on demand (`stacker`), so a limit of a few hundred levels never
//!   needs a large thread stack;
//! - **bytes**: what the walk produces (a document inlined, HTML written, a value displayed)
//!   is charged with [`Walk::spend`] before it is built, so a walk stops before the allocation
//!   that would exceed its budget, not after.
//!
//! It sits below everything that walks (it imports nothing of partnerctl's).

use serde_json::Value;

/// What a walk may do: nest `depth` levels and produce `bytes` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub depth: usize,
    pub bytes: u64,
}

/// Why a walk stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exceeded {
    /// A reference was met again on the path that leads to it.
    Cycle(String),
    /// The walk nested deeper than this many levels.
    Depth(usize),
    /// The walk would have produced more than this many bytes.
    Bytes(u64),
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exceeded::Cycle(r) => write!(f, "`{r}` is reached again through itself (a cycle of references)"),
            Exceeded::Depth(n) => write!(f, "it nests more than {n} levels deep"),
            Exceeded::Bytes(n) => write!(f, "it would take more than {n} bytes"),
        }
    }
}

impl std::error::Error for Exceeded {}

/// Stack left below which a level moves to a new stack segment, and the size of a segment.
const RED_ZONE: usize = 128 * 1024;
const SEGMENT: usize = 4 * 1024 * 1024;

/// A walk in progress: how deep it is, what it has produced, the references on its path.
#[derive(Debug)]
pub struct Walk {
    limits: Limits,
    depth: usize,
    spent: u64,
    path: Vec<String>,
}

impl Walk {
    pub fn new(limits: Limits) -> Walk {
        Walk {
            limits,
            depth: 0,
            spent: 0,
            path: Vec::new(),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// How many levels deep the walk is now.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Bytes charged so far.
    pub fn spent(&self) -> u64 {
        self.spent
    }

    /// Bytes the walk may still produce.
    pub fn remaining(&self) -> u64 {
        self.limits.bytes.saturating_sub(self.spent)
    }

    /// Charges `bytes` that are about to be produced. Fails, charging nothing, when they would
    /// take the walk past its budget: call it before building what it pays for.
    pub fn spend(&mut self, bytes: u64) -> Result<(), Exceeded> {
        match self.spent.checked_add(bytes) {
            Some(total) if total <= self.limits.bytes => {
                self.spent = total;
                Ok(())
            }
            _ => Err(Exceeded::Bytes(self.limits.bytes)),
        }
    }

    /// Whether `key` is a reference on the current path.
    pub fn on_path(&self, key: &str) -> bool {
        self.path.iter().any(|k| k == key)
    }

    /// Runs `f` one level deeper, on a stack that grows when this one runs low.
    pub fn descend<T>(&mut self, f: impl FnOnce(&mut Walk) -> Result<T, Exceeded>) -> Result<T, Exceeded> {
        if self.depth >= self.limits.depth {
            return Err(Exceeded::Depth(self.limits.depth));
        }
        self.depth += 1;
        let out = stacker::maybe_grow(RED_ZONE, SEGMENT, || f(self));
        self.depth -= 1;
        out
    }

    /// Runs `f` one level deeper with the reference `key` on the path; [`Exceeded::Cycle`]
    /// when `key` is on it already.
    pub fn follow<T>(&mut self, key: &str, f: impl FnOnce(&mut Walk) -> Result<T, Exceeded>) -> Result<T, Exceeded> {
        if self.on_path(key) {
            return Err(Exceeded::Cycle(key.to_string()));
        }
        self.path.push(key.to_string());
        let out = self.descend(f);
        self.path.pop();
        out
    }
}

/// The bytes of `v` written as compact JSON (strings counted without their escapes), counted
/// without recursion up to `limit`: past it, the count stops and is more than `limit`.
pub fn json_bytes(v: &Value, limit: u64) -> u64 {
    let mut todo = vec![v];
    let mut n = 0u64;
    while let Some(node) = todo.pop() {
        let here = match node {
            Value::Null => 4,
            Value::Bool(_) => 5,
            Value::Number(_) => 8,
            Value::String(s) => s.len() as u64 + 2,
            Value::Array(items) => {
                todo.extend(items);
                items.len() as u64 + 1
            }
            Value::Object(m) => {
                let mut keys = 2u64;
                for (k, x) in m {
                    keys = keys.saturating_add(k.len() as u64 + 4);
                    todo.push(x);
                }
                keys
            }
        };
        n = n.saturating_add(here);
        if n > limit {
            break;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cycles_depth_and_bytes_stop_a_walk() {
        let mut w = Walk::new(Limits { depth: 3, bytes: 10 });
        let r = w.follow("#/a", |w| w.follow("#/b", |w| w.follow("#/a", |_| Ok(()))));
        assert_eq!(r, Err(Exceeded::Cycle("#/a".into())));
        assert_eq!((w.depth(), w.on_path("#/a")), (0, false), "the path is unwound");
        let r = w.descend(|w| w.descend(|w| w.descend(|w| w.descend(|_| Ok(())))));
        assert_eq!(r, Err(Exceeded::Depth(3)));
        assert!(w.spend(6).is_ok());
        assert_eq!(w.spend(5), Err(Exceeded::Bytes(10)));
        assert_eq!((w.spent(), w.remaining()), (6, 4), "a refused charge charges nothing");
        assert_eq!(w.spend(u64::MAX), Err(Exceeded::Bytes(10)));
    }

    #[test]
    fn a_deep_walk_needs_no_large_stack() {
        // 100,000 levels on a 256 KiB thread: each level moves to a new segment when needed.
        let depth = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                fn down(w: &mut Walk, n: usize) -> Result<usize, Exceeded> {
                    if n == 0 {
                        return Ok(w.depth());
                    }
                    w.descend(|w| down(w, n - 1))
                }
                down(
                    &mut Walk::new(Limits {
                        depth: 200_000,
                        bytes: 0,
                    }),
                    100_000,
                )
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(depth, Ok(100_000));
    }

    #[test]
    fn json_bytes_counts_up_to_a_limit() {
        let v = json!({"a": [1, "xyz", null], "b": {}});
        assert_eq!(json_bytes(&v, 1000), 2 + 5 + 4 + 8 + 5 + 4 + 5 + 2);
        assert!(json_bytes(&v, 5) > 5);
    }
}
