//! Model: the resolved program that checks, policies, plans and renderers work on.
//!
//! [`load`] takes a [`Snapshot`], parses every YAML file (in parallel), validates each against
//! its kind's schema and deserializes the typed spec. Documents that fail to parse or to match
//! their schema are reported and kept out of the typed maps, but their names stay known
//! ([`Program::is_known`]) so a typo in a product does not also flood every subscriber with
//! unknown-reference findings. Lookups follow references (partner → product → plan, partner →
//! terms → version); dates are parsed; stages are ordered.

mod lookup;
pub mod raw;
pub mod secrets;
mod written;

pub use lookup::*;
pub use raw::Raw;
pub use secrets::FoundSecret;
pub use written::Written;

use crate::diag::{Code, Diagnostic, Location};
use crate::schema;
use crate::source::yaml;
use crate::source::{Blob, Entry, PROGRAM_FILE, Snapshot};
use crate::spec::{
    Kind, Metadata, PartnerDocument, PartnerSpec, ProductDocument, ProductSpec, ProgramDocument, ProgramSpec,
    TermsDocument, TermsSpec,
};
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One YAML document of the repository as read, before it is typed.
#[derive(Clone, Debug)]
pub struct Document {
    /// Path relative to the repository root.
    pub file: String,
    /// The kind its folder holds (`None` for files outside the program folders).
    pub folder_kind: Option<Kind>,
    /// The kind it declares, if `kind` is one of the four.
    pub kind: Option<Kind>,
    /// `metadata.name`, if it is a string.
    pub name: Option<String>,
    /// The document as written ([`Written`]); shared with the typed resource, never copied.
    pub written: Arc<Written>,
    /// What `secret-in-repo` found in its keys and strings, while it was parsed.
    pub secrets: Vec<FoundSecret>,
    /// Whether it matched its schema and deserialized.
    pub valid: bool,
}

impl Document {
    /// The file name without folder and extension.
    pub fn stem(&self) -> &str {
        file_stem(&self.file)
    }

    pub fn at(&self, pointer: &str) -> Location {
        let p = self.written.pos(pointer);
        Location::new(self.file.clone(), p.line, p.column)
    }

    /// The document in the policy engine's form ([`Written::raw`]).
    pub fn raw(&self) -> Raw {
        self.written.raw()
    }
}

/// `partners/emea/acme.yaml` → `acme`.
pub fn file_stem(path: &str) -> &str {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.strip_suffix(".yaml")
        .or_else(|| base.strip_suffix(".yml"))
        .unwrap_or(base)
}

/// A typed resource with where it came from, so any finding can point into its file.
#[derive(Clone, Debug)]
pub struct Resource<S> {
    pub name: String,
    pub file: String,
    /// Shared, like the spec.
    pub metadata: Arc<Metadata>,
    /// Shared: a plan's base program holds the desired side's resources for every file the
    /// change leaves alone, without copying them.
    pub spec: Arc<S>,
    /// The document as written (for policies, plans and locations), shared with its
    /// [`Document`].
    pub written: Arc<Written>,
}

impl<S> Resource<S> {
    /// The location of the value at a JSON pointer, e.g. `/spec/subscriptions/0/plan`.
    pub fn at(&self, pointer: &str) -> Location {
        let p = self.written.pos(pointer);
        Location::new(self.file.clone(), p.line, p.column)
    }

    /// [`Resource::at`] when `place`, else the file alone (line 0): what needs no line need
    /// not read the document again.
    pub fn at_if(&self, place: bool, pointer: &str) -> Location {
        if place {
            self.at(pointer)
        } else {
            Location::new(self.file.clone(), 0, 0)
        }
    }

    /// The location of the key leading to a JSON pointer (where `plan:` is written).
    pub fn key_at(&self, pointer: &str) -> Location {
        let p = self.written.key_pos(pointer);
        Location::new(self.file.clone(), p.line, p.column)
    }

    /// The document in the policy engine's form ([`Written::raw`]).
    pub fn raw(&self) -> Raw {
        self.written.raw()
    }

