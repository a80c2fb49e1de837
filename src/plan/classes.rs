//! Change classes (SPEC §5) and effects in business terms, per resource.
//!
//! Classes are read from the typed model, not from the field diff, so that "gives production
//! access" means what the SPEC says (a subscription in that environment where the partner had
//! none for that product, or an unrevoked credential where it had none at all). Each class
//! remembers the products it is about, because the `owner` of an access or plan change is the
//! product's owner, not the partner's.

use crate::model::{Partner, Product, Program, Terms};
use crate::spec::{ChangeClass, Date, Environment, Stage};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One class a change has, and the products it concerns (for `owner`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub class: ChangeClass,
    pub products: Vec<String>,
}

/// What a change means beyond its fields: who must re-accept, which credentials stop working,
/// whom a limits change reaches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Effect {
    /// `reaccept`, `credentials-stop`, `access-lost`, `access-gained`, `limits`, `approval`, ….
    /// A `credentials-stop` with `by` names credentials that stop working on that later day.
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Date>,
    /// The endpoint an `endpoint-removed` effect is about (`GET /v1/pets/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// With `plan --usage`: the partners whose calls to that endpoint the logs show within
    /// `activeWithinDays`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub called_by: Vec<String>,
}

impl Effect {
    /// An `approval` effect: who approves in the place of a team the change names but the
    /// base does not know.
    pub fn approval(message: String) -> Effect {
        Effect {
            kind: "approval".into(),
            message,
            partners: Vec::new(),
            credentials: Vec::new(),
            by: None,
            endpoint: None,
            called_by: Vec::new(),
        }
    }
}

/// Classes, the phrases that summarise the change, and its effects.
#[derive(Debug, Default)]
pub struct Assessment {
    pub hits: Vec<Hit>,
    pub phrases: Vec<String>,
    pub effects: Vec<Effect>,
}

impl Assessment {
    fn hit(&mut self, class: ChangeClass, products: &[&str]) {
        let products: Vec<String> = products.iter().map(|p| p.to_string()).collect();
        match self.hits.iter_mut().find(|h| h.class == class) {
            Some(h) => {
                for p in products {
                    if !h.products.contains(&p) {
                        h.products.push(p);
                    }
                }
            }
            None => self.hits.push(Hit { class, products }),
        }
    }

    fn effect(&mut self, kind: &str, message: String) -> &mut Effect {
        self.effects.push(Effect {
            kind: kind.into(),
            message,
            partners: Vec::new(),
            credentials: Vec::new(),
            by: None,
            endpoint: None,
            called_by: Vec::new(),
        });
        self.effects.last_mut().expect("just pushed")
    }

    /// The classes, in SPEC order.
    pub fn classes(&self) -> Vec<ChangeClass> {
        let set: BTreeSet<ChangeClass> = self.hits.iter().map(|h| h.class).collect();
        set.into_iter().collect()
    }
}

fn access_class(env: Environment) -> ChangeClass {
    match env {
        Environment::Sandbox => ChangeClass::SandboxAccess,
        Environment::Production => ChangeClass::ProductionAccess,
    }
}

fn unrevoked(c: &crate::spec::CredentialSpec, today: Date) -> bool {
    c.revoked.is_none_or(|r| r > today)
}

