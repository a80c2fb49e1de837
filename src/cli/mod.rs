//! Command-line interface: argument types, one module per command, and the output formats.
//! Only this module prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

/// Writes a line on stderr through [`stderr_line`], the one writer every stderr line of the CLI
/// goes through: `say!("warning: {x}")` where `eprintln!` would be.
macro_rules! say {
    ($($arg:tt)*) => { $crate::cli::stderr_line(&format!($($arg)*)) };
}

mod apply;
mod approvals;
mod audit;
mod completions;
pub mod diagnostics;
mod due;

mod explain;
mod funnel;
mod import;
mod import_openapi;
mod init;
mod lifecycle;
mod plan;
mod policy;
mod render;
mod request;
mod sarif;
mod schema;
mod status;
mod validate;

use clap::{Parser, Subcommand, ValueEnum};
use partnerctl::encode::text;
use partnerctl::redact::Redactor;
use partnerctl::spec::Date;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;

/// `0.1.0 (1a2b3c4d5e6f)`: the version and the commit it was built from (see build.rs).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("PARTNERCTL_COMMIT"), ")");

/// Exit code: success, no errors.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings of severity error, or a failed apply.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage or I/O problem.
pub const EXIT_USAGE: u8 = 2;
/// Exit code of `plan --detailed-exitcode` when there are changes.
pub const EXIT_CHANGES: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "partnerctl",
    version = VERSION,
    about = "An API partner program as code: validate, plan, render and audit partners, products and terms kept in git."
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// The program repository.
    #[arg(short = 'C', long = "dir", global = true, default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Output format. Each command's own `--format` lists the formats it writes (see
    /// [`formats`]); this one only takes the flag before the command's name.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text, hide = true)]
    pub format: Format,
    /// "Today" for every date rule (YYYY-MM-DD). Default: the current UTC date.
    #[arg(long = "as-of", global = true, env = "PARTNERCTL_AS_OF", value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<Date>,
}

impl Common {
    /// The `--as-of` date, or today in UTC.
    pub fn today(&self) -> Date {
        self.as_of.unwrap_or_else(|| Date(chrono::Utc::now().date_naive()))
    }
}

fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date; write YYYY-MM-DD"))
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Github,
    Sarif,
}

