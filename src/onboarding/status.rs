//! Where a partner stands (SPEC §15.6): its stage and since when, its next step and what
//! blocks it (terms to accept or re-accept, a subscription to ask for, the approvals the
//! program's rules require for the change that takes it there, a credential to issue), its
//! credentials with their expiry, its deadlines, and with usage logs its last call.
//!
//! It reads the resolved model and the rules the checks, `due` and the plan use
//! ([`crate::visibility::due`], [`crate::approvals::rules`]); how it looks is decided in
//! `cli/status.rs`.

use crate::approvals::rules::Rules;
use crate::check::Context;
use crate::check::terms_missing::needed_terms;
use crate::model::{Partner, Program, Terms};
use crate::plan::classes::Hit;
use crate::spec::{ChangeClass, Date, Environment, Kind, Stage};
use crate::visibility::due::{self, Item};
use crate::visibility::usage::Usage;
use serde::Serialize;
use std::collections::BTreeMap;

/// `status --format json`: exactly these keys.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub partner: String,
    pub stage: Stage,
    /// The day the partner entered its stage (its last history entry).
    pub since: Option<Date>,
    /// The next step; `null` for `live` and `offboarded`. For `suspended`, the stage
    /// `reinstate` returns to.
    pub next: Option<Next>,
    pub credentials: Vec<CredentialState>,
    /// The partner's deadlines in the `due` window, and those overdue (`partnerctl due`).
    pub due: Vec<Item>,
    /// The last call the usage logs show (RFC 3339), with `--usage`; `null` without.
    pub last_call: Option<String>,
}

/// The next stage and what stands between the partner and it.
#[derive(Clone, Debug, Serialize)]
pub struct Next {
    pub stage: Stage,
    pub needs: Vec<Need>,
}

/// One thing the next step needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Need {
    /// `accept-terms`, `reaccept-terms`, `subscription`, `credential` or `approval`.
    pub kind: NeedKind,
    /// In one line, for people.
    pub message: String,
    /// The request that asks for it (`accept-terms`, `request-sandbox`, …), when a partner can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<&'static str>,
    /// For terms: the terms, the version to accept, its text's SHA-256 and where to read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// For an approval: the teams, each with its GitHub handle when the program gives one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<Team>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NeedKind {
    AcceptTerms,
    ReacceptTerms,
    Subscription,
    Credential,
    Approval,
}

impl NeedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NeedKind::AcceptTerms => "accept-terms",
            NeedKind::ReacceptTerms => "reaccept-terms",
            NeedKind::Subscription => "subscription",
            NeedKind::Credential => "credential",
            NeedKind::Approval => "approval",
        }
    }
}

/// A team whose approval a step needs, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Team {
    pub team: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// The classes of change that bring the team in.
    pub classes: Vec<ChangeClass>,
}

/// A credential and when it stops working.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialState {
    pub id: String,
    pub environment: Environment,
    pub created: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Date>,
    /// Whether it works today.
    pub live: bool,
    /// Days until it expires (negative once expired); absent without `expires`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
}

