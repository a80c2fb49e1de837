//! Paths: the one door through which partnerctl reads and writes the file system (SPEC §9).
//!
//! A program repository is untrusted, so every path is judged here and nowhere else:
//! - reading ([`read_regular`], [`kind_of`]): a symbolic link, a FIFO, a socket or a device
//!   is refused without being opened for reading; a file is opened with `O_NOFOLLOW` and
//!   `O_NONBLOCK` and confirmed a regular file with `fstat`, so a swap between the check and
//!   the open cannot win;
//! - names ([`is_git_name`], [`is_valid_folder_name`]): `.git` in any letter case and in the
//!   spellings that file systems fold onto it (`.git.`, `.git `, `git~1`, HFS's ignorable
//!   characters), and the folder-name pattern of §1;
//! - writing and removing ([`check_relative`], [`OutputRoot`]): an output path stays inside
//!   its root after symbolic links are resolved, never reaches `.git` (or the repository's git
//!   folder wherever `--out-dir` points), and never lands on a program source file or folder.
//! - writing the program's own files ([`write_all_in_program`]): judged by the same lexical
//!   rules, then written relative to folders opened one component at a time with
//!   `O_NOFOLLOW`, each file whole (unnamed then linked, or a renamed temporary; `publish.rs`).
//!
//! - reading an output back ([`read_below`], [`OutputRoot::read`]) for drift, for `apply`'s
//!   "unchanged" check and before a removal: every component below the root is opened with
//!   `O_NOFOLLOW` relative to the one before it, so an output folder that a pull request
//!   replaced by a link (`dist/meta -> ../.git`) is refused, not read through; `O_NOFOLLOW`
//!   on the last component alone would follow the folder.
//!
//! Loading (`source/mod.rs`, `source/git.rs`, `source/outside.rs`), rendering and writing
//! (`output/write.rs`) and removing (`cli/apply.rs`, `state.rs`) all call these functions.

#[cfg(unix)]
mod publish;

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Folders below a program folder nest at most this deep; a deeper one is refused, so a
/// hostile tree cannot exhaust the stack or the time of a walk.
pub const MAX_DEPTH: usize = 32;

/// A walk of the program (working tree or revision) stops with an error past this many
/// entries (files and folders).
pub const MAX_ENTRIES: usize = 200_000;

/// The program's source files and folders, relative to its root; an output never lands on
/// one of them or below them (compared without regard to letter case).
pub const PROTECTED: &[&str] = &[
    "program.yaml",
    "products",
    "terms",
    "partners",
    "policies",
    "templates",
    "apis",
    ".github/workflows",
];

/// Why a path was refused, for the message that names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Refusal {
    pub reason: String,
}

fn refuse<T>(reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal { reason: reason.into() })
}

/// Whether a file system could take `name` to mean `.git`: any letter case, trailing dots and
/// spaces (Windows drops them), the 8.3 short name `git~1`, and the code points HFS+ ignores.
pub fn is_git_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| !is_hfs_ignorable(*c))
        .collect::<String>()
        .to_ascii_lowercase();
    let trimmed = folded.trim_end_matches(['.', ' ']);
    trimmed == ".git" || trimmed == "git~1"
}

/// Code points HFS+ drops when comparing names (git's `is_hfs_dotgit` list).
fn is_hfs_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}'
    )
}

/// The name pattern of §1 (`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`), for folders below
/// `products/`, `terms/` and `partners/`.
pub fn is_valid_folder_name(name: &str) -> bool {
    let b = name.as_bytes();
    let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty() && b.len() <= 63 && ok(&b[0]) && ok(&b[b.len() - 1]) && b.iter().all(|c| ok(c) || *c == b'-')
}

/// What a directory entry is, from `lstat` (never following a link).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Link,
    /// A FIFO, socket or device: never opened.
    Special,
}

impl Kind {
    pub fn of(ft: fs::FileType) -> Kind {
        if ft.is_symlink() {
            Kind::Link
        } else if ft.is_dir() {
            Kind::Dir
        } else if ft.is_file() {
            Kind::File
        } else {
            Kind::Special
        }
    }

