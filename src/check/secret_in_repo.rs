//! `secret-in-repo`: a value looks like a secret (a private key, a token, a long random
//! string) anywhere but a credential's `secretRef`. The finding never repeats the value.

use super::Context;
use crate::diag::{Code, Diagnostic, Location};
use crate::model::Raw as Value;
use regex::{Regex, RegexSet};
use std::fmt::Write as _;
use std::sync::LazyLock;

static TOKENS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----", "a private key"),
        (r"\bgh[pousr]_[A-Za-z0-9]{36,}\b", "a GitHub token"),
        (r"\bgithub_pat_[A-Za-z0-9_]{22,}\b", "a GitHub token"),
        (r"\bglpat-[A-Za-z0-9_-]{20,}\b", "a GitLab token"),
        (r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b", "a Slack token"),
        (r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", "an AWS access key"),
        (r"\b[sr]k_(live|test)_[A-Za-z0-9]{16,}\b", "a payment provider API key"),
        (r"\bAIza[0-9A-Za-z_-]{35}\b", "a Google API key"),
        (r"\bnpm_[A-Za-z0-9]{36}\b", "an npm token"),
        (
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
            "a JSON Web Token",
        ),
        (
            r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",
            "a URL with a password",
        ),
    ]
    .into_iter()
    .map(|(re, what)| (Regex::new(re).expect("secret patterns compile"), what))
    .collect()
});

/// All token patterns as one automaton: one pass over each string instead of one per pattern.
static TOKEN_SET: LazyLock<RegexSet> =
    LazyLock::new(|| RegexSet::new(TOKENS.iter().map(|(re, _)| re.as_str())).expect("secret patterns compile"));

/// No pattern matches fewer bytes than this (`a://b:c@`, a URL with a password), and random
/// tokens are longer still: shorter values (stages, dates, plan names) are not searched.
const SHORTEST_MATCH: usize = 8;

/// What kind of secret a value looks like, if it looks like one.
pub fn looks_like_secret(value: &str) -> Option<&'static str> {
    if value.len() < SHORTEST_MATCH {
        return None;
    }
    // Nearly every value matches nothing: ask whether anything matches (the fast search)
    // before asking which pattern did.
    if TOKEN_SET.is_match(value)
        && let Some(i) = TOKEN_SET.matches(value).iter().next()
    {
        return Some(TOKENS[i].1);
    }
    if value.len() < 24 {
        return None;
    }
    value
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '(' | ')' | '<' | '>'))
        .any(is_random_token)
        .then_some("a long random string (a key or token)")
}

/// A long word with the character mix and entropy of generated key material, which names,
/// paths, URLs and prose do not have.
fn is_random_token(word: &str) -> bool {
    let word = word.trim_matches(|c: char| c == '.' || c == ':');
    if word.len() < 24 || word.contains("://") || word.contains('@') {
        return false;
    }
    let hex = word.len() >= 32 && word.chars().all(|c| c.is_ascii_hexdigit());
    let token_chars = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-'));
    if !token_chars {
        return false;
    }
    let lower = word.chars().any(|c| c.is_ascii_lowercase());
    let upper = word.chars().any(|c| c.is_ascii_uppercase());
    let digits = word.chars().filter(|c| c.is_ascii_digit()).count();
    let entropy = shannon(word);
    if hex {
        return entropy >= 3.0 && digits >= 4 && word.chars().any(|c| c.is_ascii_alphabetic());
    }
    lower && upper && digits >= 2 && entropy >= 4.0
}

fn shannon(s: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| *c as f64 / n)
        .map(|p| -p * p.log2())
        .sum()
}

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    use rayon::prelude::*;
    let found: Vec<Diagnostic> = cx
        .program
        .documents
        .par_iter()
        .flat_map_iter(|doc| {
            let mut found = Vec::new();
            walk(&doc.value, &mut Vec::new(), &mut found);
            found.into_iter().map(move |(pointer, what)| {
                let at: Location = doc.at(&pointer);
                Diagnostic::new(
                    Code::SecretInRepo,
                    &at,
                    format!(
                        "{} looks like {what}; secrets never live in the repository",
                        crate::schema::describe_pointer(&pointer)
                    ),
                )
                .with_hint(
                    "remove it, rotate it (it is in the git history now), and keep a reference instead: secretRef: vault://...",
                )
            })
        })
        .collect();
    out.extend(found);
}

/// A step of the path from the document's root: a key or a list index.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The JSON pointer of a path (built only for a finding).
fn pointer(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                out.push('/');
                out.push_str(&k.replace('~', "~0").replace('/', "~1"));
            }
            Step::Index(i) => {
                let _ = write!(out, "/{i}");
            }
        }
    }
    out
}

/// Visits every string of a document; the path is kept as steps, so nothing is allocated per
/// node (a large program has a million strings and no secrets).
fn walk<'a>(v: &'a Value, path: &mut Vec<Step<'a>>, found: &mut Vec<(String, &'static str)>) {
    match v {
        Value::String(s) => {
            let is_secret_ref = matches!(path.last(), Some(Step::Key("secretRef")));
            if !is_secret_ref && let Some(what) = looks_like_secret(s) {
                found.push((pointer(path), what));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                walk(item, path, found);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map.iter_sorted() {
                let Value::String(k) = k else { continue };
                path.push(Step::Key(k));
                walk(item, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_secret;

    #[test]
    fn the_shortest_matches_are_not_skipped() {
        assert_eq!(looks_like_secret("a://b:c@"), Some("a URL with a password"));
        assert_eq!(looks_like_secret("a://b:@"), None);
    }

    #[test]
    fn finds_keys_and_tokens() {
        assert!(looks_like_secret("-----BEGIN RSA PRIVATE KEY-----\nMIIE...").is_some());
        assert!(looks_like_secret(&format!("ghp_{}", "a1B2c3D4e5".repeat(4))).is_some());
        assert!(looks_like_secret("AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(looks_like_secret("key: 9fK2mQ7xLp4Zr8Tw1Nv6Yb3Hc5Jd0Gs").is_some());
        assert!(looks_like_secret("3f9a1c7e5b2d8f4a6c0e1b9d7f3a5c2e").is_some());
        assert!(looks_like_secret("https://user:hunter2@db.example").is_some());
    }

    #[test]
    fn leaves_names_paths_and_prose_alone() {
        for ok in [
            "dist/gateway/envoy-ratelimit-production.yaml",
            "https://sandbox.shipments.internal",
            "vault://partners/acme/sbx-1",
            "ACME Logistics International Holdings GmbH",
            "jane.roe@acme-logistics.example",
            "Track and create shipments across every carrier in the network.",
            "acme-logistics-production-credential-2026",
            "/v1/shipments/{id}/events/{eventId}",
        ] {
            assert_eq!(looks_like_secret(ok), None, "{ok}");
        }
    }
}
