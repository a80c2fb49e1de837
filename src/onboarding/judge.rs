//! A request against the program (SPEC §15.2): what it may ask for. Each refusal names the
//! request field at fault; what is valid of the request is still drafted, so that `validate`
//! can judge it too and the requester hears every reason at once. The partner's name
//! reaches a path only after it matched the name pattern (the schema, and again here).

use super::change::RequestError;
use super::draft::{Accepted, Draft};
use super::input::Origin;
use super::partner_file::{edit_partner, new_partner};
use crate::diag::Code;
use crate::model::{Partner, Program};
use crate::spec::{Date, Environment, Lifecycle, RequestAction, RequestDocument, RequestSpec, Stage};
use std::collections::BTreeSet;

/// The request against `program` as of `today`.
pub fn draft(program: &Program, req: &RequestDocument, origin: &Origin, today: Date) -> Result<Draft, RequestError> {
    let spec = &req.spec;
    let mut d = Draft::default();
    let name = spec.partner.0.as_str();
    // The schema's name pattern, again where the name becomes a path.
    if !crate::source::paths::is_valid_folder_name(name) {
        d.refuse(
            origin,
            Code::Schema,
            "/spec/partner",
            format!("`{}` is not a partner name", name.escape_debug()),
            Some("lower-case letters, digits and dashes, at most 63 characters".into()),
        );
        return Ok(d);
    }
    shape(&mut d, spec, origin);

    let partner = match spec.action {
        RequestAction::Register => {
            if let Some(taken) = taken(program, name) {
                d.refuse(
                    origin,
                    Code::DuplicateName,
                    "/spec/partner",
                    format!("the partner name `{name}` is taken ({taken})"),
                    Some("choose another name for the partner".into()),
                );
            }
            None
        }
        _ => match program.partners.get(name) {
            Some(p) => {
                if p.stage().is_exit() {
                    d.refuse(
                        origin,
                        Code::StageGate,
                        "/spec/partner",
                        format!(
                            "{name} is {}: it asks for nothing until the program's team {}",
                            p.stage(),
                            if p.stage() == Stage::Suspended {
                                "reinstates it"
                            } else {
                                "registers it again"
                            }
                        ),
                        None,
                    );
                    return Ok(d);
                }
                Some(p)
            }
            None => {
                let why = if program.is_known(crate::spec::Kind::Partner, name) {
                    format!("the file of partner {name} does not load; the program's team must fix it first")
                } else {
                    format!("there is no partner named {name}")
                };
                d.refuse(
                    origin,
                    Code::UnknownReference,
                    "/spec/partner",
                    why,
                    Some("register first with a register request, or check the partner id".into()),
                );
                return Ok(d);
            }
        },
    };
    d.stage_before = partner.map(Partner::stage);

    accept(&mut d, program, spec, partner, origin, today);
    if let Some(env) = spec.action.environment() {
        subscribe(&mut d, program, spec, partner, env, origin);
    }
    stage(&mut d, program, spec, partner, origin, today);

    let nothing = d.accepted.is_empty() && d.subscribed.is_empty() && d.stage_after == d.stage_before;
    if nothing && spec.action != RequestAction::Register {
        return Ok(d);
    }
    d.file = match partner {
        None if d.refusals.iter().any(|r| r.field.as_deref() == Some("spec.partner")) => None,
        None if spec.register.is_none() => None,
        None => new_partner(&mut d, program, spec, today)?,
        Some(p) => Some(edit_partner(&mut d, program, p, spec, today)?),
    };
    Ok(d)
}

