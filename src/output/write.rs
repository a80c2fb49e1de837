//! Writing rendered files below a root folder, atomically: the one place `render` and `apply`
//! put outputs on disk.
//!
//! Every path goes through [`OutputRoot`] (`source/paths.rs`) and is checked before anything is written, so a bad path leaves every output
//! untouched. Each file is written to a temporary file beside it and renamed over the old
//! one, so a reader (or a crash) sees either the previous file whole or the new one whole.
//! A file whose bytes are already on disk is left alone (its modification time too), so
//! gateways that watch their configuration reload only on a real change.

use super::{RenderError, RenderedFile};
use crate::source::paths::{self, OutputRoot};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What [`write_files`] did, by path relative to the root, in the order given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or replaced.
    pub written: Vec<String>,
    /// Files that already held exactly these bytes.
    pub unchanged: Vec<String>,
}

/// Refuses a path that is empty, absolute, or leaves its root (`..`), that names a folder
/// (`a/`), reaches `.git` in any spelling, or lands on a program source file or folder
/// (`program.yaml`, `products/`, … `.github/workflows/`). Paths are `/`-separated and
/// relative to the repository or `--out-dir`. The lexical half of [`OutputRoot::resolve`].
pub fn check_relative_path(path: &str) -> Result<(), RenderError> {
    paths::check_relative(path).map_err(|r| refusal(path, r))
}

fn refusal(path: &str, r: paths::Refusal) -> RenderError {
    RenderError::Path {
        path: path.to_string(),
        reason: r.reason,
    }
}

