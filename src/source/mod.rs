//! Source: the only place that touches the file system or git.
//!
//! A program repository, from a working tree ([`Snapshot::from_dir`]) or from a git revision
//! (`git.rs`), becomes a [`Snapshot`]: the repository's relevant files, by path relative to
//! the root, as bytes. Everything after this stage works on snapshots, so a working tree and
//! a revision give the same model. Files that must not be read (too large, a symbolic link
//! out of the repository) are kept as [`Entry::Refused`] so that `validate` can report them.

pub mod git;
pub mod yaml;

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Files larger than this are refused without being read.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The top-level folders whose contents make up a program.
pub const PROGRAM_DIRS: &[&str] = &["products", "terms", "partners", "policies", "templates"];

/// The program's root document.
pub const PROGRAM_FILE: &str = "program.yaml";

/// One file of a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The file's bytes.
    Bytes(Vec<u8>),
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
}

impl Snapshot {
    /// Reads the program files below `root` from the file system, in parallel.
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
        let canonical_root = fs::canonicalize(root).map_err(|e| SourceError::Io {
            path: root.to_path_buf(),
            source: e,
        })?;

        let mut paths = Vec::new();
        let mut refused = Vec::new();
        let program = root.join(PROGRAM_FILE);
        if let Ok(m) = fs::symlink_metadata(&program) {
            paths.push((PROGRAM_FILE.to_string(), program, m.file_type().is_symlink()));
        }
        for dir in PROGRAM_DIRS {
            let path = root.join(dir);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => {
                    refused.push((
                        dir.to_string(),
                        "a symbolic link; program folders are never followed through links".to_string(),
                    ));
                }
                Ok(m) if m.is_dir() => walk(&path, dir, &mut paths, &mut refused)?,
                _ => {}
            }
        }

        let read: Vec<(String, Entry)> = paths
            .into_par_iter()
            .map(|(rel, path, is_link)| {
                let entry = read_file(&canonical_root, &path, is_link);
                (rel, entry)
            })
            .collect();
        let mut files: BTreeMap<String, Entry> = read.into_iter().collect();
        for (rel, why) in refused {
            files.insert(rel, Entry::Refused(why));
        }
        Ok(Snapshot {
            files,
            origin: "working tree".to_string(),
        })
    }

    /// The bytes of a file, if present and readable.
    pub fn bytes(&self, path: &str) -> Option<&[u8]> {
        match self.files.get(path) {
            Some(Entry::Bytes(b)) => Some(b),
            _ => None,
        }
    }

    /// The text of a file, if present, readable and UTF-8.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.bytes(path).and_then(|b| std::str::from_utf8(b).ok())
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

fn walk(
    dir: &Path,
    rel: &str,
    out: &mut Vec<(String, PathBuf, bool)>,
    refused: &mut Vec<(String, String)>,
) -> Result<(), SourceError> {
    let entries = fs::read_dir(dir).map_err(|e| SourceError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            refused.push((
                format!("{rel}/{}", name.to_string_lossy()),
                "the file name is not UTF-8".into(),
            ));
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let child_rel = format!("{rel}/{name}");
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            walk(&entry.path(), &child_rel, out, refused)?;
        } else if ft.is_symlink() {
            // Links are checked when read: they are followed only when they stay inside the
            // repository and lead to a regular file.
            out.push((child_rel, entry.path(), true));
        } else if ft.is_file() {
            out.push((child_rel, entry.path(), false));
        }
    }
    Ok(())
}

/// Reads one file found by the walk; `is_link` is what the walk saw (no second `lstat`).
fn read_file(root: &Path, path: &Path, is_link: bool) -> Entry {
    if is_link {
        match fs::canonicalize(path) {
            Ok(target) if target.starts_with(root) => {
                if !target.is_file() {
                    return Entry::Refused("a symbolic link to something that is not a file".into());
                }
            }
            Ok(_) => {
                return Entry::Refused("a symbolic link that leads outside the repository; it is not followed".into());
            }
            Err(_) => return Entry::Refused("a broken symbolic link".into()),
        }
    }
    match read_bounded(path) {
        Ok(bytes) => Entry::Bytes(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => Entry::Refused(e.to_string()),
        Err(e) => Entry::Refused(format!("cannot be read: {e}")),
    }
}

/// Reads a regular file of at most `MAX_FILE_BYTES`: a larger one is refused without being
/// read, and one that grows past the limit while being read is refused too. The buffer is
/// sized from the file's length, so it is allocated once.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let too_large = || {
        std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "{} bytes, over the limit of {MAX_FILE_BYTES} bytes; it is not read",
                meta.len()
            ),
        )
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    // One byte more than the length, so that reaching the end needs no second allocation.
    let mut buf = Vec::with_capacity(meta.len() as usize + 1);
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(
            "the file grew past the size limit while being read; it is not read",
        ));
    }
    Ok(buf)
}
