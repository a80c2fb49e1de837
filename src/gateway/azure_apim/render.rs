//! The `azure-apim` target: an ARM template (deploymentTemplate 2019-04-01,
//! `Microsoft.ApiManagement` 2024-05-01) for one environment, and its parameters file.
//!
//! - per served product an API (`path` the endpoints' common prefix, an operation per
//!   endpoint, `serviceUrl` the environment's upstream with that prefix), keyed by the
//!   `X-Api-Key` header;
//! - per plan offered in the environment a product (`shipments.starter`): the product's
//!   display name and description, `terms` the text of the current version of every terms a
//!   subscriber needs, `approvalRequired` when an approval rule covers access to the
//!   environment, a policy with the plan's limits ([`super::policy`]) and the link to the
//!   API;
//! - per partner and product a subscription named `<partner>.<product>` in every
//!   environment, scoped to its plan's product: `active` when the access view grants it with
//!   a live credential, `suspended` when it grants it without one or the partner is
//!   suspended. Its two key slots take the partner's live credentials (at most two, oldest
//!   first), each a `securestring` parameter that the parameters file fills with a Key Vault
//!   reference ([`super::names::key_vault_secret`]); a slot no credential fills gets a fresh
//!   GUID each deployment, so a revoked key never stays behind in a slot.
//!
//! Every text of the program goes through the ARM literal encoder ([`crate::encode::arm`]),
//! descriptions, which API Management shows as HTML, through the portal's Markdown renderer
//! or the HTML encoder first. Resource names are literals (`<service>/<product>.<plan>`), as
//! the schema wants them; names in the few expressions partnerctl writes (`dependsOn`, key
//! parameters) are program names (`[a-z0-9-]`, joined with `.`), which no quote can enter.
//! No key is ever written.

use super::names::*;
use super::policy;
use crate::access::{Gateway, GatewayProduct};
use crate::encode::{arm, html};
use crate::model::{Program, Terms};
use crate::output::{RenderError, RenderedFile};
use crate::spec::{ChangeClass, CredentialSpec, Date, Environment, Method, OutputSpec, Stage};
use crate::template::filters;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

const TEMPLATE_SCHEMA: &str = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
const PARAMETERS_SCHEMA: &str = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#";
/// Most key slots of a subscription.
pub const KEY_SLOTS: usize = 2;

/// A product's API as API Management routes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiShape {
    /// The API's URL suffix, without a leading `/`: `v1/shipments`.
    pub path: String,
    /// Each endpoint: its method, full path, operation id and template below `path`.
    pub operations: Vec<(Method, String, String, String)>,
}

/// The endpoints' common literal prefix is the API's path; each endpoint's rest its
/// operation's URL template (`/` for the prefix itself).
pub fn api_shape(p: &GatewayProduct, id_max: usize) -> ApiShape {
    let split = |path: &str| -> Vec<String> { path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect() };
    let all: Vec<Vec<String>> = p.routes.iter().map(|r| split(&r.path)).collect();
    let mut prefix: Vec<String> = Vec::new();
    if let Some(first) = all.first() {
        for (i, seg) in first.iter().enumerate() {
            if seg.contains('{') || !all.iter().all(|r| r.get(i) == Some(seg)) {
                break;
            }
            prefix.push(seg.clone());
        }
    }
    // An endpoint at the prefix itself keeps a path of its own: the prefix may not be all
    // of every path when a path ends where another goes on (`/v1/a` and `/v1/a/b` share `v1/a`).
    let mut used = BTreeSet::new();
    let mut operations = Vec::new();
    for r in &p.routes {
        let segs = split(&r.path);
        let rest = &segs[prefix.len().min(segs.len())..];
        let template = format!("/{}", rest.join("/"));
        for m in &r.methods {
            let mut id = operation_id(*m, &r.path, id_max);
            if !used.insert(id.clone()) {
                let mut i = 2;
                while !used.insert(fit(&format!("{id}-{i}"), id_max)) {
                    i += 1;
                }
                id = fit(&format!("{id}-{i}"), id_max);
            }
            operations.push((*m, r.path.clone(), id, template.clone()));
        }
    }
    ApiShape {
        path: prefix.join("/"),
        operations,
    }
}

