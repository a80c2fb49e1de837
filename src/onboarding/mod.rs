//! Self-service onboarding (SPEC §15): what moves a partner along its path. The lifecycle
//! commands ([`lifecycle`]) are the provider's side of it: each edits the working tree in
//! place through the one format-preserving editor (`source::yaml_edit`), and either leaves a
//! program that `validate` accepts or refuses and writes nothing. This stage sits above the
//! checks it asks (it validates the edited program in memory) and below the CLI.

pub mod lifecycle;
