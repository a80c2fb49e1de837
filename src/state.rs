//! Applied state: what `apply` recorded, read back for `plan` (SPEC §4).
//!
//! Two stores hold the same [`Record`]:
//! - git (the default): the ref `refs/partnerctl/applied` points at the commit applied, and a
//!   note under `refs/notes/partnerctl` on that commit holds the record (a digest of every
//!   output written), so drift can be found without re-rendering;
//! - a state file (`--state-file PATH`): one JSON document holding the record and the applied
//!   program's files themselves, for folders that are not git repositories.
//!
//! A [`Lock`] file (`lock.rs`) keeps two applies from interleaving; the git ref is also
//! moved with a compare-and-swap, so a lost race fails instead of overwriting.

pub use crate::lock::{Lock, LockError};
use crate::source::git::{ProgramRepo, STATE_NOTES_REF, short};
use crate::source::{Entry, Snapshot, SourceError};
use crate::spec::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the applied state could not be read or recorded.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error(
        "{what} cannot be read: {message}; fetch the state again from the remote (`git fetch origin '+refs/notes/partnerctl:refs/notes/partnerctl'`); if it is lost for good, delete both state refs (`git update-ref -d refs/partnerctl/applied; git update-ref -d refs/notes/partnerctl`) and run `partnerctl apply --initial`"
    )]
    Note { what: String, message: String },
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    /// One half of the git state is there without the other.
    #[error("the applied state is incomplete: {0}")]
    Split(String),
    /// Apply records without the applied ref: not fetched, or a first apply stopped between
    /// writing its record and moving the ref (`apply --initial` may go on from there).
    #[error("the applied state is incomplete: {0}")]
    Unreferenced(String),
    /// No applied state in a repository with history, without `--initial`.
    #[error("{0}")]
    NoState(String),
}

/// The version of the record format.
pub const RECORD_VERSION: u32 = 1;

/// What one apply wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub version: u32,
    /// The `--as-of` date the outputs were rendered for: the next plan renders the applied
    /// side as of this day, so what a date changed since shows as a date effect (SPEC §16).
    pub as_of: Option<Date>,
    /// [`snapshot_digest`] of the program applied.
    pub desired_digest: String,
    /// The commit applied, when the program came from git.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Every output file written: path → sha256 of its bytes.
    pub outputs: BTreeMap<String, String>,
    /// The applied program's files (state-file store only; git keeps them in the commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<BTreeMap<String, StoredFile>>,
}

/// A program file kept in a state file: text when it is UTF-8, hex otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StoredFile {
    Text(String),
    Hex(String),
    Refused(String),
}

/// Where applied state lives.
#[derive(Debug)]
pub enum Store {
    Git(ProgramRepo),
    File(PathBuf),
}

impl Store {
    /// `--state-file PATH` if given, else the git repository holding `dir`.
    pub fn open(dir: &Path, state_file: Option<&Path>) -> Result<Store, StateError> {
        match state_file {
            Some(p) => Ok(Store::File(p.to_path_buf())),
            None => ProgramRepo::discover(dir).map(Store::Git).map_err(|e| {
                StateError::Source(SourceError::Git(format!(
                    "{e}; the applied state is kept in git by default: run inside a git repository, or pass --state-file PATH"
                )))
            }),
        }
    }

    /// Reads the applied state (nothing applied yet is not an error).
    pub fn load(&self) -> Result<Applied, StateError> {
        self.load_beside(&Snapshot::default())
    }

