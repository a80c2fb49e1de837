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
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(WRITERS)
        .thread_name(|i| format!("write-{i}"))
        .build()
        .map_err(|e| RenderError::Output(format!("cannot start the writers: {e}")))?;
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

enum Written {
    Unchanged,
    Written,
}

fn write_one(out: &OutputRoot, f: &RenderedFile, target: &Path) -> Result<Written, RenderError> {
    let io = |path: &Path, source: std::io::Error| RenderError::Io {
        path: path.display().to_string(),
        source,
    };
    if fs::symlink_metadata(target).is_ok_and(|m| m.is_dir()) {
        return Err(RenderError::Path {
            path: f.path.clone(),
            reason: "is a folder".into(),
        });
    }
    // Read back through the path door: a link on the way is never read through (the file is
    // then written, through the resolution above).
    if matches!(out.read(&f.path, f.bytes.len() as u64), paths::Below::File(old) if old == f.bytes) {
        return Ok(Written::Unchanged);
    }
    let parent = target.parent().unwrap_or(out.root());
    fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    // Folders created just now could have been swapped for links: resolve again.
    let again = out.resolve(&f.path).map_err(|r| refusal(&f.path, r))?;
    if again != target {
        return Err(RenderError::Path {
            path: f.path.clone(),
            reason: "changed under partnerctl while being written".into(),
        });
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
    tmp.as_file().sync_all().map_err(|e| io(target, e))?;
    tmp.persist(target).map_err(|e| io(target, e.error))?;
    Ok(Written::Written)
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
