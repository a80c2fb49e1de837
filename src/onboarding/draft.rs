//! A request against the program (SPEC §15.2): what it may ask for, and the partner file it
//! becomes. Each refusal names the request field at fault; what is valid of the request is
//! still drafted, so that `validate` can judge it too and the requester hears every reason
//! at once.
//!
//! A new partner file is written by the YAML serializer ([`crate::encode::yaml`]); an existing
//! one is edited in place by [`crate::source::yaml_edit`], which keeps its comments, order and
//! layout and encodes every value it writes. The partner's name reaches a path only after it
//! matched the name pattern (the schema, and again here).

use super::change::{FileAction, FileChange, RequestError};
use super::input::{Origin, RequestDiagnostic};
use crate::diag::Code;
use crate::model::{Partner, Program};
use crate::source::yaml;
use crate::source::yaml_edit::Editor;
use crate::spec::{ChangeClass, Date, Environment, Lifecycle, RequestAction, RequestDocument, RequestSpec, Stage};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// An acceptance the request records.
#[derive(Clone, Debug)]
pub struct Accepted {
    /// Its index in `spec.accept`.
    pub index: usize,
    pub terms: String,
    pub title: String,
    pub version: String,
    pub sha256: String,
}

/// What the request becomes.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub refusals: Vec<RequestDiagnostic>,
    /// The partner file written, when there is anything to write.
    pub file: Option<FileChange>,
    /// The partner's stage before (none for a new partner) and after.
    pub stage_before: Option<Stage>,
    pub stage_after: Option<Stage>,
    pub accepted: Vec<Accepted>,
    /// Products and plans subscribed to, in the action's environment.
    pub subscribed: Vec<(String, String)>,
    /// A pointer into the written partner document → the request field it comes from.
    map: Vec<(String, String)>,
}

impl Draft {
    fn refuse(&mut self, origin: &Origin, code: Code, pointer: &str, message: String, hint: Option<String>) {
        let mut r = origin.finding(code, pointer, message);
        if let Some(h) = hint {
            r.diagnostic = r.diagnostic.with_hint(h);
        }
        self.refusals.push(r);
    }

    fn map(&mut self, pointer: impl Into<String>, field: impl Into<String>) {
        self.map.push((pointer.into(), field.into()));
    }

    /// Where each mapped node stands in the written file, to name the request field of a
    /// finding `validate` makes there.
    pub fn field_positions(&self, file: &str, bytes: &[u8]) -> FieldPositions {
        let mut candidates = Vec::new();
        if let Ok(doc) = yaml::parse(file, bytes) {
            for (pointer, field) in &self.map {
                if doc.value.pointer(pointer).is_none() {
                    continue;
                }
                let depth = pointer.matches('/').count();
                let at = doc.pos(pointer);
                let key = doc.key_pos(pointer);
                candidates.push((at.line, at.column, key.line, key.column, depth, field.clone()));
            }
        }
        FieldPositions { candidates }
    }
}

/// Nodes of a written partner file by position, and the request fields they come from.
pub struct FieldPositions {
    candidates: Vec<(usize, usize, usize, usize, usize, String)>,
}

impl FieldPositions {
    /// The request field of the deepest node written exactly at `line`:`column` (its value
    /// or its key), else of the deepest node starting on that line, else the partner.
    pub fn field_at(&self, line: usize, column: usize) -> String {
        let deepest = |hits: Vec<&(usize, usize, usize, usize, usize, String)>| {
            hits.into_iter().max_by_key(|c| c.4).map(|c| c.5.clone())
        };
        let exact = self
            .candidates
            .iter()
            .filter(|c| (c.0 == line && c.1 == column) || (c.2 == line && c.3 == column))
            .collect();
        if let Some(f) = deepest(exact) {
            return f;
        }
        let same_line = self.candidates.iter().filter(|c| c.0 == line || c.2 == line).collect();
        deepest(same_line).unwrap_or_else(|| "spec.partner".into())
    }
}

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
                    Some("register first (action: register), or check the partner id".into()),
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
                Some(format!("accept {names} first (action: accept-terms)")),
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
                Stage::TermsAccepted => "accept the program's terms first (action: accept-terms)",
                _ => "get sandbox access first (action: request-sandbox)",
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

