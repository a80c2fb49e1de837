//! A request as read (SPEC §15.2), before anything judges it: the Request document as JSON,
//! where it came from (a Request file or a GitHub event), and the findings about it, each
//! naming the request field at fault. The other parts of `onboarding` share these types.

use crate::diag::{Code, Diagnostic, Location, Severity};
use crate::source::yaml::{self, Pos, Positions, YamlDoc};
use serde::Serialize;
use serde_json::Value;

/// A finding about a request: the diagnostic, and the request field at fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestDiagnostic {
    /// The path of the request field at fault (`spec.accept[0].textSha256`); `null` when no
    /// field is (the program already fails `validate`, the file does not parse).
    pub field: Option<String>,
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
}

/// A request as read: the Request document as JSON, where it came from, and what reading it
/// refused already.
#[derive(Clone, Debug)]
pub struct Input {
    pub value: Value,
    pub origin: Origin,
    pub refusals: Vec<RequestDiagnostic>,
}

/// Where a request came from, to place its findings.
#[derive(Clone, Debug)]
pub enum Origin {
    /// A Request file: findings point at the field's line.
    File { file: String, doc: Box<YamlDoc> },
    /// A GitHub event: findings point at the body in the payload.
    Event { file: String, at: Pos },
}

impl Origin {
    pub fn file(&self) -> &str {
        match self {
            Origin::File { file, .. } | Origin::Event { file, .. } => file,
        }
    }

    /// Where the request field at `pointer` is written (or what stands for it).
    pub fn at(&self, pointer: &str) -> Location {
        match self {
            Origin::File { file, doc } => {
                let p = doc.pos(pointer);
                Location::new(file.clone(), p.line, p.column)
            }
            Origin::Event { file, at } => Location::new(file.clone(), at.line, at.column),
        }
    }

    /// A refusal of a request field: an error, whatever the code's usual severity (an
    /// outdated version is a warning in a program, and a reason to refuse in a request).
    pub fn finding(&self, code: Code, pointer: &str, message: impl Into<String>) -> RequestDiagnostic {
        RequestDiagnostic {
            field: Some(field_of(pointer)),
            diagnostic: Diagnostic::new(code, &self.at(pointer), message).with_severity(Severity::Error),
        }
    }
}

/// `/spec/subscriptions/1/plan` → `spec.subscriptions[1].plan`; the root → `spec`.
pub fn field_of(pointer: &str) -> String {
    let mut s = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            s.push_str(&format!("[{seg}]"));
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(&seg);
        }
    }
    if s.is_empty() { "spec".into() } else { s }
}

/// Reads a Request file, YAML or JSON (JSON is read as the YAML it is).
pub fn read_file(file: &str, bytes: &[u8]) -> Input {
    match yaml::parse(file, bytes) {
        Ok(doc) => Input {
            value: doc.value.clone(),
            origin: Origin::File {
                file: file.to_string(),
                doc: Box::new(doc),
            },
            refusals: Vec::new(),
        },
        Err(d) => Input {
            value: Value::Null,
            origin: Origin::File {
                file: file.to_string(),
                doc: Box::new(YamlDoc {
                    value: Value::Null,
                    positions: Positions::default(),
                }),
            },
            refusals: vec![RequestDiagnostic {
                field: None,
                diagnostic: d,
            }],
        },
    }
}