    /// [`load`](Self::load), taking the files the applied commit holds alike from `known` (the
    /// desired program a plan compares with) instead of reading them again.
    pub fn load_beside(&self, known: &Snapshot) -> Result<Applied, StateError> {
        match self {
            Store::Git(repo) => {
                let Some(commit) = repo.applied()? else {
                    // Records without the ref they belong to: the ref was lost (not fetched,
                    // deleted), not "nothing applied".
                    if repo.has_state_notes() {
                        return Err(StateError::Unreferenced(format!(
                            "{STATE_NOTES_REF} holds apply records but {} is missing; fetch both: `git fetch origin 'refs/partnerctl/*:refs/partnerctl/*' 'refs/notes/partnerctl:refs/notes/partnerctl'`; if the first apply here was stopped before it finished, run `partnerctl apply --initial` again",
                            crate::source::git::APPLIED_REF
                        )));
                    }
                    return Ok(Applied::none());
                };
                let snapshot = repo.snapshot_beside(commit, known).map_err(|e| {
                    SourceError::Git(format!(
                        "{} points at {commit}, which cannot be read: {e}",
                        crate::source::git::APPLIED_REF
                    ))
                })?;
                // A note that is there but cannot be read is an error: taken for "no record",
                // it would silently switch drift off.
                let what = format!("the state note on {} ({STATE_NOTES_REF})", short(commit));
                let record = match repo.state_note(commit)? {
                    Some(text) => parse_record(&text).map_err(|message| StateError::Note {
                        what: what.clone(),
                        message,
                    })?,
                    // The ref without its record: drift could not be judged, and the state is
                    // half of what the last apply wrote.
                    None => {
                        return Err(StateError::Split(format!(
                            "{} points at {} but {STATE_NOTES_REF} has no record for it; fetch the notes: `git fetch origin 'refs/notes/partnerctl:refs/notes/partnerctl'`",
                            crate::source::git::APPLIED_REF,
                            short(commit)
                        )));
                    }
                };
                if record.commit.as_deref().is_some_and(|c| c != commit.to_string()) {
                    return Err(StateError::Note {
                        what,
                        message: format!(
                            "it records commit {}, not the commit it is attached to",
                            record.commit.as_deref().unwrap_or_default()
                        ),
                    });
                }
                // A record without its date is read as applied on the day of its commit: the
                // earliest day it can have been applied, so no date effect since is missed.
                let as_of = record.as_of.or_else(|| repo.commit_date(commit));
                Ok(Applied {
                    id: format!("git:{commit}"),
                    label: format!("{} ({})", crate::source::git::APPLIED_REF, short(commit)),
                    snapshot: Some(snapshot),
                    as_of,
                    record: Some(record),
                    commit: Some(commit.to_string()),
                })
            }
            Store::File(path) => {
                let text = match fs::read_to_string(path) {
                    Ok(t) => t,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Applied::none()),
                    Err(e) => {
                        return Err(StateError::File {
                            path: path.clone(),
                            message: e.to_string(),
                        });
                    }
                };
                let record = parse_record(&text).map_err(|message| StateError::File {
                    path: path.clone(),
                    message,
                })?;
                let mut snapshot = Snapshot {
                    origin: format!("state file {}", path.display()),
                    ..Snapshot::default()
                };
                for (p, f) in record.files.iter().flatten() {
                    let entry = match f {
                        StoredFile::Text(t) => Entry::Bytes(t.as_bytes().into()),
                        StoredFile::Hex(h) => Entry::Bytes(
                            from_hex(h)
                                .ok_or_else(|| StateError::File {
                                    path: path.clone(),
                                    message: format!("the stored file {p} is not valid hex"),
                                })?
                                .into(),
                        ),
                        StoredFile::Refused(why) => Entry::Refused(why.clone()),
                    };
                    snapshot.insert(p.clone(), entry);
                }
                Ok(Applied {
                    id: format!("file:{}", record.desired_digest),
                    label: format!("state file {}", path.display()),
                    snapshot: Some(snapshot),
                    as_of: record.as_of,
                    commit: record.commit.clone(),
                    record: Some(record),
                })
            }
        }
    }

    /// The applied program's files below `folders` alone, and what was applied (for people),
    /// or `None` when nothing was applied. For a check that compares those files only
    /// (`validate`'s `terms-immutable`): in git one ref lookup and the folders' trees, not the
    /// whole program nor the record.
    pub fn applied_folders(&self, folders: &[&str]) -> Result<Option<(String, Snapshot)>, StateError> {
        match self {
            Store::Git(repo) => {
                let Some(commit) = repo.applied()? else {
                    if repo.has_state_notes() {
                        return Err(StateError::Split(format!(
                            "{STATE_NOTES_REF} holds apply records but {} is missing",
                            crate::source::git::APPLIED_REF
                        )));
                    }
                    return Ok(None);
                };
                let snapshot = repo.snapshot_folders(commit, folders)?;
                Ok(Some((
                    format!("{} ({})", crate::source::git::APPLIED_REF, short(commit)),
                    snapshot,
                )))
            }
            Store::File(_) => {
                let applied = self.load()?;
                let Some(mut snapshot) = applied.snapshot else {
                    return Ok(None);
                };
                snapshot.files.retain(|p, _| {
                    folders
                        .iter()
                        .any(|f| p.strip_prefix(f).is_some_and(|r| r.starts_with('/')))
                });
                Ok(Some((applied.label, snapshot)))
            }
        }
    }

    /// Takes the apply lock for this store. Taken over from an apply that was killed, it also
    /// removes the locks that apply left on the state refs (git's `<ref>.lock` files), which
    /// would otherwise stop every later apply from recording.
    pub fn lock(&self) -> Result<Lock, StateError> {
        let path = match self {
            Store::Git(repo) => repo.git_dir().join("partnerctl-apply.lock"),
            Store::File(p) => {
                let mut s = p.clone().into_os_string();
                s.push(".lock");
                PathBuf::from(s)
            }
        };
        let mut lock = Lock::acquire(path)?;
        if let (Store::Git(repo), Some(_)) = (self, lock.took_over()) {
            for r in [crate::source::git::APPLIED_REF, STATE_NOTES_REF] {
                let stale = repo.git_dir().join(format!("{r}.lock"));
                if stale.is_file() && fs::remove_file(&stale).is_ok() {
                    lock.note_take_over(&format!("removed {}, which it left", stale.display()));
                }
            }
        }
        Ok(lock)
    }

    /// Records an apply. `expected` is the state's id as read under the lock; `commit` is the
    /// commit applied (git store: required).
    pub fn record(
        &self,
        expected: &Applied,
        commit: Option<&str>,
        desired: &Snapshot,
        mut record: Record,
    ) -> Result<String, StateError> {
        match self {
            Store::Git(repo) => {
                let commit = commit.ok_or_else(|| {
                    SourceError::Git("the git store records a commit; the program applied did not come from one".into())
                })?;
                let oid = git2::Oid::from_str(commit).map_err(|e| SourceError::Git(e.message().to_string()))?;
                let old = expected.commit.as_deref().and_then(|c| git2::Oid::from_str(c).ok());
                record.commit = Some(commit.to_string());
                record.files = None;
                let text = serde_json::to_string_pretty(&record).expect("a record serializes");
                repo.record_state(oid, &text, old, &format!("partnerctl apply {}", short(oid)))?;
                Ok(format!(
                    "{} → {} with its record in {STATE_NOTES_REF}",
                    crate::source::git::APPLIED_REF,
                    short(oid)
                ))
            }
            Store::File(path) => {
                // Re-read under the lock: a state file changed by hand since plan is a moved state.
                let now = self.load()?;
                if now.id != expected.id {
                    return Err(StateError::File {
                        path: path.clone(),
                        message: "the state file changed while applying; run plan again".into(),
                    });
                }
                record.commit = commit.map(str::to_string);
                record.files = Some(store_files(desired));
                let text = serde_json::to_string_pretty(&record).expect("a record serializes");
                write_atomic(path, text.as_bytes()).map_err(|e| StateError::File {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                Ok(format!("state file {}", path.display()))
            }
        }
    }
}

/// Reads a record, refusing what this version cannot trust: text that is not a record, a
/// record version it does not know, or an output path outside the output root (`../x`,
/// `.git/…`, a program file), which a later apply would otherwise remove.
fn parse_record(text: &str) -> Result<Record, String> {
    let version: Option<u64> = serde_json::from_str::<serde_json::Value>(text)
        .map_err(|e| format!("not a partnerctl state record: {e}"))?
        .get("version")
        .and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(RECORD_VERSION)) {
        return Err(match version {
            Some(v) => {
                format!("record version {v} is unknown to this partnerctl, which reads version {RECORD_VERSION}")
            }
            None => "not a partnerctl state record: it has no `version`".into(),
        });
    }
    let record: Record = serde_json::from_str(text).map_err(|e| format!("not a partnerctl state record: {e}"))?;
    for path in record.outputs.keys() {
        crate::source::paths::check_relative(path)
            .map_err(|r| format!("the recorded output `{}` {}", path.escape_debug(), r.reason))?;
    }
    Ok(record)
}

