//! The filters template authors get beyond minijinja's own: `markdown`, `json`, `yaml`,
//! `slug` and `date` (documented in docs/templates.md).

use minijinja::value::Value;
use minijinja::{AutoEscape, Error, ErrorKind, State};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Markdown → HTML (CommonMark with tables, strikethrough and footnotes). Raw HTML in the
/// text is escaped, not passed through: terms and descriptions are text, never markup.
pub fn markdown(text: &str) -> Value {
    Value::from_safe_string(markdown_to_html(text))
}

/// The HTML of a Markdown text, raw HTML escaped. A link or image (inline, reference or
/// autolink) whose target is not [`safe_link`] is written as its text: the portal links
/// only `http`, `https` and `mailto` (SPEC §9 "Links").
pub fn markdown_to_html(text: &str) -> String {
    markdown_to_html_with(text, &MarkdownOptions::default())
}

/// How a Markdown text placed inside a page is written: its headings fitted under the page's
/// own, and its in-page links (`#tag/Pets`) sent where the page has them.
#[derive(Default)]
pub struct MarkdownOptions<'a> {
    /// How the text's headings are written.
    pub headings: Headings<'a>,
    /// For a link whose target starts with `#`: the target to write instead, or `None` to
    /// write the link's text alone (a fragment the page does not have is no link).
    /// Without a resolver, fragment links are kept as written.
    pub fragment: Option<Resolver<'a>>,
}

/// Finds where an in-page link (`tag/Pets`, without the `#`) points.
pub type Resolver<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What becomes of the headings of a text.
#[derive(Clone, Copy, Default)]
pub enum Headings<'a> {
    /// As written (`#` is `<h1>`).
    #[default]
    Keep,
    /// Under a heading of level `n`: the text's highest heading is written `<h{n+1}>` and the
    /// others as many levels below it as they were, never below `<h6>`. Each gets the id
    /// `prefix` followed by the slug of its text ([`heading_ids`]).
    Under(u8, &'a str),
    /// Bold paragraphs: for text inside a list or a table, where a heading has no place.
    Bold,
}

/// The ids [`Headings::Under`] gives a text's headings, in order: `prefix` + slug of the
/// heading's text, with `-2`, `-3`… on a repeat.
pub fn heading_ids(text: &str, prefix: &str) -> Vec<String> {
    let events: Vec<Event> = Parser::new_ext(text, markdown_options()).collect();
    let mut used = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if let Event::Start(Tag::Heading { .. }) = e {
            out.push(unique_id(prefix, &heading_text(&events[i + 1..]), &mut used));
        }
    }
    out
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES
}

fn heading_text(rest: &[Event]) -> String {
    let mut text = String::new();
    for e in rest {
        match e {
            Event::End(TagEnd::Heading(_)) => break,
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            _ => {}
        }
    }
    text
}

fn unique_id(prefix: &str, text: &str, used: &mut std::collections::BTreeSet<String>) -> String {
    let base = format!("{prefix}{}", slug(text));
    let mut id = base.clone();
    let mut n = 1;
    while !used.insert(id.clone()) {
        n += 1;
        id = format!("{base}-{n}");
    }
    id
}

