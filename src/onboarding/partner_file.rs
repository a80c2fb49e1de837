//! The partner file a request writes: a new one by the YAML serializer
//! ([`crate::encode::yaml`]); an existing one edited in place by [`crate::source::yaml_edit`],
//! which keeps its comments, order and layout and encodes every value it writes.

use super::change::{FileAction, FileChange, RequestError};
use super::draft::{Accepted, Draft};
use crate::model::{Partner, Program};
use crate::source::yaml_edit::Editor;
use crate::spec::{ChangeClass, Date, Environment, RequestSpec, Stage};
use serde_json::{Map, Value, json};

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
pub(super) fn new_partner(
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
pub(super) fn edit_partner(
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