/// Classes and effects of a partner's change (`None` = absent on that side).
pub fn partner(b: Option<&Partner>, d: Option<&Partner>, today: Date) -> Assessment {
    let mut a = Assessment::default();
    match (b, d) {
        (None, Some(p)) => {
            a.hit(ChangeClass::PartnerAdded, &[]);
            a.phrases.push(format!("new partner at stage {}", p.spec.stage));
        }
        (Some(_), None) => {
            a.hit(ChangeClass::PartnerRemoved, &[]);
            a.phrases.push("partner removed".into());
        }
        _ => {}
    }
    let name = d.or(b).map(|p| p.name.as_str()).unwrap_or_default();

    let (bs, ds) = (b.map(|p| &*p.spec), d.map(|p| &*p.spec));
    if let (Some(bs), Some(ds)) = (bs, ds)
        && bs.stage != ds.stage
    {
        a.hit(ChangeClass::StageChanged, &[]);
        a.phrases.push(format!("stage {} → {}", bs.stage, ds.stage));
    }

    let subs = |s: Option<&crate::spec::PartnerSpec>| -> BTreeMap<(String, Environment), String> {
        s.map(|s| {
            s.subscriptions
                .iter()
                .map(|x| ((x.product.0.clone(), x.environment), x.plan.0.clone()))
                .collect()
        })
        .unwrap_or_default()
    };
    let (base_subs, desired_subs) = (subs(bs), subs(ds));
    for ((product, env), plan) in &desired_subs {
        match base_subs.get(&(product.clone(), *env)) {
            None => {
                a.hit(access_class(*env), &[product]);
                a.phrases.push(format!("gains {env} access to {product}/{plan}"));
            }
            Some(old) if old != plan => {
                a.hit(ChangeClass::PlanChanged, &[product]);
                a.phrases
                    .push(format!("moves {product} ({env}) from plan {old} to {plan}"));
            }
            _ => {}
        }
    }
    let mut lost = Vec::new();
    for ((product, env), plan) in &base_subs {
        if !desired_subs.contains_key(&(product.clone(), *env)) {
            a.hit(ChangeClass::AccessRevoked, &[product]);
            a.phrases.push(format!("loses {env} access to {product}/{plan}"));
            lost.push(format!("{product} ({env})"));
        }
    }
    if !lost.is_empty() {
        let e = a.effect("access-lost", format!("{name} can no longer call {}", lost.join(", ")));
        e.partners.push(name.to_string());
    }

    let creds = |s: Option<&crate::spec::PartnerSpec>| -> BTreeMap<String, crate::spec::CredentialSpec> {
        s.map(|s| s.credentials.iter().map(|c| (c.id.0.clone(), c.clone())).collect())
            .unwrap_or_default()
    };
    let (base_creds, desired_creds) = (creds(bs), creds(ds));
    let had_access = |env: Environment| base_creds.values().any(|c| c.environment == env && unrevoked(c, today));
    let products_in = |env: Environment| -> Vec<&str> {
        desired_subs
            .keys()
            .filter(|(_, e)| *e == env)
            .map(|(p, _)| p.as_str())
            .collect()
    };
    let mut stopping = Vec::new();
    // Credentials that stop working on a later day, with that day.
    let mut later: Vec<(Date, String)> = Vec::new();
    for (id, c) in &desired_creds {
        let before = base_creds.get(id);
        let live_now = unrevoked(c, today);
        match before {
            None => {
                a.hit(ChangeClass::CredentialIssued, &[]);
                if live_now {
                    a.phrases.push(format!("credential {id} issued ({})", c.environment));
                } else {
                    a.phrases
                        .push(format!("credential {id} added, already revoked ({})", c.environment));
                }
            }
            Some(old) if unrevoked(old, today) && !live_now => {
                a.hit(ChangeClass::CredentialRevoked, &[]);
                a.hit(ChangeClass::AccessRevoked, &products_in(c.environment));
                let on = c.revoked.map(|r| format!(" on {r}")).unwrap_or_default();
                a.phrases
                    .push(format!("credential {id} revoked{on} ({})", c.environment));
                stopping.push(id.clone());
            }
            Some(old) if !unrevoked(old, today) && live_now => {
                a.hit(ChangeClass::CredentialIssued, &[]);
                a.phrases
                    .push(format!("credential {id} reinstated ({})", c.environment));
            }
            _ => {}
        }
        // A stop date written for a later day: the key works until then and stops with no
        // further commit, so the change that writes it is the one reviewed (SPEC §16).
        if let Some(old) = before
            && unrevoked(old, today)
            && live_now
        {
            let stop = |c: &crate::spec::CredentialSpec| match (c.revoked, c.expires) {
                (Some(r), Some(e)) => Some(r.min(e)),
                (r, e) => r.or(e),
            };
            let earlier = |new: Option<Date>, old: Option<Date>| new.filter(|n| old.is_none_or(|o| o > *n));
            if let Some(r) = earlier(c.revoked, old.revoked) {
                a.hit(ChangeClass::CredentialRevoked, &[]);
                a.hit(ChangeClass::AccessRevoked, &products_in(c.environment));
                a.phrases
                    .push(format!("credential {id} revoked on {r} ({})", c.environment));
                later.push((stop(c).unwrap_or(r), id.clone()));
            } else if let Some(e) =
                earlier(c.expires, old.expires).filter(|e| c.revoked.is_none_or(|r| r > *e) && old.is_live(today))
            {
                a.hit(ChangeClass::AccessRevoked, &products_in(c.environment));
                if e > today {
                    a.phrases
                        .push(format!("credential {id} expires on {e} ({})", c.environment));
                    later.push((e, id.clone()));
                } else {
                    a.phrases
                        .push(format!("credential {id} expired on {e} ({})", c.environment));
                    stopping.push(id.clone());
                }
            }
        }
        let gains = live_now && before.is_none_or(|o| !unrevoked(o, today)) && !had_access(c.environment);
        if gains {
            a.hit(access_class(c.environment), &products_in(c.environment));
        }
    }
    for (id, c) in &base_creds {
        if !desired_creds.contains_key(id) {
            a.hit(ChangeClass::CredentialRevoked, &[]);
            a.phrases.push(format!("credential {id} removed ({})", c.environment));
            if unrevoked(c, today) {
                let products: Vec<&str> = base_subs
                    .keys()
                    .filter(|(_, e)| *e == c.environment)
                    .map(|(p, _)| p.as_str())
                    .collect();
                a.hit(ChangeClass::AccessRevoked, &products);
                stopping.push(id.clone());
            }
        }
    }
    // A partner leaving the program (suspended, offboarded) loses every key it still holds,
    // whether or not the file revokes them yet.
    if let Some(ds) = ds
        && ds.stage.is_exit()
        && bs.is_some_and(|bs| !bs.stage.is_exit())
    {
        for (id, c) in &desired_creds {
            if unrevoked(c, today) && !stopping.contains(id) {
                stopping.push(id.clone());
            }
        }
    }
    if !stopping.is_empty() {
        stopping.sort();
        let e = a.effect(
            "credentials-stop",
            format!("credentials that stop working: {} ({name})", stopping.join(", ")),
        );
        e.partners.push(name.to_string());
        e.credentials = stopping;
    }
    later.sort();
    let mut days: Vec<Date> = later.iter().map(|(d, _)| *d).collect();
    days.dedup();
    for day in days {
        let ids: Vec<String> = later
            .iter()
            .filter(|(d, _)| *d == day)
            .map(|(_, id)| id.clone())
            .collect();
        let e = a.effect(
            "credentials-stop",
            format!("credentials that stop working on {day}: {} ({name})", ids.join(", ")),
        );
        e.partners.push(name.to_string());
        e.credentials = ids;
        e.by = Some(day);
    }
    let gained: Vec<String> = a
        .hits
        .iter()
        .filter(|h| matches!(h.class, ChangeClass::SandboxAccess | ChangeClass::ProductionAccess))
        .map(|h| {
            let env = if h.class == ChangeClass::ProductionAccess {
                "production"
            } else {
                "sandbox"
            };
            if h.products.is_empty() {
                env.to_string()
            } else {
                format!("{env}: {}", h.products.join(", "))
            }
        })
        .collect();
    if !gained.is_empty() {
        let e = a.effect("access-gained", format!("{name} gains access ({})", gained.join("; ")));
        e.partners.push(name.to_string());
    }
    a
}

