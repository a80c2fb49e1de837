//! Backstage's software catalog: [`render`] writes the program as catalog entities (the
//! `backstage` target), so that the APIs' pages in Backstage show which partners consume
//! them. docs/backstage.md says how to register it.

pub mod render;

use super::{Format, Input};
use crate::output::{RenderError, RenderedFile};
use crate::spec::Target;

/// The `backstage` target in the table of [`super::FORMATS`].
pub const FORMAT: Format = Format {
    target: Target::Backstage,
    templates: &[],
    render: render_output,
    audit: None,
};

fn render_output(i: &Input) -> Result<Vec<RenderedFile>, RenderError> {
    render::render(i.program, i.today, i.environment, i.output, i.path)
}
