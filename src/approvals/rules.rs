//! Who must approve a change: the program's `approvals` rules (SPEC §5), `owner` resolved.
//!
//! The rules of both sides apply (the base's and the desired program's): a change cannot drop
//! a rule to avoid it, and a rule added by the same change already binds it. Who a team is
//! and what a resource's owner is come from the base only (the program as applied, or
//! `--base`): a pull request cannot approve itself by making a team of its author's the owner
//! of what it changes, by adding such a team, or by re-pointing a team's handle. So:
//! - `owner` is the base's owner of the changed resource (for access and plan changes, of each
//!   product concerned); a change of owner needs the owner it leaves, and also the one it goes
//!   to when that team is already in the base;
//! - a resource the change adds is owned by the owner it names only when that team is in the
//!   base; otherwise the program's owner (as in the base) approves in its place, and the plan
//!   says so;
//! - a team a rule names that is not in the base (a rule and its team added by one change) is
//!   likewise stood in for by the program's owner until the change is merged.
//!
//! With no owner declared, the program's owner stands in; with none either, `owner` is kept as
//! written, so the gap shows. With no base program at all (nothing applied yet, no `--base`),
//! the desired program is all there is and is taken as it stands.

use crate::model::Program;
use crate::plan::classes::Hit;
use crate::spec::{ChangeClass, Kind};
use std::collections::{BTreeMap, BTreeSet};

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

/// The program whose teams, handles and owners are trusted: the base, unless there is no base
/// program at all.
pub fn trusted<'a>(base: &'a Program, desired: &'a Program) -> &'a Program {
    if base.program.is_some() { base } else { desired }
}

/// A team's GitHub handle as the trusted program ([`trusted`]) declares it.
pub fn handle(base: &Program, desired: &Program, team: &str) -> Option<String> {
    trusted(base, desired)
        .spec()?
        .teams
        .iter()
        .find(|(k, _)| k.0 == team)
        .and_then(|(_, t)| t.github.clone())
}

/// The teams a change needs, each with the classes it is needed for, and notes for the
/// reviewers where a team the change names stands in nobody's stead yet.
#[derive(Debug, Default)]
pub struct Resolved {
    pub teams: BTreeMap<String, BTreeSet<ChangeClass>>,
    /// Sentences for the plan ("`mallory` is not a team of the base program: …").
    pub notes: Vec<String>,
}

/// Owners and teams as the base has them.
struct Trust<'a> {
    trusted: &'a Program,
    desired: &'a Program,
}

impl Trust<'_> {
    fn known(&self, team: &str) -> bool {
        self.trusted.spec().is_some_and(|s| s.teams.keys().any(|t| t.0 == team))
    }

    fn exists(&self, kind: Kind, name: &str) -> bool {
        match kind {
            Kind::Program => self.trusted.program.is_some(),
            _ => self.trusted.is_known(kind, name),
        }
    }

    /// The program's owner in the trusted program, or `owner` as written.
    fn program_owner(&self) -> String {
        self.trusted
            .owner_of(Kind::Program, self.trusted.name())
            .map(str::to_string)
            .unwrap_or_else(|| OWNER.to_string())
    }

    /// The owners whose approval a change of this resource needs.
    fn owners(&self, kind: Kind, name: &str, notes: &mut Vec<String>) -> Vec<String> {
        let resource = resource(kind, name);
        let wanted = self.desired.owner_of(kind, name).map(str::to_string);
        if self.exists(kind, name) {
            let mut out = vec![
                self.trusted
                    .owner_of(kind, name)
                    .map(str::to_string)
                    .unwrap_or_else(|| self.program_owner()),
            ];
            if let Some(w) = wanted.filter(|w| !out.contains(w)) {
                if self.known(&w) {
                    out.push(w);
                } else {
                    notes.push(format!(
                        "{resource} moves to owner `{w}`, which is not a team of the base program: `{}` approves, as owner before the change",
                        out[0]
                    ));
                }
            }
            return out;
        }
        match wanted {
            Some(w) if self.known(&w) => vec![w],
            Some(w) => {
                let stand_in = self.program_owner();
                notes.push(format!(
                    "{resource} names owner `{w}`, which is not a team of the base program: `{stand_in}` (the program's owner) approves in its place until the change is merged"
                ));
                vec![stand_in]
            }
            None => vec![self.program_owner()],
        }
    }

    /// A team a rule names, or the program's owner in the place of one the change adds.
    fn team(&self, team: &str, notes: &mut Vec<String>) -> String {
        if self.known(team) {
            return team.to_string();
        }
        let stand_in = self.program_owner();
        notes.push(format!(
            "team `{team}` is not a team of the base program: `{stand_in}` (the program's owner) approves in its place until the change is merged"
        ));
        stand_in
    }
}

fn resource(kind: Kind, name: &str) -> String {
    if kind == Kind::Program {
        "program".to_string()
    } else {
        format!("{}/{name}", kind.lower())
    }
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
            .teams
            .into_keys()
            .collect()
    }

    /// Each team a change needs, with the classes of change it needs that team for.
    pub fn resolve_by_team(&self, hits: &[Hit], kind: Kind, name: &str, base: &Program, desired: &Program) -> Resolved {
        let trust = Trust {
            trusted: trusted(base, desired),
            desired,
        };
        let mut out = Resolved::default();
        let add = |out: &mut Resolved, team: String, class: ChangeClass| {
            out.teams.entry(team).or_default().insert(class);
        };
        for hit in hits {
            for (on, require) in &self.rules {
                if !on.contains(&hit.class) {
                    continue;
                }
                for team in require {
                    if team != OWNER {
                        let t = trust.team(team, &mut out.notes);
                        add(&mut out, t, hit.class);
                        continue;
                    }
                    let owners = if product_scoped(hit.class) && !hit.products.is_empty() {
                        let mut all = Vec::new();
                        for p in &hit.products {
                            all.extend(trust.owners(Kind::Product, p, &mut out.notes));
                        }
                        all
                    } else {
                        trust.owners(kind, name, &mut out.notes)
                    };
                    for o in owners {
                        add(&mut out, o, hit.class);
                    }
                }
            }
        }
        out.notes.sort();
        out.notes.dedup();
        out
    }
}
