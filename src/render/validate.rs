//! `output-invalid`: what `validate` checks about the outputs of program.yaml (SPEC §9), so
//! that an output that cannot be written safely fails the pull request, not the merge.
//!
//! Every output is checked on its own, at its line in program.yaml: its path (the lexical
//! rules of [`check_relative_path`]; the symbolic-link rules need the disk and are applied
//! again when writing), that it names exactly one of a target or a template, that a gateway
//! target has its environment, that no two outputs write the same file. Every template of
//! the program is compiled, and a syntax error is reported at its own line. Outputs whose
//! templates the program supplies (a `template:` output, or a built-in target whose template
//! the program overrides) are rendered within their budget, since a template that loops
//! forever or writes gigabytes is only found by running it; built-in templates are part of
//! partnerctl and are rendered on merge only.

use super::render_output;
use crate::access::Gateway;
use crate::diag::{Code, Diagnostic, Location};
use crate::model::Program;
use crate::output::{RenderError, RenderedFile, check_relative_path, normalize};
use crate::source::Entry;
use crate::spec::{Date, OutputSpec, Target};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The built-in template folder a target renders from, if it renders through templates.
fn template_folder(target: Target) -> Option<&'static str> {
    match target {
        Target::Docs => Some("docs/"),
        Target::Kong => Some("kong/"),
        Target::Nginx => Some("nginx/"),
        Target::EnvoyRatelimit => Some("envoy-ratelimit/"),
        Target::Codeowners
        | Target::FunnelReport
        | Target::EnvoyGateway
        | Target::KongIngress
        | Target::Backstage
        | Target::AzureApim
        | Target::IssueForms => None,
    }
}

fn needs_environment(target: Target) -> bool {
    target.needs_environment()
}

/// The program's template files, by name below `templates/`.
fn program_templates(program: &Program) -> impl Iterator<Item = (&str, &Entry)> {
    program
        .snapshot
        .under("templates/")
        .filter_map(|(path, entry)| path.strip_prefix("templates/").map(|name| (name, entry)))
}

/// Whether rendering `output` runs a template the program supplies.
pub fn runs_program_template(program: &Program, output: &OutputSpec) -> bool {
    if output.template.is_some() {
        return true;
    }
    let Some(folder) = output.target.and_then(template_folder) else {
        return false;
    };
    program_templates(program).any(|(name, _)| name.starts_with(folder))
}

/// The `output-invalid` findings of a program.
pub fn check_outputs(program: &Program, today: Date) -> Vec<Diagnostic> {
    check_and_render_outputs(program, today).0
}

