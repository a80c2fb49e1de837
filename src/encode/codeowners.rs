//! CODEOWNERS lines. The format has no quoting: whitespace separates owners, `#` starts a
//! comment, `\\` escapes and `* ? [ ] !` are globs or negations. A path or an owner that
//! would need any of them is refused, never rewritten (SPEC §9).

/// A path pattern as CODEOWNERS reads it literally, or why it cannot be one. CODEOWNERS has
/// no quoting: whitespace separates owners, `#` starts a comment, `\` escapes and
/// `* ? [ ] !` are globs or negations, so a path holding any of them (or a control
/// character) would name other files or other owners; it is refused, not rewritten.
pub fn pattern(path: &str) -> Result<&str, String> {
    let bad = path.chars().find(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '#' | '\\' | '*' | '?' | '[' | ']' | '!' | '\u{2028}' | '\u{2029}')
    });
    match bad {
        _ if path.is_empty() => Err("an empty path cannot be a CODEOWNERS pattern".into()),
        Some(c) => Err(format!(
            "`{}` holds {:?}, which a CODEOWNERS pattern cannot carry",
            super::text::escape(path),
            c
        )),
        None => Ok(path),
    }
}

/// An owner as CODEOWNERS reads it: `@user` or `@org/team` (GitHub's shapes: letters,
/// digits and `-`, a team slug also `_` and `.`), or why not.
pub fn owner(handle: &str) -> Result<&str, String> {
    let ok = handle.strip_prefix('@').is_some_and(|rest| {
        let (user, team) = match rest.split_once('/') {
            Some((u, t)) => (u, Some(t)),
            None => (rest, None),
        };
        let user_ok =
            !user.is_empty() && !user.starts_with('-') && user.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        let team_ok = team.is_none_or(|t| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
        user_ok && team_ok
    });
    if ok {
        Ok(handle)
    } else {
        Err(format!(
            "`{}` is not a GitHub handle (`@user` or `@org/team`)",
            super::text::escape(handle)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_owners() {
        assert_eq!(pattern("/partners/acme.yaml"), Ok("/partners/acme.yaml"));
        assert_eq!(
            pattern("*"),
            Err("`*` holds '*', which a CODEOWNERS pattern cannot carry".into())
        );
        for bad in [
            "/partners/a\n* @evil/x.yaml",
            "/a b",
            "/a#b",
            "/a\\b",
            "/a\tb",
            "/[ab]",
            "/!a",
            "",
        ] {
            assert!(pattern(bad).is_err(), "{bad:?}");
        }
        assert_eq!(owner("@northwind/legal"), Ok("@northwind/legal"));
        assert_eq!(owner("@jane-roe"), Ok("@jane-roe"));
        for bad in ["northwind", "@", "@a/", "@a b", "@a\n* @b", "@a/b/c", "@-x", "@a/b c"] {
            assert!(owner(bad).is_err(), "{bad:?}");
        }
    }
}
