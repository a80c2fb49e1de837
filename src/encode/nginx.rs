//! NGINX configuration tokens: a value becomes one bare token, one quoted string, one `map`
//! key or one plain name, or it is refused. NGINX's parser undoes only `\\ \" \t \r \n`
//! inside quotes and expands `$` variables even there, so no value can end a comment, a
//! string or a directive, add a block, or read a variable (SPEC §9).

/// Why a value cannot be carried into an NGINX configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// The inside of an NGINX quoted string: `\` and `"` escaped (NGINX's parser undoes
/// exactly those, plus `\t \r \n`, which is why `\` itself is always escaped). A control
/// character is refused: a raw line break would end a comment it is pasted next to, and no
/// value needs one. `$` is refused unless `dollar` (regexes, code): NGINX expands variables
/// even inside quotes and has no escape for `$`.
pub fn escape_inner(value: &str, dollar: bool, newline: bool) -> Result<String, Refused> {
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' if !dollar => {
                return Err(Refused(format!(
                    "`{}` holds `$`, which NGINX would expand as a variable",
                    super::text::escape(value)
                )));
            }
            '\n' if newline => out.push('\n'),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                return Err(Refused(format!(
                    "`{}` holds a control character",
                    super::text::escape(value)
                )));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// A value as one NGINX quoted string, `"…"`.
pub fn quoted(value: &str) -> Result<String, Refused> {
    Ok(format!("\"{}\"", escape_inner(value, false, false)?))
}

/// A regular expression as one quoted string (`$` is its end anchor there, not a variable:
/// NGINX does not expand variables in a `location` regex).
pub fn regex(value: &str) -> Result<String, Refused> {
    Ok(format!("\"{}\"", escape_inner(value, true, false)?))
}

/// A directive argument: bare when it is made of characters that are never special
/// (`https://a.internal:8443`, `127.0.0.1:8080`, `/var/log/x.jsonl`), else quoted.
pub fn arg(value: &str) -> Result<String, Refused> {
    let plain = !value.is_empty()
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | ':' | '@' | '%' | '+' | '=' | ',' | '-')
        });
    if plain { Ok(value.to_string()) } else { quoted(value) }
}

/// A `map` source value. Empty is refused (it would match a request without a key); a value
/// that `map` would read as a keyword (`default`, `include`, `hostnames`, `volatile`) or a
/// regex (`~…`) is prefixed with `\`, NGINX's escape for exactly that.
pub fn map_key(value: &str) -> Result<String, Refused> {
    if value.is_empty() {
        return Err(Refused("an empty value cannot be a `map` key".into()));
    }
    let special = matches!(value, "default" | "include" | "hostnames" | "volatile") || value.starts_with(['~', '\\']);
    let token = arg(value)?;
    Ok(match (special, token.starts_with('"')) {
        (false, _) => token,
        (true, false) => format!("\\{token}"),
        (true, true) => format!("\"\\{}", &token[1..]),
    })
}

/// A name pasted inside a fixed string of the template (a JSON error body, a variable name):
/// only `[A-Za-z0-9._-]`, which no NGINX or JSON syntax gives a meaning to.
pub fn word(value: &str) -> Result<String, Refused> {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        Ok(value.to_string())
    } else {
        Err(Refused(format!("`{}` is not a plain name", super::text::escape(value))))
    }
}

/// Text after a `#`: it cannot end the line.
pub fn comment(value: &str) -> String {
    super::text::escape(value).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(arg("https://a.internal:8443").unwrap(), "https://a.internal:8443");
        assert_eq!(arg("a b").unwrap(), "\"a b\"");
        assert_eq!(quoted("x\"; }").unwrap(), "\"x\\\"; }\"");
        assert_eq!(quoted("a\\b").unwrap(), "\"a\\\\b\"");
        assert!(quoted("a\nserver {").is_err());
        assert!(quoted("$host").is_err());
        assert_eq!(regex("^/v1/x$").unwrap(), "\"^/v1/x$\"");
        assert_eq!(map_key("default").unwrap(), "\\default");
        assert_eq!(map_key("~.*").unwrap(), "\"\\~.*\"");
        assert!(map_key("").is_err());
        assert!(word("a b").is_err());
        assert_eq!(comment("a\nb"), "a\\nb");
    }
}
