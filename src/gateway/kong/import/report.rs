//! What an import returns: the files it writes, what happens to each, the to-do list of
//! what the program cannot hold, and the options it takes.

use crate::spec::{Date, Environment, Kind};
use serde::Serialize;

/// The label every imported resource carries.
pub const LABEL: (&str, &str) = ("imported-from", "kong");

/// Why an import could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "cannot tell which environment {0} serves: it has no `environment:<env>` tag and the program has no single `kong` output; pass --environment"
    )]
    NoEnvironment(String),
}

/// What happens to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    /// An existing file, edited in place (`--merge`).
    Merge,
    /// An existing file that already says everything the gateway knows.
    Unchanged,
    /// An existing file (or a resource of that name elsewhere), left alone without `--merge`.
    Skip,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Merge => "merge",
            Action::Unchanged => "unchanged",
            Action::Skip => "skip",
        }
    }

    /// Whether the file is written.
    pub fn writes(self) -> bool {
        matches!(self, Action::Create | Action::Merge)
    }
}

/// One file the import writes (or would, or leaves).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedFile {
    /// Relative to the program repository.
    pub path: String,
    pub kind: Kind,
    pub name: String,
    /// The whole new text of the file (for `Create` and `Merge`).
    pub contents: String,
    pub action: Action,
    /// For `Merge`: what was added, one line each.
    pub added: Vec<String>,
}

/// Something the program does not say after the import: a fact of the gateway it cannot
/// hold, or a value a person must fill in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Todo {
    /// The Kong consumer it is about (as the gateway names it), if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
    /// Stable kebab-case kind: `secret-ref`, `acl-group`, `consumer-group`, `rate-limit`,
    /// `basic-auth-credential`, `jwt-credential`, `hmac-auth-credential`,
    /// `mtls-auth-credential`, `oauth2-credential`, `plugin`, `route`, `service`,
    /// `upstream`, `certificate`, …, `merge`, `difference`, `agreements`, `owner`,
    /// `http-route`; `merged` for what a merge copied that the program's rules flag
    /// (`validate`'s finding, or a subscription of a suspended partner, a made-up plan).
    pub kind: String,
    /// The program file it concerns, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub message: String,
    /// Where in the decK file (`file:line`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The files and the to-do list of an import.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    pub files: Vec<ImportedFile>,
    /// Sorted by consumer (facts of no consumer first), then kind.
    pub todo: Vec<Todo>,
    /// The environment of each decK file and where it came from.
    pub environments: Vec<(String, Environment, &'static str)>,
}

/// Options of an import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The environment of every file, instead of what each file's tags say.
    pub environment: Option<Environment>,
    /// The date written into histories and missing creation dates.
    pub today: Date,
    /// Add to existing files instead of leaving them alone.
    pub merge: bool,
    /// The owning team of every imported resource; default: the program's owner, else its
    /// first team, else `TODO` (which `validate` reports).
    pub owner: Option<String>,
}