    /// Why a program path of this kind is refused, if it is.
    pub fn refusal(self) -> Option<&'static str> {
        match self {
            Kind::Link => Some("a symbolic link; links are never followed in a program, whatever they point at"),
            Kind::Special => Some("a FIFO, socket or device, not a regular file; it is not opened"),
            Kind::File | Kind::Dir => None,
        }
    }
}

/// `lstat` of a path: `None` when it does not exist.
pub fn kind_of(path: &Path) -> std::io::Result<Option<Kind>> {
    match fs::symlink_metadata(path) {
        Ok(m) => Ok(Some(Kind::of(m.file_type()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads a regular file of at most `limit` bytes without following a link and without
/// blocking on a FIFO: opened with `O_NOFOLLOW | O_NONBLOCK`, then `fstat` must say it is a
/// regular file. A file that grows past the limit while being read is refused too.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, Refusal> {
    let file = open_no_follow(path).map_err(|e| Refusal {
        reason: if is_loop(&e) {
            Kind::Link.refusal().unwrap_or_default().to_string()
        } else {
            format!("cannot be read: {e}")
        },
    })?;
    let meta = file.metadata().map_err(|e| Refusal {
        reason: format!("cannot be read: {e}"),
    })?;
    if !meta.is_file() {
        let kind = if meta.is_dir() { Kind::Dir } else { Kind::Special };
        return refuse(kind.refusal().unwrap_or("a folder, not a file"));
    }
    if meta.len() > limit {
        return refuse(format!(
            "{} bytes, over the limit of {limit} bytes; it is not read",
            meta.len()
        ));
    }
    let cannot = |e: std::io::Error| Refusal {
        reason: format!("cannot be read: {e}"),
    };
    // The length `fstat` gave is read into a buffer one byte longer, and reaching it ends the
    // read: a regular file nobody is writing takes one `read` call, not a second one that
    // finds the end (10,000 calls fewer for 10,000 partners). A file that grew since fills
    // the extra byte and is read on to the limit.
    // A length of 0 says nothing (a file the kernel makes as it is read, such as procfs's, has
    // no length): such a file is read to its end.
    let len = meta.len() as usize;
    let mut buf = vec![0u8; len + 1];
    let mut filled = 0;
    while filled < len {
        match (&file).read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(cannot(e)),
        }
    }
    buf.truncate(filled);
    if len == 0 || filled > len {
        file.take(limit + 1 - filled as u64)
            .read_to_end(&mut buf)
            .map_err(cannot)?;
    }
    if buf.len() as u64 > limit {
        return refuse("the file grew past the size limit while being read; it is not read");
    }
    Ok(buf)
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<fs::File> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(std::io::Error::other("a symbolic link"));
    }
    fs::File::open(path)
}

#[cfg(unix)]
fn is_loop(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(not(unix))]
fn is_loop(_: &std::io::Error) -> bool {
    false
}

/// What stands at a path below a root, read without following any link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Below {
    /// Nothing there (nor, possibly, the folders leading to it).
    Absent,
    /// A regular file, with its bytes.
    File(Vec<u8>),
    /// Something that is not read: a link on the way or at the end, a folder, a FIFO, a file
    /// over the limit, or an error; and why.
    Refused(String),
}

/// Reads the regular file at `rel` (`/`-separated, checked by [`check_relative`]) below
/// `root`, opening each component relative to the folder before it with `O_NOFOLLOW`: a
/// symbolic link anywhere below `root` (a folder as much as the file) is refused, never
/// followed. `root` itself is the caller's (the repository or `--out-dir`) and is taken as
/// it is. A FIFO is not waited on; a file over `limit` bytes is not read.
pub fn read_below(root: &Path, rel: &str, limit: u64) -> Below {
    if let Err(r) = check_relative(rel) {
        return Below::Refused(r.reason);
    }
    let parts: Vec<&str> = rel.split('/').filter(|p| *p != ".").collect();
    let Some((last, folders)) = parts.split_last() else {
        return Below::Refused("is empty".into());
    };
    let file = match open_below(root, folders, last) {
        Ok(Some(f)) => f,
        Ok(None) => return Below::Absent,
        Err(why) => return Below::Refused(why),
    };
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => return Below::Refused(format!("cannot be read: {e}")),
    };
    if !meta.is_file() {
        let kind = if meta.is_dir() { Kind::Dir } else { Kind::Special };
        return Below::Refused(kind.refusal().unwrap_or("a folder, not a file").into());
    }
    if meta.len() > limit {
        return Below::Refused(format!("{} bytes, over the limit of {limit} bytes", meta.len()));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize + 1);
    match file.take(limit + 1).read_to_end(&mut buf) {
        Ok(_) if buf.len() as u64 <= limit => Below::File(buf),
        Ok(_) => Below::Refused("the file grew past the size limit while being read".into()),
        Err(e) => Below::Refused(format!("cannot be read: {e}")),
    }
}

