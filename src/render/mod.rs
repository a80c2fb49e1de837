//! Render: the dispatcher that runs every output of `program.yaml` (SPEC §7). It turns a
//! [`Program`] into [`RenderedFile`]s (paths and bytes) and never touches the disk; writing
//! them is [`crate::output::write_files`], shared by `render` and `apply`.
//!
//! It sits above what it dispatches to: the portal ([`crate::portal`]), each gateway
//! through its row of [`crate::gateway::FORMATS`], the CODEOWNERS file
//! ([`crate::approvals::codeowners`]), the funnel report ([`crate::visibility::report`]), the
//! issue forms ([`crate::onboarding::forms`]) and the program's own `template:` outputs, all
//! of which render through the template engine ([`crate::template`]) or a serializer. A
//! program's `templates/` folder overrides a built-in template of the same path. Gateways see
//! only what the program grants on the day rendered ([`crate::access`]); the portal sees only
//! public facts ([`crate::portal::public`]).
//! `validate.rs` is `output-invalid`: what `validate` checks of the outputs.

mod validate;

pub use validate::{Prerendered, check_and_render_outputs, check_outputs, runs_program_template};

use crate::gateway;
use crate::model::Program;
use crate::output::{RenderError, RenderedFile, check_paths, check_relative_path, normalize};
use crate::spec::{Date, OutputSpec, Target};
use crate::visibility::usage::Usage;
use crate::{approvals, onboarding, portal, template, visibility};

/// The template engine with every built-in template (the portal's and each gateway's) and
/// the program's own `templates/` laid over them.
pub fn environment(program: &Program) -> Result<minijinja::Environment<'static>, RenderError> {
    let mut builtins = vec![portal::TEMPLATES];
    builtins.extend(gateway::FORMATS.iter().map(|f| f.templates));
    template::environment(program, &builtins)
}

/// The built-in template folder of a target (`docs/`, `nginx/`), when it renders through
/// templates: a program's templates below it replace the built-ins.
pub fn template_folder(target: Target) -> Option<&'static str> {
    match target {
        Target::Docs => Some("docs/"),
        other => gateway::template_folder(other),
    }
}

/// Renders every output listed in program.yaml, in the order listed.
///
/// A `docs`, `envoy-gateway`, `kong-ingress` or `backstage` output yields many files below its `path` folder;
/// an `azure-apim` output its template at `path` and the parameters file beside it; every other
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
    usage: Option<&Usage>,
) -> Result<Vec<RenderedFile>, RenderError> {
    render_all_reusing(program, today, usage, Prerendered::default())
}

/// [`render_all_with_usage`], taking the outputs [`check_and_render_outputs`] rendered for
/// the same program and date instead of rendering them again.
pub fn render_all_reusing(
    program: &Program,
    today: Date,
    usage: Option<&Usage>,
    prerendered: Prerendered,
) -> Result<Vec<RenderedFile>, RenderError> {
    let files: Vec<RenderedFile> = render_each(program, today, usage, prerendered)?
        .into_iter()
        .flatten()
        .collect();
    check_paths(&files)?;
    Ok(files)
}

/// [`render_all_reusing`], handing each output's files to `each` as soon as they are
/// rendered, in `spec.outputs` order, instead of collecting them: a caller that writes them
/// as they come holds one output's files at a time, not every output's at once. Stops at the
/// first output that fails; [`check_paths`] is left to `each`.
pub fn render_streamed(
    program: &Program,
    today: Date,
    usage: Option<&Usage>,
    mut prerendered: Prerendered,
    mut each: impl FnMut(Vec<RenderedFile>),
) -> Result<(), RenderError> {
    let spec = program
        .spec()
        .ok_or_else(|| RenderError::Output("program.yaml did not load, so there is nothing to render".into()))?;
    let env = environment(program)?;
    for (i, output) in spec.outputs.iter().enumerate() {
        let files = match prerendered.take(i) {
            Some(done) => done,
            None => render_output_with_usage(program, output, today, &env, usage)?,
        };
        each(files);
    }
    Ok(())
}

/// Each output of program.yaml rendered (or taken from `prerendered`), in `spec.outputs`
/// order; [`check_paths`] is left to the caller.
pub fn render_each(
    program: &Program,
    today: Date,
    usage: Option<&Usage>,
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
    usage: Option<&Usage>,
    mut prerendered: Prerendered,
    wanted: impl Fn(usize) -> bool,
) -> Result<Vec<Option<Vec<RenderedFile>>>, RenderError> {
    let spec = program
        .spec()
        .ok_or_else(|| RenderError::Output("program.yaml did not load, so there is nothing to render".into()))?;
    let env = environment(program)?;
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
    usage: Option<&Usage>,
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
        let ctx = portal::context::full_value(program, today);
        let text = template::render_value(env, name, ctx)?;
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
    match target {
        Target::Docs => portal::pages::render(program, today, env, &path),
        Target::Codeowners => Ok(vec![RenderedFile::new(path, approvals::codeowners::render(program)?)]),
        Target::IssueForms => onboarding::forms::render(program, today, &path),
        Target::FunnelReport => Ok(vec![RenderedFile::new(
            path,
            visibility::report::render_with_usage(program, today, usage),
        )]),
        gateway_target => {
            let format = gateway::format(gateway_target)
                .ok_or_else(|| RenderError::Output(format!("output `{}`: no renderer for this target", output.path)))?;
            let environment = if gateway_target.needs_environment() {
                Some(environment()?)
            } else {
                output.environment
            };
            (format.render)(&gateway::Input {
                program,
                today,
                environment,
                output,
                path: &path,
                templates: env,
            })
        }
    }
}
