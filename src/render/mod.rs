//! Render: the partner portal, gateway configurations and the program's own templates, from
//! the resolved program (SPEC §7). Filled in by the render stage.

pub mod codeowners;
pub mod funnel_report;

use crate::model::Program;
use crate::spec::Date;

/// One rendered file, by path relative to the repository (or `--out-dir`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Why rendering could not finish.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{0}")]
    Output(String),
}

/// Renders every output listed in program.yaml, in the order listed.
pub fn render_all(_program: &Program, _today: Date) -> Result<Vec<RenderedFile>, RenderError> {
    Ok(Vec::new())
}
