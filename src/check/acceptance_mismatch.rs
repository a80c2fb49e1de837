//! `acceptance-mismatch`: an agreement's `textSha256` is not the SHA-256 of the text of the
//! version it names (SPEC §15.4). The digest is what ties an acceptance to the exact text the
//! partner read; one that matches no published text proves nothing, or proves that another
//! text was accepted.

use super::Context;
use crate::diag::{Code, Diagnostic};

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for partner in cx.program.partners.values() {
        for (i, a) in partner.spec.agreements.iter().enumerate() {
            let Some(sha) = &a.text_sha256 else { continue };
            // An unknown terms or version is unknown-reference's finding.
            let Some(version) = cx.program.terms.get(&a.terms.0).and_then(|t| t.version(&a.version)) else {
                continue;
            };
            let Some(actual) = crate::model::Terms::text_sha256(version, cx.program) else {
                continue;
            };
            if *sha != actual {
                out.push(
                    Diagnostic::new(
                        Code::AcceptanceMismatch,
                        &partner.at(&format!("/spec/agreements/{i}/textSha256")),
                        format!(
                            "{} accepted {} \"{}\" with textSha256 {sha}, which is not the SHA-256 of its text ({}); the text is {actual}",
                            partner.name,
                            a.terms,
                            a.version,
                            crate::model::Terms::text_path(version)
                        ),
                    )
                    .with_hint(
                        "record the digest of the text the partner accepted; if the partner read another text, it must accept the published one",
                    ),
                );
            }
        }
    }
}
