//! Walking a validated document, 3.0 and 3.1 alike, for its [`Operation`]s and their
//! parameters.

use super::api::*;
use super::bundle::*;
use crate::diag::{Code, Diagnostic, Location};
use serde_json::Value;

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
    for (path, item) in paths {
        let escaped = path.replace('~', "~0").replace('/', "~1");
        let item = deref(doc, item);
        let shared: Vec<&Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        // In the order the description writes them.
        let methods: Vec<(&str, &Value)> = item
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| METHODS.iter().find(|m| **m == k.as_str()).map(|m| (*m, v)))
            .collect();
        for (m, op) in methods {
            let pointer = format!("/paths/{escaped}/{m}");
            let mut parameters: Vec<Parameter> = Vec::new();
            let own: Vec<&Value> = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .collect();
            for p in shared.iter().chain(own.iter()) {
                let Some(p) = parameter(doc, p) else { continue };
                parameters.retain(|x| !(x.name == p.name && x.location == p.location));
                parameters.push(p);
            }
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
                request_body: op.get("requestBody").map(|b| deref(doc, b).clone()),
                responses: op
                    .get("responses")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), deref(doc, v).clone()))
                    .collect(),
                line: line(&pointer),
            });
        }
    }
    out
}

/// A parameter, its reference followed; `None` without a name or a location.
pub fn parameter(doc: &Value, p: &Value) -> Option<Parameter> {
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
