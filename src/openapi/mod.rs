//! API descriptions (SPEC §13): the OpenAPI files under `apis/` that products name.
//!
//! A description is read with the repository's YAML reader (JSON is YAML too), so every
//! problem has a file and line. `$ref`s to other files under `apis/` are bundled into the
//! document (inlined, resolved relative to the file that holds them, never outside `apis/`);
//! `$ref`s inside one document stay references and must resolve. The bundled document is then
//! read by the crate for its version, `openapiv3` for 3.0 and `oas3` for 3.1, which decides
//! whether it is valid OpenAPI; a description it refuses is `openapi-invalid` at the node it
//! names. partnerctl then walks the validated document once, with one code path for both
//! versions, for the [`Operation`]s the products, the plan and the portal use.
//!
//! [`api`] is what is read of a description, [`bundle`] inlines file references,
//! [`operations`] walks the document; [`diff`] compares two descriptions for the plan and
//! [`import`] writes a product from one.

pub mod api;
pub mod bundle;
pub mod diff;
pub mod import;
pub mod operations;
pub mod schema;

pub use api::*;
pub use bundle::{deref, resolve_pointer};

use crate::diag::{Code, Diagnostic, Location};
use crate::source::Snapshot;
use bundle::*;
use operations::text;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Reads one description from a snapshot. `Err` holds the findings that stop it.
pub fn load(snapshot: &Snapshot, file: &str) -> Result<(Api, Vec<Diagnostic>), Vec<Diagnostic>> {
    let invalid = |line: usize, column: usize, message: String| {
        Diagnostic::new(Code::OpenapiInvalid, &Location::new(file, line, column), message)
    };
    let Some(bytes) = snapshot.bytes(file) else {
        return Err(vec![invalid(1, 1, format!("{file} cannot be read"))]);
    };
    let main = parse(file, &bytes).map_err(|d| vec![d])?;
    let mut warnings = Vec::new();

    // Bundle: inline every file reference, relative to the file that holds it. The bundler
    // (and the copy of the main file it reads positions from) goes before the document is
    // judged: it is as large as the description.
    let mut doc = {
        let mut b = Bundler::new(snapshot);
        b.cache.insert(file.to_string(), main.clone());
        let doc = b.bundle_main(file, &main.value);
        if !b.problems.is_empty() {
            return Err(b.problems);
        }
        doc
    };
    let pos = |pointer: &str| main.pos(pointer);

    // The version decides the reader; the crate decides validity.
    let openapi = doc
        .get("openapi")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let checked: Result<(), (String, String)> = if openapi.starts_with("3.0.") || openapi == "3.0" {
        // openapiv3 reads only the keys of `paths` that start with `/` (the others are
        // extensions), and `webhooks` is not 3.0.
        judge::<openapiv3::OpenAPI, openapiv3::ReferenceOr<openapiv3::PathItem>>(&mut doc, &["paths"], |k| {
            k.starts_with('/')
        })
    } else if openapi.starts_with("3.1.") || openapi == "3.1" {
        judge::<oas3::OpenApiV3Spec, oas3::spec::PathItem>(&mut doc, &["paths", "webhooks"], |_| true)
    } else {
        let p = pos(if doc.get("openapi").is_some() { "/openapi" } else { "" });
        let found = if openapi.is_empty() {
            match doc.get("swagger") {
                Some(_) => "a Swagger 2.0 document".to_string(),
                None => "no `openapi` field".to_string(),
            }
        } else {
            format!("version {openapi}")
        };
        return Err(vec![
            invalid(
                p.line,
                p.column,
                format!("{file} is not OpenAPI 3.0 or 3.1: it has {found}"),
            )
            .with_hint("convert it to OpenAPI 3.0 or 3.1 (for Swagger 2.0: `swagger2openapi` or the Swagger Editor)"),
        ]);
    };
    if let Err((pointer, message)) = checked {
        let p = pos(&pointer);
        let at = if pointer.is_empty() {
            String::new()
        } else {
            format!(" at {pointer}")
        };
        return Err(vec![invalid(
            p.line,
            p.column,
            format!("{file} is not valid OpenAPI {openapi}{at}: {message}"),
        )]);
    }

    // Every reference left must resolve inside the document.
    let mut dangling = Vec::new();
    local_refs(&doc, "", &mut |at, target| {
        if resolve_pointer(&doc, target).is_none() {
            dangling.push((at.to_string(), target.to_string()));
        }
    });
    if !dangling.is_empty() {
        return Err(dangling
            .into_iter()
            .take(20)
            .map(|(at, target)| {
                let p = pos(&at);
                invalid(
                    p.line,
                    p.column,
                    format!("`$ref: \"{target}\"` in {file} resolves to nothing"),
                )
            })
            .collect());
    }

    // A chain of references that comes back to itself names nothing (`Loop: {$ref:
    // "#/components/schemas/Loop"}`): every walk that follows it would go round for ever.
    let mut cyclic = Vec::new();
    local_refs(&doc, "", &mut |at, target| {
        if cyclic.len() < 20
            && let Some(chain) = ref_cycle(&doc, target)
        {
            cyclic.push((at.to_string(), target.to_string(), chain));
        }
    });
    if !cyclic.is_empty() {
        return Err(cyclic
            .into_iter()
            .map(|(at, target, chain)| {
                let p = pos(&at);
                invalid(
                    p.line,
                    p.column,
                    format!(
                        "`$ref: \"{target}\"` in {file} never reaches a schema: it refers back to itself ({})",
                        chain.join(" → ")
                    ),
                )
                .with_hint("a recursive schema must hold something besides the reference (`type: array, items: {$ref: …}`, a property)")
            })
            .collect());
    }

    let operations = operations::operations(&doc, &|pointer| main.key_pos(pointer).line, file, &mut warnings);
    let mut tags: Vec<Tag> = doc
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some(Tag {
                name: t.get("name")?.as_str()?.to_string(),
                description: text(t, "description"),
            })
        })
        .collect();
    for op in &operations {
        for t in &op.tags {
            if !tags.iter().any(|x| &x.name == t) {
                tags.push(Tag {
                    name: t.clone(),
                    description: String::new(),
                });
            }
        }
    }
    let info = doc.get("info").cloned().unwrap_or(Value::Null);
    Ok((
        Api {
            file: file.to_string(),
            openapi,
            title: text(&info, "title"),
            version: text(&info, "version"),
            description: text(&info, "description"),
            operations,
            tags,
            doc,
        },
        warnings,
    ))
}

