//! The Request document (SPEC §15.2): one ask of a partner along the onboarding path, from
//! any intake. It is not a resource: nothing under the program's folders holds one, and
//! `validate` never reads one. `partnerctl request` applies it to the working tree.
//!
//! Every value of a request comes from outside the provider (a partner's issue, a portal
//! form), so every string has a length bound and a pattern here, and names match the name
//! pattern before anything turns them into a path.

use super::{AcceptanceMethod, ApiVersion, ContactSpec, Name};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Always `Request`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RequestKind {
    Request,
}

/// A partner's request to move along the onboarding path: register, accept terms, get
/// sandbox or production access. `partnerctl request FILE` applies it to the working tree, or
/// refuses it with every reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestDocument {
    /// Always `partnerctl/v1`.
    pub api_version: ApiVersion,
    /// Always `Request`.
    pub kind: RequestKind,
    /// What is asked, by whom, for which partner.
    pub spec: RequestSpec,
}

/// The longest one-line text a request may carry (a name, a title).
pub const MAX_TEXT: u32 = 200;
/// The longest URL a request may carry.
pub const MAX_URL: u32 = 2048;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestSpec {
    /// register, accept-terms, request-sandbox or request-production.
    pub action: RequestAction,
    /// The partner the request is for; for `register`, the name the partner will have (it
    /// names its file, `partners/<name>.yaml`). Example: `acme-logistics`.
    pub partner: Name,
    /// `register`: who the partner is. Example:
    /// `{displayName: ACME Logistics, legalName: ACME Logistics GmbH, contacts: [{name: Jane Roe, email: jane@acme.example, role: technical}]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "RegisterSpec")]
    pub register: Option<RegisterSpec>,
    /// `accept-terms` (and `register`): the terms accepted, each the current version with the
    /// SHA-256 of its text. Example: `- {terms: partner-tos, version: "2.0", textSha256: "…"}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub accept: Vec<AcceptSpec>,
    /// `request-sandbox` and `request-production`: the products and plans asked for, in the
    /// environment the action names. Example: `- {product: shipments, plan: starter}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub subscriptions: Vec<RequestedSubscription>,
    /// The person asking. Example: `{name: Jane Roe, email: jane@acme.example, login: janeroe}`.
    pub requested_by: RequestedBy,
    /// Where the request was made, an `https://` URL (the issue, the portal submission).
    /// Example: `https://github.com/northwind/partners/issues/42`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_URL), regex(pattern = super::HTTPS_URL_PATTERN))]
    pub evidence: Option<String>,
}

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RequestAction {
    /// A new partner at `registered` (at `terms_accepted` when it accepts every required terms).
    Register,
    /// Acceptances recorded; a `registered` partner moves to `terms_accepted`.
    AcceptTerms,
    /// Sandbox subscriptions; the partner moves to `sandbox`.
    RequestSandbox,
    /// Production subscriptions; the partner moves to `production_requested`.
    RequestProduction,
}

impl RequestAction {
    pub const ALL: [RequestAction; 4] = [
        RequestAction::Register,
        RequestAction::AcceptTerms,
        RequestAction::RequestSandbox,
        RequestAction::RequestProduction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestAction::Register => "register",
            RequestAction::AcceptTerms => "accept-terms",
            RequestAction::RequestSandbox => "request-sandbox",
            RequestAction::RequestProduction => "request-production",
        }
    }

    pub fn parse(s: &str) -> Option<RequestAction> {
        RequestAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The environment whose access the action asks for.
    pub fn environment(self) -> Option<super::Environment> {
        match self {
            RequestAction::RequestSandbox => Some(super::Environment::Sandbox),
            RequestAction::RequestProduction => Some(super::Environment::Production),
            RequestAction::Register | RequestAction::AcceptTerms => None,
        }
    }
}

impl std::fmt::Display for RequestAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a registering partner is (`spec.register`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegisterSpec {
    /// The partner's name as shown in the directory. Example: `ACME Logistics`.
    #[schemars(length(min = 1, max = MAX_TEXT), regex(pattern = super::LINE_PATTERN))]
    pub display_name: String,
    /// The legal entity that signs agreements. Example: `ACME Logistics GmbH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = MAX_TEXT), regex(pattern = super::LINE_PATTERN))]
    pub legal_name: Option<String>,
    /// The partner's public website. Example: `https://acme.example`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_URL), regex(pattern = super::URL_PATTERN))]
    pub website: Option<String>,
    /// People at the partner (private: never rendered for other partners). At least one.
    #[schemars(length(min = 1, max = 8))]
    pub contacts: Vec<RequestContact>,
    /// Whether the partner may appear in the public partner directory (once live). Default false.
    #[serde(default)]
    pub listed: bool,
}

/// A contact of a registering partner: a [`ContactSpec`] with lengths bounded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestContact {
    /// Example: `Jane Roe`.
    #[schemars(length(min = 1, max = MAX_TEXT), regex(pattern = super::LINE_PATTERN))]
    pub name: String,
    /// Example: `jane@acme.example`.
    #[schemars(length(max = 254), regex(pattern = super::EMAIL_PATTERN))]
    pub email: String,
    /// technical, business or legal.
    pub role: super::ContactRole,
}

impl From<&RequestContact> for ContactSpec {
    fn from(c: &RequestContact) -> ContactSpec {
        ContactSpec {
            name: c.name.clone(),
            email: c.email.clone(),
            role: c.role,
        }
    }
}

/// One acceptance asked for (`spec.accept[]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AcceptSpec {
    /// The terms, by name. Example: `partner-tos`.
    pub terms: Name,
    /// The version accepted: the current one. Example: `"2.0"`.
    #[schemars(length(min = 1, max = 64), regex(pattern = super::LINE_PATTERN))]
    pub version: String,
    /// The SHA-256 of the version's text as published, which the partner saw: an acceptance
    /// is never taken without it. Example: `9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`.
    #[schemars(regex(pattern = super::SHA256_PATTERN))]
    pub text_sha256: String,
    /// How it was accepted (recorded with the agreement). Example: `click-through`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "AcceptanceMethod")]
    pub method: Option<AcceptanceMethod>,
}

/// One subscription asked for (`spec.subscriptions[]`); the environment is the action's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestedSubscription {
    /// The product, by name. Example: `shipments`.
    pub product: Name,
    /// One of its plans offered in the action's environment. Example: `starter`.
    pub plan: Name,
}

/// The person who asks (`spec.requestedBy`); for acceptances, the signer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestedBy {
    /// Example: `Jane Roe`.
    #[schemars(length(min = 1, max = MAX_TEXT), regex(pattern = super::LINE_PATTERN))]
    pub name: String,
    /// Example: `jane@acme.example`.
    #[schemars(length(max = 254), regex(pattern = super::EMAIL_PATTERN))]
    pub email: String,
    /// Their GitHub login, when the request came from GitHub. Example: `janeroe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[A-Za-z0-9](-?[A-Za-z0-9]){0,38}$"))]
    pub login: Option<String>,
    /// Their position, which gives the authority to accept terms for the partner.
    /// Example: `Chief Technology Officer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = MAX_TEXT), regex(pattern = super::LINE_PATTERN))]
    pub title: Option<String>,
}
