//! What looks like a secret (SPEC §9 "Secrets"): a private key, a token of a known shape, a
//! password in a URL or a query string, a long random word. Loading runs [`document_secrets`]
//! over each document while it holds it, so the scan needs no document kept; the
//! `secret-in-repo` check (`check/secret_in_repo.rs`) turns what is found into findings and
//! also scans file names and texts that are not YAML.

use regex::{Regex, RegexSet};
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::LazyLock;

/// A key or string of a document that looks like a secret.
#[derive(Clone, Debug)]
pub struct FoundSecret {
    /// JSON pointer of the key or value.
    pub pointer: String,
    /// What it looks like (`a GitHub token`).
    pub what: &'static str,
    /// The part to redact.
    pub secret: String,
}

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
    // Word boundaries between ASCII word characters: tokens are ASCII, and a Unicode `\b`
    // keeps the lazy DFA from searching any text that is not ASCII.
    .map(|(re, what)| {
        (
            Regex::new(&re.replace(r"\b", r"(?-u:\b)")).expect("secret patterns compile"),
            what,
        )
    })
    .collect()
});

/// All token patterns as one automaton: one pass over each string instead of one per pattern.
static TOKEN_SET: LazyLock<RegexSet> =
    LazyLock::new(|| RegexSet::new(TOKENS.iter().map(|(re, _)| re.as_str())).expect("secret patterns compile"));

/// No pattern matches fewer bytes than this (`a://b:c@`, a URL with a password), and random
/// tokens are longer still: shorter values (stages, dates, plan names) are not searched.
const SHORTEST_MATCH: usize = 8;

/// Keys shorter than the shortest token (a Slack token, 15 bytes) are not searched.
const SHORTEST_KEY: usize = 15;

/// Compiles the patterns now rather than at the first value searched (see
/// [`crate::model::prepare`]).
pub fn prepare() {
    LazyLock::force(&TOKEN_SET);
}

/// What kind of secret a value looks like, if it looks like one.
pub fn looks_like_secret(value: &str) -> Option<&'static str> {
    find(value).map(|(what, _)| what)
}

/// What kind of secret a value looks like and the part of it that is the secret (the token
/// inside a sentence, the password of a URL, the value of a query parameter), which the
/// [`Redactor`](crate::redact::Redactor) then replaces wherever it appears.
pub fn find(value: &str) -> Option<(&'static str, &str)> {
    find_in(value, true)
}

/// [`find`], where `tokens` says whether a token pattern may match at all (`false` when a
/// search of the whole document found none).
fn find_in(value: &str, tokens: bool) -> Option<(&'static str, &str)> {
    if value.len() < SHORTEST_MATCH {
        return None;
    }
    // Nearly every value matches nothing: ask whether anything matches (the fast search)
    // before asking which pattern did.
    if tokens
        && TOKEN_SET.is_match(value)
        && let Some(i) = TOKEN_SET.matches(value).iter().next()
    {
        let (re, what) = &TOKENS[i];
        let m = re.find(value).map(|m| m.as_str()).unwrap_or(value);
        let secret = match i {
            // The header names the key; the key is the whole value.
            PRIVATE_KEY => value,
            URL_PASSWORD => url_password(m),
            _ => m,
        };
        return Some((what, secret));
    }
    if value.len() < 24 || !may_hold_word_secret(value) {
        return None;
    }
    word_secret(value)
}

/// A word of `value` that is a key in a query string or a random token.
fn word_secret(value: &str) -> Option<(&'static str, &str)> {
    for word in value.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '(' | ')' | '<' | '>'))
    {
        if let Some(secret) = query_secret(word) {
            return Some(("a URL with a key in its query string", secret));
        }
        let trimmed = word.trim_matches(|c: char| c == '.' || c == ':');
        if is_random_token(trimmed) {
            return Some(("a long random string (a key or token)", trimmed));
        }
    }
    None
}

