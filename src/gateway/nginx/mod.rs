//! NGINX: the `nginx` target, an `http`-level include for one environment (SPEC §7, §12).
//! [`render`] builds its context from the program's access view; the include itself is the
//! built-in template `nginx/nginx.conf.j2`, every value written through
//! [`crate::encode::nginx`].

pub mod render;

use super::{Format, Input};
use crate::output::{RenderError, RenderedFile};
use crate::spec::Target;

/// The `nginx` target in the table of [`super::FORMATS`].
pub const FORMAT: Format = Format {
    target: Target::Nginx,
    templates: &[("nginx/nginx.conf.j2", include_str!("nginx.conf.j2"))],
    render: render_output,
    audit: None,
};

fn render_output(i: &Input) -> Result<Vec<RenderedFile>, RenderError> {
    let text = render::render(i.program, i.today, i.environment()?, i.output, i.templates)?;
    Ok(vec![RenderedFile::new(i.path, text)])
}