/// Where `partner` stands on `today`; `None` when the program has no such partner.
pub fn status(program: &Program, name: &str, today: Date, usage: Option<&Usage>) -> Option<Status> {
    let p = program.partners.get(name)?;
    let stage = p.stage();
    let next = next_stage(p).map(|to| Next {
        stage: to,
        needs: needs(program, p, to, today),
    });
    let credentials = p
        .spec
        .credentials
        .iter()
        .map(|c| CredentialState {
            id: c.id.0.clone(),
            environment: c.environment,
            created: c.created,
            expires: c.expires,
            revoked: c.revoked,
            live: c.is_live(today),
            days_left: c.expires.map(|e| today.days_until(e)),
        })
        .collect();
    let due = due::compute(program, today, due::DEFAULT_WITHIN_DAYS)
        .items
        .into_iter()
        .filter(|i| i.partner.as_deref() == Some(name))
        .collect();
    let last_call = usage.and_then(|u| {
        u.attribute(program, &BTreeMap::new())
            .by_partner
            .get(name)
            .map(|s| s.last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    });
    Some(Status {
        partner: name.to_string(),
        stage,
        since: p.stage_since(),
        next,
        credentials,
        due,
        last_call,
    })
}

/// The stage the partner's next step takes it to: the next on the path, or for a suspended
/// partner the stage before the suspension; none from `live` or `offboarded`.
pub fn next_stage(p: &Partner) -> Option<Stage> {
    match p.stage() {
        Stage::Live | Stage::Offboarded => None,
        Stage::Suspended => p
            .spec
            .history
            .iter()
            .rev()
            .map(|h| h.stage)
            .find(|s| !s.is_exit())
            .or(Some(Stage::Registered)),
        s => s.next(),
    }
}

fn terms_need(program: &Program, kind: NeedKind, terms: &str, today: Date, why: &str) -> Option<Need> {
    let t = program.terms.get(terms)?;
    let current = t.current(today)?;
    let sha = Terms::text_sha256(current, program);
    let message = match kind {
        NeedKind::ReacceptTerms => format!(
            "re-accept {} \"{}\" ({terms}), the version in effect{why}",
            t.spec.title, current.version
        ),
        _ => format!("accept {} \"{}\" ({terms}){why}", t.spec.title, current.version),
    };
    Some(Need {
        kind,
        message,
        request: Some("accept-terms"),
        terms: Some(terms.to_string()),
        version: Some(current.version.clone()),
        text_sha256: sha,
        link: super::forms::terms_link(program, terms, current),
        teams: Vec::new(),
    })
}

/// What stands between the partner and `to`.
fn needs(program: &Program, p: &Partner, to: Stage, today: Date) -> Vec<Need> {
    let mut out = Vec::new();
    let cx = Context { program, today };
    // Terms: those the next stage needs and are not accepted, then those accepted in a
    // version older than the one in effect.
    let mut required: Vec<(String, String)> = match to {
        Stage::Registered => Vec::new(),
        _ => program
            .required_terms()
            .iter()
            .map(|t| (t.0.clone(), " (the program requires it of every partner)".to_string()))
            .collect(),
    };
    for (t, need) in needed_terms(&cx, p) {
        if let crate::check::terms_missing::Need::Product { product, .. } = need
            && !required.iter().any(|(n, _)| *n == t)
        {
            required.push((t, format!(" ({product} requires it)")));
        }
    }
    for (t, why) in &required {
        match p.accepted(t, program) {
            None => out.extend(terms_need(program, NeedKind::AcceptTerms, t, today, why)),
            Some((_, a)) => {
                let current = program.terms.get(t).and_then(|x| x.current(today));
                if current.is_some_and(|c| c.version != a.version)
                    && let Some(terms) = program.terms.get(t)
                    && terms.version_index(&a.version) < current.and_then(|c| terms.version_index(&c.version))
                {
                    out.extend(terms_need(program, NeedKind::ReacceptTerms, t, today, why));
                }
            }
        }
    }
    let env_products = |env: Environment| -> Vec<String> {
        p.spec
            .subscriptions
            .iter()
            .filter(|s| s.environment == env)
            .map(|s| s.product.0.clone())
            .collect()
    };
    let mut hits = vec![Hit {
        class: ChangeClass::StageChanged,
        products: Vec::new(),
    }];
    let from = p.stage();
    match to {
        Stage::Sandbox if from != Stage::Suspended => {
            out.push(Need {
                kind: NeedKind::Subscription,
                message: "ask for sandbox access to at least one product and plan".into(),
                request: Some("request-sandbox"),
                ..blank()
            });
            hits.push(Hit {
                class: ChangeClass::SandboxAccess,
                products: Vec::new(),
            });
        }
        Stage::ProductionRequested if from != Stage::Suspended => {
            out.push(Need {
                kind: NeedKind::Subscription,
                message: "ask for production access to the products and plans to go live with".into(),
                request: Some("request-production"),
                ..blank()
            });
            hits.push(Hit {
                class: ChangeClass::ProductionAccess,
                products: env_products(Environment::Sandbox),
            });
        }
        Stage::Live => {
            let products = env_products(Environment::Production);
            if products.is_empty() && from != Stage::Suspended {
                out.push(Need {
                    kind: NeedKind::Subscription,
                    message: "ask for production access to at least one product and plan".into(),
                    request: Some("request-production"),
                    ..blank()
                });
            }
            if !p
                .spec
                .credentials
                .iter()
                .any(|c| c.environment == Environment::Production && c.is_live(today))
            {
                out.push(Need {
                    kind: NeedKind::Credential,
                    message: "a production credential, issued once the partner is live (`partnerctl credential issue … --env production`)".into(),
                    ..blank()
                });
                hits.push(Hit {
                    class: ChangeClass::CredentialIssued,
                    products: Vec::new(),
                });
            }
            hits.push(Hit {
                class: ChangeClass::ProductionAccess,
                products,
            });
        }
        _ => {}
    }
    if from == Stage::Suspended {
        let envs: Vec<Environment> = Environment::ALL
            .into_iter()
            .filter(|e| p.spec.subscriptions.iter().any(|s| s.environment == *e))
            .filter(|e| to.allows(*e))
            .filter(|e| {
                !p.spec
                    .credentials
                    .iter()
                    .any(|c| c.environment == *e && c.is_live(today))
            })
            .collect();
        for env in envs {
            out.push(Need {
                kind: NeedKind::Credential,
                message: format!("a new {env} credential once reinstated: every key was revoked at the suspension"),
                ..blank()
            });
            hits.push(Hit {
                class: ChangeClass::CredentialIssued,
                products: Vec::new(),
            });
        }
    }
    let teams = approvals(program, p, &hits);
    let message = teams
        .iter()
        .map(|t| {
            format!(
                "{} ({})",
                t.team,
                t.classes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    if !teams.is_empty() {
        out.push(Need {
            kind: NeedKind::Approval,
            message,
            teams,
            ..blank()
        });
    }
    out
}

fn blank() -> Need {
    Need {
        kind: NeedKind::Approval,
        message: String::new(),
        request: None,
        terms: None,
        version: None,
        text_sha256: None,
        link: None,
        teams: Vec::new(),
    }
}

/// The teams the program's approval rules require for changes of these classes to the
/// partner, `owner` resolved as the plan resolves it.
fn approvals(program: &Program, p: &Partner, hits: &[Hit]) -> Vec<Team> {
    let rules = Rules::from_programs(program, program);
    rules
        .resolve_by_team(hits, Kind::Partner, &p.name, program, program)
        .teams
        .into_iter()
        .map(|(team, classes)| Team {
            handle: program
                .spec()
                .and_then(|s| s.teams.iter().find(|(k, _)| k.0 == team))
                .and_then(|(_, t)| t.github.clone()),
            team,
            classes: classes.into_iter().collect(),
        })
        .collect()
}
