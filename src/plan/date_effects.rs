//! Date effects (SPEC §16): what a day passing changes in a program that no commit touched.
//!
//! A program holds dates that change what the gateways and the portal must say on their own:
//! a credential stops working on its `revoked` or `expires` date, a terms version is current
//! from its `effective` date, an acceptance is outdated from the day after a newer version's
//! `reacceptBy`, and a partner counts as stuck once its stage's `stuckAfterDays` have passed
//! (the funnel report lists it). `plan` renders the applied side as of the day it was applied
//! and the desired side as of today; [`between`] names each such event in between, so that
//! the plan can say what changed the outputs and count it as a change (class `date-effect`).
//!
//! An event is a date effect only when both sides hold it alike (the same credential with the
//! same dates, the same terms version with the same `effective`): an event that the change
//! itself writes, moves or removes is that change's, classed with it (a `revoked` date set
//! today is `credential-revoked`, never also a date effect). Nothing here depends on anything
//! but the program and the two days, so a plan made twice says the same.

use crate::check::Context;
use crate::check::terms_missing::needed_terms;
use crate::model::Program;
use crate::spec::Date;
use crate::visibility::funnel::stage_clock;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// What kind of date arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateEffectKind {
    /// A credential's `revoked` date: it stops working that day.
    CredentialRevoked,
    /// A credential's `expires` date (before any `revoked`): it stops working that day.
    CredentialExpired,
    /// A terms version's `effective` date: it is the current version from that day.
    TermsEffective,
    /// The day after a newer version's `reacceptBy`: a partner's acceptance is outdated
    /// (`terms-outdated` is an error from then on).
    AcceptanceOutdated,
    /// The day a partner has been longer in its stage than `stuckAfterDays` allows.
    Stuck,
}

/// One date that took effect between the applied day and today.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DateEffect {
    /// The day it takes effect.
    pub date: Date,
    #[serde(rename = "type")]
    pub kind: DateEffectKind,
    /// `partner/<name>` or `terms/<name>`.
    pub resource: String,
    /// What took effect, in one line: `credential globex-sbx-1 revoked on 2027-02-20 takes effect`.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The events both programs hold alike whose day is after `from` and on or before `to`,
/// sorted by resource, then day. Empty when `to` is not after `from`.
pub fn between(base: &Program, desired: &Program, from: Date, to: Date) -> Vec<DateEffect> {
    if to <= from {
        return Vec::new();
    }
    let before: HashSet<DateEffect> = events(base, from, to).into_iter().collect();
    let mut out: Vec<DateEffect> = events(desired, from, to)
        .into_iter()
        .filter(|e| before.contains(e))
        .collect();
    out.sort_by(|a, b| (&a.resource, a.date, a.kind, &a.message).cmp(&(&b.resource, b.date, b.kind, &b.message)));
    out
}

