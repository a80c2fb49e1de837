//! Who must approve a change: the program's `approvals` rules (SPEC §5), `owner` resolved.
//!
//! The rules of both sides apply (the base's and the desired program's): a change cannot drop
//! a rule to avoid it, and a rule added by the same change already binds it. `owner` is the
//! owning team of the changed resource; for access and plan changes it is the owner of each
//! product concerned. With no owner declared, the program's owner stands in; with none either,
//! `owner` is kept as written, so the gap shows.

use crate::model::Program;
use crate::plan::classes::Hit;
use crate::spec::{ChangeClass, Kind};
use std::collections::BTreeSet;

/// The approval rules in force.
#[derive(Debug, Default)]
pub struct Rules {
    rules: Vec<(Vec<ChangeClass>, Vec<String>)>,
}

/// The literal that stands for the owning team.
pub const OWNER: &str = "owner";

fn product_scoped(class: ChangeClass) -> bool {
    matches!(
        class,
        ChangeClass::SandboxAccess
            | ChangeClass::ProductionAccess
            | ChangeClass::PlanChanged
            | ChangeClass::AccessRevoked
    )
}

impl Rules {
    pub fn from_programs(base: &Program, desired: &Program) -> Rules {
        let mut rules = Vec::new();
        for p in [base, desired] {
            for r in p.spec().map(|s| s.approvals.as_slice()).unwrap_or(&[]) {
                let rule = (r.on.clone(), r.require.clone());
                if !rules.contains(&rule) {
                    rules.push(rule);
                }
            }
        }
        Rules { rules }
    }

    /// The teams a change with these classes needs, sorted.
    pub fn resolve(&self, hits: &[Hit], kind: Kind, name: &str, base: &Program, desired: &Program) -> Vec<String> {
        self.resolve_by_team(hits, kind, name, base, desired)
            .into_keys()
            .collect()
    }

    /// Each team a change needs, with the classes of change it needs that team for.
    pub fn resolve_by_team(
        &self,
        hits: &[Hit],
        kind: Kind,
        name: &str,
        base: &Program,
        desired: &Program,
    ) -> std::collections::BTreeMap<String, BTreeSet<ChangeClass>> {
        let owner_of = |kind: Kind, name: &str| -> Option<String> {
            desired
                .owner_of(kind, name)
                .or_else(|| base.owner_of(kind, name))
                .map(str::to_string)
        };
        let fallback = || {
            owner_of(Kind::Program, desired.name())
                .or_else(|| owner_of(Kind::Program, base.name()))
                .unwrap_or_else(|| OWNER.to_string())
        };
        let mut teams: std::collections::BTreeMap<String, BTreeSet<ChangeClass>> = Default::default();
        let mut add = |team: String, class: ChangeClass| {
            teams.entry(team).or_default().insert(class);
        };
        for hit in hits {
            for (on, require) in &self.rules {
                if !on.contains(&hit.class) {
                    continue;
                }
                for team in require {
                    if team != OWNER {
                        add(team.clone(), hit.class);
                        continue;
                    }
                    if product_scoped(hit.class) && !hit.products.is_empty() {
                        for p in &hit.products {
                            add(owner_of(Kind::Product, p).unwrap_or_else(fallback), hit.class);
                        }
                    } else {
                        add(owner_of(kind, name).unwrap_or_else(fallback), hit.class);
                    }
                }
            }
        }
        teams
    }
}