/// Whether a word of `value` may be a key in a query string (which needs a `?`) or a random
/// token (24 bytes or more of key material's characters in a row): one pass over the bytes
/// that spares splitting nearly every value into words.
fn may_hold_word_secret(value: &str) -> bool {
    let mut run = 0;
    for &b in value.as_bytes() {
        if b == b'?' {
            return true;
        }
        if is_key_byte(b) {
            run += 1;
            if run >= 24 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// A character of key material (base64, base64url, hex).
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')
}

/// Indexes into [`TOKENS`] whose secret is not the match itself.
const PRIVATE_KEY: usize = 0;
const URL_PASSWORD: usize = 10;

/// `scheme://user:password@` → `password`, or `user:password` when the password alone is too
/// short to redact without blanking ordinary words.
fn url_password(m: &str) -> &str {
    let rest = m.split_once("://").map(|(_, r)| r).unwrap_or(m);
    let rest = rest.strip_suffix('@').unwrap_or(rest);
    match rest.split_once(':') {
        Some((_, pass)) if pass.len() >= SHORTEST_MATCH => pass,
        _ => rest,
    }
}

/// Query parameters whose value is a credential by name (`?api_key=…`, `&sig=…`).
const SECRET_PARAMS: &[&str] = &[
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "sig",
    "auth",
    "credential",
    "session",
];

/// The value of a query parameter of a URL that is a key or token: one named like a
/// credential, or one that is random by itself.
fn query_secret(word: &str) -> Option<&str> {
    // Most words have no `:`; looking for one byte is cheaper than for `://`.
    if !word.contains(':') {
        return None;
    }
    let (_, after) = word.split_once("://")?;
    let (_, query) = after.split_once('?')?;
    let query = query.split('#').next().unwrap_or(query);
    for pair in query.split(['&', ';']) {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        let named = {
            let name = name.to_ascii_lowercase();
            SECRET_PARAMS.iter().any(|p| name.contains(p))
        };
        if (named && value.len() >= SHORTEST_MATCH) || is_random_token(value) {
            return Some(value);
        }
    }
    None
}

/// A long word with the character mix and entropy of generated key material, which names,
/// paths, URLs and prose do not have.
fn is_random_token(word: &str) -> bool {
    let word = word.trim_matches(|c: char| c == '.' || c == ':');
    // Key material's characters only: this also leaves out URLs (`:`) and addresses (`@`).
    if word.len() < 24 || !word.bytes().all(is_key_byte) {
        return false;
    }
    let hex = word.len() >= 32 && word.bytes().all(|c| c.is_ascii_hexdigit());
    let lower = word.bytes().any(|c| c.is_ascii_lowercase());
    let upper = word.bytes().any(|c| c.is_ascii_uppercase());
    let digits = word.bytes().filter(u8::is_ascii_digit).count();
    // The entropy last: most long words (names, paths) fail the character mix, which costs a
    // pass over the word, while the entropy costs a table of 256 counts.
    if hex {
        return digits >= 4 && word.bytes().any(|c| c.is_ascii_alphabetic()) && shannon(word) >= 3.0;
    }
    lower && upper && digits >= 2 && shannon(word) >= 4.0
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

/// Whether the value is an agreement's `textSha256` (`/spec/agreements/N/textSha256`) written
/// (only partners have agreements) as a SHA-256 digest: the hash of a published terms text, not a secret (SPEC §15.4). Any
/// other value there is scanned like every value.
fn is_text_digest(path: &[Step], value: &str) -> bool {
    value.len() == 64
        && value.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && matches!(
            path,
            [
                Step::Key("spec"),
                Step::Key("agreements"),
                Step::Index(_),
                Step::Key("textSha256")
            ]
        )
}

type Found<'a> = Vec<(String, &'static str, &'a str)>;

/// What looks like a secret in one document's keys and strings. Every string is scanned, a
/// credential's `secretRef` and every other reference field (`redis.passwordRef`,
/// `secretStore`, upstreams, `website`, `evidence`) included (SPEC §16): a reference itself
/// (`vault://partners/acme/sbx-1`) looks like nothing, while a token pasted into one (a bare
/// `sk_live_…`, `?token=ghp_…`, `https://admin:pw@vault…`) is found, and only that part is
/// redacted. Loading runs this
/// while it holds the parsed document, so the scan needs no document kept.
pub fn document_secrets(doc: &Value) -> Vec<FoundSecret> {
    // The token patterns search the document's searched strings once, joined by newlines,
    // before each string on its own: a document has some fifty strings and nearly never a
    // token, and one search of a kilobyte costs a fraction of fifty. A token in a string is
    // a match in the joined text (no pattern is anchored, and a newline is no word
    // character, so `\b` holds at a string's ends either way), so a document whose text
    // matches nothing has no string that would.
    let mut text = String::new();
    searched_text(doc, &mut text);
    let tokens = TOKEN_SET.is_match(&text);
    let mut found = Vec::new();
    walk(doc, &mut Vec::new(), &mut found, tokens);
    found
        .into_iter()
        .map(|(pointer, what, secret)| FoundSecret {
            pointer,
            what,
            secret: secret.to_string(),
        })
        .collect()
}

/// The strings [`walk`] searches for tokens, each followed by a newline.
fn searched_text(v: &Value, text: &mut String) {
    match v {
        Value::String(s) if s.len() >= SHORTEST_MATCH => {
            text.push_str(s);
            text.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|item| searched_text(item, text)),
        Value::Object(map) => {
            for (k, item) in map {
                if k.len() >= SHORTEST_KEY {
                    text.push_str(k);
                    text.push('\n');
                }
                searched_text(item, text);
            }
        }
        _ => {}
    }
}

/// Visits every key and string of a document; the path is kept as steps, so nothing is
/// allocated per node (a large program has a million strings and no secrets).
fn walk<'a>(v: &'a Value, path: &mut Vec<Step<'a>>, found: &mut Found<'a>, tokens: bool) {
    match v {
        Value::String(s) => {
            if !is_text_digest(path, s)
                && let Some((what, secret)) = find_in(s, tokens)
            {
                found.push((pointer(path), what, secret));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                walk(item, path, found, tokens);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                path.push(Step::Key(k));
                // Schema keys are short words; only a key as long as the shortest token is
                // searched, which keeps the scan of a million keys to a length test each.
                if k.len() >= SHORTEST_KEY
                    && let Some((what, secret)) = find_in(k, tokens)
                {
                    found.push((pointer(path), what, secret));
                }
                walk(item, path, found, tokens);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::{document_secrets, find, looks_like_secret, may_hold_word_secret, walk, word_secret};
    use serde_json::json;

    /// The byte pass that spares splitting a value into words passes every value a word of
    /// which is a secret: over values made of key material, separators, `?`, `://`, `.`
    /// and `:` in every mix (a small generator, fixed seed).
    #[test]
    fn the_word_prefilter_passes_every_value_with_a_word_secret() {
        let pieces = [
            "a1B2c3D4e5f6G7h8",
            "Zq9",
            "x",
            "https://",
            "acme.example/",
            "?",
            "&",
            "=",
            "key=",
            "sig=",
            ".",
            ":",
            " ",
            ",",
            "(",
            "\"",
            "-_+/=",
            "0123456789abcdef",
            "é",
            "\n",
            "#",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut found = 0;
        for _ in 0..20_000 {
            let mut value = String::new();
            for _ in 0..(seed % 12 + 1) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                value.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            if word_secret(&value).is_some() {
                found += 1;
                assert!(may_hold_word_secret(&value), "{value:?}");
            }
        }
        assert!(found > 100, "the generator makes word secrets: {found}");
    }

    /// The search of a whole document decides only whether each string is searched for
    /// tokens: with a token anywhere (first, last, in a key, beside other strings, at a
    /// string's ends), the findings are those of searching every string on its own.
    #[test]
    fn one_search_of_the_document_finds_what_searching_each_string_does() {
        let tokens = [
            format!("ghp_{}", "a1B2c3D4e5".repeat(4)),
            "AKIAIOSFODNN7EXAMPLE".to_string(),
            "-----BEGIN RSA PRIVATE KEY-----".to_string(),
            "https://user:hunter2@db.example".to_string(),
            "a://b:c@".to_string(),
            format!("xoxb-{}", "1234567890"),
            format!("sk_live_{}", "a1B2c3D4e5f6G7h8"),
            format!("glpat-{}", "a1B2c3D4e5f6G7h8i9J0"),
        ];
        for t in &tokens {
            let docs = [
                json!({"a": t}),
                json!({"a": "first string here", "b": ["x", format!("use {t}"), "last string here"]}),
                json!({"spec": {format!("{t} as a key"): "value of a key"}}),
                json!({"a": format!("{t}\nnext line"), "b": format!("line before\n{t}")}),
                json!([{"a": [[format!("({t})")]]}]),
            ];
            for doc in &docs {
                let mut each = Vec::new();
                walk(doc, &mut Vec::new(), &mut each, true);
                let whole: Vec<_> = document_secrets(doc)
                    .into_iter()
                    .map(|f| (f.pointer, f.what, f.secret))
                    .collect();
                let each: Vec<_> = each.into_iter().map(|(p, w, s)| (p, w, s.to_string())).collect();
                assert!(!whole.is_empty(), "{doc}");
                assert_eq!(whole, each, "{doc}");
            }
        }
    }

    /// Boundaries are ASCII (so the fast automaton takes text that is not), and a token
    /// beside text that is not ASCII is still found.
    #[test]
    fn tokens_beside_text_that_is_not_ascii_are_found() {
        let token = format!("ghp_{}", "a1B2c3D4e5".repeat(4));
        for text in [
            format!("Schlüssel: {token}"),
            format!("ключ={token}"),
            format!("鍵{token}"),
            format!("{token}é"),
        ] {
            assert_eq!(find(&text), Some(("a GitHub token", token.as_str())), "{text}");
        }
    }

    #[test]
    fn the_secret_part_is_what_gets_redacted() {
        let t = format!("ghp_{}", "a1B2c3D4e5".repeat(4));
        assert_eq!(find(&format!("deploy with {t} please")).map(|f| f.1), Some(t.as_str()));
        assert_eq!(
            find("https://user:hunter2hunter2@db.example").map(|f| f.1),
            Some("hunter2hunter2")
        );
        // A short password is redacted with its user, never as a bare common word.
        assert_eq!(find("https://user:pw@db.example").map(|f| f.1), Some("user:pw"));
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----";
        assert_eq!(find(key).map(|f| f.1), Some(key));
    }

    #[test]
    fn finds_keys_in_query_strings() {
        let hit = find("https://acme.example/hook?user=jane&api_key=QkV5c2VjcmV0");
        assert_eq!(hit.map(|f| f.1), Some("QkV5c2VjcmV0"));
        let sig = find("see https://s3.example/x?X-Amz-Signature=abcdef0123456789 now");
        assert_eq!(sig.map(|f| f.1), Some("abcdef0123456789"));
        for ok in [
            "https://acme.example/docs?page=2&lang=en-GB",
            "https://acme.example/search?q=shipments+tracking",
            "https://acme.example/?key=short",
        ] {
            assert_eq!(find(ok), None, "{ok}");
        }
    }

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
