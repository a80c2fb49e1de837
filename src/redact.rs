//! Redaction (SPEC §9 "Secrets"): every value that `secret-in-repo` flags is replaced by
//! `«redacted»` wherever partnerctl would repeat it — findings, plans, diffs, rendered files,
//! and whatever the CLI prints.
//!
//! The check hands over the flagged values; a [`Redactor`] built from them searches all of
//! them in one pass (an Aho-Corasick automaton). Besides each value as written it also looks
//! for the forms an output gives it: JSON-escaped (a key with a newline), each line of a
//! multi-line value (a private key in a diff), and the escapes the text and Markdown printers
//! apply, so no format lets a value through in another spelling.

use crate::diag::Diagnostic;
use crate::output::RenderedFile;
use aho_corasick::{AhoCorasick, MatchKind};
use std::borrow::Cow;
use std::collections::BTreeSet;

/// What a flagged value is replaced by.
pub const REDACTED: &str = "«redacted»";

/// Shorter spellings are not searched: they would blank out ordinary words of the output.
const SHORTEST: usize = 8;

/// Replaces flagged values; empty (and free) when nothing was flagged.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    automaton: Option<AhoCorasick>,
    patterns: Vec<String>,
}

impl Redactor {
    /// A redactor for these values and every spelling of them that an output may use.
    pub fn new<I, S>(values: I) -> Redactor
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut forms = BTreeSet::new();
        for v in values {
            let v = v.as_ref();
            let mut add = |s: &str| {
                if s.len() >= SHORTEST {
                    forms.insert(s.to_string());
                }
            };
            add(v);
            let json = serde_json::to_string(v).unwrap_or_default();
            add(json.get(1..json.len().saturating_sub(1)).unwrap_or(""));
            for line in v.lines() {
                add(line.trim());
            }
            // The spelling of every encoder an output may write the value through: text and
            // comments, HTML (ours, minijinja's own, which also escapes `/`, common in base64
            // keys, and pulldown-cmark's, for terms texts), Markdown.
            add(&crate::encode::text::escape(v));
            add(&crate::encode::html::escape(v));
            add(&minijinja::HtmlEscape(v).to_string());
            let (mut attribute, mut body) = (String::new(), String::new());
            if pulldown_cmark_escape::escape_html(&mut attribute, v).is_ok() {
                add(&attribute);
            }
            if pulldown_cmark_escape::escape_html_body_text(&mut body, v).is_ok() {
                add(&body);
            }
            add(&crate::encode::markdown::text(v));
        }
        let patterns: Vec<String> = forms.into_iter().collect();
        if patterns.is_empty() {
            return Redactor::default();
        }
        // Leftmost-longest: a value and a longer one that contains it redact as the longer.
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        Redactor { automaton, patterns }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.automaton.is_none()
    }

    /// How many spellings are searched (for tests and diagnostics of the redactor itself).
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// A text with every flagged value replaced.
    pub fn text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        match &self.automaton {
            Some(ac) if ac.is_match(s) => {
                let with: Vec<&str> = vec![REDACTED; self.patterns.len()];
                Cow::Owned(ac.replace_all(s, &with))
            }
            _ => Cow::Borrowed(s),
        }
    }

    /// Bytes with every flagged value replaced (rendered files need not be UTF-8).
    pub fn bytes<'a>(&self, b: &'a [u8]) -> Cow<'a, [u8]> {
        match &self.automaton {
            Some(ac) if ac.is_match(b) => {
                let with: Vec<&[u8]> = vec![REDACTED.as_bytes(); self.patterns.len()];
                Cow::Owned(ac.replace_all_bytes(b, &with))
            }
            _ => Cow::Borrowed(b),
        }
    }

    /// Redacts a string in place.
    pub fn string(&self, s: &mut String) {
        if let Cow::Owned(r) = self.text(s) {
            *s = r;
        }
    }

    /// Redacts the message and hint of every finding.
    pub fn diagnostics(&self, diags: &mut [Diagnostic]) {
        if self.is_empty() {
            return;
        }
        for d in diags {
            self.string(&mut d.message);
            if let Some(h) = &mut d.hint {
                self.string(h);
            }
            self.string(&mut d.file);
        }
    }

    /// Redacts rendered files before they are diffed or written.
    pub fn files(&self, files: &mut [RenderedFile]) {
        if self.is_empty() {
            return;
        }
        for f in files {
            if let Cow::Owned(b) = self.bytes(&f.bytes) {
                f.bytes = b;
            }
            self.string(&mut f.path);
        }
    }

    /// Redacts every string of a JSON value (keys included).
    pub fn json(&self, v: &mut serde_json::Value) {
        if self.is_empty() {
            return;
        }
        match v {
            serde_json::Value::String(s) => self.string(s),
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| self.json(x)),
            serde_json::Value::Object(m) => {
                let old = std::mem::take(m);
                for (k, mut x) in old {
                    self.json(&mut x);
                    m.insert(self.text(&k).into_owned(), x);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "ghp_a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5";

    #[test]
    fn empty_redacts_nothing() {
        let r = Redactor::new(Vec::<String>::new());
        assert!(r.is_empty());
        assert!(matches!(r.text("anything"), Cow::Borrowed(_)));
        assert!(Redactor::new(["short"]).is_empty());
    }

    #[test]
    fn replaces_every_occurrence() {
        let r = Redactor::new([TOKEN]);
        let s = format!("a {TOKEN} b {TOKEN}");
        assert_eq!(r.text(&s), "a «redacted» b «redacted»");
        assert_eq!(
            r.bytes(format!("x{TOKEN}").as_bytes()).as_ref(),
            "x«redacted»".as_bytes()
        );
    }

    #[test]
    fn covers_json_text_and_line_spellings() {
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Zp\"q\n-----END RSA PRIVATE KEY-----";
        let r = Redactor::new([key]);
        let json = serde_json::to_string(&serde_json::json!({"v": key})).unwrap();
        assert!(!r.text(&json).contains("MIIEowIBAAKCAQEA0Zp"), "{json}");
        assert!(
            !r.text(&crate::encode::text::escape(key))
                .contains("MIIEowIBAAKCAQEA0Zp")
        );
        let diff = "-  MIIEowIBAAKCAQEA0Zp\"q\n";
        assert!(!r.text(diff).contains("MIIEowIBAAKCAQEA0Zp"));
    }

    #[test]
    fn covers_html_spellings() {
        let r = Redactor::new(["k3Y/abc+def=ghi/jkl"]);
        assert_eq!(r.text("<td>k3Y&#x2f;abc+def=ghi&#x2f;jkl</td>"), "<td>«redacted»</td>");
    }

    #[test]
    fn longer_value_wins() {
        let r = Redactor::new(["abcdefgh", "abcdefghijkl"]);
        assert_eq!(r.text("abcdefghijkl!"), "«redacted»!");
    }

    #[test]
    fn redacts_json_values_and_keys() {
        let r = Redactor::new([TOKEN]);
        let mut v = serde_json::json!({TOKEN: [TOKEN, 1], "k": {"x": format!("{TOKEN}.")}});
        r.json(&mut v);
        assert!(!v.to_string().contains(TOKEN), "{v}");
    }

    #[test]
    fn diagnostics_and_files() {
        let r = Redactor::new([TOKEN]);
        let mut f = vec![RenderedFile::new("a.txt", format!("k: {TOKEN}\n"))];
        r.files(&mut f);
        assert_eq!(f[0].bytes, "k: «redacted»\n".as_bytes());
    }
}
