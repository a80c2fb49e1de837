//! Writing the program's own files: the partner and product files that `import`, requests
//! and the lifecycle commands create or edit in place. Outputs may never land on these
//! ([`super::paths::check_relative`]); these writers may land nowhere else. A path is judged
//! before anything is written: it names a `.yaml` file below `products/`, `terms/` or
//! `partners/` (sub-folders matching the name pattern of §1), with no `..`, no `.git` and no
//! symbolic link anywhere on the way; [`paths::write_in_program`] then writes it atomically.

use super::paths::{self, Refusal};
use std::path::Path;

/// The folders whose files the program's own commands write.
const WRITABLE: &[&str] = &["products", "terms", "partners"];

/// Whether `rel` (relative to the repository root, `/`-separated) is a program file a
/// command may write: `<folder>/[<sub>/…]<name>.yaml`.
pub fn check(rel: &str) -> Result<(), Refusal> {
    let refuse = |why: &str| {
        Err(Refusal {
            reason: why.to_string(),
        })
    };
    let parts: Vec<&str> = rel.split('/').collect();
    let [folder, middle @ .., file] = parts.as_slice() else {
        return refuse("is not inside a program folder");
    };
    if !WRITABLE.contains(folder) {
        return refuse("is not below products/, terms/ or partners/");
    }
    if let Some(bad) = middle.iter().find(|p| !paths::is_valid_folder_name(p)) {
        return Err(Refusal {
            reason: format!("has a folder name `{}` that is not a program name", bad.escape_debug()),
        });
    }
    let stem = file.strip_suffix(".yaml").or_else(|| file.strip_suffix(".yml"));
    match stem {
        Some(s) if paths::is_valid_folder_name(s) => Ok(()),
        _ => refuse("does not name a `<name>.yaml` file with a program name"),
    }
}

/// Writes one program file below `root` after [`check`], through the one writer of program
/// files ([`paths::write_in_program`]): atomically, never through a symbolic link.
pub fn write(root: &Path, rel: &str, bytes: &[u8]) -> Result<(), Refusal> {
    write_all(root, &[(rel, bytes)])
}

/// [`write`] for many files: each is judged before any is written, then they are written
/// through [`paths::write_all_in_program`].
pub fn write_all(root: &Path, files: &[(&str, &[u8])]) -> Result<(), Refusal> {
    for (rel, _) in files {
        check(rel).map_err(|r| Refusal {
            reason: format!("refusing to write {rel}: it {}", r.reason),
        })?;
    }
    paths::write_all_in_program(root, files).map_err(|r| Refusal {
        reason: match files {
            [(rel, _)] => format!("refusing to write {rel}: {}", r.reason),
            _ => format!("refusing to write the files: {}", r.reason),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_program_files_are_written() {
        for ok in ["partners/acme.yaml", "partners/emea/acme.yaml", "products/x.yml"] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "program.yaml",
            "partners/../x.yaml",
            "partners/.git/x.yaml",
            "partners/Acme.yaml",
            "partners/a b/x.yaml",
            "dist/x.yaml",
            "partners/x.md",
            "partners/x\n.yaml",
            "/etc/x.yaml",
            "partners",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_on_the_way_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("partners")).unwrap();
        let e = write(dir.path(), "partners/acme.yaml", b"x").unwrap_err();
        assert!(e.reason.contains("symbolic link"), "{e}");
        assert!(!outside.path().join("acme.yaml").exists());
        std::fs::remove_file(dir.path().join("partners")).unwrap();
        write(dir.path(), "partners/acme.yaml", b"x").unwrap();
        assert_eq!(std::fs::read(dir.path().join("partners/acme.yaml")).unwrap(), b"x");
        // A file that is a link is replaced by nothing: refused, its target untouched.
        std::fs::write(outside.path().join("theirs.yaml"), "theirs").unwrap();
        std::os::unix::fs::symlink(outside.path().join("theirs.yaml"), dir.path().join("partners/b.yaml")).unwrap();
        let e = write(dir.path(), "partners/b.yaml", b"mine").unwrap_err();
        assert!(e.reason.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read(outside.path().join("theirs.yaml")).unwrap(), b"theirs");
        // A linked sub-folder, with folders that exist and do not.
        std::fs::create_dir(dir.path().join("products")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("products/emea")).unwrap();
        let e = write(dir.path(), "products/emea/x.yaml", b"x").unwrap_err();
        assert!(e.reason.contains("symbolic link"), "{e}");
        assert!(!outside.path().join("x.yaml").exists());
    }

    /// A batch with one refused path writes nothing at all: no file, no folder.
    #[cfg(unix)]
    #[test]
    fn a_refused_path_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path().join("program");
        assert!(write_all(&root, &[("partners/a.yaml", b"a"), ("partners/.git/x.yaml", b"x")]).is_err());
        assert!(write_all(&root, &[("partners/a.yaml", b"a"), ("dist/x.yaml", b"x")]).is_err());
        assert!(!root.exists());
        std::fs::create_dir(&root).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("products")).unwrap();
        let e = write_all(
            &root,
            &[
                ("partners/emea/a.yaml", b"a"),
                ("products/x/y.yaml", b"y"),
                ("terms/t.yaml", b"t"),
            ],
        )
        .unwrap_err();
        assert!(e.reason.contains("symbolic link"), "{e}");
        assert!(!root.join("partners").exists() && !root.join("terms").exists());
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
