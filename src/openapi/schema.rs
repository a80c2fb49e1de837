//! Schemas as a reader sees them: an `allOf` is one schema, its members' keywords together
//! (`{allOf: [{$ref: ResourceId}], description, readOnly}` is ResourceId's `string` with its
//! `maxLength`, described and read-only), as Redoc and the other reference renderers show it.

use super::bundle::deref;
use serde_json::{Map, Value};

/// How deep `allOf`s inside `allOf`s are merged.
const MAX_DEPTH: usize = 8;

/// `s` with references followed and every `allOf` merged: the members' keywords in order
/// (a later member's wins), `properties` joined, `required` united, then `s`'s own keywords
/// over them (its `description` or `readOnly` beside the `allOf` is what the field says).
/// A schema without `allOf` is returned as it is.
pub fn merged(doc: &Value, s: &Value) -> Value {
    merge(doc, s, 0, &mut Vec::new())
}

/// The reference an `allOf` stands for when it is one `$ref` with only annotations beside
/// it (no `properties` of its own): `#/components/schemas/ResourceId`.
pub fn single_ref(s: &Value) -> Option<&str> {
    let members = s.get("allOf")?.as_array()?;
    let [only] = members.as_slice() else { return None };
    if s.get("properties").is_some() {
        return None;
    }
    only.get("$ref")?.as_str()
}

fn merge(doc: &Value, s: &Value, depth: usize, seen: &mut Vec<String>) -> Value {
    let r = s.get("$ref").and_then(Value::as_str).map(str::to_string);
    if let Some(r) = &r {
        // A member that includes the schema being merged adds nothing new.
        if seen.contains(r) || depth > MAX_DEPTH {
            return Value::Object(Map::new());
        }
        seen.push(r.clone());
    }
    let target = deref(doc, s);
    let out = match target.get("allOf").and_then(Value::as_array) {
        Some(members) if depth <= MAX_DEPTH => {
            let mut m = Map::new();
            for member in members {
                if let Value::Object(part) = merge(doc, member, depth + 1, seen) {
                    join(&mut m, part);
                }
            }
            if let Value::Object(own) = target {
                let mut own = own.clone();
                own.remove("allOf");
                join(&mut m, own);
            }
            Value::Object(m)
        }
        _ => target.clone(),
    };
    if r.is_some() {
        seen.pop();
    }
    out
}

/// `part`'s keywords over `into`'s; `properties` and `required` joined.
fn join(into: &mut Map<String, Value>, part: Map<String, Value>) {
    for (k, v) in part {
        match (k.as_str(), into.get_mut(&k), v) {
            ("properties", Some(Value::Object(have)), Value::Object(add)) => {
                for (name, p) in add {
                    have.insert(name, p);
                }
            }
            ("required", Some(Value::Array(have)), Value::Array(add)) => {
                for name in add {
                    if !have.contains(&name) {
                        have.push(name);
                    }
                }
            }
            (_, _, v) => {
                into.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_all_of_of_a_reference_is_the_referenced_type_with_its_limits_and_the_siblings() {
        let doc = json!({"components": {"schemas": {
            "ResourceId": {"type": "string", "maxLength": 50, "pattern": "^[\\w-]+$", "description": "An id."},
            "Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
            "Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}, {"properties": {"x": {"type": "integer"}}}]},
        }}});
        let field = json!({"allOf": [{"$ref": "#/components/schemas/ResourceId"}], "description": "The customer.", "readOnly": true});
        let m = merged(&doc, &field);
        assert_eq!(m["type"], "string");
        assert_eq!(m["maxLength"], 50);
        assert_eq!(m["description"], "The customer.");
        assert_eq!(m["readOnly"], true);
        assert_eq!(single_ref(&field), Some("#/components/schemas/ResourceId"));

        let object = json!({"allOf": [{"$ref": "#/components/schemas/Base"}, {"required": ["name"], "properties": {"name": {"type": "string"}}}]});
        let m = merged(&doc, &object);
        assert_eq!(m["properties"].as_object().unwrap().len(), 2);
        assert_eq!(m["required"], json!(["id", "name"]));
        assert_eq!(single_ref(&object), None);

        // A schema that includes itself is merged once, not forever.
        let m = merged(&doc, &json!({"$ref": "#/components/schemas/Loop"}));
        assert_eq!(m["properties"]["x"]["type"], "integer");
        // No allOf: as it is.
        assert_eq!(merged(&doc, &json!({"type": "integer"})), json!({"type": "integer"}));
    }
}