/// The team that owns a new partner: the program's owner, else the first team an approval
/// rule for `partner-added` names, else the first team declared.
fn owner_team(program: &Program) -> Option<String> {
    let spec = program.spec()?;
    let declared = |t: &str| spec.teams.keys().any(|k| k.0 == t);
    if let Some(owner) = program.program.as_ref().and_then(|p| p.owner()).filter(|o| declared(o)) {
        return Some(owner.to_string());
    }
    spec.approvals
        .iter()
        .filter(|r| r.on.contains(&ChangeClass::PartnerAdded))
        .flat_map(|r| r.require.iter())
        .find(|t| declared(t))
        .cloned()
        .or_else(|| spec.teams.keys().next().map(|k| k.0.clone()))
}

fn agreement_value(a: &Accepted, spec: &RequestSpec, today: Date) -> Value {
    let by = &spec.requested_by;
    let mut signer = Map::new();
    signer.insert("name".into(), json!(by.name));
    signer.insert("email".into(), json!(by.email));
    if let Some(t) = &by.title {
        signer.insert("title".into(), json!(t));
    }
    let mut m = Map::new();
    m.insert("terms".into(), json!(a.terms));
    m.insert("version".into(), json!(a.version));
    m.insert("acceptedOn".into(), json!(today.to_string()));
    m.insert("signedBy".into(), Value::Object(signer));
    m.insert("textSha256".into(), json!(a.sha256));
    if let Some(method) = spec.accept[a.index].method {
        m.insert("method".into(), json!(method.as_str()));
    }
    if let Some(e) = &spec.evidence {
        m.insert("evidence".into(), json!(e));
    }
    Value::Object(m)
}

fn map_agreement(d: &mut Draft, at: usize, index: usize) {
    let base = format!("/spec/agreements/{at}");
    let field = format!("spec.accept[{index}]");
    d.map(base.clone(), field.clone());
    for (k, f) in [("terms", "terms"), ("version", "version"), ("textSha256", "textSha256")] {
        d.map(format!("{base}/{k}"), format!("{field}.{f}"));
    }
}

fn map_subscription(d: &mut Draft, at: usize, index: usize) {
    let base = format!("/spec/subscriptions/{at}");
    let field = format!("spec.subscriptions[{index}]");
    d.map(base.clone(), field.clone());
    d.map(format!("{base}/product"), format!("{field}.product"));
    d.map(format!("{base}/plan"), format!("{field}.plan"));
}

/// A new partner file, written by the serializer.
fn new_partner(
    d: &mut Draft,
    program: &Program,
    spec: &RequestSpec,
    today: Date,
) -> Result<Option<FileChange>, RequestError> {
    let Some(reg) = &spec.register else { return Ok(None) };
    let name = spec.partner.0.as_str();
    let Some(owner) = owner_team(program) else {
        return Err(RequestError::Program(
            " (it declares no team to own a new partner)".into(),
        ));
    };
    let to = d.stage_after.unwrap_or(Stage::Registered);
    let mut history = vec![json!({"stage": Stage::Registered.as_str(), "date": today.to_string()})];
    if to != Stage::Registered {
        history.push(json!({"stage": to.as_str(), "date": today.to_string()}));
    }
    let mut s = Map::new();
    s.insert("displayName".into(), json!(reg.display_name));
    if let Some(l) = &reg.legal_name {
        s.insert("legalName".into(), json!(l));
    }
    s.insert("listed".into(), json!(reg.listed));
    if let Some(w) = &reg.website {
        s.insert("website".into(), json!(w));
    }
    s.insert(
        "contacts".into(),
        Value::Array(
            reg.contacts
                .iter()
                .map(|c| json!({"name": c.name, "email": c.email, "role": role(c.role)}))
                .collect(),
        ),
    );
    s.insert("stage".into(), json!(to.as_str()));
    s.insert("history".into(), Value::Array(history));
    let accepted = d.accepted.clone();
    if !accepted.is_empty() {
        s.insert(
            "agreements".into(),
            Value::Array(accepted.iter().map(|a| agreement_value(a, spec, today)).collect()),
        );
    }
    let doc = json!({
        "apiVersion": crate::spec::API_VERSION,
        "kind": "Partner",
        "metadata": {"name": name, "owner": owner},
        "spec": Value::Object(s),
    });
    d.map("/metadata/name", "spec.partner");
    d.map("/metadata", "spec.partner");
    for (k, f) in [
        ("displayName", "displayName"),
        ("legalName", "legalName"),
        ("website", "website"),
        ("listed", "listed"),
    ] {
        d.map(format!("/spec/{k}"), format!("spec.register.{f}"));
    }
    for i in 0..reg.contacts.len() {
        for k in ["name", "email", "role"] {
            d.map(
                format!("/spec/contacts/{i}/{k}"),
                format!("spec.register.contacts[{i}].{k}"),
            );
        }
        d.map(format!("/spec/contacts/{i}"), format!("spec.register.contacts[{i}]"));
    }
    d.map("/spec/stage", "spec.action");
    d.map("/spec/history", "spec.action");
    for (k, a) in accepted.iter().enumerate() {
        map_agreement(d, k, a.index);
    }
    let comment = [format!("Registered with `partnerctl request` on {today}.")];
    let text = crate::encode::yaml::with_comments(&comment, &doc)
        .map_err(|e| RequestError::Edit(format!("partners/{name}.yaml: {e}")))?;
    Ok(Some(FileChange {
        path: format!("partners/{name}.yaml"),
        action: FileAction::Create,
        bytes: text.into_bytes(),
    }))
}

