//! Onboarding (SPEC §15): the path a partner moves along by asking. A request (from a file or
//! from a GitHub issue opened from one of the program's issue forms) becomes edits to the
//! working tree that the program's own rules check; the issue forms are an output; a
//! partner's status says where it stands and what blocks its next step. The lifecycle
//! commands ([`lifecycle`]) are the provider's side of the path: each edits the working tree
//! in place through the one format-preserving editor (`source::yaml_edit`), and either leaves
//! a program that `validate` accepts or refuses and writes nothing.
//!
//! It sits beside `plan` and `approvals` below the CLI: a request or a lifecycle command is
//! validated with the same rules as `validate` ([`crate::validate_snapshot`]), and the teams
//! it needs come from the program's approval rules. The `issue-forms` target ([`forms`]) is
//! rendered by the dispatcher like any output; it imports nothing above the model and the
//! encoders.

mod change;
mod describe;
mod draft;
pub mod forms;
pub mod github;
mod input;
pub mod lifecycle;
pub mod request;
