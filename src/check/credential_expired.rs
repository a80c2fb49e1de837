//! `credential-expired`: a credential has expired and is not revoked; the gateway already
//! refuses it, and the file should say so.

use super::Context;
use crate::diag::{Code, Diagnostic};

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for partner in cx.program.partners.values() {
        for (i, c) in partner.spec.credentials.iter().enumerate() {
            let Some(expires) = c.expires else { continue };
            if expires <= cx.today && c.revoked.is_none() {
                out.push(
                    Diagnostic::new(
                        Code::CredentialExpired,
                        &partner.at(&format!("/spec/credentials/{i}/expires")),
                        format!(
                            "credential {} of {} expired on {expires} and is not revoked",
                            c.id, partner.name
                        ),
                    )
                    .with_hint(format!(
                        "set `revoked: {expires}`, and issue a new credential if the partner still needs access"
                    )),
                );
            }
        }
    }
}