/// Appends items to the list `spec.<key>`, adding the key with all of them when the file
/// does not have it yet.
fn append(e: &mut Editor, key: &str, items: Vec<Value>) -> Result<(), crate::source::yaml_edit::EditError> {
    if items.is_empty() {
        return Ok(());
    }
    let pointer = format!("/spec/{key}");
    if e.value().pointer(&pointer).is_none() {
        return e.insert("/spec", key, &Value::Array(items));
    }
    for item in &items {
        e.push(&pointer, item)?;
    }
    Ok(())
}

fn role(r: crate::spec::ContactRole) -> &'static str {
    match r {
        crate::spec::ContactRole::Technical => "technical",
        crate::spec::ContactRole::Business => "business",
        crate::spec::ContactRole::Legal => "legal",
    }
}

/// The partner's file edited in place.
fn edit_partner(
    d: &mut Draft,
    program: &Program,
    p: &Partner,
    spec: &RequestSpec,
    today: Date,
) -> Result<FileChange, RequestError> {
    let text = program
        .snapshot
        .text(&p.file)
        .ok_or_else(|| RequestError::Edit(format!("{} cannot be read as UTF-8 text", p.file)))?;
    let mut e = Editor::new(&p.file, &text).map_err(|d| RequestError::Edit(format!("{}: {}", p.file, d.message)))?;
    let edit = |r: Result<(), crate::source::yaml_edit::EditError>| r.map_err(|e| RequestError::Edit(e.to_string()));
    let accepted = d.accepted.clone();
    let agreements = p.spec.agreements.len();
    let items: Vec<Value> = accepted.iter().map(|a| agreement_value(a, spec, today)).collect();
    edit(append(&mut e, "agreements", items))?;
    for (k, a) in accepted.iter().enumerate() {
        map_agreement(d, agreements + k, a.index);
    }
    let env = spec.action.environment().unwrap_or(Environment::Sandbox);
    let subscriptions = p.spec.subscriptions.len();
    let subscribed = d.subscribed.clone();
    let items: Vec<Value> = subscribed
        .iter()
        .map(|(product, plan)| json!({"product": product, "plan": plan, "environment": env.as_str()}))
        .collect();
    edit(append(&mut e, "subscriptions", items))?;
    for (k, (product, _)) in subscribed.iter().enumerate() {
        let index = spec
            .subscriptions
            .iter()
            .position(|s| s.product.0 == *product)
            .unwrap_or(k);
        map_subscription(d, subscriptions + k, index);
    }
    if let Some(to) = d.stage_after.filter(|to| Some(*to) != d.stage_before) {
        edit(e.set("/spec/stage", &json!(to.as_str())))?;
        edit(e.push(
            "/spec/history",
            &json!({"stage": to.as_str(), "date": today.to_string()}),
        ))?;
        d.map("/spec/stage", "spec.action");
        d.map(format!("/spec/history/{}", p.spec.history.len()), "spec.action");
    }
    Ok(FileChange {
        path: p.file.clone(),
        action: FileAction::Update,
        bytes: e.finish().map_err(|e| RequestError::Edit(e.to_string()))?.into_bytes(),
    })
}
