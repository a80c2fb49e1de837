//! `plan-environment`: a subscription's environment is not one of its plan's, or a live
//! credential's environment has no subscription.

use super::Context;
use crate::diag::{Code, Diagnostic};

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for partner in cx.program.partners.values() {
        if partner.stage().is_exit() {
            continue; // revoked-access says what to do about exited partners
        }
        for (i, s) in partner.spec.subscriptions.iter().enumerate() {
            let Some(plan) = cx.program.plan(&s.product, &s.plan) else {
                continue;
            };
            if !plan.environments.contains(&s.environment) {
                let offered: Vec<&str> = plan.environments.iter().map(|e| e.as_str()).collect();
                out.push(
                    Diagnostic::new(
                        Code::PlanEnvironment,
                        &partner.at(&format!("/spec/subscriptions/{i}/environment")),
                        format!(
                            "plan {}/{} is not offered in {}; it is offered in {}",
                            s.product,
                            s.plan,
                            s.environment,
                            offered.join(", ")
                        ),
                    )
                    .with_hint(format!(
                        "choose a plan of {} that includes {}",
                        s.product, s.environment
                    )),
                );
            }
        }
        for (i, c) in partner.spec.credentials.iter().enumerate() {
            if !c.is_live(cx.today) {
                continue;
            }
            if !partner
                .spec
                .subscriptions
                .iter()
                .any(|s| s.environment == c.environment)
            {
                out.push(
                    Diagnostic::new(
                        Code::PlanEnvironment,
                        &partner.at(&format!("/spec/credentials/{i}/environment")),
                        format!(
                            "credential {} works in {}, but {} has no {} subscription",
                            c.id, c.environment, partner.name, c.environment
                        ),
                    )
                    .with_hint(format!(
                        "add a {} subscription, or revoke the credential (revoked: {})",
                        c.environment, cx.today
                    )),
                );
            }
        }
    }
}
