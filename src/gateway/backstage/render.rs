//! The `backstage` target: catalog entities (`backstage.io/v1alpha1`) in the output's
//! folder, registered through its `catalog-info.yaml` (a `Location` listing the others).
//!
//! - `system.yaml`: the program as a `System`, owned by the program's team;
//! - `apis/<product>.yaml`: per product still served an `API` (`type: openapi`), its
//!   `definition` the product's OpenAPI description bundled into one document (without
//!   `servers`, which the portal does not show either) or, without one, a description
//!   generated from its endpoints; `lifecycle` beta → experimental, ga → production,
//!   deprecated → deprecated; owned by the product's team;
//! - `teams/<team>.yaml`: per team a `Group` (`type: team`), so that every owner reference
//!   resolves in the catalog itself;
//! - `partners/<partner>.yaml`: per partner not offboarded a `Group` (`type: partner`) with
//!   its public fields only (display name, website), and per environment in which the access
//!   view grants it anything a `Component` (`type: partner-integration`, owned by the
//!   partner) whose `consumesApis` are exactly the products it may call there on the day.
//!
//! Annotations name the source file, the stage, the plans and the newest accepted version of
//! each terms (`partnerctl.dev/…`), and with the output's `sourceUrl` link the file
//! (`backstage.io/view-url`). No contact, credential or secret reference is written, and
//! every value goes through the YAML serializer. An offboarded partner's file is no longer
//! written and its entities leave the catalog with it.

use crate::access::Gateway;
use crate::encode::yaml;
use crate::gateway::kubernetes::manifests::label;
use crate::model::{Partner, Product, Program};
use crate::output::{RenderError, RenderedFile};
use crate::spec::{Date, Environment, Lifecycle, OutputSpec, PlanSpec, QuotaUnit, Stage};
use crate::template::filters;
use rayon::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

const API_VERSION: &str = "backstage.io/v1alpha1";
/// The `spec.type` of a partner's Group and of its integrations.
pub const PARTNER_GROUP_TYPE: &str = "partner";
pub const INTEGRATION_TYPE: &str = "partner-integration";
/// The header partners send their key in (SPEC §7).
const KEY_HEADER: &str = "X-Api-Key";
const HEADER: &str = "Rendered by partnerctl from the program repository; change the program, not this file.";

/// Backstage's lifecycle of a product, `None` for a retired one (not in the catalog).
pub fn lifecycle(l: Lifecycle) -> Option<&'static str> {
    match l {
        Lifecycle::Beta => Some("experimental"),
        Lifecycle::Ga => Some("production"),
        Lifecycle::Deprecated => Some("deprecated"),
        Lifecycle::Retired => None,
    }
}

/// The Component of a partner's integration in an environment (at most 63 characters).
pub fn component_name(partner: &str, environment: Environment) -> String {
    label(&[partner, environment.as_str()])
}

/// What keeps the catalog from rendering: a team and a partner of one name would be one
/// Group.
pub fn problems(program: &Program, output: &OutputSpec) -> Vec<String> {
    let Some(spec) = program.spec() else { return Vec::new() };
    spec.teams
        .keys()
        .filter(|t| {
            program
                .partners
                .get(&t.0)
                .is_some_and(|p| p.stage() != Stage::Offboarded)
        })
        .map(|t| {
            format!(
                "output `{}`: team `{t}` and partner `{t}` would both be the Backstage Group `{t}`; rename one of them",
                output.path
            )
        })
        .collect()
}

struct Ctx<'a> {
    program: &'a Program,
    namespace: Option<&'a str>,
    source_url: Option<&'a str>,
}

