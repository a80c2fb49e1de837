//! The rest of the repository: YAML files outside the program's folders that may hold a
//! partnerctl document (SPEC §16 "documents outside their folders").
//!
//! A Partner file in `partner/`, `Partners/`, `partners-new/` or the repository root is not
//! part of the program, and ignoring it without a word would hide a change from review. So
//! besides the program walk, the working tree is searched once for `*.yaml`/`*.yml` files
//! outside `program.yaml` and the program folders, and only those whose bytes carry the
//! `partnerctl/v1` marker are kept, unparsed, for `model::load` to judge: a repository's other
//! YAML (workflows, gateway dumps, manifests) is read once and dropped. The walk never follows
//! a link, never opens a FIFO, skips hidden names and `.git` in any spelling, skips what git
//! ignores (build folders, `node_modules/`), and is bounded like the program walk.

use super::paths;
use std::fs;
use std::path::{Path, PathBuf};

/// The bytes every partnerctl document carries in its `apiVersion`.
pub const MARKER: &[u8] = b"partnerctl/v1";

/// Whether a file name is a YAML file's.
pub fn is_yaml_name(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// Whether bytes may hold a partnerctl document (they carry [`MARKER`]).
pub fn may_hold_document(bytes: &[u8]) -> bool {
    bytes.windows(MARKER.len()).any(|w| w == MARKER)
}

/// What the search found: files with the marker (relative path, bytes), and why the search
/// stopped early, if it did.
#[derive(Debug, Default)]
pub struct Found {
    pub files: Vec<(String, Vec<u8>)>,
}

/// Searches `root` outside `program_file` and `program_dirs` (top-level names), within
/// [`paths::MAX_DEPTH`] and [`paths::MAX_ENTRIES`], for YAML files of at most `limit` bytes
/// that carry the marker.
pub fn search(root: &Path, program_file: &str, program_dirs: &[&str], limit: u64) -> Result<Found, String> {
    let repo = git2::Repository::discover(root).ok();
    let workdir = repo
        .as_ref()
        .and_then(|r| r.workdir())
        .and_then(|w| fs::canonicalize(w).ok());
    let canonical_root = fs::canonicalize(root).ok();
    // A path relative to the work tree, for git's ignore rules.
    let ignored = |rel: &str, dir: bool| -> bool {
        let (Some(repo), Some(work), Some(croot)) = (&repo, &workdir, &canonical_root) else {
            return false;
        };
        let Ok(prefix) = croot.strip_prefix(work) else {
            return false;
        };
        let mut p = prefix.join(rel);
        if dir {
            // git matches a folder pattern (`dist/`) only on a path that ends in `/`.
            p.push("");
        }
        repo.is_path_ignored(&p).unwrap_or(false)
    };
    let mut found = Found::default();
    let mut entries = 0usize;
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    while let Some((dir, rel, depth)) = stack.pop() {
        let Ok(list) = fs::read_dir(&dir) else { continue };
        let mut list: Vec<_> = list.filter_map(Result::ok).collect();
        list.sort_by_key(|e| e.file_name());
        for entry in list {
            entries += 1;
            if entries > paths::MAX_ENTRIES {
                return Err(format!(
                    "the repository holds more than {} files and folders outside the program's folders; it is not searched for misplaced documents",
                    paths::MAX_ENTRIES
                ));
            }
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') || paths::is_git_name(name) {
                continue;
            }
            if rel.is_empty() && (name == program_file || program_dirs.contains(&name)) {
                continue;
            }
            let child = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            let Ok(ft) = entry.file_type() else { continue };
            match paths::Kind::of(ft) {
                paths::Kind::Dir if depth + 1 < paths::MAX_DEPTH && !ignored(&child, true) => {
                    stack.push((entry.path(), child, depth + 1));
                }
                paths::Kind::File if is_yaml_name(name) && !ignored(&child, false) => {
                    if let Ok(bytes) = paths::read_regular(&entry.path(), limit) {
                        if may_hold_document(&bytes) {
                            found.files.push((child, bytes));
                        }
                    }
                }
                // Links and special files are never followed or opened; they are not program
                // files, so they are not reported either.
                _ => {}
            }
        }
    }
    found.files.sort();
    Ok(found)
}
