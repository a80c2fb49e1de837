//! `terms-missing`: past `registered` without the program's requiredTerms, or subscribed to a
//! product without having accepted its requiredTerms.
//!
//! Offboarded partners have left the program and need no terms; suspended partners may come
//! back and keep needing them.

use super::Context;
use crate::diag::{Code, Diagnostic};
use crate::model::Partner;
use crate::spec::Stage;

/// Why a partner needs a terms.
pub(crate) enum Need {
    /// The program requires it of every partner past `registered`.
    Program,
    /// The product of subscription `index` requires it.
    Product { index: usize, product: String },
}

/// Whether the partner is past `registered` and still in the program.
pub(crate) fn past_registered(partner: &Partner) -> bool {
    match partner.stage() {
        Stage::Registered | Stage::Offboarded => false,
        Stage::Suspended => partner
            .spec
            .history
            .iter()
            .any(|h| h.stage != Stage::Registered && !h.stage.is_exit()),
        _ => true,
    }
}

/// The terms a partner needs, and why (the program's first, then each subscription's).
pub(crate) fn needed_terms(cx: &Context, partner: &Partner) -> Vec<(String, Need)> {
    let mut needs = Vec::new();
    if partner.stage() == Stage::Offboarded {
        return needs;
    }
    if past_registered(partner) {
        for t in cx.program.required_terms() {
            needs.push((t.0.clone(), Need::Program));
        }
    }
    for (index, s) in partner.spec.subscriptions.iter().enumerate() {
        if let Some(product) = cx.program.product(&s.product) {
            for t in &product.spec.required_terms {
                if !needs.iter().any(|(n, _)| n == &t.0) {
                    needs.push((
                        t.0.clone(),
                        Need::Product {
                            index,
                            product: s.product.0.clone(),
                        },
                    ));
                }
            }
        }
    }
    needs
}

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for partner in cx.program.partners.values() {
        for (terms, need) in needed_terms(cx, partner) {
            // Terms that do not exist (or did not load) are reported where they are named
            // (`unknown-reference`) or in their own file: no partner can accept them, and a
            // finding per partner would bury the one cause under its consequences.
            if partner.accepted(&terms, cx.program).is_some() || !cx.program.terms.contains_key(&terms) {
                continue;
            }
            let current = cx
                .program
                .terms
                .get(&terms)
                .and_then(|t| t.current(cx.today))
                .map(|v| v.version.clone());
            let hint = match &current {
                Some(v) => format!(
                    "add `- {{terms: {terms}, version: \"{v}\", acceptedOn: YYYY-MM-DD, signedBy: ...}}` under spec.agreements once the partner has accepted"
                ),
                None => format!(
                    "no version of {terms} is in effect yet; move the partner back to `registered`, or publish a version of {terms} first"
                ),
            };
            let d = match need {
                Need::Program => Diagnostic::new(
                    Code::TermsMissing,
                    &partner.at("/spec/stage"),
                    format!(
                        "{} is in `{}` but has not accepted {terms}, which the program requires of every partner past `registered`",
                        partner.name,
                        partner.stage()
                    ),
                ),
                Need::Product { index, product } => Diagnostic::new(
                    Code::TermsMissing,
                    &partner.at(&format!("/spec/subscriptions/{index}")),
                    format!(
                        "{} is subscribed to {product}, which requires {terms}, but has not accepted it",
                        partner.name
                    ),
                ),
            };
            out.push(d.with_hint(hint));
        }
    }
}