impl Ctx<'_> {
    fn metadata(&self, name: &str, title: &str, file: &str, extra: &[(&str, String)]) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        if let Some(ns) = self.namespace {
            m.insert("namespace".into(), json!(ns));
        }
        if !title.is_empty() {
            m.insert("title".into(), json!(title));
        }
        let mut a = Map::new();
        a.insert("partnerctl.dev/program".into(), json!(self.program.name()));
        if !file.is_empty() {
            a.insert("partnerctl.dev/source".into(), json!(file));
            if let Some(base) = self.source_url {
                a.insert("backstage.io/view-url".into(), json!(format!("{base}{file}")));
                a.insert("backstage.io/source-location".into(), json!(format!("url:{base}")));
            }
        }
        for (k, v) in extra {
            a.insert((*k).into(), json!(v));
        }
        m.insert("annotations".into(), Value::Object(a));
        m
    }

    fn entity(&self, kind: &str, metadata: Map<String, Value>, spec: Value) -> Value {
        json!({"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec})
    }
}

/// `group:<team>` of a resource's owner, else the program's, else the first team's.
fn owner_ref(program: &Program, owner: Option<&str>) -> String {
    let team = owner
        .or_else(|| program.program.as_ref().and_then(|p| p.owner()))
        .map(str::to_string)
        .or_else(|| program.spec().and_then(|s| s.teams.keys().next().map(|t| t.0.clone())))
        .unwrap_or_else(|| program.name().to_string());
    format!("group:{team}")
}

/// `10 per second, 10000 per day`.
fn limits(plan: &PlanSpec) -> String {
    let mut s = format!("{} per {}", plan.rate_limit.requests, plan.rate_limit.per.as_str());
    if let Some(q) = plan.quota {
        let per = match q.per {
            QuotaUnit::Day => "day",
            QuotaUnit::Month => "month",
        };
        s.push_str(&format!(", {} per {per}", q.requests));
    }
    s
}

/// The newest accepted version of each terms the partner accepted: `partner-tos 2.0, …`.
fn accepted_terms(program: &Program, partner: &Partner) -> String {
    let names: BTreeSet<&str> = partner.spec.agreements.iter().map(|a| a.terms.0.as_str()).collect();
    names
        .into_iter()
        .filter_map(|t| partner.accepted(t, program).map(|(_, a)| format!("{t} {}", a.version)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The OpenAPI definition of a product: its description bundled (less `servers`), or one
/// generated from its endpoints.
pub fn definition(program: &Program, product: &Product) -> String {
    let described = product.spec.openapi.as_ref().and_then(|f| program.apis.get(f));
    let doc = match described {
        Some(api) => {
            let mut doc = api.doc.clone();
            if let Some(m) = doc.as_object_mut() {
                m.remove("servers");
            }
            doc
        }
        None => generated(product),
    };
    yaml::document(&doc).unwrap_or_default()
}

fn generated(product: &Product) -> Value {
    let spec = &product.spec;
    let mut paths = Map::new();
    for e in &spec.endpoints {
        let params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|n| json!({"name": n, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = Map::new();
        if let Some(s) = &e.summary {
            op.insert("summary".into(), json!(s));
        }
        if !params.is_empty() {
            op.insert("parameters".into(), json!(params));
        }
        op.insert(
            "responses".into(),
            json!({"default": {"description": "See the product's documentation."}}),
        );
        let entry = paths.entry(e.path.clone()).or_insert_with(|| json!({}));
        if let Some(m) = entry.as_object_mut() {
            m.insert(e.method.as_str().to_ascii_lowercase(), Value::Object(op));
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": spec.display_name,
            "version": spec.lifecycle.as_str(),
            "description": spec.description,
        },
        "paths": paths,
        "components": {"securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": KEY_HEADER}}},
        "security": [{"apiKey": []}],
    })
}

fn file(folder: &str, name: &str, docs: &[Value]) -> Result<RenderedFile, RenderError> {
    let err = |e: String| RenderError::Output(format!("{folder}/{name}: {e}"));
    let mut text = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i == 0 {
            text.push_str(&yaml::with_comments(&[HEADER.to_string()], d).map_err(err)?);
        } else {
            text.push_str("---\n");
            text.push_str(&yaml::document(d).map_err(err)?);
        }
    }
    Ok(RenderedFile::new(format!("{folder}/{name}"), text))
}

/// The catalog's entities that come from the program alone (its System, the products' APIs,
/// the teams' Groups), file by file below the output's folder.
fn program_entities(ctx: &Ctx<'_>) -> Vec<(String, Vec<Value>)> {
    let program = ctx.program;
    let system = program.name().to_string();
    let program_file = program.program.as_ref().map_or("program.yaml", |p| p.file.as_str());
    let display = program.spec().map_or("", |s| s.display_name.as_str());
    let mut out: Vec<(String, Vec<Value>)> = Vec::new();
    out.push((
        "system.yaml".into(),
        vec![ctx.entity(
            "System",
            ctx.metadata(&system, display, program_file, &[]),
            json!({"owner": owner_ref(program, None)}),
        )],
    ));
    for (name, p) in &program.products {
        let Some(lc) = lifecycle(p.spec.lifecycle) else {
            continue;
        };
        let plans: Vec<String> = p
            .spec
            .plans
            .iter()
            .map(|pl| {
                let envs: Vec<&str> = pl.environments.iter().map(|e| e.as_str()).collect();
                format!("{}: {} ({})", pl.name, limits(pl), envs.join(", "))
            })
            .collect();
        let mut meta = ctx.metadata(
            name,
            &p.spec.display_name,
            &p.file,
            &[("partnerctl.dev/plans", plans.join("; "))],
        );
        if !p.spec.description.is_empty() {
            meta.insert("description".into(), json!(p.spec.description));
        }
        out.push((
            format!("apis/{name}.yaml"),
            vec![ctx.entity(
                "API",
                meta,
                json!({
                    "type": "openapi",
                    "lifecycle": lc,
                    "owner": owner_ref(program, p.owner()),
                    "system": system,
                    "definition": definition(program, p),
                }),
            )],
        ));
    }
    if let Some(spec) = program.spec() {
        for (team, t) in &spec.teams {
            let mut extra = Vec::new();
            if let Some((org, slug)) = t
                .github
                .as_deref()
                .and_then(|g| g.strip_prefix('@'))
                .and_then(|g| g.split_once('/'))
            {
                extra.push(("github.com/team-slug", format!("{org}/{slug}")));
            }
            out.push((
                format!("teams/{team}.yaml"),
                vec![ctx.entity(
                    "Group",
                    ctx.metadata(&team.0, "", program_file, &extra),
                    json!({"type": "team", "profile": {"displayName": team.0}, "children": []}),
                )],
            ));
        }
    }
    out
}

/// A partner's entities (its Group, and a Component per environment whose access view
/// grants it anything), none for an offboarded partner. They depend on that partner and the
/// program alone: the catalog is partner-separable (crate::plan::outputs).
fn partner_entities(ctx: &Ctx<'_>, views: &[Gateway<'_>], name: &str, partner: &Partner) -> Option<Vec<Value>> {
    let program = ctx.program;
    let system = program.name();
    if partner.stage() == Stage::Offboarded {
        return None;
    }
    let terms = accepted_terms(program, partner);
    let stage = partner.stage().as_str().to_string();
    let mut common = vec![("partnerctl.dev/stage", stage)];
    if !terms.is_empty() {
        common.push(("partnerctl.dev/accepted-terms", terms));
    }
    let mut meta = ctx.metadata(name, &partner.spec.display_name, &partner.file, &common);
    if let Some(site) = partner.spec.website.as_deref().and_then(filters::safe_website) {
        meta.insert("links".into(), json!([{"url": site, "title": "Website"}]));
    }
    let mut docs = vec![ctx.entity(
        "Group",
        meta,
        json!({
            "type": PARTNER_GROUP_TYPE,
            "profile": {"displayName": partner.spec.display_name},
            "children": [],
        }),
    )];
    for gw in views {
        let Some(access) = gw.partner(name) else {
            continue;
        };
        let env = gw.environment;
        let plans: Vec<String> = access
            .plans
            .iter()
            .map(|(prod, plan)| format!("{prod}: {}", plan.name))
            .collect();
        let mut extra = common.clone();
        extra.push(("partnerctl.dev/partner", name.to_string()));
        extra.push(("partnerctl.dev/environment", env.as_str().to_string()));
        if !plans.is_empty() {
            extra.push(("partnerctl.dev/plans", plans.join(", ")));
        }
        let meta = ctx.metadata(
            &component_name(name, env),
            &format!("{} ({env})", partner.spec.display_name),
            &partner.file,
            &extra,
        );
        let consumes: Vec<String> = access.plans.keys().map(|p| format!("api:{p}")).collect();
        docs.push(ctx.entity(
            "Component",
            meta,
            json!({
                "type": INTEGRATION_TYPE,
                "lifecycle": match env { Environment::Production => "production", Environment::Sandbox => "experimental" },
                "owner": format!("group:{name}"),
                "system": system,
                "consumesApis": consumes,
            }),
        ));
    }
    Some(docs)
}

/// Renders the catalog into the folder `path`.
pub fn render(
    program: &Program,
    today: Date,
    only: Option<Environment>,
    output: &OutputSpec,
    path: &str,
) -> Result<Vec<RenderedFile>, RenderError> {
    let problems = problems(program, output);
    if !problems.is_empty() {
        return Err(RenderError::Output(problems.join("; ")));
    }
    let ctx = Ctx {
        program,
        namespace: output.namespace.as_deref(),
        source_url: None,
    };
    let entity_ctx = Ctx {
        source_url: output.source_url.as_deref(),
        ..ctx
    };
    let mut files = Vec::new();
    let mut targets = Vec::new();
    for (name, docs) in &program_entities(&entity_ctx) {
        targets.push(format!("./{name}"));
        files.push(file(path, name, docs)?);
    }
    // A partner's entities are written as soon as they are made, in parallel: a catalog of
    // 100,000 partners never holds their entities all at once, only their files.
    let views: Vec<Gateway> = Environment::ALL
        .into_iter()
        .filter(|e| only.is_none_or(|o| o == *e))
        .map(|e| Gateway::new(program, e, today))
        .collect();
    let partners: Vec<(&String, &Partner)> = program.partners.iter().collect();
    let written: Vec<Option<(String, RenderedFile)>> = partners
        .par_iter()
        .map(|(name, partner)| {
            let Some(docs) = partner_entities(&entity_ctx, &views, name, partner) else {
                return Ok(None);
            };
            let name = format!("partners/{name}.yaml");
            let f = file(path, &name, &docs)?;
            Ok(Some((name, f)))
        })
        .collect::<Result<_, RenderError>>()?;
    for (name, f) in written.into_iter().flatten() {
        targets.push(format!("./{name}"));
        files.push(f);
    }
    let location = ctx.entity(
        "Location",
        ctx.metadata(&label(&[program.name(), "partnerctl"]), "", "", &[]),
        json!({"targets": targets}),
    );
    files.push(file(path, "catalog-info.yaml", &[location])?);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
