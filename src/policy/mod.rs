//! Policy: the program's rules as Rego (SPEC §6), built-in pack and the program's own.
//! Filled in by the policy stage.

use crate::diag::Diagnostic;
use crate::model::Program;
use crate::spec::Date;

/// Runs the built-in pack and the program's `policies/*.rego` over the program; `changes` is
/// the plan's change set (as in `plan --format json`) when called from `plan`.
pub fn evaluate(_program: &Program, _today: Date, _changes: Option<&serde_json::Value>) -> Vec<Diagnostic> {
    Vec::new()
}
