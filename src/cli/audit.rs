//! `partnerctl audit --gateway FILE [--usage FILE...]`: the program against a gateway, a
//! decK dump, a `kubectl get -o yaml` list of the Kubernetes targets' resources, or an
//! Azure API Management ARM template (an export of the service, or the `azure-apim` target's).

use super::{Common, EXIT_FINDINGS, EXIT_OK, Format};
use partnerctl::diag::Severity;
use partnerctl::encode::{github, markdown, text};
use partnerctl::gateway::audit::{self, Audit, AuditOptions};
use partnerctl::gateway::{self, azure_apim, kong, kubernetes};
use partnerctl::visibility::usage::Usage;
use std::io::Write;
use std::path::PathBuf;

/// The formats `audit` writes.
const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Markdown, Format::Github];

#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// Output format.
    #[arg(id = "format", long = "format", value_name = "FORMAT", default_value = "text", value_parser = super::formats(FORMATS))]
    pub _format: Format,
    /// A decK file of the gateway (what `deck gateway dump` writes), YAML or JSON; or what
    /// `kubectl get kongconsumers,kongconsumergroups,kongplugins,securitypolicies,backendtrafficpolicies,externalsecrets -A -o yaml`
    /// prints (a `List`, or a stream of manifests), or an API Management ARM template (what
    /// the `azure-apim` target writes, or an export of the service); told apart by content.
    #[arg(long, value_name = "FILE")]
    pub gateway: PathBuf,
    /// Usage logs: partnerctl JSON Lines or Kong file-log output (docs/funnel.md, "Usage
    /// logs"). May repeat.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub usage: Vec<PathBuf>,
    /// A credential in the gateway with no call in this many days is dormant.
    #[arg(long, value_name = "DAYS", default_value_t = audit::DEFAULT_DORMANT_DAYS)]
    pub dormant_days: u32,
    /// The environment the gateway serves, when its tags (or a Kubernetes list's
    /// `partnerctl.dev/environment` labels) do not say and the program has not exactly one
    /// output of that gateway; without one, environment-specific findings are not made.
    #[arg(long, value_enum, value_name = "ENV")]
    pub environment: Option<super::import::EnvArg>,
}

pub fn run(args: &AuditArgs, common: &Common) -> anyhow::Result<u8> {
    super::require_format(common, FORMATS, "audit")?;
    let today = common.today();
    let program = super::funnel::load_program(common)?;
    let flag = args.environment.map(|e| e.environment());
    // Read once; a decK file and a Kubernetes list are told apart by content.
    let file = args.gateway.display().to_string();
    let bytes = std::fs::read(&args.gateway).map_err(|e| anyhow::anyhow!(e).context(format!("cannot read {file}")))?;
    let manifests = kubernetes::parse(&file, &bytes)?;
    if let Some(m) = &manifests
        && m.flavors().is_empty()
    {
        anyhow::bail!(
            "{}: a Kubernetes list with no resource the kong-ingress or envoy-gateway targets render (KongConsumer, KongConsumerGroup, KongPlugin, SecurityPolicy, BackendTrafficPolicy); {} resource(s) of other kinds",
            m.file,
            m.items.len() + m.other_kinds
        );
    }
    let azure_apim_template = match &manifests {
        Some(_) => None,
        None => azure_apim::parse(&file, &bytes)?,
    };
    let usage = if args.usage.is_empty() {
        None
    } else {
        let mut usage = Usage::until(today);
        for file in &args.usage {
            usage.read_file(file)?;
        }
        for p in &usage.problems {
            super::warn(&p.to_string());
        }
        Some(usage)
    };
    let report = match (&manifests, &azure_apim_template) {
        (Some(m), _) => gateway::audit_manifests(
            &program,
            today,
            m,
            usage.as_ref(),
            &AuditOptions {
                dormant_days: args.dormant_days,
                environment: flag.map(|e| (e, kong::EnvironmentSource::Flag)),
            },
        ),
        (None, Some(export)) => {
            let environment = azure_apim::environment(flag, export, &program);
            azure_apim::audit::audit(
                &program,
                today,
                export,
                usage.as_ref(),
                &AuditOptions {
                    dormant_days: args.dormant_days,
                    environment,
                },
            )
        }
        (None, None) => {
            let deck = kong::parse(&file, &bytes)?;
            let environment = kong::environment(flag, &deck, &program);
            kong::audit::audit(
                &program,
                today,
                &deck,
                usage.as_ref(),
                &AuditOptions {
                    dormant_days: args.dormant_days,
                    environment,
                },
            )
        }
    };
    let mut out = super::Out::new(common.format);
    match common.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        Format::Markdown => write!(out, "{}", markdown(&report))?,
        Format::Github => write!(out, "{}", github(&report))?,
        _ => write!(out, "{}", text(&report))?,
    }
    Ok(if report.has_errors() { EXIT_FINDINGS } else { EXIT_OK })
}

fn counts(a: &Audit) -> (usize, usize) {
    let e = a.findings.iter().filter(|f| f.severity == Severity::Error).count();
    (e, a.findings.len() - e)
}

fn place(f: &audit::Finding) -> String {
    match (&f.file, f.line) {
        (Some(file), Some(line)) => format!("{}:{line}: ", text::escape(file)),
        _ => String::new(),
    }
}

fn text(a: &Audit) -> String {
    let env = a.environment.map(|e| format!(" ({e})")).unwrap_or_default();
    let mut s = format!("Audit of {}{env} as of {}\n\n", text::escape(&a.gateway), a.as_of);
    for f in &a.findings {
        s.push_str(&format!(
            "{}{}[{}]: {}\n",
            place(f),
            f.severity,
            f.code.as_str(),
            text::escape(&f.message)
        ));
    }
    let (e, w) = counts(a);
    if a.findings.is_empty() {
        s.push_str("The gateway matches the program: no findings.\n");
    } else {
        s.push_str(&format!("\n{e} error(s), {w} warning(s)\n"));
    }
    s
}

fn markdown(a: &Audit) -> String {
    let (e, w) = counts(a);
    let env = a.environment.map(|e| format!(" ({e})")).unwrap_or_default();
    let mut s = format!(
        "## Gateway audit of {}{env} as of {}\n\n",
        markdown::code(&a.gateway),
        a.as_of
    );
    if a.findings.is_empty() {
        s.push_str("No findings: the gateway matches the program.\n");
        return s;
    }
    s.push_str(&format!(
        "{e} error(s), {w} warning(s).\n\n| severity | code | about | finding |\n| --- | --- | --- | --- |\n"
    ));
    for f in &a.findings {
        let about = f
            .partner
            .as_deref()
            .or(f.consumer.as_deref())
            .or(f.credential.as_deref())
            .or(f.resource.as_deref())
            .unwrap_or("");
        s.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            f.severity,
            f.code.as_str(),
            markdown::text(about),
            markdown::text(&f.message)
        ));
    }
    s
}

/// GitHub workflow commands, one per finding; those about a place in the decK file are
/// annotations on it.
fn github(a: &Audit) -> String {
    let mut s = String::new();
    for f in &a.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = Vec::new();
        if let (Some(file), Some(line)) = (&f.file, f.line) {
            props.push(format!("file={}", github::property(&text::escape(file))));
            props.push(format!("line={line}"));
        }
        props.push(format!("title={}", github::property(f.code.as_str())));
        s.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            github::data(&text::escape(&f.message))
        ));
    }
    s
}
