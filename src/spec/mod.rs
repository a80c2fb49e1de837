//! Spec: serde + schemars types that mirror the YAML of SPEC §1 exactly.
//!
//! These are the raw types: what a partner team writes. They reject unknown fields, and their
//! doc comments become the descriptions of the committed JSON schemas (`schemas/`), so they
//! are written for the person editing the YAML. The model stage (`model/`) turns them into the
//! resolved program that checks, plans and renderers use.

mod common;
mod partner;
mod portal;
mod product;
mod program;
mod request;
mod terms;

pub use common::*;
pub use partner::*;
pub use portal::*;
pub use product::*;
pub use program::*;
pub use request::*;
pub use terms::*;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `apiVersion` every document carries.
pub const API_VERSION: &str = "partnerctl/v1";

/// The four kinds of document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Kind {
    Program,
    Product,
    Terms,
    Partner,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Program, Kind::Product, Kind::Terms, Kind::Partner];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Program => "Program",
            Kind::Product => "Product",
            Kind::Terms => "Terms",
            Kind::Partner => "Partner",
        }
    }

    /// The lower-case name used in schema file names, `schema KIND` and resource addresses.
    pub fn lower(self) -> &'static str {
        match self {
            Kind::Program => "program",
            Kind::Product => "product",
            Kind::Terms => "terms",
            Kind::Partner => "partner",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.lower() == s.to_ascii_lowercase())
    }

    /// The folder documents of this kind live in (`None` for the program, at the root).
    pub fn folder(self) -> Option<&'static str> {
        match self {
            Kind::Program => None,
            Kind::Product => Some("products"),
            Kind::Terms => Some("terms"),
            Kind::Partner => Some("partners"),
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! document {
    ($(#[$doc:meta])* $name:ident, $kind_enum:ident, $variant:ident, $meta:ty, $spec:ty) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
        #[doc = concat!("Always `", stringify!($variant), "` in this file.")]
        pub enum $kind_enum {
            $variant,
        }

        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        pub struct $name {
            /// Always `partnerctl/v1`.
            pub api_version: ApiVersion,
            /// The kind of document.
            pub kind: $kind_enum,
            /// Name, owning team and labels.
            pub metadata: $meta,
            /// The content of the document.
            pub spec: $spec,
        }
    };
}

document!(
    /// The program: its teams, required terms, stage limits, approval rules and outputs.
    /// Exactly one, in `program.yaml` at the repository root.
    ProgramDocument, ProgramKind, Program, Metadata, ProgramSpec
);
document!(
    /// A standard API product partners subscribe to. One per file in `products/`.
    ProductDocument, ProductKind, Product, OwnedMetadata, ProductSpec
);
document!(
    /// Terms partners accept (terms of service, data-sharing agreements), with every version.
    /// One per file in `terms/`.
    TermsDocument, TermsKind, Terms, OwnedMetadata, TermsSpec
);
document!(
    /// A partner organisation: where it is in onboarding, what it accepted, what it may call.
    /// One per file in `partners/`.
    PartnerDocument, PartnerKind, Partner, OwnedMetadata, PartnerSpec
);

/// The only API version of this format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    #[serde(rename = "partnerctl/v1")]
    V1,
}

/// A resource's labels in key order. Held as one exact-size list: a map of two labels would
/// allocate a node for eleven, for every partner of the program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels(Box<[(String, String)]>);

impl Labels {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&String> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The labels in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.into_iter()
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, String)>, fn(&'a (String, String)) -> Self::Item>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Serialize for Labels {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Labels, D::Error> {
        let map = std::collections::BTreeMap::<String, String>::deserialize(deserializer)?;
        Ok(Labels(map.into_iter().collect()))
    }
}

/// Name, owning team and labels of a product, terms or partner: the owner is required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OwnedMetadata {
    /// The resource's name: lower case letters, digits and dashes, equal to the file name
    /// without `.yaml`. Example: `acme-logistics`.
    pub name: Name,
    /// The team that owns this resource, one of the teams declared in `program.yaml`
    /// (`spec.teams`). It is asked to approve changes to the resource. Example: `partnerships`.
    pub owner: String,
    /// Free-form labels, string to string. Example: `{region: emea}`.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    #[schemars(extend("propertyNames" = {"pattern": LINE_PATTERN}, "additionalProperties" = {"type": "string", "pattern": LINE_PATTERN}))]
    pub labels: Labels,
}

impl From<OwnedMetadata> for Metadata {
    fn from(m: OwnedMetadata) -> Metadata {
        Metadata {
            name: m.name,
            owner: Some(m.owner),
            labels: m.labels,
        }
    }
}

/// Name, owning team and labels. On the Program the owner is optional.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metadata {
    /// The resource's name: lower case letters, digits and dashes, equal to the file name
    /// without `.yaml`. Example: `acme-logistics`.
    pub name: Name,
    /// The team that owns this resource, one of the teams declared in `program.yaml`
    /// (`spec.teams`). It is asked to approve changes to the resource. Example: `partnerships`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Free-form labels, string to string. Example: `{region: emea}`.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    #[schemars(extend("propertyNames" = {"pattern": LINE_PATTERN}, "additionalProperties" = {"type": "string", "pattern": LINE_PATTERN}))]
    pub labels: Labels,
}