/// The `{name}`s of a URL template, in order.
fn template_parameters(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        let name = &rest[open + 1..open + close];
        if !name.is_empty() && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
        rest = &rest[open + close + 1..];
    }
    out
}

/// `s` cut to `max` characters (the last one `…`).
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A text of the program as an ARM literal of at most `max` characters.
fn text(s: &str, max: usize) -> String {
    let lit = arm::literal(&cut(s, max)).into_owned();
    if lit.chars().count() > max {
        // Only a cut text ends in `…`, and so is never doubled.
        return arm::literal(&cut(s, max - 1)).into_owned();
    }
    lit
}

/// A description as the HTML API Management shows, at most `max` characters: the portal's
/// rendering of its Markdown when it fits, else its text escaped and cut.
fn description(s: &str, max: usize) -> String {
    let rendered = filters::markdown_to_html(s);
    let rendered = rendered.trim_end();
    if rendered.chars().count() <= max {
        return arm::literal(rendered).into_owned();
    }
    let mut out = String::new();
    for c in s.chars() {
        let e = html::escape(&c.to_string());
        if out.chars().count() + e.chars().count() > max - 1 {
            break;
        }
        out.push_str(&e);
    }
    out.push('…');
    arm::literal(&out).into_owned()
}

/// A child resource's name: `<service>/a/b`. Written as a literal, as the
/// `Microsoft.ApiManagement` schema wants it (a `[format(…)]` name is refused there, and an
/// operation's whole name may have at most 80 characters).
fn name(service: &str, parts: &[&str]) -> String {
    format!("{service}/{}", parts.join("/"))
}

/// `[resourceId('Microsoft.ApiManagement/service/…', '<service>', 'a')]`, for `dependsOn`.
fn resource_id(service: &str, kind: &str, parts: &[&str]) -> String {
    let quoted: Vec<String> = parts.iter().map(|p| format!("'{p}'")).collect();
    format!(
        "[resourceId('Microsoft.ApiManagement/service/{kind}', '{service}', {})]",
        quoted.join(", ")
    )
}

fn resource(service: &str, kind: &str, parts: &[&str], depends_on: Vec<String>, properties: Option<Value>) -> Value {
    let mut r = Map::new();
    r.insert("type".into(), json!(format!("Microsoft.ApiManagement/service/{kind}")));
    r.insert("apiVersion".into(), json!(API_VERSION));
    r.insert("name".into(), json!(name(service, parts)));
    if !depends_on.is_empty() {
        r.insert("dependsOn".into(), json!(depends_on));
    }
    if let Some(p) = properties {
        r.insert("properties".into(), p);
    }
    Value::Object(r)
}

/// An operation's whole name (`<service>/<api>/<id>`) has at most 80 characters.
const OPERATION_NAME_MAX: usize = 80;
/// The shortest operation id [`fit`] can still make unique.
const OPERATION_ID_MIN: usize = 12;

/// How long an operation id of `api` may be.
fn operation_budget(service: &str, api: &str) -> usize {
    OPERATION_NAME_MAX.saturating_sub(service.len() + api.len() + 2)
}

/// Whether an approval rule of the program covers access to `environment`.
pub fn approval_required(program: &Program, environment: Environment) -> bool {
    let class = match environment {
        Environment::Sandbox => ChangeClass::SandboxAccess,
        Environment::Production => ChangeClass::ProductionAccess,
    };
    program.spec().is_some_and(|s| {
        s.approvals
            .iter()
            .any(|r| r.on.contains(&class) && !r.require.is_empty())
    })
}

