//! A document as written: its file's bytes, shared with the snapshot, and what is derived from
//! them only while something needs it.
//!
//! When the program has policies of its own, loading parses each file once and keeps the
//! document in the policy engine's form ([`Raw`]) for them, since they read every document
//! (the built-in rules are evaluated over the typed program and need none; without program
//! policies no document is kept in that form: [`Written::unread`]). That form is several times
//! the size of the file, so once the policies have run, [`Written::release`] drops it: rendering
//! and the rest of a plan work on the typed resources. A location for a finding (or a plan's
//! comparison of a changed file) reads the bytes again when it is asked for, one file at a
//! time. The positions of a document's nodes are never kept from loading: a clean program
//! needs none, and a finding's file is parsed again to place it.

use super::raw::{self, Raw};
use crate::source::Blob;
use crate::source::yaml::{self, Pos, Positions};
use std::fmt;
use std::sync::{OnceLock, PoisonError, RwLock};

/// A document's bytes, its policy form while kept, and its positions once asked for.
pub struct Written {
    bytes: Blob,
    raw: RwLock<Option<Raw>>,
    positions: OnceLock<Positions>,
}

impl fmt::Debug for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Written")
            .field("bytes", &self.bytes.len())
            .field("raw_kept", &self.is_kept())
            .finish()
    }
}

impl Written {
    /// A document that loading parsed into `raw` from `bytes`.
    pub fn new(bytes: Blob, raw: Raw) -> Written {
        Written {
            bytes,
            raw: RwLock::new(Some(raw)),
            positions: OnceLock::new(),
        }
    }

    /// A document whose policy form was not made while loading: [`Written::raw`] reads the
    /// bytes when first asked.
    pub fn unread(bytes: Blob) -> Written {
        Written {
            bytes,
            raw: RwLock::new(None),
            positions: OnceLock::new(),
        }
    }

    /// The document in the policy engine's form: the value kept from loading, or (after
    /// [`Written::release`]) read again from the bytes and kept until the next release.
    pub fn raw(&self) -> Raw {
        self.kept().unwrap_or_else(|| self.read_again().0)
    }

    /// Drops the policy form; [`Written::raw`] reads the bytes again when next asked.
    pub fn release(&self) {
        *self.raw.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Whether the policy form is held now.
    pub fn is_kept(&self) -> bool {
        self.raw.read().unwrap_or_else(PoisonError::into_inner).is_some()
    }

    fn kept(&self) -> Option<Raw> {
        self.raw.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Parses the bytes once for both the policy form (kept again) and the positions.
    fn read_again(&self) -> (Raw, &Positions) {
        let doc = reparse(&self.bytes.bytes());
        let raw = doc
            .as_ref()
            .map(|d| raw::from_json(&d.value, &mut raw::Interner::default()))
            .unwrap_or(Raw::Null);
        *self.raw.write().unwrap_or_else(PoisonError::into_inner) = Some(raw.clone());
        let positions = self
            .positions
            .get_or_init(|| doc.map(|d| d.positions).unwrap_or_default());
        (raw, positions)
    }

    /// The policy form and the positions, reading the file at most once.
    fn located(&self) -> (Raw, &Positions) {
        match (self.kept(), self.positions.get()) {
            (Some(raw), Some(positions)) => (raw, positions),
            (Some(raw), None) => {
                let positions = self
                    .positions
                    .get_or_init(|| reparse(&self.bytes.bytes()).map(|d| d.positions).unwrap_or_default());
                (raw, positions)
            }
            (None, _) => self.read_again(),
        }
    }

    /// Where the value at a JSON pointer stands (or its nearest existing parent).
    pub fn pos(&self, pointer: &str) -> Pos {
        let (raw, positions) = self.located();
        positions.value(&raw, pointer)
    }

    /// Where the key leading to the value at a JSON pointer stands.
    pub fn key_pos(&self, pointer: &str) -> Pos {
        let (raw, positions) = self.located();
        positions.key(&raw, pointer)
    }

    /// Whether two documents are the same as written: the same bytes, or bytes that read as
    /// the same document (a comment or the layout changed). Only documents whose bytes differ
    /// are read again.
    pub fn same(&self, other: &Written) -> bool {
        self.bytes == other.bytes || self.raw() == other.raw()
    }
}

/// Parses bytes that loading parsed already; the same bytes parse the same way, so this does
/// not fail for a kept document (and a failure reads as an empty document).
fn reparse(bytes: &[u8]) -> Option<yaml::YamlDoc> {
    yaml::parse("", bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(text: &str) -> Written {
        let doc = yaml::parse("a.yaml", text.as_bytes()).unwrap();
        Written::new(
            Blob::from(text.as_bytes()),
            raw::from_json(&doc.value, &mut raw::Interner::default()),
        )
    }

    #[test]
    fn a_released_document_is_read_again_the_same() {
        let w = written("b: [1, x]\na: {c: true}\n");
        let kept = w.raw();
        w.release();
        assert!(!w.is_kept());
        assert_eq!(w.raw(), kept);
        assert!(w.is_kept(), "kept again once read");
    }

    #[test]
    fn positions_are_read_from_the_bytes_on_demand() {
        let w = written("zeta: 1\nalpha:\n  - {role: x, name: y}\n");
        w.release();
        assert_eq!(w.pos("/alpha/0/name"), Pos { line: 3, column: 21 });
        assert_eq!(w.key_pos("/alpha").line, 2);
        assert_eq!(w.pos("/nope").line, 1, "a missing value is placed at its parent");
    }

    #[test]
    fn documents_are_the_same_when_they_read_the_same() {
        assert!(written("a: 1\n").same(&written("a: 1\n")));
        assert!(written("a: 1 # note\n").same(&written("{a: 1}\n")));
        assert!(!written("a: 1\n").same(&written("a: 2\n")));
    }
}
