//! The byte budget of a product's API reference (SPEC §9 "Limits"): the page data its pages
//! are written from, counted as JSON ([`crate::walk::json_bytes`]) each time a page holds it.
//!
//! A description is small and what it shares is written out where it is used: an example of
//! 2 MiB in `components/examples`, shown by `$ref` in the responses of 400 operations, is a
//! description of 2 MB and a reference of 800 MB; the navigation and search index of 60,000
//! operations, on each of their pages, grows with the square of the operations. So every
//! operation pays for every example, schema and description it shows, and every page for its
//! navigation, however many share them, and a large part (an example, a description, a
//! schema's HTML) is checked against what is left before it is built: the reference stops
//! at its budget, before the allocation that would pass it, and the description is refused
//! ([`OverBudget`]) instead of the portal taking gigabytes on merge.

use crate::walk::{Limits, Walk, json_bytes};
use serde_json::Value;
use std::cell::{Cell, RefCell};

/// The most page data one product's reference may take (every page's, counted as JSON).
pub const MAX_REFERENCE_BYTES: u64 = 32 * 1024 * 1024;
/// What each operation written counts besides its text: the tree of maps and lists that holds
/// it takes several times the bytes of its JSON (60,000 operations of a few words each are
/// 18 MB of JSON and about 200 MB of page data).
pub const OPERATION_BYTES: u64 = 1024;

/// Why a product's reference is not written: it ran out of its budget writing `what`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverBudget {
    /// The line of the operation being written in the description (1 for a page's own data).
    pub line: usize,
    /// `GET /v1/rates`, `the navigation and search index of api-tag-rates.html`.
    pub what: String,
    /// The budget, bytes.
    pub limit: u64,
}

impl std::fmt::Display for OverBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the portal's API reference of this description would take more than {} MiB of page data, its budget, and stopped at {}: every operation counts each example, schema and description it shows, however many operations share it, and every page its navigation",
            self.limit >> 20,
            self.what
        )
    }
}

/// The budget of one reference being written: what its pages hold so far, what the part
/// being built has reserved, and where it ran out.
pub struct Budget {
    walk: RefCell<Walk>,
    /// Bytes reserved by [`Budget::fits`] for the part being built, not yet paid.
    pending: Cell<u64>,
    /// The line and name of what is being written, for the finding.
    at: RefCell<(usize, String)>,
    over: RefCell<Option<OverBudget>>,
}

impl Budget {
    pub fn new(limit: u64) -> Budget {
        Budget {
            // Depth is bounded by the schema writer itself; this walk only counts bytes.
            walk: RefCell::new(Walk::new(Limits {
                depth: usize::MAX,
                bytes: limit,
            })),
            pending: Cell::new(0),
            at: RefCell::new((1, "the reference's first page".into())),
            over: RefCell::new(None),
        }
    }

    /// What is written next: an operation at `line`, or a page's own data (line 1).
    pub fn at(&self, line: usize, what: String) {
        *self.at.borrow_mut() = (line.max(1), what);
    }

    /// Whether the budget has not run out.
    pub fn ok(&self) -> bool {
        self.over.borrow().is_none()
    }

    /// Bytes that may still be built for the part being written.
    pub fn left(&self) -> u64 {
        self.walk.borrow().remaining().saturating_sub(self.pending.get())
    }

    /// Whether `bytes` more, about to be built for the part being written, fit in what is
    /// left; they stay reserved until the part is paid for ([`Budget::pay`]). Call it before
    /// building a large piece: when it fails, build nothing.
    pub fn fits(&self, bytes: u64) -> bool {
        if !self.ok() {
            return false;
        }
        let reserved = self.pending.get().saturating_add(bytes);
        if reserved > self.walk.borrow().remaining() {
            self.stop();
            return false;
        }
        self.pending.set(reserved);
        true
    }

    /// Pays for one more operation's structure ([`OPERATION_BYTES`]) before it is built.
    pub fn operation(&self) -> bool {
        if !self.ok() {
            return false;
        }
        let paid = self.walk.borrow_mut().spend(OPERATION_BYTES);
        if paid.is_err() {
            self.stop();
        }
        paid.is_ok()
    }

    /// Pays for `v`, a part that is built and about to be kept in a page (or copied into
    /// another): its JSON bytes replace what was reserved for it.
    pub fn pay(&self, v: &Value) -> bool {
        self.pending.set(0);
        if !self.ok() {
            return false;
        }
        let left = self.walk.borrow().remaining();
        let paid = self.walk.borrow_mut().spend(json_bytes(v, left));
        if paid.is_err() {
            self.stop();
        }
        paid.is_ok()
    }

    fn stop(&self) {
        let (line, what) = self.at.borrow().clone();
        let limit = self.walk.borrow().limits().bytes;
        self.over.borrow_mut().get_or_insert(OverBudget { line, what, limit });
    }

    /// Where the budget ran out, if it did.
    pub fn over(&self) -> Option<OverBudget> {
        self.over.borrow().clone()
    }
}

/// The bytes of an example as the reference writes it (a string as it is, anything else as
/// indented JSON), counted without building it, up to `limit` (past it, more than `limit`).
pub fn example_bytes(v: &Value, limit: u64) -> u64 {
    struct Count {
        n: u64,
        limit: u64,
    }
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.n = self.n.saturating_add(buf.len() as u64);
            if self.n > self.limit {
                return Err(std::io::Error::other("over the limit"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    match v {
        Value::String(s) => s.len() as u64,
        other => {
            let mut c = Count { n: 0, limit };
            let _ = serde_json::to_writer_pretty(&mut c, other);
            c.n
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_part_is_checked_before_it_is_built_and_paid_for_once_kept() {
        let b = Budget::new(100);
        b.at(7, "GET /a".into());
        assert!(b.fits(60));
        assert!(!b.fits(60), "the first reservation still counts");
        assert_eq!(
            b.over(),
            Some(OverBudget {
                line: 7,
                what: "GET /a".into(),
                limit: 100
            })
        );
        assert!(!b.pay(&json!("x")), "nothing more once it ran out");
        let b = Budget::new(100);
        assert!(b.pay(&json!("a".repeat(50))));
        assert!(b.fits(40));
        assert!(!b.pay(&json!("a".repeat(50))), "52 bytes more do not fit in 48");
    }

    #[test]
    fn examples_are_counted_as_they_are_written() {
        let v = json!({"a": [1, 2], "b": "x"});
        assert_eq!(
            example_bytes(&v, 1000),
            serde_json::to_string_pretty(&v).unwrap().len() as u64
        );
        assert_eq!(example_bytes(&json!("abc"), 0), 3);
        assert!(example_bytes(&json!(vec![1; 1000]), 10) > 10);
    }
}
