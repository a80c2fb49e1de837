//! Render: the partner portal, gateway configurations and the program's own templates, from
//! the resolved program (SPEC §7). This is the last pure stage of the pipeline: it turns a
//! [`Program`] into [`RenderedFile`]s (paths and bytes) and never touches the disk; writing
//! them is [`write_files`], shared by `render` and `apply`.
//!
//! Every target is a minijinja template embedded in the binary (`templates/<target>/…`); a
//! program's own `templates/` folder overrides a built-in of the same path and feeds
//! `template:` outputs. Gateways see only what the program grants on the day rendered
//! ([`access`]); the portal sees only public facts ([`context::public`]).

pub mod access;
pub mod api_reference;
pub mod budget;
pub mod codeowners;
pub mod context;
pub mod data;
pub mod docs;

pub mod envoy;
pub mod filters;
pub mod funnel_report;
pub mod nginx;
pub mod templates;
mod validate;
mod write;

pub use validate::{Prerendered, check_and_render_outputs, check_outputs, runs_program_template};
pub use write::{
    TMP_PREFIX, TMP_SUFFIX, WriteReport, check_relative_path, output_root, remove_output, remove_temporaries,
    write_files,
};

use crate::model::Program;
use crate::spec::{Date, OutputSpec, Target};
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
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// Renders every output listed in program.yaml, in the order listed.
///
/// A `docs`, `envoy-gateway` or `kong-ingress` output yields many files below its `path` folder; every other
/// output yields one file at its `path`. `today` (the `--as-of` date) decides which terms versions are current
/// and which credentials are live; it is the only date that reaches the output, so the same
/// program and date render byte-identical files.
///
/// Fails without partial results when program.yaml did not load, an output path is absolute,
/// escapes the root or is produced twice, a gateway output lacks its `environment`, or a
/// template fails.
pub fn render_all(program: &Program, today: Date) -> Result<Vec<RenderedFile>, RenderError> {
    render_all_with_usage(program, today, None)
}

/// [`render_all`], with usage logs for the outputs that report on them (`funnel-report`).
pub fn render_all_with_usage(
    program: &Program,
    today: Date,
    usage: Option<&crate::report::usage::Usage>,
) -> Result<Vec<RenderedFile>, RenderError> {
    render_all_reusing(program, today, usage, Prerendered::default())
}

/// [`render_all_with_usage`], taking the outputs [`check_and_render_outputs`] rendered for
/// the same program and date instead of rendering them again.
pub fn render_all_reusing(
    program: &Program,
    today: Date,
    usage: Option<&crate::report::usage::Usage>,
    prerendered: Prerendered,
) -> Result<Vec<RenderedFile>, RenderError> {
    let files: Vec<RenderedFile> = render_each(program, today, usage, prerendered)?
        .into_iter()
        .flatten()
        .collect();
    check_paths(&files)?;
    Ok(files)
}

/// Each output of program.yaml rendered (or taken from `prerendered`), in `spec.outputs`
/// order; [`check_paths`] is left to the caller.
pub fn render_each(
    program: &Program,
    today: Date,
    usage: Option<&crate::report::usage::Usage>,
    prerendered: Prerendered,
) -> Result<Vec<Vec<RenderedFile>>, RenderError> {
    Ok(render_selected(program, today, usage, prerendered, |_| true)?
        .into_iter()
        .flatten()
        .collect())
}

/// [`render_each`] for the outputs `wanted` picks (by index); `None` for the others.
pub fn render_selected(
    program: &Program,
    today: Date,
    usage: Option<&crate::report::usage::Usage>,
    mut prerendered: Prerendered,
    wanted: impl Fn(usize) -> bool,
) -> Result<Vec<Option<Vec<RenderedFile>>>, RenderError> {
    let spec = program
        .spec()
        .ok_or_else(|| RenderError::Output("program.yaml did not load, so there is nothing to render".into()))?;
    let env = templates::environment(program)?;
    let mut out = Vec::with_capacity(spec.outputs.len());
    for (i, output) in spec.outputs.iter().enumerate() {
        let done = prerendered.take(i);
        out.push(match (wanted(i), done) {
            (false, _) => None,
            (true, Some(done)) => Some(done),
            (true, None) => Some(render_output_with_usage(program, output, today, &env, usage)?),
        });
    }
    Ok(out)
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

/// Renders one output of program.yaml.
pub fn render_output(
    program: &Program,
    output: &OutputSpec,
    today: Date,
    env: &minijinja::Environment<'static>,
) -> Result<Vec<RenderedFile>, RenderError> {
    render_output_with_usage(program, output, today, env, None)
}

/// [`render_output`], with usage logs for `funnel-report`.
pub fn render_output_with_usage(
    program: &Program,
    output: &OutputSpec,
    today: Date,
    env: &minijinja::Environment<'static>,
    usage: Option<&crate::report::usage::Usage>,
) -> Result<Vec<RenderedFile>, RenderError> {
    let path = normalize(&output.path);
    check_relative_path(&path)?;
    if let Some(template) = &output.template {
        let name = template
            .strip_prefix("templates/")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                RenderError::Output(format!(
                    "output `{}`: `template: {template}` must name a file under the program's templates/ folder",
                    output.path
                ))
            })?;
        if !program.snapshot.files.contains_key(template.as_str()) {
            return Err(RenderError::Output(format!(
                "output `{}`: template `{template}` does not exist",
                output.path
            )));
        }
        let ctx = context::full_value(program, today);
        let text = templates::render_value(env, name, ctx)?;
        return Ok(vec![RenderedFile::new(path, text)]);
    }
    let Some(target) = output.target else {
        return Err(RenderError::Output(format!(
            "output `{}` names neither a target nor a template",
            output.path
        )));
    };
    let environment = || {
        output.environment.ok_or_else(|| {
            RenderError::Output(format!(
                "output `{}`: the {} target needs an `environment`",
                output.path,
                target.as_str()
            ))
        })
    };
    let one = |text: String| Ok(vec![RenderedFile::new(path.clone(), text)]);
    match target {
        Target::Docs => docs::render(program, today, env, &path),
        Target::Kong => one(crate::gateway::kong::render::render(
            program,
            today,
            environment()?,
            output,
            env,
        )?),
        Target::Nginx => one(nginx::render(program, today, environment()?, output, env)?),
        Target::EnvoyRatelimit => one(envoy::render(program, today, environment()?, output, env)?),
        Target::Codeowners => one(codeowners::render(program)?),
        Target::KongIngress => {
            crate::gateway::kong_ingress::render::render(program, today, environment()?, output, &path)
        }
        Target::EnvoyGateway => {
            crate::gateway::envoy_gateway::render::render(program, today, environment()?, output, &path)
        }
        Target::FunnelReport => one(funnel_report::render_with_usage(program, today, usage)),
    }
}

/// `dist//docs/` → `dist/docs`; leaves anything suspicious for [`check_relative_path`].
pub(crate) fn normalize(path: &str) -> String {
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
