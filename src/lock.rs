//! The apply lock (SPEC §10): a file that keeps two applies from interleaving, naming its
//! holder (host, process id, start time), written whole, removed when dropped.
//!
//! It sits beside `state.rs`, which takes it for a store; it knows nothing of the state.
//! A lock whose holder is on this host and no longer running (a killed apply) is taken over;
//! one held on another host, or one that cannot be read, still blocks.

use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another apply holds the lock {path} ({holder}); wait for it to finish, or remove the file if no apply is running"
    )]
    Locked { path: PathBuf, holder: String },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

/// The apply lock: a file created exclusively, naming its holder, removed when dropped.
///
/// A lock whose holder is on this host and no longer running (a killed apply) is taken over,
/// and [`Lock::took_over`] says so; a live holder, or one on another host (whose processes
/// cannot be seen from here), still blocks.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    took_over: Option<String>,
}

/// Who holds a lock, as written in the lock file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    pub host: String,
    pub pid: u32,
    /// When the lock was taken (RFC 3339, UTC).
    pub started: String,
    /// The holder process's start time in clock ticks since boot (Linux), so a recycled
    /// process id is not mistaken for the holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_start: Option<u64>,
}

impl Holder {
    fn me() -> Holder {
        let pid = std::process::id();
        Holder {
            host: hostname(),
            pid,
            started: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            process_start: process_start(pid),
        }
    }

    /// A lock file's text: this format, or the `pid N` of earlier versions (taken to be on
    /// this host, which is where those versions could be seen).
    fn parse(text: &str) -> Option<Holder> {
        if let Ok(h) = serde_json::from_str::<Holder>(text) {
            return Some(h);
        }
        let pid = text.trim().strip_prefix("pid ")?.trim().parse().ok()?;
        Some(Holder {
            host: hostname(),
            pid,
            started: String::new(),
            process_start: None,
        })
    }

    /// Whether the holder is known to be gone: on this host, and its process is not running
    /// (or a different process now has its id).
    fn is_gone(&self) -> bool {
        if self.host != hostname() {
            return false;
        }
        match process_start(self.pid) {
            None => !process_exists(self.pid),
            Some(now) => self.process_start.is_some_and(|then| then != now),
        }
    }

    fn describe(&self) -> String {
        let started = if self.started.is_empty() {
            String::new()
        } else {
            format!(", since {}", self.started)
        };
        format!("process {} on {}{started}", self.pid, self.host)
    }
}

fn hostname() -> String {
    if let Ok(h) = fs::read_to_string("/proc/sys/kernel/hostname") {
        return h.trim().to_string();
    }
    std::process::Command::new("hostname")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Field 22 of `/proc/PID/stat`, where there is a `/proc`.
fn process_start(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from the last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

fn process_exists(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        return Path::new(&format!("/proc/{pid}")).exists();
    }
    // No /proc (macOS, the BSDs): ask `kill -0`; if even that cannot run, assume alive.
    std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(true)
}

/// The temporary file this process writes its holder to before linking it into place:
/// `<lock>.<pid>.<n>.tmp`, `n` counting the attempts of this process.
fn holder_temporary(lock: &Path) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut s = lock.as_os_str().to_os_string();
    s.push(format!(".{}.{n}.tmp", std::process::id()));
    PathBuf::from(s)
}

/// Creates the lock file holding this process's holder, whole, or fails with
/// `AlreadyExists`. Where hard links cannot be made (some network and FAT file systems), the
/// file is created exclusively and then written, and a reader waits for the text.
fn create_whole(path: &Path) -> std::io::Result<()> {
    let me = serde_json::to_string(&Holder::me()).expect("a holder serializes") + "\n";
    let tmp = holder_temporary(path);
    let written = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(me.as_bytes())?;
        f.sync_all()
    })();
    let linked = written.and_then(|()| fs::hard_link(&tmp, path));
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            let mut f = fs::OpenOptions::new().write(true).create_new(true).open(path)?;
            f.write_all(me.as_bytes())?;
            f.sync_all()
        }
    }
}

/// The lock file's text and its holder. A text that does not parse is read again for a
/// moment: on a file system without hard links the holder is written after the file is
/// created.
/// The lock's text and holder; `None` when the lock was released before it could be read
/// (another apply may have taken it again since: the caller tries again rather than judge a
/// file that is no longer the one it found).
fn read_holder(path: &Path) -> Option<(String, Option<Holder>)> {
    let mut text = String::new();
    for attempt in 0..10 {
        text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(_) => String::new(),
        };
        if let Some(h) = Holder::parse(&text) {
            return Some((text, Some(h)));
        }
        if attempt < 9 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    Some((text, None))
}