    /// Whether it is written the same as another resource's document ([`Written::same`]).
    pub fn same_as(&self, other: &Resource<S>) -> bool {
        self.written.same(&other.written)
    }

    /// The owning team, if declared.
    pub fn owner(&self) -> Option<&str> {
        self.metadata.owner.as_deref()
    }
}

pub type ProgramRes = Resource<ProgramSpec>;
pub type Product = Resource<ProductSpec>;
pub type Terms = Resource<TermsSpec>;
pub type Partner = Resource<PartnerSpec>;

/// The resolved program.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// The Program document; `None` when `program.yaml` is missing or invalid.
    pub program: Option<ProgramRes>,
    pub products: BTreeMap<String, Product>,
    pub terms: BTreeMap<String, Terms>,
    pub partners: BTreeMap<String, Partner>,
    /// Every YAML document read, valid or not, in path order.
    pub documents: Vec<Document>,
    /// Names of documents that exist but could not be typed (schema errors), by kind.
    pub unloadable: BTreeSet<(Kind, String)>,
    /// The files the program was read from (terms texts, policies, templates).
    pub snapshot: Snapshot,
    /// The API descriptions products name (SPEC §13), by file, bundled and read.
    pub apis: BTreeMap<String, std::sync::Arc<crate::openapi::Api>>,
    /// partnerctl documents written outside `program.yaml`, `products/`, `terms/` and
    /// `partners/` (SPEC §16): never loaded, reported by `misplaced-resource`.
    pub strays: Vec<Stray>,
}

/// A partnerctl document (`apiVersion: partnerctl/v1`, kind Program, Product, Terms or
/// Partner) in a file outside the program's folders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stray {
    pub file: String,
    pub kind: Kind,
    /// Where its `kind` is written.
    pub at: Location,
}

