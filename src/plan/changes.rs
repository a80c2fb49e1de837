//! The resource changes between two programs: which resources were added, removed or
//! changed, field by field, with the classes and effects of each.

use super::classes::{self, Assessment, Effect};
use super::date_effects::DateEffect;
use super::fields::{self, FieldChange};
use super::report::*;
use crate::model::{self, Program};
use crate::spec::{ChangeClass, Date, Kind};
use std::collections::{BTreeMap, BTreeSet};

/// One [`Change`] per resource that differs, in order: program, products, terms, partners.
pub fn changes(base: &Program, desired: &Program, today: Date) -> Vec<Change> {
    let rules = crate::approvals::rules::Rules::from_programs(base, desired);
    let mut out = Vec::new();

    let (bp, dp) = (base.program.as_ref(), desired.program.as_ref());
    // The program's own rules live in program.yaml and in the files of policies/ and
    // templates/: a change to any of them is the program's change (SPEC §16).
    let files = program_files(base, desired);
    if !same_document(bp, dp) || !files.is_empty() {
        let exceptions = |r: Option<&model::ProgramRes>| r.map(|r| r.spec.exceptions.clone()).unwrap_or_default();
        let a = classes::program(
            (bp.is_some(), dp.is_some()),
            !same_document(bp, dp),
            &files,
            &exceptions(bp),
            &exceptions(dp),
        );
        let extra: Vec<FieldChange> = files.iter().map(|f| f.field()).collect();
        out.push(build(
            Kind::Program,
            "program",
            bp,
            dp,
            a,
            &rules,
            base,
            desired,
            &extra,
        ));
    }

    for (name, b, d) in pairs(&base.products, &desired.products) {
        let api = |p: &'_ Program, r: Option<&model::Product>| {
            r.and_then(|r| r.spec.openapi.as_ref())
                .and_then(|f| p.apis.get(f))
                .cloned()
        };
        let (ba, da) = (api(base, b), api(desired, d));
        if same_document(b, d) && ba.as_ref().map(|a| &a.doc) == da.as_ref().map(|a| &a.doc) {
            continue;
        }
        let a = classes::product(b, d, desired, (ba.as_deref(), da.as_deref()));
        out.push(build(Kind::Product, name, b, d, a, &rules, base, desired, &[]));
    }

    for (name, b, d) in pairs(&base.terms, &desired.terms) {
        let texts = |p: &Program, t: Option<&model::Terms>| -> Vec<(String, Option<Vec<u8>>)> {
            t.map(|t| {
                t.spec
                    .versions
                    .iter()
                    .map(|v| {
                        (
                            v.version.clone(),
                            p.snapshot
                                .bytes(&model::Terms::text_path(v))
                                .map(std::borrow::Cow::into_owned),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
        };
        let (bt, dt) = (texts(base, b), texts(desired, d));
        if same_document(b, d) && bt == dt {
            continue;
        }
        // Text changes of versions on both sides show as a diff under `versions/<v>/text`.
        let mut extra = Vec::new();
        for (version, after) in &dt {
            let Some((_, before)) = bt.iter().find(|(v, _)| v == version) else {
                continue;
            };
            if before != after {
                let s = |b: &Option<Vec<u8>>| {
                    b.as_deref()
                        .map(String::from_utf8_lossy)
                        .unwrap_or_default()
                        .into_owned()
                };
                let label = d
                    .and_then(|t| t.version(version))
                    .map(model::Terms::text_path)
                    .unwrap_or_default();
                extra.push(FieldChange {
                    address: format!("terms/{name}/versions/{version}/text"),
                    op: fields::Op::Change,
                    before: None,
                    after: None,
                    diff: Some(fields::text_diff(&label, &s(before), &s(after))),
                });
            }
        }
        // A new version's text is shown as a redline against the version before it (the
        // text its partners accepted), for the reviewers who sign it off; the first version
        // of a terms is shown whole.
        for (i, (version, after)) in dt.iter().enumerate() {
            if bt.iter().any(|(v, _)| v == version)
                || b.is_none() && dt.len() > 1 && Some(version) != dt.last().map(|x| &x.0)
            {
                continue;
            }
            let Some(after) = after else { continue };
            let path = |v: &str| d.and_then(|t| t.version(v)).map(model::Terms::text_path);
            let label = path(version).unwrap_or_default();
            let after = String::from_utf8_lossy(after);
            let previous = i
                .checked_sub(1)
                .and_then(|p| dt.get(p))
                .and_then(|(v, text)| Some((path(v)?, text.as_deref()?)));
            let diff = match previous {
                Some((old, before)) => fields::text_diff_of(
                    &format!("a/{old}"),
                    &format!("b/{label}"),
                    &String::from_utf8_lossy(before),
                    &after,
                ),
                None => fields::text_diff(&label, "", &after),
            };
            extra.push(FieldChange {
                address: format!("terms/{name}/versions/{version}/text"),
                op: fields::Op::Add,
                before: None,
                after: None,
                diff: Some(diff),
            });
        }
        let a = classes::terms(b, d, base, desired);
        out.push(build(Kind::Terms, name, b, d, a, &rules, base, desired, &extra));
    }

    for (name, b, d) in pairs(&base.partners, &desired.partners) {
        if same_document(b, d) {
            continue;
        }
        let a = classes::partner(b, d, today);
        out.push(build(Kind::Partner, name, b, d, a, &rules, base, desired, &[]));
    }
    out
}

/// The folders whose files are the program's own rules besides program.yaml.
pub const RULE_FOLDERS: &[&str] = &["policies/", "templates/"];

/// Every file of [`RULE_FOLDERS`] added, removed or changed, in path order.
fn program_files(base: &Program, desired: &Program) -> Vec<fields::ProgramFile> {
    let text = |p: &Program, path: &str| -> Option<String> {
        match p.snapshot.files.get(path)? {
            crate::source::Entry::Bytes(b) => Some(String::from_utf8_lossy(&b.bytes()).into_owned()),
            crate::source::Entry::Refused(why) => Some(format!("(not read: {why})")),
        }
    };
    let mut paths: BTreeSet<&String> = BTreeSet::new();
    for folder in RULE_FOLDERS {
        paths.extend(base.snapshot.under(folder).map(|(p, _)| p));
        paths.extend(desired.snapshot.under(folder).map(|(p, _)| p));
    }
    paths
        .into_iter()
        .filter(|p| base.snapshot.files.get(*p) != desired.snapshot.files.get(*p))
        .map(|p| {
            let (before, after) = (text(base, p), text(desired, p));
            let op = match (&before, &after) {
                (None, _) => fields::Op::Add,
                (_, None) => fields::Op::Remove,
                _ => fields::Op::Change,
            };
            fields::ProgramFile {
                path: p.clone(),
                op,
                before,
                after,
            }
        })
        .collect()
}

/// A changed resource as JSON, in the order its file is written (so that a plan lists fields as
/// the reviewer reads them in the file).
fn as_written<S>(program: &Program, r: Option<&model::Resource<S>>) -> Option<serde_json::Value> {
    let r = r?;
    Some(
        program
            .json_of(&r.file)
            .unwrap_or_else(|| model::raw::to_json(&r.raw())),
    )
}

/// Whether a resource is on both sides, written the same ([`model::Written::same`]), or on
/// neither.
fn same_document<S>(base: Option<&model::Resource<S>>, desired: Option<&model::Resource<S>>) -> bool {
    match (base, desired) {
        (Some(b), Some(d)) => b.same_as(d),
        (None, None) => true,
        _ => false,
    }
}

/// Every name in either map, in order, with its resource on each side: the two maps walked
/// side by side (at 100,000 partners, gathering the names and looking each up on both sides
/// was a serial tenth of a second of every plan).
pub(super) fn pairs<'a, K: Ord, R>(
    base: &'a BTreeMap<K, R>,
    desired: &'a BTreeMap<K, R>,
) -> impl Iterator<Item = (&'a K, Option<&'a R>, Option<&'a R>)> {
    let (mut b, mut d) = (base.iter().peekable(), desired.iter().peekable());
    std::iter::from_fn(move || {
        let order = match (b.peek(), d.peek()) {
            (None, None) => return None,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((bn, _)), Some((dn, _))) => bn.cmp(dn),
        };
        Some(match order {
            std::cmp::Ordering::Less => b.next().map(|(n, r)| (n, Some(r), None))?,
            std::cmp::Ordering::Greater => d.next().map(|(n, r)| (n, None, Some(r)))?,
            std::cmp::Ordering::Equal => {
                let ((n, br), (_, dr)) = (b.next()?, d.next()?);
                (n, Some(br), Some(dr))
            }
        })
    })
}

#[allow(clippy::too_many_arguments)]
fn build<S>(
    kind: Kind,
    name: &str,
    b: Option<&model::Resource<S>>,
    d: Option<&model::Resource<S>>,
    a: Assessment,
    rules: &crate::approvals::rules::Rules,
    base: &Program,
    desired: &Program,
    extra: &[FieldChange],
) -> Change {
    let resource = if kind == Kind::Program {
        "program".to_string()
    } else {
        format!("{}/{name}", kind.lower())
    };
    let action = match (b.is_some(), d.is_some()) {
        (false, _) => Action::Create,
        (true, true) => Action::Update,
        (true, false) => Action::Delete,
    };
    let file = d.or(b).map(|r| r.file.clone()).unwrap_or_default();
    let (bj, dj) = (as_written(base, b), as_written(desired, d));
    let mut fields = fields::diff(kind.lower(), &resource, bj.as_ref(), dj.as_ref());
    fields.extend(extra.iter().cloned());
    let resolved = rules.resolve_by_team(&a.hits, kind, name, base, desired);
    let approvals: Vec<String> = resolved.teams.keys().cloned().collect();
    let approval_classes: BTreeMap<String, Vec<ChangeClass>> = resolved
        .teams
        .into_iter()
        .map(|(t, c)| (t, c.into_iter().collect()))
        .collect();
    let classes = a.classes();
    let mut effects = a.effects;
    // Where a team the change names cannot approve it yet, who does in its place.
    effects.extend(resolved.notes.into_iter().map(classes::Effect::approval));
    let mut summary = a.phrases.join("; ");
    if summary.is_empty() {
        summary = match fields.len() {
            1 => format!(
                "{} changed",
                fields[0]
                    .address
                    .strip_prefix(&format!("{resource}/"))
                    .unwrap_or(&fields[0].address)
            ),
            n => format!("{n} fields changed"),
        };
    }
    Change {
        resource,
        action,
        classes,
        summary,
        approvals,
        file,
        fields,
        effects,
        date_effects: Vec::new(),
        approval_classes,
    }
}

/// Adds the date effects to the changes: to a resource's change when it has one, else as a
/// change of its own (an update of class `date-effect`, with no field changed). The changes
/// stay in their order: program, products, terms, partners, each by name.
pub fn add_date_effects(changes: &mut Vec<Change>, effects: Vec<DateEffect>, base: &Program, desired: &Program) {
    if effects.is_empty() {
        return;
    }
    let rules = crate::approvals::rules::Rules::from_programs(base, desired);
    let mut by_resource: BTreeMap<String, Vec<DateEffect>> = BTreeMap::new();
    for e in effects {
        by_resource.entry(e.resource.clone()).or_default().push(e);
    }
    for (resource, effects) in by_resource {
        let (kind, name) = match resource.split_once('/') {
            Some(("partner", n)) => (Kind::Partner, n.to_string()),
            Some(("terms", n)) => (Kind::Terms, n.to_string()),
            _ => continue,
        };
        let words: Vec<&str> = effects.iter().map(|e| e.message.as_str()).collect();
        let words = words.join("; ");
        // The keys that stop working that day, as a change that stops them says.
        let stopped: Vec<String> = effects.iter().filter_map(|e| e.credential.clone()).collect();
        let stop_effect = (!stopped.is_empty()).then(|| Effect {
            kind: "credentials-stop".into(),
            message: format!("credentials that stop working: {} ({name})", stopped.join(", ")),
            partners: vec![name.clone()],
            credentials: stopped,
            by: None,
            endpoint: None,
            called_by: Vec::new(),
        });
        let hit = [classes::Hit {
            class: ChangeClass::DateEffect,
            products: Vec::new(),
        }];
        let resolved = rules.resolve_by_team(&hit, kind, &name, base, desired);
        let notes: Vec<Effect> = resolved.notes.into_iter().map(Effect::approval).collect();
        let by_team = resolved.teams;
        match changes.iter_mut().find(|c| c.resource == resource) {
            Some(c) => {
                if !c.classes.contains(&ChangeClass::DateEffect) {
                    c.classes.push(ChangeClass::DateEffect);
                    c.classes.sort();
                }
                c.summary = format!("{}; {words}", c.summary);
                c.effects.extend(stop_effect);
                c.effects.extend(notes);
                c.date_effects.extend(effects);
                for (team, classes) in by_team {
                    if !c.approvals.contains(&team) {
                        c.approvals.push(team.clone());
                        c.approvals.sort();
                    }
                    let mine = c.approval_classes.entry(team).or_default();
                    for class in classes {
                        if !mine.contains(&class) {
                            mine.push(class);
                        }
                    }
                }
            }
            None => {
                let file = match kind {
                    Kind::Partner => desired.partners.get(&name).map(|r| r.file.clone()),
                    _ => desired.terms.get(&name).map(|r| r.file.clone()),
                };
                changes.push(Change {
                    resource,
                    action: Action::Update,
                    classes: vec![ChangeClass::DateEffect],
                    summary: words,
                    approvals: by_team.keys().cloned().collect(),
                    file: file.unwrap_or_default(),
                    fields: Vec::new(),
                    effects: stop_effect.into_iter().chain(notes).collect(),
                    date_effects: effects,
                    approval_classes: by_team.into_iter().map(|(t, c)| (t, c.into_iter().collect())).collect(),
                });
            }
        }
    }
    let rank = |r: &str| match r.split('/').next() {
        Some("program") => 0,
        Some("product") => 1,
        Some("terms") => 2,
        _ => 3,
    };
    changes.sort_by(|a, b| {
        (rank(&a.resource), a.resource.split_once('/').map(|x| x.1))
            .cmp(&(rank(&b.resource), b.resource.split_once('/').map(|x| x.1)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maps_walked_side_by_side_pair_each_name_as_lookups_do() {
        // Names on one side only (first, last, between) and on both, in every mix of 8 names.
        let side = |code: u32| -> BTreeMap<String, u32> {
            (0..8u32)
                .filter(|i| code & (1 << i) != 0)
                .map(|i| (format!("p{i}"), i * 10 + code % 7))
                .collect()
        };
        for code in 0..256u32 {
            let (base, desired) = (side(code), side(code.wrapping_mul(37) % 256));
            let names: BTreeSet<&String> = base.keys().chain(desired.keys()).collect();
            let looked_up: Vec<_> = names.into_iter().map(|n| (n, base.get(n), desired.get(n))).collect();
            assert_eq!(pairs(&base, &desired).collect::<Vec<_>>(), looked_up, "{code}");
        }
    }
}
