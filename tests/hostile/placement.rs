//! Hostile input: documents outside their folders (see main.rs; SPEC §16). A partner file
//! written where partnerctl does not read it would change nothing that is validated, planned or
//! applied, while a reviewer takes it for a change: it is refused, naming the folder it
//! belongs in, in the working tree and in a revision alike.

use super::*;
use common::{copy_example, write};
use std::fs;

/// (file, line) of every `misplaced-resource` finding of `validate --format json`.
fn misplaced(r: &Run) -> Vec<(String, String)> {
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("validate json: {e}\n{}", r.all()));
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "misplaced-resource")
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_document_outside_its_folder_is_refused_naming_where_it_belongs() {
    let dir = copy_example();
    let root = dir.path();
    let partner = fs::read_to_string(root.join("partners/emea/sahara-express.yaml")).unwrap();
    let product = fs::read_to_string(root.join("products/rates.yaml")).unwrap();
    let places = [
        ("partner/sahara-express.yaml", &partner, "partners/"),
        ("Partners/sahara-express.yaml", &partner, "partners/"),
        ("partners-new/emea/sahara-express.yml", &partner, "partners/"),
        ("sahara-express.yaml", &partner, "partners/"),
        ("templates/sahara-express.yaml", &partner, "partners/"),
        ("docs/rates.yaml", &product, "products/"),
    ];
    for (place, text, _) in &places {
        write(root, place, text.as_str());
    }
    // What is not the program's: an output's own files, and what git ignores.
    write(root, "dist/docs/copy.yaml", &partner);
    write(root, "scratch/old.yaml", &partner);
    write(root, ".gitignore", "/dist/\nscratch/\n");
    git_commit_all(root, "base");

    let r = run(root, &["validate", "--format", "json"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    let found = misplaced(&r);
    for (place, _, folder) in &places {
        assert!(
            found.iter().any(|(f, m)| f == place && m.contains(folder)),
            "{place} is not reported as belonging in {folder}: {found:?}"
        );
    }
    for ignored in ["dist/docs/copy.yaml", "scratch/old.yaml"] {
        assert!(!found.iter().any(|(f, _)| f == ignored), "{ignored}: {found:?}");
    }

    // The same in a revision: a plan of the commit refuses it too.
    let r = run(root, &["plan", "--rev", "HEAD", "--base", "HEAD", "--format", "json"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(r.stdout.contains("partner/sahara-express.yaml"), "{}", r.all());
}