/// The fields each action carries, and those it does not.
fn shape(d: &mut Draft, spec: &RequestSpec, origin: &Origin) {
    let action = spec.action;
    match action {
        RequestAction::Register if spec.register.is_none() => d.refuse(
            origin,
            Code::Schema,
            "/spec/register",
            "a register request says who the partner is: `register: {displayName, contacts, …}`".into(),
            None,
        ),
        RequestAction::Register => {}
        _ if spec.register.is_some() => d.refuse(
            origin,
            Code::Schema,
            "/spec/register",
            format!("only a register request carries `register`; this one is {action}"),
            None,
        ),
        _ => {}
    }
    match action {
        RequestAction::RequestSandbox | RequestAction::RequestProduction => {
            if !spec.accept.is_empty() {
                d.refuse(
                    origin,
                    Code::Schema,
                    "/spec/accept",
                    format!("{action} accepts no terms; accept them first with an accept-terms request"),
                    None,
                );
            }
            if spec.subscriptions.is_empty() {
                d.refuse(
                    origin,
                    Code::Schema,
                    "/spec/subscriptions",
                    format!("{action} asks for at least one product and plan"),
                    None,
                );
            }
        }
        RequestAction::Register | RequestAction::AcceptTerms => {
            if !spec.subscriptions.is_empty() {
                d.refuse(
                    origin,
                    Code::Schema,
                    "/spec/subscriptions",
                    format!("{action} asks for no subscriptions; ask for access with request-sandbox"),
                    None,
                );
            }
            if action == RequestAction::AcceptTerms && spec.accept.is_empty() {
                d.refuse(
                    origin,
                    Code::Schema,
                    "/spec/accept",
                    "accept-terms accepts at least one terms".into(),
                    None,
                );
            }
        }
    }
}

/// Where the name is taken already, if it is: a partner, a file of one that does not load, or
/// a file of that name anywhere below `partners/`.
fn taken(program: &Program, name: &str) -> Option<String> {
    if program.is_known(crate::spec::Kind::Partner, name) {
        return Some("a partner of the program has it".into());
    }
    program
        .snapshot
        .under("partners/")
        .map(|(path, _)| path)
        .find(|path| crate::model::file_stem(path) == name)
        .map(|path| format!("{path} exists"))
}

/// The acceptances asked for: each the current version of a terms, with its text's digest.
fn accept(
    d: &mut Draft,
    program: &Program,
    spec: &RequestSpec,
    partner: Option<&Partner>,
    origin: &Origin,
    today: Date,
) {
    let mut seen = BTreeSet::new();
    for (i, a) in spec.accept.iter().enumerate() {
        let at = |f: &str| format!("/spec/accept/{i}/{f}");
        let Some(terms) = program.terms.get(&a.terms.0) else {
            let names: Vec<String> = program.terms.keys().cloned().collect();
            let hint = crate::schema::closest(&a.terms, &names).map(|c| format!("did you mean `{c}`?"));
            d.refuse(
                origin,
                Code::UnknownReference,
                &at("terms"),
                format!("there are no terms named {}", a.terms),
                hint,
            );
            continue;
        };
        if !seen.insert(a.terms.0.clone()) {
            d.refuse(
                origin,
                Code::DuplicateName,
                &at("terms"),
                format!("{} is accepted twice in this request", a.terms),
                None,
            );
            continue;
        }
        let Some(current) = terms.current(today) else {
            d.refuse(
                origin,
                Code::TermsOutdated,
                &at("version"),
                format!("{} has no version in effect on {today}", a.terms),
                None,
            );
            continue;
        };
        if a.version != current.version {
            let (code, message) = match terms.version(&a.version) {
                Some(v) if v.effective > today => (
                    Code::TermsOutdated,
                    format!(
                        "{} \"{}\" takes effect on {}; the version in effect is \"{}\"",
                        a.terms, a.version, v.effective, current.version
                    ),
                ),
                Some(_) => (
                    Code::TermsOutdated,
                    format!(
                        "{} \"{}\" is superseded by \"{}\", in effect since {}",
                        a.terms, a.version, current.version, current.effective
                    ),
                ),
                None => (
                    Code::UnknownReference,
                    format!("{} has no version \"{}\"", a.terms, a.version),
                ),
            };
            d.refuse(
                origin,
                code,
                &at("version"),
                message,
                Some(format!(
                    "accept the current version, \"{}\" (read it, then ask again)",
                    current.version
                )),
            );
            continue;
        }
        let Some(sha256) = crate::model::Terms::text_sha256(current, program) else {
            d.refuse(
                origin,
                Code::UnknownReference,
                &at("version"),
                format!(
                    "the text of {} \"{}\" ({}) is missing from the program",
                    a.terms,
                    current.version,
                    crate::model::Terms::text_path(current)
                ),
                None,
            );
            continue;
        };
        if a.text_sha256 != sha256 {
            d.refuse(
                origin,
                Code::AcceptanceMismatch,
                &at("textSha256"),
                format!(
                    "textSha256 is not the SHA-256 of the text of {} \"{}\" as published; the text accepted is not the program's",
                    a.terms, current.version
                ),
                Some(format!(
                    "read the published text ({}, SHA-256 {sha256}) and accept that",
                    crate::model::Terms::text_path(current)
                )),
            );
            continue;
        }
        if let Some(p) = partner
            && let Some(prior) = p
                .spec
                .agreements
                .iter()
                .find(|x| x.terms == a.terms && x.version == a.version)
        {
            d.refuse(
                origin,
                Code::DuplicateName,
                &format!("/spec/accept/{i}"),
                format!(
                    "{} accepted {} \"{}\" already, on {}",
                    p.name, a.terms, a.version, prior.accepted_on
                ),
                None,
            );
            continue;
        }
        d.accepted.push(Accepted {
            index: i,
            terms: a.terms.0.clone(),
            title: terms.spec.title.clone(),
            version: current.version.clone(),
            sha256,
        });
    }
}