/// Opens `folders/last` below `root` one component at a time, following no link: `Ok(None)`
/// when a component does not exist.
#[cfg(unix)]
fn open_below(root: &Path, folders: &[&str], last: &str) -> Result<Option<fs::File>, String> {
    use rustix::fs::{Mode, OFlags, openat};
    use rustix::io::Errno;
    let link = |at: &str| format!("`{at}` is a symbolic link or not a folder; outputs are never read through one");
    let mut dir = match rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(d) => d,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(format!("cannot be read: {e}")),
    };
    let mut walked = String::new();
    for f in folders {
        if !walked.is_empty() {
            walked.push('/');
        }
        walked.push_str(f);
        dir = match openat(
            &dir,
            *f,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(d) => d,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP | Errno::NOTDIR) => return Err(link(&walked)),
            Err(e) => return Err(format!("`{walked}` cannot be read: {e}")),
        };
    }
    match openat(
        &dir,
        last,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => Ok(Some(fs::File::from(fd))),
        Err(Errno::NOENT) => Ok(None),
        Err(Errno::LOOP) => Err(Kind::Link.refusal().unwrap_or_default().into()),
        Err(e) => Err(format!("cannot be read: {e}")),
    }
}

/// Without `openat`: every component is checked with `lstat` before the file is opened.
#[cfg(not(unix))]
fn open_below(root: &Path, folders: &[&str], last: &str) -> Result<Option<fs::File>, String> {
    let mut at = root.to_path_buf();
    for part in folders.iter().chain(std::iter::once(&last)) {
        at.push(part);
        match kind_of(&at) {
            Ok(None) => return Ok(None),
            Ok(Some(Kind::Link)) => {
                return Err(format!(
                    "`{}` is a symbolic link; outputs are never read through one",
                    at.display()
                ));
            }
            Ok(Some(_)) => {}
            Err(e) => return Err(format!("cannot be read: {e}")),
        }
    }
    open_no_follow(&at)
        .map(Some)
        .map_err(|e| format!("cannot be read: {e}"))
}

/// Writes a file of the program itself (`import`, `init`, the commands that edit program files)
/// at `rel` below `root`, atomically (a temporary file beside it, renamed into place, mode
/// 0644): refused when `rel` is absolute, leaves `root`, names `.git` in any spelling or holds
/// a control character, or when any component on the way, the file included, is a symbolic
/// link; a write never follows one out of the program.
pub fn write_in_program(root: &Path, rel: &str, bytes: &[u8]) -> Result<(), Refusal> {
    write_all_in_program(root, &[(rel, bytes)])
}

/// [`write_in_program`] for many files (an import of 100,000 partners): every path is judged
/// before anything is written; then each folder on the way is opened (made if missing) one
/// component at a time without following a link, and every file is written relative to its
/// open folder ([`publish`]): a new file is created unnamed and named when whole, an existing
/// one replaced by a renamed temporary after `lstat` said it is not a link. The files are
/// written one after the other: creating files in one folder serializes on it. The first
/// refusal stops the writing; files written before it stay, each whole.
pub fn write_all_in_program(root: &Path, files: &[(&str, &[u8])]) -> Result<(), Refusal> {
    write_all_publishing(root, files, true)
}

/// The folders on the way to `files`, parents first: `partners`, `partners/emea`, ...
fn folders_of<'a>(files: &[(&'a str, &[u8])]) -> std::collections::BTreeSet<&'a str> {
    let mut folders = std::collections::BTreeSet::new();
    for (rel, _) in files {
        let mut end = 0;
        while let Some(i) = rel[end..].find('/') {
            end += i;
            folders.insert(&rel[..end]);
            end += 1;
        }
    }
    folders
}

