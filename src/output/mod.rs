//! Rendered files and writing them: what every renderer returns ([`RenderedFile`]), why a
//! render can fail ([`RenderError`]), and the atomic writer ([`write`]) that `render` and
//! `apply` share. It sits below every renderer (the portal, each gateway, the dispatcher of
//! [`crate::render`]), so none of them needs another to name its result.

mod write;

pub use write::{
    Staging, TMP_PREFIX, TMP_SUFFIX, WriteReport, check_relative_path, output_root, remove_output, remove_temporaries,
    temporaries, write_files,
};

use std::collections::BTreeSet;

/// One rendered file, by path relative to the repository (or `--out-dir`), `/`-separated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl RenderedFile {
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        RenderedFile {
            path: path.into(),
            bytes: bytes.into(),
        }
    }
}

/// Why rendering (or writing) could not finish. Nothing is written when rendering fails.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// An output cannot be rendered (no program, a missing environment, a bad template path).
    #[error("{0}")]
    Output(String),
    /// An output path is absolute, escapes the root, or is written twice.
    #[error("output path `{path}`: {reason}")]
    Path { path: String, reason: String },
    /// A template failed to load or render.
    #[error("template `{name}`: {message}")]
    Template { name: String, message: String },
    /// A template exceeded its budget (SPEC §9 "Limits"): fuel, time, output size, value
    /// depth or recursion. Reported as `output-invalid` naming the template.
    #[error("output-invalid: template `{name}` exceeds its budget: {what}")]
    Budget { name: String, what: String },
    /// An API description the portal cannot write within its budget (SPEC §9 "Limits"):
    /// the description is at fault, not the built-in template, so it is reported as
    /// `openapi-invalid` at the description's file and the line where it ran out.
    #[error("openapi-invalid: {file}:{line}: {message}")]
    Description { file: String, line: usize, message: String },
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// Fails when a rendered path is absolute, escapes the root, or is written twice.
pub fn check_paths(files: &[RenderedFile]) -> Result<(), RenderError> {
    let mut seen = BTreeSet::new();
    for f in files {
        check_relative_path(&f.path)?;
        if !seen.insert(f.path.as_str()) {
            return Err(RenderError::Path {
                path: f.path.clone(),
                reason: "two outputs write this file".into(),
            });
        }
    }
    Ok(())
}

/// `dist//docs/` → `dist/docs`; leaves anything suspicious for [`check_relative_path`].
pub fn normalize(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    let mut out = String::with_capacity(trimmed.len());
    for part in trimmed.split('/') {
        if part.is_empty() && !out.is_empty() {
            continue;
        }
        if part == "." {
            continue;
        }
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(part);
    }
    if trimmed.starts_with('/') && !out.starts_with('/') {
        format!("/{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize("dist/docs/"), "dist/docs");
        assert_eq!(normalize("./dist//a.yaml"), "dist/a.yaml");
        assert_eq!(normalize("/etc/x"), "/etc/x");
    }
}