/// The subscriptions asked for, in `env`.
fn subscribe(
    d: &mut Draft,
    program: &Program,
    spec: &RequestSpec,
    partner: Option<&Partner>,
    env: Environment,
    origin: &Origin,
) {
    let mut seen = BTreeSet::new();
    for (i, s) in spec.subscriptions.iter().enumerate() {
        let at = |f: &str| format!("/spec/subscriptions/{i}/{f}");
        let Some(product) = program.product(&s.product) else {
            let names: Vec<String> = program.products.keys().cloned().collect();
            let hint = crate::schema::closest(&s.product, &names).map(|c| format!("did you mean `{c}`?"));
            d.refuse(
                origin,
                Code::UnknownReference,
                &at("product"),
                format!("there is no product named {}", s.product),
                hint,
            );
            continue;
        };
        match product.spec.lifecycle {
            Lifecycle::Deprecated | Lifecycle::Retired => {
                let (rule, what) = match product.spec.lifecycle {
                    Lifecycle::Retired => ("retired-product-unsubscribed", "retired"),
                    _ => (
                        "deprecated-no-new-subscriptions",
                        "deprecated and takes no new subscribers",
                    ),
                };
                let mut r = origin.finding(Code::Policy, &at("product"), format!("{} is {what}", s.product));
                r.diagnostic = r.diagnostic.with_rule(rule);
                d.refusals.push(r);
                continue;
            }
            Lifecycle::Beta | Lifecycle::Ga => {}
        }
        let offered: Vec<&str> = product
            .spec
            .plans
            .iter()
            .filter(|p| p.environments.contains(&env))
            .map(|p| p.name.0.as_str())
            .collect();
        let offered_list = if offered.is_empty() {
            format!("{} offers no plan in {env}", s.product)
        } else {
            format!("its plans in {env}: {}", offered.join(", "))
        };
        let Some(plan) = program.plan(&s.product, &s.plan) else {
            d.refuse(
                origin,
                Code::UnknownReference,
                &at("plan"),
                format!("{} has no plan {}", s.product, s.plan),
                Some(offered_list),
            );
            continue;
        };
        if !plan.environments.contains(&env) {
            d.refuse(
                origin,
                Code::PlanEnvironment,
                &at("plan"),
                format!("plan {} of {} is not offered in {env}", s.plan, s.product),
                Some(offered_list),
            );
            continue;
        }
        if !seen.insert(s.product.0.clone()) {
            d.refuse(
                origin,
                Code::DuplicateName,
                &at("product"),
                format!("{} is asked for twice in {env}; choose one plan", s.product),
                None,
            );
            continue;
        }
        if let Some(p) = partner
            && let Some(have) = p
                .spec
                .subscriptions
                .iter()
                .find(|x| x.product == s.product && x.environment == env)
        {
            d.refuse(
                origin,
                Code::DuplicateName,
                &at("product"),
                format!(
                    "{} is subscribed to {} in {env} already (plan {})",
                    p.name, s.product, have.plan
                ),
                Some("a change of plan is made by the program's team".into()),
            );
            continue;
        }
        let missing: Vec<&str> = product
            .spec
            .required_terms
            .iter()
            .filter(|t| partner.is_none_or(|p| p.accepted(t, program).is_none()))
            .map(|t| t.0.as_str())
            .collect();
        if !missing.is_empty() {
            let names = missing.join(", ");
            d.refuse(
                origin,
                Code::TermsMissing,
                &at("product"),
                format!("{} requires terms the partner has not accepted: {names}", s.product),
                Some(format!("accept {names} first, with an accept-terms request")),
            );
            continue;
        }
        d.subscribed.push((s.product.0.clone(), s.plan.0.clone()));
    }
}

