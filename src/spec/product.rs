//! The Product kind (`products/<name>.yaml`).

use super::{Environment, Name};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("anyOf" = [{"required": ["endpoints"]}, {"required": ["openapi"]}]))]
pub struct ProductSpec {
    /// The product's name as partners see it. Example: `Shipments API`.
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub display_name: String,
    /// What the product does, for the portal (Markdown). Example: `Track and create shipments.`
    #[serde(default)]
    #[schemars(regex(pattern = super::TEXT_PATTERN))]
    pub description: String,
    /// Where the product is in its life: beta, ga, deprecated or retired.
    pub lifecycle: Lifecycle,
    /// The environments the product runs in, with their upstreams.
    /// Example: `sandbox: {upstream: "https://sandbox.shipments.internal"}`.
    pub environments: ProductEnvironments,
    /// The product's OpenAPI description (3.0 or 3.1, YAML or JSON), a file under `apis/`
    /// (SPEC §13). Its operations are the product's endpoints; the portal renders an API
    /// reference from it. Example: `apis/shipments.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^apis/([A-Za-z0-9._-]+/)*[A-Za-z0-9._-]+\.(ya?ml|json)$"))]
    pub openapi: Option<String>,
    /// The operations partners may call; with `openapi` they may be left out (they are the
    /// description's operations) or given, and must then agree with it.
    /// Example: `- {method: GET, path: "/v1/shipments/{id}"}`.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub endpoints: Vec<EndpointSpec>,
    /// The plans partners subscribe to, each with its limits and environments.
    #[schemars(length(min = 1))]
    pub plans: Vec<PlanSpec>,
    /// Terms a subscriber must have accepted. Example: `[partner-tos, data-sharing]`.
    #[serde(default)]
    pub required_terms: Vec<Name>,
    /// Categories of data the product shares with partners; a subscriber needs accepted
    /// data-sharing terms that cover each. Example: `[location]`.
    #[serde(default)]
    pub data_categories: Vec<Name>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    /// Early access; may change.
    Beta,
    /// Generally available.
    Ga,
    /// Still served; do not start new integrations.
    Deprecated,
    /// No longer served.
    Retired,
}

impl Lifecycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Beta => "beta",
            Lifecycle::Ga => "ga",
            Lifecycle::Deprecated => "deprecated",
            Lifecycle::Retired => "retired",
        }
    }
}

/// The product's environments. Only `sandbox` and `production` exist.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("minProperties" = 1))]
pub struct ProductEnvironments {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<EnvironmentSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<EnvironmentSpec>,
}

impl ProductEnvironments {
    pub fn get(&self, env: Environment) -> Option<&EnvironmentSpec> {
        match env {
            Environment::Sandbox => self.sandbox.as_ref(),
            Environment::Production => self.production.as_ref(),
        }
    }

    /// The environments that exist, sandbox first.
    pub fn names(&self) -> Vec<Environment> {
        Environment::ALL
            .into_iter()
            .filter(|e| self.get(*e).is_some())
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvironmentSpec {
    /// The URL the gateway forwards calls to. Example: `https://shipments.internal`.
    #[schemars(regex(pattern = super::URL_PATTERN))]
    pub upstream: String,
    /// Where partners send their calls in this environment, shown in the portal (SPEC
    /// §15.1); public, `https://` only. The `upstream` is internal and never shown.
    /// Example: `https://sandbox.api.northwind.example/shipments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::HTTPS_URL_PATTERN), length(max = 2048))]
    pub base_url: Option<String>,
    /// The Gateway API `HTTPRoute` that serves the product here, for the `envoy-gateway`
    /// target's policies. Example: `route: {name: shipments, namespace: northwind}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<RouteRefSpec>,
}

/// An `HTTPRoute` by name and namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RouteRefSpec {
    /// The route's name (a DNS-1123 subdomain). Example: `shipments`.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"))]
    pub name: String,
    /// The route's namespace (a DNS-1123 label). Example: `northwind`.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EndpointSpec {
    /// GET, POST, PUT, PATCH or DELETE.
    pub method: Method,
    /// The path, starting with `/`; `{name}` marks a path parameter. Example: `/v1/shipments/{id}`.
    #[schemars(regex(pattern = r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/{}-]*$"))]
    pub path: String,
    /// A one-line summary for the portal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub summary: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlanSpec {
    /// The plan's name, unique within the product. Example: `standard`.
    pub name: Name,
    /// How many requests a partner may make per unit of time. Example: `{requests: 50, per: second}`.
    pub rate_limit: RateLimit,
    /// Optional total allowance per day or month. Example: `{requests: 10000, per: day}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
    /// The environments this plan is offered in; each must exist on the product.
    #[schemars(length(min = 1))]
    pub environments: Vec<Environment>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RateLimit {
    /// Requests allowed per unit.
    #[schemars(range(min = 1))]
    pub requests: u64,
    /// second, minute, hour or day.
    pub per: RateUnit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RateUnit {
    Second,
    Minute,
    Hour,
    Day,
}

impl RateUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            RateUnit::Second => "second",
            RateUnit::Minute => "minute",
            RateUnit::Hour => "hour",
            RateUnit::Day => "day",
        }
    }
    pub fn seconds(self) -> u64 {
        match self {
            RateUnit::Second => 1,
            RateUnit::Minute => 60,
            RateUnit::Hour => 3600,
            RateUnit::Day => 86_400,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Quota {
    /// Requests allowed per period.
    #[schemars(range(min = 1))]
    pub requests: u64,
    /// day or month.
    pub per: QuotaUnit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuotaUnit {
    Day,
    Month,
}

impl QuotaUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaUnit::Day => "day",
            QuotaUnit::Month => "month",
        }
    }
}
