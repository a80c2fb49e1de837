//! The Partner kind (`partners/**/<name>.yaml`).

use super::{Date, Environment, Name, Stage};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PartnerSpec {
    /// The partner's name as shown in the directory. Example: `ACME Logistics`.
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub display_name: String,
    /// The registered legal entity that signs agreements. Example: `ACME Logistics GmbH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub legal_name: Option<String>,
    /// Whether the partner may appear in the public partner directory.
    #[serde(default)]
    pub listed: bool,
    /// The partner's public website, for the directory. Example: `https://acme.example`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::URL_PATTERN))]
    pub website: Option<String>,
    /// People at the partner. Private: never rendered into partner-facing output.
    #[serde(default)]
    pub contacts: Vec<ContactSpec>,
    /// Where the partner is now: registered, terms_accepted, sandbox, production_requested,
    /// live, suspended or offboarded. Must equal the last history entry's stage.
    pub stage: Stage,
    /// How the partner got here, oldest first, one step at a time.
    /// Example: `- {stage: registered, date: 2026-01-04}`.
    #[schemars(length(min = 1))]
    pub history: Vec<HistoryEntry>,
    /// Terms the partner accepted, with the version and who signed.
    /// Example: `- {terms: partner-tos, version: "2.0", acceptedOn: 2026-01-06, signedBy: Jane Roe}`.
    #[serde(default)]
    pub agreements: Vec<AgreementSpec>,
    /// Products the partner may call, with the plan and environment.
    /// Example: `- {product: shipments, plan: starter, environment: sandbox}`.
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionSpec>,
    /// API credentials, by reference only: the secret itself lives in a vault, never here.
    #[serde(default)]
    pub credentials: Vec<CredentialSpec>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContactSpec {
    /// Example: `Jane Roe`.
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub name: String,
    /// Example: `jane@acme.example`.
    #[schemars(regex(pattern = r"^[^@\s\x00-\x1F\x7F-\x9F]+@[^@\s\x00-\x1F\x7F-\x9F]+$"))]
    pub email: String,
    /// technical, business or legal.
    pub role: ContactRole,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContactRole {
    Technical,
    Business,
    Legal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The stage entered.
    pub stage: Stage,
    /// The day it was entered. Example: `2026-01-04`.
    pub date: Date,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgreementSpec {
    /// The terms accepted, by name. Example: `partner-tos`.
    pub terms: Name,
    /// The version accepted, quoted. Example: `"2.0"`.
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub version: String,
    /// The day it was accepted. Example: `2026-01-06`.
    pub accepted_on: Date,
    /// Who signed for the partner. Example: `Jane Roe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub signed_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubscriptionSpec {
    /// The product, by name. Example: `shipments`.
    pub product: Name,
    /// One of the product's plans. Example: `starter`.
    pub plan: Name,
    /// sandbox or production; must be one of the plan's environments.
    pub environment: Environment,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CredentialSpec {
    /// The credential's id, unique across the program. Gateways and usage logs name it.
    /// Example: `acme-sbx-1`.
    pub id: Name,
    /// The environment the credential works in.
    pub environment: Environment,
    /// The day it was issued.
    pub created: Date,
    /// The day it stops working, if it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    /// The day it was revoked; a revoked credential never works again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Date>,
    /// Where the secret lives (a reference, never the secret). Example: `vault://partners/acme/sbx-1`.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9+.-]*://\S+$"))]
    pub secret_ref: String,
}

impl CredentialSpec {
    /// Whether the credential works on `today`: not revoked and not expired.
    pub fn is_live(&self, today: Date) -> bool {
        self.revoked.is_none_or(|r| r > today) && self.expires.is_none_or(|e| e > today)
    }
}
