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

/// A terms document as the portal refers to it: its current version with the SHA-256 of
/// that version's text (SPEC §15.1), or, before any version is in effect, the first one and
/// when it takes effect.
fn terms_ref(program: &Program, name: &str, today: Date) -> Value {
    let Some(t) = program.terms.get(name) else {
        return json!({"name": name, "title": name, "version": null, "href": "terms/index.html", "current": false});
    };
    let current = t.current(today);
    let shown = current.or_else(|| t.spec.versions.first());
    json!({
        "name": name,
        "title": t.spec.title,
        "version": shown.map(|v| v.version.as_str()),
        "href": shown.map(|v| terms_href(name, &v.version)).unwrap_or_else(|| "terms/index.html".into()),
        // Whether `version` is in effect: a version that is not can still change, so its
        // text has no hash to accept yet.
        "current": current.is_some(),
        "effective": shown.map(|v| v.effective.to_string()),
        "sha256": current.and_then(|v| Terms::text_sha256(v, program)),
    })
}

/// The portal's data: see docs/templates.md.
pub fn context(program: &Program, today: Date) -> Value {
    let spec = program.spec();
    let terms_ref = |name: &str| terms_ref(program, name, today);
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
                    // A published text never changes again: its hash is what partners accept.
                    ver["sha256"] = json!(
                        Terms::is_published(version, today)
                            .then(|| Terms::text_sha256(version, program))
                            .flatten()
                    );
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
            "portal": portal(program),
        },
        "products": products,
        "terms": terms,
        "onboarding": onboarding(program, &terms_ref),
        "directory": directory,
    })
}

