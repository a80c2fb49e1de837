//! The lifecycle commands of SPEC §15.5: `partner new|move|suspend|offboard|reinstate|
//! subscribe|unsubscribe|accept` and `credential issue|rotate|revoke`.
//!
//! Each takes the program as read ([`Snapshot`]), works out the edit of one file, makes it
//! through [`Editor`] (comments, key order and layout kept; a new file written through the
//! YAML encoder), and validates the edited program in memory with the same rules as
//! `validate`. The [`Outcome`] holds the new file only when the edited program has no error:
//! otherwise it holds the reasons and findings, and nothing is to be written. History entries
//! are dated `today` (the `--as-of` date).
//!
//! Every argument is untrusted: names are checked against the name pattern before they
//! become paths, text reaches the file only through the encoder, and a `--secret-ref` that
//! looks like a secret itself is refused without being repeated.

use crate::diag::{Diagnostic, Severity};
use crate::encode::yaml::scalar;
use crate::model::{Partner, Program, Terms};
use crate::source::yaml_edit::{EditError, Editor};
use crate::source::{Entry, Snapshot};
use crate::spec::{Date, Environment, Stage};
use serde_json::{Map, Value, json};

/// The longest text a command writes into a one-line field (`--display-name`,
/// `--signed-by`); a reference or URL may be longer.
pub const MAX_TEXT: usize = 256;
/// The longest `--secret-ref` or `--evidence`.
pub const MAX_REF: usize = 2048;

/// How an acceptance was given (`agreements[].method`, SPEC §15.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    ClickThrough,
    IssueForm,
    ESignature,
    Countersigned,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::ClickThrough => "click-through",
            Method::IssueForm => "issue-form",
            Method::ESignature => "e-signature",
            Method::Countersigned => "countersigned",
        }
    }
}

/// One lifecycle command and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    New {
        name: String,
        display_name: String,
        owner: Option<String>,
    },
    Move {
        partner: String,
        to: Stage,
    },
    Suspend {
        partner: String,
    },
    Offboard {
        partner: String,
    },
    Reinstate {
        partner: String,
    },
    Subscribe {
        partner: String,
        product: String,
        plan: String,
        environment: Environment,
    },
    Unsubscribe {
        partner: String,
        product: String,
        plan: String,
        environment: Environment,
    },
    Accept {
        partner: String,
        terms: String,
        version: String,
        signed_by: String,
        method: Option<Method>,
        evidence: Option<String>,
    },
    Issue {
        partner: String,
        environment: Environment,
        expires: Option<Date>,
        secret_ref: String,
    },
    Rotate {
        id: String,
        secret_ref: String,
        expires: Option<Date>,
    },
    Revoke {
        id: String,
    },
}

impl Command {
    /// The command as typed: `partner suspend`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::New { .. } => "partner new",
            Command::Move { .. } => "partner move",
            Command::Suspend { .. } => "partner suspend",
            Command::Offboard { .. } => "partner offboard",
            Command::Reinstate { .. } => "partner reinstate",
            Command::Subscribe { .. } => "partner subscribe",
            Command::Unsubscribe { .. } => "partner unsubscribe",
            Command::Accept { .. } => "partner accept",
            Command::Issue { .. } => "credential issue",
            Command::Rotate { .. } => "credential rotate",
            Command::Revoke { .. } => "credential revoke",
        }
    }
}

/// Whether a file is created or edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAction {
    Create,
    Update,
}

impl FileAction {
    pub fn as_str(self) -> &'static str {
        match self {
            FileAction::Create => "create",
            FileAction::Update => "update",
        }
    }
}

/// A file the command writes.
#[derive(Clone, Debug)]
pub struct FileChange {
    /// Relative to the repository root.
    pub path: String,
    pub action: FileAction,
    pub contents: String,
}

/// A finding of `validate` on the edited program, and whether the program had it already.
#[derive(Clone, Debug)]
pub struct Finding {
    pub diagnostic: Diagnostic,
    /// The program as read had the same finding: the change did not cause it.
    pub before: bool,
}

