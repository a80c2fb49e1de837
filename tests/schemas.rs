//! The committed schemas under `schemas/` are golden files: they must equal what the spec
//! types generate. Regenerate with `UPDATE_SCHEMAS=1 cargo test --test schemas`.

use partnerctl::spec::Kind;
use std::path::Path;

#[test]
fn committed_schemas_match_the_spec_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    let mut all: Vec<(String, String)> = Kind::ALL
        .iter()
        .map(|k| (k.lower().to_string(), partnerctl::schema::schema_text(*k)))
        .collect();
    all.push((
        partnerctl::schema::REQUEST.to_string(),
        partnerctl::schema::request_schema_text(),
    ));
    for (name, generated) in all {
        let path = dir.join(format!("{name}.schema.json"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "schemas drifted from the spec types: {stale:?}; run `UPDATE_SCHEMAS=1 cargo test --test schemas` and commit"
    );
}

#[test]
fn schemas_describe_fields_for_the_people_editing_yaml() {
    let partner = partnerctl::schema::schema_value(Kind::Partner);
    let text = partner.to_string();
    assert!(
        text.contains("never rendered into partner-facing output"),
        "contacts carry their description"
    );
    assert!(
        text.contains("\"additionalProperties\":false"),
        "unknown fields are rejected"
    );
    // Documented enums become plain `enum`s, so every validator reports the allowed values.
    assert!(!text.contains("\"oneOf\""), "{text}");
}

#[test]
fn every_example_document_passes_its_committed_schema() {
    // The committed schema text, compiled by the validator as an editor or CI would use it.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for kind in Kind::ALL {
        let schema: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root.join(format!("schemas/{}.schema.json", kind.lower()))).unwrap(),
        )
        .unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let folder = kind.folder().map(|f| root.join("examples/northwind").join(f));
        let files: Vec<std::path::PathBuf> = match folder {
            None => vec![root.join("examples/northwind/program.yaml")],
            Some(f) => walk(&f),
        };
        assert!(!files.is_empty());
        for file in files {
            let doc = partnerctl::source::yaml::parse("x", &std::fs::read(&file).unwrap()).unwrap();
            let errors: Vec<String> = validator.iter_errors(&doc.value).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", file.display());
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
    out
}
