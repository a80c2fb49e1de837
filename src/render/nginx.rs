//! The `nginx` target: an `http`-level include for one environment (SPEC §7).
//!
//! How a request is decided, in NGINX's own phases:
//! 1. `map $http_x_api_key` (the run-time keys file, never the repository) gives the
//!    credential id; none → **401** (server `if`, rewrite phase).
//! 2. `map` credential → partner, listing only live credentials of partners whose stage
//!    allows the environment; none (revoked, expired, suspended, offboarded) → **403**.
//! 3. The endpoint's `location` (an anchored regex per path) checks the method (405) and
//!    the partner's plan for the product; no subscription → **403**.
//! 4. `limit_req` per plan zone, keyed by partner (an empty key is not counted, so each
//!    partner is limited only by its own plan); over the limit → **429**.
//! 5. Otherwise `proxy_pass` to the product's upstream for the environment.
//!
//! Every request is logged as one JSON line in the usage format of SPEC §8.

use super::access::{Gateway, ident};
use super::{RenderError, templates};
use crate::model::Program;
use crate::spec::{Date, Environment, OutputSpec, PlanSpec, RateUnit};
use serde_json::{Value, json};

pub const DEFAULT_KEYS_FILE: &str = "/etc/nginx/partnerctl-keys.map";
pub const DEFAULT_LISTEN: &str = "8080";
pub const DEFAULT_ACCESS_LOG: &str = "/var/log/nginx/partnerctl-usage.jsonl";

/// The `limit_req_zone` rate and the `limit_req` burst of a plan.
///
/// NGINX counts in requests per second or per minute; a plan per hour or per day becomes
/// its per-minute rate rounded up. The burst lets a partner spend its whole allowance at
/// once (`requests - 1` beyond the first), as "N per unit" promises, and then refills at
/// the plan's rate. Quotas (per day or month) need counters NGINX does not keep; Kong
/// enforces them (see docs/render.md).
pub fn rate(plan: &PlanSpec) -> (String, u64) {
    let n = plan.rate_limit.requests;
    let rate = match plan.rate_limit.per {
        RateUnit::Second => format!("{n}r/s"),
        RateUnit::Minute => format!("{n}r/m"),
        RateUnit::Hour | RateUnit::Day => {
            let per_minute = (n * 60).div_ceil(plan.rate_limit.per.seconds()).max(1);
            format!("{per_minute}r/m")
        }
    };
    (rate, n.saturating_sub(1))
}

/// Splits an upstream URL into what `proxy_pass` takes (`https://host:port`) and a path
/// prefix (`/base`, or empty): a `proxy_pass` inside a regex location cannot carry a URI.
fn split_upstream(url: &str) -> (String, String) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), String::new());
    };
    match rest.find('/') {
        Some(i) => {
            let path = rest[i..].trim_end_matches('/');
            (format!("{scheme}://{}", &rest[..i]), path.to_string())
        }
        None => (url.to_string(), String::new()),
    }
}

/// The template context.
pub fn context(program: &Program, today: Date, environment: Environment, output: &OutputSpec) -> Value {
    let gw = Gateway::new(program, environment, today);
    let p = format!("partnerctl_{}", environment.as_str());
    let mut credentials: Vec<Value> = gw
        .partners
        .iter()
        .flat_map(|partner| {
            partner
                .credentials
                .iter()
                .map(move |c| json!({"id": c.id.0, "partner": partner.name}))
        })
        .collect();
    credentials.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let products: Vec<Value> = gw
        .products
        .iter()
        .map(|product| {
            let subscribers = gw.subscribers(product.name);
            let plans: Vec<Value> = product
                .product
                .spec
                .plans
                .iter()
                .filter(|plan| plan.environments.contains(&environment))
                .map(|plan| {
                    let (rate, burst) = rate(plan);
                    let partners: Vec<&str> =
                        subscribers.iter().filter(|(_, pl)| pl.name == plan.name).map(|(pa, _)| pa.name).collect();
                    json!({
                        "name": plan.name.0,
                        "zone": format!("{p}_{}_{}", ident(product.name), ident(&plan.name)),
                        "rate": rate,
                        "burst": burst,
                        "partners": partners,
                    })
                })
                .collect();
            let (upstream, upstream_path) = split_upstream(product.upstream);
            json!({
                "name": product.name,
                "ident": ident(product.name),
                "displayName": product.product.spec.display_name,
                "upstream": upstream,
                "upstreamPath": upstream_path,
                "routes": product.routes.iter().map(|r| json!({
                    "path": r.path,
                    "regex": r.regex,
                    "methods": r.methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "plans": plans,
                "subscribers": subscribers.iter().map(|(pa, pl)| json!({"partner": pa.name, "plan": pl.name.0})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "environment": environment.as_str(),
        "asOf": today.to_string(),
        "program": {"name": program.name(), "displayName": program.spec().map(|s| s.display_name.as_str()).unwrap_or("")},
        "p": p,
        "keysFile": output.keys_file.as_deref().unwrap_or(DEFAULT_KEYS_FILE),
        "listen": output.listen.as_deref().unwrap_or(DEFAULT_LISTEN),
        "accessLog": output.access_log.as_deref().unwrap_or(DEFAULT_ACCESS_LOG),
        "credentials": credentials,
        "products": products,
    })
}

/// Renders the include through `nginx/nginx.conf.j2`.
pub fn render(
    program: &Program,
    today: Date,
    environment: Environment,
    output: &OutputSpec,
    env: &minijinja::Environment<'static>,
) -> Result<String, RenderError> {
    for (what, value) in [
        ("keysFile", &output.keys_file),
        ("listen", &output.listen),
        ("accessLog", &output.access_log),
    ] {
        if let Some(v) = value
            && (v.trim().is_empty()
                || v.chars()
                    .any(|c| matches!(c, ';' | '{' | '}' | '"' | '\'' | '$' | '\n' | '\r'))
                || (what != "listen" && v.chars().any(char::is_whitespace)))
        {
            return Err(RenderError::Output(format!(
                "output `{}`: `{what}: {v}` cannot be written into an NGINX configuration",
                output.path
            )));
        }
    }
    templates::render(env, "nginx/nginx.conf.j2", context(program, today, environment, output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams() {
        assert_eq!(
            split_upstream("https://a.internal"),
            ("https://a.internal".into(), "".into())
        );
        assert_eq!(
            split_upstream("http://127.0.0.1:81/base/"),
            ("http://127.0.0.1:81".into(), "/base".into())
        );
    }
}