fn limits(p: &crate::spec::PlanSpec) -> String {
    let mut s = format!("{}/{}", p.rate_limit.requests, p.rate_limit.per.as_str());
    if let Some(q) = &p.quota {
        s.push_str(&format!(", quota {}/{}", q.requests, q.per.as_str()));
    }
    s
}

/// Classes and effects of a product's change; `desired` is the whole desired program (to find
/// subscribers).
pub fn product(
    b: Option<&Product>,
    d: Option<&Product>,
    desired: &Program,
    apis: (Option<&crate::openapi::Api>, Option<&crate::openapi::Api>),
) -> Assessment {
    let mut a = Assessment::default();
    match (b, d) {
        (None, Some(p)) => {
            a.hit(ChangeClass::ProductAdded, &[&p.name]);
            a.phrases.push(format!("new product ({})", p.spec.lifecycle.as_str()));
        }
        (Some(p), None) => {
            a.hit(ChangeClass::ProductRemoved, &[&p.name]);
            a.phrases.push("product removed".into());
            let subscribers: Vec<String> = desired
                .partners
                .values()
                .filter(|x| x.spec.subscriptions.iter().any(|s| s.product.0 == p.name))
                .map(|x| x.name.clone())
                .collect();
            if !subscribers.is_empty() {
                let e = a.effect(
                    "access-lost",
                    format!("partners still subscribed: {}", subscribers.join(", ")),
                );
                e.partners = subscribers;
            }
        }
        (Some(bp), Some(dp)) => {
            let mut normalized = (*dp.spec).clone();
            endpoints(&mut a, bp, dp, desired, apis);
            // Endpoints (listed or derived from the description) are judged above.
            normalized.endpoints = bp.spec.endpoints.clone();
            for plan in &mut normalized.plans {
                let Some(old) = bp.spec.plans.iter().find(|x| x.name == plan.name) else {
                    continue;
                };
                let new = dp.spec.plans.iter().find(|x| x.name == plan.name).expect("same list");
                if old.rate_limit != new.rate_limit || old.quota != new.quota {
                    a.hit(ChangeClass::LimitsChanged, &[&dp.name]);
                    a.phrases
                        .push(format!("plan {} limits {} → {}", plan.name, limits(old), limits(new)));
                    let affected: Vec<String> = desired
                        .partners
                        .values()
                        .filter_map(|x| {
                            let envs: Vec<&str> = x
                                .spec
                                .subscriptions
                                .iter()
                                .filter(|s| s.product.0 == dp.name && s.plan == plan.name)
                                .map(|s| s.environment.as_str())
                                .collect();
                            (!envs.is_empty()).then(|| format!("{} ({})", x.name, envs.join(", ")))
                        })
                        .collect();
                    let message = if affected.is_empty() {
                        format!("{}/{}: no partner is subscribed", dp.name, plan.name)
                    } else {
                        format!("{}/{} limits change for {}", dp.name, plan.name, affected.join(", "))
                    };
                    let e = a.effect("limits", message);
                    e.partners = affected
                        .iter()
                        .map(|s| s.split(' ').next().unwrap_or(s).to_string())
                        .collect();
                }
                plan.rate_limit = old.rate_limit;
                plan.quota = old.quota;
            }
            if normalized != *bp.spec || dp.metadata != bp.metadata {
                a.hit(ChangeClass::ProductChanged, &[&dp.name]);
                if normalized != *bp.spec {
                    a.phrases.push("product definition changed".into());
                } else {
                    a.phrases.push("metadata changed".into());
                }
            }
        }
        (None, None) => {}
    }
    a
}