/// [`write_all_in_program`]; `unnamed: false` takes the temporary-and-rename way for every
/// file, as on a system without unnamed files (tests compare the two).
#[cfg(unix)]
fn write_all_publishing(root: &Path, files: &[(&str, &[u8])], unnamed: bool) -> Result<(), Refusal> {
    use publish::Failure;
    use rustix::fd::AsFd;
    // Program files are protected from outputs, not from the commands that write them.
    for (rel, _) in files {
        check_lexical(rel)?;
    }
    let folders = folders_of(files);
    let why = |at: &str, f: Failure| Refusal {
        reason: match f {
            Failure::Link => format!(
                "`{}` is a symbolic link; program files are never written through one",
                root.join(at).display()
            ),
            Failure::NotFile => format!("`{}` is not a regular file or folder", root.join(at).display()),
            Failure::Io(e) => format!("cannot write {}: {e}", root.join(at).display()),
        },
    };
    // Judged before anything is made: a link among the folders that exist refuses the batch.
    if root.exists() {
        let top = publish::open_root(root).map_err(|f| why("", f))?;
        let mut open = std::collections::HashMap::new();
        for f in &folders {
            let (parent, name) = f.rsplit_once('/').unwrap_or(("", f));
            let at = if parent.is_empty() {
                Some(&top)
            } else {
                open.get(parent)
            };
            // A folder whose parent is missing is missing too.
            if let Some(fd) = at.and_then(|p| publish::open_folder(p.as_fd(), name, false).transpose()) {
                open.insert(*f, fd.map_err(|e| why(f, e))?);
            }
        }
    }
    // The root too: `init` writes a program into a folder it makes.
    fs::create_dir_all(root).map_err(|e| Refusal {
        reason: format!("cannot create {}: {e}", root.display()),
    })?;
    let top = publish::open_root(root).map_err(|f| why("", f))?;
    let mut open: std::collections::HashMap<&str, rustix::fd::OwnedFd> = std::collections::HashMap::new();
    for f in &folders {
        let (parent, name) = f.rsplit_once('/').unwrap_or(("", f));
        let at = if parent.is_empty() { &top } else { &open[parent] };
        let fd = publish::open_folder(at.as_fd(), name, true)
            .map_err(|e| why(f, e))?
            .ok_or_else(|| why(f, Failure::NotFile))?;
        open.insert(*f, fd);
    }
    let mut publisher = publish::Publisher::new(unnamed);
    for (rel, bytes) in files {
        let (folder, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let dir = if folder.is_empty() { &top } else { &open[folder] };
        publisher.publish(dir.as_fd(), name, bytes).map_err(|e| why(rel, e))?;
    }
    Ok(())
}

/// Without `openat`: each folder is checked for links with `lstat` before and after it is
/// made, and each file before it is replaced.
#[cfg(not(unix))]
fn write_all_publishing(root: &Path, files: &[(&str, &[u8])], _unnamed: bool) -> Result<(), Refusal> {
    for (rel, _) in files {
        check_lexical(rel)?;
    }
    let no_link = |at: &Path| -> Result<(), Refusal> {
        match kind_of(at) {
            Ok(Some(Kind::Link)) => refuse(format!(
                "`{}` is a symbolic link; program files are never written through one",
                at.display()
            )),
            Ok(Some(Kind::Special)) => refuse(format!("`{}` is not a regular file or folder", at.display())),
            Ok(_) => Ok(()),
            Err(e) => refuse(format!("`{}` cannot be read: {e}", at.display())),
        }
    };
    let folders = folders_of(files);
    let check_folders = || folders.iter().try_for_each(|f| no_link(&root.join(f)));
    check_folders()?;
    for dir in std::iter::once(root.to_path_buf()).chain(folders.iter().map(|f| root.join(f))) {
        fs::create_dir_all(&dir).map_err(|e| Refusal {
            reason: format!("cannot create {}: {e}", dir.display()),
        })?;
    }
    check_folders()?;
    files.iter().try_for_each(|(rel, bytes)| {
        let target = root.join(rel);
        no_link(&target)?;
        let dir = target.parent().unwrap_or(root);
        let io = |e: std::io::Error| Refusal {
            reason: format!("cannot write in {}: {e}", dir.display()),
        };
        let mut tmp = tempfile::Builder::new().tempfile_in(dir).map_err(io)?;
        std::io::Write::write_all(&mut tmp, bytes).map_err(io)?;
        tmp.persist(&target).map_err(|e| io(e.error))?;
        Ok(())
    })
}

/// The lexical rules for an output path, `/`-separated and relative to the repository or
/// `--out-dir`: not empty, not absolute, no `..`, no empty or control-character name, no
/// `.git` in any spelling, and not a program source file or folder ([`PROTECTED`]).
pub fn check_relative(path: &str) -> Result<(), Refusal> {
    check_lexical(path)?;
    if let Some(p) = protected(path) {
        return refuse(format!(
            "is the program's own source `{p}`; outputs never replace program files"
        ));
    }
    Ok(())
}

/// [`check_relative`] without the program's own files: the rules every path written below a
/// root follows, program files included.
fn check_lexical(path: &str) -> Result<(), Refusal> {
    if path.is_empty() {
        return refuse("is empty");
    }
    if path.starts_with('/') || path.starts_with('\\') || Path::new(path).is_absolute() || path.contains(':') {
        return refuse("is absolute; outputs are written inside the repository (or --out-dir)");
    }
    if path.contains('\\') {
        return refuse("uses `\\`; separate folders with `/`");
    }
    if path.chars().any(char::is_control) {
        return refuse("holds a control character");
    }
    for part in path.split('/') {
        match part {
            "" => return refuse("has an empty folder name"),
            ".." => return refuse("leaves the repository (or --out-dir) with `..`"),
            p if is_git_name(p) => return refuse("writes into .git"),
            _ => {}
        }
    }
    Ok(())
}

/// The entry of [`PROTECTED`] that `path` is or lies below, compared without letter case.
fn protected(path: &str) -> Option<&'static str> {
    let lower: Vec<String> = path
        .split('/')
        .filter(|p| *p != ".")
        .map(|p| p.trim_end_matches(['.', ' ']).to_ascii_lowercase())
        .collect();
    PROTECTED.iter().copied().find(|p| {
        let parts: Vec<&str> = p.split('/').collect();
        lower.len() >= parts.len() && lower.iter().zip(&parts).all(|(a, b)| a == b)
    })
}

