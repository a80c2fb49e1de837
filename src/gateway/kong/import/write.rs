//! Writing the drafts: a new file through the YAML serializer, an existing one (`--merge`)
//! edited in place through [`crate::source::yaml_edit`], so that nothing else in it changes.

use super::convert::*;
use super::importer::*;
use super::report::*;
use crate::source::yaml_edit::{EditError, Editor};
use crate::spec::{Environment, Kind, Stage};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

pub(crate) fn limits_value(l: &Limits) -> (Value, Option<Value>) {
    (
        json!({"requests": l.rate.0, "per": l.rate.1.as_str()}),
        l.quota.map(|(n, per)| json!({"requests": n, "per": per.as_str()})),
    )
}

pub(crate) fn plan_value(name: &str, p: &PlanDraft) -> Value {
    let (rate, quota) = limits_value(&p.limits);
    let mut o = Map::new();
    o.insert("name".into(), json!(name));
    o.insert("rateLimit".into(), rate);
    if let Some(q) = quota {
        o.insert("quota".into(), q);
    }
    o.insert(
        "environments".into(),
        json!(p.environments.iter().map(|e| e.as_str()).collect::<Vec<_>>()),
    );
    Value::Object(o)
}

pub(crate) fn subscription_value(product: &str, plan: &str, env: Environment) -> Value {
    json!({"product": product, "plan": plan, "environment": env.as_str()})
}

pub(crate) fn credential_value(c: &CredentialDraft) -> Value {
    json!({"id": c.id, "environment": c.environment.as_str(), "created": c.created.to_string(), "secretRef": c.secret_ref})
}

/// A new file: a comment saying where it came from, then the document as the serializer
/// writes it.
pub(crate) fn new_file(comment: &[String], doc: &Value) -> String {
    let mut s = String::new();
    for line in comment {
        s.push_str(&format!("# {}\n", crate::encode::text::escape(line)));
    }
    s.push_str(&yaml_serde::to_string(doc).expect("a JSON value always serializes"));
    s
}

/// What [`Importer::partner_file_out`] makes of a partner.
pub(crate) enum PartnerOut {
    Done(ImportedFile),
    New {
        name: String,
        comment: Vec<String>,
        doc: Value,
    },
}

impl PartnerOut {
    /// The file, with a new partner's YAML written now.
    pub(crate) fn written(self) -> ImportedFile {
        match self {
            PartnerOut::Done(f) => f,
            PartnerOut::New { name, comment, doc } => ImportedFile {
                path: format!("partners/{name}.yaml"),
                kind: Kind::Partner,
                contents: new_file(&comment, &doc),
                name,
                action: Action::Create,
                added: Vec::new(),
            },
        }
    }
}

