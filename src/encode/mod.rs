//! Encoders: one per output syntax, the one place where a value from the program repository
//! (or a gateway file, or a log) meets the syntax it is written into (SPEC §9 "Encoding" and
//! "Messages"). The library's renderers and the CLI's printers both use them, so that no
//! second function does the same escaping somewhere else.
//!
//! - [`text`]: a terminal or a CI log, and `#` comment lines of NGINX, YAML and CODEOWNERS
//!   files: control and bidi characters escaped, no line that can pass for a workflow command;
//! - [`markdown`]: Markdown prose, code spans and fences (pull-request comments, `.md`
//!   templates);
//! - [`html`]: HTML text and attributes written outside minijinja's auto-escaping, and that
//!   auto-escaping itself;
//! - [`csv`]: spreadsheet-safe CSV fields;
//! - [`yaml`]: YAML documents, always through the serializer;
//! - [`nginx`]: NGINX tokens, quoted strings, `map` keys and names;
//! - [`codeowners`]: CODEOWNERS patterns and owners, which have no quoting at all;
//! - [`github`]: GitHub workflow commands (`::error file=…::…`);
//! - [`arm`]: Azure Resource Manager template strings, kept out of ARM's `[…]` expressions;
//! - [`xml`]: XML documents (API Management policies), written by an XML writer.
//!
//! Each encoder either returns text that cannot leave the place it is written into, or
//! refuses with the reason. Encoders sit at the bottom of the pipeline: they import nothing
//! of the crate.

pub mod arm;
pub mod codeowners;
pub mod csv;
pub mod github;
pub mod html;
pub mod markdown;
pub mod nginx;
pub mod text;
pub mod xml;
pub mod yaml;
