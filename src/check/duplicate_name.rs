//! `duplicate-name`: two resources of one kind share a name, or two credentials share an id.

use super::Context;
use crate::diag::{Code, Diagnostic};
use std::collections::HashMap;

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<(crate::spec::Kind, &str), &str> = HashMap::with_capacity(cx.program.documents.len());
    for doc in &cx.program.documents {
        let (Some(kind), Some(name)) = (doc.kind, doc.name.as_deref()) else {
            continue;
        };
        if Some(kind) != doc.folder_kind {
            continue;
        }
        match seen.get(&(kind, name)) {
            Some(first) => out.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    &doc.at("/metadata/name"),
                    format!("another {kind} is already named `{name}` ({first})"),
                )
                .with_hint(format!(
                    "{kind} names are unique across the program, including sub-folders"
                )),
            ),
            None => {
                seen.insert((kind, name), doc.file.as_str());
            }
        }
    }

    // Credential ids are unique across the whole program.
    let credentials = cx.program.partners.values().map(|p| p.spec.credentials.len()).sum();
    let mut ids: HashMap<&str, (&str, &str)> = HashMap::with_capacity(credentials);
    for partner in cx.program.partners.values() {
        for (i, cred) in partner.spec.credentials.iter().enumerate() {
            match ids.get(cred.id.0.as_str()) {
                Some((other, file)) => out.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        &partner.at(&format!("/spec/credentials/{i}/id")),
                        format!("credential id `{}` is already used by {other} ({file})", cred.id),
                    )
                    .with_hint("gateways and usage logs identify a credential by its id alone; give this one a new id"),
                ),
                None => {
                    ids.insert(cred.id.0.as_str(), (partner.name.as_str(), partner.file.as_str()));
                }
            }
        }
    }
}
