//! `partnerctl import openapi FILE --product NAME`: a product from an OpenAPI description.
//!
//! The description is checked as `validate` would check it, then kept under `apis/` (as it
//! was written, or bundled into one file when it references others). A product that exists
//! gets `spec.openapi` set, its other fields left as written. A new product is written from
//! the description (display name, description) and from what only the provider can say:
//! upstreams (`--upstream ENV=URL`, required) and plans (`--plan NAME:REQUESTS/UNIT`); a plan
//! not given is defaulted, and the default is listed in the to-do so nobody mistakes it for a
//! decision.

use super::{Api, load};
use crate::source::{Entry, Snapshot};
use crate::spec::Environment;
use serde_json::{Value, json};
use std::path::Path;

/// What the provider says about a new product.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub product: String,
    pub upstreams: Vec<(Environment, String)>,
    /// `(name, requests, unit)`.
    pub plans: Vec<(String, u64, String)>,
    pub owner: Option<String>,
    pub lifecycle: Option<String>,
}

/// One file to write.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct File {
    pub path: String,
    pub contents: String,
    /// `create` or `update`.
    pub action: &'static str,
}

/// What an import writes and what is left for a person.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Outcome {
    pub files: Vec<File>,
    pub todo: Vec<String>,
    pub operations: usize,
}

