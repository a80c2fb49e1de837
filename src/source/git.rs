//! Reading a program from a git revision (plan, apply): trees and blobs read directly with
//! git2, no checkout and no `git` process.
//!
//! The rules are those of [`Snapshot::from_dir`]: the same folders, hidden names skipped, files
//! over [`MAX_FILE_BYTES`] kept as [`Entry::Refused`] without reading their blob. A symbolic
//! link in a revision is a blob holding the link target; it is refused rather than followed,
//! since a revision has no file system to resolve it against. The program may live in a
//! sub-folder of the repository (`-C repo/program`): its path below the work tree is the
//! prefix read from every revision.
//!
//! This module also reads and moves the ref `refs/partnerctl/applied` (SPEC §4); what it
//! means is decided in `state.rs`.

use super::blob::Blob;
use super::{Entry, MAX_FILE_BYTES, PROGRAM_DIRS, PROGRAM_FILE, Snapshot, SourceError, paths};
use git2::{ObjectType, Oid, Repository, Tree};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The blob ids of a snapshot's files (by path), with their bytes: [`ProgramRepo::snapshot_beside`].
/// Keyed with foldhash, randomly seeded (SipHash was a fifth of this serial step of `plan`
/// at 100,000 partners; a repository's author cannot aim at a seed chosen per run).
#[derive(Default)]
struct Known<'a>(HashMap<&'a str, (Oid, &'a Blob), foldhash::fast::RandomState>);

impl Known<'_> {
    /// The file at `path` when the tree entry is a regular file holding the same blob.
    fn get(&self, path: &str, entry: &git2::TreeEntry<'_>) -> Option<Entry> {
        let (id, blob) = self.0.get(path)?;
        let regular = entry.kind() == Some(ObjectType::Blob) && !matches!(entry.filemode(), MODE_LINK | MODE_COMMIT);
        (regular && *id == entry.id()).then(|| Entry::Bytes((*blob).clone()))
    }
}

/// The ref that records the commit last applied.
pub const APPLIED_REF: &str = "refs/partnerctl/applied";

/// The notes ref holding what each apply wrote (output digests), attached to the applied commit.
pub const STATE_NOTES_REF: &str = "refs/notes/partnerctl";

const MODE_LINK: i32 = 0o120000;
const MODE_COMMIT: i32 = 0o160000;

fn git_err(e: git2::Error) -> SourceError {
    SourceError::Git(e.message().to_string())
}

/// A git repository and where the program sits inside its work tree.
pub struct ProgramRepo {
    pub repo: Repository,
    /// The program's folder relative to the work tree, `/`-separated, empty at the root.
    pub prefix: String,
}

