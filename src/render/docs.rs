//! The `docs` target: the partner portal as static HTML.
//!
//! Pages (below the output's folder): `index.html` (the catalog), `products/<name>.html`,
//! `onboarding.html`, `terms/index.html`, `terms/<terms>/<version>.html` (the text and what
//! changed since the previous version), `partners.html` (listed live partners) and
//! `style.css`. Links are relative and name files (`products/rates.html`, never a folder),
//! so the portal works from `file://` and on any static host; there is no JavaScript.
//!
//! The context holds only public facts: no contacts, no secret references, no partner stages
//! (the directory lists partners that are listed and live, without saying so per partner).

use super::context::{self, in_directory};
use super::{RenderError, RenderedFile, filters, templates};
use crate::model::{Program, Terms};
use crate::source::Entry;
use crate::spec::{ChangeClass, Date, Environment, Stage};
use serde_json::{Value, json};
use similar::{ChangeTag, TextDiff};

/// The file name of a terms version page: `2.0` → `2.0.html`.
pub fn version_file(version: &str) -> String {
    let safe: String = version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    format!("{}.html", if safe.is_empty() { "version" } else { safe })
}

fn terms_href(name: &str, version: &str) -> String {
    format!("terms/{name}/{}", version_file(version))
}

/// The portal's data: see docs/templates.md.
pub fn context(program: &Program, today: Date) -> Value {
    let spec = program.spec();
    let terms_ref = |name: &str| -> Value {
        match program.terms.get(name) {
            Some(t) => {
                let current = t.current(today).or_else(|| t.spec.versions.first());
                json!({
                    "name": name,
                    "title": t.spec.title,
                    "version": current.map(|v| v.version.as_str()),
                    "href": current.map(|v| terms_href(name, &v.version)).unwrap_or_else(|| "terms/index.html".into()),
                })
            }
            None => json!({"name": name, "title": name, "version": null, "href": "terms/index.html"}),
        }
    };
    let products: Vec<Value> = program
        .products
        .values()
        .map(|p| {
            let mut v = context::product(p, false);
            v["href"] = json!(format!("products/{}.html", p.name));
            if p.spec.openapi.as_ref().is_some_and(|f| program.apis.contains_key(f)) {
                v["apiHref"] = json!(format!("products/{}/api.html", p.name));
            }
            v["descriptionHtml"] = json!(filters::markdown_to_html(&p.spec.description));
            v["requiredTerms"] = json!(p.spec.required_terms.iter().map(|t| terms_ref(t)).collect::<Vec<_>>());
            v
        })
        .collect();
    let terms: Vec<Value> = program
        .terms
        .values()
        .map(|t| {
            let mut v = context::terms(t, today);
            v["href"] = json!(t.current(today).map(|c| terms_href(&t.name, &c.version)));
            if let Some(versions) = v["versions"].as_array_mut() {
                for (i, ver) in versions.iter_mut().enumerate() {
                    let version = &t.spec.versions[i];
                    ver["href"] = json!(terms_href(&t.name, &version.version));
                    ver["status"] = json!(version_status(t, i, today));
                    ver.as_object_mut().map(|o| o.remove("file"));
                }
            }
            v
        })
        .collect();
    let mut directory: Vec<Value> = program
        .partners
        .values()
        .filter(|p| in_directory(p.stage(), p.spec.listed))
        .map(|p| {
            let website = p.spec.website.as_deref();
            // A website that is no http(s) URL is shown as text, never as a link.
            json!({
                "displayName": p.spec.display_name,
                "website": website.and_then(filters::safe_website),
                "websiteText": website.filter(|w| filters::safe_website(w).is_none()),
            })
        })
        .collect();
    directory.sort_by(|a, b| {
        let key = |v: &Value| v["displayName"].as_str().unwrap_or("").to_lowercase();
        key(a).cmp(&key(b))
    });
    json!({
        "asOf": today.to_string(),
        "program": {
            "name": program.name(),
            "displayName": spec.map(|s| s.display_name.as_str()).unwrap_or(""),
            "requiredTerms": program.required_terms().iter().map(|t| terms_ref(t)).collect::<Vec<_>>(),
        },
        "products": products,
        "terms": terms,
        "onboarding": onboarding(program, &terms_ref),
        "directory": directory,
    })
}

/// `current`, `upcoming` (not yet effective), or `superseded`.
fn version_status(t: &Terms, index: usize, today: Date) -> &'static str {
    let v = &t.spec.versions[index];
    if !Terms::is_published(v, today) {
        "upcoming"
    } else if t.current(today).is_some_and(|c| c.version == v.version) {
        "current"
    } else {
        "superseded"
    }
}

