//! Deadlines (SPEC §11 `due`): what falls due in the next days, as of `--as-of`.
//!
//! It sits beside `check/` in the pipeline: it reads the resolved model ([`crate::model`])
//! and the same rules the checks and the funnel use (the terms a partner needs,
//! [`crate::visibility::funnel::stage_clock`], exceptions), and returns dated [`Item`]s. How they
//! look is decided in `cli/due.rs`.
//!
//! Six kinds of deadline:
//! - `reaccept`: a partner's newest acceptance of a terms it needs (the program's
//!   `requiredTerms` and its subscribed products' `requiredTerms`) is older than the current
//!   version, and a newer published version has a `reacceptBy` (the earliest one, as
//!   `terms-outdated` judges). The item is dated that `reacceptBy`, the last day it is met.
//! - `effective`: a terms version whose `effective` date is still ahead. Published versions
//!   are done, so a version taking effect is never overdue.
//! - `credential-expiry`: a credential that is not revoked, or revoked later than it expires,
//!   dated its `expires`. The gateway refuses it from that day on, so it is overdue on the day
//!   itself (`daysLeft` 0).
//! - `date-effect`: a credential revoked on a day still ahead (and not expiring before it),
//!   dated its `revoked`: the key works until then and stops with no further commit, when
//!   the next apply renders the gateways (SPEC §16). Listed until the day itself
//!   (`daysLeft` 0); after it, the revocation is done and nothing is open.
//! - `stuck`: a partner in a stage with `stuckAfterDays`, dated the day it entered the stage
//!   plus `stuckAfterDays`: the last day before the funnel counts it as stuck.
//! - `exception-expiry`: an exception of `spec.exceptions`, dated its `until`, the last day
//!   it holds.
//!
//! **Overdue items stay.** A deadline that has passed and is still open — a `reacceptBy`
//! passed without the re-acceptance, an expired credential not revoked, a partner already
//! stuck, an expired exception still listed — is included however long ago it passed, with a
//! negative `daysLeft` and `overdue: true`: a list of what needs doing must not drop what is
//! most late. Closing it (the agreement recorded, `revoked` set, the partner moved on, the
//! exception removed) is what takes it off the list.

use crate::check::Context;
use crate::check::terms_missing::needed_terms;
use crate::model::Program;
use crate::spec::Date;
use crate::visibility::funnel::stage_clock;
use serde::Serialize;

/// `--within` when it is not given.
pub const DEFAULT_WITHIN_DAYS: u32 = 30;

/// The kind of a deadline, in the order items of one day are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    Reaccept,
    Effective,
    CredentialExpiry,
    DateEffect,
    Stuck,
    ExceptionExpiry,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Reaccept => "reaccept",
            ItemKind::Effective => "effective",
            ItemKind::CredentialExpiry => "credential-expiry",
            ItemKind::DateEffect => "date-effect",
            ItemKind::Stuck => "stuck",
            ItemKind::ExceptionExpiry => "exception-expiry",
        }
    }
}

impl std::fmt::Display for ItemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// The day it falls due (see the module docs for what the date of each kind means).
    pub date: Date,
    pub kind: ItemKind,
    /// `partner/<name>`, `terms/<name>`, `product/<name>` or `program`.
    pub resource: String,
    /// The partner it is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    /// What falls due, in one line.
    pub message: String,
    /// Days from `asOf` to `date`; negative when it has passed.
    pub days_left: i64,
    /// Whether the deadline has passed and the item is still open.
    pub overdue: bool,
    /// What to do about it, in one line.
    pub action: String,
    /// Where it is written: the file (relative to the repository) and line.
    pub file: String,
    pub line: usize,
}

/// Every deadline in the window, and every overdue one.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Due {
    pub as_of: Date,
    /// The window, in days after `asOf`.
    pub within: u32,
    /// By date, then kind (in [`ItemKind`] order), then resource, then message.
    pub items: Vec<Item>,
}

impl Due {
    pub fn overdue(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.overdue)
    }
}

/// `None` past the last date chrono knows (a `stuckAfterDays` of millions): no deadline then.
fn add_days(d: Date, days: u32) -> Option<Date> {
    d.0.checked_add_days(chrono::Days::new(u64::from(days))).map(Date)
}