/// The text of the current version of every terms a subscriber of `product` needs (the
/// program's, then the product's), each under its title and version.
pub fn terms_text(program: &Program, product: &crate::model::Product, today: Date) -> String {
    let mut names: Vec<&str> = program.required_terms().iter().map(|t| t.0.as_str()).collect();
    for t in &product.spec.required_terms {
        if !names.contains(&t.0.as_str()) {
            names.push(&t.0);
        }
    }
    let mut parts = Vec::new();
    for n in names {
        let Some(t) = program.terms.get(n) else { continue };
        let Some(v) = t.current(today) else { continue };
        let body = program.snapshot.text(&Terms::text_path(v)).unwrap_or_default();
        parts.push(format!(
            "{} (version {})\n\n{}",
            t.spec.title,
            v.version,
            body.trim_end()
        ));
    }
    parts.join("\n\n")
}

/// A subscription as the template writes it.
#[derive(Clone, Debug)]
pub struct Subscription<'a> {
    pub partner: &'a str,
    pub display_name: &'a str,
    pub product: &'a str,
    pub product_display_name: &'a str,
    pub plan: &'a str,
    /// The credentials in its key slots, oldest first.
    pub credentials: Vec<&'a CredentialSpec>,
    pub active: bool,
}

/// The subscriptions of `environment`: the access view's, and a suspended partner's.
pub fn subscriptions<'a>(program: &'a Program, gw: &Gateway<'a>) -> Vec<Subscription<'a>> {
    let env = gw.environment;
    let served: BTreeMap<&str, &GatewayProduct> = gw.products.iter().map(|p| (p.name, p)).collect();
    let mut out = Vec::new();
    for p in &gw.partners {
        let mut creds = p.credentials.clone();
        creds.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        for (product, plan) in &p.plans {
            out.push(Subscription {
                partner: p.name,
                display_name: &p.partner.spec.display_name,
                product,
                product_display_name: &served[product].product.spec.display_name,
                plan: &plan.name,
                credentials: creds.clone(),
                active: !creds.is_empty(),
            });
        }
    }
    // A suspended partner keeps its subscriptions (SPEC §15.5): kept, and suspended.
    for (name, partner) in &program.partners {
        if partner.stage() != Stage::Suspended {
            continue;
        }
        let mut seen = BTreeSet::new();
        for s in partner.spec.subscriptions.iter().filter(|s| s.environment == env) {
            let Some(gp) = served.get(s.product.0.as_str()) else {
                continue;
            };
            let Some(plan) = program.plan(&s.product, &s.plan) else {
                continue;
            };
            if !plan.environments.contains(&env) || !seen.insert(s.product.0.as_str()) {
                continue;
            }
            out.push(Subscription {
                partner: name,
                display_name: &partner.spec.display_name,
                product: gp.name,
                product_display_name: &gp.product.spec.display_name,
                plan: &plan.name,
                credentials: Vec::new(),
                active: false,
            });
        }
    }
    out.sort_by(|a, b| (a.partner, a.product).cmp(&(b.partner, b.product)));
    out
}

