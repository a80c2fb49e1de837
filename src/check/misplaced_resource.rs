//! `misplaced-resource`: a document's kind does not belong in its folder, program.yaml is
//! missing, or a partnerctl document is written outside the program's folders (`partner/`,
//! `Partners/`, `partners-new/`, the repository root, …), where it would be ignored without a
//! word (SPEC §16). Files below an output's path are the outputs' own, not the program's.

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
    let outputs: Vec<String> = program
        .spec()
        .map(|s| s.outputs.iter().map(|o| crate::output::normalize(&o.path)).collect())
        .unwrap_or_default();
    let is_output = |file: &str| {
        outputs
            .iter()
            .any(|o| file == o || file.strip_prefix(o.as_str()).is_some_and(|r| r.starts_with('/')))
    };
    for stray in program.strays.iter().filter(|s| !is_output(&s.file)) {
        let belongs = match stray.kind.folder() {
            Some(f) => format!("{f}/"),
            None => "program.yaml at the repository root".to_string(),
        };
        out.push(
            Diagnostic::new(
                Code::MisplacedResource,
                &stray.at,
                format!(
                    "a {} document in {}, outside the program's folders: partnerctl does not read it, so the change it makes is not validated, planned or applied; it belongs in {belongs}",
                    stray.kind, stray.file
                ),
            )
            .with_hint(match stray.kind.folder() {
                Some(f) => format!("move it to {f}/ (with a file name equal to its metadata.name), or delete it"),
                None => "the Program lives in program.yaml at the repository root; delete this copy".to_string(),
            }),
        );
    }
}