/// The applied state as read.
#[derive(Clone, Debug)]
pub struct Applied {
    /// Identity: `git:<commit>`, `file:<digest>`, or `none`. A saved plan stores it.
    pub id: String,
    /// For people: `refs/partnerctl/applied (1a2b3c4d5e6f)`.
    pub label: String,
    /// The program applied; `None` when nothing has been applied.
    pub snapshot: Option<Snapshot>,
    /// What the last apply wrote, when known.
    pub record: Option<Record>,
    /// The day the applied outputs were rendered for: the record's date, else (a record
    /// written without one) the day of the applied commit; `None` when neither is known.
    pub as_of: Option<Date>,
    /// The commit applied, if any.
    pub commit: Option<String>,
}

impl Applied {
    pub fn none() -> Applied {
        Applied {
            id: "none".into(),
            label: "nothing applied yet".into(),
            snapshot: None,
            record: None,
            as_of: None,
            commit: None,
        }
    }
}

/// An output that differs on disk from what was last applied (SPEC §10). An output that is
/// absent is not drift: a fresh checkout has none, and `apply` writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub path: String,
    /// `changed` (its content differs) or `replaced` (something other than a regular file,
    /// or a file that cannot be read, stands in its place).
    pub reason: String,
    /// What `apply` would do to it: the file on disk against the rendering `apply` writes
    /// (filled in by the plan; secrets found in the file are redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// The bytes found on disk (`changed` only), for the plan to diff.
    #[serde(skip)]
    pub content: Option<Vec<u8>>,
}

