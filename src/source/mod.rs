//! Source: the only place that touches the file system or git.
//!
//! A program repository, from a working tree ([`Snapshot::from_dir`]) or from a git revision
//! (`git.rs`), becomes a [`Snapshot`]: the repository's relevant files, by path relative to
//! the root, as bytes. Everything after this stage works on snapshots, so a working tree and
//! a revision give the same model. Files that must not be read (too large, a symbolic link
//! anything that is not a regular file) are kept as [`Entry::Refused`] so that `validate` can report them.

pub mod blob;
pub mod git;
pub mod outside;
pub mod paths;
pub mod program_files;
pub mod yaml;

pub use blob::Blob;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Files larger than this are refused without being read.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// A working tree whose files hold at least this many bytes in all keeps them compressed
/// ([`Blob`]); a smaller one keeps them as read. Compressing a program of 10,000 partners
/// (15 MB) would save 7 MB and cost 5% of `validate`'s time (compressing as it reads,
/// decompressing as it parses); at 100,000 partners (146 MB) it saves 70 MB of the peak.
pub const PACK_PROGRAM_FROM: usize = 64 * 1024 * 1024;

/// The top-level folders whose contents make up a program.
pub const PROGRAM_DIRS: &[&str] = &["products", "terms", "partners", "policies", "templates", "apis"];

/// The program's root document.
pub const PROGRAM_FILE: &str = "program.yaml";

/// The folder of the program's own policies.
pub const POLICY_DIR: &str = "policies/";

/// Whether a repository path is one of the program's policies (not a test).
pub fn is_policy_file(path: &str) -> bool {
    path.starts_with(POLICY_DIR) && path.ends_with(".rego") && !is_test_file(path)
}

/// Whether a repository path is one of the program's policy tests.
pub fn is_test_file(path: &str) -> bool {
    path.starts_with(POLICY_DIR) && path.ends_with("_test.rego")
}

/// One file of a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The file's bytes.
    Bytes(Blob),
    /// A file that was deliberately not read, and why.
    Refused(String),
}

/// The relevant files of a program repository at one point: the working tree or a revision.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Path relative to the repository root, `/`-separated → contents.
    pub files: BTreeMap<String, Entry>,
    /// Where the snapshot came from, for messages ("working tree", a commit id).
    pub origin: String,
    /// YAML files outside `program.yaml` and the program folders that carry the
    /// `partnerctl/v1` marker ([`outside`]): not part of the program, kept only so that a
    /// document written there is reported (`misplaced-resource`), never loaded.
    pub outside: BTreeMap<String, Blob>,
}

/// Why a repository could not be read at all (as opposed to a finding in one of its files).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}: no such directory")]
    NotFound(PathBuf),
    #[error("{0}: not a directory")]
    NotADirectory(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("git: {0}")]
    Git(String),
    /// The program is larger than a walk will go ([`paths::MAX_ENTRIES`]).
    #[error("{0}")]
    TooLarge(String),
}

impl Snapshot {
    /// Reads the program files below `root` from the file system, in parallel.
    ///
    /// Every path goes through [`paths`]: a symbolic link, FIFO, socket or device anywhere in
    /// the program is kept as [`Entry::Refused`] without being followed or opened.
    pub fn from_dir(root: &Path) -> Result<Snapshot, SourceError> {
        let meta = fs::metadata(root).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SourceError::NotFound(root.to_path_buf()),
            _ => SourceError::Io {
                path: root.to_path_buf(),
                source: e,
            },
        })?;
        if !meta.is_dir() {
            return Err(SourceError::NotADirectory(root.to_path_buf()));
        }

        let mut walk = Walk::default();
        let io = |path: &Path, e| SourceError::Io {
            path: path.to_path_buf(),
            source: e,
        };
        let program = root.join(PROGRAM_FILE);
        match paths::kind_of(&program).map_err(|e| io(&program, e))? {
            Some(paths::Kind::Dir) => walk.refuse(PROGRAM_FILE.to_string(), "a folder, not a file".into()),
            Some(kind) => walk.found(PROGRAM_FILE.to_string(), program, kind),
            None => {}
        }
        for dir in PROGRAM_DIRS {
            let path = root.join(dir);
            match paths::kind_of(&path).map_err(|e| io(&path, e))? {
                Some(paths::Kind::Dir) => walk.tree(&path, dir)?,
                Some(paths::Kind::File) | None => {}
                Some(kind) => walk.found(dir.to_string(), path, kind),
            }
        }

        let read: Vec<(String, Result<Vec<u8>, String>)> = walk
            .files
            .into_par_iter()
            .map(|(rel, path)| (rel, paths::read_regular(&path, MAX_FILE_BYTES).map_err(|r| r.reason)))
            .collect();
        let total: usize = read.iter().map(|(_, r)| r.as_ref().map_or(0, Vec::len)).sum();
        let pack = total >= PACK_PROGRAM_FROM;
        let read: Vec<(String, Entry)> = read
            .into_par_iter()
            .map(|(rel, r)| {
                let entry = match r {
                    Ok(bytes) if pack => Entry::Bytes(bytes.into()),
                    Ok(bytes) => Entry::Bytes(Blob::plain(bytes)),
                    Err(why) => Entry::Refused(why),
                };
                (rel, entry)
            })
            .collect();
        let mut files: BTreeMap<String, Entry> = read.into_iter().collect();
        for (rel, why) in walk.refused {
            files.insert(rel, Entry::Refused(why));
        }
        let found = outside::search(root, PROGRAM_FILE, PROGRAM_DIRS, MAX_FILE_BYTES).map_err(SourceError::TooLarge)?;
        Ok(Snapshot {
            files,
            origin: "working tree".to_string(),
            outside: found.files.into_iter().map(|(p, b)| (p, b.into())).collect(),
        })
    }

    /// The bytes of a file, if present and readable.
    pub fn bytes(&self, path: &str) -> Option<Cow<'_, [u8]>> {
        match self.files.get(path) {
            Some(Entry::Bytes(b)) => Some(b.bytes()),
            _ => None,
        }
    }

    /// The text of a file, if present, readable and UTF-8.
    pub fn text(&self, path: &str) -> Option<Cow<'_, str>> {
        match self.bytes(path)? {
            Cow::Borrowed(b) => std::str::from_utf8(b).ok().map(Cow::Borrowed),
            Cow::Owned(b) => String::from_utf8(b).ok().map(Cow::Owned),
        }
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// Paths below a folder (`"policies/"`), in order.
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a String, &'a Entry)> + 'a {
        self.files
            .range(prefix.to_string()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
    }

    /// Adds a file; used by the git reader and by tests.
    pub fn insert(&mut self, path: impl Into<String>, entry: Entry) {
        self.files.insert(path.into(), entry);
    }
}

