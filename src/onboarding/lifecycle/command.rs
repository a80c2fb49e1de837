//! The lifecycle commands' vocabulary: what a command asks ([`Command`]), what it did or why
//! it refused ([`Outcome`]), and the checks every untrusted argument passes before it reaches
//! a path or a file.

use crate::diag::{Diagnostic, Severity};
use crate::source::yaml_edit::EditError;
use crate::spec::{Date, Environment, Stage};

/// The longest text a command writes into a one-line field (`--display-name`,
/// `--signed-by`); a reference or URL may be longer.
pub const MAX_TEXT: usize = 256;
/// The longest `--secret-ref` or `--evidence`.
pub const MAX_REF: usize = 2048;

/// How an acceptance was given (`agreements[].method`, SPEC §15.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    ClickThrough,
    IssueForm,
    ESignature,
    Countersigned,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::ClickThrough => "click-through",
            Method::IssueForm => "issue-form",
            Method::ESignature => "e-signature",
            Method::Countersigned => "countersigned",
        }
    }
}

/// One lifecycle command and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    New {
        name: String,
        display_name: String,
        owner: Option<String>,
    },
    Move {
        partner: String,
        to: Stage,
    },
    Suspend {
        partner: String,
    },
    Offboard {
        partner: String,
    },
    Reinstate {
        partner: String,
    },
    Subscribe {
        partner: String,
        product: String,
        plan: String,
        environment: Environment,
    },
    Unsubscribe {
        partner: String,
        product: String,
        plan: String,
        environment: Environment,
    },
    Accept {
        partner: String,
        terms: String,
        version: String,
        signed_by: String,
        method: Option<Method>,
        evidence: Option<String>,
    },
    Issue {
        partner: String,
        environment: Environment,
        expires: Option<Date>,
        secret_ref: String,
    },
    Rotate {
        id: String,
        secret_ref: String,
        expires: Option<Date>,
    },
    Revoke {
        id: String,
    },
}

impl Command {
    /// The command as typed: `partner suspend`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::New { .. } => "partner new",
            Command::Move { .. } => "partner move",
            Command::Suspend { .. } => "partner suspend",
            Command::Offboard { .. } => "partner offboard",
            Command::Reinstate { .. } => "partner reinstate",
            Command::Subscribe { .. } => "partner subscribe",
            Command::Unsubscribe { .. } => "partner unsubscribe",
            Command::Accept { .. } => "partner accept",
            Command::Issue { .. } => "credential issue",
            Command::Rotate { .. } => "credential rotate",
            Command::Revoke { .. } => "credential revoke",
        }
    }
}

/// Whether a file is created or edited: the same as a request's.
pub use crate::onboarding::change::FileAction;

/// A file the command writes.
#[derive(Clone, Debug)]
pub struct FileChange {
    /// Relative to the repository root.
    pub path: String,
    pub action: FileAction,
    pub contents: String,
}

/// A finding of `validate` on the edited program, and whether the program had it already.
#[derive(Clone, Debug)]
pub struct Finding {
    pub diagnostic: Diagnostic,
    /// The program as read had the same finding: the change did not cause it.
    pub before: bool,
}

/// What a command did, or why it did nothing.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The partner the command is about, once known.
    pub partner: Option<String>,
    /// The files to write; empty when refused.
    pub files: Vec<FileChange>,
    /// What the change does, one sentence each.
    pub done: Vec<String>,
    /// Why the command was refused before any edit, one sentence each.
    pub reasons: Vec<String>,
    /// `validate` on the edited program: errors refuse the change, warnings are shown.
    pub findings: Vec<Finding>,
    /// The id of the credential `credential issue` or `rotate` adds.
    pub credential: Option<String>,
}

impl Outcome {
    /// Whether the change may be written.
    pub fn ok(&self) -> bool {
        self.reasons.is_empty() && !self.findings.iter().any(|f| f.diagnostic.severity == Severity::Error)
    }
}

/// A refusal of the command before any edit.
pub(super) struct Refused(pub(super) Vec<String>);

impl From<EditError> for Refused {
    fn from(e: EditError) -> Refused {
        Refused(vec![e.to_string()])
    }
}

pub(super) fn refuse<T>(why: impl Into<String>) -> Result<T, Refused> {
    Err(Refused(vec![why.into()]))
}

/// A value as it may be shown in a message: escaped, and cut short.
pub(super) fn shown(s: &str) -> String {
    let cut: String = s.chars().take(80).collect();
    let mut t = crate::encode::text::escape(&cut).into_owned();
    if cut.len() < s.len() {
        t.push('…');
    }
    t
}

pub(super) fn check_name(what: &str, name: &str) -> Result<(), Refused> {
    if crate::source::paths::is_valid_folder_name(name) {
        Ok(())
    } else {
        refuse(format!(
            "`{}` is not a valid {what} name: lower-case letters, digits and dashes, at most 63, starting and ending with a letter or digit",
            shown(name)
        ))
    }
}

/// One line of text for a field: no control character, no line break, not too long.
pub(super) fn check_text(flag: &str, text: &str) -> Result<(), Refused> {
    if text.trim().is_empty() {
        return refuse(format!("{flag} is empty"));
    }
    if text.chars().count() > MAX_TEXT {
        return refuse(format!("{flag} is longer than {MAX_TEXT} characters"));
    }
    if text
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return refuse(format!(
            "{flag} holds a line break or control character; it is one line of text"
        ));
    }
    Ok(())
}

/// A `secretRef`: a URL-like reference (`vault://…`), never a secret itself.
pub(super) fn check_secret_ref(secret_ref: &str) -> Result<(), Refused> {
    if secret_ref.len() > MAX_REF {
        return refuse(format!("--secret-ref is longer than {MAX_REF} characters"));
    }
    // The value is never repeated: it may be the very key it should only point at.
    if let Some(what) = crate::model::secrets::looks_like_secret(secret_ref) {
        return refuse(format!(
            "--secret-ref looks like {what}, not a reference to one; pass where the key is kept (`vault://partners/<partner>/<id>`), never the key, and rotate the key if it was real"
        ));
    }
    let re = regex::Regex::new(r"^[a-z][a-z0-9+.-]*://\S+$").expect("a valid pattern");
    if !re.is_match(secret_ref) || secret_ref.chars().any(char::is_control) {
        return refuse(
            "--secret-ref is not a reference like `vault://partners/<partner>/<id>` (a scheme, `://`, no spaces)",
        );
    }
    Ok(())
}

pub(super) fn check_https(flag: &str, url: &str) -> Result<(), Refused> {
    let re = regex::Regex::new(crate::spec::URL_PATTERN).expect("a valid pattern");
    if url.len() > MAX_REF || !re.is_match(url) || !url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://")) {
        return refuse(format!("{flag} is not an https:// URL"));
    }
    if crate::model::secrets::looks_like_secret(url).is_some() {
        return refuse(format!(
            "{flag} carries what looks like a key or token; link to the evidence without it"
        ));
    }
    Ok(())
}
