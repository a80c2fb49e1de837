//! Writing rendered files below a root folder, atomically: the one place `render` and `apply`
//! put outputs on disk.
//!
//! Every path is checked before anything is written, so a bad path leaves every output
//! untouched. Each file is written to a temporary file beside it and renamed over the old
//! one, so a reader (or a crash) sees either the previous file whole or the new one whole.
//! A file whose bytes are already on disk is left alone (its modification time too), so
//! gateways that watch their configuration reload only on a real change.

use super::{RenderError, RenderedFile};
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// What [`write_files`] did, by path relative to the root, in the order given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or replaced.
    pub written: Vec<String>,
    /// Files that already held exactly these bytes.
    pub unchanged: Vec<String>,
}

/// Refuses a path that is empty, absolute, or leaves its root (`..`), or that names a
/// folder (`a/`). Paths are `/`-separated and relative to the repository or `--out-dir`.
pub fn check_relative_path(path: &str) -> Result<(), RenderError> {
    let refuse = |reason: &str| {
        Err(RenderError::Path {
            path: path.to_string(),
            reason: reason.to_string(),
        })
    };
    if path.is_empty() {
        return refuse("is empty");
    }
    if path.starts_with('/') || path.starts_with('\\') || Path::new(path).is_absolute() || path.contains(':') {
        return refuse("is absolute; outputs are written inside the repository (or --out-dir)");
    }
    if path.contains('\\') {
        return refuse("uses `\\`; separate folders with `/`");
    }
    for part in path.split('/') {
        match part {
            "" => return refuse("has an empty folder name"),
            ".." => return refuse("leaves the repository (or --out-dir) with `..`"),
            _ => {}
        }
    }
    if path.split('/').any(|p| p == ".git") {
        return refuse("writes into .git");
    }
    Ok(())
}

/// Writes `files` below `root`, creating folders as needed.
///
/// Refuses (before writing anything) a path that is absolute, escapes `root`, or passes
/// through a symbolic link that leads out of `root`. Each file is written to a temporary
/// file in its folder and renamed into place; a file already holding the same bytes is not
/// rewritten. Returns which files were written and which were unchanged.
pub fn write_files(root: &Path, files: &[RenderedFile]) -> Result<WriteReport, RenderError> {
    for f in files {
        check_relative_path(&f.path)?;
    }
    let io = |path: &Path, source: std::io::Error| RenderError::Io {
        path: path.display().to_string(),
        source,
    };
    fs::create_dir_all(root).map_err(|e| io(root, e))?;
    let canonical_root = fs::canonicalize(root).map_err(|e| io(root, e))?;
    // Check every target before the first write: a refusal must leave all outputs whole.
    let mut targets: Vec<PathBuf> = Vec::with_capacity(files.len());
    for f in files {
        let target = root.join(&f.path);
        check_inside(&canonical_root, root, &f.path)?;
        targets.push(target);
    }
    let mut report = WriteReport::default();
    for (f, target) in files.iter().zip(&targets) {
        if let Ok(meta) = fs::symlink_metadata(target) {
            if meta.is_dir() {
                return Err(RenderError::Path {
                    path: f.path.clone(),
                    reason: "is a folder".into(),
                });
            }
            if meta.is_file() && fs::read(target).is_ok_and(|old| old == f.bytes) {
                report.unchanged.push(f.path.clone());
                continue;
            }
        }
        let parent = target.parent().unwrap_or(root);
        fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        check_inside(&canonical_root, root, &f.path)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".partnerctl-")
            .suffix(".tmp")
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
        report.written.push(f.path.clone());
    }
    Ok(report)
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

/// Refuses a relative path whose existing part resolves (through symbolic links) outside
/// the root.
fn check_inside(canonical_root: &Path, root: &Path, rel: &str) -> Result<(), RenderError> {
    let mut existing = root.to_path_buf();
    for comp in Path::new(rel).components() {
        let Component::Normal(c) = comp else { continue };
        let next = existing.join(c);
        if fs::symlink_metadata(&next).is_err() {
            break;
        }
        existing = next;
    }
    let resolved = fs::canonicalize(&existing).map_err(|e| RenderError::Io {
        path: existing.display().to_string(),
        source: e,
    })?;
    if !resolved.starts_with(canonical_root) {
        return Err(RenderError::Path {
            path: rel.to_string(),
            reason: "leads out of the repository (or --out-dir) through a symbolic link".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let r = write_files(dir.path(), &files).unwrap();
        assert_eq!(r.written, ["a/b.txt", "c.txt"]);
        let r = write_files(dir.path(), &files).unwrap();
        assert_eq!(r.unchanged, ["a/b.txt", "c.txt"]);
        assert!(r.written.is_empty());
        let r = write_files(dir.path(), &[RenderedFile::new("c.txt", "three")]).unwrap();
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
        write_files(dir.path(), &[RenderedFile::new("a.conf", "x")]).unwrap();
        let mode = |p: &str| fs::metadata(dir.path().join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("a.conf"), 0o644);
        fs::set_permissions(dir.path().join("a.conf"), fs::Permissions::from_mode(0o640)).unwrap();
        write_files(dir.path(), &[RenderedFile::new("a.conf", "y")]).unwrap();
        assert_eq!(mode("a.conf"), 0o640);
    }

    #[test]
    fn a_bad_path_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![
            RenderedFile::new("ok.txt", "x"),
            RenderedFile::new("../escape.txt", "y"),
        ];
        assert!(write_files(dir.path(), &files).is_err());
        assert!(!dir.path().join("ok.txt").exists());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlink_out_of_root() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("dist")).unwrap();
        let err = write_files(dir.path(), &[RenderedFile::new("dist/x.txt", "x")]).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(!outside.path().join("x.txt").exists());
    }
}