/// What a command did, or why it did nothing.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The partner the command is about, once known.
    pub partner: Option<String>,
    /// The files to write; empty when refused.
    pub files: Vec<FileChange>,
    /// What the change does, one sentence each.
    pub done: Vec<String>,
    /// Why the command was refused before any edit, one sentence each.
    pub reasons: Vec<String>,
    /// `validate` on the edited program: errors refuse the change, warnings are shown.
    pub findings: Vec<Finding>,
}

impl Outcome {
    /// Whether the change may be written.
    pub fn ok(&self) -> bool {
        self.reasons.is_empty() && !self.findings.iter().any(|f| f.diagnostic.severity == Severity::Error)
    }
}

/// A refusal of the command before any edit.
struct Refused(Vec<String>);

impl From<EditError> for Refused {
    fn from(e: EditError) -> Refused {
        Refused(vec![e.to_string()])
    }
}

fn refuse<T>(why: impl Into<String>) -> Result<T, Refused> {
    Err(Refused(vec![why.into()]))
}

/// Runs a command on the program read into `snapshot`, as of `today`. Nothing is written:
/// the caller writes [`Outcome::files`] when [`Outcome::ok`].
pub fn run(snapshot: Snapshot, command: &Command, today: Date) -> Outcome {
    let before = crate::validate_snapshot(snapshot, today);
    let mut out = Outcome::default();
    let edit = match plan(&before.program, command, today, &mut out) {
        Ok(edit) => edit,
        Err(Refused(reasons)) => {
            out.reasons = reasons;
            return out;
        }
    };
    let mut edited = before.program.snapshot.clone();
    edited.insert(edit.path.clone(), Entry::Bytes(edit.contents.as_bytes().into()));
    let after = crate::validate_snapshot(edited, today);
    let key = |d: &Diagnostic| (d.code, d.file.clone(), d.message.clone());
    let had: std::collections::HashSet<_> = before.diagnostics.iter().map(key).collect();
    out.findings = after
        .diagnostics
        .into_iter()
        .map(|d| Finding {
            before: had.contains(&key(&d)),
            diagnostic: d,
        })
        .collect();
    if out.ok() {
        out.files.push(edit);
    }
    out
}

/// The one file a command changes, with what it does recorded in `out.done`.
fn plan(program: &Program, command: &Command, today: Date, out: &mut Outcome) -> Result<FileChange, Refused> {
    match command {
        Command::New {
            name,
            display_name,
            owner,
        } => {
            out.partner = Some(name.clone());
            new_partner(program, name, display_name, owner.as_deref(), today, out)
        }
        Command::Rotate { id, .. } | Command::Revoke { id } => {
            let Some((partner, _)) = program.credential_owner(id) else {
                return refuse(format!("no partner holds a credential `{}`", shown(id)));
            };
            out.partner = Some(partner.name.clone());
            let mut e = PartnerEdit::open(program, partner, today)?;
            match command {
                Command::Rotate {
                    secret_ref, expires, ..
                } => e.rotate(id, secret_ref, *expires)?,
                _ => e.revoke(id)?,
            }
            e.finish(out)
        }
        Command::Move { partner, .. }
        | Command::Suspend { partner }
        | Command::Offboard { partner }
        | Command::Reinstate { partner }
        | Command::Subscribe { partner, .. }
        | Command::Unsubscribe { partner, .. }
        | Command::Accept { partner, .. }
        | Command::Issue { partner, .. } => {
            check_name("partner", partner)?;
            let Some(p) = program.partners.get(partner.as_str()) else {
                return refuse(if program.is_known(crate::spec::Kind::Partner, partner) {
                    format!("the file of partner {partner} does not load; fix what `partnerctl validate` reports first")
                } else {
                    format!("there is no partner `{partner}`")
                });
            };
            out.partner = Some(partner.clone());
            let mut e = PartnerEdit::open(program, p, today)?;
            match command {
                Command::Move { to, .. } => e.move_to(*to)?,
                Command::Suspend { .. } => e.exit(Stage::Suspended)?,
                Command::Offboard { .. } => e.exit(Stage::Offboarded)?,
                Command::Reinstate { .. } => e.reinstate()?,
                Command::Subscribe {
                    product,
                    plan,
                    environment,
                    ..
                } => e.subscribe(product, plan, *environment)?,
                Command::Unsubscribe {
                    product,
                    plan,
                    environment,
                    ..
                } => e.unsubscribe(product, plan, *environment)?,
                Command::Accept {
                    terms,
                    version,
                    signed_by,
                    method,
                    evidence,
                    ..
                } => e.accept(terms, version, signed_by, *method, evidence.as_deref())?,
                Command::Issue {
                    environment,
                    expires,
                    secret_ref,
                    ..
                } => e.issue(*environment, *expires, secret_ref)?,
                _ => unreachable!("the partner commands are matched above"),
            }
            e.finish(out)
        }
    }
}

