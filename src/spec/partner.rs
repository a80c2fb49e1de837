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
    #[schemars(regex(pattern = super::EMAIL_PATTERN))]
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
    /// Who signed for the partner: a name, or the person with the authority they signed
    /// with. Example: `Jane Roe`, or `{name: Jane Roe, email: jane@acme.example, title: CTO}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<SignedBy>,
    /// The SHA-256 of the accepted version's text file as published, in lower-case hex: what
    /// ties the acceptance to the exact text (SPEC §15.4). A digest of a public text, not a
    /// secret. Example: `9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::SHA256_PATTERN))]
    pub text_sha256: Option<String>,
    /// How the partner accepted: click-through, issue-form, e-signature or countersigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<AcceptanceMethod>,
    /// Where the evidence of the acceptance is kept, an `https://` URL (the issue, the
    /// signed document in the contract system). Example: `https://github.com/northwind/partners/issues/42`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::HTTPS_URL_PATTERN))]
    pub evidence: Option<String>,
}

/// Who signed an acceptance: a name alone, or the person with their address and title.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SignedBy {
    /// The signer's name. Example: `Jane Roe`.
    Name(#[schemars(regex(pattern = super::LINE_PATTERN))] String),
    /// The signer, with what gives them the authority to sign.
    Person(Signer),
}

impl SignedBy {
    /// The signer's name.
    pub fn name(&self) -> &str {
        match self {
            SignedBy::Name(n) => n,
            SignedBy::Person(p) => &p.name,
        }
    }
}

/// A signer written out (`signedBy: {name, email, title}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Signer {
    /// Example: `Jane Roe`.
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub name: String,
    /// Example: `jane@acme.example`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::EMAIL_PATTERN))]
    pub email: Option<String>,
    /// The signer's position, which gives the authority to sign. Example: `Chief Technology Officer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub title: Option<String>,
}

/// How an acceptance was given (`agreements[].method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AcceptanceMethod {
    /// A checkbox on the portal or in an application.
    ClickThrough,
    /// A checked box of the accept-terms or register issue form (SPEC §15.3).
    IssueForm,
    /// An electronic signature service.
    ESignature,
    /// A signed document countersigned by the provider.
    Countersigned,
}

impl AcceptanceMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AcceptanceMethod::ClickThrough => "click-through",
            AcceptanceMethod::IssueForm => "issue-form",
            AcceptanceMethod::ESignature => "e-signature",
            AcceptanceMethod::Countersigned => "countersigned",
        }
    }
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
