//! The template engine: the minijinja environment, with the built-in templates its callers
//! hand it (the portal's and each gateway's, embedded in the binary), the program's own
//! `templates/` laid over them, the filters of [`filters`], the budgets of [`budget`] and
//! the lazily read data of [`data`]. It sits below every renderer: it knows no target.
//!
//! Template names are paths below `templates/`: the built-in portal layout is
//! `docs/base.html.j2`, and a program that ships `templates/docs/base.html.j2` replaces it
//! for every page that extends it. A `template:` output names its file the same way.

pub mod budget;
pub mod data;
pub mod filters;

use crate::model::Program;
use crate::output::RenderError;
use crate::source::Entry;
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The program's templates (below `templates/`), by name without that prefix.
fn program_templates(program: &Program) -> Result<BTreeMap<String, String>, RenderError> {
    let mut out = BTreeMap::new();
    for (path, entry) in program.snapshot.files.range("templates/".to_string()..) {
        let Some(name) = path.strip_prefix("templates/") else {
            break;
        };
        let Entry::Bytes(bytes) = entry else { continue };
        let text = String::from_utf8(bytes.bytes().into_owned()).map_err(|_| RenderError::Template {
            name: path.clone(),
            message: "is not UTF-8 text".into(),
        })?;
        out.insert(name.to_string(), text);
    }
    Ok(out)
}

/// The escaping a template gets, by the extension of the file it writes (its name without
/// `.j2`/`.jinja`): `.html`/`.htm`/`.xml` HTML, `.csv` CSV fields, `.json`/`.yaml`/`.yml`
/// JSON (a JSON scalar is a YAML scalar too), `.conf` NGINX tokens, `.md` Markdown text;
/// anything else none. A value meets its format here, so a program's template cannot forget
/// to encode it (SPEC §9). Built-in templates the program does not replace are HTML for the
/// portal and none for the gateways: their values arrive encoded or serialized by the Rust
/// that renders them.
fn auto_escape(name: &str, overridden: bool, builtins: &[(&str, &str)]) -> AutoEscape {
    let builtin = !overridden && builtins.iter().any(|(n, _)| *n == name);
    let name = name
        .strip_suffix(".j2")
        .or_else(|| name.strip_suffix(".jinja"))
        .unwrap_or(name);
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" | "xml" => AutoEscape::Html,
        _ if builtin => AutoEscape::None,
        "csv" => AutoEscape::Custom("csv".into()),
        "json" | "yaml" | "yml" => AutoEscape::Json,
        "conf" => AutoEscape::Custom("nginx".into()),
        "md" => AutoEscape::Custom("markdown".into()),
        _ => AutoEscape::None,
    }
}

/// The environment every output renders with: the program's templates first, then the
/// built-ins; trailing newlines kept, and block tags on a line of their own leave no blank
/// line (`trim_blocks` and `lstrip_blocks`, as configuration generators usually set them).
///
/// `builtins` are the built-in templates of every renderer, by name.
pub fn environment(
    program: &Program,
    builtins: &[&'static [(&'static str, &'static str)]],
) -> Result<Environment<'static>, RenderError> {
    let overrides = Arc::new(program_templates(program)?);
    let builtins: Arc<Vec<(&'static str, &'static str)>> =
        Arc::new(builtins.iter().flat_map(|b| b.iter().copied()).collect());
    let escape_builtins = Arc::clone(&builtins);
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(|e| RenderError::Template {
            name: "(syntax)".into(),
            message: e.to_string(),
        })?;
    env.set_syntax(syntax);
    let names: Arc<Vec<String>> = Arc::new(overrides.keys().cloned().collect());
    env.set_auto_escape_callback(move |name: &str| {
        auto_escape(name, names.iter().any(|n| n == name), &escape_builtins)
    });
    env.set_formatter(formatter);
    env.set_loader(move |name: &str| {
        if let Some(text) = overrides.get(name) {
            return Ok(Some(text.clone()));
        }
        Ok(builtins.iter().find(|(n, _)| *n == name).map(|(_, t)| t.to_string()))
    });
    env.add_filter("markdown", |s: &str| filters::markdown(s));
    env.add_filter("json", filters::json);
    env.add_filter("yaml", filters::yaml);
    env.add_filter("slug", |s: &str| filters::slug(s));
    env.add_filter("date", filters::date);
    let limits = program.spec().map(|s| s.limits.clone()).unwrap_or_default();
    budget::install(&mut env, budget::TemplateBudget::from_limits(&limits));
    Ok(env)
}

/// Writes a value under its template's escaping (see [`auto_escape`]).
///
/// HTML, CSV, NGINX and Markdown use the encoders of [`crate::encode`]; a value NGINX cannot
/// carry fails the render, naming it.
fn formatter(out: &mut minijinja::Output, state: &mut minijinja::State, value: &Value) -> Result<(), minijinja::Error> {
    let write = |out: &mut minijinja::Output, s: &str| {
        out.write_str(s)
            .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
    };
    let custom = match state.auto_escape() {
        AutoEscape::Custom(c) => Some(c.clone()),
        _ => None,
    };
    if let Some(kind) = custom
        .clone()
        .filter(|_| !value.is_safe() && !value.is_undefined() && !value.is_none())
    {
        // Numbers, booleans and lists are written as they print, straight into the bounded
        // output (never first into a string of their own); only text needs encoding.
        let Some(text) = value.as_str() else {
            return std::fmt::Write::write_fmt(out, format_args!("{value}"))
                .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()));
        };
        let encoded = match kind.as_ref() {
            "csv" => crate::encode::csv::field(text),
            "markdown" => crate::encode::markdown::text(text),
            "nginx" => crate::encode::nginx::arg(text)
                .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.0))?,
            _ => text.to_string(),
        };
        return write(out, &encoded);
    }
    if custom.is_some() {
        return if value.is_safe() {
            write(out, &value.to_string())
        } else {
            Ok(())
        };
    }
    if !matches!(state.auto_escape(), AutoEscape::Html) || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    if value.is_undefined() {
        return Ok(());
    }
    let failed = |e: std::fmt::Error| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string());
    if let Some(s) = value.as_str() {
        return out.write_str(&crate::encode::html::escape(s)).map_err(failed);
    }
    // Anything else is written piece by piece, each piece escaped, into the bounded output:
    // a list that holds one long string many times never becomes one string here.
    struct Escaping<'o, 'w>(&'o mut minijinja::Output<'w>);
    impl std::fmt::Write for Escaping<'_, '_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.write_str(&crate::encode::html::escape(s))
        }
    }
    std::fmt::Write::write_fmt(&mut Escaping(out), format_args!("{value}")).map_err(failed)
}

/// Renders template `name` with a JSON context, under the budget of SPEC §9 (fuel, time,
/// output size, on a thread with a large stack: see [`budget`]).
pub fn render(env: &Environment<'static>, name: &str, ctx: serde_json::Value) -> Result<String, RenderError> {
    budget::render(env, name, data::Data::value(ctx))
}

/// [`render`] with a context that is a template value already (a `template:` output's
/// partners, [`crate::portal::context::full_value`]).
pub fn render_value(env: &Environment<'static>, name: &str, ctx: Value) -> Result<String, RenderError> {
    budget::render(env, name, ctx)
}

#[cfg(test)]
mod tests;