/// Whether `doc` is valid OpenAPI as the crate of its version reads it (`D` the document,
/// `P` a path item): `Err((pointer, message))` at the first problem.
///
/// The crates read each path item into a struct of kilobytes (eight operations with every
/// field of the specification), and openapiv3 first buffers the whole of `paths`: read in one
/// piece, a description of 60,000 small operations (6.4 MB) took more than a gigabyte while
/// it was judged. So the document is judged with the maps of path items (`maps`) emptied,
/// then each path item whose key passes `item` on its own, and memory follows the largest
/// path item, not how many there are. The maps are put back, in place, whatever the outcome.
fn judge<D, P>(doc: &mut Value, maps: &[&str], item: impl Fn(&str) -> bool) -> Result<(), (String, String)>
where
    D: serde::de::DeserializeOwned,
    P: serde::de::DeserializeOwned,
{
    fn read<T: serde::de::DeserializeOwned>(v: &Value, at: &str) -> Result<(), (String, String)> {
        serde_path_to_error::deserialize::<_, T>(v)
            .map(|_| ())
            .map_err(|e| (format!("{at}{}", pointer_of(e.path())), e.inner().to_string()))
    }
    let mut taken: Vec<(&str, Value)> = Vec::new();
    for key in maps {
        if let Some(v @ Value::Object(_)) = doc.get_mut(*key) {
            taken.push((key, std::mem::replace(v, Value::Object(serde_json::Map::new()))));
        }
    }
    let mut out = read::<D>(doc, "");
    for (key, items) in &taken {
        for (k, v) in items.as_object().into_iter().flatten() {
            if out.is_err() {
                break;
            }
            if item(k) {
                out = read::<P>(v, &format!("/{key}/{}", k.replace('~', "~0").replace('/', "~1")));
            }
        }
    }
    for (key, items) in taken {
        if let Some(slot) = doc.get_mut(key) {
            *slot = items;
        }
    }
    out
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        let s = match seg {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.replace('~', "~0").replace('/', "~1"),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => continue,
        };
        out.push('/');
        out.push_str(&s);
    }
    out
}

