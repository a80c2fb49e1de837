//! Kong, as decK declarative files: [`model`] (the entities, shared by all below), [`read`]
//! (a decK file → model, with positions), [`render`] (the program → the `kong` target's
//! file), [`mapping`] (which Kong name is which program name), [`import`] (a decK file →
//! program files, new or merged), [`audit`] (the program against a decK dump; the report types are [`crate::gateway::audit`]).

pub mod audit;
pub mod import;
pub mod mapping;
pub mod model;
pub mod read;
pub mod render;

pub use model::Deck;
pub use read::{DeckError, parse, read};

use super::{Format, Input};
use crate::model::Program;
use crate::output::{RenderError, RenderedFile};
use crate::spec::{Environment, Target};
use std::collections::BTreeSet;

/// The `kong` target in the table of [`super::FORMATS`].
pub const FORMAT: Format = Format {
    target: Target::Kong,
    templates: &[("kong/kong.yaml.j2", include_str!("kong.yaml.j2"))],
    render: render_output,
    audit: None,
};

fn render_output(i: &Input) -> Result<Vec<RenderedFile>, RenderError> {
    let text = render::render(i.program, i.today, i.environment()?, i.output, i.templates)?;
    Ok(vec![RenderedFile::new(i.path, text)])
}

/// Where the environment of a decK file came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvironmentSource {
    /// `--environment`.
    Flag,
    /// The file's tags (`environment:<env>`, the `kong` target's select tag).
    Tags,
    /// The `partnerctl.dev/environment` label of Kubernetes manifests.
    Labels,
    /// The program's only output of the gateway's target.
    Program,
    /// The `metadata.environment` of an API Management template.
    Metadata,
}

impl EnvironmentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EnvironmentSource::Flag => "--environment",
            EnvironmentSource::Tags => "tags",
            EnvironmentSource::Labels => "labels",
            EnvironmentSource::Program => "program",
            EnvironmentSource::Metadata => "metadata",
        }
    }
}

/// The environment a decK file serves: `--environment`, else the file's tags, else the
/// environment of the program's `kong` outputs when they all name the same one. The file's
/// name is never guessed from.
pub fn environment(
    flag: Option<Environment>,
    deck: &Deck,
    program: &Program,
) -> Option<(Environment, EnvironmentSource)> {
    if let Some(e) = flag {
        return Some((e, EnvironmentSource::Flag));
    }
    if let Some(e) = deck.environment {
        return Some((e, EnvironmentSource::Tags));
    }
    let targets: BTreeSet<Environment> = program
        .spec()
        .into_iter()
        .flat_map(|s| s.outputs.iter())
        .filter(|o| o.target == Some(Target::Kong))
        .filter_map(|o| o.environment)
        .collect();
    match targets.len() {
        1 => targets.into_iter().next().map(|e| (e, EnvironmentSource::Program)),
        _ => None,
    }
}
