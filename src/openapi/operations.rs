//! Walking a validated document, 3.0 and 3.1 alike, for its [`Operation`]s and their
//! parameters.
//!
//! What several operations share is read once ([`Reader`]): a path item that many paths
//! refer to, a parameter or response in `components`. Copied per operation, a 2 MiB example
//! in one shared response, referred to by 60,000 operations of a 6 MB description, would be
//! 120 GB.

use super::api::*;
use super::bundle::*;
use crate::diag::{Code, Diagnostic, Location};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Reads the operation objects, parameters and responses of one document, each object once:
/// they are keyed by where they are in the document, which stays borrowed (and unchanged)
/// while the reader lives.
pub struct Reader<'a> {
    doc: &'a Value,
    specs: HashMap<*const Value, Arc<OperationSpec>>,
    parameters: HashMap<*const Value, Option<Arc<Parameter>>>,
    values: HashMap<*const Value, Arc<Value>>,
}

impl<'a> Reader<'a> {
    pub fn new(doc: &'a Value) -> Reader<'a> {
        Reader {
            doc,
            specs: HashMap::new(),
            parameters: HashMap::new(),
            values: HashMap::new(),
        }
    }

    /// The operation object `op` of the path item `item` (whose parameters it shares).
    /// An operation object is inside one path item, so it is its key.
    pub fn spec(&mut self, item: &'a Value, op: &'a Value) -> Arc<OperationSpec> {
        if let Some(s) = self.specs.get(&(op as *const Value)) {
            return s.clone();
        }
        let item = deref(self.doc, item);
        let mut parameters: Vec<Arc<Parameter>> = Vec::new();
        for p in [item, op]
            .into_iter()
            .flat_map(|v| v.get("parameters").and_then(Value::as_array).into_iter().flatten())
        {
            let Some(p) = self.parameter(p) else { continue };
            parameters.retain(|x| !(x.name == p.name && x.location == p.location));
            parameters.push(p);
        }
        let spec = Arc::new(OperationSpec {
            operation_id: op.get("operationId").and_then(Value::as_str).map(str::to_string),
            tags: op
                .get("tags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            summary: text(op, "summary"),
            description: text(op, "description"),
            deprecated: op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
            parameters,
            request_body: op.get("requestBody").map(|b| self.value(b)),
            responses: op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), self.value(v)))
                .collect(),
        });
        self.specs.insert(op as *const Value, spec.clone());
        spec
    }

    /// A parameter, its reference followed; `None` without a name or a location.
    fn parameter(&mut self, p: &'a Value) -> Option<Arc<Parameter>> {
        let p = deref(self.doc, p);
        self.parameters
            .entry(p as *const Value)
            .or_insert_with(|| parameter(self.doc, p).map(Arc::new))
            .clone()
    }

    /// A value (a body, a response), its reference at the top followed.
    fn value(&mut self, v: &'a Value) -> Arc<Value> {
        let v = deref(self.doc, v);
        self.values
            .entry(v as *const Value)
            .or_insert_with(|| Arc::new(v.clone()))
            .clone()
    }
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

pub(crate) fn operations(
    doc: &Value,
    line: &dyn Fn(&str) -> usize,
    file: &str,
    warnings: &mut Vec<Diagnostic>,
) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    let mut reader = Reader::new(doc);
    for (path, item) in paths {
        let escaped = path.replace('~', "~0").replace('/', "~1");
        let item = deref(doc, item);
        // In the order the description writes them.
        let methods: Vec<(&str, &Value)> = item
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| METHODS.iter().find(|m| **m == k.as_str()).map(|m| (*m, v)))
            .collect();
        for (m, op) in methods {
            let pointer = format!("/paths/{escaped}/{m}");
            let method = m.to_ascii_uppercase();
            // A path becomes a gateway route: it must be what a product's endpoint may be
            // (SPEC §9: no value may add a line, a directive or a block to an output).
            if !is_endpoint_path(path) {
                warnings.push(Diagnostic::new(
                    Code::OpenapiInvalid,
                    &Location::new(file, line(&format!("/paths/{escaped}")), 1),
                    format!(
                        "the path `{}` cannot be routed: a path starts with `/` and holds only letters, digits and `-._~!$&'()*+,;=:@%/{{}}`",
                        path.escape_debug()
                    ),
                ));
                continue;
            }
            if !matches!(m, "get" | "put" | "post" | "delete" | "patch") {
                warnings.push(
                    Diagnostic::new(
                        Code::OpenapiInvalid,
                        &Location::new(file, line(&pointer), 1),
                        format!("{method} {path} is not routed: partnerctl's gateways route GET, POST, PUT, PATCH and DELETE"),
                    )
                    .with_severity(crate::diag::Severity::Warning),
                );
            }
            out.push(Operation {
                method,
                path: path.clone(),
                line: line(&pointer),
                spec: reader.spec(item, op),
            });
        }
    }
    out
}

/// A parameter, its reference followed; `None` without a name or a location.
fn parameter(doc: &Value, p: &Value) -> Option<Parameter> {
    let p = deref(doc, p);
    let location = p.get("in")?.as_str()?.to_string();
    Some(Parameter {
        name: p.get("name")?.as_str()?.to_string(),
        required: p.get("required").and_then(Value::as_bool).unwrap_or(location == "path"),
        deprecated: p.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
        description: text(p, "description"),
        schema: p.get("schema").cloned().or_else(|| {
            // `content` instead of `schema`: the first media type's schema.
            p.get("content")?.as_object()?.values().next()?.get("schema").cloned()
        }),
        example: p.get("example").cloned(),
        location,
    })
}

pub(crate) fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}