/// Every event of one program in `(from, to]`.
pub fn events(program: &Program, from: Date, to: Date) -> Vec<DateEffect> {
    let within = |d: Date| from < d && d <= to;
    let mut out = Vec::new();
    let cx = Context { program, today: to };
    for p in program.partners.values() {
        let resource = format!("partner/{}", p.name);
        for c in &p.spec.credentials {
            // The day it stops working: its revocation or its expiry, whichever comes first.
            let stop = match (c.revoked, c.expires) {
                (Some(r), Some(e)) if e < r => Some((e, DateEffectKind::CredentialExpired)),
                (Some(r), _) => Some((r, DateEffectKind::CredentialRevoked)),
                (None, Some(e)) => Some((e, DateEffectKind::CredentialExpired)),
                (None, None) => None,
            };
            let Some((date, kind)) = stop.filter(|(d, _)| within(*d)) else {
                continue;
            };
            let how = if kind == DateEffectKind::CredentialRevoked {
                "revoked"
            } else {
                "expired"
            };
            out.push(DateEffect {
                date,
                kind,
                resource: resource.clone(),
                message: format!("credential {} {how} on {date} takes effect", c.id.0),
                partner: Some(p.name.clone()),
                credential: Some(c.id.0.clone()),
                terms: None,
                version: None,
            });
        }
        for (name, _) in needed_terms(&cx, p) {
            let (Some(terms), Some((_, accepted))) = (program.terms.get(&name), p.accepted(&name, program)) else {
                continue;
            };
            let Some(accepted_idx) = terms.version_index(&accepted.version) else {
                continue;
            };
            // `terms-outdated` is an error on a day when a newer version is in effect and its
            // `reacceptBy` has passed: the first such day.
            let Some((date, v)) = terms.spec.versions[accepted_idx + 1..]
                .iter()
                .filter_map(|v| {
                    let after = v.reaccept_by?.0.succ_opt().map(Date)?;
                    Some((after.max(v.effective), v))
                })
                .min_by_key(|(d, _)| *d)
            else {
                continue;
            };
            if !within(date) {
                continue;
            }
            out.push(DateEffect {
                date,
                kind: DateEffectKind::AcceptanceOutdated,
                resource: resource.clone(),
                message: format!(
                    "{}'s acceptance of {name} \"{}\" is outdated from {date} (version \"{}\" had to be re-accepted by {})",
                    p.name,
                    accepted.version,
                    v.version,
                    v.reaccept_by.map(|d| d.to_string()).unwrap_or_default()
                ),
                partner: Some(p.name.clone()),
                credential: None,
                terms: Some(name.clone()),
                version: Some(v.version.clone()),
            });
        }
        if let Some((since, limit)) = stage_clock(program, p) {
            let date = since
                .0
                .checked_add_days(chrono::Days::new(u64::from(limit) + 1))
                .map(Date);
            if let Some(date) = date.filter(|d| within(*d)) {
                out.push(DateEffect {
                    date,
                    kind: DateEffectKind::Stuck,
                    resource: resource.clone(),
                    message: format!(
                        "{} is stuck in `{}` from {date} (more than {limit} days since {since})",
                        p.name,
                        p.stage()
                    ),
                    partner: Some(p.name.clone()),
                    credential: None,
                    terms: None,
                    version: None,
                });
            }
        }
    }
    for t in program.terms.values() {
        for v in t.spec.versions.iter().filter(|v| within(v.effective)) {
            out.push(DateEffect {
                date: v.effective,
                kind: DateEffectKind::TermsEffective,
                resource: format!("terms/{}", t.name),
                message: format!("terms {} {} takes effect on {}", t.name, v.version, v.effective),
                partner: None,
                credential: None,
                terms: Some(t.name.clone()),
                version: Some(v.version.clone()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Entry, Snapshot};

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn northwind() -> Snapshot {
        Snapshot::from_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind")).unwrap()
    }

    fn edit(s: &mut Snapshot, path: &str, from: &str, to: &str) {
        let t = s.text(path).unwrap().to_string();
        assert!(t.contains(from), "{path} lacks {from:?}");
        s.insert(path, Entry::Bytes(t.replacen(from, to, 1).into_bytes().into()));
    }

    fn messages(e: &[DateEffect]) -> Vec<&str> {
        e.iter().map(|e| e.message.as_str()).collect()
    }

    #[test]
    fn each_kind_of_date_is_named_on_its_day_and_only_then() {
        let p = crate::model::load(northwind()).program;
        // lumen-prd-1 expires on 2026-12-01; nothing else of northwind falls on that day.
        let e = between(&p, &p, day("2026-11-30"), day("2026-12-01"));
        assert_eq!(
            messages(&e),
            ["credential lumen-prd-1 expired on 2026-12-01 takes effect"]
        );
        assert_eq!(e[0].resource, "partner/lumen-parcel");
        assert!(between(&p, &p, day("2026-12-01"), day("2026-12-01")).is_empty());
        assert!(between(&p, &p, day("2026-12-01"), day("2026-11-01")).is_empty());
        // A revocation before the expiry is the day the key stops; the expiry after it is none.
        let e = between(&p, &p, day("2026-10-01"), day("2026-10-20"));
        let m = messages(&e);
        assert!(
            m.contains(&"credential rhine-sbx-2 revoked on 2026-10-12 takes effect"),
            "{m:?}"
        );
        assert!(!m.iter().any(|m| m.contains("expired on 2026-10-13")), "{m:?}");
    }

    #[test]
    fn a_date_the_change_writes_or_moves_is_the_changes_not_an_effect() {
        let base = northwind();
        let mut desired = base.clone();
        edit(
            &mut desired,
            "partners/emea/lumen-parcel.yaml",
            "expires: 2026-12-01",
            "expires: 2026-11-25",
        );
        edit(
            &mut desired,
            "terms/partner-tos.yaml",
            "reacceptBy: 2026-06-01}\n",
            "reacceptBy: 2026-06-01}\n    - {version: \"3.0\", effective: 2026-11-20, file: partner-tos/3.0.md}\n",
        );
        desired.insert("terms/partner-tos/3.0.md", Entry::Bytes(b"three\n".as_slice().into()));
        let (b, d) = (crate::model::load(base).program, crate::model::load(desired).program);
        let e = between(&b, &d, day("2026-11-01"), day("2026-12-05"));
        assert!(
            !e.iter()
                .any(|e| e.credential.as_deref() == Some("lumen-prd-1") || e.version.as_deref() == Some("3.0")),
            "{:?}",
            messages(&e)
        );
        // Alike on both sides, the same dates are effects.
        let e = between(&d, &d, day("2026-11-01"), day("2026-12-05"));
        let m = messages(&e);
        assert!(
            m.contains(&"credential lumen-prd-1 expired on 2026-11-25 takes effect"),
            "{m:?}"
        );
        assert!(m.contains(&"terms partner-tos 3.0 takes effect on 2026-11-20"), "{m:?}");
    }

    #[test]
    fn an_acceptance_is_outdated_the_day_after_reaccept_by_of_a_version_in_effect() {
        let mut s = northwind();
        edit(
            &mut s,
            "terms/partner-tos.yaml",
            "reacceptBy: 2026-06-01}\n",
            "reacceptBy: 2026-06-01}\n    - {version: \"3.0\", effective: 2026-12-01, file: partner-tos/3.0.md, reacceptBy: 2026-11-20}\n",
        );
        s.insert("terms/partner-tos/3.0.md", Entry::Bytes(b"three\n".as_slice().into()));
        let p = crate::model::load(s).program;
        // reacceptBy before effective: outdated from the day it takes effect.
        let e = between(&p, &p, day("2026-11-30"), day("2026-12-01"));
        let outdated: Vec<&DateEffect> = e
            .iter()
            .filter(|e| e.kind == DateEffectKind::AcceptanceOutdated)
            .collect();
        assert!(!outdated.is_empty(), "{:?}", messages(&e));
        assert!(
            outdated[0].message.contains("is outdated from 2026-12-01"),
            "{}",
            outdated[0].message
        );
        assert!(e.iter().any(|e| e.kind == DateEffectKind::TermsEffective));
    }
}
