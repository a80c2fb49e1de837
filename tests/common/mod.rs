//! Helpers shared by the integration tests: a copy of the bundled example in a temp dir,
//! and edits to it.
#![allow(dead_code)]

pub mod browser;
pub mod issue_form;
pub mod nginx;

use std::fs;
use std::path::{Path, PathBuf};

/// The date the bundled example is valid on.
pub const AS_OF: &str = "2026-11-01";

pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind")
}

/// A fresh copy of `examples/northwind` in a temp dir.
pub fn copy_example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&example_dir(), dir.path());
    dir
}

/// A fresh copy of `examples/northwind` with folders of `tests/fixtures/` laid over it.
pub fn copy_example_with(overlays: &[&str]) -> tempfile::TempDir {
    let dir = copy_example();
    for o in overlays {
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(o),
            dir.path(),
        );
    }
    dir
}

/// Copies a folder recursively, leaving out rendered `dist/` folders.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "dist" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Replaces the one occurrence of `from` in a file of the program.
pub fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(
        text.matches(from).count(),
        1,
        "{file} should contain {from:?} exactly once"
    );
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

pub fn write(dir: &Path, file: &str, content: impl AsRef<[u8]>) {
    let path = dir.join(file);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

pub fn as_of() -> partnerctl::spec::Date {
    partnerctl::spec::Date::parse(AS_OF).unwrap()
}
