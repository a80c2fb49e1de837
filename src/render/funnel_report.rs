//! The `funnel-report` target: an internal HTML page with the onboarding funnel.

use crate::model::Program;
use crate::spec::Date;

/// Renders the funnel report page.
pub fn render(_program: &Program, _today: Date) -> String {
    String::new()
}
