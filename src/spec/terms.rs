//! The Terms kind (`terms/<name>.yaml`).

use super::{Date, Name};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TermsSpec {
    /// The title partners see. Example: `Partner API Terms of Service`.
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub title: String,
    /// service, data-sharing or other.
    #[serde(rename = "type")]
    pub kind: TermsType,
    /// For data-sharing terms: the data categories they cover. Example: `[location]`.
    #[serde(default)]
    pub data_categories: Vec<Name>,
    /// Every version, oldest first. Version strings are unique and effective dates strictly
    /// increase. A version whose effective date has passed is published and never changes.
    /// Example: `- {version: "2.0", effective: 2026-03-01, file: partner-tos/2.0.md, reacceptBy: 2026-06-01}`.
    #[schemars(length(min = 1))]
    pub versions: Vec<TermsVersionSpec>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TermsType {
    Service,
    DataSharing,
    Other,
}

impl TermsType {
    pub fn as_str(self) -> &'static str {
        match self {
            TermsType::Service => "service",
            TermsType::DataSharing => "data-sharing",
            TermsType::Other => "other",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TermsVersionSpec {
    /// The version string, quoted. Example: `"2.0"`.
    #[schemars(length(min = 1))]
    #[schemars(regex(pattern = super::LINE_PATTERN))]
    pub version: String,
    /// The day the version takes effect. Example: `2026-03-01`.
    pub effective: super::Date,
    /// The Markdown text, relative to `terms/`. Example: `partner-tos/2.0.md`.
    #[schemars(regex(pattern = r"^[^/\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*\.md$"))]
    pub file: String,
    /// Partners who accepted an older version must accept this one by this date; after it,
    /// an outdated acceptance is an error. Example: `2026-06-01`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaccept_by: Option<Date>,
    /// A short note on what changed since the previous version, for the portal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::TEXT_PATTERN))]
    pub summary: Option<String>,
}