/// Where outputs go, with what they must never reach: resolves an output path (symbolic links
/// of its existing part followed) and refuses one that leaves the root, reaches a `.git`, the
/// repository's git folder, or a program source.
#[derive(Clone, Debug)]
pub struct OutputRoot {
    /// The output root, canonical.
    root: PathBuf,
    /// The program's folder, canonical.
    program: Option<PathBuf>,
    /// The git work tree holding the program, canonical.
    workdir: Option<PathBuf>,
    /// The repository's git folder, canonical.
    git_dir: Option<PathBuf>,
}

impl OutputRoot {
    /// `root` is where outputs are written (the program folder or `--out-dir`), created if
    /// missing; `program` is the program's folder.
    pub fn new(root: &Path, program: &Path) -> Result<OutputRoot, (PathBuf, std::io::Error)> {
        let program = fs::canonicalize(program).ok();
        let (workdir, git_dir) = match program.as_deref().map(git2::Repository::discover) {
            Some(Ok(repo)) => (
                repo.workdir().and_then(|w| fs::canonicalize(w).ok()),
                fs::canonicalize(repo.path()).ok(),
            ),
            _ => (None, None),
        };
        let planned = OutputRoot {
            root: PathBuf::new(),
            program,
            workdir,
            git_dir,
        };
        // Judge the root before creating it: `--out-dir .git/hooks` must not even make a folder.
        let would_be = resolve_existing(root).map_err(|e| (root.to_path_buf(), e))?;
        if let Err(r) = planned.check_absolute(&would_be) {
            return Err((root.to_path_buf(), std::io::Error::other(r.reason)));
        }
        fs::create_dir_all(root).map_err(|e| (root.to_path_buf(), e))?;
        let canonical = fs::canonicalize(root).map_err(|e| (root.to_path_buf(), e))?;
        Ok(OutputRoot {
            root: canonical,
            ..planned
        })
    }

