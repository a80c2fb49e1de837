//! The `codeowners` target: a GitHub CODEOWNERS file from the program's teams, owners and
//! approval rules, so GitHub requests review from the teams the plan asks for.
//!
//! Each file's owners are its resource's owner team and every team an approval rule names for
//! a class of change that file can carry, with `owner` resolved the way the plan resolves it
//! (SPEC §5): the resource's owner, or for access and plan changes on a partner the owners of
//! the products concerned. GitHub reads CODEOWNERS from the base branch and uses the last
//! matching line, so folder lines (`/partners/`) come first and cover files a pull request
//! adds; file lines follow. Teams without a `github` handle cannot be named and are left out
//! (the `approval-teams-on-github` policy warns about them). Paths are relative to the program
//! repository root. See docs/policies.md for what "the plan and CODEOWNERS agree" means.

use crate::encode::codeowners::{owner, pattern};
use crate::model::{Program, Resource};
use crate::output::RenderError;
use crate::spec::{ChangeClass, Environment, Kind};
use std::collections::{BTreeMap, BTreeSet};

const OWNER: &str = "owner";

/// One CODEOWNERS line: a pattern and its teams, in order (the resource's owner first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub pattern: String,
    pub teams: Vec<String>,
}

/// The owning team of a resource; like the plan, the program's owner stands in.
fn owner_or_program<S>(r: &Resource<S>, program: &Program) -> Option<String> {
    r.owner()
        .or_else(|| program.program.as_ref().and_then(|p| p.owner()))
        .map(str::to_string)
}

/// Named teams and whether `owner` is required, over the rules whose classes meet `classes`;
/// `owner_for(class)` resolves `owner` for one class.
fn teams_for(
    program: &Program,
    classes: &[ChangeClass],
    mut owner_for: impl FnMut(ChangeClass) -> Vec<String>,
) -> BTreeSet<String> {
    let mut teams = BTreeSet::new();
    for rule in program.spec().map(|s| s.approvals.as_slice()).unwrap_or(&[]) {
        for class in rule.on.iter().filter(|c| classes.contains(c)) {
            for team in &rule.require {
                if team == OWNER {
                    teams.extend(owner_for(*class));
                } else {
                    teams.insert(team.clone());
                }
            }
        }
    }
    teams
}

fn with_owner_first(owner: Option<String>, rest: BTreeSet<String>) -> Vec<String> {
    let mut out: Vec<String> = owner.iter().cloned().collect();
    out.extend(rest.into_iter().filter(|t| Some(t) != owner.as_ref()));
    out
}

fn product_owners(program: &Program, pick: impl Fn(&crate::model::Product) -> bool) -> Vec<String> {
    program
        .products
        .values()
        .filter(|p| pick(p))
        .filter_map(|p| owner_or_program(p, program))
        .collect()
}

/// The teams a partner file needs: `owner` is `owners` for changes to the partner itself, the
/// owners of every product offered in an environment for access to it, and the owners of the
/// products in `subscribed` for plan changes and revocations (only existing subscriptions
/// can change plan or be revoked).
fn partner_teams(program: &Program, owners: &BTreeSet<String>, subscribed: &BTreeSet<&str>) -> BTreeSet<String> {
    teams_for(program, &ChangeClass::of_kind(Kind::Partner), |class| match class {
        ChangeClass::SandboxAccess => {
            product_owners(program, |p| p.spec.environments.get(Environment::Sandbox).is_some())
        }
        ChangeClass::ProductionAccess => {
            product_owners(program, |p| p.spec.environments.get(Environment::Production).is_some())
        }
        ChangeClass::PlanChanged | ChangeClass::AccessRevoked => {
            product_owners(program, |p| subscribed.contains(p.name.as_str()))
        }
        _ => owners.iter().cloned().collect(),
    })
}