/// Whether a partner is bound by a terms: the program requires it past `registered`, a
/// subscribed product requires it, or the partner has accepted a version of it before.
fn bound_by(p: &Partner, terms: &str, program: &Program) -> bool {
    if p.spec.stage == Stage::Offboarded {
        return false;
    }
    let program_wide = p.spec.stage != Stage::Registered && program.required_terms().iter().any(|t| t.0 == terms);
    let by_product = p.spec.subscriptions.iter().any(|s| {
        program
            .product(&s.product)
            .is_some_and(|prod| prod.spec.required_terms.iter().any(|t| t.0 == terms))
    });
    let accepted = p.spec.agreements.iter().any(|x| x.terms.0 == terms);
    program_wide || by_product || accepted
}

/// Classes and effects of a terms change; texts are compared through each side's snapshot.
pub fn terms(b: Option<&Terms>, d: Option<&Terms>, base: &Program, desired: &Program) -> Assessment {
    let mut a = Assessment::default();
    let text = |prog: &Program, v: &crate::spec::TermsVersionSpec| {
        prog.snapshot
            .bytes(&Terms::text_path(v))
            .map(std::borrow::Cow::into_owned)
    };
    let mut new_versions = Vec::new();
    match (b, d) {
        (None, Some(t)) => {
            a.hit(ChangeClass::TermsPublished, &[]);
            a.phrases
                .push(format!("new terms, {} version(s)", t.spec.versions.len()));
            new_versions.extend(t.spec.versions.last().cloned());
        }
        (Some(_), None) => {
            a.hit(ChangeClass::TermsChanged, &[]);
            a.phrases.push("terms removed".into());
        }
        (Some(bt), Some(dt)) => {
            for v in &dt.spec.versions {
                match bt.version(&v.version) {
                    None => {
                        a.hit(ChangeClass::TermsPublished, &[]);
                        a.phrases
                            .push(format!("publishes version {} effective {}", v.version, v.effective));
                        new_versions.push(v.clone());
                    }
                    Some(old) => {
                        if old != v || text(base, old) != text(desired, v) {
                            a.hit(ChangeClass::TermsChanged, &[]);
                            a.phrases.push(format!("changes version {}", v.version));
                        }
                    }
                }
            }
            for v in &bt.spec.versions {
                if dt.version(&v.version).is_none() {
                    a.hit(ChangeClass::TermsChanged, &[]);
                    a.phrases.push(format!("removes version {}", v.version));
                }
            }
            let mut bs = (*bt.spec).clone();
            let mut ds = (*dt.spec).clone();
            bs.versions.clear();
            ds.versions.clear();
            if bs != ds || bt.metadata != dt.metadata {
                a.hit(ChangeClass::TermsChanged, &[]);
                a.phrases.push("terms details changed".into());
            }
        }
        (None, None) => {}
    }
    if let Some(t) = d {
        for v in &new_versions {
            let Some(idx) = t.version_index(&v.version) else {
                continue;
            };
            let by = v.reaccept_by.unwrap_or(v.effective);
            let mut must: Vec<String> = desired
                .partners
                .values()
                .filter(|p| bound_by(p, &t.name, desired))
                .filter(|p| {
                    p.accepted(&t.name, desired)
                        .is_none_or(|(_, ag)| t.version_index(&ag.version).is_none_or(|i| i < idx))
                })
                .map(|p| p.name.clone())
                .collect();
            must.sort();
            let message = if must.is_empty() {
                format!("{} {}: no partner needs to re-accept", t.name, v.version)
            } else {
                format!(
                    "{} partner(s) must accept {} {} by {by}: {}",
                    must.len(),
                    t.name,
                    v.version,
                    must.join(", ")
                )
            };
            let e = a.effect("reaccept", message);
            e.partners = must;
            e.by = Some(by);
        }
    }
    a
}

