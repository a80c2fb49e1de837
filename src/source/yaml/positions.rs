//! Where every node and mapping key of a parsed document is written: [`Positions`], kept
//! compact (a million nodes in a large program), and looked up by JSON pointer.

use serde_json::Value;
use std::borrow::Cow;

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// Where each node of a document stands in its file, looked up by JSON pointer
/// (`/spec/contacts/0/email`) along the document itself (see [`Tree`]).
///
/// One flat array per document, 16 bytes per node, in document pre-order with each
/// mapping's entries ordered by key: a 10,000-partner program has more than a million nodes,
/// findings need the positions of only a handful, and the keys are already in the document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Positions {
    pub(crate) nodes: Box<[NodePos]>,
    /// Where the children of a long list or mapping start, built on the first lookup below it.
    pub(crate) children: Children,
}

/// Lists and mappings with more than [`SKIP_LIMIT`] entries, each with where every child
/// starts: finding the n-th child otherwise skips the n siblings before it, and a reader
/// that asks where each of 100,000 consumers is written would skip 5 billion times. Built
/// when first needed, for the containers looked into; no part of comparing positions.
///
/// A long mapping also keeps its keys in byte order: a child's place among its siblings is
/// then found by binary search, not by comparing every key, which made reading the line of
/// each of 60,000 operations take 3.6 billion comparisons.
#[derive(Default)]
pub(crate) struct Children(
    std::sync::Mutex<std::collections::HashMap<usize, std::sync::Arc<[u32]>>>,
    std::sync::Mutex<std::collections::HashMap<usize, std::sync::Arc<[String]>>>,
);

/// Siblings skipped one by one before a container's children are indexed.
const SKIP_LIMIT: usize = 64;

impl Clone for Children {
    fn clone(&self) -> Children {
        Children::default()
    }
}

impl PartialEq for Children {
    fn eq(&self, _: &Children) -> bool {
        true
    }
}

impl Eq for Children {}

impl std::fmt::Debug for Children {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Children")
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NodePos {
    pub(crate) line: u32,
    /// Line of the key leading to this node; 0 for list items and the root.
    pub(crate) key_line: u32,
    /// Nodes in this node's subtree, itself included: how far to skip to its next sibling.
    pub(crate) size: u32,
    pub(crate) column: u16,
    pub(crate) key_column: u16,
}

impl NodePos {
    pub(crate) fn new(at: Pos, key_at: Option<Pos>) -> NodePos {
        let key = key_at.unwrap_or_default();
        NodePos {
            line: clamp32(at.line),
            key_line: clamp32(key.line),
            size: 1,
            column: clamp16(at.column),
            key_column: clamp16(key.column),
        }
    }

    fn at(&self) -> Pos {
        Pos {
            line: self.line as usize,
            column: self.column as usize,
        }
    }

    fn key_at(&self) -> Option<Pos> {
        (self.key_line > 0).then_some(Pos {
            line: self.key_line as usize,
            column: self.key_column as usize,
        })
    }
}

pub(crate) fn clamp32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Columns past 65,535 are recorded as 65,535 (the line is still exact).
pub(crate) fn clamp16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// A document that [`Positions`] can be followed along: `serde_json::Value` as parsed, or the
/// policy engine's value the model keeps.
pub trait Tree {
    /// The child a JSON-pointer segment leads to, with its place among its siblings in the
    /// order positions keep them: list items by index, mapping entries by key (byte order).
    fn child(&self, segment: &str) -> Option<(usize, &Self)>;

    /// The keys of a mapping of more than [`SKIP_LIMIT`] entries, in byte order; `None` for
    /// anything else (a tree that does not say is searched as [`Tree::child`] does).
    fn long_mapping_keys(&self) -> Option<Vec<String>> {
        None
    }

    /// The child a segment leads to, without its place ([`Tree::long_mapping_keys`] gives it).
    fn child_unranked(&self, segment: &str) -> Option<&Self> {
        self.child(segment).map(|(_, c)| c)
    }
}

impl Tree for Value {
    fn child(&self, segment: &str) -> Option<(usize, &Value)> {
        match self {
            Value::Array(items) => {
                let i: usize = segment.parse().ok()?;
                items.get(i).map(|v| (i, v))
            }
            Value::Object(map) => {
                let v = map.get(segment)?;
                Some((map.keys().filter(|k| k.as_str() < segment).count(), v))
            }
            _ => None,
        }
    }

