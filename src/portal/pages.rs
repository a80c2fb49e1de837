//! The `docs` target: the partner portal as static HTML.
//!
//! Pages (below the output's folder): `index.html` (the catalog), `products/<name>.html`,
//! `onboarding.html`, `terms/index.html`, `terms/<terms>/<version>.html` (the text and what
//! changed since the previous version), `partners.html` (listed live partners) and
//! `style.css`. Links are relative and name files (`products/rates.html`, never a folder),
//! so the portal works from `file://` and on any static host; there is no JavaScript.
//!
//! Every page gets [`super::public::context`], which holds only public facts.

use super::public::{context, terms_href};
use crate::model::{Program, Terms};
use crate::output::{RenderError, RenderedFile};
use crate::source::Entry;
use crate::spec::Date;
use crate::template::{self as templates, filters};
use serde_json::{Value, json};
use similar::{ChangeTag, TextDiff};

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
fn with_csp(page: &str, scripts: Option<&str>) -> String {
    let csp = match scripts {
        Some(hash) => CSP.replace("script-src 'none'", &format!("script-src {hash}")),
        None => CSP.to_string(),
    };
    let meta = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n");
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
        // Only the reference's pages run a script, the search, and only that one.
        let scripts = (template == "docs/api.html.j2").then(super::search::script_source);
        let text = with_csp(&templates::render(env, template, ctx)?, scripts.as_deref());
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
            let pages = super::api_reference::pages(name, api).map_err(|e| over_budget(api, &e))?;
            for (file, v) in pages {
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
                    "textHtml": filters::markdown_to_html_with(&text, &filters::MarkdownOptions { headings: filters::Headings::Under(1, ""), fragment: None }),
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

/// The API references of every product, rendered as the `docs` target would write them but
/// not kept: `validate` runs this so that a description the portal cannot write within its
/// budget (the templates' fuel) fails the pull request, not the merge. Returns each failure.
pub fn check_api_references(program: &Program, today: Date, env: &minijinja::Environment<'static>) -> Vec<RenderError> {
    if program.apis.is_empty() {
        return Vec::new();
    }
    let site = context(program, today);
    let mut failed = Vec::new();
    for product in site["products"].as_array().into_iter().flatten() {
        let name = product["name"].as_str().unwrap_or_default();
        let Some(api) = program
            .products
            .get(name)
            .and_then(|p| p.spec.openapi.as_ref())
            .and_then(|f| program.apis.get(f))
        else {
            continue;
        };
        let pages = match super::api_reference::pages(name, api) {
            Ok(pages) => pages,
            Err(e) => {
                failed.push(over_budget(api, &e));
                continue;
            }
        };
        for (file, v) in pages {
            let href = format!("products/{name}/{file}");
            let mut ctx = site.clone();
            ctx["root"] = json!("../".repeat(href.matches('/').count()));
            ctx["page"] = json!(href);
            ctx["product"] = product.clone();
            ctx["api"] = v;
            if let Err(e) = templates::render(env, "docs/api.html.j2", ctx) {
                failed.push(e);
                break;
            }
        }
    }
    failed
}

/// A reference over its budget, as the description's fault: `openapi-invalid` at the
/// operation where it ran out.
fn over_budget(api: &crate::openapi::Api, e: &super::api_budget::OverBudget) -> RenderError {
    RenderError::Description {
        file: api.file.clone(),
        line: e.line,
        message: e.to_string(),
    }
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
