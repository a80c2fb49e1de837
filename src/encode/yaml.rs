//! YAML documents, always written by the serializer (`yaml_serde`), never pasted together:
//! a value becomes a scalar the serializer quotes as it must, so it cannot add a key, a
//! document or a block. Comment lines above a document go through [`super::text::escape`].
//!
//! Edits made in place in a program file (`source::yaml_edit`) write single values in YAML
//! flow syntax through [`flow`] and [`scalar`]: a string that could read back as something
//! else (a number, a boolean, a date-like or quoted string, anything with a special
//! character) is double-quoted with every control character escaped, so no value can add a
//! line, a key or a document.

use serde::Serialize;

/// A document as YAML.
pub fn document<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
    yaml_serde::to_string(value).map_err(|e| e.to_string())
}

/// `# …` lines, one per entry, each escaped so that it ends where its line does, followed by
/// the document.
pub fn with_comments<T: Serialize + ?Sized>(comments: &[String], value: &T) -> Result<String, String> {
    let mut s = String::new();
    for line in comments {
        s.push_str("# ");
        s.push_str(&super::text::escape(line));
        s.push('\n');
    }
    s.push_str(&document(value)?);
    Ok(s)
}

/// A string as a plain scalar when it reads back as the same string, else double-quoted.
pub fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '/')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
        && s.parse::<f64>().is_err()
        && !s.starts_with("0x")
        && !s.starts_with("0o")
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain { s.to_string() } else { quoted(s) }
}

/// A YAML double-quoted string: `"` and `\` escaped, and every character that is not
/// printable (C0 and C1 controls, DEL, the line and paragraph separators, bidi controls) as
/// `\uXXXX`.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value in YAML flow syntax, on one line: `{id: acme-sbx-2, created: 2026-01-12}`.
pub fn flow(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s),
        Value::Array(a) => format!("[{}]", a.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{}: {}", scalar(k), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_escape_their_scalar() {
        assert_eq!(scalar("acme-sbx-1"), "acme-sbx-1");
        assert_eq!(scalar("1234567890"), "\"1234567890\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("a: b\n- c"), "\"a: b\\u000a- c\"");
        assert_eq!(scalar("vault://x/y"), "\"vault://x/y\"");
        let v = flow(&serde_json::json!({"k\n": "\u{85}\"#"}));
        let back: serde_json::Value = yaml_serde::from_str(&format!("m: {v}\n")).unwrap();
        assert_eq!(back["m"]["k\n"], "\u{85}\"#");
    }

    #[test]
    fn values_stay_scalars() {
        let doc = serde_json::json!({"name": "a\nb: c\n---\nd", "x": "# not a comment"});
        let text = with_comments(&["made\nby: x".into()], &doc).unwrap();
        assert!(text.starts_with("# made\\nby: x\n"));
        let back: serde_json::Value = yaml_serde::from_str(&text).unwrap();
        assert_eq!(back, doc);
    }
}
