//! Publishing program files whole, relative to folders opened without following a link: the
//! system calls beneath [`super::write_all_in_program`], which judges the paths.
//!
//! A folder is opened one component at a time with `O_NOFOLLOW | O_DIRECTORY` from the one
//! before it, and every file is created relative to the folder's descriptor: once a folder is
//! open, swapping it (or one above it) for a link cannot redirect a write. A file that does
//! not exist yet is created unnamed (`O_TMPFILE`), written, then given its name with `linkat`,
//! so it appears whole or not at all; an import of 100,000 partners then costs one
//! directory update per file instead of two (create, rename), and no `stat`. Where the file
//! already exists (`linkat` says `EEXIST`), or where the file system or the system has no
//! unnamed files (`EOPNOTSUPP`, `EISDIR`, `EINVAL`, no `/proc`, not Linux), the file is
//! written to a temporary beside it and renamed over it, after `lstat` said it is a regular
//! file and not a link. Files are mode 0644 (less the umask), like any repository file.
//!
//! This module knows nothing of the program's rules; it reports what stands in the way
//! ([`Failure`]) and its caller words the refusal.

use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a folder could not be opened or a file published.
#[derive(Debug)]
pub enum Failure {
    /// A symbolic link stands on the way or where the file goes.
    Link,
    /// Something that is not a folder (on the way) or not a regular file (at the end).
    NotFile,
    Io(std::io::Error),
}

impl From<Errno> for Failure {
    fn from(e: Errno) -> Failure {
        Failure::Io(e.into())
    }
}

fn mode(bits: u32) -> Mode {
    Mode::from_raw_mode(bits as _)
}

