//! Template contexts: the resolved program as plain data (documented in docs/templates.md).
//!
//! [`full`] feeds the program's `template:` outputs; [`super::public`] feeds the portal and
//! shares [`product`] and [`terms`] with it. Neither
//! holds partner contacts, people who signed agreements, or credential secret references:
//! a template cannot leak what it is never given. The portal context further holds no
//! partner stages, only the directory of listed live partners.

use crate::model::{Product, Program, Terms};
use crate::spec::{Date, PlanSpec, Stage};
use serde_json::{Value, json};

/// The context of a `template:` output, as JSON (what docs/templates.md documents).
pub fn full(program: &Program, today: Date) -> Value {
    let partners: Vec<Value> = program
        .partners
        .values()
        .map(|p| PartnerView::of(p, today).to_json())
        .collect();
    let mut ctx = full_rest(program, today);
    ctx["partners"] = Value::Array(partners);
    ctx
}

/// The same context as a template value: the partners are [`PartnerView`]s, each read
/// field by field when the template reads it, so a render of 100,000 partners never holds
/// them all as data at once. Renders exactly as [`full`] does.
pub fn full_value(program: &Program, today: Date) -> minijinja::Value {
    let partners: Vec<minijinja::Value> = program
        .partners
        .values()
        .map(|p| minijinja::Value::from_object(PartnerView::of(p, today)))
        .collect();
    let mut rest = match full_rest(program, today) {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    let mut ctx = std::collections::BTreeMap::new();
    for key in ["asOf", "program", "products", "terms"] {
        if let Some(v) = rest.remove(key) {
            ctx.insert(key, crate::template::data::Data::value(v));
        }
    }
    ctx.insert("partners", minijinja::Value::from(partners));
    minijinja::Value::from(ctx)
}

/// Everything of [`full`] but the partners.
fn full_rest(program: &Program, today: Date) -> Value {
    let spec = program.spec();
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
        "partners": [],
    })
}

/// One partner as a `template:` output sees it: no contacts, no signatories, no secret
/// references. A template value whose fields are made when read.
#[derive(Debug)]
pub struct PartnerView {
    metadata: std::sync::Arc<crate::spec::Metadata>,
    spec: std::sync::Arc<crate::spec::PartnerSpec>,
    since: Option<Date>,
    today: Date,
}

/// The fields of a partner, in the order a template sees them.
const PARTNER_FIELDS: &[&str] = &[
    "name",
    "owner",
    "labels",
    "displayName",
    "legalName",
    "listed",
    "website",
    "stage",
    "since",
    "history",
    "agreements",
    "subscriptions",
    "credentials",
];

impl PartnerView {
    /// Shares the partner's metadata and spec; nothing is copied until a field is read.
    fn of(p: &crate::model::Partner, today: Date) -> PartnerView {
        PartnerView {
            metadata: std::sync::Arc::clone(&p.metadata),
            spec: std::sync::Arc::clone(&p.spec),
            since: p.stage_since(),
            today,
        }
    }

    /// One field as JSON.
    fn field(&self, key: &str) -> Option<Value> {
        let date = |d: &Date| json!(d.to_string());
        let s = &self.spec;
        Some(match key {
            "name" => json!(self.metadata.name.0),
            "owner" => json!(self.metadata.owner),
            "labels" => json!(self.metadata.labels),
            "displayName" => json!(s.display_name),
            "legalName" => json!(s.legal_name),
            "listed" => json!(s.listed),
            "website" => json!(s.website),
            "stage" => json!(s.stage.as_str()),
            "since" => json!(self.since.map(|d| d.to_string())),
            "history" => Value::Array(
                s.history
                    .iter()
                    .map(|h| json!({"stage": h.stage.as_str(), "date": date(&h.date)}))
                    .collect(),
            ),
            "agreements" => Value::Array(
                s.agreements
                    .iter()
                    .map(|a| json!({"terms": a.terms.0, "version": a.version, "acceptedOn": date(&a.accepted_on)}))
                    .collect(),
            ),
            "subscriptions" => Value::Array(
                s.subscriptions
                    .iter()
                    .map(|x| json!({"product": x.product.0, "plan": x.plan.0, "environment": x.environment.as_str()}))
                    .collect(),
            ),
            "credentials" => Value::Array(
                s.credentials
                    .iter()
                    .map(|c| {
                        json!({
                            "id": c.id.0,
                            "environment": c.environment.as_str(),
                            "created": date(&c.created),
                            "expires": c.expires.map(|d| d.to_string()),
                            "revoked": c.revoked.map(|d| d.to_string()),
                            "live": c.is_live(self.today),
                        })
                    })
                    .collect(),
            ),
            _ => return None,
        })
    }

    fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        for key in PARTNER_FIELDS {
            if let Some(v) = self.field(key) {
                m.insert((*key).to_string(), v);
            }
        }
        Value::Object(m)
    }
}

impl minijinja::value::Object for PartnerView {
    fn get_value(self: &std::sync::Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &std::sync::Arc<Self>, key: &str) -> Option<minijinja::Value> {
        self.field(key).map(crate::template::data::Data::value)
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Str(PARTNER_FIELDS)
    }

    fn enumerator_len(self: &std::sync::Arc<Self>) -> Option<usize> {
        Some(PARTNER_FIELDS.len())
    }
}

/// A product as data, with each environment's public `baseUrl`; `internal` adds upstreams
/// and the owning team.
pub fn product(p: &Product, internal: bool) -> Value {
    let s = &p.spec;
    let environments: Vec<Value> = s
        .environments
        .names()
        .into_iter()
        .map(|e| {
            let spec = s.environments.get(e);
            // `baseUrl` is public (where partners call); `upstream` is internal.
            let base_url = spec
                .and_then(|x| x.base_url.as_deref())
                .and_then(crate::template::filters::safe_website);
            if internal {
                json!({"name": e.as_str(), "baseUrl": base_url, "upstream": spec.map(|x| x.upstream.as_str())})
            } else {
                json!({"name": e.as_str(), "baseUrl": base_url})
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partners_read_field_by_field_render_as_the_json_context_does() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind");
        let program = crate::model::load(crate::source::Snapshot::from_dir(&root).unwrap()).program;
        let today = Date::parse("2026-11-01").unwrap();
        let env = crate::render::environment(&program).unwrap();
        for (i, t) in [
            "{% for p in partners %}{% for k, v in p | items %}{{ k }}={{ v }};{% endfor %}\n{% endfor %}",
            "{{ partners | tojson }}|{{ partners[0] }}|{{ partners[1] | length }}|{{ partners | length }}",
            "{{ partners | selectattr('stage', 'equalto', 'live') | map(attribute='name') | join(',') }}",
            "{% for p in partners | sort(attribute='displayName') if p.listed %}{{ p.labels.region }}{{ p.credentials | selectattr('live') | list | length }}{{ p.missing is undefined }}{{ p.since }}{{ p.website or '-' }}{% endfor %}",
            "{% for p in partners %}{{ p | yaml }}{{ p.history | json }}{{ p | dictsort | length }}{{ 'owner' in p }}{% if p.agreements %}{{ p.agreements[0].acceptedOn }}{% endif %}{% endfor %}",
            "{{ asOf }} {{ program.name }} {{ products | map(attribute='name') | join(',') }} {{ terms[0].versions | length }}",
        ]
        .into_iter()
        .enumerate()
        {
            let mut env = env.clone();
            let name = format!("test-{i}.txt");
            env.add_template_owned(name.clone(), t.to_string()).unwrap();
            let by_json = crate::template::render(&env, &name, full(&program, today)).unwrap();
            let by_view = crate::template::render_value(&env, &name, full_value(&program, today)).unwrap();
            assert!(by_json.len() > 40, "{t}: {by_json}");
            assert_eq!(by_view, by_json, "{t}");
        }
    }

    #[test]
    fn request_counts() {
        assert_eq!(requests(1), "1 request");
        assert_eq!(requests(10000), "10,000 requests");
        assert_eq!(requests(5_000_000), "5,000,000 requests");
        assert_eq!(requests(250), "250 requests");
    }
}
