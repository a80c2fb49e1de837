//! `revoked-access`: a suspended or offboarded partner still has a credential that is not
//! revoked, or an offboarded partner a subscription. A suspended partner keeps its
//! subscriptions (SPEC §15.5): the gateways serve no suspended partner, and `partner
//! reinstate` with new credentials restores its access without re-subscribing.

use super::Context;
use crate::diag::{Code, Diagnostic};

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for partner in cx.program.partners.values() {
        let stage = partner.stage();
        if !stage.is_exit() {
            continue;
        }
        let subscriptions = if stage == crate::spec::Stage::Offboarded {
            partner.spec.subscriptions.as_slice()
        } else {
            &[]
        };
        for (i, s) in subscriptions.iter().enumerate() {
            out.push(
                Diagnostic::new(
                    Code::RevokedAccess,
                    &partner.at(&format!("/spec/subscriptions/{i}")),
                    format!(
                        "{} is {stage} but still subscribed to {}/{} in {}",
                        partner.name, s.product, s.plan, s.environment
                    ),
                )
                .with_hint("remove the subscription (`partnerctl partner offboard` removes them all)"),
            );
        }
        for (i, c) in partner.spec.credentials.iter().enumerate() {
            if c.revoked.is_none_or(|r| r > cx.today) {
                out.push(
                    Diagnostic::new(
                        Code::RevokedAccess,
                        &partner.at(&format!("/spec/credentials/{i}")),
                        format!(
                            "{} is {stage} but credential {} ({}) is not revoked",
                            partner.name, c.id, c.environment
                        ),
                    )
                    .with_hint(format!(
                        "set `revoked: {}` on the credential and revoke it in the vault (`partnerctl credential revoke {}`)",
                        cx.today, c.id
                    )),
                );
            }
        }
    }
}