    /// The canonical output root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads the output `rel` back ([`read_below`]): no link below the root is followed.
    pub fn read(&self, rel: &str, limit: u64) -> Below {
        read_below(&self.root, rel, limit)
    }

    /// The absolute path to write (or remove) for output path `rel`, after every rule.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, Refusal> {
        check_relative(rel)?;
        let full = resolve_existing(&self.root.join(rel)).map_err(|e| Refusal {
            reason: format!("cannot be resolved: {e}"),
        })?;
        let Some(resolved_rel) = strip_prefix_ci(&full, &self.root) else {
            return refuse("leads out of the repository (or --out-dir) through a symbolic link");
        };
        if resolved_rel.is_empty() {
            return refuse("is the output folder itself");
        }
        if resolved_rel != rel {
            check_relative(&resolved_rel).map_err(|r| Refusal {
                reason: format!("leads through a symbolic link to `{resolved_rel}`, which {}", r.reason),
            })?;
        }
        self.check_absolute(&full)?;
        Ok(full)
    }

    /// The rules that hold wherever the output root is: never inside the repository's git
    /// folder, never through a `.git` of the work tree, never on a program source.
    fn check_absolute(&self, full: &Path) -> Result<(), Refusal> {
        if let Some(git) = &self.git_dir {
            if strip_prefix_ci(full, git).is_some() {
                return refuse("is inside the repository's git folder");
            }
        }
        if let Some(work) = &self.workdir {
            if let Some(rel) = strip_prefix_ci(full, work) {
                if rel.split('/').any(is_git_name) {
                    return refuse("is inside a .git folder");
                }
                if let Some(p) = protected(&rel).filter(|p| p.starts_with(".github")) {
                    return refuse(format!("is below `{p}`; outputs never write workflows"));
                }
            }
        }
        if let Some(program) = &self.program {
            if let Some(rel) = strip_prefix_ci(full, program) {
                if let Some(p) = protected(&rel) {
                    return refuse(format!(
                        "is the program's own source `{p}`; outputs never replace program files"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The absolute path `path` names, with the symbolic links of its existing part resolved and
/// the rest appended as written.
fn resolve_existing(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = PathBuf::new();
    let mut rest = Vec::new();
    for comp in absolute.components() {
        if rest.is_empty() {
            let next = existing.join(comp);
            if fs::symlink_metadata(&next).is_ok() {
                existing = next;
                continue;
            }
        }
        rest.push(comp);
    }
    let mut out = fs::canonicalize(&existing)?;
    for comp in rest {
        match comp {
            Component::Normal(c) => out.push(c),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Ok(out)
}

/// `full` relative to `base` as a `/`-separated string, comparing names without letter case
/// (CI may run on a case-insensitive file system); `None` when it is not below `base`.
fn strip_prefix_ci(full: &Path, base: &Path) -> Option<String> {
    let mut f = full.components();
    for b in base.components() {
        let a = f.next()?;
        if !a.as_os_str().eq_ignore_ascii_case(b.as_os_str()) {
            return None;
        }
    }
    Some(
        f.map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_in_every_spelling() {
        for name in [
            ".git",
            ".GIT",
            ".Git",
            ".git.",
            ".git ",
            ".git. .",
            "git~1",
            "GIT~1",
            ".g\u{200c}it",
        ] {
            assert!(is_git_name(name), "{name:?}");
        }
        for name in ["git", ".github", ".gitignore", "x.git", "git~2"] {
            assert!(!is_git_name(name), "{name:?}");
        }
    }

    #[test]
    fn folder_names_follow_the_name_pattern() {
        for ok in ["emea", "a", "a-b", "x1", &"a".repeat(63)] {
            assert!(is_valid_folder_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "A",
            "a_b",
            "a\n* @evil-user",
            "a b",
            &"a".repeat(64),
            "é",
        ] {
            assert!(!is_valid_folder_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn relative_paths() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "C:/x",
            "a\\b",
            ".git/config",
            ".GIT/config",
            ".git./config",
            "x/git~1/config",
            "program.yaml",
            "PROGRAM.YAML",
            "products/x.yaml",
            "Templates/x.j2",
            ".github/workflows/x.yml",
            ".GitHub/Workflows/x.yml",
            "a\nb",
        ] {
            assert!(check_relative(bad).is_err(), "{bad:?} should be refused");
        }
        for good in [
            "dist/docs/index.html",
            "CODEOWNERS",
            ".github/CODEOWNERS",
            "a/b..c/d",
            "dist/products/x",
        ] {
            assert!(check_relative(good).is_ok(), "{good} should be accepted");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_fifos_and_the_git_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git2::Repository::init(root).unwrap();
        fs::write(root.join(".git/config.bak"), "x").unwrap();
        std::os::unix::fs::symlink(".git", root.join("gd")).unwrap();
        std::os::unix::fs::symlink("/tmp", root.join("out")).unwrap();
        fs::write(root.join("plain.txt"), "hello").unwrap();
        std::os::unix::fs::symlink("plain.txt", root.join("link.txt")).unwrap();

        let out = OutputRoot::new(root, root).unwrap();
        assert!(out.resolve("dist/a.txt").is_ok());
        let err = out.resolve("gd/config").unwrap_err();
        assert!(err.reason.contains(".git"), "{err}");
        assert!(out.resolve("out/x").unwrap_err().reason.contains("symbolic link"));
        // --out-dir pointing into the git folder.
        assert!(OutputRoot::new(&root.join(".git/hooks"), root).is_err());
        assert!(OutputRoot::new(&root.join("gd"), root).is_err());

        assert_eq!(read_regular(&root.join("plain.txt"), 100).unwrap(), b"hello");
        assert!(
            read_regular(&root.join("link.txt"), 100)
                .unwrap_err()
                .reason
                .contains("symbolic link")
        );
        assert!(
            read_regular(&root.join("plain.txt"), 2)
                .unwrap_err()
                .reason
                .contains("over the limit")
        );
        // Read back below a root: no component is followed, the folder no more than the file.
        fs::create_dir_all(root.join("dist/meta")).unwrap();
        fs::write(root.join("dist/meta/config"), "mine").unwrap();
        assert_eq!(read_below(root, "dist/meta/config", 100), Below::File(b"mine".to_vec()));
        assert_eq!(read_below(root, "dist/none/config", 100), Below::Absent);
        fs::remove_dir_all(root.join("dist/meta")).unwrap();
        std::os::unix::fs::symlink("../.git", root.join("dist/meta")).unwrap();
        assert!(matches!(read_below(root, "dist/meta/config", 1 << 20), Below::Refused(r) if r.contains("dist/meta")));
        assert!(matches!(read_below(root, "link.txt", 100), Below::Refused(r) if r.contains("symbolic link")));
        assert!(matches!(read_below(root, "../x", 100), Below::Refused(_)));
        assert!(write_in_program(root, "dist/meta/x.yaml", b"x").is_err());
        assert!(write_in_program(root, "partners/a/b.yaml", b"x").is_ok());
        assert!(write_in_program(root, "partners/../.git/x", b"x").is_err());

        let fifo = root.join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        assert_eq!(kind_of(&fifo).unwrap(), Some(Kind::Special));
        // Opened without blocking, then refused by fstat.
        assert!(read_regular(&fifo, 100).unwrap_err().reason.contains("FIFO"));
    }

    #[test]
    fn a_file_is_read_whole_whatever_its_length_says() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0, 1, 4095, 4096, 4097, 100_000] {
            let path = dir.path().join(format!("f{len}"));
            let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            fs::write(&path, &bytes).unwrap();
            assert_eq!(read_regular(&path, 1 << 20).unwrap(), bytes, "{len} bytes");
            if len > 0 {
                assert!(
                    read_regular(&path, len as u64 - 1)
                        .unwrap_err()
                        .reason
                        .contains("over the limit")
                );
            }
        }
        // Its length 0, its text made as it is read: read to the end, within the limit.
        #[cfg(target_os = "linux")]
        {
            let status = read_regular(Path::new("/proc/self/status"), 1 << 20).unwrap();
            assert!(status.starts_with(b"Name:"), "{}", String::from_utf8_lossy(&status));
            assert!(
                read_regular(Path::new("/proc/self/status"), 10)
                    .unwrap_err()
                    .reason
                    .contains("grew past")
            );
        }
    }
}
