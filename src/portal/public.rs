//! The portal's context: only what partners may read (documented in docs/templates.md). No
//! contacts, no secret references, no upstreams, no partner stages: the directory lists
//! partners that are listed and live, without saying so per partner. A page cannot leak
//! what it is never given.

use super::context::{self, in_directory};
use crate::model::{Program, Terms};
use crate::spec::{ChangeClass, Date, Environment, Stage};
use crate::template::filters;
use serde_json::{Value, json};

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

pub(crate) fn terms_href(name: &str, version: &str) -> String {
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
            // Under the product page's <h1>; in the catalog's summaries, headings are bold text.
            let written = |headings| {
                filters::markdown_to_html_with(
                    &p.spec.description,
                    &filters::MarkdownOptions {
                        headings,
                        fragment: None,
                    },
                )
            };
            v["descriptionHtml"] = json!(written(filters::Headings::Under(1, "about-")));
            v["summaryHtml"] = json!(written(filters::Headings::Bold));
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