impl Importer<'_> {
    /// The file a resource already has (by name, or a document of that kind and name that
    /// did not load), if any.
    pub(crate) fn existing_file(&self, kind: Kind, name: &str) -> Option<String> {
        let default_path = format!("{}/{name}.yaml", kind.folder().unwrap_or(""));
        match kind {
            Kind::Product => self.existing.products.get(name).map(|r| r.file.clone()),
            Kind::Partner => self.existing.partners.get(name).map(|r| r.file.clone()),
            _ => None,
        }
        .or_else(|| {
            self.existing
                .documents
                .iter()
                .find(|d| d.kind == Some(kind) && d.name.as_deref() == Some(name))
                .map(|d| d.file.clone())
        })
        .or_else(|| self.existing.snapshot.contains(&default_path).then_some(default_path))
    }

    pub(crate) fn skip_or_merge(
        &mut self,
        kind: Kind,
        name: &str,
        path: String,
        edit: impl FnOnce(&mut Self, &mut Editor, &mut Vec<String>) -> Result<(), EditError>,
    ) -> ImportedFile {
        let mut file = ImportedFile {
            path: path.clone(),
            kind,
            name: name.to_string(),
            contents: String::new(),
            action: Action::Skip,
            added: Vec::new(),
        };
        if !self.options.merge {
            return file;
        }
        let loaded = match kind {
            Kind::Product => self.existing.products.contains_key(name),
            _ => self.existing.partners.contains_key(name),
        };
        let Some(text) = self.existing.snapshot.text(&path).filter(|_| loaded) else {
            self.note(todo(
                None,
                "merge",
                Some(path),
                "the file does not load (fix what `validate` reports), so nothing was merged into it".to_string(),
                None,
            ));
            return file;
        };
        let mut editor = match Editor::new(&path, &text) {
            Ok(e) => e,
            Err(d) => {
                self.note(todo(
                    None,
                    "merge",
                    Some(path),
                    format!("not merged: {}", d.message),
                    None,
                ));
                return file;
            }
        };
        let mut added = Vec::new();
        if let Err(e) = edit(self, &mut editor, &mut added) {
            self.note(todo(None, "merge", Some(path), format!("not merged: {e}"), None));
            return file;
        }
        if editor.changed() {
            match editor.finish() {
                Ok(contents) => {
                    file.action = Action::Merge;
                    file.contents = contents;
                    file.added = added;
                }
                Err(e) => self.note(todo(None, "merge", Some(path), format!("not merged: {e}"), None)),
            }
        } else {
            file.action = Action::Unchanged;
        }
        file
    }

    pub(crate) fn product_file_out(&mut self, name: &str, owner: &str, p: &ProductDraft) -> ImportedFile {
        if let Some(path) = self.existing_file(Kind::Product, name) {
            return self.skip_or_merge(Kind::Product, name, path, |im, ed, added| {
                im.merge_product(name, p, ed, added)
            });
        }
        let mut environments = Map::new();
        for (env, up) in &p.upstreams {
            environments.insert(env.as_str().into(), json!({"upstream": up}));
        }
        let doc = json!({
            "apiVersion": "partnerctl/v1",
            "kind": "Product",
            "metadata": {"name": name, "owner": owner, "labels": {LABEL.0: LABEL.1}},
            "spec": {
                "displayName": title(name),
                "description": "Imported from Kong; describe the product for partners.",
                "lifecycle": "ga",
                "environments": environments,
                "endpoints": p.endpoints.iter().map(|(m, path)| json!({"method": m, "path": path})).collect::<Vec<_>>(),
                "plans": p.plans.iter().map(|(n, d)| plan_value(n, d)).collect::<Vec<_>>(),
            },
        });
        let comment = vec![format!(
            "Imported from {} (Kong services: {}).",
            p.source,
            p.services.iter().cloned().collect::<Vec<_>>().join(", ")
        )];
        ImportedFile {
            path: format!("products/{name}.yaml"),
            kind: Kind::Product,
            name: name.to_string(),
            contents: new_file(&comment, &doc),
            action: Action::Create,
            added: Vec::new(),
        }
    }

    pub(crate) fn merge_product(
        &mut self,
        name: &str,
        p: &ProductDraft,
        ed: &mut Editor,
        added: &mut Vec<String>,
    ) -> Result<(), EditError> {
        let Some(existing) = self.existing.products.get(name) else {
            return Ok(());
        };
        let file = Some(existing.file.clone());
        let value = ed.value().clone();
        for (env, up) in &p.upstreams {
            if existing.spec.environments.get(*env).is_none() {
                ed.insert("/spec/environments", env.as_str(), &json!({"upstream": up}))?;
                added.push(format!("environment {env} (upstream {up})"));
            }
        }
        // Endpoints compare by method and path with parameter names left out.
        let shape = |p: &str| {
            let mut out = String::new();
            let mut inside = false;
            for c in p.chars() {
                match c {
                    '{' => {
                        inside = true;
                        out.push('{');
                    }
                    '}' => inside = false,
                    c if !inside => out.push(c),
                    _ => {}
                }
            }
            out
        };
        for (m, path) in &p.endpoints {
            let known = existing
                .spec
                .endpoints
                .iter()
                .any(|e| e.method.as_str() == m && shape(&e.path) == shape(path));
            if !known && path != "/" {
                ed.push("/spec/endpoints", &json!({"method": m, "path": path}))?;
                added.push(format!("endpoint {m} {path}"));
            }
        }
        let plans = value
            .pointer("/spec/plans")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (plan, d) in &p.plans {
            match existing.spec.plans.iter().position(|x| x.name.0 == *plan) {
                None => {
                    ed.push("/spec/plans", &plan_value(plan, d))?;
                    added.push(format!("plan {plan}"));
                    if d.invented {
                        self.note(todo(
                            None,
                            "merged",
                            file.clone(),
                            format!("plan {plan} was made up by the import (the gateway sets no limit for this product) and merged into the product: set its real limits, or subscribe its partners to a plan of the program's"),
                            None,
                        ));
                    }
                }
                Some(i) => {
                    let spec = &existing.spec.plans[i];
                    if Limits::of_plan(spec) != Some(d.limits) {
                        self.note(todo(
                            None,
                            "difference",
                            file.clone(),
                            format!(
                                "plan {plan}: the gateway applies {}, the program says {}; left as the program says",
                                describe(&d.limits),
                                Limits::of_plan(spec).map(|l| describe(&l)).unwrap_or_default()
                            ),
                            None,
                        ));
                    }
                    let in_file = plans.get(i).and_then(|v| v.get("environments")).is_some();
                    for env in &d.environments {
                        if !spec.environments.contains(env) && in_file {
                            ed.push(&format!("/spec/plans/{i}/environments"), &json!(env.as_str()))?;
                            added.push(format!("environment {env} of plan {plan}"));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// A partner's file: merged into (or left as) an existing one, or a new document whose
    /// YAML is written later ([`PartnerOut::written`]), in parallel with the others'.
    pub(crate) fn partner_file_out(&mut self, name: &str, owner: &str, p: &PartnerDraft) -> PartnerOut {
        if let Some(path) = self.existing_file(Kind::Partner, name) {
            return PartnerOut::Done(self.skip_or_merge(Kind::Partner, name, path, |im, ed, added| {
                im.merge_partner(name, p, ed, added)
            }));
        }
        let envs: BTreeSet<Environment> = p
            .subscriptions
            .iter()
            .map(|(_, _, e)| *e)
            .chain(p.credentials.iter().map(|c| c.environment))
            .collect();
        let stage = if envs.contains(&Environment::Production) {
            "live"
        } else if envs.contains(&Environment::Sandbox) {
            "sandbox"
        } else {
            "registered"
        };
        let mut labels = Map::new();
        labels.insert(LABEL.0.into(), json!(LABEL.1));
        for (k, v) in &p.labels {
            labels.insert(k.clone(), json!(v));
        }
        for c in &p.credentials {
            if let Some((k, v)) = &c.label {
                labels.insert(k.clone(), json!(v));
            }
        }
        let doc = json!({
            "apiVersion": "partnerctl/v1",
            "kind": "Partner",
            "metadata": {"name": name, "owner": owner, "labels": labels},
            "spec": {
                "displayName": p.display,
                "listed": false,
                "stage": stage,
                "history": [{"stage": stage, "date": self.options.today.to_string()}],
                "agreements": [],
                "subscriptions": p.subscriptions.iter().map(|(pr, pl, e)| subscription_value(pr, pl, *e)).collect::<Vec<_>>(),
                "credentials": p.credentials.iter().map(credential_value).collect::<Vec<_>>(),
            },
        });
        let comment = vec![
            format!(
                "Imported from {} (a Kong consumer). The gateway does not know the",
                p.source
            ),
            "history and agreements: fill them in.".to_string(),
        ];
        PartnerOut::New {
            name: name.to_string(),
            comment,
            doc,
        }
    }

    pub(crate) fn merge_partner(
        &mut self,
        name: &str,
        p: &PartnerDraft,
        ed: &mut Editor,
        added: &mut Vec<String>,
    ) -> Result<(), EditError> {
        let Some(existing) = self.existing.partners.get(name) else {
            return Ok(());
        };
        let file = Some(existing.file.clone());
        let mut labels: Vec<(String, String)> = p.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (product, plan, env) in &p.subscriptions {
            match existing
                .spec
                .subscriptions
                .iter()
                .find(|s| s.product.0 == *product && s.environment == *env)
            {
                Some(s) if s.plan.0 != *plan => self.note(todo(None, "difference", file.clone(), format!("subscription to {product} in {env}: the gateway applies the limits of plan {plan}, the program says plan {}; left as the program says", s.plan), None)),
                Some(_) => {}
                None => {
                    ed.push("/spec/subscriptions", &subscription_value(product, plan, *env))?;
                    added.push(format!("subscription {product}/{plan} in {env}"));
                    if existing.stage().is_exit() {
                        self.note(todo(
                            None,
                            "merged",
                            file.clone(),
                            if existing.stage() == Stage::Offboarded {
                                format!("partner {name} is offboarded but the gateway still lets it call {product} ({plan}) in {env}; the merge copied that subscription, which `validate` reports (revoked-access): remove it, and the consumer from the gateway")
                            } else {
                                // A suspended partner keeps its subscriptions for its
                                // reinstatement (SPEC §15.5); its access is what must go.
                                format!("partner {name} is {} but the gateway still lets it call {product} ({plan}) in {env}; the merge copied that subscription, which a suspended partner may keep, but the program gives it no access: remove the consumer from the gateway", existing.stage())
                            },
                            None,
                        ));
                    }
                }
            }
        }
        for c in &p.credentials {
            match existing.spec.credentials.iter().find(|x| x.id.0 == c.id) {
                Some(x) if !x.is_live(self.options.today) => self.note(todo(None, "difference", file.clone(), format!("credential {} is revoked or expired in the program but still in the gateway; left as the program says (`partnerctl audit` reports it)", c.id), None)),
                Some(_) => {}
                None => {
                    ed.push("/spec/credentials", &credential_value(c))?;
                    added.push(format!("credential {} ({})", c.id, c.environment));
                    if existing.stage().is_exit() {
                        self.note(todo(
                            None,
                            "merged",
                            file.clone(),
                            format!("partner {name} is {} but the gateway still holds its credential {}; the merge copied it unrevoked, which `validate` reports (revoked-access): revoke it, and remove it from the gateway", existing.stage(), c.id),
                            None,
                        ));
                    }
                    if let Some(l) = &c.label {
                        labels.push(l.clone());
                    }
                }
            }
        }
        let missing: Vec<(String, String)> = labels
            .into_iter()
            .filter(|(k, _)| !existing.metadata.labels.contains_key(k))
            .collect();
        if !missing.is_empty() {
            if ed.value().pointer("/metadata/labels").is_some() {
                for (k, v) in &missing {
                    ed.insert("/metadata/labels", k, &json!(v))?;
                }
            } else {
                let map: Map<String, Value> = missing.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                ed.insert("/metadata", "labels", &Value::Object(map))?;
            }
            for (k, v) in &missing {
                added.push(format!("label {k}: {v}"));
            }
        }
        Ok(())
    }
}