/// Every description the products name, read once each, with the findings of reading them;
/// products whose description could not be read are left out of the map.
pub fn load_all(
    snapshot: &Snapshot,
    files: &BTreeSet<String>,
) -> (BTreeMap<String, std::sync::Arc<Api>>, Vec<Diagnostic>) {
    let mut apis = BTreeMap::new();
    let mut diags = Vec::new();
    for f in files {
        match load(snapshot, f) {
            Ok((api, warnings)) => {
                diags.extend(warnings);
                apis.insert(f.clone(), std::sync::Arc::new(api));
            }
            Err(d) => diags.extend(d),
        }
    }
    (apis, diags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Entry;

    fn snap(files: &[(&str, &str)]) -> Snapshot {
        let mut s = Snapshot::default();
        for (p, t) in files {
            s.insert(*p, Entry::Bytes(t.as_bytes().into()));
        }
        s
    }

    const PETS: &str = "openapi: 3.0.3\ninfo: {title: Pets, version: '1'}\npaths:\n  /pets/{id}:\n    parameters:\n      - {name: id, in: path, required: true, schema: {type: string}}\n    get:\n      summary: One pet\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: 'schemas.yaml#/Pet'}\n    head:\n      responses: {'200': {description: ok}}\n";

    #[test]
    fn file_references_are_bundled_and_operations_read() {
        let s = snap(&[
            ("apis/pets.yaml", PETS),
            (
                "apis/schemas.yaml",
                "Pet:\n  type: object\n  properties:\n    tag: {$ref: '#/Tag'}\nTag: {type: string}\n",
            ),
        ]);
        let (api, warnings) = load(&s, "apis/pets.yaml").unwrap();
        assert_eq!(api.operations.len(), 2);
        let get = &api.operations[0];
        assert_eq!(get.key(), "GET /pets/{id}");
        assert_eq!(get.parameters[0].name, "id");
        assert_eq!(get.line, 7);
        let schema = &get.responses[0].1["content"]["application/json"]["schema"];
        assert_eq!(schema["properties"]["tag"], serde_json::json!({"type": "string"}));
        assert_eq!(warnings.len(), 1, "HEAD is not routed");
        assert_eq!(endpoints(&api).len(), 1);
    }

    #[test]
    fn references_outside_apis_dangling_or_recursive_are_invalid() {
        for (schemas, want) in [
            ("../program.yaml#/x", "leaves apis/"),
            ("https://example.com/x.yaml", "not a relative file"),
            ("missing.yaml#/Pet", "not a readable file"),
            ("schemas.yaml#/Nope", "resolves to nothing"),
            ("schemas.yaml#/Loop", "recursive across files"),
        ] {
            let s = snap(&[
                ("apis/pets.yaml", &PETS.replace("schemas.yaml#/Pet", schemas)),
                ("apis/schemas.yaml", "Pet: {type: object}\nLoop: {$ref: '#/Loop'}\n"),
            ]);
            let err = load(&s, "apis/pets.yaml").unwrap_err();
            assert!(err[0].message.contains(want), "{schemas}: {}", err[0].message);
            assert_eq!(err[0].code, Code::OpenapiInvalid);
        }
        let s = snap(&[(
            "apis/pets.yaml",
            &PETS.replace("$ref: 'schemas.yaml#/Pet'", "$ref: '#/components/schemas/Nope'"),
        )]);
        let err = load(&s, "apis/pets.yaml").unwrap_err();
        assert!(err[0].message.contains("resolves to nothing"), "{}", err[0].message);
        assert_eq!(err[0].line, 14);
    }

    #[test]
    fn the_crate_of_the_version_judges_validity_at_its_line() {
        let s = snap(&[(
            "apis/pets.yaml",
            &PETS.replace("      responses:\n        '200':", "      responses: 7\n        x-no:"),
        )]);
        assert!(load(&s, "apis/pets.yaml").is_err());
        let s = snap(&[(
            "apis/a.yaml",
            "swagger: '2.0'\ninfo: {title: a, version: '1'}\npaths: {}\n",
        )]);
        let e = load(&s, "apis/a.yaml").unwrap_err();
        assert!(e[0].message.contains("Swagger 2.0"), "{}", e[0].message);
        let s = snap(&[(
            "apis/a.yaml",
            "openapi: 3.1.0\ninfo: {title: a, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n",
        )]);
        assert_eq!(load(&s, "apis/a.yaml").unwrap().0.operations.len(), 1);
        let s = snap(&[("apis/a.yaml", "openapi: 3.1.0\ninfo: {title: a, version: '1'\n")]);
        let e = load(&s, "apis/a.yaml").unwrap_err();
        assert!(e[0].message.contains("does not parse"), "{}", e[0].message);
    }

    #[test]
    fn a_path_that_could_not_be_a_route_is_refused_and_not_routed() {
        for bad in ["/a\nserver { listen 1; }", "/a b", "/a\"", "a", "/x<script>"] {
            let doc = format!(
                "openapi: 3.0.3\ninfo: {{title: x, version: '1'}}\npaths:\n  {}:\n    get:\n      summary: \"ok\\u202e\\nsecond line\"\n      responses: {{'200': {{description: ok}}}}\n  /fine:\n    get:\n      summary: \"ok\\u202e\\nsecond line\"\n      responses: {{'200': {{description: ok}}}}\n",
                serde_json::to_string(bad).unwrap()
            );
            let s = snap(&[("apis/a.yaml", &doc)]);
            let (api, diags) = load(&s, "apis/a.yaml").unwrap();
            assert_eq!(api.operations.len(), 1, "{bad:?}");
            assert_eq!(diags.len(), 1, "{bad:?}: {diags:?}");
            assert_eq!(diags[0].severity, crate::diag::Severity::Error);
            let e = endpoints(&api);
            assert_eq!(e.len(), 1);
            assert_eq!(e[0].path, "/fine");
            assert_eq!(e[0].summary.as_deref(), Some("ok"), "one line, no bidi control");
        }
    }

    #[test]
    fn paths_match_whatever_their_parameters_are_called() {
        assert_eq!(path_shape("/v1/pets/{petId}/toys/{id}"), "/v1/pets/{}/toys/{}");
        assert_eq!(path_shape("/v1/pets"), "/v1/pets");
    }
}