/// [`check_outputs`], with the outputs it had to render to check them (those that run a
/// template of the program's), so that `render`, `plan` and `apply` do not render them again.
pub fn check_and_render_outputs(program: &Program, today: Date) -> (Vec<Diagnostic>, Prerendered) {
    let mut out = Vec::new();
    let mut rendered = Prerendered::default();
    let (Some(res), Some(spec)) = (program.program.as_ref(), program.spec()) else {
        return (out, rendered);
    };
    let finding = |at: &Location, message: String, hint: &str| {
        Diagnostic::new(Code::OutputInvalid, at, message).with_hint(hint.to_string())
    };

    // Template syntax first: a template that does not compile is reported once, at its own
    // line, however many outputs use it.
    let env = match super::environment(program) {
        Ok(env) => Some(env),
        Err(e) => {
            out.push(finding(
                &Location::file_start("templates"),
                e.to_string(),
                "program templates are UTF-8 minijinja text",
            ));
            None
        }
    };
    let mut broken_templates = Vec::new();
    if let Some(env) = &env {
        for (name, entry) in program_templates(program) {
            let path = format!("templates/{name}");
            if !matches!(entry, Entry::Bytes(_)) {
                continue; // refused files are reported by loading
            }
            if let Err(e) = env.get_template(name) {
                let line = e.line().unwrap_or(1);
                out.push(finding(
                    &Location::new(path.clone(), line, 1),
                    format!("template `{path}` does not compile: {}", e.detail().unwrap_or(&e.to_string())),
                    "fix the template's syntax (minijinja, close to Jinja2); docs/templates.md lists what templates can use",
                ));
                broken_templates.push(name.to_string());
            }
        }
    }

    // What one output's settings say, in program.yaml's order; then, in parallel, what
    // checking or rendering it finds. The outputs are independent, and a gateway target's
    // manifests or a program template over every partner are most of validate's work after
    // loading.
    struct Planned {
        at: Location,
        before: Vec<Diagnostic>,
        settings: Option<Target>,
        duplicate: Option<Diagnostic>,
        render: bool,
    }
    let mut written: BTreeMap<String, usize> = BTreeMap::new();
    let mut planned = Vec::with_capacity(spec.outputs.len());
    for (i, output) in spec.outputs.iter().enumerate() {
        let mut out = Vec::new();
        let at = res.at(&format!("/spec/outputs/{i}"));
        let path = normalize(&output.path);
        let mut ok = true;
        if let Err(e) = check_relative_path(&path) {
            out.push(finding(
                &at,
                e.to_string(),
                "write outputs below a folder of their own, such as dist/; never into .git or onto the program's own files",
            ));
            ok = false;
        }
        match (output.target, &output.template) {
            (Some(_), Some(_)) => {
                out.push(finding(
                    &at,
                    format!("output `{}` names both a target and a template", output.path),
                    "an output is either a built-in `target:` or a `template:` of the program's",
                ));
                ok = false;
            }
            (None, None) => {
                out.push(finding(
                    &at,
                    format!("output `{}` names neither a target nor a template", output.path),
                    "add `target:` (docs, funnel-report, kong, nginx, envoy-ratelimit, codeowners) or `template: templates/…`",
                ));
                ok = false;
            }
            (Some(target), None) if needs_environment(target) && output.environment.is_none() => {
                out.push(finding(
                    &at,
                    format!(
                        "output `{}`: the {} target needs an `environment`",
                        output.path,
                        target.as_str()
                    ),
                    "add `environment: sandbox` or `environment: production`",
                ));
                ok = false;
            }
            (None, Some(template)) => {
                let name = template.strip_prefix("templates/").filter(|n| !n.is_empty());
                match name {
                    None => {
                        out.push(finding(
                            &at,
                            format!(
                                "output `{}`: `template: {template}` must name a file under the program's templates/ folder",
                                output.path
                            ),
                            "templates live in templates/ at the repository root",
                        ));
                        ok = false;
                    }
                    Some(_) if !matches!(program.snapshot.files.get(template.as_str()), Some(Entry::Bytes(_))) => {
                        out.push(finding(
                            &at,
                            format!("output `{}`: template `{template}` does not exist", output.path),
                            "add the template under templates/, or fix its path",
                        ));
                        ok = false;
                    }
                    Some(n) if broken_templates.iter().any(|b| b == n) => ok = false,
                    Some(_) => {}
                }
            }
            _ => {}
        }
        let settings = output.target.filter(|_| ok);
        let mut duplicate = None;
        if let Some(first) = written.insert(path.clone(), i) {
            duplicate = Some(finding(
                &at,
                format!(
                    "output `{}` writes the same path as output {} does",
                    output.path,
                    first + 1
                ),
                "give every output a path of its own",
            ));
            ok = false;
        }
        let render = ok && runs_program_template(program, output) && broken_templates.is_empty() && env.is_some();
        planned.push(Planned {
            at,
            before: out,
            settings,
            duplicate,
            render,
        });
    }
    let checked: Vec<(Vec<Diagnostic>, Option<Vec<RenderedFile>>)> = planned
        .into_par_iter()
        .zip(spec.outputs.par_iter())
        .map(|(plan, output)| {
            let Planned {
                at,
                before: mut out,
                settings,
                duplicate,
                render,
            } = plan;
            if let Some(target) = settings {
                for (message, hint) in target_settings(program, today, output, target) {
                    out.push(finding(&at, message, hint));
                }
            }
            out.extend(duplicate);
            let mut files = None;
            if render && let Some(env) = &env {
                match render_output(program, output, today, env) {
                    Ok(f) => files = Some(f),
                    Err(e @ RenderError::Description { .. }) => {
                        out.extend(crate::template::budget::diagnostic(&e));
                    }
                    Err(e) => {
                    let hint = match &e {
                        RenderError::Template { .. } => {
                            "fix the template; a render has a budget (docs/security.md), so loops over loops of the program's data are refused"
                        }
                        _ => "fix the output in program.yaml",
                    };
                        out.push(finding(&at, format!("output `{}`: {e}", output.path), hint));
                    }
                }
            }
            (out, files)
        })
        .collect();
    for (i, (found, files)) in checked.into_iter().enumerate() {
        out.extend(found);
        if let Some(files) = files {
            rendered.0.insert(i, files);
        }
    }
    // The portal's API reference is written from each product's description by built-in
    // templates, on merge; a description too large for it fails here instead (an output that
    // runs the program's own templates was rendered whole above).
    let docs_on_merge = spec.outputs.iter().enumerate().any(|(i, o)| {
        o.target == Some(Target::Docs) && !rendered.0.contains_key(&i) && !runs_program_template(program, o)
    });
    if docs_on_merge && let Some(env) = &env {
        for e in crate::portal::pages::check_api_references(program, today, env) {
            match crate::template::budget::diagnostic(&e) {
                Some(d) => out.push(d),
                None => out.push(finding(
                    &Location::file_start("apis"),
                    e.to_string(),
                    "fix the API description",
                )),
            }
        }
    }
    (out, rendered)
}