impl Format {
    /// What the format is for, as `--help` says it.
    fn purpose(self) -> &'static str {
        match self {
            Format::Text => "for people",
            Format::Json => "for machines",
            Format::Markdown => "a pull-request comment",
            Format::Github => "GitHub workflow annotations",
            Format::Sarif => "SARIF 2.1.0, for code scanning",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Github => "github",
            Format::Sarif => "sarif",
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Load, schema-check, run every check and policy; print findings.
    Validate(validate::ValidateArgs),
    /// Diff the desired program against the applied state: changes, approvals, artifacts.
    Plan(plan::PlanArgs),
    /// Render every output, write them atomically, record the applied state.
    Apply(apply::ApplyArgs),
    /// Render every output without recording state.
    Render(render::RenderArgs),
    /// The onboarding funnel: stages, conversion, time in stage, stuck and active partners.
    Funnel(funnel::FunnelArgs),
    /// Compare the program with what a gateway and its logs show.
    Audit(audit::AuditArgs),
    /// Write program files from what exists: a Kong configuration, an OpenAPI description.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Print the JSON schema of a kind (program, product, terms, partner) or of a request.
    Schema(schema::SchemaArgs),
    /// Start a new program repository.
    Init(init::InitArgs),
    /// What a check code means, why it matters, an example.
    Explain(explain::ExplainArgs),
    /// Policies: run the program's Rego tests.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Deadlines in the next days: re-acceptances, terms taking effect, credentials expiring,
    /// partners about to be stuck, exceptions expiring.
    Due(due::DueArgs),
    /// Whether a pull request has every approval its plan needs.
    Approvals(approvals::ApprovalsArgs),
    /// A completion script for bash, zsh, fish, elvish or PowerShell.
    Completions(completions::CompletionsArgs),
    /// The manual pages (roff), for `man -l` or a `man1/` folder.
    Man(completions::ManArgs),
    /// A partner's lifecycle: new, move, suspend, offboard, reinstate, subscribe,
    /// unsubscribe, accept. Edits the program in place; refuses what validate would reject.
    #[command(subcommand)]
    Partner(lifecycle::PartnerCommand),
    /// A partner's credentials: issue, rotate, revoke. Edits the program in place.
    #[command(subcommand)]
    Credential(lifecycle::CredentialCommand),
    /// Apply a partner's request (register, accept terms, sandbox or production access) to
    /// the working tree, or refuse it with every reason.
    Request(request::RequestArgs),
    /// Where a partner stands: its stage, its next step and what blocks it, its credentials,
    /// its deadlines and (with --usage) its last call.
    Status(status::StatusArgs),
}

/// Parses arguments, runs the command, and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match &cli.command {
        Command::Validate(a) => validate::run(a, &cli.common),
        Command::Plan(a) => plan::run(a, &cli.common),
        Command::Apply(a) => apply::run(a, &cli.common),
        Command::Render(a) => render::run(a, &cli.common),
        Command::Funnel(a) => funnel::run(a, &cli.common),
        Command::Audit(a) => audit::run(a, &cli.common),
        Command::Import(a) => import::run(a, &cli.common),
        Command::Schema(a) => schema::run(a, &cli.common),
        Command::Init(a) => init::run(a, &cli.common),
        Command::Explain(a) => explain::run(a, &cli.common),
        Command::Policy(a) => policy::run(a, &cli.common),
        Command::Due(a) => due::run(a, &cli.common),
        Command::Approvals(a) => approvals::run(a, &cli.common),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => completions::man(a),
        Command::Partner(c) => lifecycle::run_partner(c, &cli.common),
        Command::Credential(c) => lifecycle::run_credential(c, &cli.common),
        Command::Request(a) => request::run(a, &cli.common),
        Command::Status(a) => status::run(a, &cli.common),
    };
    match result {
        Ok(code) => {
            print_policy_output();
            ExitCode::from(code)
        }
        Err(e) => {
            print_policy_output();
            stderr_line(&format!("error: {e:#}"));
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// A warning on stderr about input partnerctl read (a usage log's line, a gateway dump):
/// control characters escaped, flagged values redacted, and no line able to start a
/// workflow command, as on stdout.
pub fn warn(message: &str) {
    stderr_line(&format!("warning: {}", text::escape(message)));
}

/// The one writer of stderr: flagged values redacted, and no line of the message able to start
/// a workflow command (`::add-mask::`, `::stop-commands::`; [`text::guard_lines`]), as on stdout.
/// Values in the message are escaped by the caller where they meet it ([`text::escape`]).
pub fn stderr_line(message: &str) {
    let message = redactor().text(message);
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", text::guard_lines(&message));
}

/// What the program's policies printed with `print()` in this run (`validate`, `plan`,
/// `apply`, `policy test`): untrusted text, each line escaped so that it stays one line, and
/// written through [`stderr_line`].
fn print_policy_output() {
    for line in partnerctl::policy::take_prints() {
        stderr_line(&format!("policy print: {}", text::escape(&line)));
    }
}

/// The values `secret-in-repo` flagged in the program this run read (set once it is checked).
static REDACTOR: OnceLock<Redactor> = OnceLock::new();

/// Remembers the run's redactor, for [`Out`] and error messages.
pub fn set_redactor(r: &Redactor) {
    let _ = REDACTOR.set(r.clone());
}

/// The run's redactor; empty before the program is checked.
pub fn redactor() -> &'static Redactor {
    REDACTOR.get_or_init(Redactor::default)
}

/// Standard output as every command's printer sees it: collected, then written at the end
/// (or on drop) with every flagged value redacted and, in `text` and `markdown`, every line
/// that the runner would read as a workflow command escaped ([`text::guard_lines`]). The
/// printers escape values where they meet the format; this is the second line of defence.
pub struct Out {
    buf: Vec<u8>,
    guard: bool,
}

impl Out {
    pub fn new(format: Format) -> Out {
        Out {
            buf: Vec::new(),
            guard: matches!(format, Format::Text | Format::Markdown),
        }
    }

    /// Writes what was collected; the same as dropping it, but with the error.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.emit()
    }

    fn emit(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        let redacted = redactor().bytes(&buf);
        let mut stdout = std::io::stdout().lock();
        match (self.guard, std::str::from_utf8(&redacted)) {
            (true, Ok(s)) => stdout.write_all(text::guard_lines(s).as_bytes())?,
            _ => stdout.write_all(&redacted)?,
        }
        stdout.flush()
    }
}

impl Write for Out {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        let _ = self.emit();
    }
}

/// The parser of a command's own `--format`: exactly the formats it writes, so that its
/// `--help` offers those and clap refuses the others. Every command declares one, as
///
/// ```ignore
/// /// Output format.
/// #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
/// pub format: Format,
/// ```
///
/// with the same `FORMATS` its `run` hands [`require_format`] (which refuses a format given
/// before the command's name, `partnerctl --format sarif plan`). The value lands in
/// [`Common::format`]: clap copies a subcommand's value of a global argument up to it.
pub fn formats(allowed: &'static [Format]) -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(
        allowed
            .iter()
            .map(|f| clap::builder::PossibleValue::new(f.as_str()).help(f.purpose())),
    )
    .map(|name| {
        Format::value_variants()
            .iter()
            .copied()
            .find(|f| f.as_str() == name)
            .unwrap_or(Format::Text)
    })
}

/// Refuses a format the command does not offer, with the list it does.
pub fn require_format(common: &Common, allowed: &[Format], command: &str) -> anyhow::Result<()> {
    if allowed.contains(&common.format) {
        return Ok(());
    }
    let list: Vec<&str> = allowed.iter().map(|f| f.as_str()).collect();
    anyhow::bail!(
        "`{command}` does not write --format {}; use one of: {}",
        common.format.as_str(),
        list.join(", ")
    )
}

/// Loads the program at `-C` and runs every check and policy.
pub fn load_and_validate(common: &Common) -> anyhow::Result<partnerctl::Validated> {
    let v = partnerctl::validate_dir(&common.dir, common.today())?;
    set_redactor(&v.redactor);
    Ok(v)
}
