//! `partnerctl status PARTNER`: where a partner stands (SPEC §15.6), in text, json, or
//! markdown for an issue or pull-request comment. It has its own `--format`, so that its
//! help offers only the formats it writes.

use super::funnel::{UsageFormatArg, read_usage};
use super::{Common, EXIT_OK, Format};
use partnerctl::encode::{markdown, text};
use partnerctl::onboarding::status::{self, Need, Status};
use std::io::Write;
use std::path::PathBuf;

/// `--format` as `status` takes it: the global flag's type (clap keeps one value per flag
/// name across commands), limited to the formats `status` writes, which its help lists.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new([
        PossibleValue::new("text").help("For people"),
        PossibleValue::new("json").help(
            "For machines: {\"partner\", \"stage\", \"since\", \"next\", \"credentials\", \"due\", \"lastCall\"}",
        ),
        PossibleValue::new("markdown").help("For an issue or a pull-request comment"),
    ])
    .map(|s| match s.as_str() {
        "json" => Format::Json,
        "markdown" => Format::Markdown,
        _ => Format::Text,
    })
}

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The partner, by name.
    #[arg(value_name = "PARTNER")]
    pub partner: String,
    /// Output format.
    #[arg(long, value_name = "FORMAT", value_parser = format_parser(), default_value = "text")]
    pub format: Format,
    /// Usage logs, for the partner's last call (the formats `funnel --usage` reads); `-`
    /// reads stdin. May be given several times.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub usage: Vec<PathBuf>,
    /// The format of every --usage line; by default each line is told apart by its keys.
    #[arg(long = "usage-format", value_name = "FORMAT", value_enum, default_value = "auto")]
    pub usage_format: UsageFormatArg,
}

pub fn run(args: &StatusArgs, common: &Common) -> anyhow::Result<u8> {
    // One value for the flag wherever it is written (before or after the command); a format
    // `status` does not write can only come from before it.
    let format = match (args.format, common.format) {
        (Format::Text, g) => g,
        (f, _) => f,
    };
    super::require_format(common, &[Format::Text, Format::Json, Format::Markdown], "status")?;
    let program = super::due::load(common)?;
    let today = common.today();
    let usage = read_usage(&args.usage, args.usage_format, today)?;
    let s = status::status(&program, &args.partner, today, usage.as_ref()).ok_or_else(|| {
        anyhow::anyhow!(
            "there is no partner named `{}` in {}",
            text::escape(&args.partner),
            text::escape(&common.dir.display().to_string())
        )
    })?;
    let mut out = super::Out::new(format);
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&s)?)?,
        Format::Markdown => write!(out, "{}", to_markdown(&s, today, !args.usage.is_empty()))?,
        _ => write!(out, "{}", to_text(&s, today, !args.usage.is_empty()))?,
    }
    out.finish()?;
    Ok(EXIT_OK)
}

fn days(n: i64) -> String {
    match n {
        1 => "1 day".into(),
        n => format!("{n} days"),
    }
}

fn need_line(n: &Need) -> String {
    let mut s = n.message.clone();
    if let Some(sha) = &n.text_sha256 {
        s.push_str(&format!("; text SHA-256 {sha}"));
    }
    if let Some(link) = &n.link {
        s.push_str(&format!("; {link}"));
    }
    if let Some(r) = n.request {
        s.push_str(&format!(" (request: {r})"));
    }
    s
}

fn last_call(s: &Status, with_usage: bool) -> String {
    match (&s.last_call, with_usage) {
        (Some(at), _) => at.clone(),
        (None, true) => "none in the logs read".into(),
        (None, false) => "not known (give --usage)".into(),
    }
}

/// For people: the stage, the next step and its needs, credentials, deadlines, last call.
pub fn to_text(s: &Status, today: partnerctl::spec::Date, with_usage: bool) -> String {
    let e = |v: &str| text::escape(v).into_owned();
    let mut out = format!("{}: {}", e(&s.partner), s.stage);
    if let Some(since) = s.since {
        out.push_str(&format!(" since {since} ({})", days(since.days_until(today))));
    }
    out.push('\n');
    match &s.next {
        None => out.push_str("Next: none (the onboarding path ends here)\n"),
        Some(n) => {
            out.push_str(&format!("Next: {}\n", n.stage));
            if n.needs.is_empty() {
                out.push_str("  needs nothing more\n");
            }
            for need in &n.needs {
                out.push_str(&format!("  - [{}] {}\n", need.kind.as_str(), e(&need_line(need))));
            }
        }
    }
    out.push_str("Credentials:\n");
    if s.credentials.is_empty() {
        out.push_str("  none\n");
    }
    for c in &s.credentials {
        let state = match (c.live, c.revoked, c.expires) {
            (true, _, Some(x)) => format!("live, expires {x} (in {})", days(today.days_until(x))),
            (true, _, None) => "live, no expiry".into(),
            (false, Some(r), _) if r <= today => format!("revoked {r}"),
            (false, _, Some(x)) => format!("expired {x}"),
            (false, _, None) => "not live".into(),
        };
        out.push_str(&format!(
            "  {}  {}  created {}  {state}\n",
            e(&c.id),
            c.environment,
            c.created
        ));
    }
    out.push_str("Due:\n");
    if s.due.is_empty() {
        out.push_str("  nothing\n");
    }
    for i in &s.due {
        out.push_str(&format!(
            "  {}{}  {}  {}\n",
            if i.overdue { "OVERDUE " } else { "" },
            i.date,
            i.kind.as_str(),
            e(&i.message)
        ));
    }
    out.push_str(&format!("Last call: {}\n", last_call(s, with_usage)));
    out
}

/// For an issue or a pull-request comment.
pub fn to_markdown(s: &Status, today: partnerctl::spec::Date, with_usage: bool) -> String {
    let mut out = format!("### {} is `{}`", markdown::text(&s.partner), s.stage);
    if let Some(since) = s.since {
        out.push_str(&format!(" since {since} ({})", days(since.days_until(today))));
    }
    out.push_str("\n\n");
    match &s.next {
        None => out.push_str("**Next step:** none; the onboarding path ends here.\n"),
        Some(n) => {
            out.push_str(&format!("**Next step:** `{}`\n\n", n.stage));
            if n.needs.is_empty() {
                out.push_str("Nothing more is needed.\n");
            }
            for need in &n.needs {
                out.push_str(&format!(
                    "- **{}**: {}\n",
                    need.kind.as_str(),
                    markdown::text(&need_line(need))
                ));
            }
        }
    }
    out.push_str("\n| credential | environment | created | expires | state |\n| --- | --- | --- | --- | --- |\n");
    for c in &s.credentials {
        let state = if c.live {
            "live".to_string()
        } else if c.revoked.is_some_and(|r| r <= today) {
            "revoked".to_string()
        } else {
            "expired".to_string()
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {state} |\n",
            markdown::code(&c.id),
            c.environment,
            c.created,
            c.expires.map(|d| d.to_string()).unwrap_or_else(|| "never".into()),
        ));
    }
    if s.credentials.is_empty() {
        out.push_str("| none | | | | |\n");
    }
    if !s.due.is_empty() {
        out.push_str("\n**Due:**\n\n");
        for i in &s.due {
            out.push_str(&format!(
                "- {}{} `{}`: {}\n",
                if i.overdue { "⚠️ overdue " } else { "" },
                i.date,
                i.kind.as_str(),
                markdown::message(&i.message)
            ));
        }
    }
    out.push_str(&format!(
        "\n**Last call:** {}\n",
        markdown::text(&last_call(s, with_usage))
    ));
    out
}