    fn long_mapping_keys(&self) -> Option<Vec<String>> {
        let map = self.as_object().filter(|m| m.len() > SKIP_LIMIT)?;
        let mut keys: Vec<String> = map.keys().cloned().collect();
        keys.sort_unstable();
        Some(keys)
    }

    fn child_unranked(&self, segment: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => map.get(segment),
            _ => self.child(segment).map(|(_, c)| c),
        }
    }
}

impl Positions {
    /// The node at `pointer`, or the nearest ancestor that exists, and whether it was exact.
    fn find<T: Tree + ?Sized>(&self, tree: &T, pointer: &str) -> (Option<&NodePos>, bool) {
        let mut index = 0;
        let mut node = tree;
        if pointer.is_empty() {
            return (self.nodes.first(), true);
        }
        for raw in pointer.split('/').skip(1) {
            let segment: Cow<str> = if raw.contains('~') {
                raw.replace("~1", "/").replace("~0", "~").into()
            } else {
                raw.into()
            };
            let found = match self.keys_of(index, node) {
                Some(keys) => node
                    .child_unranked(&segment)
                    .and_then(|c| keys.binary_search_by(|k| k.as_str().cmp(&segment)).ok().map(|r| (r, c))),
                None => node.child(&segment),
            };
            let Some((rank, child)) = found else {
                return (self.nodes.get(index), false);
            };
            let mut at = index + 1;
            if rank > SKIP_LIMIT {
                match self.child_start(index, rank) {
                    Some(start) => at = start,
                    None => return (self.nodes.get(index), false),
                }
            } else {
                for _ in 0..rank {
                    match self.nodes.get(at) {
                        Some(sibling) => at += sibling.size.max(1) as usize,
                        None => break,
                    }
                }
            }
            if at >= self.nodes.len() {
                // The document and its positions disagree; stay on the last known node.
                return (self.nodes.get(index), false);
            }
            index = at;
            node = child;
        }
        (self.nodes.get(index), true)
    }

    /// The keys of the node at `index` in byte order, when it is a long mapping, from
    /// [`Children`].
    fn keys_of<T: Tree + ?Sized>(&self, index: usize, node: &T) -> Option<std::sync::Arc<[String]>> {
        if self.nodes.get(index).is_none_or(|n| (n.size as usize) <= SKIP_LIMIT) {
            return None;
        }
        let mut cache = self
            .children
            .1
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(keys) = cache.get(&index) {
            return Some(keys.clone());
        }
        let keys: std::sync::Arc<[String]> = node.long_mapping_keys()?.into();
        cache.insert(index, keys.clone());
        Some(keys)
    }

    /// Where the `rank`-th child of the node at `parent` starts, from [`Children`].
    fn child_start(&self, parent: usize, rank: usize) -> Option<usize> {
        let starts = {
            let mut cache = self
                .children
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            cache
                .entry(parent)
                .or_insert_with(|| {
                    let end = parent.saturating_add(self.nodes.get(parent).map_or(1, |n| n.size.max(1) as usize));
                    let mut starts = Vec::new();
                    let mut at = parent + 1;
                    while at < end.min(self.nodes.len()) {
                        starts.push(clamp32(at));
                        at += self.nodes[at].size.max(1) as usize;
                    }
                    starts.into()
                })
                .clone()
        };
        starts.get(rank).map(|&s| s as usize)
    }

    /// The position of the node at `pointer` in `tree`, or of its nearest ancestor.
    pub fn value<T: Tree + ?Sized>(&self, tree: &T, pointer: &str) -> Pos {
        match self.find(tree, pointer).0.map(NodePos::at) {
            Some(p) if p.line > 0 => p,
            _ => Pos { line: 1, column: 1 },
        }
    }

    /// The position of the key that leads to `pointer` (`/spec/foo` → where `foo:` is
    /// written), falling back to the value's position.
    pub fn key<T: Tree + ?Sized>(&self, tree: &T, pointer: &str) -> Pos {
        match self.find(tree, pointer) {
            (Some(node), true) => node.key_at().unwrap_or_else(|| self.value(tree, pointer)),
            _ => self.value(tree, pointer),
        }
    }
}

/// One parsed YAML document.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlDoc {
    pub value: Value,
    pub positions: Positions,
}

impl YamlDoc {
    /// Where the node at `pointer` is written (or its nearest ancestor).
    pub fn pos(&self, pointer: &str) -> Pos {
        self.positions.value(&self.value, pointer)
    }

    /// Where the key leading to `pointer` is written.
    pub fn key_pos(&self, pointer: &str) -> Pos {
        self.positions.key(&self.value, pointer)
    }
}