/// [`markdown_to_html`] with the headings and in-page links fitted to the page.
pub fn markdown_to_html_with(text: &str, options: &MarkdownOptions) -> String {
    use pulldown_cmark::HeadingLevel;
    let events: Vec<Event> = Parser::new_ext(text, markdown_options()).collect();
    let top = events
        .iter()
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { level, .. }) => Some(*level as usize),
            _ => None,
        })
        .min()
        .unwrap_or(1);
    let level = |l: HeadingLevel, under: u8| -> HeadingLevel {
        let n = (l as usize + usize::from(under) + 1).saturating_sub(top).clamp(1, 6);
        HeadingLevel::try_from(n).unwrap_or(HeadingLevel::H6)
    };
    let mut used = std::collections::BTreeSet::new();
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    // One entry per open link or image: whether it was dropped, so its end is dropped too.
    let mut open: Vec<bool> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let e = e.clone();
        match e {
            Event::Html(h) | Event::InlineHtml(h) => out.push(Event::Text(h)),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let target = match (dest_url.strip_prefix('#'), options.fragment) {
                    (Some(fragment), Some(resolve)) => resolve(fragment),
                    _ => safe_link(&dest_url).map(str::to_string),
                };
                open.push(target.is_none());
                if let Some(t) = target {
                    out.push(Event::Start(Tag::Link {
                        link_type,
                        dest_url: t.into(),
                        title,
                        id,
                    }));
                }
            }
            Event::Start(Tag::Image { ref dest_url, .. }) => {
                let drop = safe_link(dest_url).is_none();
                open.push(drop);
                if !drop {
                    out.push(e);
                }
            }
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => {
                if !open.pop().unwrap_or(false) {
                    out.push(e);
                }
            }
            Event::Start(Tag::Heading {
                level: l,
                id,
                classes,
                attrs,
            }) => match options.headings {
                Headings::Keep => out.push(Event::Start(Tag::Heading {
                    level: l,
                    id,
                    classes,
                    attrs,
                })),
                Headings::Under(by, prefix) => {
                    let id = unique_id(prefix, &heading_text(&events[i + 1..]), &mut used);
                    out.push(Event::Start(Tag::Heading {
                        level: level(l, by),
                        id: Some(id.into()),
                        classes,
                        attrs,
                    }));
                }
                Headings::Bold => {
                    out.push(Event::Start(Tag::Paragraph));
                    out.push(Event::Start(Tag::Strong));
                }
            },
            Event::End(TagEnd::Heading(l)) => match options.headings {
                Headings::Keep => out.push(Event::End(TagEnd::Heading(l))),
                Headings::Under(by, _) => out.push(Event::End(TagEnd::Heading(level(l, by)))),
                Headings::Bold => {
                    out.push(Event::End(TagEnd::Strong));
                    out.push(Event::End(TagEnd::Paragraph));
                }
            },
            other => out.push(other),
        }
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, out.into_iter());
    html
}

/// `url` when a browser would follow it to an `http`, `https` or `mailto` target, or to a
/// relative one (no scheme); `None` for any other scheme (`javascript:`, `data:`,
/// `vbscript:`, …). The scheme is read as a browser reads it: after dropping leading and
/// trailing spaces and control characters and every tab and line break, ignoring case.
/// Entities (`&#106;avascript:`) are already decoded by the Markdown parser; a URL that
/// still holds a control character is refused outright.
pub fn safe_link(url: &str) -> Option<&str> {
    let seen: String = url
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if seen.chars().any(char::is_control) {
        return None;
    }
    let before_path = seen.split(['/', '?', '#']).next().unwrap_or("");
    match before_path.split_once(':') {
        None => Some(url),
        Some((scheme, _)) => {
            let scheme = scheme.to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto").then_some(url)
        }
    }
}

/// A partner's `website` for the portal: an absolute `http`/`https` URL, else `None` (the
/// portal then shows the text without a link).
pub fn safe_website(url: &str) -> Option<&str> {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        .then_some(url)
        .filter(|u| safe_link(u).is_some() && !u.chars().any(|c| c.is_whitespace() || c.is_control()))
}

/// Text a filter produced in the template's own syntax: safe where the template escapes
/// JSON/YAML (escaping it again would quote the document), plain text elsewhere.
fn in_syntax(state: &State, text: String) -> Value {
    if matches!(state.auto_escape(), AutoEscape::Json) {
        Value::from_safe_string(text)
    } else {
        Value::from(text)
    }
}

/// A value as JSON; `json(2)` indents by two spaces (any indent pretty-prints).
pub fn json(state: &State, value: &Value, indent: Option<u32>) -> Result<Value, Error> {
    json_text(state, value, indent).map(|t| in_syntax(state, t))
}

