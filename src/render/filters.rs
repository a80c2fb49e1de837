//! The filters template authors get beyond minijinja's own: `markdown`, `json`, `yaml`,
//! `slug` and `date` (documented in docs/templates.md).

use minijinja::value::Value;
use minijinja::{Error, ErrorKind};
use pulldown_cmark::{Event, Options, Parser};

/// Markdown → HTML (CommonMark with tables, strikethrough and footnotes). Raw HTML in the
/// text is escaped, not passed through: terms and descriptions are text, never markup.
pub fn markdown(text: &str) -> Value {
    Value::from_safe_string(markdown_to_html(text))
}

/// The HTML of a Markdown text, raw HTML escaped.
pub fn markdown_to_html(text: &str) -> String {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    let events = Parser::new_ext(text, opts).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// A value as JSON; `json(2)` indents by two spaces (any indent pretty-prints).
pub fn json(value: &Value, indent: Option<u32>) -> Result<String, Error> {
    // serde_json writes recursively and without a depth limit.
    super::budget::check_value(value)?;
    let v: serde_json::Value = serde_json::to_value(value)
        .map_err(|e| Error::new(ErrorKind::BadSerialization, format!("cannot write JSON: {e}")))?;
    let s = match indent {
        Some(_) => serde_json::to_string_pretty(&v),
        None => serde_json::to_string(&v),
    };
    s.map_err(|e| Error::new(ErrorKind::BadSerialization, format!("cannot write JSON: {e}")))
}

/// A value as a YAML document (block style, keys in their order).
pub fn yaml(value: &Value) -> Result<String, Error> {
    super::budget::check_value(value)?;
    let v: serde_json::Value = serde_json::to_value(value)
        .map_err(|e| Error::new(ErrorKind::BadSerialization, format!("cannot write YAML: {e}")))?;
    yaml_serde::to_string(&v).map_err(|e| Error::new(ErrorKind::BadSerialization, format!("cannot write YAML: {e}")))
}

/// `ACME Logistics GmbH` → `acme-logistics-gmbh`.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// A `YYYY-MM-DD` date in a chrono format; default `%-d %B %Y` (`1 November 2026`).
pub fn date(value: &str, format: Option<&str>) -> Result<String, Error> {
    let d = crate::spec::Date::parse(value).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("`{value}` is not a date (YYYY-MM-DD)"),
        )
    })?;
    let format = format.unwrap_or("%-d %B %Y");
    let items: Vec<chrono::format::Item<'_>> = chrono::format::StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, chrono::format::Item::Error)) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("`{format}` is not a date format"),
        ));
    }
    Ok(d.0.format_with_items(items.into_iter()).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert_eq!(slug("ACME Logistics GmbH"), "acme-logistics-gmbh");
        assert_eq!(slug("  a--b  "), "a-b");
        assert_eq!(date("2026-11-01", None).unwrap(), "1 November 2026");
        assert_eq!(date("2026-11-01", Some("%d.%m.%Y")).unwrap(), "01.11.2026");
        assert!(date("2026-13-01", None).is_err());
        assert_eq!(
            markdown_to_html("# T\n\n<script>x</script>"),
            "<h1>T</h1>\n&lt;script&gt;x&lt;/script&gt;"
        );
    }
}