/// Who approves a class of change, in words (`owner` becomes the product's team).
fn approvers(program: &Program, class: ChangeClass) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rule in program.spec().map(|s| s.approvals.as_slice()).unwrap_or(&[]) {
        if !rule.on.contains(&class) {
            continue;
        }
        for team in &rule.require {
            let words = if team == "owner" {
                "the team that owns the product".to_string()
            } else {
                format!("the {team} team")
            };
            if !out.contains(&words) {
                out.push(words);
            }
        }
    }
    out
}

fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The onboarding path, one step per stage, derived from program.yaml and the products.
fn onboarding(program: &Program, terms_ref: &dyn Fn(&str) -> Value) -> Vec<Value> {
    let offered = |env: Environment| -> Vec<Value> {
        program
            .products
            .values()
            .filter(|p| p.spec.lifecycle != crate::spec::Lifecycle::Retired && p.spec.environments.get(env).is_some())
            .map(|p| {
                json!({
                    "name": p.name,
                    "displayName": p.spec.display_name,
                    "href": format!("products/{}.html", p.name),
                    "plans": p.spec.plans.iter().filter(|pl| pl.environments.contains(&env)).map(|pl| pl.name.0.as_str()).collect::<Vec<_>>(),
                    "requiredTerms": p.spec.required_terms.iter()
                        .filter(|t| !program.required_terms().contains(t))
                        .map(|t| terms_ref(t)).collect::<Vec<_>>(),
                })
            })
            .collect()
    };
    let sandbox_approvers = approvers(program, ChangeClass::SandboxAccess);
    let production_approvers = approvers(program, ChangeClass::ProductionAccess);
    let required: Vec<Value> = program.required_terms().iter().map(|t| terms_ref(t)).collect();
    Stage::PATH
        .iter()
        .map(|stage| {
            let (title, does, gate, products): (&str, String, String, Vec<Value>) = match stage {
                Stage::Registered => (
                    "Register",
                    "Tell us who you are. You get access to this portal and the terms to review.".into(),
                    if required.is_empty() {
                        "Nothing to accept: the program has no required terms.".into()
                    } else {
                        "To move on, accept the current version of the program's required terms.".into()
                    },
                    vec![],
                ),
                Stage::TermsAccepted => (
                    "Accept the terms",
                    "Choose a product and a sandbox plan. Some products need further terms; accept them before you subscribe.".into(),
                    if sandbox_approvers.is_empty() {
                        "The program team grants sandbox access and issues your sandbox API key.".into()
                    } else {
                        format!("Sandbox access is approved by {} and comes with your sandbox API key.", join_words(&sandbox_approvers))
                    },
                    offered(Environment::Sandbox),
                ),
                Stage::Sandbox => (
                    "Build in the sandbox",
                    "Build your integration against the sandbox. Send your key in the X-Api-Key header; calls over your plan's limits get 429.".into(),
                    "When your integration is ready, ask for production access and the production plan you need.".into(),
                    vec![],
                ),
                Stage::ProductionRequested => (
                    "Request production access",
                    "We review your integration and the production plan you asked for.".into(),
                    if production_approvers.is_empty() {
                        "The program team approves production access.".into()
                    } else {
                        format!("Production access is approved by {}.", join_words(&production_approvers))
                    },
                    vec![],
                ),
                Stage::Live => (
                    "Go live",
                    "Call production with your production key, within your plan's rate limit and quota.".into(),
                    "You stay live while you keep the current terms accepted; new versions say by when to accept them.".into(),
                    offered(Environment::Production),
                ),
                Stage::Suspended | Stage::Offboarded => unreachable!("not on the onboarding path"),
            };
            json!({
                "stage": stage.as_str(),
                "title": title,
                "does": does,
                "gate": gate,
                "terms": if *stage == Stage::Registered { json!(required) } else { json!([]) },
                "products": products,
            })
        })
        .collect()
}

/// The Content-Security-Policy of every page: no script, plugin, frame, form or `<base>`;
/// the stylesheet from the portal itself; images from the portal and the web (Markdown
/// images are limited to http/https by [`filters::safe_link`]). `file:` is named next to
/// `'self'` because the portal is also read from disk, where browsers differ on whether
/// `'self'` covers other `file:` URLs; a page on a web server cannot load `file:` anyway.
pub const CSP: &str = "default-src 'none'; script-src 'none'; object-src 'none'; frame-src 'none'; \
base-uri 'none'; form-action 'none'; style-src 'self' file:; img-src 'self' file: https: http:";