/// Why nothing can be written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Reads `file` (and the files next to it that it references) and plans the import into the
/// program at `root`.
pub fn plan(root: &Path, file: &Path, opts: &Options) -> Result<Outcome, ImportError> {
    if !is_name(&opts.product) {
        return Err(ImportError::Invalid(format!(
            "`{}` is not a product name: lower-case letters, digits and `-`, at most 63",
            opts.product.escape_debug()
        )));
    }
    let io = |p: &Path, e: std::io::Error| ImportError::Io {
        path: p.display().to_string(),
        source: e,
    };
    let bytes = crate::source::paths::read_regular(file, crate::source::MAX_FILE_BYTES)
        .map_err(|r| ImportError::Invalid(format!("{}: {}", file.display(), r.reason)))?;
    let ext = match file.extension().and_then(|e| e.to_str()) {
        Some("json") => "json",
        Some("yml") => "yml",
        _ => "yaml",
    };
    let target = format!("apis/{}.{ext}", opts.product);
    // Read it as the program will: under apis/, with the files next to it that it names.
    let mut snap = Snapshot::default();
    snap.insert(target.clone(), Entry::Bytes(bytes.as_slice().into()));
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        for e in std::fs::read_dir(dir).map_err(|e| io(dir, e))?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let p = e.path();
            if p == file || !(name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json")) {
                continue;
            }
            if let Ok(b) = crate::source::paths::read_regular(&p, crate::source::MAX_FILE_BYTES) {
                snap.insert(format!("apis/{name}"), Entry::Bytes(b.into()));
            }
        }
    }
    let (api, warnings) = load(&snap, &target).map_err(|d| {
        ImportError::Invalid(
            d.iter()
                .map(|d| format!("{}:{}: {}", file.display(), d.line, d.message))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    let mut out = Outcome {
        operations: api.operations.len(),
        ..Outcome::default()
    };
    for w in warnings {
        out.todo.push(w.message);
    }
    // As written when it stands alone, else bundled into one file (its comments are lost).
    let self_contained = !references_files(&bytes);
    let contents = if self_contained {
        String::from_utf8(bytes).map_err(|_| ImportError::Invalid(format!("{} is not UTF-8", file.display())))?
    } else {
        out.todo.push(format!(
            "{} references other files; it is kept bundled into {target}, without its comments",
            file.display()
        ));
        if ext == "json" {
            serde_json::to_string_pretty(&api.doc).unwrap_or_default() + "\n"
        } else {
            yaml_serde::to_string(&api.doc).map_err(|e| ImportError::Invalid(e.to_string()))?
        }
    };
    let api_action = if root.join(&target).exists() {
        "update"
    } else {
        "create"
    };
    out.files.push(File {
        path: target.clone(),
        contents,
        action: api_action,
    });

    let product_path = format!("products/{}.yaml", opts.product);
    let existing = root.join(&product_path);
    if existing.exists() {
        let text = std::fs::read_to_string(&existing).map_err(|e| io(&existing, e))?;
        out.files.push(File {
            path: product_path.clone(),
            contents: set_openapi(&text, &target).ok_or_else(|| {
                ImportError::Invalid(format!("{product_path}: no `spec:` mapping to add `openapi` to"))
            })?,
            action: "update",
        });
        if text.contains("\n  endpoints:") {
            out.todo.push(format!(
                "{product_path} lists endpoints: they must agree with {target} (validate reports openapi-mismatch otherwise); remove them to use the description's operations"
            ));
        }
        if !opts.upstreams.is_empty() || !opts.plans.is_empty() {
            out.todo.push(format!(
                "{product_path} exists: --upstream and --plan are not applied to it; edit its environments and plans there"
            ));
        }
    } else {
        let mut opts = opts.clone();
        if opts.owner.is_none() {
            // The program's owner stands in, as it does for approvals; said in the to-do.
            let owner = std::fs::read(root.join("program.yaml"))
                .ok()
                .and_then(|b| crate::source::yaml::parse("program.yaml", &b).ok())
                .and_then(|d| d.value.pointer("/metadata/owner")?.as_str().map(str::to_string));
            if let Some(o) = owner {
                out.todo.push(format!(
                    "no --owner given: the product is owned by `{o}`, the program's owner"
                ));
                opts.owner = Some(o);
            }
        }
        out.files.push(File {
            path: product_path,
            contents: new_product(&api, &target, &opts, &mut out.todo)?,
            action: "create",
        });
    }
    Ok(out)
}

/// The first paragraph of a description's text, its headings left out (`# Introduction\nThe
/// Rebilly API…` gives `The Rebilly API…`): a product's description is a summary the catalog
/// shows beside others, where a heading has no place.
fn first_paragraph(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let atx = t.starts_with('#') && t.trim_start_matches('#').starts_with([' ', '\t'])
            || (!t.is_empty() && t.chars().all(|c| c == '#'));
        let underline = |l: &str| l.len() >= 2 && (l.chars().all(|c| c == '=') || l.chars().all(|c| c == '-'));
        let setext_text = lines.get(i + 1).is_some_and(|n| underline(n.trim())) && !t.is_empty();
        if atx || setext_text || (underline(t) && i > 0 && !lines[i - 1].trim().is_empty()) {
            if !kept.is_empty() {
                break; // a heading ends the first paragraph
            }
            continue;
        }
        if t.is_empty() {
            if !kept.is_empty() {
                break;
            }
            continue;
        }
        kept.push(t);
    }
    kept.join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a description names other files in its `$ref`s.
fn references_files(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.lines().any(|l| {
        l.find("$ref").is_some_and(|i| {
            let rest = l[i + 4..].trim_start_matches(['"', '\'', ':', ' ']);
            !rest.starts_with('#')
        })
    })
}

/// The product file with `openapi:` set under `spec:` (replaced, or added first).
fn set_openapi(text: &str, target: &str) -> Option<String> {
    let value = serde_json::to_string(target).ok()?;
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if let Some(i) = lines.iter().position(|l| l.starts_with("  openapi:")) {
        lines[i] = format!("  openapi: {value}");
    } else {
        let spec = lines.iter().position(|l| l.trim_end() == "spec:")?;
        lines.insert(spec + 1, format!("  openapi: {value}"));
    }
    Some(lines.join("\n") + "\n")
}

fn new_product(api: &Api, target: &str, opts: &Options, todo: &mut Vec<String>) -> Result<String, ImportError> {
    if opts.upstreams.is_empty() {
        return Err(ImportError::Invalid(format!(
            "a new product needs its upstreams, which no description says: give --upstream sandbox=https://... and/or --upstream production=https://... (the description's servers: {})",
            servers(api)
        )));
    }
    let mut environments = serde_json::Map::new();
    for (env, url) in &opts.upstreams {
        if crate::template::filters::safe_website(url).is_none() {
            return Err(ImportError::Invalid(format!(
                "--upstream {}: `{}` is not an http(s) URL",
                env.as_str(),
                url.escape_debug()
            )));
        }
        environments.insert(env.as_str().to_string(), json!({"upstream": url}));
    }
    let envs: Vec<&str> = opts.upstreams.iter().map(|(e, _)| e.as_str()).collect();
    let mut plans: Vec<Value> = opts
        .plans
        .iter()
        .map(|(name, requests, unit)| json!({"name": name, "rateLimit": {"requests": requests, "per": unit}, "environments": envs}))
        .collect();
    if plans.is_empty() {
        plans.push(json!({"name": "standard", "rateLimit": {"requests": 10, "per": "second"}, "environments": envs}));
        todo.push(format!(
            "no --plan given: a plan `standard` of 10 requests per second in {} was written; set the plans you offer",
            envs.join(" and ")
        ));
    }
    let display = if api.title.trim().is_empty() {
        opts.product.clone()
    } else {
        api.title.clone()
    };
    let description = first_paragraph(&api.description);
    let mut metadata = json!({"name": opts.product});
    match &opts.owner {
        Some(o) => metadata["owner"] = json!(o),
        None => todo.push("no --owner given: set metadata.owner to the team that owns the product".into()),
    }
    let lifecycle = opts.lifecycle.clone().unwrap_or_else(|| {
        todo.push("no --lifecycle given: the product is `beta` until you say otherwise".into());
        "beta".into()
    });
    let doc = json!({
        "apiVersion": "partnerctl/v1",
        "kind": "Product",
        "metadata": metadata,
        "spec": {
            "displayName": display.lines().next().unwrap_or_default(),
            "description": description,
            "lifecycle": lifecycle,
            "openapi": target,
            "environments": environments,
            "plans": plans,
        }
    });
    let yaml = yaml_serde::to_string(&doc).map_err(|e| ImportError::Invalid(e.to_string()))?;
    Ok(format!(
        "# Imported from {target} by `partnerctl import openapi`; review it.\n{yaml}"
    ))
}

fn servers(api: &Api) -> String {
    let list: Vec<String> = api
        .doc
        .get("servers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("url")?.as_str().map(str::to_string))
        .collect();
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_product_description_is_the_first_paragraph_without_headings() {
        assert_eq!(
            first_paragraph(
                "# Introduction\nThe Rebilly API is built on HTTP.  Our API is\nRESTful.\n\n# Authentication\nKeys."
            ),
            "The Rebilly API is built on HTTP. Our API is RESTful."
        );
        assert_eq!(first_paragraph("Intro\n=====\n\nThe API.\n"), "The API.");
        assert_eq!(
            first_paragraph("## A\n\n### B\n\nText *here*.\nMore."),
            "Text *here*. More."
        );
        assert_eq!(first_paragraph("#hashtag first\n\nnext"), "#hashtag first");
        assert_eq!(first_paragraph(""), "");
    }
}