/// A value as it may be shown in a message: escaped, and cut short.
fn shown(s: &str) -> String {
    let cut: String = s.chars().take(80).collect();
    let mut t = crate::encode::text::escape(&cut).into_owned();
    if cut.len() < s.len() {
        t.push('…');
    }
    t
}

fn check_name(what: &str, name: &str) -> Result<(), Refused> {
    if crate::source::paths::is_valid_folder_name(name) {
        Ok(())
    } else {
        refuse(format!(
            "`{}` is not a valid {what} name: lower-case letters, digits and dashes, at most 63, starting and ending with a letter or digit",
            shown(name)
        ))
    }
}

/// One line of text for a field: no control character, no line break, not too long.
fn check_text(flag: &str, text: &str) -> Result<(), Refused> {
    if text.trim().is_empty() {
        return refuse(format!("{flag} is empty"));
    }
    if text.chars().count() > MAX_TEXT {
        return refuse(format!("{flag} is longer than {MAX_TEXT} characters"));
    }
    if text
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return refuse(format!(
            "{flag} holds a line break or control character; it is one line of text"
        ));
    }
    Ok(())
}

/// A `secretRef`: a URL-like reference (`vault://…`), never a secret itself.
fn check_secret_ref(secret_ref: &str) -> Result<(), Refused> {
    if secret_ref.len() > MAX_REF {
        return refuse(format!("--secret-ref is longer than {MAX_REF} characters"));
    }
    // The value is never repeated: it may be the very key it should only point at.
    if let Some(what) = crate::model::secrets::looks_like_secret(secret_ref) {
        return refuse(format!(
            "--secret-ref looks like {what}, not a reference to one; pass where the key is kept (`vault://partners/<partner>/<id>`), never the key, and rotate the key if it was real"
        ));
    }
    let re = regex::Regex::new(r"^[a-z][a-z0-9+.-]*://\S+$").expect("a valid pattern");
    if !re.is_match(secret_ref) || secret_ref.chars().any(char::is_control) {
        return refuse(
            "--secret-ref is not a reference like `vault://partners/<partner>/<id>` (a scheme, `://`, no spaces)",
        );
    }
    Ok(())
}

fn check_https(flag: &str, url: &str) -> Result<(), Refused> {
    let re = regex::Regex::new(crate::spec::URL_PATTERN).expect("a valid pattern");
    if url.len() > MAX_REF || !re.is_match(url) || !url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://")) {
        return refuse(format!("{flag} is not an https:// URL"));
    }
    if crate::model::secrets::looks_like_secret(url).is_some() {
        return refuse(format!(
            "{flag} carries what looks like a key or token; link to the evidence without it"
        ));
    }
    Ok(())
}