/// What keeps an output from rendering, in words (also `output-invalid` findings of
/// `validate`): no Key Vault, two products' APIs on one path, more live credentials than a
/// subscription has key slots, two credentials whose keys would be one Key Vault secret.
pub fn problems(program: &Program, today: Date, environment: Environment, output: &OutputSpec) -> Vec<String> {
    let mut out = Vec::new();
    let gw = Gateway::new(program, environment, today);
    let subs = subscriptions(program, &gw);
    if output.key_vault.is_none() && subs.iter().any(|s| !s.credentials.is_empty()) {
        out.push(format!(
            "output `{}`: the azure-apim target needs `keyVault`, the resource id of the Key Vault holding the subscription keys",
            output.path
        ));
    }
    let service = output.service.as_deref();
    if service.is_none() {
        out.push(format!(
            "output `{}`: the azure-apim target needs `service`, the name of the API Management instance",
            output.path
        ));
    }
    let mut paths: BTreeMap<String, &str> = BTreeMap::new();
    for p in &gw.products {
        let budget = operation_budget(service.unwrap_or_default(), p.name);
        if budget < OPERATION_ID_MIN {
            out.push(format!(
                "output `{}`: service `{}` and product `{}` leave API Management's 80-character operation names too little room; shorten one of them",
                output.path,
                service.unwrap_or_default(),
                p.name
            ));
        }
        let shape = api_shape(p, budget.max(OPERATION_ID_MIN));
        if let Some(other) = paths.insert(shape.path.clone(), p.name) {
            out.push(format!(
                "output `{}`: the APIs of products `{other}` and `{}` would both be at `/{}` in API Management; give one of them endpoints under a path of its own",
                output.path, p.name, shape.path
            ));
        }
        for (_, path, _, template) in &shape.operations {
            if template.len() > 1000 {
                out.push(format!(
                    "output `{}`: endpoint `{path}` of product `{}` is longer than API Management's 1000 characters",
                    output.path, p.name
                ));
            }
        }
    }
    let mut reported = BTreeSet::new();
    let mut secrets: BTreeMap<String, &str> = BTreeMap::new();
    for s in &subs {
        if s.credentials.len() > KEY_SLOTS && reported.insert(s.partner) {
            out.push(format!(
                "output `{}`: partner `{}` has {} live credentials in {environment}, but an API Management subscription holds {KEY_SLOTS} keys; revoke the older ones ({})",
                output.path,
                s.partner,
                s.credentials.len(),
                s.credentials.iter().map(|c| c.id.0.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        for c in &s.credentials {
            let secret = key_vault_secret(&c.secret_ref, s.product);
            if let Some(other) = secrets.insert(secret.clone(), &c.id.0)
                && other != c.id.0
            {
                out.push(format!(
                    "output `{}`: credentials `{other}` and `{}` would share the Key Vault secret `{secret}`; give their secretRefs paths that differ in more than punctuation",
                    output.path, c.id
                ));
            }
        }
    }
    out
}

/// The resources of the template that come from the program (APIs, their operations, a
/// product per plan with its policy), in the template's order.
fn program_resources(
    program: &Program,
    gw: &Gateway<'_>,
    today: Date,
    output: &OutputSpec,
) -> Result<Vec<Value>, RenderError> {
    let environment = gw.environment;
    let approval = approval_required(program, environment);
    let mut resources = Vec::new();
    let service = output.service.as_deref().unwrap_or_default();
    for p in &gw.products {
        let shape = api_shape(p, operation_budget(service, p.name));
        let spec = &p.product.spec;
        let (base, tail) = match p.upstream.find(['?', '#']) {
            Some(i) => p.upstream.split_at(i),
            None => (p.upstream, ""),
        };
        let service_url = if shape.path.is_empty() {
            p.upstream.to_string()
        } else {
            format!("{}/{}{tail}", base.trim_end_matches('/'), shape.path)
        };
        let api_id = resource_id(service, "apis", &[p.name]);
        resources.push(resource(
            service,
            "apis",
            &[p.name],
            Vec::new(),
            Some(json!({
                "displayName": text(&spec.display_name, 300),
                "description": description(&spec.description, 100_000),
                "path": shape.path,
                "protocols": ["https"],
                "serviceUrl": arm::literal(&service_url),
                "subscriptionRequired": true,
                "subscriptionKeyParameterNames": {"header": KEY_HEADER, "query": KEY_QUERY},
                "apiType": "http",
            })),
        ));
        for (method, path, id, template) in &shape.operations {
            let summary = spec
                .endpoints
                .iter()
                .find(|e| e.method == *method && e.path == *path)
                .and_then(|e| e.summary.as_deref());
            let display = match summary {
                Some(s) if !s.trim().is_empty() => s.to_string(),
                _ => format!("{} {path}", method.as_str()),
            };
            let params: Vec<Value> = template_parameters(template)
                .into_iter()
                .map(|n| json!({"name": n, "type": "string", "required": true}))
                .collect();
            resources.push(resource(
                service,
                "apis/operations",
                &[p.name, id],
                vec![api_id.clone()],
                Some(json!({
                    "displayName": text(&display, 300),
                    "method": method.as_str(),
                    "urlTemplate": template,
                    "templateParameters": params,
                    "responses": [],
                })),
            ));
        }
        let terms = terms_text(program, p.product, today);
        for plan in spec.plans.iter().filter(|pl| pl.environments.contains(&environment)) {
            let id = product_id(p.name, &plan.name);
            let product_ref = resource_id(service, "products", &[&id]);
            let mut props = Map::new();
            props.insert(
                "displayName".into(),
                json!(text(&format!("{} ({})", spec.display_name, plan.name), 300)),
            );
            props.insert("description".into(), json!(description(&spec.description, 1000)));
            if !terms.is_empty() {
                props.insert("terms".into(), json!(arm::literal(&terms)));
            }
            props.insert("state".into(), json!("published"));
            props.insert("subscriptionRequired".into(), json!(true));
            props.insert("approvalRequired".into(), json!(approval));
            resources.push(resource(
                service,
                "products",
                &[&id],
                Vec::new(),
                Some(Value::Object(props)),
            ));
            let xml = policy::document_of(plan)
                .map_err(|e| RenderError::Output(format!("output `{}`: the policy of plan {id}: {e}", output.path)))?;
            resources.push(resource(
                service,
                "products/policies",
                &[&id, "policy"],
                vec![product_ref.clone()],
                Some(json!({"format": "xml", "value": xml})),
            ));
            resources.push(resource(
                service,
                "products/apis",
                &[&id, p.name],
                vec![product_ref, api_id.clone()],
                None,
            ));
        }
    }
    Ok(resources)
}

/// The parameter of the template that seeds the key slots no credential fills.
fn seed_parameter() -> Value {
    json!({
        "type": "securestring",
        "defaultValue": "[newGuid()]",
        "metadata": {"description": "Seeds the key slots no credential fills; new on every deployment, so that no old key stays behind."},
    })
}

/// What one subscription adds: a `securestring` parameter of the template per key slot a
/// credential fills, the Key Vault reference the parameters file gives it, and the
/// subscription resource.
struct SubscriptionParts {
    parameters: Vec<(String, Value)>,
    values: Vec<(String, Value)>,
    resource: Value,
}

fn subscription_parts(s: &Subscription<'_>, service: &str, key_vault: &str) -> SubscriptionParts {
    let name = subscription_name(s.partner, s.product);
    let id = product_id(s.product, s.plan);
    let mut parameters = Vec::new();
    let mut values = Vec::new();
    let mut slots: Vec<String> = Vec::new();
    for c in s.credentials.iter().take(KEY_SLOTS) {
        let param = key_parameter(&c.id, s.product);
        parameters.push((
            param.clone(),
            json!({
                "type": "securestring",
                "metadata": {"description": format!("The key of credential {} of partner {} for {}.", c.id, s.partner, s.product)},
            }),
        ));
        values.push((
            param.clone(),
            json!({"reference": {"keyVault": {"id": key_vault}, "secretName": key_vault_secret(&c.secret_ref, s.product)}}),
        ));
        slots.push(format!("[parameters('{param}')]"));
    }
    for slot in ["primary", "secondary"].iter().skip(slots.len()) {
        slots.push(format!(
            "[guid(parameters('{KEY_SEED_PARAMETER}'), '{name}', '{slot}')]"
        ));
    }
    let resource = resource(
        service,
        "subscriptions",
        &[&name],
        vec![resource_id(service, "products", &[&id])],
        Some(json!({
            "displayName": text(&format!("{} / {}", s.display_name, s.product_display_name), 100),
            "scope": format!("/products/{id}"),
            "state": if s.active { "active" } else { "suspended" },
            "allowTracing": false,
            "primaryKey": slots[0],
            "secondaryKey": slots[1],
        })),
    );
    SubscriptionParts {
        parameters,
        values,
        resource,
    }
}

/// A JSON array whose elements are made while it is written, from the iterator the closure
/// gives (afresh each time it is called): the template's subscriptions are made and dropped
/// one at a time instead of all held as one value (a template of 100,000 partners took some
/// 400 MB that way).
struct StreamedSeq<F>(F);

impl<F, I, T> Serialize for StreamedSeq<F>
where
    F: Fn() -> I,
    I: Iterator<Item = T>,
    T: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for item in (self.0)() {
            seq.serialize_element(&item)?;
        }
        seq.end()
    }
}

/// A JSON object whose entries are made while it is written, as [`StreamedSeq`]'s elements.
struct StreamedMap<F>(F);

impl<F, I> Serialize for StreamedMap<F>
where
    F: Fn() -> I,
    I: Iterator<Item = (String, Value)>,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (k, v) in (self.0)() {
            map.serialize_entry(&k, &v)?;
        }
        map.end()
    }
}

