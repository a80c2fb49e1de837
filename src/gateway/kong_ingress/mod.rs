//! The Kong Ingress Controller (configuration.konghq.com): [`render`] (the program → the
//! `kong-ingress` target's manifests, SPEC §12), [`audit`] (the program against a
//! `kubectl get -o yaml` list of them).

pub mod audit;
pub mod render;

use super::{Format, Input};
use crate::output::{RenderError, RenderedFile};
use crate::spec::Target;

/// The `kong-ingress` target in the table of [`super::FORMATS`].
pub const FORMAT: Format = Format {
    target: Target::KongIngress,
    templates: &[],
    render: render_output,
    audit: Some(audit::audit),
};

fn render_output(i: &Input) -> Result<Vec<RenderedFile>, RenderError> {
    render::render(i.program, i.today, i.environment()?, i.output, i.path)
}
