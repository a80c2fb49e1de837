//! `data-sharing-uncovered`: a subscribed product shares data categories that none of the
//! partner's accepted data-sharing terms cover.

use super::Context;
use crate::diag::{Code, Diagnostic};
use std::collections::BTreeSet;

pub fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    for partner in cx.program.partners.values() {
        if partner.spec.subscriptions.is_empty() {
            continue;
        }
        let covered: BTreeSet<&str> = partner
            .spec
            .agreements
            .iter()
            .filter_map(|a| cx.program.terms.get(a.terms.0.as_str()))
            .filter(|t| t.is_data_sharing())
            .flat_map(|t| t.spec.data_categories.iter().map(|c| c.0.as_str()))
            .collect();
        for (i, s) in partner.spec.subscriptions.iter().enumerate() {
            let Some(product) = cx.program.product(&s.product) else {
                continue;
            };
            let missing: Vec<&str> = product
                .spec
                .data_categories
                .iter()
                .map(|c| c.0.as_str())
                .filter(|c| !covered.contains(c))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let offering: Vec<&str> = cx
                .program
                .terms
                .values()
                .filter(|t| {
                    t.is_data_sharing() && missing.iter().all(|m| t.spec.data_categories.iter().any(|c| c.0 == *m))
                })
                .map(|t| t.name.as_str())
                .collect();
            let hint = if offering.is_empty() {
                "no data-sharing terms of the program cover these categories; legal must publish some first".to_string()
            } else {
                format!(
                    "the partner must accept {} before it can subscribe",
                    offering.join(" or ")
                )
            };
            out.push(
                Diagnostic::new(
                    Code::DataSharingUncovered,
                    &partner.at(&format!("/spec/subscriptions/{i}")),
                    format!(
                        "{} shares {} data with subscribers, which no data-sharing terms accepted by {} cover",
                        s.product,
                        missing.join(", "),
                        partner.name
                    ),
                )
                .with_hint(hint),
            );
        }
    }
}
