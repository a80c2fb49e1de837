//! Template contexts: the resolved program as plain data (documented in docs/templates.md).
//!
//! [`full`] feeds the program's `template:` outputs; [`public`] feeds the portal. Neither
//! holds partner contacts, people who signed agreements, or credential secret references:
//! a template cannot leak what it is never given. The portal context further holds no
//! partner stages, only the directory of listed live partners.

use crate::model::{Product, Program, Terms};
use crate::spec::{Date, PlanSpec, Stage};
use serde_json::{Value, json};

/// The context of a `template:` output.
pub fn full(program: &Program, today: Date) -> Value {
    let spec = program.spec();
    let partners: Vec<Value> = program
        .partners
        .values()
        .map(|p| {
            let s = &p.spec;
            json!({
                "name": p.name,
                "owner": p.owner(),
                "labels": p.metadata.labels,
                "displayName": s.display_name,
                "legalName": s.legal_name,
                "listed": s.listed,
                "website": s.website,
                "stage": s.stage.as_str(),
                "since": p.stage_since().map(|d| d.to_string()),
                "history": s.history.iter().map(|h| json!({"stage": h.stage.as_str(), "date": h.date.to_string()})).collect::<Vec<_>>(),
                "agreements": s.agreements.iter().map(|a| json!({"terms": a.terms.0, "version": a.version, "acceptedOn": a.accepted_on.to_string()})).collect::<Vec<_>>(),
                "subscriptions": s.subscriptions.iter().map(|x| json!({"product": x.product.0, "plan": x.plan.0, "environment": x.environment.as_str()})).collect::<Vec<_>>(),
                "credentials": s.credentials.iter().map(|c| json!({
                    "id": c.id.0,
                    "environment": c.environment.as_str(),
                    "created": c.created.to_string(),
                    "expires": c.expires.map(|d| d.to_string()),
                    "revoked": c.revoked.map(|d| d.to_string()),
                    "live": c.is_live(today),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "asOf": today.to_string(),
        "program": {
            "name": program.name(),
            "displayName": spec.map(|s| s.display_name.as_str()).unwrap_or(""),
            "requiredTerms": program.required_terms().iter().map(|t| t.0.as_str()).collect::<Vec<_>>(),
            "teams": spec.map(|s| s.teams.keys().map(|t| t.0.as_str()).collect::<Vec<_>>()).unwrap_or_default(),
        },
        "products": program.products.values().map(|p| product(p, true)).collect::<Vec<_>>(),
        "terms": program.terms.values().map(|t| terms(t, today)).collect::<Vec<_>>(),
        "partners": partners,
    })
}

/// A product as data; `internal` adds upstreams and the owning team.
pub fn product(p: &Product, internal: bool) -> Value {
    let s = &p.spec;
    let environments: Vec<Value> = s
        .environments
        .names()
        .into_iter()
        .map(|e| {
            if internal {
                json!({"name": e.as_str(), "upstream": s.environments.get(e).map(|x| x.upstream.as_str())})
            } else {
                json!({"name": e.as_str()})
            }
        })
        .collect();
    let mut v = json!({
        "name": p.name,
        "displayName": s.display_name,
        "description": s.description,
        "lifecycle": s.lifecycle.as_str(),
        "environments": environments,
        "endpoints": s.endpoints.iter().map(|e| json!({"method": e.method.as_str(), "path": e.path, "summary": e.summary})).collect::<Vec<_>>(),
        "plans": s.plans.iter().map(plan).collect::<Vec<_>>(),
        "requiredTerms": s.required_terms.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(),
        "dataCategories": s.data_categories.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(),
    });
    if internal {
        v["owner"] = json!(p.owner());
        v["labels"] = json!(p.metadata.labels);
    }
    v
}

/// A plan as data, with its limits also spelled out (`50 requests per second`).
pub fn plan(p: &PlanSpec) -> Value {
    json!({
        "name": p.name.0,
        "rateLimit": {"requests": p.rate_limit.requests, "per": p.rate_limit.per.as_str()},
        "quota": p.quota.map(|q| json!({"requests": q.requests, "per": q.per.as_str()})),
        "environments": p.environments.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
        "rateLimitText": format!("{} per {}", requests(p.rate_limit.requests), p.rate_limit.per.as_str()),
        "quotaText": p.quota.map(|q| format!("{} per {}", requests(q.requests), q.per.as_str())),
    })
}

/// `10000` → `10,000 requests`; `1` → `1 request`.
pub fn requests(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped} {}", if n == 1 { "request" } else { "requests" })
}

/// A terms document as data: every version with its status on `today`.
pub fn terms(t: &Terms, today: Date) -> Value {
    let current = t.current(today).map(|v| v.version.clone());
    json!({
        "name": t.name,
        "title": t.spec.title,
        "type": t.spec.kind.as_str(),
        "dataCategories": t.spec.data_categories.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        "current": current,
        "versions": t.spec.versions.iter().map(|v| json!({
            "version": v.version,
            "effective": v.effective.to_string(),
            "reacceptBy": v.reaccept_by.map(|d| d.to_string()),
            "summary": v.summary,
            "file": Terms::text_path(v),
            "published": Terms::is_published(v, today),
            "current": Some(&v.version) == current.as_ref(),
        })).collect::<Vec<_>>(),
    })
}

/// Whether a partner belongs in the public directory: listed and live.
pub fn in_directory(stage: Stage, listed: bool) -> bool {
    listed && stage == Stage::Live
}

/// The portal's context: only what partners may read. See [`super::docs`].
pub fn public(program: &Program, today: Date) -> Value {
    super::docs::context(program, today)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_counts() {
        assert_eq!(requests(1), "1 request");
        assert_eq!(requests(10000), "10,000 requests");
        assert_eq!(requests(5_000_000), "5,000,000 requests");
        assert_eq!(requests(250), "250 requests");
    }
}
