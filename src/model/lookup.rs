//! Following references in the resolved program: partner → product → plan, partner → terms →
//! the version accepted, terms → the version current on a date.

use super::{Partner, Product, Program, Terms};
use crate::spec::{AgreementSpec, Date, Environment, Kind, PlanSpec, ProgramSpec, Stage, TermsType, TermsVersionSpec};

/// Days after which a partner counts as active when the program does not say.
pub const DEFAULT_ACTIVE_WITHIN_DAYS: u32 = 30;

impl Program {
    /// A document of the program as JSON in the order it is written, read again from its file
    /// (the model keeps documents in key order, see [`super::raw`]). `None` when the file is
    /// not in the program or does not parse.
    pub fn json_of(&self, file: &str) -> Option<serde_json::Value> {
        let bytes = self.snapshot.bytes(file)?;
        crate::source::yaml::parse(file, &bytes).ok().map(|d| d.value)
    }

    /// The Program spec, when `program.yaml` loaded.
    pub fn spec(&self) -> Option<&ProgramSpec> {
        self.program.as_ref().map(|p| &*p.spec)
    }

    /// The program's name (`metadata.name` of program.yaml), or `program`.
    pub fn name(&self) -> &str {
        self.program.as_ref().map(|p| p.name.as_str()).unwrap_or("program")
    }

    /// Whether a resource of this kind and name exists, even if it could not be typed.
    pub fn is_known(&self, kind: Kind, name: &str) -> bool {
        let typed = match kind {
            Kind::Program => self.program.as_ref().is_some_and(|p| p.name == name),
            Kind::Product => self.products.contains_key(name),
            Kind::Terms => self.terms.contains_key(name),
            Kind::Partner => self.partners.contains_key(name),
        };
        typed || self.unloadable.contains(&(kind, name.to_string()))
    }

    /// Whether a team is declared in program.yaml (true when program.yaml did not load, so
    /// that one broken file does not turn every owner into a finding).
    pub fn has_team(&self, team: &str) -> bool {
        match self.spec() {
            Some(p) => p.teams.keys().any(|t| t.0 == team),
            None => true,
        }
    }

    pub fn product(&self, name: &str) -> Option<&Product> {
        self.products.get(name)
    }

    pub fn plan(&self, product: &str, plan: &str) -> Option<&PlanSpec> {
        self.product(product)?.spec.plans.iter().find(|p| p.name.0 == plan)
    }

    /// The program's `requiredTerms`.
    pub fn required_terms(&self) -> &[crate::spec::Name] {
        self.spec().map(|p| p.required_terms.as_slice()).unwrap_or(&[])
    }

    /// `activeWithinDays`, or its default.
    pub fn active_within_days(&self) -> u32 {
        self.spec()
            .and_then(|p| p.active_within_days)
            .unwrap_or(DEFAULT_ACTIVE_WITHIN_DAYS)
    }

    /// `stuckAfterDays` for a stage, if set.
    pub fn stuck_after_days(&self, stage: Stage) -> Option<u32> {
        self.spec()
            .and_then(|p| p.stages.get(stage))
            .map(|s| s.stuck_after_days)
    }

    /// The owning team of a partner, product or terms resource.
    pub fn owner_of(&self, kind: Kind, name: &str) -> Option<&str> {
        match kind {
            Kind::Program => self.program.as_ref().and_then(|p| p.owner()),
            Kind::Product => self.products.get(name).and_then(|r| r.owner()),
            Kind::Terms => self.terms.get(name).and_then(|r| r.owner()),
            Kind::Partner => self.partners.get(name).and_then(|r| r.owner()),
        }
    }

    /// The partner that owns a credential id.
    pub fn credential_owner(&self, id: &str) -> Option<(&Partner, &crate::spec::CredentialSpec)> {
        self.partners
            .values()
            .find_map(|p| p.spec.credentials.iter().find(|c| c.id.0 == id).map(|c| (p, c)))
    }
}

impl Terms {
    /// The version in force on `today`: the last whose effective date is on or before it.
    pub fn current(&self, today: Date) -> Option<&TermsVersionSpec> {
        self.spec.versions.iter().rev().find(|v| v.effective <= today)
    }

    /// The index of a version string in the version list (older versions have smaller indices).
    pub fn version_index(&self, version: &str) -> Option<usize> {
        self.spec.versions.iter().position(|v| v.version == version)
    }

    pub fn version(&self, version: &str) -> Option<&TermsVersionSpec> {
        self.spec.versions.iter().find(|v| v.version == version)
    }

    /// Whether the version has taken effect on `today` (and so may never change again).
    pub fn is_published(v: &TermsVersionSpec, today: Date) -> bool {
        v.effective <= today
    }

    pub fn is_data_sharing(&self) -> bool {
        self.spec.kind == TermsType::DataSharing
    }

    /// The path of a version's text inside the repository (`terms/<file>`).
    pub fn text_path(v: &TermsVersionSpec) -> String {
        format!("terms/{}", v.file)
    }

    /// The SHA-256 of a version's text file as published, in lower-case hex (SPEC §15.4):
    /// what an acceptance's `textSha256` must be. `None` when the file is not in the program.
    pub fn text_sha256(v: &TermsVersionSpec, program: &Program) -> Option<String> {
        use sha2::{Digest, Sha256};
        let bytes = program.snapshot.bytes(&Terms::text_path(v))?;
        Some(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
    }
}

impl Partner {
    pub fn stage(&self) -> Stage {
        self.spec.stage
    }

    /// The partner's newest acceptance of a terms: the agreement with the latest version
    /// (by the terms' own version order), ties and unknown versions broken by date.
    pub fn accepted<'a>(&'a self, terms: &str, program: &Program) -> Option<(usize, &'a AgreementSpec)> {
        let t = program.terms.get(terms);
        self.spec
            .agreements
            .iter()
            .enumerate()
            .filter(|(_, a)| a.terms.0 == terms)
            .max_by_key(|(_, a)| (t.and_then(|t| t.version_index(&a.version)), a.accepted_on))
    }

    /// Whether the partner has any subscription or live credential in `env`.
    pub fn has_access(&self, env: Environment, today: Date) -> bool {
        self.spec.subscriptions.iter().any(|s| s.environment == env)
            || self
                .spec
                .credentials
                .iter()
                .any(|c| c.environment == env && c.is_live(today))
    }

    /// The date the partner entered its current stage (the last history entry).
    pub fn stage_since(&self) -> Option<Date> {
        self.spec.history.last().map(|h| h.date)
    }

    /// The first date the partner reached a stage, if it did.
    pub fn reached(&self, stage: Stage) -> Option<Date> {
        self.spec.history.iter().find(|h| h.stage == stage).map(|h| h.date)
    }
}
