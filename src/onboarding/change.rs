//! What a request changes: the files it writes, and why it could not be judged at all.

use serde::Serialize;

/// A file the request writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileChange {
    /// Relative to the repository root.
    pub path: String,
    pub action: FileAction,
    /// The whole new content.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileAction {
    Create,
    Update,
}

impl FileAction {
    pub fn as_str(self) -> &'static str {
        match self {
            FileAction::Create => "create",
            FileAction::Update => "update",
        }
    }
}

/// Why a request could not be judged at all (as opposed to a refusal).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("program.yaml does not load{0}; run `partnerctl validate`")]
    Program(String),
    /// A file the request edits cannot be edited in place (an anchor, a block scalar).
    #[error("{0}")]
    Edit(String),
}
