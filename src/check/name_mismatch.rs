//! `name-mismatch`: `metadata.name` differs from the file stem. program.yaml is exempt: its
//! file name is fixed, and its `metadata.name` names the program.

use super::Context;
use crate::diag::{Code, Diagnostic};
use crate::source::PROGRAM_FILE;

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for doc in &cx.program.documents {
        if doc.file == PROGRAM_FILE {
            continue;
        }
        let Some(name) = &doc.name else { continue };
        let stem = doc.stem();
        if name != stem {
            out.push(
                Diagnostic::new(
                    Code::NameMismatch,
                    &doc.at("/metadata/name"),
                    format!("metadata.name is `{name}` but the file is named `{stem}`"),
                )
                .with_hint(format!("rename the file to `{name}.yaml`, or set `name: {stem}`")),
            );
        }
    }
}