/// `spec.portal` as the pages show it: the contact (`emailHref` a `mailto:` link) and the
/// intake, each link only when its scheme is one the portal writes (SPEC §9 "Links").
fn portal(program: &Program) -> Value {
    let Some(p) = program.spec().and_then(|s| s.portal.as_ref()) else {
        return json!({"url": null, "contact": null, "intake": null});
    };
    let contact = p.contact.as_ref().map(|c| {
        let email = c
            .email
            .as_deref()
            .filter(|e| !e.chars().any(|ch| ch.is_whitespace() || ch.is_control()));
        json!({
            "email": email,
            "emailHref": email.map(|e| format!("mailto:{e}")).filter(|h| filters::safe_link(h).is_some()),
            "url": c.url.as_deref().and_then(filters::safe_website),
        })
    });
    let intake = p.intake.as_ref().map(|i| {
        json!({
            "github": i.github,
            "url": i.url.as_deref().and_then(filters::safe_website),
        })
    });
    json!({
        "url": p.url.as_deref().and_then(filters::safe_website),
        "contact": contact,
        "intake": intake,
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

/// Who approves the classes of a change, in words (`owner` becomes the product's team).
fn approvers(program: &Program, classes: &[ChangeClass]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rule in program.spec().map(|s| s.approvals.as_slice()).unwrap_or(&[]) {
        if !rule.on.iter().any(|c| classes.contains(c)) {
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

/// Who must approve, as a sentence.
fn approval_sentence(program: &Program, what: &str, classes: &[ChangeClass]) -> String {
    let who = approvers(program, classes);
    if who.is_empty() {
        format!("No one needs to approve {what}: it is granted as soon as these checks pass.")
    } else {
        format!("{} is approved by {}.", capitalized(what), join_words(&who))
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The link that asks for `action` (SPEC §15.1), when the program names an intake.
fn ask_href(program: &Program, action: &str) -> Option<String> {
    let link = program.spec()?.portal.as_ref()?.intake.as_ref()?.link(action)?;
    filters::safe_website(&link).map(str::to_string)
}

/// A step's title, action, what the partner does, the checks, the next step, the terms and
/// the products it needs.
type StepParts = (
    &'static str,
    Option<&'static str>,
    String,
    Vec<String>,
    String,
    Vec<Value>,
    Vec<Value>,
);

/// The onboarding path as a guide: one step per stage, each with what the partner does,
/// what it needs (terms with their current version, SHA-256 and link; products and plans
/// with their base URLs), what the provider checks (the program's rules and who approves),
/// and the link that asks for it.
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
                    "baseUrl": p.spec.environments.get(env).and_then(|e| e.base_url.as_deref()).and_then(filters::safe_website),
                })
            })
            .collect()
    };
    let required: Vec<Value> = program.required_terms().iter().map(|t| terms_ref(t)).collect();
    let terms_check = "Each SHA-256 you send is the hash of the published text of the version in effect, so the record shows exactly what you accepted.";
    let rules_check = "Your accepted terms are current and include every terms document the products you ask for require, including data-sharing terms that cover the data they share.";
    Stage::PATH
        .iter()
        .map(|stage| {
            use ChangeClass::*;
            let (title, action, does, checks, gate, terms, products): StepParts = match stage {
                Stage::Registered => (
                    "Register",
                    Some("register"),
                    "Tell us who you are: your company's name and legal name, your website, and the people we should talk to (technical, business, legal). You may accept the terms below in the same request.".into(),
                    vec![
                        "The name you choose is free and valid: lower-case letters, digits and dashes.".into(),
                        approval_sentence(program, "a new partner", &[PartnerAdded]),
                    ],
                    if required.is_empty() {
                        "Nothing to accept: the program has no required terms.".into()
                    } else {
                        "To move on, accept the current version of the program's required terms.".into()
                    },
                    required.clone(),
                    vec![],
                ),
                Stage::TermsAccepted => (
                    "Accept the terms",
                    Some("accept-terms"),
                    "Accept the version in effect of each document below. Your request names the version and the SHA-256 of its text, so both sides hold a record of exactly which text was accepted.".into(),
                    vec![terms_check.into(), approval_sentence(program, "the acceptance", &[StageChanged])],
                    "Then choose a product and a sandbox plan. Some products need further terms; accept them before you subscribe.".into(),
                    required.clone(),
                    vec![],
                ),
                Stage::Sandbox => (
                    "Get sandbox access and build",
                    Some("request-sandbox"),
                    "Choose the products and sandbox plans you want to build with. Once granted, your sandbox API key reaches your technical contact; build your integration against the sandbox base URLs, sending the key in the X-Api-Key header. Calls over your plan's limits get 429.".into(),
                    vec![
                        rules_check.into(),
                        "Each plan is offered in the sandbox.".into(),
                        approval_sentence(program, "sandbox access", &[SandboxAccess, StageChanged]),
                    ],
                    "When your integration is ready, ask for production access and the production plan you need.".into(),
                    vec![],
                    offered(Environment::Sandbox),
                ),
                Stage::ProductionRequested => (
                    "Ask for production access",
                    Some("request-production"),
                    "Choose the products and production plans you need. We review your integration and the plan you asked for.".into(),
                    vec![
                        rules_check.into(),
                        "Each plan is offered in production.".into(),
                        approval_sentence(program, "production access", &[ProductionAccess, StageChanged]),
                    ],
                    "Once approved, we move you to live and issue your production key.".into(),
                    vec![],
                    offered(Environment::Production),
                ),
                Stage::Live => (
                    "Go live",
                    None,
                    "Call production with your production key, within your plan's rate limit and quota, at the production base URLs.".into(),
                    vec![approval_sentence(program, "your production key", &[ProductionAccess])],
                    "You stay live while you keep the current terms accepted; new versions say by when to accept them.".into(),
                    vec![],
                    vec![],
                ),
                Stage::Suspended | Stage::Offboarded => unreachable!("not on the onboarding path"),
            };
            json!({
                "stage": stage.as_str(),
                "title": title,
                "action": action,
                "askHref": action.and_then(|a| ask_href(program, a)),
                "ask": action.map(|a| match a {
                    "register" => "Ask to register",
                    "accept-terms" => "Accept the terms",
                    "request-sandbox" => "Ask for sandbox access",
                    _ => "Ask for production access",
                }),
                "does": does,
                "checks": checks,
                "gate": gate,
                "terms": terms,
                "products": products,
            })
        })
        .collect()
}
