//! `partnerctl partner …` and `partnerctl credential …`: the lifecycle commands of SPEC
//! §15.5, which edit the working tree in place (see `onboarding::lifecycle`). Text and JSON.

use super::import::EnvArg;
use super::{Common, EXIT_FINDINGS, EXIT_OK, Format};
use clap::Subcommand;
use partnerctl::encode::text;
use partnerctl::onboarding::lifecycle::{self, Command, Method, Outcome};
use partnerctl::spec::{Date, Stage};
use serde_json::json;
use std::io::Write;

/// What every lifecycle command takes besides its own arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct WriteArgs {
    /// Show what the change would do, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Subcommand, Debug)]
pub enum PartnerCommand {
    /// A new partner at `registered`, in partners/NAME.yaml.
    New {
        /// The partner's name (lower-case letters, digits, dashes); also its file name.
        name: String,
        /// The name shown in the portal's directory.
        #[arg(long, value_name = "TEXT")]
        display_name: String,
        /// The owning team (default: the program's owner).
        #[arg(long, value_name = "TEAM")]
        owner: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// One step along the path, to `suspended` or `offboarded`, or back from `suspended`.
    Move {
        name: String,
        /// The stage to move to.
        #[arg(long, value_name = "STAGE", value_parser = parse_stage)]
        to: Stage,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Suspend: every unrevoked credential revoked today; the subscriptions stay.
    Suspend {
        name: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Offboard: every unrevoked credential revoked today and every subscription removed.
    Offboard {
        name: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Back from `suspended` to the stage before it.
    Reinstate {
        name: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Subscribe to a product's plan in an environment (a new plan replaces the one held).
    Subscribe {
        name: String,
        product: String,
        plan: String,
        #[arg(long, value_enum, value_name = "ENV")]
        env: EnvArg,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Remove a subscription.
    Unsubscribe {
        name: String,
        product: String,
        plan: String,
        #[arg(long, value_enum, value_name = "ENV")]
        env: EnvArg,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Record an acceptance of a terms version, with the SHA-256 of its text (the stage
    /// moves only with `partner move`).
    Accept {
        name: String,
        terms: String,
        version: String,
        /// Who signed for the partner.
        #[arg(long, value_name = "TEXT")]
        signed_by: String,
        /// How the acceptance was given.
        #[arg(long, value_enum, value_name = "M")]
        method: Option<MethodArg>,
        /// An https:// link to the evidence (a signed PDF, the issue, the e-signature record).
        #[arg(long, value_name = "URL")]
        evidence: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum CredentialCommand {
    /// A new credential for a partner: the next id, created today.
    Issue {
        /// The partner.
        name: String,
        #[arg(long, value_enum, value_name = "ENV")]
        env: EnvArg,
        /// The last day it works (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        expires: Option<Date>,
        /// Where the key is kept (`vault://partners/acme/acme-sbx-3`), never the key.
        #[arg(long, value_name = "REF")]
        secret_ref: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// A new credential in place of ID, which is revoked today.
    Rotate {
        id: String,
        /// Where the new key is kept, never the key.
        #[arg(long, value_name = "REF")]
        secret_ref: String,
        /// The new key's last day (default: as long as the old one was meant to last).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        expires: Option<Date>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Revoke a credential today.
    Revoke {
        id: String,
        #[command(flatten)]
        write: WriteArgs,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodArg {
    ClickThrough,
    IssueForm,
    ESignature,
    Countersigned,
}

impl MethodArg {
    fn method(self) -> Method {
        match self {
            MethodArg::ClickThrough => Method::ClickThrough,
            MethodArg::IssueForm => Method::IssueForm,
            MethodArg::ESignature => Method::ESignature,
            MethodArg::Countersigned => Method::Countersigned,
        }
    }
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    Stage::parse(s).ok_or_else(|| {
        let all: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
        format!("`{s}` is not a stage; one of: {}", all.join(", "))
    })
}

fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date; write YYYY-MM-DD"))
}

pub fn run_partner(cmd: &PartnerCommand, common: &Common) -> anyhow::Result<u8> {
    let (command, write) = match cmd {
        PartnerCommand::New {
            name,
            display_name,
            owner,
            write,
        } => (
            Command::New {
                name: name.clone(),
                display_name: display_name.clone(),
                owner: owner.clone(),
            },
            write,
        ),
        PartnerCommand::Move { name, to, write } => (
            Command::Move {
                partner: name.clone(),
                to: *to,
            },
            write,
        ),
        PartnerCommand::Suspend { name, write } => (Command::Suspend { partner: name.clone() }, write),
        PartnerCommand::Offboard { name, write } => (Command::Offboard { partner: name.clone() }, write),
        PartnerCommand::Reinstate { name, write } => (Command::Reinstate { partner: name.clone() }, write),
        PartnerCommand::Subscribe {
            name,
            product,
            plan,
            env,
            write,
        } => (
            Command::Subscribe {
                partner: name.clone(),
                product: product.clone(),
                plan: plan.clone(),
                environment: env.environment(),
            },
            write,
        ),
        PartnerCommand::Unsubscribe {
            name,
            product,
            plan,
            env,
            write,
        } => (
            Command::Unsubscribe {
                partner: name.clone(),
                product: product.clone(),
                plan: plan.clone(),
                environment: env.environment(),
            },
            write,
        ),
        PartnerCommand::Accept {
            name,
            terms,
            version,
            signed_by,
            method,
            evidence,
            write,
        } => (
            Command::Accept {
                partner: name.clone(),
                terms: terms.clone(),
                version: version.clone(),
                signed_by: signed_by.clone(),
                method: method.map(MethodArg::method),
                evidence: evidence.clone(),
            },
            write,
        ),
    };
    execute(&command, write, common)
}

pub fn run_credential(cmd: &CredentialCommand, common: &Common) -> anyhow::Result<u8> {
    let (command, write) = match cmd {
        CredentialCommand::Issue {
            name,
            env,
            expires,
            secret_ref,
            write,
        } => (
            Command::Issue {
                partner: name.clone(),
                environment: env.environment(),
                expires: *expires,
                secret_ref: secret_ref.clone(),
            },
            write,
        ),
        CredentialCommand::Rotate {
            id,
            secret_ref,
            expires,
            write,
        } => (
            Command::Rotate {
                id: id.clone(),
                secret_ref: secret_ref.clone(),
                expires: *expires,
            },
            write,
        ),
        CredentialCommand::Revoke { id, write } => (Command::Revoke { id: id.clone() }, write),
    };
    execute(&command, write, common)
}

fn execute(command: &Command, write: &WriteArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, &[Format::Text, Format::Json], command.name())?;
    let snapshot = partnerctl::source::Snapshot::from_dir(&common.dir)?;
    let applied = applied_snapshot(common);
    let outcome = lifecycle::run(snapshot, applied.as_ref(), command, common.today());
    if outcome.ok() && !write.dry_run {
        for f in &outcome.files {
            partnerctl::source::program_files::write(&common.dir, &f.path, f.contents.as_bytes())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    print(command, &outcome, write.dry_run, common)?;
    Ok(if outcome.ok() { EXIT_OK } else { EXIT_FINDINGS })
}

/// The applied state's program, as `validate` reads it (from git), when there is one.
fn applied_snapshot(common: &Common) -> Option<partnerctl::source::Snapshot> {
    let store = partnerctl::state::Store::open(&common.dir, None).ok()?;
    match store.load() {
        Ok(applied) => applied.snapshot,
        Err(e) => {
            super::warn(&format!(
                "acceptance-evidence is not checked: the applied state cannot be read: {e}"
            ));
            None
        }
    }
}

fn print(command: &Command, o: &Outcome, dry_run: bool, common: &Common) -> anyhow::Result<()> {
    let mut out = super::Out::new(common.format);
    if common.format == Format::Json {
        let diagnostics: Vec<_> = o
            .findings
            .iter()
            .map(|f| {
                let mut d = super::diagnostics::json_diag(&f.diagnostic);
                d["before"] = json!(f.before);
                d
            })
            .collect();
        let v = json!({
            "ok": o.ok(),
            "command": command.name(),
            "partner": o.partner,
            "dryRun": dry_run,
            "files": o.files.iter().map(|f| json!({"path": f.path, "action": f.action.as_str()})).collect::<Vec<_>>(),
            "credential": o.credential,
            "done": o.done,
            "reasons": o.reasons,
            "diagnostics": diagnostics,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    let who = o
        .partner
        .as_deref()
        .map(|p| format!(" {}", text::escape(p)))
        .unwrap_or_default();
    if o.ok() {
        writeln!(out, "{}{who}:", command.name())?;
        for d in &o.done {
            writeln!(out, "  - {}", text::escape(d))?;
        }
        for f in o.findings.iter().filter(|f| !f.before) {
            finding(&mut out, f)?;
        }
        let verb = if dry_run { "would write" } else { "wrote" };
        for f in &o.files {
            writeln!(out, "{verb} {} ({})", text::escape(&f.path), f.action.as_str())?;
        }
        return Ok(());
    }
    writeln!(out, "refused: {}{who}", command.name())?;
    for r in &o.reasons {
        writeln!(out, "  - {}", text::escape(r))?;
    }
    if !o.findings.is_empty() && o.reasons.is_empty() {
        writeln!(
            out,
            "  the change would leave findings that `partnerctl validate` rejects:"
        )?;
        for f in o
            .findings
            .iter()
            .filter(|f| f.diagnostic.severity == partnerctl::diag::Severity::Error)
        {
            finding(&mut out, f)?;
        }
    }
    writeln!(out, "nothing was written")?;
    Ok(())
}

fn finding(out: &mut impl Write, f: &lifecycle::Finding) -> std::io::Result<()> {
    let d = &f.diagnostic;
    writeln!(
        out,
        "  {}[{}] {}:{}:{}: {}{}",
        d.severity.as_str(),
        d.code.as_str(),
        text::escape(&d.file),
        d.line,
        d.column,
        text::escape(&d.message),
        if f.before {
            " (already in the program before this change)"
        } else {
            ""
        }
    )?;
    if let Some(h) = &d.hint {
        writeln!(out, "      hint: {}", text::escape(h))?;
    }
    Ok(())
}