/// JSON pretty-printed, with a final newline.
fn pretty<T: Serialize>(v: &T) -> Result<String, RenderError> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| RenderError::Output(e.to_string()))
}

/// The template and its parameters file, as JSON text, pretty-printed as
/// `serde_json::to_string_pretty` writes a value: the same bytes the whole value would give.
fn write(
    program: &Program,
    today: Date,
    environment: Environment,
    output: &OutputSpec,
) -> Result<(String, String), RenderError> {
    let gw = Gateway::new(program, environment, today);
    let fixed = program_resources(program, &gw, today, output)?;
    let subs = subscriptions(program, &gw);
    let service = output.service.as_deref().unwrap_or_default();
    let key_vault = output.key_vault.as_deref().unwrap_or_default();
    let parts = || subs.iter().map(|s| subscription_parts(s, service, key_vault));
    #[derive(Serialize)]
    struct Template<'a, P: Serialize, R: Serialize> {
        #[serde(rename = "$schema")]
        schema: &'a str,
        #[serde(rename = "contentVersion")]
        content_version: &'a str,
        metadata: Value,
        parameters: P,
        resources: R,
    }
    #[derive(Serialize)]
    struct Parameters<'a, P: Serialize> {
        #[serde(rename = "$schema")]
        schema: &'a str,
        #[serde(rename = "contentVersion")]
        content_version: &'a str,
        parameters: P,
    }
    let template = Template {
        schema: TEMPLATE_SCHEMA,
        content_version: "1.0.0.0",
        metadata: json!({
            "generator": "partnerctl",
            "program": program.name(),
            "environment": environment.as_str(),
        }),
        parameters: StreamedMap(|| {
            std::iter::once((KEY_SEED_PARAMETER.to_string(), seed_parameter()))
                .chain(parts().flat_map(|p| p.parameters))
        }),
        resources: StreamedSeq(|| {
            fixed
                .iter()
                .map(Cow::Borrowed)
                .chain(parts().map(|p| Cow::Owned(p.resource)))
        }),
    };
    let params = Parameters {
        schema: PARAMETERS_SCHEMA,
        content_version: "1.0.0.0",
        parameters: StreamedMap(|| parts().flat_map(|p| p.values)),
    };
    Ok((pretty(&template)?, pretty(&params)?))
}

/// Renders the template at `path` and its parameters file beside it.
pub fn render(
    program: &Program,
    today: Date,
    environment: Environment,
    output: &OutputSpec,
    path: &str,
) -> Result<Vec<RenderedFile>, RenderError> {
    let problems = problems(program, today, environment, output);
    if !problems.is_empty() {
        return Err(RenderError::Output(problems.join("; ")));
    }
    let (template, params) = write(program, today, environment, output)?;
    Ok(vec![
        RenderedFile::new(path, template),
        RenderedFile::new(parameters_path(path), params),
    ])
}
