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

mod command;
mod credentials;
mod edit;

pub use command::{Command, FileAction, FileChange, Finding, MAX_REF, MAX_TEXT, Method, Outcome};

use crate::diag::Diagnostic;
use crate::encode::yaml::scalar;
use crate::model::Program;
use crate::source::{Entry, Snapshot};
use crate::spec::{Date, Stage};
use command::{Refused, check_name, check_text, refuse, shown};
use edit::PartnerEdit;

/// Runs a command on the program read into `snapshot`, as of `today`, with the applied
/// state when there is one. Nothing is written:
/// the caller writes [`Outcome::files`] when [`Outcome::ok`].
pub fn run(snapshot: Snapshot, applied: Option<&Snapshot>, command: &Command, today: Date) -> Outcome {
    // As `validate` does: findings made against the applied state too, when the program
    // asks for them (acceptance-evidence).
    let check = |snapshot: Snapshot| {
        let mut v = crate::validate_snapshot(snapshot, today);
        if let Some(a) = applied
            && v.needs_applied_state()
        {
            v.check_against_applied(a.clone(), today);
        }
        v
    };
    let before = check(snapshot);
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
    let after = check(edited);
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