/// Opens a folder the caller names (the program root), following links as the caller asked.
pub fn open_root(root: &std::path::Path) -> Result<OwnedFd, Failure> {
    Ok(rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Opens the folder `name` inside `parent` without following a link; with `create`, makes it
/// (mode 0755) when it is missing. `Ok(None)`: missing, and not created.
pub fn open_folder(parent: BorrowedFd<'_>, name: &str, create: bool) -> Result<Option<OwnedFd>, Failure> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut made = false;
    loop {
        match rustix::fs::openat(parent, name, flags, Mode::empty()) {
            Ok(fd) => return Ok(Some(fd)),
            Err(Errno::NOENT) if create && !made => match rustix::fs::mkdirat(parent, name, mode(0o755)) {
                Ok(()) | Err(Errno::EXIST) => made = true,
                Err(e) => return Err(e.into()),
            },
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => return Err(Failure::Link),
            Err(Errno::NOTDIR) => return Err(kind_at(parent, name).err().unwrap_or(Failure::NotFile)),
            Err(e) => return Err(e.into()),
        }
    }
}

/// `Ok` when nothing or a regular file stands at `name` in `dir` (never following a link).
fn kind_at(dir: BorrowedFd<'_>, name: &str) -> Result<(), Failure> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => match FileType::from_raw_mode(st.st_mode as _) {
            FileType::RegularFile => Ok(()),
            FileType::Symlink => Err(Failure::Link),
            _ => Err(Failure::NotFile),
        },
        Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// How files are published: unnamed first while the system allows it.
pub struct Publisher {
    unnamed: bool,
}

impl Publisher {
    /// `unnamed: false` always takes the temporary-and-rename way (for tests of it, and where
    /// unnamed files are known to be missing).
    pub fn new(unnamed: bool) -> Publisher {
        Publisher {
            unnamed: unnamed && cfg!(target_os = "linux"),
        }
    }

    /// Writes `bytes` as the file `name` in `dir`, whole or not at all.
    pub fn publish(&mut self, dir: BorrowedFd<'_>, name: &str, bytes: &[u8]) -> Result<(), Failure> {
        if self.unnamed {
            match unnamed(dir, name, bytes) {
                Unnamed::Done => return Ok(()),
                Unnamed::Exists => {}
                // Asked once: the rest of the batch goes the other way at once.
                Unnamed::Unsupported => self.unnamed = false,
                Unnamed::Failed(e) => return Err(Failure::Io(e)),
            }
        }
        replace(dir, name, bytes)
    }
}

enum Unnamed {
    Done,
    Exists,
    Unsupported,
    Failed(std::io::Error),
}

#[cfg(target_os = "linux")]
fn unnamed(dir: BorrowedFd<'_>, name: &str, bytes: &[u8]) -> Unnamed {
    use std::os::fd::AsRawFd;
    let fd = match rustix::fs::openat(
        dir,
        ".",
        OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
        mode(0o644),
    ) {
        Ok(fd) => fd,
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => return Unnamed::Unsupported,
        Err(e) => return Unnamed::Failed(e.into()),
    };
    let mut file = std::fs::File::from(fd);
    if let Err(e) = file.write_all(bytes) {
        return Unnamed::Failed(e);
    }
    // The unnamed file is reached through its descriptor's entry in /proc; linking it with
    // AT_EMPTY_PATH instead would need CAP_DAC_READ_SEARCH.
    let proc = format!("/proc/self/fd/{}", file.as_raw_fd());
    match rustix::fs::linkat(rustix::fs::CWD, proc.as_str(), dir, name, AtFlags::SYMLINK_FOLLOW) {
        Ok(()) => Unnamed::Done,
        Err(Errno::EXIST) => Unnamed::Exists,
        Err(Errno::NOENT | Errno::OPNOTSUPP | Errno::INVAL | Errno::PERM) => Unnamed::Unsupported,
        Err(e) => Unnamed::Failed(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn unnamed(_: BorrowedFd<'_>, _: &str, _: &[u8]) -> Unnamed {
    Unnamed::Unsupported
}

/// Temporary names differ within a process by this counter, across processes by the pid.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// A temporary beside the file, renamed over it: for a file that exists (after `lstat` said
/// it is a regular file, not a link) and where unnamed files are missing.
fn replace(dir: BorrowedFd<'_>, name: &str, bytes: &[u8]) -> Result<(), Failure> {
    kind_at(dir, name)?;
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut tries = 0;
    let (tmp, fd) = loop {
        let tmp = format!(
            ".partnerctl-{}-{}.tmp",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        match rustix::fs::openat(dir, tmp.as_str(), flags, mode(0o644)) {
            Ok(fd) => break (tmp, fd),
            // Someone else's file (or link) by that name: never written through, another name.
            Err(Errno::EXIST) if tries < 100 => tries += 1,
            Err(e) => return Err(e.into()),
        }
    };
    let written = std::fs::File::from(fd)
        .write_all(bytes)
        .map_err(Failure::Io)
        .and_then(|()| Ok(rustix::fs::renameat(dir, tmp.as_str(), dir, name)?));
    if written.is_err() {
        let _ = rustix::fs::unlinkat(dir, tmp.as_str(), AtFlags::empty());
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::fd::AsFd;
    use std::os::unix::fs::{PermissionsExt, symlink};

    fn write_both(unnamed: bool) -> (tempfile::TempDir, Vec<(String, Vec<u8>, u32)>) {
        let dir = tempfile::tempdir().unwrap();
        let root = open_root(dir.path()).unwrap();
        let sub = open_folder(root.as_fd(), "partners", true).unwrap().unwrap();
        std::fs::write(dir.path().join("partners/old.yaml"), "before").unwrap();
        let mut p = Publisher::new(unnamed);
        for (name, bytes) in [("a.yaml", &b"a: 1\n"[..]), ("old.yaml", b"after\n"), ("b.yaml", b"")] {
            p.publish(sub.as_fd(), name, bytes).unwrap();
        }
        let mut files: Vec<_> = std::fs::read_dir(dir.path().join("partners"))
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let mode = e.metadata().unwrap().permissions().mode() & 0o777;
                (
                    e.file_name().into_string().unwrap(),
                    std::fs::read(e.path()).unwrap(),
                    mode,
                )
            })
            .collect();
        files.sort();
        (dir, files)
    }

    #[test]
    fn unnamed_and_renamed_files_are_the_same() {
        let (_a, unnamed) = write_both(true);
        let (_b, renamed) = write_both(false);
        assert_eq!(unnamed, renamed);
        // No temporary is left behind, the replaced file holds the new bytes.
        assert_eq!(
            unnamed.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
            ["a.yaml", "b.yaml", "old.yaml"]
        );
        assert_eq!(unnamed[2].1, b"after\n");
        // Repository files, readable by others as the umask allows, not private temporaries.
        let plain = tempfile::tempdir().unwrap();
        std::fs::write(plain.path().join("x"), "").unwrap();
        let umasked = std::fs::metadata(plain.path().join("x")).unwrap().permissions().mode() & 0o644;
        assert!(unnamed.iter().all(|f| f.2 == umasked), "{unnamed:?}");
    }

    #[test]
    fn links_are_never_written_through() {
        for unnamed in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let outside = tempfile::tempdir().unwrap();
            std::fs::write(outside.path().join("x.yaml"), "theirs").unwrap();
            symlink(outside.path(), dir.path().join("partners")).unwrap();
            let root = open_root(dir.path()).unwrap();
            assert!(matches!(
                open_folder(root.as_fd(), "partners", true),
                Err(Failure::Link)
            ));
            std::fs::remove_file(dir.path().join("partners")).unwrap();
            std::fs::create_dir(dir.path().join("partners")).unwrap();
            symlink(outside.path().join("x.yaml"), dir.path().join("partners/x.yaml")).unwrap();
            let sub = open_folder(root.as_fd(), "partners", false).unwrap().unwrap();
            let mut p = Publisher::new(unnamed);
            assert!(matches!(p.publish(sub.as_fd(), "x.yaml", b"mine"), Err(Failure::Link)));
            assert_eq!(std::fs::read(outside.path().join("x.yaml")).unwrap(), b"theirs");
            std::fs::write(dir.path().join("file"), "").unwrap();
            assert!(matches!(open_folder(root.as_fd(), "file", true), Err(Failure::NotFile)));
        }
    }
}
