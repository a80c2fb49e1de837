//! The partner portal (the `docs` target, SPEC §7, §13, §15.1): static HTML pages that work
//! from `file://`, with a Content-Security-Policy that forbids
//! every script but the API reference's search, allowed by its hash.
//!
//! [`public`] builds the only data a page is given (no contacts, secret references,
//! upstreams or stages of other partners); [`pages`] renders the catalog, product, onboarding,
//! terms and directory pages from the built-in templates below `templates/`;
//! [`api_reference`] turns a product's OpenAPI description into reference pages, with
//! [`api_schema`] writing their schemas and [`search`] the one script the portal runs;
//! [`context`] is the resolved program as template data, for the program's own `template:`
//! outputs and the parts the portal shares with them.

pub mod api_budget;
pub mod api_reference;
pub mod api_schema;
pub mod context;
pub mod pages;
pub mod public;
pub mod search;

/// The portal's built-in templates, by the name a program's `templates/` overrides them with.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("docs/base.html.j2", include_str!("templates/base.html.j2")),
    ("docs/index.html.j2", include_str!("templates/index.html.j2")),
    ("docs/product.html.j2", include_str!("templates/product.html.j2")),
    ("docs/api.html.j2", include_str!("templates/api.html.j2")),
    ("docs/onboarding.html.j2", include_str!("templates/onboarding.html.j2")),
    (
        "docs/terms-index.html.j2",
        include_str!("templates/terms-index.html.j2"),
    ),
    (
        "docs/terms-version.html.j2",
        include_str!("templates/terms-version.html.j2"),
    ),
    ("docs/partners.html.j2", include_str!("templates/partners.html.j2")),
    ("docs/style.css.j2", include_str!("templates/style.css.j2")),
];
