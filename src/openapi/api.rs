//! What partnerctl reads of a description: the bundled document, its operations (method,
//! path, tags, parameters, bodies) and the endpoint paths they become.

use crate::spec::{EndpointSpec, Method};
use serde_json::Value;
use std::sync::Arc;

/// One API description, bundled and read.
#[derive(Clone, Debug, PartialEq)]
pub struct Api {
    /// The file, `apis/shipments.yaml`.
    pub file: String,
    /// The `openapi` field: `3.0.4`, `3.1.0`.
    pub openapi: String,
    pub title: String,
    pub version: String,
    /// `info.description` (Markdown).
    pub description: String,
    /// The document with every file `$ref` inlined; `#/...` references kept.
    pub doc: Value,
    /// Every operation, in the order the paths and methods are written.
    pub operations: Vec<Operation>,
    /// Tags in the order `tags` lists them, then any others in order of first use.
    pub tags: Vec<Tag>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tag {
    pub name: String,
    pub description: String,
}

/// One operation of a description: where it is, and what its operation object says.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// Upper case: `GET`, `HEAD`, ...
    pub method: String,
    pub path: String,
    /// Where the operation is written in its file.
    pub line: usize,
    /// What the operation object says, read once and shared by every path that refers to the
    /// same object (path items can be `$ref`s): read as `op.summary`, `op.responses`.
    pub spec: Arc<OperationSpec>,
}

impl std::ops::Deref for Operation {
    type Target = OperationSpec;

    fn deref(&self) -> &OperationSpec {
        &self.spec
    }
}

/// What an operation object says. Parameters, bodies and responses that the document shares
/// (`$ref`s to components) are held once however many operations refer to them: a
/// description is small, what it shares is not copied per operation.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationSpec {
    pub operation_id: Option<String>,
    pub tags: Vec<String>,
    pub summary: String,
    pub description: String,
    pub deprecated: bool,
    /// Path-level and operation-level parameters merged (the operation's win), references
    /// resolved.
    pub parameters: Vec<Arc<Parameter>>,
    /// The request body, references resolved at its top.
    pub request_body: Option<Arc<Value>>,
    /// Status (`200`, `4XX`, `default`) → response, references resolved at its top.
    pub responses: Vec<(String, Arc<Value>)>,
}

impl Operation {
    /// `GET /pets/{id}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The method as a product endpoint's, when partnerctl routes it.
    pub fn endpoint_method(&self) -> Option<Method> {
        Some(match self.method.as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    pub name: String,
    /// `path`, `query`, `header` or `cookie`.
    pub location: String,
    pub required: bool,
    pub deprecated: bool,
    pub description: String,
    pub schema: Option<Value>,
    pub example: Option<Value>,
}

/// A path with its parameter names blanked (`/pets/{}`): how endpoints and operations are
/// matched, since a gateway route does not care what a parameter is called.
pub fn path_shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0usize;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    out.push('{');
                }
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push('}');
                }
            }
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

/// The product endpoints a description stands for: its routable operations, in order.
pub fn endpoints(api: &Api) -> Vec<EndpointSpec> {
    api.operations
        .iter()
        .filter_map(|op| {
            Some(EndpointSpec {
                method: op.endpoint_method()?,
                path: op.path.clone(),
                summary: (!op.summary.is_empty()).then(|| first_line(&op.summary)),
            })
        })
        .collect()
}

fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .take(200)
        .collect()
}

/// Whether a path may be a product endpoint's (the pattern of `EndpointSpec.path`).
pub fn is_endpoint_path(path: &str) -> bool {
    path.starts_with('/')
        && path.len() <= 2048
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~!$&'()*+,;=:@%/{}-".contains(c))
}

/// Whether a path is a description's place: under `apis/`.
pub fn is_api_file(path: &str) -> bool {
    path.starts_with("apis/")
}
