//! Self-service onboarding (SPEC §15): what moves a partner along its path, and where it
//! stands. A partner's request (from a file, or from a GitHub issue opened from one of the
//! program's issue forms, [`request`], [`github`]) and the provider's lifecycle commands
//! ([`lifecycle`]) edit the working tree through the one format-preserving editor
//! (`source::yaml_edit`), and either leave a program that `validate` accepts or refuse and
//! write nothing; the issue forms are an output ([`forms`]).
//!
//! It sits below the CLI and above the checks it asks (an edited program is validated in
//! memory, [`crate::validate_snapshot`]) and the approval rules that name the teams a request
//! needs. The `issue-forms` target is rendered by the dispatcher like any output; it imports
//! nothing above the model and the encoders.

mod change;
mod describe;
mod draft;
pub mod forms;
pub mod github;
mod input;
mod judge;
pub mod lifecycle;
mod partner_file;
pub mod request;
pub mod status;