/// A value as a YAML document (block style, keys in their order).
pub fn yaml(state: &State, value: &Value) -> Result<Value, Error> {
    yaml_text(state, value).map(|t| in_syntax(state, t))
}

/// A value as JSON, within the budget ([`super::budget::check_value`]: serde_json writes
/// recursively and without a depth limit): data Rust built is read from its tree
/// ([`super::data::Data`]), anything else converted into `converted`.
fn as_json<'a>(
    state: &State,
    value: &'a Value,
    converted: &'a mut Option<serde_json::Value>,
    what: &str,
) -> Result<&'a serde_json::Value, Error> {
    super::budget::check_value(state, value)?;
    if let Some(data) = value.downcast_object_ref::<super::data::Data>() {
        return Ok(data.json());
    }
    let v = serde_json::to_value(value)
        .map_err(|e| Error::new(ErrorKind::BadSerialization, format!("cannot write {what}: {e}")))?;
    Ok(converted.insert(v))
}

/// The model a value is the whole of, written by `write`, if it is one (a gateway's decK
/// document is written from the deck itself, never from a tree of it).
fn written_model(
    state: &State,
    value: &Value,
    what: &str,
    write: impl FnOnce(&dyn super::data::Model) -> Result<String, String>,
) -> Option<Result<String, Error>> {
    let model = value.downcast_object_ref::<super::data::Data>()?.whole_model()?;
    Some(super::budget::check_value(state, value).and_then(|()| {
        write(model).map_err(|e| Error::new(ErrorKind::BadSerialization, format!("cannot write {what}: {e}")))
    }))
}

fn json_text(state: &State, value: &Value, indent: Option<u32>) -> Result<String, Error> {
    if let Some(written) = written_model(state, value, "JSON", |m| m.json(indent.is_some())) {
        return written;
    }
    let mut converted = None;
    let v = as_json(state, value, &mut converted, "JSON")?;
    let s = match indent {
        Some(_) => serde_json::to_string_pretty(v),
        None => serde_json::to_string(v),
    };
    s.map_err(|e| Error::new(ErrorKind::BadSerialization, format!("cannot write JSON: {e}")))
}

fn yaml_text(state: &State, value: &Value) -> Result<String, Error> {
    if let Some(written) = written_model(state, value, "YAML", |m| m.yaml()) {
        return written;
    }
    let mut converted = None;
    let v = as_json(state, value, &mut converted, "YAML")?;
    yaml_serde::to_string(v).map_err(|e| Error::new(ErrorKind::BadSerialization, format!("cannot write YAML: {e}")))
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

    #[test]
    fn links() {
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " \u{1}javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "file:///etc/passwd",
        ] {
            assert_eq!(safe_link(bad), None, "{bad:?}");
        }
        for good in [
            "https://a.example/x",
            "HTTP://a",
            "mailto:a@b.example",
            "other.html",
            "#top",
            "/x:y",
        ] {
            assert_eq!(safe_link(good), Some(good));
        }
        let html = markdown_to_html(
            "[a](javascript:alert(1)) [b](&#106;avascript:x) <vbscript:y> ![c](data:image/png;base64,x) [d][r] [ok](https://x.example)\n\n[r]: JAVASCRIPT:z",
        );
        assert!(!html.to_lowercase().contains("href=\"javascript"), "{html}");
        assert!(!html.contains("src=\"data"), "{html}");
        assert!(!html.to_lowercase().contains("vbscript:y\""), "{html}");
        assert!(html.contains("<a href=\"https://x.example\">ok</a>"), "{html}");
        assert!(
            html.contains(">a") || html.contains(" a ") || html.starts_with("<p>a"),
            "{html}"
        );
        assert_eq!(safe_website("https://acme.example"), Some("https://acme.example"));
        assert_eq!(safe_website("javascript:x"), None);
        assert_eq!(safe_website("acme.example"), None);
    }
}
