//! Azure Resource Manager template strings. ARM evaluates every JSON string that starts with
//! `[` and ends with `]` as a template expression (`[parameters('x')]`, `[listKeys(…)]`), so a
//! display name or a terms text written as it is could run code at deployment. A literal of
//! that shape is written with its first bracket doubled (`[[…]`), which ARM reads back as the
//! literal; any other string is a literal already and is written unchanged (ARM un-doubles
//! only a string of that shape, so doubling another would change it).
//!
//! The JSON itself is the serializer's: this encoder only keeps a value out of ARM's
//! expression syntax.

use std::borrow::Cow;

/// Whether ARM would read `s` as an expression.
pub fn is_expression(s: &str) -> bool {
    s.starts_with('[') && s.ends_with(']')
}

/// `s` as an ARM literal string: the text ARM hands the resource is `s` itself.
pub fn literal(s: &str) -> Cow<'_, str> {
    if is_expression(s) {
        Cow::Owned(format!("[{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// What ARM hands a resource for a string written in a template: an escaped literal loses
/// its doubled bracket. `None` for an expression (evaluated at deployment, not a literal).
pub fn read_literal(s: &str) -> Option<&str> {
    match s.strip_prefix("[[") {
        Some(_) if s.ends_with(']') => Some(&s[1..]),
        _ if is_expression(s) => None,
        _ => Some(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_become_literals() {
        for s in [
            "[parameters('apimServiceName')]",
            "[]",
            "[[already]",
            "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'x'), '2019-06-01').keys[0].value]",
        ] {
            let written = literal(s);
            assert!(written.starts_with("[["), "{written}");
            assert_eq!(read_literal(&written), Some(s), "{s}");
        }
        for s in ["[test] value", "plain", "ends]", "", "[", "a [b]"] {
            assert_eq!(literal(s), s);
            assert_eq!(read_literal(s), Some(s));
        }
        assert_eq!(read_literal("[parameters('x')]"), None);
    }
}