/// Endpoints added and removed (by method and path shape), and what else changed in the
/// operations of the description: `endpoint-added`, `endpoint-removed` (listing the product's
/// subscribers, who lose what they may call) and `api-changed` (SPEC §13).
fn endpoints(
    a: &mut Assessment,
    bp: &Product,
    dp: &Product,
    desired: &Program,
    (ba, da): (Option<&crate::openapi::Api>, Option<&crate::openapi::Api>),
) {
    use crate::openapi::path_shape;
    let key = |e: &crate::spec::EndpointSpec| format!("{} {}", e.method.as_str(), path_shape(&e.path));
    let (old, new) = (&bp.spec.endpoints, &dp.spec.endpoints);
    let added: Vec<&crate::spec::EndpointSpec> = new.iter().filter(|e| !old.iter().any(|o| key(o) == key(e))).collect();
    let removed: Vec<&crate::spec::EndpointSpec> =
        old.iter().filter(|e| !new.iter().any(|n| key(n) == key(e))).collect();
    // The partners a removed endpoint or a breaking change reaches.
    let subscribers: Vec<String> = desired
        .partners
        .values()
        .filter(|x| x.spec.subscriptions.iter().any(|s| s.product.0 == dp.name))
        .map(|x| x.name.clone())
        .collect();
    if !added.is_empty() {
        a.hit(ChangeClass::EndpointAdded, &[&dp.name]);
        let list: Vec<String> = added
            .iter()
            .map(|e| format!("{} {}", e.method.as_str(), e.path))
            .collect();
        a.phrases.push(format!("endpoint(s) added: {}", list.join(", ")));
    }
    if !removed.is_empty() {
        a.hit(ChangeClass::EndpointRemoved, &[&dp.name]);
        let list: Vec<String> = removed
            .iter()
            .map(|e| format!("{} {}", e.method.as_str(), e.path))
            .collect();
        a.phrases
            .push(format!("endpoint(s) removed: {} (breaking)", list.join(", ")));
        for e in removed {
            let endpoint = format!("{} {}", e.method.as_str(), e.path);
            let message = if subscribers.is_empty() {
                format!("{endpoint} is removed from {}; no partner is subscribed", dp.name)
            } else {
                format!(
                    "{endpoint} is removed from {}: {} subscribed partner(s) can no longer call it: {}",
                    dp.name,
                    subscribers.len(),
                    subscribers.join(", ")
                )
            };
            let eff = a.effect("endpoint-removed", message);
            eff.partners = subscribers.clone();
            eff.endpoint = Some(endpoint);
        }
    }
    if let (Some(ba), Some(da)) = (ba, da) {
        let changes: Vec<crate::openapi::diff::ApiChange> = crate::openapi::diff::diff(ba, da)
            .into_iter()
            .filter(|c| matches!(c, crate::openapi::diff::ApiChange::Changed { .. }))
            .collect();
        if !changes.is_empty() {
            a.hit(ChangeClass::ApiChanged, &[&dp.name]);
            let breaking = changes.iter().filter(|c| c.breaking()).count();
            a.phrases.push(if breaking > 0 {
                format!(
                    "API description changed: {} change(s), {breaking} breaking",
                    changes.len()
                )
            } else {
                format!("API description changed: {} change(s)", changes.len())
            });
            for c in changes {
                if let crate::openapi::diff::ApiChange::Changed { key, what, breaking } = c {
                    let message = match (breaking, subscribers.is_empty()) {
                        (true, false) => format!(
                            "{key}: {what} (breaking for {} subscribed partner(s): {})",
                            subscribers.len(),
                            subscribers.join(", ")
                        ),
                        (true, true) => format!("{key}: {what} (breaking; no partner is subscribed)"),
                        (false, _) if key.is_empty() => what,
                        (false, _) => format!("{key}: {what}"),
                    };
                    let eff = a.effect(if breaking { "api-breaking" } else { "api-changed" }, message);
                    if breaking {
                        eff.partners = subscribers.clone();
                    }
                    if !key.is_empty() {
                        eff.endpoint = Some(key);
                    }
                }
            }
        }
    }
}

