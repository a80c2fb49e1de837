//! `misplaced-resource`: a document's kind does not belong in its folder, or program.yaml is missing.

use super::Context;
use crate::diag::{Code, Diagnostic, Location};
use crate::source::PROGRAM_FILE;
use crate::spec::Kind;

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let program = cx.program;
    if !program.documents.iter().any(|d| d.file == PROGRAM_FILE) && !program.snapshot.contains(PROGRAM_FILE) {
        out.push(
            Diagnostic::new(Code::MisplacedResource, &Location::file_start(PROGRAM_FILE), "program.yaml is missing")
                .with_hint("every program repository has exactly one Program in program.yaml at its root; `partnerctl init` writes one"),
        );
    }
    for doc in &program.documents {
        let (Some(kind), Some(folder)) = (doc.kind, doc.folder_kind) else {
            continue;
        };
        if kind == folder {
            continue;
        }
        let place = match folder.folder() {
            Some(f) => format!("{f}/ holds {} documents", folder.as_str()),
            None => "program.yaml holds the Program".to_string(),
        };
        let hint = match kind {
            Kind::Program => "the Program lives in program.yaml at the repository root".to_string(),
            k => format!("move it to {}/", k.folder().unwrap_or_default()),
        };
        out.push(
            Diagnostic::new(
                Code::MisplacedResource,
                &doc.at("/kind"),
                format!("a {kind} document in {}: {place}", doc.file),
            )
            .with_hint(hint),
        );
    }
}