/// `partner new`: a new file `partners/<name>.yaml` at stage `registered`.
fn new_partner(
    program: &Program,
    name: &str,
    display_name: &str,
    owner: Option<&str>,
    today: Date,
    out: &mut Outcome,
) -> Result<FileChange, Refused> {
    let mut reasons = Vec::new();
    if let Err(Refused(r)) = check_name("partner", name) {
        reasons.extend(r);
    }
    if let Err(Refused(r)) = check_text("--display-name", display_name) {
        reasons.extend(r);
    }
    let owner = owner.or_else(|| program.program.as_ref().and_then(|p| p.owner()));
    if let Some(o) = owner
        && !program.has_team(o)
    {
        reasons.push(format!("--owner `{}` is not a team of program.yaml", shown(o)));
    }
    if !reasons.is_empty() {
        return Err(Refused(reasons));
    }
    let path = format!("partners/{name}.yaml");
    if program.is_known(crate::spec::Kind::Partner, name) {
        return refuse(format!("the name {name} is taken: a partner of that name exists"));
    }
    if program.snapshot.contains(&path) || program.snapshot.contains(&format!("partners/{name}.yml")) {
        return refuse(format!("{path} exists already"));
    }
    let mut text = String::from("apiVersion: partnerctl/v1\nkind: Partner\nmetadata:\n");
    text.push_str(&format!("  name: {}\n", scalar(name)));
    if let Some(o) = owner {
        text.push_str(&format!("  owner: {}\n", scalar(o)));
    }
    text.push_str("spec:\n");
    text.push_str(&format!("  displayName: {}\n", scalar(display_name)));
    text.push_str("  listed: false\n  stage: registered\n  history:\n");
    text.push_str(&format!("    - {{stage: registered, date: {today}}}\n"));
    out.done.push(format!(
        "registers {name} ({}) at `registered`{}",
        shown(display_name),
        owner.map(|o| format!(", owned by {o}")).unwrap_or_default()
    ));
    Ok(FileChange {
        path,
        action: FileAction::Create,
        contents: text,
    })
}

/// The edit of one partner's file.
struct PartnerEdit<'a> {
    program: &'a Program,
    partner: &'a Partner,
    editor: Editor,
    today: Date,
    done: Vec<String>,
}

impl<'a> PartnerEdit<'a> {
    fn open(program: &'a Program, partner: &'a Partner, today: Date) -> Result<PartnerEdit<'a>, Refused> {
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
        })
    }

    fn name(&self) -> &str {
        &self.partner.name
    }

    fn stage(&self) -> Stage {
        self.partner.spec.stage
    }

    fn finish(self, out: &mut Outcome) -> Result<FileChange, Refused> {
        let path = self.partner.file.clone();
        let contents = self.editor.finish()?;
        out.done.extend(self.done);
        Ok(FileChange {
            path,
            action: FileAction::Update,
            contents,
        })
    }

    /// Sets the stage and appends its history entry.
    fn set_stage(&mut self, to: Stage) -> Result<(), Refused> {
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

    fn move_to(&mut self, to: Stage) -> Result<(), Refused> {
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
    fn stage_before_suspension(&self) -> Option<Stage> {
        let h = &self.partner.spec.history;
        let i = h.iter().rposition(|e| e.stage == Stage::Suspended)?;
        h[..i].last().map(|e| e.stage)
    }

    /// `suspend` or `offboard`: the stage, every unrevoked credential revoked today, and for
    /// `offboard` every subscription removed.
    fn exit(&mut self, to: Stage) -> Result<(), Refused> {
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

    fn revoke_all(&mut self) -> Result<(), Refused> {
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

    fn reinstate(&mut self) -> Result<(), Refused> {
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

    fn product_plan(&self, product: &str, plan: &str, env: Environment) -> Result<(), Refused> {
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

    fn subscribe(&mut self, product: &str, plan: &str, env: Environment) -> Result<(), Refused> {
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

    fn unsubscribe(&mut self, product: &str, plan: &str, env: Environment) -> Result<(), Refused> {
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

    fn accept(
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

    /// The next free credential id for `env`: the partner's own prefix and the next number
    /// (`acme-sbx-3` after `acme-sbx-2`), or `<partner>-sbx-1` for its first.
    fn next_id(&self, env: Environment) -> String {
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

    fn push_credential(
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
        Ok(id)
    }

    fn issue(&mut self, env: Environment, expires: Option<Date>, secret_ref: &str) -> Result<(), Refused> {
        let id = self.push_credential(env, expires, secret_ref)?;
        self.done.push(format!(
            "issues credential {id} to {} for {env}{}",
            self.name(),
            expires.map(|e| format!(", expiring {e}")).unwrap_or_default()
        ));
        Ok(())
    }

    fn credential_index(&self, id: &str) -> Result<usize, Refused> {
        match self.partner.spec.credentials.iter().position(|c| c.id.0 == id) {
            Some(i) => Ok(i),
            None => refuse(format!("{} holds no credential `{}`", self.name(), shown(id))),
        }
    }

    fn revoke(&mut self, id: &str) -> Result<(), Refused> {
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

    fn rotate(&mut self, id: &str, secret_ref: &str, expires: Option<Date>) -> Result<(), Refused> {
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