/// The files a working-tree walk found, and what it refused on the way.
#[derive(Default)]
struct Walk {
    files: Vec<(String, PathBuf)>,
    refused: Vec<(String, String)>,
    /// Entries seen, in every folder the walk has been through, against [`paths::MAX_ENTRIES`].
    entries: std::sync::atomic::AtomicUsize,
}

impl Walk {
    fn refuse(&mut self, rel: String, why: String) {
        self.refused.push((rel, why));
    }

    /// A non-folder entry, by what `lstat` said it is: only regular files are read.
    fn found(&mut self, rel: String, path: PathBuf, kind: paths::Kind) {
        match kind.refusal() {
            Some(why) => self.refuse(rel, why.into()),
            None => self.files.push((rel, path)),
        }
    }

    /// Walks a program folder within [`paths::MAX_DEPTH`] (which bounds the recursion) and
    /// [`paths::MAX_ENTRIES`], its subfolders in parallel: listing the folders of 10,000
    /// partners (one per region and country) took a hundredth of a second on one core while
    /// the other waited.
    fn tree(&mut self, dir: &Path, rel: &str) -> Result<(), SourceError> {
        let below = self.folder(dir, rel, 0)?;
        self.absorb(below);
        Ok(())
    }

    /// Takes in what the walk of another folder found.
    fn absorb(&mut self, other: Walk) {
        self.files.extend(other.files);
        self.refused.extend(other.refused);
    }

    /// The files and refusals below one folder, its subfolders' included (counted against
    /// the limit in `self.entries`, which the returned walk does not use).
    fn folder(&self, dir: &Path, rel: &str, depth: usize) -> Result<Walk, SourceError> {
        let entries = fs::read_dir(dir).map_err(|e| SourceError::Io {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        let counted = self
            .entries
            .fetch_add(entries.len(), std::sync::atomic::Ordering::Relaxed)
            + entries.len();
        if counted > paths::MAX_ENTRIES {
            return Err(SourceError::TooLarge(format!(
                "the program holds more than {} files and folders; it is not read",
                paths::MAX_ENTRIES
            )));
        }
        let mut here = Walk::default();
        let mut folders = Vec::new();
        for entry in entries {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                here.refuse(
                    format!("{rel}/{}", name.to_string_lossy()),
                    "the file name is not UTF-8".into(),
                );
                continue;
            };
            // Hidden names (`.git` among them) are not part of the program; `git~1` is
            // `.git` on a file system with short names.
            if name.starts_with('.') || paths::is_git_name(name) {
                continue;
            }
            let child_rel = format!("{rel}/{name}");
            let Ok(ft) = entry.file_type() else { continue };
            match paths::Kind::of(ft) {
                paths::Kind::Dir if depth + 1 >= paths::MAX_DEPTH => here.refuse(
                    child_rel,
                    format!("folders nest deeper than {} levels; it is not read", paths::MAX_DEPTH),
                ),
                paths::Kind::Dir => folders.push((entry.path(), child_rel)),
                kind => here.found(child_rel, entry.path(), kind),
            }
        }
        let below: Vec<_> = folders
            .into_par_iter()
            .map(|(path, rel)| self.folder(&path, &rel, depth + 1))
            .collect();
        for found in below {
            here.absorb(found?);
        }
        Ok(here)
    }
}
pub mod yaml_edit;
