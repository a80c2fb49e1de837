//! The `input` document policies see (SPEC §6): the documents as written, today's date and,
//! in `plan`, the change set. Built once per evaluation from the documents the model keeps in
//! the engine's own form, without copying them.

use crate::model::{Program, Resource, raw};
use crate::spec::{Date, Kind};
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// The input as JSON (for `partnerctl policy input`, documentation and tests), with each
/// document in the order its file is written.
pub fn input_json(program: &Program, today: Date, changes: Option<&Json>) -> Json {
    fn as_written<S>(program: &Program, r: &Resource<S>) -> Json {
        program.json_of(&r.file).unwrap_or_else(|| raw::to_json(&r.raw()))
    }
    fn docs<S>(program: &Program, map: &BTreeMap<String, Resource<S>>) -> Json {
        Json::Object(map.iter().map(|(k, r)| (k.clone(), as_written(program, r))).collect())
    }
    let mut input = Map::new();
    if let Some(p) = &program.program {
        input.insert("program".into(), as_written(program, p));
    }
    input.insert("products".into(), docs(program, &program.products));
    input.insert("terms".into(), docs(program, &program.terms));
    input.insert("partners".into(), docs(program, &program.partners));
    input.insert("today".into(), Json::String(today.to_string()));
    if let Some(c) = changes {
        input.insert("changes".into(), c.clone());
    }
    Json::Object(input)
}

/// The input as a regorus value. The documents are the model's own values ([`raw`]), shared,
/// not copied.
pub(crate) fn input_value(program: &Program, today: Date, changes: Option<&Json>) -> regorus::Value {
    fn docs<S>(map: &BTreeMap<String, Resource<S>>) -> regorus::Value {
        regorus::Value::from(
            map.iter()
                .map(|(k, r)| (regorus::Value::from(k.as_str()), r.raw()))
                .collect::<BTreeMap<_, _>>(),
        )
    }
    let mut input = BTreeMap::new();
    if let Some(p) = &program.program {
        input.insert(regorus::Value::from("program"), p.raw());
    }
    input.insert(regorus::Value::from("products"), docs(&program.products));
    input.insert(regorus::Value::from("terms"), docs(&program.terms));
    input.insert(regorus::Value::from("partners"), docs(&program.partners));
    input.insert(regorus::Value::from("today"), regorus::Value::from(today.to_string()));
    if let Some(c) = changes {
        let c = regorus::Value::deserialize(c).unwrap_or(regorus::Value::Undefined);
        input.insert(regorus::Value::from("changes"), c);
    }
    regorus::Value::from(input)
}

const INPUT_SCHEMA_ID: &str = "https://partnerctl.dev/schemas/v1/input.schema.json";

/// The JSON schema of the `input` document, as committed in `schemas/input.schema.json`.
/// The four kinds' schemas are embedded under `$defs` with their own `$id`s, so the file
/// stands alone.
pub fn input_schema() -> Json {
    let kind_ref = |k: Kind| serde_json::json!({"$ref": format!("{}.schema.json", k.lower())});
    let by_name = |k: Kind, what: &str| {
        serde_json::json!({
            "description": format!("Every {what}, by `metadata.name`, as written."),
            "type": "object",
            "additionalProperties": kind_ref(k),
        })
    };
    let mut defs = Map::new();
    for k in Kind::ALL {
        let mut s = crate::schema::schema_value(k);
        if let Json::Object(m) = &mut s {
            m.remove("$schema");
        }
        defs.insert(k.lower().to_string(), s);
    }
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": INPUT_SCHEMA_ID,
        "title": "partnerctl policy input",
        "description": "The `input` document every Rego policy sees (docs/policies.md, \"The `input` document\"). Documents are passed as written in the repository; only documents that passed their schema are included.",
        "type": "object",
        "required": ["products", "terms", "partners", "today"],
        "properties": {
            "program": {
                "description": "The Program document (program.yaml) as written. Absent when program.yaml is missing or invalid.",
                "$ref": "program.schema.json"
            },
            "products": by_name(Kind::Product, "Product"),
            "terms": by_name(Kind::Terms, "Terms document"),
            "partners": by_name(Kind::Partner, "Partner"),
            "today": {
                "description": "The --as-of date (default: today in UTC), YYYY-MM-DD. Dates compare correctly as strings.",
                "type": "string",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
            },
            "changes": {
                "description": "In `plan` only: the change set, as the `changes` array of `plan --format json`. Absent in `validate`.",
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["resource", "action", "classes"],
                    "properties": {
                        "resource": {"type": "string", "description": "`partner/<name>`, `product/<name>`, `terms/<name>` or `program`."},
                        "action": {"enum": ["create", "update", "delete"]},
                        "classes": {"type": "array", "items": {"type": "string"}, "description": "Change classes (docs/plan.md, \"The plan\")."},
                        "summary": {"type": "string"},
                        "approvals": {"type": "array", "items": {"type": "string"}}
                    }
                }
            }
        },
        "additionalProperties": false,
        "$defs": defs,
    })
}

/// [`input_schema`] as the pretty-printed text committed in `schemas/`, ending in a newline.
pub fn input_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&input_schema()).expect("a schema serializes");
    s.push('\n');
    s
}