/// The stage the request moves the partner to, or the step it would skip.
fn stage(
    d: &mut Draft,
    program: &Program,
    spec: &RequestSpec,
    partner: Option<&Partner>,
    origin: &Origin,
    today: Date,
) {
    let covered = |extra: &[Accepted]| {
        program
            .required_terms()
            .iter()
            .all(|t| extra.iter().any(|a| a.terms == t.0) || partner.is_some_and(|p| p.accepted(t, program).is_some()))
    };
    let from = partner.map(Partner::stage);
    let to = match (spec.action, from) {
        (RequestAction::Register, _) => {
            if covered(&d.accepted) {
                Stage::TermsAccepted
            } else {
                Stage::Registered
            }
        }
        (RequestAction::AcceptTerms, Some(Stage::Registered)) if covered(&d.accepted) => Stage::TermsAccepted,
        (RequestAction::RequestSandbox, Some(Stage::TermsAccepted)) => Stage::Sandbox,
        (RequestAction::RequestProduction, Some(Stage::Sandbox)) => Stage::ProductionRequested,
        (RequestAction::RequestSandbox, Some(s @ Stage::Registered))
        | (RequestAction::RequestProduction, Some(s @ (Stage::Registered | Stage::TermsAccepted))) => {
            let need = match spec.action {
                RequestAction::RequestSandbox => Stage::TermsAccepted,
                _ => Stage::Sandbox,
            };
            let how = match need {
                Stage::TermsAccepted => "accept the program's terms first, with an accept-terms request",
                _ => "get sandbox access first, with a request-sandbox request",
            };
            d.refuse(
                origin,
                Code::HistoryInvalid,
                "/spec/action",
                format!(
                    "{} is `{s}`: {} comes after `{need}`, so this would skip a stage",
                    spec.partner,
                    match spec.action {
                        RequestAction::RequestSandbox => "sandbox access",
                        _ => "production access",
                    }
                ),
                Some(how.into()),
            );
            s
        }
        (_, Some(s)) => s,
        (_, None) => Stage::Registered,
    };
    if let (Some(p), true) = (partner, from != Some(to))
        && let Some(last) = p.stage_since()
        && last > today
    {
        d.refuse(
            origin,
            Code::HistoryInvalid,
            "/spec/action",
            format!("{}'s last stage change is dated {last}, after {today}", p.name),
            None,
        );
    }
    d.stage_after = Some(to);
}