/// Outputs already rendered while checking, by their index in `spec.outputs`: valid only for
/// the program and date they were rendered from.
#[derive(Debug, Default)]
pub struct Prerendered(BTreeMap<usize, Vec<RenderedFile>>);

impl Prerendered {
    /// The files of output `index`, taken out (each is used once).
    pub fn take(&mut self, index: usize) -> Option<Vec<RenderedFile>> {
        self.0.remove(&index)
    }
}

/// What a built-in target needs from the program that its schema cannot say, found here so
/// that the pull request fails rather than the render on merge: an `envoy-gateway` output
/// needs the `route` of every product it serves, one route per product; a `kong` or
/// `kong-ingress` output a complete `quotaPolicy`/`redis` pair its Kong accepts in its
/// `mode`; a Kubernetes target's manifests must be what the cluster accepts (names, sizes,
/// the CRDs' limits: [`crate::gateway::kubernetes::limits`]); an `azure-apim` output what
/// API Management can hold ([`crate::gateway::azure_apim::render::problems`]); a
/// `backstage` output Group names that teams and partners do not share; an `issue-forms`
/// output names GitHub accepts in a form.
fn target_settings(program: &Program, today: Date, output: &OutputSpec, target: Target) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    if output.edition.is_some() && target != Target::KongIngress {
        out.push((
            format!(
                "output `{}`: `edition` is read by the kong-ingress target only",
                output.path
            ),
            "remove `edition`, or move it to the kong-ingress output",
        ));
    }
    if output.mode.is_some() && !matches!(target, Target::Kong | Target::KongIngress) {
        out.push((
            format!(
                "output `{}`: `mode` is read by the kong and kong-ingress targets only",
                output.path
            ),
            "remove `mode`, or move it to the kong or kong-ingress output",
        ));
    }
    match target {
        Target::Kong | Target::KongIngress => {
            if let Err(e) = crate::gateway::kong::render::Counters::of(output) {
                let hint = if output.quota_policy == Some(crate::spec::QuotaPolicy::Cluster) {
                    "without a database (DB-less, the Kong Ingress Controller's usual mode, or a hybrid control plane) use `quotaPolicy: redis` for counters every node shares, or `local`; set `mode: database` only if Kong runs with its database"
                } else {
                    "with `quotaPolicy: redis` give `redis: {host, port}`; with `local` or `cluster` leave `redis` out"
                };
                out.push((e.to_string(), hint));
            } else if target == Target::KongIngress
                && let Some(environment) = output.environment
            {
                out.extend(refused_manifests(output, |emit| {
                    crate::gateway::kong_ingress::render::documents(program, today, environment, output, emit)
                }));
            }
        }
        Target::EnvoyGateway => {
            let Some(environment) = output.environment else {
                return out;
            };
            let products = Gateway::products(program, environment);
            for p in &products {
                let has_route = p
                    .product
                    .spec
                    .environments
                    .get(environment)
                    .is_some_and(|e| e.route.is_some());
                if !has_route {
                    out.push((
                        format!(
                            "output `{}`: product `{}` ({}) has no `environments.{environment}.route`, the HTTPRoute the envoy-gateway policies attach to",
                            output.path,
                            p.name,
                            p.product.file
                        ),
                        "add `route: {name, namespace}` to the product's environment, naming the HTTPRoute that serves it",
                    ));
                }
            }
            for (route, names) in crate::gateway::envoy_gateway::render::shared_routes(&products, environment) {
                out.push((
                    format!(
                        "output `{}`: products {} share the HTTPRoute {}/{}, but Envoy Gateway applies one SecurityPolicy and one BackendTrafficPolicy per route and marks the others Conflicted: one product's subscribers would pass on the other's paths",
                        output.path,
                        names.join(", "),
                        route.namespace,
                        route.name
                    ),
                    "give each product an HTTPRoute of its own (split the route's rules into one HTTPRoute per product, on the same Gateway and hostname)",
                ));
            }
            if out.is_empty() {
                out.extend(refused_manifests(output, |emit| {
                    crate::gateway::envoy_gateway::render::documents(program, today, environment, output, emit)
                }));
            }
        }
        Target::AzureApim => {
            if let Some(environment) = output.environment {
                for p in crate::gateway::azure_apim::render::problems(program, today, environment, output) {
                    out.push((
                        p,
                        "docs/azure.md says what the azure-apim target needs: a Key Vault, APIs on paths of their own, at most two live credentials per partner",
                    ));
                }
            }
        }
        Target::Backstage => {
            for p in crate::gateway::backstage::render::problems(program, output) {
                out.push((
                    p,
                    "teams and partners are both Groups in Backstage's catalog, so their names must differ",
                ));
            }
        }
        Target::IssueForms => {
            if let Err(e) = crate::onboarding::forms::forms(program, today) {
                out.push((
                    format!("output `{}`: {e}", output.path),
                    "GitHub refuses such a form; change the name it comes from, or the terms and plans the forms offer",
                ));
            }
        }
        _ => {}
    }
    out
}

/// The findings of a Kubernetes output whose manifests the cluster would refuse, checked one
/// manifest at a time as `build` makes them.
fn refused_manifests(
    output: &OutputSpec,
    build: impl Fn(&mut dyn crate::gateway::kubernetes::limits::Emit) -> Result<(), RenderError>,
) -> Vec<(String, &'static str)> {
    let hint = "the manifests would fail `kubectl apply` or the Argo CD/Flux sync; docs/kubernetes.md says what each target can hold";
    match crate::gateway::kubernetes::limits::check_each(build) {
        Err(e) => vec![(e.to_string(), hint)],
        Ok(problems) => {
            if problems.is_empty() {
                Vec::new()
            } else {
                vec![(
                    crate::gateway::kubernetes::limits::refused(&output.path, &problems).to_string(),
                    hint,
                )]
            }
        }
    }
}
