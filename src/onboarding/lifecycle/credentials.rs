//! Credentials: the next id, a new credential, a rotation and a revocation, each made in
//! place in the partner's file. A credential only names where its key is kept.

use super::command::{Refused, check_secret_ref, refuse, shown};
use super::edit::PartnerEdit;
use crate::spec::{Date, Environment};
use serde_json::{Map, Value, json};

impl PartnerEdit<'_> {
    /// The next free credential id for `env`: the partner's own prefix and the next number
    /// (`acme-sbx-3` after `acme-sbx-2`), or `<partner>-sbx-1` for its first.
    pub(super) fn next_id(&self, env: Environment) -> String {
        let tag = match env {
            Environment::Sandbox => "sbx",
            Environment::Production => "prd",
        };
        let re = regex::Regex::new(r"^(.+)-(sbx|prd)-([0-9]{1,9})$").expect("a valid pattern");
        let mut prefix: Option<String> = None;
        let mut highest = 0u64;
        for c in &self.partner.spec.credentials {
            if let Some(m) = re.captures(&c.id.0) {
                prefix = Some(m[1].to_string());
                if &m[2] == tag {
                    highest = highest.max(m[3].parse().unwrap_or(0));
                }
            }
        }
        let prefix = prefix.unwrap_or_else(|| self.name().to_string());
        let taken = |id: &str| self.program.credential_owner(id).is_some();
        let mut n = highest + 1;
        loop {
            let suffix = format!("-{tag}-{n}");
            let room = 63usize.saturating_sub(suffix.len());
            let head: String = prefix.chars().take(room).collect();
            let id = format!("{}{suffix}", head.trim_end_matches('-'));
            if !taken(&id) {
                return id;
            }
            n += 1;
        }
    }

    pub(super) fn push_credential(
        &mut self,
        env: Environment,
        expires: Option<Date>,
        secret_ref: &str,
    ) -> Result<String, Refused> {
        check_secret_ref(secret_ref)?;
        if let Some(e) = expires
            && e <= self.today
        {
            return refuse(format!("--expires {e} is not after today ({})", self.today));
        }
        let id = self.next_id(env);
        let mut c = Map::new();
        c.insert("id".into(), json!(id));
        c.insert("environment".into(), json!(env.as_str()));
        c.insert("created".into(), json!(self.today.to_string()));
        if let Some(e) = expires {
            c.insert("expires".into(), json!(e.to_string()));
        }
        c.insert("secretRef".into(), json!(secret_ref));
        self.editor.push("/spec/credentials", &Value::Object(c))?;
        self.issued = Some(id.clone());
        Ok(id)
    }

    pub(super) fn issue(&mut self, env: Environment, expires: Option<Date>, secret_ref: &str) -> Result<(), Refused> {
        let id = self.push_credential(env, expires, secret_ref)?;
        self.done.push(format!(
            "issues credential {id} to {} for {env}{}",
            self.name(),
            expires.map(|e| format!(", expiring {e}")).unwrap_or_default()
        ));
        Ok(())
    }

    pub(super) fn credential_index(&self, id: &str) -> Result<usize, Refused> {
        match self.partner.spec.credentials.iter().position(|c| c.id.0 == id) {
            Some(i) => Ok(i),
            None => refuse(format!("{} holds no credential `{}`", self.name(), shown(id))),
        }
    }

    pub(super) fn revoke(&mut self, id: &str) -> Result<(), Refused> {
        let i = self.credential_index(id)?;
        let c = &self.partner.spec.credentials[i];
        let today = json!(self.today.to_string());
        match c.revoked {
            Some(r) if r <= self.today => return refuse(format!("credential {id} was revoked on {r} already")),
            // A revocation planned for later is brought forward to today.
            Some(_) => self.editor.set(&format!("/spec/credentials/{i}/revoked"), &today)?,
            None => self
                .editor
                .insert(&format!("/spec/credentials/{i}"), "revoked", &today)?,
        }
        self.done.push(format!(
            "revokes credential {id} ({}) as of {}; revoke the key in the secret store too",
            c.environment, self.today
        ));
        Ok(())
    }

    pub(super) fn rotate(&mut self, id: &str, secret_ref: &str, expires: Option<Date>) -> Result<(), Refused> {
        let i = self.credential_index(id)?;
        let old = &self.partner.spec.credentials[i];
        if old.revoked.is_some_and(|r| r <= self.today) {
            return refuse(format!(
                "credential {id} is revoked; issue a new one with `credential issue`"
            ));
        }
        // The new key lives as long as the old one was meant to.
        let expires = expires.or_else(|| {
            old.expires
                .map(|e| Date(self.today.0 + chrono::Duration::days(old.created.days_until(e).max(1))))
        });
        let env = old.environment;
        let new = self.push_credential(env, expires, secret_ref)?;
        self.done.push(format!(
            "issues credential {new} for {env}{} in place of {id}",
            expires.map(|e| format!(", expiring {e}")).unwrap_or_default()
        ));
        self.revoke(id)
    }
}