impl std::fmt::Debug for ProgramRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgramRepo")
            .field("path", &self.repo.path())
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl ProgramRepo {
    /// Finds the repository holding `dir` (searching parent folders).
    pub fn discover(dir: &Path) -> Result<ProgramRepo, SourceError> {
        let canonical = std::fs::canonicalize(dir).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SourceError::NotFound(dir.to_path_buf()),
            _ => SourceError::Io {
                path: dir.to_path_buf(),
                source: e,
            },
        })?;
        let repo = Repository::discover(&canonical).map_err(|e| {
            SourceError::Git(format!(
                "{}: not inside a git repository ({})",
                dir.display(),
                e.message()
            ))
        })?;
        let prefix = match repo.workdir().and_then(|w| std::fs::canonicalize(w).ok()) {
            Some(workdir) => relative_prefix(&workdir, &canonical),
            None => String::new(),
        };
        Ok(ProgramRepo { repo, prefix })
    }

    /// Whether this is a shallow clone (`git clone --depth N`, GitHub's default checkout): its
    /// oldest commits look parentless, and older revisions are not there.
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// What to say after "not found" in a shallow clone.
    fn shallow_hint(&self) -> &'static str {
        if self.is_shallow() {
            "; this is a shallow clone, which lacks older commits: fetch the history with `git fetch --unshallow` (in GitHub Actions, `actions/checkout` with `fetch-depth: 0`)"
        } else {
            ""
        }
    }

    /// The commit a revision (`HEAD`, `main`, `abc123`, `origin/main~2`) names.
    pub fn resolve(&self, rev: &str) -> Result<Oid, SourceError> {
        let obj = self.repo.revparse_single(rev).map_err(|e| {
            let fetch = match rev.split_once('/') {
                Some((remote, branch)) if self.repo.find_remote(remote).is_ok() && !branch.is_empty() => {
                    format!("; if the branch exists on {remote}, fetch it: `git fetch {remote} {branch}`")
                }
                _ => String::new(),
            };
            SourceError::Git(format!(
                "`{rev}` does not name a revision: {}{}{fetch}",
                e.message(),
                self.shallow_hint()
            ))
        })?;
        let commit = obj
            .peel_to_commit()
            .map_err(|e| SourceError::Git(format!("`{rev}` does not name a commit: {}", e.message())))?;
        Ok(commit.id())
    }

    /// The merge base of a revision and a commit (`plan --merge-base REF`): where the branch
    /// being planned left `REF`, so that changes made on `REF` since are not shown as reverts.
    pub fn merge_base(&self, rev: &str, with: Oid) -> Result<Oid, SourceError> {
        let other = self.resolve(rev)?;
        self.repo.merge_base(other, with).map_err(|e| {
            if self.is_shallow() {
                SourceError::Git(format!(
                    "`{rev}` ({}) and {} have no common ancestor in this shallow clone: fetch the history with `git fetch --unshallow` (in GitHub Actions, `actions/checkout` with `fetch-depth: 0`), or at least enough of it: `git fetch --deepen=100`",
                    short(other),
                    short(with)
                ))
            } else {
                SourceError::Git(format!(
                    "`{rev}` ({}) and {} have no common ancestor: {}",
                    short(other),
                    short(with),
                    e.message()
                ))
            }
        })
    }

    /// Whether the history behind `commit` may hold more than this one commit. A shallow
    /// clone cannot tell (its oldest commit looks parentless), so it counts as yes.
    pub fn has_history(&self, commit: Oid) -> bool {
        self.is_shallow()
            || self
                .repo
                .find_commit(commit)
                .map(|c| c.parent_count() > 0)
                .unwrap_or(true)
    }

    /// The program as it is in a commit.
    pub fn snapshot(&self, commit: Oid) -> Result<Snapshot, SourceError> {
        self.read_commit(commit, true, PROGRAM_DIRS, &Known::default())
    }

    /// [`snapshot`](Self::snapshot), where a file whose blob id is that of the bytes `known`
    /// holds at the same path is `known`'s (shared) instead of read again: a plan of one
    /// changed partner among 100,000 reads one blob, not 100,000. The blob ids of `known`'s
    /// files are computed in parallel; a file `known` refused, or whose bytes differ (a line
    /// ending filter among them), is read from the revision as before. A pull request cannot
    /// pass its file off as the base's by a SHA-1 collision: libgit2 hashes with SHA-1
    /// collision detection (SHA1DC, in the vendored build), so bytes crafted to collide fail
    /// to hash and that file too is read from the revision and compared byte by byte.
    pub fn snapshot_beside(&self, commit: Oid, known: &Snapshot) -> Result<Snapshot, SourceError> {
        let ids = known
            .files
            .par_iter()
            .filter_map(|(path, entry)| match entry {
                Entry::Bytes(b) => Oid::hash_object(ObjectType::Blob, &b.bytes())
                    .ok()
                    .map(|id| (path.as_str(), (id, b))),
                Entry::Refused(_) => None,
            })
            .collect();
        self.read_commit(commit, true, PROGRAM_DIRS, &Known(ids))
    }

    /// Only some program folders of a commit (`terms`, say), for a check that compares
    /// those alone: at 100,000 partners, the partners are not read.
    pub fn snapshot_folders(&self, commit: Oid, folders: &[&str]) -> Result<Snapshot, SourceError> {
        let known: Vec<&str> = PROGRAM_DIRS.iter().copied().filter(|d| folders.contains(d)).collect();
        self.read_commit(commit, false, &known, &Known::default())
    }

    fn read_commit(
        &self,
        commit: Oid,
        program_file: bool,
        dirs: &[&str],
        known: &Known<'_>,
    ) -> Result<Snapshot, SourceError> {
        let commit = self.repo.find_commit(commit).map_err(|e| {
            SourceError::Git(format!(
                "commit {} is not in this repository: {}{}",
                short(commit),
                e.message(),
                self.shallow_hint()
            ))
        })?;
        let root = commit.tree().map_err(git_err)?;
        let mut snapshot = Snapshot {
            origin: format!("commit {}", short(commit.id())),
            ..Snapshot::default()
        };
        let tree = if self.prefix.is_empty() {
            Some(root)
        } else {
            match root.get_path(Path::new(&self.prefix)) {
                Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
                    Some(self.repo.find_tree(entry.id()).map_err(git_err)?)
                }
                _ => None,
            }
        };
        let Some(tree) = tree else { return Ok(snapshot) };
        if let Some(entry) = tree.get_name(PROGRAM_FILE).filter(|_| program_file) {
            let e = match entry.kind() {
                Some(ObjectType::Tree) => Some(Entry::Refused("a folder, not a file".into())),
                _ => known
                    .get(PROGRAM_FILE, &entry)
                    .or_else(|| self.read_entry(entry.id(), entry.filemode(), entry.kind())),
            };
            if let Some(e) = e {
                snapshot.insert(PROGRAM_FILE, e);
            }
        }
        // Counted over all program folders, as the working-tree walk counts them.
        let mut entries = 0usize;
        for dir in dirs {
            let Some(entry) = tree.get_name(dir) else { continue };
            match (entry.kind(), entry.filemode()) {
                (_, MODE_LINK) => snapshot.insert(
                    dir.to_string(),
                    Entry::Refused(paths::Kind::Link.refusal().unwrap_or_default().into()),
                ),
                (Some(ObjectType::Tree), _) => {
                    let sub = self.repo.find_tree(entry.id()).map_err(git_err)?;
                    self.walk(sub, dir, &mut snapshot, &mut entries, known)?;
                }
                _ => {}
            }
        }
        self.walk_outside(&tree, &mut snapshot)?;
        Ok(snapshot)
    }

    /// The YAML files of a revision outside the program's folders that carry the
    /// `partnerctl/v1` marker (`source/outside.rs`), as the working-tree search finds them:
    /// links, submodules, hidden names and `.git` skipped, depth and size bounded.
    fn walk_outside(&self, tree: &Tree<'_>, out: &mut Snapshot) -> Result<(), SourceError> {
        let mut entries = 0usize;
        let mut stack: Vec<(Tree<'_>, String, usize)> = Vec::new();
        let top: Vec<_> = tree
            .iter()
            .filter(|e| e.name().is_ok_and(|n| n != PROGRAM_FILE && !PROGRAM_DIRS.contains(&n)))
            .map(|e| e.to_owned())
            .collect();
        let mut pending = vec![(top, String::new(), 0usize)];
        loop {
            let (list, rel, depth) = match pending.pop() {
                Some(x) => x,
                None => match stack.pop() {
                    Some((t, rel, depth)) => (t.iter().map(|e| e.to_owned()).collect(), rel, depth),
                    None => break,
                },
            };
            for entry in list {
                entries += 1;
                if entries > paths::MAX_ENTRIES {
                    return Err(SourceError::TooLarge(format!(
                        "{}: the repository holds more than {} files and folders outside the program's folders; it is not searched for misplaced documents",
                        out.origin,
                        paths::MAX_ENTRIES
                    )));
                }
                let Ok(name) = entry.name() else { continue };
                if name.starts_with('.') || paths::is_git_name(name) || entry.filemode() == MODE_LINK {
                    continue;
                }
                let child = if rel.is_empty() {
                    name.to_string()
                } else {
                    format!("{rel}/{name}")
                };
                match entry.kind() {
                    Some(ObjectType::Tree) if depth + 1 < paths::MAX_DEPTH => {
                        let sub = self.repo.find_tree(entry.id()).map_err(git_err)?;
                        stack.push((sub, child, depth + 1));
                    }
                    Some(ObjectType::Blob) if super::outside::is_yaml_name(name) => {
                        if let Some(Entry::Bytes(b)) = self.read_entry(entry.id(), entry.filemode(), entry.kind()) {
                            if super::outside::may_hold_document(&b.bytes()) {
                                out.outside.insert(child, b);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// The program at a revision.
    pub fn snapshot_at(&self, rev: &str) -> Result<(Oid, Snapshot), SourceError> {
        let oid = self.resolve(rev)?;
        Ok((oid, self.snapshot(oid)?))
    }

    /// Walks a program folder of a revision without recursion: a commit may nest folders
    /// as deep as it likes, so depth and size are bounded ([`paths::MAX_DEPTH`],
    /// [`paths::MAX_ENTRIES`]) instead of left to the stack.
    fn walk(
        &self,
        tree: Tree<'_>,
        rel: &str,
        out: &mut Snapshot,
        entries: &mut usize,
        known: &Known<'_>,
    ) -> Result<(), SourceError> {
        let mut stack = vec![(tree, rel.to_string(), 0usize)];
        while let Some((tree, rel, depth)) = stack.pop() {
            for entry in tree.iter() {
                *entries += 1;
                if *entries > paths::MAX_ENTRIES {
                    return Err(SourceError::TooLarge(format!(
                        "{}: the program holds more than {} files and folders; it is not read",
                        out.origin,
                        paths::MAX_ENTRIES
                    )));
                }
                let Ok(name) = entry.name() else {
                    out.insert(
                        format!("{rel}/{}", String::from_utf8_lossy(entry.name_bytes())),
                        Entry::Refused("the file name is not UTF-8".into()),
                    );
                    continue;
                };
                if name.starts_with('.') || paths::is_git_name(name) {
                    continue;
                }
                let child = format!("{rel}/{name}");
                if entry.kind() == Some(ObjectType::Tree) && entry.filemode() != MODE_LINK {
                    if depth + 1 >= paths::MAX_DEPTH {
                        out.insert(
                            child,
                            Entry::Refused(format!(
                                "folders nest deeper than {} levels; it is not read",
                                paths::MAX_DEPTH
                            )),
                        );
                        continue;
                    }
                    let sub = self.repo.find_tree(entry.id()).map_err(git_err)?;
                    stack.push((sub, child, depth + 1));
                } else if let Some(e) = known
                    .get(&child, &entry)
                    .or_else(|| self.read_entry(entry.id(), entry.filemode(), entry.kind()))
                {
                    out.insert(child, e);
                }
            }
        }
        Ok(())
    }

    fn read_entry(&self, id: Oid, mode: i32, kind: Option<ObjectType>) -> Option<Entry> {
        if mode == MODE_COMMIT {
            return None; // a submodule: not part of the program
        }
        if mode == MODE_LINK {
            return Some(Entry::Refused(paths::Kind::Link.refusal().unwrap_or_default().into()));
        }
        if kind != Some(ObjectType::Blob) {
            return None;
        }
        let size = match self.repo.odb().and_then(|odb| odb.read_header(id)) {
            Ok((size, _)) => size as u64,
            Err(e) => return Some(Entry::Refused(format!("cannot be read: {}", e.message()))),
        };
        if size > MAX_FILE_BYTES {
            return Some(Entry::Refused(format!(
                "{size} bytes, over the limit of {MAX_FILE_BYTES} bytes; it is not read"
            )));
        }
        match self.repo.find_blob(id) {
            Ok(blob) => Some(Entry::Bytes(blob.content().into())),
            Err(e) => Some(Entry::Refused(format!("cannot be read: {}", e.message()))),
        }
    }

    /// The commit `refs/partnerctl/applied` points at, if any.
    pub fn applied(&self) -> Result<Option<Oid>, SourceError> {
        match self.repo.find_reference(APPLIED_REF) {
            Ok(r) => Ok(r.target()),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(git_err(e)),
        }
    }

    /// Moves `refs/partnerctl/applied` to `commit`, but only if it still points where the caller
    /// last saw it (`expected`), so two applies can never overwrite each other's record.
    pub fn set_applied(&self, commit: Oid, expected: Option<Oid>, message: &str) -> Result<(), SourceError> {
        let result = match expected {
            Some(old) => self
                .repo
                .reference_matching(APPLIED_REF, commit, true, old, message)
                .map(|_| ()),
            None => self.repo.reference(APPLIED_REF, commit, false, message).map(|_| ()),
        };
        result.map_err(|e| {
            SourceError::Git(format!(
                "could not move {APPLIED_REF}: {} (did another apply run at the same time?)",
                e.message()
            ))
        })
    }

    /// The note this tool attached to a commit (the record of an apply), if any. A note that
    /// exists but cannot be read is an error, not "no note".
    pub fn state_note(&self, commit: Oid) -> Result<Option<String>, SourceError> {
        match self.repo.find_note(Some(STATE_NOTES_REF), commit) {
            Ok(n) => match n.message() {
                Ok(m) => Ok(Some(m.to_string())),
                Err(_) => Err(SourceError::Git(format!(
                    "the note on {} ({STATE_NOTES_REF}) is not UTF-8 text",
                    short(commit)
                ))),
            },
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(git_err(e)),
        }
    }

    /// Attaches (or replaces) the record of an apply to the applied commit.
    pub fn set_state_note(&self, commit: Oid, text: &str) -> Result<(), SourceError> {
        let sig = self
            .repo
            .signature()
            .or_else(|_| git2::Signature::now("partnerctl", "partnerctl@localhost"))
            .map_err(git_err)?;
        self.repo
            .note(&sig, &sig, Some(STATE_NOTES_REF), commit, text, true)
            .map_err(git_err)?;
        Ok(())
    }

    /// Whether `refs/notes/partnerctl` exists (a state record was ever written here).
    pub fn has_state_notes(&self) -> bool {
        self.repo.find_reference(STATE_NOTES_REF).is_ok()
    }

    /// Records an apply: the note holding the record is written on `commit`, then
    /// `refs/partnerctl/applied` moves to `commit`. The applied ref is locked first and checked
    /// against what the caller read (`expected`); the notes ref moves with a compare-and-swap
    /// while that lock is held. The order is what makes a killed apply harmless: git writes one
    /// ref at a time (a ref transaction too, in an order of its own), and a process killed
    /// between the two writes leaves a record that nothing points at yet (the next apply adds
    /// to it), never the applied ref without its record, which would leave the state unreadable.
    /// `git push --atomic` then carries both to the remote together. Neither ref is ever moved
    /// backwards or sideways: the notes ref gains a commit whose parent is its old tip, so a
    /// push of it is a fast-forward.
    pub fn record_state(
        &self,
        commit: Oid,
        text: &str,
        expected: Option<Oid>,
        message: &str,
    ) -> Result<(), SourceError> {
        self.record_state_then(commit, text, expected, message, || Ok(()))
    }

    /// [`record_state`](Self::record_state), calling `between` after the record is written and
    /// before the applied ref moves: where a test stops the process's work, as a kill would.
    fn record_state_then(
        &self,
        commit: Oid,
        text: &str,
        expected: Option<Oid>,
        message: &str,
        between: impl FnOnce() -> Result<(), SourceError>,
    ) -> Result<(), SourceError> {
        let sig = self
            .repo
            .signature()
            .or_else(|_| git2::Signature::now("partnerctl", "partnerctl@localhost"))
            .map_err(git_err)?;
        let busy = |which: &str, e: git2::Error| {
            SourceError::Git(format!(
                "could not move {which}: {} (is another apply running?)",
                e.message()
            ))
        };
        let mut tx = self.repo.transaction().map_err(git_err)?;
        tx.lock_ref(APPLIED_REF).map_err(|e| busy(APPLIED_REF, e))?;
        let now = self.applied()?;
        if now != expected {
            return Err(SourceError::Git(format!(
                "{APPLIED_REF} moved while applying (from {} to {}); another apply ran at the same time: run plan again",
                expected.map(short).unwrap_or_else(|| "nothing".into()),
                now.map(short).unwrap_or_else(|| "nothing".into())
            )));
        }
        let old_notes = match self.repo.find_reference(STATE_NOTES_REF) {
            Ok(r) => r.target(),
            Err(e) if e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(git_err(e)),
        };
        let notes = self.notes_commit(old_notes, commit, text, &sig)?;
        match old_notes {
            Some(old) => self.repo.reference_matching(STATE_NOTES_REF, notes, true, old, message),
            None => self.repo.reference(STATE_NOTES_REF, notes, false, message),
        }
        .map_err(|e| busy(STATE_NOTES_REF, e))?;
        between()?;
        tx.set_target(APPLIED_REF, commit, Some(&sig), message)
            .map_err(git_err)?;
        tx.commit().map_err(|e| busy(APPLIED_REF, e))
    }

    /// A new commit of the notes ref whose tree is the old one with `text` as the note on
    /// `target` (as `git notes add -f` writes it), without moving any ref.
    fn notes_commit(
        &self,
        parent: Option<Oid>,
        target: Oid,
        text: &str,
        sig: &git2::Signature<'_>,
    ) -> Result<Oid, SourceError> {
        let hex = target.to_string();
        let blob = self.repo.blob(text.as_bytes()).map_err(git_err)?;
        let parent = parent.map(|p| self.repo.find_commit(p)).transpose().map_err(git_err)?;
        let old_tree = parent.as_ref().map(|c| c.tree()).transpose().map_err(git_err)?;
        let mut root = self.repo.treebuilder(old_tree.as_ref()).map_err(git_err)?;
        // git spreads many notes over `ab/cdef…` folders; an older note for this commit there
        // is removed, so that exactly one note is read for it.
        if let Some(fan) = old_tree.as_ref().and_then(|t| t.get_name(&hex[..2])) {
            if fan.kind() == Some(ObjectType::Tree) {
                let sub = self.repo.find_tree(fan.id()).map_err(git_err)?;
                if sub.get_name(&hex[2..]).is_some() {
                    let mut b = self.repo.treebuilder(Some(&sub)).map_err(git_err)?;
                    b.remove(&hex[2..]).map_err(git_err)?;
                    if b.is_empty() {
                        root.remove(&hex[..2]).map_err(git_err)?;
                    } else {
                        let id = b.write().map_err(git_err)?;
                        root.insert(&hex[..2], id, 0o040000).map_err(git_err)?;
                    }
                }
            }
        }
        root.insert(&hex, blob, 0o100644).map_err(git_err)?;
        let tree = self.repo.find_tree(root.write().map_err(git_err)?).map_err(git_err)?;
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        self.repo
            .commit(None, sig, sig, "Notes added by 'partnerctl apply'\n", &tree, &parents)
            .map_err(git_err)
    }

    /// `HEAD`'s commit, if the repository has one.
    pub fn head(&self) -> Option<Oid> {
        self.repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .map(|c| c.id())
    }

    /// The UTC day a commit was made (its committer date), if the commit can be read.
    pub fn commit_date(&self, commit: Oid) -> Option<crate::spec::Date> {
        let c = self.repo.find_commit(commit).ok()?;
        let at = chrono::DateTime::from_timestamp(c.committer().when().seconds(), 0)?;
        Some(crate::spec::Date(at.date_naive()))
    }

    /// The folder holding the repository's metadata (`.git`).
    pub fn git_dir(&self) -> PathBuf {
        self.repo.path().to_path_buf()
    }
}

impl Snapshot {
    /// The program at a git revision of the repository holding `dir` (read from the object
    /// database; the work tree is not touched).
    pub fn from_git(dir: &Path, rev: &str) -> Result<Snapshot, SourceError> {
        let repo = ProgramRepo::discover(dir)?;
        Ok(repo.snapshot_at(rev)?.1)
    }
}

/// A commit id as people see it (12 hex digits).
pub fn short(oid: Oid) -> String {
    oid.to_string()[..12].to_string()
}

fn relative_prefix(workdir: &Path, dir: &Path) -> String {
    match dir.strip_prefix(workdir) {
        Ok(rel) => rel
            .components()
            .filter_map(|c| c.as_os_str().to_str())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit_all(repo: &Repository, message: &str) -> Oid {
        let mut index = repo.index().unwrap();
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents).unwrap()
    }

    #[test]
    fn a_revision_reads_like_the_working_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("partners/emea")).unwrap();
        std::fs::write(root.join("program.yaml"), "a: 1\n").unwrap();
        std::fs::write(root.join("partners/emea/x.yaml"), "b: 2\n").unwrap();
        std::fs::write(root.join("partners/.hidden.yaml"), "c: 3\n").unwrap();
        std::fs::write(root.join("README.md"), "not read\n").unwrap();
        let repo = Repository::init(root).unwrap();
        let first = commit_all(&repo, "one");
        std::fs::write(root.join("partners/emea/x.yaml"), "b: 3\n").unwrap();

        let pr = ProgramRepo::discover(root).unwrap();
        let at_commit = pr.snapshot(first).unwrap();
        assert_eq!(at_commit.text("partners/emea/x.yaml").as_deref(), Some("b: 2\n"));
        assert!(!at_commit.contains("partners/.hidden.yaml"));
        assert!(!at_commit.contains("README.md"));
        let tree = Snapshot::from_dir(root).unwrap();
        assert_eq!(tree.text("partners/emea/x.yaml").as_deref(), Some("b: 3\n"));
        assert_eq!(
            tree.files.keys().collect::<Vec<_>>(),
            at_commit.files.keys().collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_revision_read_beside_another_snapshot_reads_as_it_does_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("partners")).unwrap();
        std::fs::create_dir_all(root.join("terms")).unwrap();
        std::fs::write(root.join("program.yaml"), "a: 1\n").unwrap();
        std::fs::write(root.join("partners/same.yaml"), "b: 2\n").unwrap();
        std::fs::write(root.join("partners/changed.yaml"), "c: 3\n").unwrap();
        std::fs::write(root.join("partners/gone.yaml"), "d: 4\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", root.join("terms/x.md")).unwrap();
        let repo = Repository::init(root).unwrap();
        let one = commit_all(&repo, "one");
        let pr = ProgramRepo::discover(root).unwrap();
        let mut known = Snapshot::from_dir(root).unwrap();
        known.insert("partners/changed.yaml", Entry::Bytes("c: 30\n".into()));
        known.files.remove("partners/gone.yaml");
        known.insert("partners/new.yaml", Entry::Bytes("e: 5\n".into()));
        // The bytes a link's blob holds (its target), as a file: the link is still refused.
        known.insert("terms/x.md", Entry::Bytes("/etc/passwd".into()));
        let beside = pr.snapshot_beside(one, &known).unwrap();
        assert_eq!(beside, pr.snapshot(one).unwrap());
        assert_eq!(beside.text("partners/changed.yaml").as_deref(), Some("c: 3\n"));
        #[cfg(unix)]
        assert!(matches!(beside.files.get("terms/x.md"), Some(Entry::Refused(_))));
    }

    #[test]
    fn links_are_refused_and_the_applied_ref_moves_only_from_where_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("terms")).unwrap();
        std::fs::write(root.join("program.yaml"), "a: 1\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", root.join("terms/x.md")).unwrap();
        let repo = Repository::init(root).unwrap();
        let one = commit_all(&repo, "one");
        let pr = ProgramRepo::discover(root).unwrap();
        #[cfg(unix)]
        assert!(matches!(
            pr.snapshot(one).unwrap().files.get("terms/x.md"),
            Some(Entry::Refused(_))
        ));

        assert_eq!(pr.applied().unwrap(), None);
        pr.set_applied(one, None, "apply").unwrap();
        assert_eq!(pr.applied().unwrap(), Some(one));
        std::fs::write(root.join("program.yaml"), "a: 2\n").unwrap();
        let two = commit_all(&repo, "two");
        assert!(
            pr.set_applied(two, None, "apply").is_err(),
            "creating must not overwrite"
        );
        assert!(
            pr.set_applied(two, Some(two), "apply").is_err(),
            "a stale expectation must fail"
        );
        pr.set_applied(two, Some(one), "apply").unwrap();
        assert_eq!(pr.applied().unwrap(), Some(two));
        pr.set_state_note(two, "{}").unwrap();
        assert_eq!(pr.state_note(two).unwrap().as_deref(), Some("{}"));
    }

    #[test]
    fn an_apply_stopped_between_its_two_writes_leaves_the_applied_ref_with_its_record() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("program.yaml"), "a: 1\n").unwrap();
        let repo = Repository::init(root).unwrap();
        let one = commit_all(&repo, "one");
        let pr = ProgramRepo::discover(root).unwrap();
        pr.record_state(one, "record one", None, "apply").unwrap();
        std::fs::write(root.join("program.yaml"), "a: 2\n").unwrap();
        let two = commit_all(&repo, "two");

        // Stopped at the one moment between the two writes, as a kill would stop it.
        let killed = || Err(SourceError::Git("killed".into()));
        assert!(
            pr.record_state_then(two, "record two", Some(one), "apply", killed)
                .is_err()
        );
        let applied = pr.applied().unwrap().expect("the ref is still there");
        assert_eq!(applied, one, "the ref has not moved");
        assert_eq!(pr.state_note(applied).unwrap().as_deref(), Some("record one"));
        // The next apply goes on from the ref, adding to the records the stopped one left.
        pr.record_state(two, "record two, again", Some(one), "apply").unwrap();
        assert_eq!(pr.applied().unwrap(), Some(two));
        assert_eq!(pr.state_note(two).unwrap().as_deref(), Some("record two, again"));
        assert_eq!(pr.state_note(one).unwrap().as_deref(), Some("record one"));
        // A stale expectation moves neither ref.
        let notes = repo.refname_to_id(STATE_NOTES_REF).unwrap();
        assert!(pr.record_state(one, "late", Some(one), "apply").is_err());
        assert_eq!(pr.applied().unwrap(), Some(two));
        assert_eq!(repo.refname_to_id(STATE_NOTES_REF).unwrap(), notes);
    }

    #[cfg(unix)]
    #[test]
    fn links_and_deep_folders_are_refused_alike_in_the_tree_and_a_revision() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("templates")).unwrap();
        std::fs::write(root.join("program.yaml"), "a: 1\n").unwrap();
        std::os::unix::fs::symlink("../.git/config", root.join("templates/notes.txt.j2")).unwrap();
        std::os::unix::fs::symlink("templates", root.join("partners")).unwrap();
        let deep: PathBuf = std::iter::repeat_n("d", paths::MAX_DEPTH + 3).collect();
        std::fs::create_dir_all(root.join("products").join(&deep)).unwrap();
        std::fs::write(root.join("products").join(&deep).join("x.yaml"), "b: 1\n").unwrap();
        let repo = Repository::init(root).unwrap();
        let one = commit_all(&repo, "one");
        let at_commit = ProgramRepo::discover(root).unwrap().snapshot(one).unwrap();
        let tree = Snapshot::from_dir(root).unwrap();
        assert_eq!(tree.files, at_commit.files);
        for path in ["templates/notes.txt.j2", "partners"] {
            assert!(matches!(tree.files.get(path), Some(Entry::Refused(_))), "{path}");
        }
        let refused_deep = tree
            .files
            .iter()
            .filter(|(p, e)| p.starts_with("products/") && matches!(e, Entry::Refused(_)))
            .count();
        assert_eq!(refused_deep, 1);
        assert!(!tree.files.keys().any(|p| p.ends_with("x.yaml")));
    }

    #[test]
    fn a_program_in_a_subfolder_is_read_from_that_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("program/products")).unwrap();
        std::fs::write(root.join("program/program.yaml"), "a: 1\n").unwrap();
        std::fs::write(root.join("program/products/p.yaml"), "b: 1\n").unwrap();
        let repo = Repository::init(root).unwrap();
        commit_all(&repo, "one");
        let pr = ProgramRepo::discover(&root.join("program")).unwrap();
        assert_eq!(pr.prefix, "program");
        let (_, snap) = pr.snapshot_at("HEAD").unwrap();
        assert_eq!(snap.text("products/p.yaml").as_deref(), Some("b: 1\n"));
        assert!(pr.resolve("no-such-branch").is_err());
    }
}