/// The lines of the file, in the order written.
pub fn lines(program: &Program) -> Vec<Line> {
    let mut lines = Vec::new();
    let program_owner = program.program.as_ref().and_then(|p| p.owner()).map(str::to_string);

    // Fallback for every file the program does not describe (templates, README, ...).
    if let Some(o) = &program_owner {
        lines.push(Line {
            pattern: "*".into(),
            teams: vec![o.clone()],
        });
    }

    // program.yaml and the policies: the program's law, owned by everyone who approves.
    let mut named: BTreeSet<String> = program
        .spec()
        .map(|s| {
            s.approvals
                .iter()
                .flat_map(|r| r.require.iter())
                .filter(|t| *t != OWNER)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    named.extend(teams_for(program, &[ChangeClass::ProgramChanged], |_| {
        program_owner.iter().cloned().collect()
    }));
    let law = with_owner_first(program_owner.clone(), named);
    lines.push(Line {
        pattern: "/program.yaml".into(),
        teams: law.clone(),
    });
    lines.push(Line {
        pattern: "/policies/".into(),
        teams: law,
    });

    // Folder lines: files a pull request adds, which no file line can name yet. Their owner
    // is not known to the base branch: the owners of the kind's existing resources stand in.
    let existing = |owners: Vec<Option<String>>| -> BTreeSet<String> { owners.into_iter().flatten().collect() };
    let partner_owners = existing(
        program
            .partners
            .values()
            .map(|p| owner_or_program(p, program))
            .collect(),
    );
    let product_owner_set = existing(
        program
            .products
            .values()
            .map(|p| owner_or_program(p, program))
            .collect(),
    );
    let terms_owners = existing(program.terms.values().map(|t| owner_or_program(t, program)).collect());
    let new_partner = partner_teams(program, &partner_owners, &BTreeSet::new());
    let new_product = teams_for(program, &ChangeClass::of_kind(Kind::Product), |_| {
        product_owner_set.iter().cloned().collect()
    });
    let new_terms = teams_for(program, &ChangeClass::of_kind(Kind::Terms), |_| {
        terms_owners.iter().cloned().collect()
    });
    for (folder, teams) in [
        ("/partners/", new_partner),
        ("/products/", new_product),
        ("/terms/", new_terms),
    ] {
        lines.push(Line {
            pattern: folder.into(),
            teams: with_owner_first(program_owner.clone(), teams),
        });
    }

    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for product in program.products.values() {
        let owner = owner_or_program(product, program);
        let teams = teams_for(program, &ChangeClass::of_kind(Kind::Product), |_| {
            owner.iter().cloned().collect()
        });
        let teams = with_owner_first(owner, teams);
        // Its description changes what partners may call (SPEC §13): the same reviewers.
        if let Some(api) = &product.spec.openapi {
            let mut all = files.get(&format!("/{api}")).cloned().unwrap_or_default();
            for t in &teams {
                if !all.contains(t) {
                    all.push(t.clone());
                }
            }
            files.insert(format!("/{api}"), all);
        }
        files.insert(format!("/{}", product.file), teams);
    }
    // Files under apis/ that no product names yet (a shared schema file, a new description).
    if program.snapshot.files.keys().any(|f| crate::openapi::is_api_file(f)) {
        lines.push(Line {
            pattern: "/apis/".into(),
            teams: with_owner_first(
                program_owner.clone(),
                teams_for(program, &ChangeClass::of_kind(Kind::Product), |_| {
                    product_owner_set.iter().cloned().collect()
                }),
            ),
        });
    }
    for terms in program.terms.values() {
        let owner = owner_or_program(terms, program);
        let teams = with_owner_first(
            owner.clone(),
            teams_for(program, &ChangeClass::of_kind(Kind::Terms), |_| {
                owner.iter().cloned().collect()
            }),
        );
        files.insert(format!("/{}", terms.file), teams.clone());
        // The texts: their folder when they have one, else the file itself.
        for v in &terms.spec.versions {
            let path = format!("terms/{}", v.file.trim_start_matches("./"));
            let pattern = match path.rfind('/') {
                Some(i) if i > "terms".len() => format!("/{}/", &path[..i]),
                _ => format!("/{path}"),
            };
            files.insert(pattern, teams.clone());
        }
    }
    for partner in program.partners.values() {
        let owner = owner_or_program(partner, program);
        let subscribed: BTreeSet<&str> = partner
            .spec
            .subscriptions
            .iter()
            .map(|s| s.product.0.as_str())
            .collect();
        let teams = partner_teams(program, &owner.iter().cloned().collect(), &subscribed);
        files.insert(format!("/{}", partner.file), with_owner_first(owner, teams));
    }
    lines.extend(files.into_iter().map(|(pattern, teams)| Line { pattern, teams }));
    lines
}

/// Renders the CODEOWNERS file; a path or handle it cannot carry is an error naming it.
pub fn render(program: &Program) -> Result<String, RenderError> {
    let refuse = |why: String| RenderError::Output(format!("codeowners: {why}"));
    let handles: BTreeMap<&str, &str> = program
        .spec()
        .map(|s| {
            s.teams
                .iter()
                .filter_map(|(name, t)| t.github.as_deref().map(|h| (name.0.as_str(), h)))
                .collect()
        })
        .unwrap_or_default();
    for handle in handles.values() {
        owner(handle).map_err(refuse)?;
    }
    let mut out = String::new();
    out.push_str("# Generated by partnerctl from program.yaml (teams, approvals) and each resource's owner.\n");
    out.push_str("# Do not edit: change the program and run `partnerctl apply`.\n");
    out.push_str("# GitHub uses the last matching line: folder lines cover files a pull request adds.\n");
    for line in lines(program) {
        // The fallback `*` is the one glob written, and written here, not from a value.
        let pattern = if line.pattern == "*" {
            "*"
        } else {
            pattern(&line.pattern).map_err(refuse)?
        };
        let mut seen = BTreeSet::new();
        let owners: Vec<&str> = line
            .teams
            .iter()
            .filter_map(|t| handles.get(t.as_str()).copied())
            .filter(|h| seen.insert(*h))
            .collect();
        if owners.is_empty() {
            // An empty line would remove every owner from the files; leave the fallback.
            out.push_str(&format!("# {pattern} has no team with a github handle\n"));
            continue;
        }
        out.push_str(&format!("{pattern} {}\n", owners.join(" ")));
    }
    Ok(out)
}

/// The teams (by name) CODEOWNERS makes owners of a repository path: those of the last
/// matching line, as GitHub reads it.
pub fn owners_of(program: &Program, path: &str) -> Vec<String> {
    let path = format!("/{}", path.trim_start_matches('/'));
    lines(program)
        .into_iter()
        .rev()
        .find(|l| l.pattern == "*" || l.pattern == path || (l.pattern.ends_with('/') && path.starts_with(&l.pattern)))
        .map(|l| l.teams)
        .unwrap_or_default()
}