/// An output larger than this is not read back for drift (it counts as changed).
const MAX_OUTPUT_BYTES: u64 = 256 * 1024 * 1024;

/// Compares every output recorded with the file now under `root`. Each file is read through
/// the path door ([`crate::source::paths::read_below`]): no component below `root` is
/// followed if it is a link, so an output folder replaced by `dist/meta -> ../.git` is
/// `replaced`, and nothing of `.git/config` (or of any file outside the repository) reaches
/// the plan or its comment.
pub fn drift(root: &Path, record: &Record) -> Vec<Drift> {
    use crate::source::paths::{Below, read_below};
    let mut out = Vec::new();
    for (path, want) in &record.outputs {
        let (reason, content) = match read_below(root, path, MAX_OUTPUT_BYTES) {
            // Absent (a fresh checkout, a cleaned dist/) is not drift: apply writes it.
            Below::Absent => continue,
            Below::File(bytes) if digest(&bytes) == *want => continue,
            Below::File(bytes) => ("changed", Some(bytes)),
            Below::Refused(_) => ("replaced", None),
        };
        out.push(Drift {
            path: path.clone(),
            reason: reason.into(),
            diff: None,
            content,
        });
    }
    out
}

/// sha256 of some bytes, as hex.
pub fn digest(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A digest of a whole program snapshot: every path and its contents, in path order.
pub fn snapshot_digest(snapshot: &Snapshot) -> String {
    let mut h = Sha256::new();
    for (path, entry) in &snapshot.files {
        h.update((path.len() as u64).to_le_bytes());
        h.update(path.as_bytes());
        match entry {
            Entry::Bytes(b) => {
                h.update([0u8]);
                h.update((b.len() as u64).to_le_bytes());
                h.update(b.bytes());
            }
            Entry::Refused(why) => {
                h.update([1u8]);
                h.update((why.len() as u64).to_le_bytes());
                h.update(why.as_bytes());
            }
        }
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn store_files(snapshot: &Snapshot) -> BTreeMap<String, StoredFile> {
    snapshot
        .files
        .iter()
        .map(|(p, e)| {
            let f = match e {
                Entry::Bytes(b) => {
                    let b = b.bytes();
                    match std::str::from_utf8(&b) {
                        Ok(t) => StoredFile::Text(t.to_string()),
                        Err(_) => StoredFile::Hex(hex(&b)),
                    }
                }
                Entry::Refused(why) => StoredFile::Refused(why.clone()),
            };
            (p.clone(), f)
        })
        .collect()
}

/// Writes a file by writing a temporary file next to it and renaming it into place, so a
/// reader never sees half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent)?;
    let mut tmp = tempfile::NamedTempFile::new_in(parent)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_file_round_trips_the_program_and_finds_drift() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let store = Store::File(state.clone());
        let before = store.load().unwrap();
        assert_eq!(before.id, "none");
        let mut snap = Snapshot::default();
        snap.insert("program.yaml", Entry::Bytes(b"a: 1\n".as_slice().into()));
        snap.insert("templates/x.bin", Entry::Bytes(vec![0xff, 0x00].into()));
        std::fs::write(dir.path().join("out.txt"), "hello").unwrap();
        let record = Record {
            version: RECORD_VERSION,
            desired_digest: snapshot_digest(&snap),
            outputs: [
                ("out.txt".to_string(), digest(b"hello")),
                ("gone.txt".to_string(), digest(b"x")),
            ]
            .into(),
            ..Record::default()
        };
        store.record(&before, None, &snap, record).unwrap();
        let after = store.load().unwrap();
        assert_eq!(after.snapshot.as_ref().unwrap().files, snap.files);
        assert_eq!(after.id, format!("file:{}", snapshot_digest(&snap)));
        // gone.txt is absent: not drift (apply writes it).
        assert_eq!(drift(dir.path(), after.record.as_ref().unwrap()), vec![]);
        std::fs::write(dir.path().join("out.txt"), "edited").unwrap();
        std::fs::create_dir(dir.path().join("gone.txt")).unwrap();
        let d = drift(dir.path(), after.record.as_ref().unwrap());
        let got: Vec<(&str, &str)> = d.iter().map(|d| (d.path.as_str(), d.reason.as_str())).collect();
        assert_eq!(got, [("gone.txt", "replaced"), ("out.txt", "changed")]);
        assert_eq!(d[1].content.as_deref(), Some(&b"edited"[..]));
    }
}