/// Removes the holder temporaries (`<lock>.<pid>.<n>.tmp`) of processes that are gone: a
/// process killed between writing and linking its holder leaves one.
fn remove_dead_temporaries(lock: &Path) {
    let (Some(dir), Some(name)) = (lock.parent(), lock.file_name().and_then(|n| n.to_str())) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.filter_map(Result::ok) {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(name))
            .and_then(|f| f.strip_prefix('.'))
            .and_then(|f| f.strip_suffix(".tmp"))
            .and_then(|f| f.split('.').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !process_exists(pid) && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

impl Lock {
    /// Takes the lock at `path`. The holder is written to a temporary file of this process
    /// first and linked into place, so the lock appears whole or not at all: another apply
    /// never reads half a holder.
    pub fn acquire(path: PathBuf) -> Result<Lock, LockError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|e| LockError::File {
                path: path.clone(),
                message: e.to_string(),
            })?;
        }
        remove_dead_temporaries(&path);
        let mut took_over = None;
        // A few times at most: as found, after removing a dead holder's lock, and after a
        // lock released between the attempt and the read.
        for _ in 0..4 {
            match create_whole(&path) {
                Ok(()) => return Ok(Lock { path, took_over }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    // Released between the attempt and the read: try again.
                    let Some((text, holder)) = read_holder(&path) else {
                        continue;
                    };
                    match holder {
                        Some(h) if took_over.is_none() && h.is_gone() => {
                            // Remove only the lock judged stale, not one a racing apply just took.
                            if fs::read_to_string(&path).unwrap_or_default() == text {
                                let _ = fs::remove_file(&path);
                            }
                            took_over = Some(format!(
                                "took over the apply lock {}: its holder ({}) is no longer running",
                                path.display(),
                                h.describe()
                            ));
                        }
                        Some(h) => {
                            return Err(LockError::Locked {
                                path,
                                holder: format!("held by {}", h.describe()),
                            });
                        }
                        None => {
                            return Err(LockError::Locked {
                                path,
                                holder: "holder unknown".into(),
                            });
                        }
                    }
                }
                Err(e) => {
                    return Err(LockError::File {
                        path,
                        message: format!("cannot take the apply lock: {e}"),
                    });
                }
            }
        }
        Err(LockError::Locked {
            path,
            holder: "taken by other applies while this one tried (or took over a stale lock)".into(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The warning to show when this lock was taken over from a holder no longer running.
    pub fn took_over(&self) -> Option<&str> {
        self.took_over.as_deref()
    }

    /// Adds to the take-over warning what else was cleaned up after the dead holder.
    pub fn note_take_over(&mut self, what: &str) {
        if let Some(w) = &mut self.took_over {
            w.push_str("; ");
            w.push_str(what);
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let first = Lock::acquire(path.clone()).unwrap();
        let err = Lock::acquire(path.clone()).unwrap_err();
        assert!(err.to_string().contains("another apply holds the lock"), "{err}");
        drop(first);
        assert!(Lock::acquire(path).is_ok());
    }

    #[test]
    fn a_dead_holders_lock_is_taken_over_and_a_live_one_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        // No process has this id (above Linux's pid_max).
        fs::write(&path, "pid 4194305\n").unwrap();
        let lock = Lock::acquire(path.clone()).unwrap();
        assert!(lock.took_over().unwrap().contains("4194305"), "{:?}", lock.took_over());
        let holder = Holder::parse(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(holder.pid, std::process::id());
        assert!(!holder.is_gone());
        drop(lock);
        let other_host = Holder {
            host: "elsewhere.invalid".into(),
            ..Holder::me()
        };
        fs::write(
            &path,
            serde_json::to_string(&Holder {
                pid: 4194305,
                ..other_host
            })
            .unwrap(),
        )
        .unwrap();
        assert!(
            Lock::acquire(path.clone()).is_err(),
            "a holder on another host cannot be judged"
        );
        fs::write(&path, "garbage").unwrap();
        assert!(Lock::acquire(path).unwrap_err().to_string().contains("holder unknown"));
    }

    #[test]
    fn a_lock_is_never_seen_half_written() {
        // Many takers at once, over and over: each either holds the lock or is told who does;
        // none may find a lock file without its holder in it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let unknown = std::sync::atomic::AtomicUsize::new(0);
        let held = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..300 {
                        match Lock::acquire(path.clone()) {
                            Ok(lock) => {
                                held.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                drop(lock);
                            }
                            Err(LockError::Locked { holder, .. }) if holder == "holder unknown" => {
                                unknown.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            Err(_) => {}
                        }
                    }
                });
            }
        });
        assert_eq!(unknown.into_inner(), 0, "a lock was read before its holder was in it");
        assert!(held.into_inner() > 0);
        let left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_dead_takers_temporary_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let dead = dir.path().join("x.lock.4194305.0.tmp");
        fs::write(&dead, "half").unwrap();
        let mine = dir.path().join("x.lock.mine.tmp");
        fs::write(&mine, "not a lock temporary").unwrap();
        drop(Lock::acquire(path).unwrap());
        assert!(!dead.exists());
        assert!(mine.exists());
    }
}
