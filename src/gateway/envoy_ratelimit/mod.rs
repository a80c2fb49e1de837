//! Envoy's rate limit service (envoyproxy/ratelimit): the `envoy-ratelimit` target, its
//! file configuration for one environment (SPEC §7, §12). [`render`] builds the descriptors;
//! the file is the built-in template `envoy-ratelimit/config.yaml.j2`.

pub mod render;

use super::{Format, Input};
use crate::output::{RenderError, RenderedFile};
use crate::spec::Target;

/// The `envoy-ratelimit` target in the table of [`super::FORMATS`].
pub const FORMAT: Format = Format {
    target: Target::EnvoyRatelimit,
    templates: &[("envoy-ratelimit/config.yaml.j2", include_str!("config.yaml.j2"))],
    render: render_output,
    audit: None,
};

fn render_output(i: &Input) -> Result<Vec<RenderedFile>, RenderError> {
    let text = render::render(i.program, i.today, i.environment()?, i.output, i.templates)?;
    Ok(vec![RenderedFile::new(i.path, text)])
}
