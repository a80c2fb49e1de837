//! `secret-in-repo`: a value looks like a secret (a private key, a token, a long random
//! string) anywhere, a credential's `secretRef` and other references included (a reference
//! itself looks like nothing; a token in its query string or userinfo does). The finding
//! never repeats the value.
//! What looks like a secret is decided by [`crate::model::secrets`].

use crate::diag::{Code, Diagnostic, Location};
use crate::model::Program;
use crate::model::secrets::find;
use std::collections::HashSet;

/// The findings, and the flagged values for the [`Redactor`](crate::redact::Redactor): every
/// YAML key and value, every other text file line by line (terms texts, templates, policies,
/// and YAML that did not parse), and every file name. Only files for which `include` holds
/// are scanned (`plan` scans only the files of the base that differ from the desired side).
pub fn scan(program: &Program, include: impl Fn(&str) -> bool + Sync) -> (Vec<Diagnostic>, Vec<String>) {
    use rayon::prelude::*;
    let mut found: Vec<(Diagnostic, String)> = program
        .documents
        .par_iter()
        .filter(|doc| include(&doc.file))
        .flat_map_iter(|doc| {
            doc.secrets.iter().map(move |s| {
                let at: Location = doc.at(&s.pointer);
                (
                    finding(&at, &crate::schema::describe_pointer(&s.pointer), s.what),
                    s.secret.clone(),
                )
            })
        })
        .collect();
    let parsed: HashSet<&str> = program.documents.iter().map(|d| d.file.as_str()).collect();
    let files: Vec<(Diagnostic, String)> = program
        .snapshot
        .files
        .par_iter()
        .filter(|(path, _)| include(path))
        .flat_map_iter(|(path, _)| {
            let mut found = Vec::new();
            file_name(path, &mut found);
            if !parsed.contains(path.as_str())
                && let Some(text) = program.snapshot.text(path)
            {
                lines(path, &text, &mut found);
            }
            found
        })
        .collect();
    found.extend(files);
    found.into_iter().unzip()
}

fn finding(at: &Location, subject: &str, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::SecretInRepo,
        at,
        format!("{subject} looks like {what}; secrets never live in the repository"),
    )
    .with_hint(
        "remove it, rotate it (it is in the git history now), and keep a reference instead: secretRef: vault://...",
    )
}

/// A file or folder name that is a secret (`templates/ghp_….j2`): the whole segment and its
/// stem are looked at, since a dot ends a random word.
fn file_name(path: &str, found: &mut Vec<(Diagnostic, String)>) {
    for segment in path.split('/') {
        let stem = segment.split('.').next().unwrap_or(segment);
        let hit = find(segment).or_else(|| find(stem));
        if let Some((what, secret)) = hit {
            let at = Location::new(path, 1, 1);
            found.push((finding(&at, "the file name", what), secret.to_string()));
        }
    }
}

/// A text that is not YAML (a terms text, a template, a policy): one finding per line that
/// holds a secret, at that line and the secret's column.
fn lines(path: &str, text: &str, found: &mut Vec<(Diagnostic, String)>) {
    // A private key spans lines: its header line flags the block up to its END line.
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let Some((what, mut secret)) = find(line) else { continue };
        let mut owned = secret.to_string();
        if secret == line && line.contains("PRIVATE KEY") {
            let start = line.find("-----BEGIN").unwrap_or(0);
            owned = line[start..].to_string();
            for (_, next) in lines.by_ref() {
                owned.push('\n');
                owned.push_str(next.trim());
                if next.contains("-----END") {
                    break;
                }
            }
            secret = "";
        }
        let column = line
            .find(if secret.is_empty() { "-----BEGIN" } else { secret })
            .map(|b| line[..b].chars().count() + 1)
            .unwrap_or(1);
        let at = Location::new(path, i + 1, column);
        found.push((finding(&at, &format!("line {}", i + 1), what), owned));
    }
}