/// The partnerctl documents of the files outside the program's folders: those the source
/// search kept ([`Snapshot::outside`]) and the YAML files of `policies/`, `templates/` and
/// `apis/` that carry the marker. Only files with the marker are parsed, once.
fn strays(snapshot: &Snapshot) -> Vec<Stray> {
    use crate::source::outside::may_hold_document;
    let inside = snapshot.files.iter().filter_map(|(p, e)| match e {
        Entry::Bytes(b) if is_yaml(p) && folder_kind(p).is_none() => Some((p, b)),
        _ => None,
    });
    let candidates: Vec<(&String, &Blob)> = inside
        .chain(snapshot.outside.iter())
        .filter(|(_, b)| may_hold_document(&b.bytes()))
        .collect();
    let mut out: Vec<Stray> = candidates
        .par_iter()
        .flat_map_iter(|(path, blob)| {
            let docs = yaml::parse_stream(path, &blob.bytes()).unwrap_or_default();
            docs.into_iter()
                .filter(|d| d.value.get("apiVersion").and_then(Value::as_str) == Some("partnerctl/v1"))
                .filter_map(|d| {
                    let kind = d.value.get("kind").and_then(Value::as_str)?;
                    let kind = Kind::ALL.into_iter().find(|k| k.as_str() == kind)?;
                    let pos = d.pos("/kind");
                    Some(Stray {
                        file: path.to_string(),
                        kind,
                        at: Location::new(path.to_string(), pos.line, pos.column),
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort_by(|a, b| a.at.cmp(&b.at));
    out
}

impl Program {
    /// Whether the documents keep their policy form for the program's own policies (without
    /// any, loading makes none: see [`load`]).
    pub fn holds_policy_forms(&self) -> bool {
        needs_policy_forms(&self.snapshot)
    }

    /// Drops every document's policy form ([`Written::release`]). Called once the checks and
    /// policies, which read every document, have run: what comes after works on the typed
    /// resources and reads a document again only to place a finding or compare a change.
    pub fn release_documents(&self) {
        for doc in &self.documents {
            doc.written.release();
        }
    }
}

/// A loaded program and the findings of loading it.
#[derive(Debug)]
pub struct Loaded {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
}

fn folder_kind(path: &str) -> Option<Kind> {
    if path == PROGRAM_FILE {
        return Some(Kind::Program);
    }
    let folder = path.split('/').next()?;
    Kind::ALL.into_iter().find(|k| k.folder() == Some(folder))
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// Whether the program has policies of its own, which read documents in the policy engine's
/// form.
fn needs_policy_forms(snapshot: &Snapshot) -> bool {
    snapshot.files.keys().any(|p| crate::source::is_policy_file(p))
}

/// Compiles what loading needs before its first document (the schemas, the secret patterns):
/// run beside reading the files, which is mostly the file system's work and starts with
/// one thread walking the folders, it takes nothing from loading's parallel part.
pub fn prepare() {
    crate::schema::prepare();
    secrets::prepare();
}

/// Parses, schema-checks and types every document of a snapshot.
pub fn load(snapshot: Snapshot) -> Loaded {
    let mut diagnostics = Vec::new();

    for (path, entry) in &snapshot.files {
        if let Entry::Refused(why) = entry {
            diagnostics.push(
                Diagnostic::new(
                    Code::FileRefused,
                    &Location::file_start(path.clone()),
                    format!("{path} is not read: {why}"),
                )
                .with_hint("replace it with a regular file inside the repository"),
            );
        }
    }

    let bad_folders = bad_folder_names(&snapshot);
    for folder in &bad_folders {
        diagnostics.push(
            Diagnostic::new(
                Code::Schema,
                &Location::file_start(folder.clone()),
                format!(
                    "the folder name `{}` does not match the name pattern ^[a-z0-9]([a-z0-9-]{{0,61}}[a-z0-9])?$; nothing below it is loaded",
                    folder.escape_debug()
                ),
            )
            .with_hint("name folders below products/, terms/ and partners/ like resources: lower-case letters, digits and `-`"),
        );
    }

    let candidates: Vec<(&String, &Blob, Kind)> = snapshot
        .files
        .iter()
        .filter_map(|(path, entry)| match entry {
            Entry::Bytes(b) if is_yaml(path) => folder_kind(path).map(|k| (path, b, k)),
            _ => None,
        })
        .filter(|(path, _, _)| !bad_folders.iter().any(|f| under_folder(path, f)))
        .collect();

    // The documents in the policy engine's form are needed only for the program's own
    // policies (the built-in rules are evaluated over the typed program): without any, none
    // is made, and a document asked for later is read again from its bytes.
    let keep_raw = needs_policy_forms(&snapshot);
    let parsed: Vec<(Option<Document>, Option<Typed>, Vec<Diagnostic>)> = candidates
        .par_iter()
        .map_init(raw::Interner::default, |interner, (path, bytes, fk)| {
            read_document(path, bytes, *fk, keep_raw.then_some(interner))
        })
        .collect();

    let mut program = Program::default();
    for path in snapshot.files.keys() {
        if let Some(kind) = folder_kind(path).filter(|_| is_yaml(path)) {
            if bad_folders.iter().any(|f| under_folder(path, f)) {
                program.unloadable.insert((kind, file_stem(path).to_string()));
            }
        }
    }
    let mut documents = Vec::with_capacity(parsed.len());
    let mut typed_docs = Vec::with_capacity(parsed.len());
    for ((path, _, folder_kind), (doc, typed, diags)) in candidates.iter().zip(parsed) {
        diagnostics.extend(diags);
        match doc {
            Some(d) => {
                typed_docs.push(typed);
                documents.push(d);
            }
            // A file that does not parse still names a resource (by its file name), so that
            // references to it are not reported as unknown on top of the parse error.
            None => {
                program.unloadable.insert((*folder_kind, file_stem(path).to_string()));
            }
        }
    }
    program.snapshot = snapshot;
    // Each document's resource is made beside the others', and each kind's map is built
    // from its resources sorted by name: 100,000 insertions into a map, one at a time, were
    // a tenth of a second on one core at 100,000 partners.
    let made: Vec<Made> = documents
        .par_iter()
        .zip(typed_docs)
        .map(|(doc, typed)| {
            let (Some(kind), Some(name)) = (doc.kind, doc.name.as_ref()) else {
                return Made::Nothing;
            };
            if Some(kind) != doc.folder_kind {
                return Made::Nothing; // misplaced: reported by the misplaced-resource check, not loaded
            }
            match typed {
                None => Made::Unloadable(kind, name.clone()),
                Some(Typed::Program(m, s)) => Made::Program(resource(doc, m, s)),
                Some(Typed::Product(m, s)) => Made::Product(resource(doc, m, s)),
                Some(Typed::Terms(m, s)) => Made::Terms(resource(doc, m, s)),
                Some(Typed::Partner(m, s)) => Made::Partner(resource(doc, m, s)),
            }
        })
        .collect();
    let (mut products, mut terms, mut partners) = (Vec::new(), Vec::new(), Vec::new());
    for m in made {
        match m {
            Made::Nothing => {}
            Made::Unloadable(kind, name) => {
                program.unloadable.insert((kind, name));
            }
            Made::Program(r) => {
                if program.program.is_none() {
                    program.program = Some(r);
                }
            }
            Made::Product(r) => products.push(r),
            Made::Terms(r) => terms.push(r),
            Made::Partner(r) => partners.push(r),
        }
    }
    program.products = by_name(products);
    program.terms = by_name(terms);
    program.partners = by_name(partners);
    program.documents = documents;
    program.strays = strays(&program.snapshot);
    attach_apis(&mut program, &mut diagnostics);
    Loaded { program, diagnostics }
}

/// Reads the descriptions products name, derives the endpoints of products that leave them
/// out, and checks the others against their description (`openapi-mismatch`).
fn attach_apis(program: &mut Program, diagnostics: &mut Vec<Diagnostic>) {
    use crate::openapi::{self, path_shape};
    let files: BTreeSet<String> = program
        .products
        .values()
        .filter_map(|p| p.spec.openapi.clone())
        .filter(|f| program.snapshot.files.contains_key(f))
        .collect();
    if files.is_empty() && !program.products.values().any(|p| p.spec.openapi.is_some()) {
        return;
    }
    let (apis, diags) = openapi::load_all(&program.snapshot, &files);
    diagnostics.extend(diags);
    for product in program.products.values_mut() {
        let Some(file) = product.spec.openapi.clone() else {
            continue;
        };
        let Some(api) = apis.get(&file) else {
            if !program.snapshot.files.contains_key(&file) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownReference,
                        &product.at("/spec/openapi"),
                        format!(
                            "product {} names the API description {file}, which does not exist",
                            product.name
                        ),
                    )
                    .with_hint("add the file under apis/, or correct the path"),
                );
            }
            continue;
        };
        let derived = openapi::endpoints(api);
        if product.spec.endpoints.is_empty() {
            Arc::make_mut(&mut product.spec).endpoints = derived;
            continue;
        }
        let key = |method: &str, path: &str| format!("{method} {}", path_shape(path));
        for (i, e) in product.spec.endpoints.iter().enumerate() {
            if !derived
                .iter()
                .any(|d| key(d.method.as_str(), &d.path) == key(e.method.as_str(), &e.path))
            {
                diagnostics.push(
                    Diagnostic::new(
                        Code::OpenapiMismatch,
                        &product.at(&format!("/spec/endpoints/{i}")),
                        format!("endpoint {} {} of product {} is not an operation of {file}", e.method.as_str(), e.path, product.name),
                    )
                    .with_hint("add the operation to the description, remove the endpoint, or leave `endpoints` out so they are the description's operations"),
                );
            }
        }
        for op in api.operations.iter().filter(|o| o.endpoint_method().is_some()) {
            if !product
                .spec
                .endpoints
                .iter()
                .any(|e| key(e.method.as_str(), &e.path) == key(&op.method, &op.path))
            {
                diagnostics.push(
                    Diagnostic::new(
                        Code::OpenapiMismatch,
                        &product.at("/spec/endpoints"),
                        format!(
                            "operation {} ({file}:{}) is not an endpoint of product {}",
                            op.key(),
                            op.line,
                            product.name
                        ),
                    )
                    .with_hint("list it under `endpoints`, remove it from the description, or leave `endpoints` out"),
                );
            }
        }
    }
    program.apis = apis;
}

/// The folders below `products/`, `terms/` and `partners/` whose names break the name pattern
/// of §1, outermost only (what is below a bad folder is not judged again).
fn bad_folder_names(snapshot: &Snapshot) -> BTreeSet<String> {
    let mut bad = BTreeSet::new();
    for path in snapshot.files.keys() {
        let mut parts = path.split('/');
        let Some(top) = parts.next() else { continue };
        if !matches!(top, "products" | "terms" | "partners") {
            continue;
        }
        let folders: Vec<&str> = parts.collect();
        let Some((_, folders)) = folders.split_last() else {
            continue;
        };
        let mut prefix = top.to_string();
        for folder in folders {
            prefix.push('/');
            prefix.push_str(folder);
            if !crate::source::paths::is_valid_folder_name(folder) {
                bad.insert(prefix.clone());
                break;
            }
        }
    }
    bad
}

fn under_folder(path: &str, folder: &str) -> bool {
    path.strip_prefix(folder).is_some_and(|rest| rest.starts_with('/'))
}

/// Parses and schema-checks one file. The document is returned even when its schema check
/// fails (with `valid: false`), so later checks can still see its kind and name.
fn read_document(
    path: &str,
    bytes: &Blob,
    folder_kind: Kind,
    interner: Option<&mut raw::Interner>,
) -> (Option<Document>, Option<Typed>, Vec<Diagnostic>) {
    let doc = match yaml::parse(path, &bytes.bytes()) {
        Ok(d) => d,
        Err(diag) => return (None, None, vec![diag]),
    };
    let mut diags = Vec::new();
    let kind_value = doc.value.get("kind");
    let kind = kind_value
        .and_then(Value::as_str)
        .and_then(|k| Kind::ALL.into_iter().find(|x| x.as_str() == k));
    let name = doc
        .value
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    if !doc.value.is_object() {
        let p = doc.pos("");
        diags.push(Diagnostic::new(
            Code::Schema,
            &Location::new(path, p.line, p.column),
            "the document must be a mapping with apiVersion, kind, metadata and spec",
        ));
        return (None, None, diags);
    }
    let mut typed = None;
    match kind {
        Some(k) => {
            let schema_diags = schema::validate(k, path, &doc);
            if schema_diags.is_empty() {
                // The schema passed; typing can still refuse what a schema cannot say
                // (an impossible date such as 2026-02-30).
                match deserialize_typed(k, &doc.value) {
                    Ok(t) => typed = Some(t),
                    Err((pointer, msg)) => {
                        let p = doc.pos(&pointer);
                        diags.push(Diagnostic::new(
                            Code::Schema,
                            &Location::new(path, p.line, p.column),
                            format!("{}: {msg}", schema::describe_pointer(&pointer)),
                        ));
                    }
                }
            }
            diags.extend(schema_diags);
        }
        None => {
            let (pos, msg) = match kind_value {
                None => (
                    doc.pos(""),
                    "the document has no `kind`; expected one of: Program, Product, Terms, Partner".to_string(),
                ),
                Some(v) => (
                    doc.pos("/kind"),
                    format!(
                        "`kind: {}` is not one of: Program, Product, Terms, Partner",
                        v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
                    ),
                ),
            };
            let mut d = Diagnostic::new(Code::Schema, &Location::new(path, pos.line, pos.column), msg);
            if let Some(best) = kind_value
                .and_then(Value::as_str)
                .and_then(|s| schema::closest(s, &Kind::ALL.iter().map(|k| k.as_str().to_string()).collect::<Vec<_>>()))
            {
                d = d.with_hint(format!("did you mean `{best}`?"));
            } else if kind_value.is_none() {
                d = d.with_hint(format!("this folder holds `kind: {folder_kind}` documents"));
            }
            diags.push(d);
        }
    }
    let secrets = secrets::document_secrets(&doc.value);
    let written = match interner {
        Some(interner) => Written::new(bytes.clone(), raw::from_json(&doc.value, interner)),
        None => Written::unread(bytes.clone()),
    };
    (
        Some(Document {
            file: path.to_string(),
            folder_kind: Some(folder_kind),
            kind,
            name,
            written: Arc::new(written),
            secrets,
            valid: typed.is_some(),
        }),
        typed,
        diags,
    )
}

/// A document deserialized into its kind's spec type, already shared: the list of a hundred
/// thousand loaded files holds pointers, not the specs themselves.
enum Typed {
    Program(Arc<Metadata>, Arc<ProgramSpec>),
    Product(Arc<Metadata>, Arc<ProductSpec>),
    Terms(Arc<Metadata>, Arc<TermsSpec>),
    Partner(Arc<Metadata>, Arc<PartnerSpec>),
}

/// Types a document that passed its schema, once, reading the value in place. An error names
/// the JSON pointer of the value that could not be typed.
fn deserialize_typed(kind: Kind, value: &Value) -> Result<Typed, (String, String)> {
    fn go<T: DeserializeOwned>(value: &Value) -> Result<T, (String, String)> {
        // Nearly every document types: read it without tracking the path (which costs about
        // a third of typing), and only for one that fails read it again to say where.
        if let Ok(typed) = T::deserialize(value) {
            return Ok(typed);
        }
        serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
            let mut pointer = String::new();
            for seg in e.path().iter() {
                use serde_path_to_error::Segment;
                match seg {
                    Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
                    Segment::Map { key } => {
                        pointer.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1")))
                    }
                    Segment::Enum { variant } => pointer.push_str(&format!("/{variant}")),
                    Segment::Unknown => {}
                }
            }
            (pointer, e.inner().to_string())
        })
    }
    Ok(match kind {
        Kind::Program => {
            go::<ProgramDocument>(value).map(|d| Typed::Program(Arc::new(d.metadata), Arc::new(d.spec)))?
        }
        Kind::Product => {
            go::<ProductDocument>(value).map(|d| Typed::Product(Arc::new(d.metadata.into()), Arc::new(d.spec)))?
        }
        Kind::Terms => {
            go::<TermsDocument>(value).map(|d| Typed::Terms(Arc::new(d.metadata.into()), Arc::new(d.spec)))?
        }
        Kind::Partner => {
            go::<PartnerDocument>(value).map(|d| Typed::Partner(Arc::new(d.metadata.into()), Arc::new(d.spec)))?
        }
    })
}

fn resource<S>(doc: &Document, metadata: Arc<Metadata>, spec: Arc<S>) -> Resource<S> {
    Resource {
        name: metadata.name.0.clone(),
        file: doc.file.clone(),
        metadata,
        spec,
        written: Arc::clone(&doc.written),
    }
}

/// What a document adds to the program.
enum Made {
    Nothing,
    Unloadable(Kind, String),
    Program(ProgramRes),
    Product(Product),
    Terms(Terms),
    Partner(Partner),
}

/// Resources in document order, by name; the first of two with one name wins
/// (duplicate-name reports the second). The sort is stable, so of the resources of one name
/// the first stays first, and the map is built from sorted keys in one pass.
fn by_name<S: Send + Sync>(mut resources: Vec<Resource<S>>) -> BTreeMap<String, Resource<S>> {
    resources.par_sort_by(|a, b| a.name.cmp(&b.name));
    resources.dedup_by(|later, earlier| later.name == earlier.name);
    resources.into_iter().map(|r| (r.name.clone(), r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn of_two_resources_with_one_name_the_first_in_path_order_is_loaded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind");
        let example = Snapshot::from_dir(&root).unwrap();
        let original = "partners/emea/sahara-express.yaml";
        let text = example
            .text(original)
            .unwrap()
            .replace("Sahara Express", "Another Sahara");
        let partners = load(example.clone()).program.partners.len();
        // A copy that sorts after the original, and one that sorts before it.
        for (copy, first) in [
            ("partners/zz/sahara-express.yaml", original),
            ("partners/aa/sahara-express.yaml", "partners/aa/sahara-express.yaml"),
        ] {
            let mut snapshot = example.clone();
            snapshot.insert(copy, Entry::Bytes(text.as_bytes().into()));
            let program = load(snapshot).program;
            assert_eq!(program.partners["sahara-express"].file, first, "{copy}");
            assert_eq!(program.partners.len(), partners, "{copy}");
            assert!(program.partners.keys().is_sorted());
        }
    }
}
