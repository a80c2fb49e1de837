//! `stage-gate`: access beyond the stage. Sandbox access needs stage `sandbox` or later,
//! production access needs `live`; a `production_requested` partner may hold the production
//! subscriptions it asked for (SPEC §15.2: the request is what moves it there, and reviewing
//! it is what the stage stands for) but no unrevoked production credential, so it cannot call
//! production before it is live.

use super::Context;
use crate::diag::{Code, Diagnostic};
use crate::spec::{Environment, Stage};

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for partner in cx.program.partners.values() {
        let stage = partner.stage();
        if stage.is_exit() {
            continue; // revoked-access reports access kept by exited partners
        }
        for (i, s) in partner.spec.subscriptions.iter().enumerate() {
            let requested = stage == Stage::ProductionRequested && s.environment == Environment::Production;
            if !stage.allows(s.environment) && !requested {
                out.push(
                    Diagnostic::new(
                        Code::StageGate,
                        &partner.at(&format!("/spec/subscriptions/{i}")),
                        format!(
                            "subscription to {}/{} in {} needs stage `{}`; {} is in `{stage}`",
                            s.product,
                            s.plan,
                            s.environment,
                            s.environment.required_stage(),
                            partner.name
                        ),
                    )
                    .with_hint(format!(
                        "move the partner to `{}` (with a history entry) in the same change, or remove the subscription",
                        s.environment.required_stage()
                    )),
                );
            }
        }
        for (i, c) in partner.spec.credentials.iter().enumerate() {
            if c.is_live(cx.today) && !stage.allows(c.environment) {
                out.push(
                    Diagnostic::new(
                        Code::StageGate,
                        &partner.at(&format!("/spec/credentials/{i}")),
                        format!(
                            "credential {} works in {}, which needs stage `{}`; {} is in `{stage}`",
                            c.id,
                            c.environment,
                            c.environment.required_stage(),
                            partner.name
                        ),
                    )
                    .with_hint(format!(
                        "revoke it (revoked: {}) until the partner reaches `{}`",
                        cx.today,
                        c.environment.required_stage()
                    )),
                );
            }
        }
    }
}
