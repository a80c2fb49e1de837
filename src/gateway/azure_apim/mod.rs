//! Azure API Management, as ARM templates: [`render`] (the program → the `azure-apim`
//! target's template and Key Vault parameters file, one environment), [`policy`] (a plan's
//! limits as product policy XML, and read back), [`names`] (what each resource and
//! parameter is called), [`read`] (an exported or rendered template → what the gateway
//! holds), [`audit`] (the program against it; the report types are
//! [`crate::gateway::audit`]). docs/azure.md says how to deploy it.

pub mod audit;
pub mod names;
pub mod policy;
pub mod read;
pub mod render;

pub use read::{Export, parse};

use super::{Format, Input};
use crate::model::Program;
use crate::output::{RenderError, RenderedFile};
use crate::spec::{Environment, Target};
use std::collections::BTreeSet;

/// The `azure-apim` target in the table of [`super::FORMATS`].
pub const FORMAT: Format = Format {
    target: Target::AzureApim,
    templates: &[],
    render: render_output,
    audit: None,
};

fn render_output(i: &Input) -> Result<Vec<RenderedFile>, RenderError> {
    render::render(i.program, i.today, i.environment()?, i.output, i.path)
}

/// The environment an export serves: `--environment`, else the template's own metadata
/// (what the target writes), else the environment of the program's `azure-apim` outputs
/// when they all name the same one.
pub fn environment(
    flag: Option<Environment>,
    export: &Export,
    program: &Program,
) -> Option<(Environment, super::kong::EnvironmentSource)> {
    use super::kong::EnvironmentSource;
    if let Some(e) = flag {
        return Some((e, EnvironmentSource::Flag));
    }
    if let Some(e) = export.environment {
        return Some((e, EnvironmentSource::Metadata));
    }
    let targets: BTreeSet<Environment> = program
        .spec()
        .into_iter()
        .flat_map(|s| s.outputs.iter())
        .filter(|o| o.target == Some(Target::AzureApim))
        .filter_map(|o| o.environment)
        .collect();
    match targets.len() {
        1 => targets.into_iter().next().map(|e| (e, EnvironmentSource::Program)),
        _ => None,
    }
}