/// The deadlines of `program` within `within` days of `today`, and those overdue.
pub fn compute(program: &Program, today: Date, within: u32) -> Due {
    compute_with(program, today, within, true)
}

/// [`compute`] without each item's line: every item names its file, with line 0. For a
/// rendered page, which shows no lines: placing an item reads its document again, which
/// after [`Program::release_documents`] would parse every partner file anew.
pub fn compute_unplaced(program: &Program, today: Date, within: u32) -> Due {
    compute_with(program, today, within, false)
}

fn compute_with(program: &Program, today: Date, within: u32, place: bool) -> Due {
    let mut items = Vec::new();
    let window = i64::from(within);
    let cx = Context { program, today };
    let (active_exceptions, _) = crate::check::exceptions::judge(program, today);
    // An open deadline that an exception in force covers is still listed, with the exception.
    let excepted = |code: &str, resource: &str| {
        active_exceptions
            .iter()
            .find(|a| a.spec.code == code && a.spec.resource == resource)
            .map(|a| format!(" (excepted until {}: {})", a.spec.until, a.spec.reason))
            .unwrap_or_default()
    };

    for partner in program.partners.values() {
        let resource = format!("partner/{}", partner.name);
        for (name, _) in needed_terms(&cx, partner) {
            let (Some(terms), Some((i, accepted))) = (program.terms.get(&name), partner.accepted(&name, program))
            else {
                continue;
            };
            let (Some(accepted_idx), Some(current)) = (terms.version_index(&accepted.version), terms.current(today))
            else {
                continue;
            };
            let current_idx = terms.version_index(&current.version).unwrap_or(0);
            if accepted_idx >= current_idx {
                continue;
            }
            let Some((v, by)) = terms.spec.versions[accepted_idx + 1..=current_idx]
                .iter()
                .filter_map(|v| v.reaccept_by.map(|by| (v, by)))
                .min_by_key(|(_, by)| *by)
            else {
                continue;
            };
            let days_left = today.days_until(by);
            if days_left > window {
                continue;
            }
            let at = partner.at_if(place, &format!("/spec/agreements/{i}/version"));
            items.push(Item {
                date: by,
                kind: ItemKind::Reaccept,
                resource: resource.clone(),
                partner: Some(partner.name.clone()),
                message: format!(
                    "{} must re-accept {name} by {by}: it accepted \"{}\", version \"{}\" needs re-acceptance{}",
                    partner.name,
                    accepted.version,
                    v.version,
                    excepted("terms-outdated", &resource)
                ),
                days_left,
                overdue: days_left < 0,
                action: format!(
                    "record the partner's acceptance of {name} \"{}\" under spec.agreements",
                    current.version
                ),
                file: at.file,
                line: at.line,
            });
        }

        for (i, c) in partner.spec.credentials.iter().enumerate() {
            // A revocation before any expiry is the day the key stops: ahead, a date effect;
            // passed, done.
            if let Some(revoked) = c.revoked.filter(|r| c.expires.is_none_or(|e| e > *r)) {
                if revoked < today {
                    continue;
                }
                let days_left = today.days_until(revoked);
                if days_left <= window {
                    let at = partner.at_if(place, &format!("/spec/credentials/{i}/revoked"));
                    items.push(Item {
                        date: revoked,
                        kind: ItemKind::DateEffect,
                        resource: resource.clone(),
                        partner: Some(partner.name.clone()),
                        message: format!(
                            "credential {} ({}) of {} is revoked on {revoked}: it stops working that day",
                            c.id.0, c.environment, partner.name
                        ),
                        days_left,
                        overdue: false,
                        action: format!(
                            "make sure {} has moved to another credential by {revoked}; the next apply on or after that day removes the key from the gateways",
                            partner.name
                        ),
                        file: at.file,
                        line: at.line,
                    });
                }
                continue;
            }
            // Expired, then revoked: closed.
            if c.revoked.is_some_and(|r| r <= today) {
                continue;
            }
            // Not revoked, or revoked ahead but expiring first: the expiry is the day it stops.
            let Some(expires) = c.expires else {
                continue;
            };
            let days_left = today.days_until(expires);
            if days_left > window {
                continue;
            }
            let overdue = days_left <= 0;
            let at = partner.at_if(place, &format!("/spec/credentials/{i}/expires"));
            items.push(Item {
                date: expires,
                kind: ItemKind::CredentialExpiry,
                resource: resource.clone(),
                partner: Some(partner.name.clone()),
                message: format!(
                    "credential {} ({}) of {} {} {expires}{}",
                    c.id.0,
                    c.environment,
                    partner.name,
                    if overdue { "expired on" } else { "expires on" },
                    excepted("credential-expired", &resource)
                ),
                days_left,
                overdue,
                action: if overdue {
                    format!(
                        "set `revoked: {expires}` on {}, and issue a new credential if the partner still needs access",
                        c.id.0
                    )
                } else {
                    format!(
                        "issue a new credential before {expires} and revoke {} once the partner has moved",
                        c.id.0
                    )
                },
                file: at.file,
                line: at.line,
            });
        }

        if let Some((since, limit, date)) =
            stage_clock(program, partner).and_then(|(since, limit)| Some((since, limit, add_days(since, limit)?)))
        {
            let days_left = today.days_until(date);
            if days_left <= window {
                let at = partner.at_if(place, "/spec/stage");
                let overdue = days_left < 0;
                let stage = partner.stage();
                items.push(Item {
                    date,
                    kind: ItemKind::Stuck,
                    resource: resource.clone(),
                    partner: Some(partner.name.clone()),
                    message: if overdue {
                        format!(
                            "{} is stuck in `{stage}`: {} days since {since}, more than the {limit} allowed",
                            partner.name,
                            since.days_until(today)
                        )
                    } else {
                        format!(
                            "{} will be stuck in `{stage}` after {date} ({limit} days since {since})",
                            partner.name
                        )
                    },
                    days_left,
                    overdue,
                    action: format!(
                        "help {} to the next stage, or record why it stays in `{stage}`",
                        partner.name
                    ),
                    file: at.file,
                    line: at.line,
                });
            }
        }
    }

    for terms in program.terms.values() {
        for (i, v) in terms.spec.versions.iter().enumerate() {
            let days_left = today.days_until(v.effective);
            if !(0..=window).contains(&days_left) {
                continue;
            }
            let reaccept = v
                .reaccept_by
                .map(|by| format!("; partners who accepted an older version must re-accept it by {by}"))
                .unwrap_or_default();
            let at = terms.at_if(place, &format!("/spec/versions/{i}/effective"));
            items.push(Item {
                date: v.effective,
                kind: ItemKind::Effective,
                resource: format!("terms/{}", terms.name),
                partner: None,
                message: format!(
                    "{} \"{}\" takes effect on {}{reaccept}",
                    terms.name, v.version, v.effective
                ),
                days_left,
                overdue: false,
                action: format!(
                    "tell the partners of {} \"{}\"; its text and dates cannot change once it is in effect",
                    terms.name, v.version
                ),
                file: at.file,
                line: at.line,
            });
        }
    }

    if let Some(res) = program.program.as_ref() {
        for (i, e) in res.spec.exceptions.iter().enumerate() {
            let days_left = today.days_until(e.until);
            if days_left > window {
                continue;
            }
            let overdue = days_left < 0;
            let at = res.at(&format!("/spec/exceptions/{i}/until"));
            let partner = e.resource.strip_prefix("partner/").map(str::to_string);
            items.push(Item {
                date: e.until,
                kind: ItemKind::ExceptionExpiry,
                resource: e.resource.clone(),
                partner,
                message: format!(
                    "the exception for {} on {} {} {} ({})",
                    e.code,
                    e.resource,
                    if overdue { "expired on" } else { "ends on" },
                    e.until,
                    e.reason
                ),
                days_left,
                overdue,
                action: if overdue {
                    "fix what it excepted and remove it, or renew it in a reviewed change".to_string()
                } else {
                    format!(
                        "fix what it excepts before {}, or renew it in a reviewed change",
                        e.until
                    )
                },
                file: at.file,
                line: at.line,
            });
        }
    }

    items.sort_by(|a, b| (a.date, a.kind, &a.resource, &a.message).cmp(&(b.date, b.kind, &b.resource, &b.message)));
    Due {
        as_of: today,
        within,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Entry, Snapshot};

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn program() -> Program {
        let mut snap = Snapshot::default();
        let files = [
            (
                "program.yaml",
                "apiVersion: partnerctl/v1\nkind: Program\nmetadata: {name: p}\nspec:\n  displayName: P\n  teams: {legal: {}}\n  requiredTerms: [tos]\n  stages:\n    registered: {stuckAfterDays: 10}\n  exceptions:\n    - {code: terms-outdated, resource: partner/b, until: 2026-06-20, reason: LEG-1}\n",
            ),
            (
                "terms/tos.yaml",
                "apiVersion: partnerctl/v1\nkind: Terms\nmetadata: {name: tos, owner: legal}\nspec:\n  title: T\n  type: service\n  versions:\n    - {version: \"1\", effective: 2026-01-01, file: tos/1.md}\n    - {version: \"2\", effective: 2026-06-01, file: tos/2.md, reacceptBy: 2026-06-30}\n",
            ),
            ("terms/tos/1.md", "one\n"),
            ("terms/tos/2.md", "two\n"),
            (
                "partners/a.yaml",
                "apiVersion: partnerctl/v1\nkind: Partner\nmetadata: {name: a, owner: legal}\nspec:\n  displayName: A\n  legalName: A\n  stage: registered\n  history: [{stage: registered, date: 2026-06-01}]\n",
            ),
            (
                "partners/b.yaml",
                "apiVersion: partnerctl/v1\nkind: Partner\nmetadata: {name: b, owner: legal}\nspec:\n  displayName: B\n  legalName: B\n  stage: terms_accepted\n  history: [{stage: registered, date: 2026-01-01}, {stage: terms_accepted, date: 2026-01-02}]\n  agreements: [{terms: tos, version: \"1\", acceptedOn: 2026-01-02, signedBy: X}]\n",
            ),
        ];
        for (p, t) in files {
            snap.insert(p, Entry::Bytes(t.as_bytes().into()));
        }
        let loaded = crate::model::load(snap);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        loaded.program
    }

    fn summary(d: &Due) -> Vec<(String, ItemKind, &str, i64, bool)> {
        d.items
            .iter()
            .map(|i| (i.date.to_string(), i.kind, i.resource.as_str(), i.days_left, i.overdue))
            .collect()
    }

    #[test]
    fn upcoming_deadlines_by_date() {
        let d = compute(&program(), day("2026-05-25"), 30);
        // Version 2 is not current yet: b has nothing to re-accept, but it takes effect.
        assert_eq!(
            summary(&d),
            vec![
                ("2026-06-01".into(), ItemKind::Effective, "terms/tos", 7, false),
                ("2026-06-11".into(), ItemKind::Stuck, "partner/a", 17, false),
                ("2026-06-20".into(), ItemKind::ExceptionExpiry, "partner/b", 26, false),
            ]
        );
        assert_eq!(d.items[2].partner.as_deref(), Some("b"));
        assert_eq!(d.items[0].partner, None);
    }

    #[test]
    fn overdue_items_stay_with_negative_days() {
        let d = compute(&program(), day("2026-07-02"), 0);
        assert_eq!(
            summary(&d),
            vec![
                ("2026-06-11".into(), ItemKind::Stuck, "partner/a", -21, true),
                ("2026-06-20".into(), ItemKind::ExceptionExpiry, "partner/b", -12, true),
                ("2026-06-30".into(), ItemKind::Reaccept, "partner/b", -2, true),
            ]
        );
        assert_eq!(d.items[2].line, 9);
    }

    #[test]
    fn a_stage_limit_past_the_calendar_is_no_deadline() {
        let mut p = program();
        if let Some(res) = p.program.as_mut() {
            std::sync::Arc::make_mut(&mut res.spec).stages.registered = Some(crate::spec::StageSettings {
                stuck_after_days: u32::MAX,
            });
        }
        let d = compute(&p, day("2026-07-02"), u32::MAX);
        assert!(!d.items.iter().any(|i| i.kind == ItemKind::Stuck), "{:?}", d.items);
    }

    #[test]
    fn an_exception_in_force_is_named_on_the_deadline_it_covers() {
        let d = compute(&program(), day("2026-06-15"), 30);
        let r = d.items.iter().find(|i| i.kind == ItemKind::Reaccept).unwrap();
        assert!(r.message.contains("excepted until 2026-06-20: LEG-1"), "{}", r.message);
        assert!(!r.overdue);
    }
}