/// The output root for `render` and `apply`: `root` (the program folder or `--out-dir`) for a
/// program in `program`.
pub fn output_root(root: &Path, program: &Path) -> Result<OutputRoot, RenderError> {
    OutputRoot::new(root, program).map_err(|(path, source)| RenderError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Writes `files` below the output root, creating folders as needed.
///
/// Refuses (before writing anything) a path that [`OutputRoot::resolve`] refuses: absolute,
/// escaping the root, through a symbolic link out of it or into `.git`, or onto a program
/// source. Each file is written to a temporary file in its folder and renamed into place; a
/// file already holding the same bytes is not rewritten. Returns which files were written and
/// which were unchanged.
pub fn write_files(out: &OutputRoot, files: &[RenderedFile]) -> Result<WriteReport, RenderError> {
    // Check every target before the first write: a refusal must leave all outputs whole.
    let mut targets: Vec<PathBuf> = Vec::with_capacity(files.len());
    for f in files {
        targets.push(out.resolve(&f.path).map_err(|r| refusal(&f.path, r))?);
    }
    // Each file is synced before its rename, and a sync waits on the disk, not the CPU: the
    // files are written by many threads at once (a render of 100,000 partners writes over
    // 100,000 files), in order of the report either way.
    let pool = writers()?;
    let done: Vec<Result<Written, RenderError>> = pool.install(|| {
        use rayon::prelude::*;
        files
            .par_iter()
            .zip(targets.par_iter())
            .map(|(f, target)| write_one(out, f, target))
            .collect()
    });
    let mut report = WriteReport::default();
    for (f, result) in files.iter().zip(done) {
        match result? {
            Written::Unchanged => report.unchanged.push(f.path.clone()),
            Written::Written => report.written.push(f.path.clone()),
        }
    }
    Ok(report)
}

/// Threads writing outputs at once.
const WRITERS: usize = 16;

fn writers() -> Result<rayon::ThreadPool, RenderError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(WRITERS)
        .thread_name(|i| format!("write-{i}"))
        .build()
        .map_err(|e| RenderError::Output(format!("cannot start the writers: {e}")))
}

enum Written {
    Unchanged,
    Written,
}

fn write_one(out: &OutputRoot, f: &RenderedFile, target: &Path) -> Result<Written, RenderError> {
    match stage_one(out, f, target, Some(&|_| ()), true)? {
        None => Ok(Written::Unchanged),
        Some(tmp) => {
            tmp.persist(target).map_err(|e| io_error(target, e.error))?;
            Ok(Written::Written)
        }
    }
}

fn changed(path: &str) -> RenderError {
    RenderError::Path {
        path: path.to_string(),
        reason: "changed under partnerctl while being written".into(),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> RenderError {
    RenderError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `f` to a synced temporary file beside `target` and returns it, or `None` when
/// `target` already holds these bytes. With `make_folder`, makes the folder first (telling it
/// of each folder made) and resolves the path again; without, the caller has made and checked
/// the folder ([`Staging::stage`]). Without `sync`, the caller syncs the file before renaming
/// it ([`Staging::publish`]).
fn stage_one(
    out: &OutputRoot,
    f: &RenderedFile,
    target: &Path,
    make_folder: Option<&(dyn Fn(&Path) + Sync)>,
    sync: bool,
) -> Result<Option<tempfile::TempPath>, RenderError> {
    let io = io_error;
    if fs::symlink_metadata(target).is_ok_and(|m| m.is_dir()) {
        return Err(RenderError::Path {
            path: f.path.clone(),
            reason: "is a folder".into(),
        });
    }
    // Read back through the path door: a link on the way is never read through (the file is
    // then written, through the resolution above).
    if matches!(out.read(&f.path, f.bytes.len() as u64), paths::Below::File(old) if old == f.bytes) {
        return Ok(None);
    }
    let parent = target.parent().unwrap_or(out.root());
    if let Some(created) = make_folder {
        create_folders(parent, created).map_err(|e| io(parent, e))?;
        // Folders created just now could have been swapped for links: resolve again.
        let again = out.resolve(&f.path).map_err(|r| refusal(&f.path, r))?;
        if again != target {
            return Err(changed(&f.path));
        }
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .suffix(TMP_SUFFIX)
        .tempfile_in(parent)
        .map_err(|e| io(parent, e))?;
    tmp.write_all(&f.bytes).map_err(|e| io(target, e))?;
    // A temporary file is private (0600); an output is read by gateways and web servers,
    // so it keeps the mode of the file it replaces, or gets the usual 0644.
    let mode = match fs::metadata(target) {
        Ok(m) => m.permissions(),
        Err(_) => default_permissions(),
    };
    tmp.as_file().set_permissions(mode).map_err(|e| io(target, e))?;
    if sync {
        tmp.as_file().sync_all().map_err(|e| io(target, e))?;
    }
    Ok(Some(tmp.into_temp_path()))
}

/// `fs::create_dir_all` (with the same calls), telling `created` of each folder it made, so
/// that an abandoned [`Staging`] can remove them again.
fn create_folders(path: &Path, created: &(dyn Fn(&Path) + Sync)) -> std::io::Result<()> {
    if path == Path::new("") {
        return Ok(());
    }
    match fs::create_dir(path) {
        Ok(()) => {
            created(path);
            return Ok(());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(_) if path.is_dir() => return Ok(()),
        Err(e) => return Err(e),
    }
    match path.parent() {
        Some(p) => create_folders(p, created)?,
        None => return Err(std::io::Error::other("failed to create the whole folder tree")),
    }
    match fs::create_dir(path) {
        Ok(()) => {
            created(path);
            Ok(())
        }
        Err(_) if path.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Outputs written as they are rendered and published together: [`Staging::stage`] writes
/// one output's files to temporary files beside their targets (a file already holding
/// its bytes is only noted), so that the caller can let go of them before rendering the
/// next output; [`Staging::publish`] syncs every temporary file and renames it over its target once all
/// are staged. Until then no output has changed; a `Staging` dropped unpublished (a later
/// output failed to render, a path was refused) removes its temporary files and the folders
/// it made, leaving every output as it was.
///
/// The guarantees are [`write_files`]'s: every path through [`OutputRoot::resolve`], each
/// file replaced whole by a rename, a file already holding its bytes left alone.
pub struct Staging {
    out: OutputRoot,
    /// Every file staged so far, in the order given.
    files: Vec<Staged>,
    /// The folders the staged files are renamed into, canonical, each once.
    folders: Vec<PathBuf>,
    folder_ids: std::collections::HashMap<PathBuf, u32>,
    /// Folders made while staging, to remove if nothing is published.
    created: std::sync::Mutex<Vec<PathBuf>>,
    published: bool,
}

/// One staged file: its output path and, unless it was unchanged, where its temporary file
/// waits. Folders and names are kept apart so that 100,000 files in a few folders hold a few
/// megabytes, not a path each twice over.
struct Staged {
    path: String,
    pending: Option<Pending>,
}

struct Pending {
    folder: u32,
    name: Box<std::ffi::OsStr>,
    tmp: Box<std::ffi::OsStr>,
}

impl Staging {
    /// Staging below `root` (the program folder `program` or `--out-dir`), as
    /// [`output_root`]: `root` is created if missing, and removed again with the other
    /// folders made if nothing is published.
    pub fn new(root: &Path, program: &Path) -> Result<Staging, RenderError> {
        let existed = fs::symlink_metadata(root).is_ok();
        let out = output_root(root, program)?;
        let created = if existed {
            Vec::new()
        } else {
            vec![out.root().to_path_buf()]
        };
        Ok(Staging {
            out,
            files: Vec::new(),
            folders: Vec::new(),
            folder_ids: std::collections::HashMap::new(),
            created: std::sync::Mutex::new(created),
            published: false,
        })
    }

    /// Stages one output's `files`: refuses (before staging any of them) a path
    /// [`OutputRoot::resolve`] refuses, then writes each changed file to a temporary
    /// file beside its target.
    pub fn stage(&mut self, files: Vec<RenderedFile>) -> Result<(), RenderError> {
        let out = &self.out;
        let mut targets: Vec<PathBuf> = Vec::with_capacity(files.len());
        for f in &files {
            targets.push(out.resolve(&f.path).map_err(|r| refusal(&f.path, r))?);
        }
        // Each folder is made and checked here, once per folder.
        let created = &self.created;
        let note = |folder: &Path| {
            if let Ok(mut c) = created.lock() {
                c.push(folder.to_path_buf());
            }
        };
        let mut ready = std::collections::HashSet::new();
        for (f, target) in files.iter().zip(&targets) {
            let parent = target.parent().unwrap_or(out.root());
            if !ready.insert(parent) {
                continue;
            }
            create_folders(parent, &note).map_err(|e| io_error(parent, e))?;
            // Folders made just now could have been swapped for links.
            if fs::canonicalize(parent).ok().as_deref() != Some(parent) {
                return Err(changed(&f.path));
            }
        }
        drop(ready);
        // Written on the threads that rendered, and synced by the writers when published:
        // every thread started allocates a C heap of 64 MiB of address space, kept to the
        // end, and sixteen writers started while outputs still render (each render on a
        // thread with a stack of hundreds of MiB) did not fit a 2 GiB address-space limit
        // (`ulimit -v`). After the last render they fit, as they do for `write_files`.
        let done: Vec<Result<Option<tempfile::TempPath>, RenderError>> = {
            use rayon::prelude::*;
            files
                .par_iter()
                .zip(targets.par_iter())
                .map(|(f, target)| stage_one(out, f, target, None, false))
                .collect()
        };
        // Every temporary file is recorded before an error is returned, so that dropping
        // the staging removes it.
        let mut first_error = None;
        for ((f, target), result) in files.into_iter().zip(targets).zip(done) {
            match result {
                Ok(None) => self.files.push(Staged {
                    path: f.path,
                    pending: None,
                }),
                Ok(Some(tmp)) => {
                    let tmp = tmp.keep().map_err(|e| io_error(&e.path, e.error))?;
                    let folder = self.folder_of(&target);
                    let name = target.file_name().unwrap_or_default().into();
                    self.files.push(Staged {
                        path: f.path,
                        pending: Some(Pending {
                            folder,
                            name,
                            tmp: tmp.file_name().unwrap_or_default().into(),
                        }),
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn folder_of(&mut self, target: &Path) -> u32 {
        let parent = target.parent().unwrap_or(self.out.root());
        if let Some(&id) = self.folder_ids.get(parent) {
            return id;
        }
        let id = self.folders.len() as u32;
        self.folders.push(parent.to_path_buf());
        self.folder_ids.insert(parent.to_path_buf(), id);
        id
    }

    /// Syncs every staged file and renames it over its target and reports which were written and which
    /// were unchanged, in the order staged. Refuses, before renaming anything, a file two
    /// outputs write, or a folder that was turned into a link since it was staged into.
    pub fn publish(mut self) -> Result<WriteReport, RenderError> {
        let mut seen = std::collections::HashSet::with_capacity(self.files.len());
        for f in &self.files {
            if !seen.insert(f.path.as_str()) {
                return Err(RenderError::Path {
                    path: f.path.clone(),
                    reason: "two outputs write this file".into(),
                });
            }
        }
        drop(seen);
        for folder in &self.folders {
            if fs::canonicalize(folder).ok().as_deref() != Some(folder.as_path()) {
                return Err(changed(&folder.display().to_string()));
            }
        }
        let folders = &self.folders;
        let files = &self.files;
        let done: Vec<Result<(), RenderError>> = writers()?.install(|| {
            use rayon::prelude::*;
            files
                .par_iter()
                .map(|f| match &f.pending {
                    None => Ok(()),
                    Some(p) => {
                        let folder = &folders[p.folder as usize];
                        let target = folder.join(&*p.name);
                        let tmp = folder.join(&*p.tmp);
                        // On disk before it replaces anything: a crash leaves the old file or
                        // the new one whole.
                        fs::File::open(&tmp)
                            .and_then(|f| f.sync_all())
                            .map_err(|e| io_error(&target, e))?;
                        fs::rename(tmp, &target).map_err(|e| io_error(&target, e))
                    }
                })
                .collect()
        });
        done.into_iter().collect::<Result<(), _>>()?;
        self.published = true;
        let mut report = WriteReport::default();
        for f in std::mem::take(&mut self.files) {
            match f.pending {
                None => report.unchanged.push(f.path),
                Some(_) => report.written.push(f.path),
            }
        }
        Ok(report)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // After a failed publish some temporary files are renamed already: removing them
        // again fails, harmlessly.
        for f in &self.files {
            if let Some(p) = &f.pending {
                let _ = fs::remove_file(self.folders[p.folder as usize].join(&*p.tmp));
            }
        }
        if self.published {
            return;
        }
        // Deepest first; a folder holding anything else is not empty and stays.
        let mut created = std::mem::take(self.created.get_mut().unwrap_or_else(|e| e.into_inner()));
        created.sort_by_key(|f| std::cmp::Reverse(f.components().count()));
        for folder in created {
            let _ = fs::remove_dir(folder);
        }
    }
}

/// The names of the temporary files [`write_files`] writes beside each output.
pub const TMP_PREFIX: &str = ".partnerctl-";
pub const TMP_SUFFIX: &str = ".tmp";

/// Removes the output `rel` if it still holds exactly what was written (`unchanged` says so):
/// `Ok(true)` when removed, `Ok(false)` when absent or edited since (left for a person). The
/// path is resolved like a written one, so a state file naming `../x` or an output folder
/// turned into a link never removes anything outside the root.
pub fn remove_output(out: &OutputRoot, rel: &str, unchanged: impl Fn(&[u8]) -> bool) -> Result<bool, RenderError> {
    let target = out.resolve(rel).map_err(|r| refusal(rel, r))?;
    // Only a regular file reached without any link is removed.
    let paths::Below::File(bytes) = out.read(rel, crate::source::MAX_FILE_BYTES * 32) else {
        return Ok(false);
    };
    if !unchanged(&bytes) {
        return Ok(false);
    }
    fs::remove_file(&target).map_err(|e| RenderError::Io {
        path: target.display().to_string(),
        source: e,
    })?;
    Ok(true)
}

/// Removes temporary files an interrupted write left (`.partnerctl-*.tmp`) in the folders the
/// outputs `files` are written to: only regular files of that name, never a link or a folder.
/// Returns the paths removed, relative to the root.
pub fn remove_temporaries(out: &OutputRoot, files: &[RenderedFile]) -> Vec<String> {
    let mut removed = Vec::new();
    for (path, rel) in temporaries(out, files.iter().map(|f| f.path.as_str())) {
        if fs::remove_file(&path).is_ok() {
            removed.push(rel);
        }
    }
    removed
}

/// The temporary files an interrupted write left (`.partnerctl-*.tmp`, regular files only)
/// in the folders of the outputs `paths`: each as a path on disk and relative to the root,
/// sorted. `plan` lists them; `apply` removes them.
pub fn temporaries<'a>(out: &OutputRoot, paths: impl IntoIterator<Item = &'a str>) -> Vec<(PathBuf, String)> {
    // One output per folder is resolved: a folder output of 100,000 files is one folder.
    let mut seen = std::collections::BTreeSet::new();
    let mut folders = std::collections::BTreeSet::new();
    for path in paths {
        let folder = path.rsplit_once('/').map_or("", |(f, _)| f);
        if !seen.insert(folder.to_string()) {
            continue;
        }
        if let Ok(target) = out.resolve(path) {
            if let Some(parent) = target.parent() {
                folders.insert(parent.to_path_buf());
            }
        }
    }
    let mut found = Vec::new();
    for folder in folders {
        let Ok(entries) = fs::read_dir(&folder) else { continue };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !(name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX)) {
                continue;
            }
            if !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let path = entry.path();
            let rel = path
                .strip_prefix(out.root())
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            found.push((path, rel));
        }
    }
    found.sort();
    found
}

#[cfg(unix)]
fn default_permissions() -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::Permissions::from_mode(0o644)
}

#[cfg(not(unix))]
fn default_permissions() -> fs::Permissions {
    let mut p = fs::metadata(".")
        .map(|m| m.permissions())
        .expect("the current folder is readable");
    p.set_readonly(false);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(dir: &Path) -> OutputRoot {
        output_root(dir, dir).unwrap()
    }

    #[test]
    fn refuses_paths_outside_the_root() {
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
            "program.yaml",
            ".github/workflows/x.yml",
        ] {
            assert!(check_relative_path(bad).is_err(), "{bad} should be refused");
        }
        for good in ["dist/docs/index.html", "CODEOWNERS", "a/b..c/d"] {
            assert!(check_relative_path(good).is_ok(), "{good} should be accepted");
        }
    }

    #[test]
    fn writes_then_skips_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![RenderedFile::new("a/b.txt", "one"), RenderedFile::new("c.txt", "two")];
        let r = write_files(&out(dir.path()), &files).unwrap();
        assert_eq!(r.written, ["a/b.txt", "c.txt"]);
        let r = write_files(&out(dir.path()), &files).unwrap();
        assert_eq!(r.unchanged, ["a/b.txt", "c.txt"]);
        assert!(r.written.is_empty());
        let r = write_files(&out(dir.path()), &[RenderedFile::new("c.txt", "three")]).unwrap();
        assert_eq!(r.written, ["c.txt"]);
        assert_eq!(fs::read_to_string(dir.path().join("c.txt")).unwrap(), "three");
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn outputs_are_readable_by_others_and_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        write_files(&out(dir.path()), &[RenderedFile::new("a.conf", "x")]).unwrap();
        let mode = |p: &str| fs::metadata(dir.path().join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("a.conf"), 0o644);
        fs::set_permissions(dir.path().join("a.conf"), fs::Permissions::from_mode(0o640)).unwrap();
        write_files(&out(dir.path()), &[RenderedFile::new("a.conf", "y")]).unwrap();
        assert_eq!(mode("a.conf"), 0o640);
    }

    #[test]
    fn a_bad_path_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![
            RenderedFile::new("ok.txt", "x"),
            RenderedFile::new("../escape.txt", "y"),
        ];
        assert!(write_files(&out(dir.path()), &files).is_err());
        assert!(!dir.path().join("ok.txt").exists());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlink_out_of_root() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("dist")).unwrap();
        let err = write_files(&out(dir.path()), &[RenderedFile::new("dist/x.txt", "x")]).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(!outside.path().join("x.txt").exists());
    }
}

#[cfg(test)]
mod staging_tests {
    use super::*;

    /// Every file below `dir`, relative, with its bytes.
    fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    out.push((p.strip_prefix(dir).unwrap().display().to_string() + "/", Vec::new()));
                    stack.push(p);
                } else {
                    out.push((
                        p.strip_prefix(dir).unwrap().display().to_string(),
                        fs::read(&p).unwrap(),
                    ));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn staged_outputs_replace_nothing_until_published() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.txt"), "old").unwrap();
        fs::write(dir.path().join("same.txt"), "same").unwrap();
        let mut staging = Staging::new(dir.path(), dir.path()).unwrap();
        staging
            .stage(vec![
                RenderedFile::new("a.txt", "new"),
                RenderedFile::new("same.txt", "same"),
            ])
            .unwrap();
        staging.stage(vec![RenderedFile::new("gw/x/b.conf", "b")]).unwrap();
        // Staged: the old bytes are still there, the new ones wait in temporaries.
        assert_eq!(fs::read_to_string(dir.path().join("a.txt")).unwrap(), "old");
        assert!(!dir.path().join("gw/x/b.conf").exists());
        let report = staging.publish().unwrap();
        assert_eq!(report.written, ["a.txt", "gw/x/b.conf"]);
        assert_eq!(report.unchanged, ["same.txt"]);
        assert_eq!(
            tree(dir.path()),
            [
                ("a.txt".to_string(), b"new".to_vec()),
                ("gw/".into(), Vec::new()),
                ("gw/x/".into(), Vec::new()),
                ("gw/x/b.conf".into(), b"b".to_vec()),
                ("same.txt".into(), b"same".to_vec()),
            ]
        );
    }

    /// A later output that fails (here: a path refused) leaves every output as it was: the
    /// temporaries of the outputs staged before it and the folders made for them are gone.
    #[test]
    fn an_abandoned_staging_leaves_everything_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.txt"), "old").unwrap();
        let before = tree(dir.path());
        let mut staging = Staging::new(dir.path(), dir.path()).unwrap();
        staging
            .stage(vec![
                RenderedFile::new("a.txt", "new"),
                RenderedFile::new("d/e/f.txt", "f"),
            ])
            .unwrap();
        assert_ne!(tree(dir.path()), before, "staged beside the targets");
        let err = staging
            .stage(vec![
                RenderedFile::new("ok.txt", "x"),
                RenderedFile::new("../escape.txt", "y"),
            ])
            .unwrap_err();
        assert!(err.to_string().contains("escape.txt"), "{err}");
        drop(staging);
        assert_eq!(tree(dir.path()), before);

        // A missing --out-dir is made for the staging, and removed with it.
        let out = dir.path().join("out/dist");
        let mut staging = Staging::new(&out, dir.path()).unwrap();
        staging.stage(vec![RenderedFile::new("x/y.txt", "y")]).unwrap();
        drop(staging);
        assert!(!out.exists());
    }

    #[test]
    fn two_outputs_writing_one_file_publish_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut staging = Staging::new(dir.path(), dir.path()).unwrap();
        staging.stage(vec![RenderedFile::new("gw/a.conf", "one")]).unwrap();
        staging.stage(vec![RenderedFile::new("gw/a.conf", "two")]).unwrap();
        let err = staging.publish().unwrap_err();
        assert!(err.to_string().contains("two outputs write this file"), "{err}");
        assert!(tree(dir.path()).is_empty(), "{:?}", tree(dir.path()));
    }

    /// A folder staged into and turned into a link to elsewhere before publishing: nothing
    /// is renamed through it.
    #[cfg(unix)]
    #[test]
    fn a_folder_swapped_for_a_link_before_publishing_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let mut staging = Staging::new(dir.path(), dir.path()).unwrap();
        staging.stage(vec![RenderedFile::new("gw/a.conf", "x")]).unwrap();
        fs::rename(dir.path().join("gw"), outside.path().join("moved")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("moved"), dir.path().join("gw")).unwrap();
        let err = staging.publish().unwrap_err();
        assert!(err.to_string().contains("changed under partnerctl"), "{err}");
        assert!(!outside.path().join("moved/a.conf").exists());
    }
}

#[cfg(all(test, unix))]
mod removal_tests {
    use super::*;

    #[test]
    fn removal_and_temporaries_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("victim.txt"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("dist")).unwrap();
        let out = output_root(dir.path(), dir.path()).unwrap();
        assert!(remove_output(&out, "../victim.txt", |_| true).is_err());
        assert!(remove_output(&out, "dist/victim.txt", |_| true).is_err());
        assert!(outside.path().join("victim.txt").exists());

        fs::create_dir(dir.path().join("gw")).unwrap();
        fs::write(dir.path().join("gw/.partnerctl-abc.tmp"), "half").unwrap();
        fs::create_dir(dir.path().join("gw/.partnerctl-dir.tmp")).unwrap();
        fs::write(dir.path().join("gw/keep.tmp"), "mine").unwrap();
        let removed = remove_temporaries(&out, &[RenderedFile::new("gw/a.conf", "x")]);
        assert_eq!(removed, ["gw/.partnerctl-abc.tmp"]);
        assert!(dir.path().join("gw/keep.tmp").exists());
        assert!(dir.path().join("gw/.partnerctl-dir.tmp").is_dir());
        fs::write(dir.path().join("gw/a.conf"), "x").unwrap();
        assert!(remove_output(&out, "gw/a.conf", |b| b == b"y").is_ok_and(|r| !r));
        assert!(remove_output(&out, "gw/a.conf", |b| b == b"x").unwrap());
        assert!(!dir.path().join("gw/a.conf").exists());
    }
}