/// The program: every change to program.yaml, and to a file of `policies/` or `templates/`
/// (`files`), is `program-changed` (SPEC §16); adding, changing or removing an exception is
/// also `exception-changed` (SPEC §10), with what changed said in the summary.
pub fn program(
    (b, d): (bool, bool),
    document_changed: bool,
    files: &[super::fields::ProgramFile],
    before: &[crate::spec::ExceptionSpec],
    after: &[crate::spec::ExceptionSpec],
) -> Assessment {
    let mut a = Assessment::default();
    a.hit(ChangeClass::ProgramChanged, &[]);
    if document_changed {
        a.phrases.push(
            match (b, d) {
                (false, true) => "program created",
                (true, false) => "program.yaml removed",
                _ => "program settings changed",
            }
            .into(),
        );
    }
    for f in files {
        let what = if f.path.starts_with("policies/") {
            "policy"
        } else {
            "template"
        };
        let done = match f.op {
            super::fields::Op::Add => "added",
            super::fields::Op::Remove => "removed",
            super::fields::Op::Change => "changed",
        };
        a.phrases.push(format!("{what} {} {done}", f.path));
    }
    if before != after {
        a.hit(ChangeClass::ExceptionChanged, &[]);
        let key = |e: &crate::spec::ExceptionSpec| (e.code.clone(), e.resource.clone());
        for e in after {
            match before.iter().find(|x| key(x) == key(e)) {
                None => a.phrases.push(format!(
                    "exception added: {} on {} until {} ({})",
                    e.code, e.resource, e.until, e.reason
                )),
                Some(x) if x != e => a.phrases.push(format!(
                    "exception changed: {} on {} now until {} ({})",
                    e.code, e.resource, e.until, e.reason
                )),
                Some(_) => {}
            }
        }
        for e in before {
            if !after.iter().any(|x| key(x) == key(e)) {
                a.phrases
                    .push(format!("exception removed: {} on {}", e.code, e.resource));
            }
        }
    }
    a
}
