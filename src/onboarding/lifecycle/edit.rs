//! The edit of one partner's file: its stage and history, its subscriptions and its
//! acceptances, each made in place through the editor.

use super::command::{
    FileAction, FileChange, Method, Outcome, Refused, check_https, check_name, check_text, refuse, shown,
};
use crate::model::{Partner, Program, Terms};
use crate::source::yaml_edit::Editor;
use crate::spec::{Date, Environment, Stage};
use serde_json::{Map, Value, json};

/// The edit of one partner's file.
pub(super) struct PartnerEdit<'a> {
    pub(super) program: &'a Program,
    pub(super) partner: &'a Partner,
    pub(super) editor: Editor,
    pub(super) today: Date,
    pub(super) done: Vec<String>,
    /// The credential a command issued.
    pub(super) issued: Option<String>,
}

impl<'a> PartnerEdit<'a> {
    pub(super) fn open(program: &'a Program, partner: &'a Partner, today: Date) -> Result<PartnerEdit<'a>, Refused> {
        let Some(text) = program.snapshot.text(&partner.file) else {
            return refuse(format!("{} cannot be read as text", partner.file));
        };
        let editor = Editor::new(&partner.file, &text).map_err(|d| Refused(vec![d.message]))?;
        Ok(PartnerEdit {
            program,
            partner,
            editor,
            today,
            done: Vec::new(),
            issued: None,
        })
    }

    pub(super) fn name(&self) -> &str {
        &self.partner.name
    }

    pub(super) fn stage(&self) -> Stage {
        self.partner.spec.stage
    }

    pub(super) fn finish(self, out: &mut Outcome) -> Result<FileChange, Refused> {
        let path = self.partner.file.clone();
        let contents = self.editor.finish()?;
        out.done.extend(self.done);
        out.credential = self.issued;
        Ok(FileChange {
            path,
            action: FileAction::Update,
            contents,
        })
    }

    /// Sets the stage and appends its history entry.
    pub(super) fn set_stage(&mut self, to: Stage) -> Result<(), Refused> {
        let from = self.stage();
        self.editor.set("/spec/stage", &json!(to.as_str()))?;
        self.editor.push(
            "/spec/history",
            &json!({"stage": to.as_str(), "date": self.today.to_string()}),
        )?;
        self.done.push(format!(
            "moves {} from `{from}` to `{to}` (history entry dated {})",
            self.name(),
            self.today
        ));
        Ok(())
    }

    pub(super) fn move_to(&mut self, to: Stage) -> Result<(), Refused> {
        let from = self.stage();
        if from == to {
            return refuse(format!("{} is in `{to}` already", self.name()));
        }
        if from == Stage::Offboarded {
            return refuse(format!(
                "{} is offboarded: it left the program and does not come back (register it again to start over)",
                self.name()
            ));
        }
        match to {
            // The exits take every key with them, as `partner suspend` and `offboard` do.
            Stage::Suspended | Stage::Offboarded => return self.exit(to),
            _ if from == Stage::Suspended => {
                let back = self.stage_before_suspension();
                if back != Some(to) {
                    return refuse(format!(
                        "{} can only go back from `suspended` to the stage it had before: {}",
                        self.name(),
                        back.map(|s| format!("`{s}` (partner reinstate)"))
                            .unwrap_or("none is recorded".into())
                    ));
                }
                return self.reinstate();
            }
            _ => {}
        }
        if from.next() != Some(to) {
            return refuse(match from.next() {
                Some(next) => format!(
                    "{} is in `{from}`: the path moves one step at a time, so the next stage is `{next}`",
                    self.name()
                ),
                None => format!("{} is `{from}`, the end of the path", self.name()),
            });
        }
        self.set_stage(to)
    }

    /// The stage before the last move to `suspended`.
    pub(super) fn stage_before_suspension(&self) -> Option<Stage> {
        let h = &self.partner.spec.history;
        let i = h.iter().rposition(|e| e.stage == Stage::Suspended)?;
        h[..i].last().map(|e| e.stage)
    }

    /// `suspend` or `offboard`: the stage, every unrevoked credential revoked today, and for
    /// `offboard` every subscription removed.
    pub(super) fn exit(&mut self, to: Stage) -> Result<(), Refused> {
        let from = self.stage();
        if from == to || from == Stage::Offboarded {
            return refuse(format!("{} is `{from}` already", self.name()));
        }
        self.set_stage(to)?;
        self.revoke_all()?;
        if self.partner.spec.listed {
            // The directory lists partners customers can use (built-in rule listed-partner-live).
            self.editor.set("/spec/listed", &json!(false))?;
            self.done
                .push("takes it out of the public partner directory (listed: false)".to_string());
        }
        let subs = &self.partner.spec.subscriptions;
        if to == Stage::Offboarded {
            for i in (0..subs.len()).rev() {
                self.editor.remove(&format!("/spec/subscriptions/{i}"))?;
            }
            if !subs.is_empty() {
                self.done.push(format!("removes its {} subscription(s)", subs.len()));
            }
        } else if !subs.is_empty() {
            self.done.push(format!(
                "keeps its {} subscription(s): the gateways stop serving it while it is suspended, and `partner reinstate` with new credentials restores its access",
                subs.len()
            ));
        }
        Ok(())
    }

    pub(super) fn revoke_all(&mut self) -> Result<(), Refused> {
        let ids: Vec<String> = self
            .partner
            .spec
            .credentials
            .iter()
            .filter(|c| c.revoked.is_none_or(|r| r > self.today))
            .map(|c| c.id.0.clone())
            .collect();
        for id in ids {
            self.revoke(&id)?;
        }
        Ok(())
    }

    pub(super) fn reinstate(&mut self) -> Result<(), Refused> {
        if self.stage() != Stage::Suspended {
            return refuse(format!(
                "{} is `{}`, not suspended; only a suspended partner is reinstated",
                self.name(),
                self.stage()
            ));
        }
        let Some(back) = self.stage_before_suspension() else {
            return refuse(format!(
                "{}'s history records no stage before its suspension",
                self.name()
            ));
        };
        self.set_stage(back)?;
        if self
            .partner
            .spec
            .credentials
            .iter()
            .any(|c| c.environment.required_stage() <= back)
        {
            self.done
                .push("its credentials stay revoked: issue new ones with `partnerctl credential issue`".to_string());
        }
        Ok(())
    }

    pub(super) fn product_plan(&self, product: &str, plan: &str, env: Environment) -> Result<(), Refused> {
        check_name("product", product)?;
        check_name("plan", plan)?;
        let Some(p) = self.program.product(product) else {
            let known: Vec<&str> = self.program.products.keys().map(String::as_str).collect();
            return refuse(format!(
                "there is no product `{product}`; the products are {}",
                known.join(", ")
            ));
        };
        let Some(pl) = p.spec.plans.iter().find(|pl| pl.name.0 == plan) else {
            let known: Vec<&str> = p.spec.plans.iter().map(|pl| pl.name.0.as_str()).collect();
            return refuse(format!(
                "{product} has no plan `{plan}`; its plans are {}",
                known.join(", ")
            ));
        };
        if !pl.environments.contains(&env) {
            let offered: Vec<&str> = pl.environments.iter().map(|e| e.as_str()).collect();
            return refuse(format!(
                "plan {product}/{plan} is not offered in {env}; it is offered in {}",
                offered.join(", ")
            ));
        }
        Ok(())
    }

    pub(super) fn subscribe(&mut self, product: &str, plan: &str, env: Environment) -> Result<(), Refused> {
        self.product_plan(product, plan, env)?;
        let subs = &self.partner.spec.subscriptions;
        if let Some(i) = subs.iter().position(|s| s.product.0 == product && s.environment == env) {
            if subs[i].plan.0 == plan {
                return refuse(format!(
                    "{} is subscribed to {product}/{plan} in {env} already",
                    self.name()
                ));
            }
            // One plan per product and environment: a new plan replaces the one held.
            self.editor
                .set(&format!("/spec/subscriptions/{i}/plan"), &json!(plan))?;
            self.done.push(format!(
                "moves {}'s {product} subscription in {env} from plan {} to {plan}",
                self.name(),
                subs[i].plan
            ));
            return Ok(());
        }
        self.editor.push(
            "/spec/subscriptions",
            &json!({"product": product, "plan": plan, "environment": env.as_str()}),
        )?;
        self.done
            .push(format!("subscribes {} to {product}/{plan} in {env}", self.name()));
        Ok(())
    }

    pub(super) fn unsubscribe(&mut self, product: &str, plan: &str, env: Environment) -> Result<(), Refused> {
        check_name("product", product)?;
        check_name("plan", plan)?;
        let subs = &self.partner.spec.subscriptions;
        let Some(i) = subs
            .iter()
            .position(|s| s.product.0 == product && s.plan.0 == plan && s.environment == env)
        else {
            return refuse(format!(
                "{} has no subscription to {product}/{plan} in {env}",
                self.name()
            ));
        };
        self.editor.remove(&format!("/spec/subscriptions/{i}"))?;
        self.done.push(format!(
            "removes {}'s subscription to {product}/{plan} in {env}",
            self.name()
        ));
        Ok(())
    }

    pub(super) fn accept(
        &mut self,
        terms: &str,
        version: &str,
        signed_by: &str,
        method: Option<Method>,
        evidence: Option<&str>,
    ) -> Result<(), Refused> {
        check_name("terms", terms)?;
        check_text("--signed-by", signed_by)?;
        if let Some(url) = evidence {
            check_https("--evidence", url)?;
        }
        let Some(t) = self.program.terms.get(terms) else {
            return refuse(format!("there are no terms `{terms}`"));
        };
        let Some(v) = t.version(version) else {
            let known: Vec<&str> = t.spec.versions.iter().map(|v| v.version.as_str()).collect();
            return refuse(format!(
                "{terms} has no version `{}`; its versions are {}",
                shown(version),
                known.join(", ")
            ));
        };
        if !Terms::is_published(v, self.today) {
            return refuse(format!(
                "{terms} {version} takes effect on {}; it cannot be accepted before",
                v.effective
            ));
        }
        if self
            .partner
            .spec
            .agreements
            .iter()
            .any(|a| a.terms.0 == terms && a.version == version)
        {
            return refuse(format!("{} has accepted {terms} {version} already", self.name()));
        }
        let Some(sha) = Terms::text_sha256(v, self.program) else {
            return refuse(format!(
                "the text of {terms} {version} ({}) is missing, so there is nothing to accept",
                Terms::text_path(v)
            ));
        };
        let mut a = Map::new();
        a.insert("terms".into(), json!(terms));
        a.insert("version".into(), json!(version));
        a.insert("acceptedOn".into(), json!(self.today.to_string()));
        a.insert("signedBy".into(), json!(signed_by));
        a.insert("textSha256".into(), json!(sha));
        if let Some(m) = method {
            a.insert("method".into(), json!(m.as_str()));
        }
        if let Some(url) = evidence {
            a.insert("evidence".into(), json!(url));
        }
        self.editor.push("/spec/agreements", &Value::Object(a))?;
        self.done.push(format!(
            "records {}'s acceptance of {terms} {version} (text SHA-256 {sha}), signed by {}",
            self.name(),
            shown(signed_by)
        ));
        Ok(())
    }
}