/// A page with the CSP as its first element, right after the doctype: whatever a program's
/// template writes (its own `base.html.j2`, a `<script>` in `<head>`) comes after it and is
/// bound by it; a second policy in the page can only narrow it.
fn with_csp(page: &str) -> String {
    let meta = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n");
    let start = page.trim_start();
    let skipped = page.len() - start.len();
    let doctype_end = if start.get(..9).is_some_and(|d| d.eq_ignore_ascii_case("<!doctype")) {
        start.find('>').map(|i| skipped + i + 1)
    } else {
        None
    };
    match doctype_end {
        Some(end) => {
            let (head, rest) = page.split_at(end);
            let rest = rest.strip_prefix('\n').unwrap_or(rest);
            format!("{head}\n{meta}{rest}")
        }
        None => format!("{meta}{page}"),
    }
}

/// Renders every page of the portal below `folder`.
pub fn render(
    program: &Program,
    today: Date,
    env: &minijinja::Environment<'static>,
    folder: &str,
) -> Result<Vec<RenderedFile>, RenderError> {
    let site = context(program, today);
    let mut files = Vec::new();
    let mut page = |template: &str, href: &str, extra: Value| -> Result<(), RenderError> {
        let depth = href.matches('/').count();
        let mut ctx = site.clone();
        ctx["root"] = json!("../".repeat(depth));
        ctx["page"] = json!(href);
        if let (Some(o), Value::Object(extra)) = (ctx.as_object_mut(), extra) {
            o.extend(extra);
        }
        let text = with_csp(&templates::render(env, template, ctx)?);
        files.push(RenderedFile::new(format!("{folder}/{href}"), text));
        Ok(())
    };
    page("docs/index.html.j2", "index.html", json!({}))?;
    page("docs/onboarding.html.j2", "onboarding.html", json!({}))?;
    page("docs/partners.html.j2", "partners.html", json!({}))?;
    page("docs/terms-index.html.j2", "terms/index.html", json!({}))?;
    for product in site["products"].as_array().into_iter().flatten() {
        let href = product["href"].as_str().unwrap_or_default().to_string();
        page("docs/product.html.j2", &href, json!({"product": product}))?;
        // The API reference, from the product's description (SPEC §13).
        let name = product["name"].as_str().unwrap_or_default();
        let api = program
            .products
            .get(name)
            .and_then(|p| p.spec.openapi.as_ref())
            .and_then(|f| program.apis.get(f));
        if let Some(api) = api {
            for (file, v) in super::api_reference::pages(name, api) {
                page(
                    "docs/api.html.j2",
                    &format!("products/{name}/{file}"),
                    json!({"product": product, "api": v}),
                )?;
            }
        }
    }
    for (terms_value, t) in site["terms"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(program.terms.values())
    {
        for (i, v) in t.spec.versions.iter().enumerate() {
            let text = terms_text(program, &Terms::text_path(v));
            let previous = i.checked_sub(1).map(|p| &t.spec.versions[p]);
            let diff = previous.map(|p| diff_hunks(&terms_text(program, &Terms::text_path(p)), &text));
            let version = &terms_value["versions"][i];
            page(
                "docs/terms-version.html.j2",
                version["href"].as_str().unwrap_or_default(),
                json!({
                    "terms": terms_value,
                    "version": version,
                    "textHtml": filters::markdown_to_html(&text),
                    "previous": previous.map(|p| json!({"version": p.version, "href": terms_href(&t.name, &p.version)})),
                    "diff": diff,
                }),
            )?;
        }
    }
    let css = templates::render(env, "docs/style.css.j2", site.clone())?;
    files.push(RenderedFile::new(format!("{folder}/style.css"), css));
    Ok(files)
}

fn terms_text(program: &Program, path: &str) -> String {
    match program.snapshot.files.get(path) {
        Some(Entry::Bytes(b)) => String::from_utf8_lossy(&b.bytes()).into_owned(),
        _ => format!("The text of this version ({path}) is missing from the program repository.\n"),
    }
}

/// A line diff in hunks with three lines of context: `[{lines: [{tag, text}]}]`, where `tag`
/// is `equal`, `insert` or `delete`.
pub fn diff_hunks(old: &str, new: &str) -> Vec<Value> {
    let diff = TextDiff::from_lines(old, new);
    diff.grouped_ops(3)
        .iter()
        .map(|group| {
            let lines: Vec<Value> = group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|c| {
                    let tag = match c.tag() {
                        ChangeTag::Equal => "equal",
                        ChangeTag::Insert => "insert",
                        ChangeTag::Delete => "delete",
                    };
                    json!({"tag": tag, "text": c.value().trim_end_matches(['\n', '\r'])})
                })
                .collect();
            json!({"lines": lines})
        })
        .collect()
}
