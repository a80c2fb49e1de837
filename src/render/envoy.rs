//! The `envoy-ratelimit` target: an envoyproxy/ratelimit service configuration for one
//! environment.
//!
//! One domain (the output's `domain`, default `<program>-<environment>`); under it a
//! descriptor per partner with access, and below that one per subscribed product carrying
//! the plan's rate limit. A plan's quota per day is a further nested descriptor
//! `(quota, day)`. The ratelimit service knows units up to a day, so a monthly quota is
//! left to the gateway in front (Kong enforces it) and noted in the file.

use super::access::Gateway;
use super::{RenderError, templates};
use crate::model::Program;
use crate::spec::{Date, Environment, OutputSpec, QuotaUnit};
use serde_json::{Value, json};

/// The default rate limit domain: `northwind-production`.
pub fn default_domain(program: &Program, environment: Environment) -> String {
    format!("{}-{}", program.name(), environment.as_str())
}

/// The configuration as data.
pub fn config(program: &Program, today: Date, environment: Environment, output: &OutputSpec) -> Value {
    let gw = Gateway::new(program, environment, today);
    let descriptors: Vec<Value> = gw
        .partners
        .iter()
        .filter(|p| !p.plans.is_empty())
        .map(|p| {
            let products: Vec<Value> = p
                .plans
                .iter()
                .map(|(product, plan)| {
                    let mut d = json!({
                        "key": "product",
                        "value": product,
                        "rate_limit": {
                            "unit": plan.rate_limit.per.as_str(),
                            "requests_per_unit": plan.rate_limit.requests,
                        },
                    });
                    if let Some(q) = plan.quota.filter(|q| q.per == QuotaUnit::Day) {
                        d["descriptors"] = json!([{
                            "key": "quota",
                            "value": "day",
                            "rate_limit": {
                                "unit": "day",
                                "requests_per_unit": q.requests,
                            },
                        }]);
                    }
                    d
                })
                .collect();
            json!({"key": "partner", "value": p.name, "descriptors": products})
        })
        .collect();
    json!({
        "domain": output.domain.clone().unwrap_or_else(|| default_domain(program, environment)),
        "descriptors": descriptors,
    })
}

/// Monthly quotas the service cannot enforce, as `partner/product/plan` lines for the header.
fn monthly_quotas(program: &Program, today: Date, environment: Environment) -> Vec<String> {
    let gw = Gateway::new(program, environment, today);
    let mut out = Vec::new();
    for p in &gw.partners {
        for (product, plan) in &p.plans {
            if let Some(q) = plan.quota.filter(|q| q.per == QuotaUnit::Month) {
                out.push(super::encode::comment_text(&format!(
                    "{} {} {}: {} requests per month",
                    p.name, product, plan.name, q.requests
                )));
            }
        }
    }
    out
}

/// Renders the configuration through `envoy-ratelimit/config.yaml.j2`.
pub fn render(
    program: &Program,
    today: Date,
    environment: Environment,
    output: &OutputSpec,
    env: &minijinja::Environment<'static>,
) -> Result<String, RenderError> {
    let ctx = json!({
        "environment": environment.as_str(),
        "asOf": today.to_string(),
        // Comments get the program's name, never its display name, and through the comment
        // encoder: the rest of the file is the YAML serializer's.
        "program": {"comment": super::encode::comment_text(program.name())},
        "config": config(program, today, environment, output),
        "monthlyQuotas": monthly_quotas(program, today, environment),
    });
    templates::render(env, "envoy-ratelimit/config.yaml.j2", ctx)
}
