//! The `envoy-ratelimit` target: an envoyproxy/ratelimit service configuration for one
//! environment.
//!
//! One domain (the output's `domain`, default `<program>-<environment>`); under it a
//! descriptor per partner with access, and below that one per subscribed product carrying
//! the plan's rate limit. A plan's quota is a further nested descriptor `(quota, day)` or
//! `(quota, month)` with the unit `day` or `month` (SPEC §12): envoyproxy/ratelimit accepts
//! MONTH since its #743, as a fixed window of 30 days, not a calendar month.

use crate::access::Gateway;
use crate::model::Program;
use crate::output::RenderError;
use crate::spec::{Date, Environment, OutputSpec, QuotaUnit};
use crate::template as templates;
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
                    if let Some(q) = plan.quota {
                        let unit = match q.per {
                            QuotaUnit::Day => "day",
                            QuotaUnit::Month => "month",
                        };
                        d["descriptors"] = json!([{
                            "key": "quota",
                            "value": unit,
                            "rate_limit": {
                                "unit": unit,
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
        "program": {"comment": crate::encode::text::escape(program.name())},
        "config": config(program, today, environment, output),
    });
    templates::render(env, "envoy-ratelimit/config.yaml.j2", ctx)
}
