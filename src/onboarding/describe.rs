//! The pull request a request becomes, in plain words (SPEC §15.2): who asks for what, what
//! it needs, who must approve (the program's approval rules applied to the change, with the
//! plan's classes), and, for a refusal, every reason, for the issue it came from.
//!
//! Every value from the request or the program reaches the Markdown through
//! [`crate::encode::markdown`] and the title through [`crate::encode::text`]: a company name
//! cannot add a heading, mention a team or close the comment's marker.

use super::change::FileChange;
use super::draft::Draft;
use super::input::RequestDiagnostic;
use crate::approvals::rules::Rules;
use crate::encode::{markdown, text};
use crate::model::Program;
use crate::spec::{ChangeClass, Date, Environment, Kind, RequestAction, RequestDocument, SignedBy, Stage};
use std::fmt::Write as _;

/// The first line of every body partnerctl writes for a request, which a workflow can look for.
pub const MARKER: &str = "<!-- partnerctl:request -->";

/// Titles are cut here: GitHub shows about this much in a list.
const TITLE_CHARS: usize = 120;

fn title_text(s: &str) -> String {
    let t = text::escape(s).replace(['\n', '\r'], " ");
    if t.chars().count() > TITLE_CHARS {
        format!("{}…", t.chars().take(TITLE_CHARS - 1).collect::<String>())
    } else {
        t
    }
}

/// The title and body of the pull request for an accepted request.
pub fn describe(
    before: &Program,
    after: &Program,
    req: &RequestDocument,
    d: &Draft,
    change: &FileChange,
    today: Date,
) -> (String, String) {
    let spec = &req.spec;
    let name = spec.partner.0.as_str();
    let partner = after.partners.get(name);
    let display = partner.map(|p| p.spec.display_name.as_str()).unwrap_or(name);
    let env = spec.action.environment();
    let plans = || {
        d.subscribed
            .iter()
            .map(|(p, plan)| format!("{p}/{plan}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let title = match spec.action {
        RequestAction::Register => format!("Register {display} ({name})"),
        RequestAction::AcceptTerms => format!(
            "{display} ({name}) accepts {}",
            d.accepted
                .iter()
                .map(|a| format!("{} {}", a.terms, a.version))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        RequestAction::RequestSandbox => format!("Sandbox access for {display} ({name}): {}", plans()),
        RequestAction::RequestProduction => format!("Production access for {display} ({name}): {}", plans()),
    };

    let mut b = format!("{MARKER}\n");
    let by = &spec.requested_by;
    let login = by
        .login
        .as_deref()
        .map(|l| format!(", GitHub {}", markdown::code(l)))
        .unwrap_or_default();
    let what = match spec.action {
        RequestAction::Register => "to register with the program".to_string(),
        RequestAction::AcceptTerms => "to record the partner's acceptance of terms".to_string(),
        RequestAction::RequestSandbox | RequestAction::RequestProduction => {
            format!("for {} access", env.unwrap_or(Environment::Sandbox))
        }
    };
    let _ = writeln!(
        b,
        "**{}** ({}{login}) asks, for **{}** ({}), {what}.\n",
        markdown::text(&by.name),
        markdown::text(&by.email),
        markdown::text(display),
        markdown::code(name)
    );

    b.push_str("#### What it asks\n\n");
    if let (RequestAction::Register, Some(reg)) = (spec.action, &spec.register) {
        let mut facts = Vec::new();
        if let Some(l) = &reg.legal_name {
            facts.push(format!("legal name {}", markdown::text(l)));
        }
        if let Some(w) = &reg.website {
            facts.push(format!("website {}", markdown::code(w)));
        }
        facts.push(if reg.listed {
            "listed in the partner directory once live".into()
        } else {
            "not listed in the partner directory".into()
        });
        let _ = writeln!(
            b,
            "- A new partner {} named **{}**: {}.",
            markdown::code(name),
            markdown::text(&reg.display_name),
            facts.join("; ")
        );
        let contacts: Vec<String> = reg
            .contacts
            .iter()
            .map(|c| {
                format!(
                    "{} ({}, {})",
                    markdown::text(&c.name),
                    markdown::text(&c.email),
                    role(c.role)
                )
            })
            .collect();
        let _ = writeln!(b, "- Contacts: {}.", contacts.join("; "));
    }
    for a in &d.accepted {
        let signer = match partner
            .and_then(|p| p.spec.agreements.iter().rev().find(|x| x.terms.0 == a.terms))
            .and_then(|x| x.signed_by.as_ref())
        {
            Some(SignedBy::Person(s)) => {
                let title = s
                    .title
                    .as_deref()
                    .map(|t| format!(" ({})", markdown::text(t)))
                    .unwrap_or_default();
                format!("{}{title}", markdown::text(&s.name))
            }
            Some(SignedBy::Name(n)) => markdown::text(n),
            None => markdown::text(&by.name),
        };
        let method = spec.accept[a.index]
            .method
            .map(|m| format!(", by {}", m.as_str()))
            .unwrap_or_default();
        let _ = writeln!(
            b,
            "- Accepts **{}** ({}) version {}, whose text has SHA-256 {}: signed by {signer}{method}, on {today}.",
            markdown::text(&a.title),
            markdown::code(&a.terms),
            markdown::code(&a.version),
            markdown::code(&a.sha256)
        );
    }
    for (product, plan) in &d.subscribed {
        let p = after.product(product);
        let display = p.map(|p| p.spec.display_name.as_str()).unwrap_or(product);
        let limits = after
            .plan(product, plan)
            .map(|pl| {
                let quota = pl
                    .quota
                    .as_ref()
                    .map(|q| format!(", at most {} requests a {}", q.requests, q.per.as_str()))
                    .unwrap_or_default();
                format!(
                    ": {} requests a {}{quota}",
                    pl.rate_limit.requests,
                    pl.rate_limit.per.as_str()
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            b,
            "- **{}** ({}), plan {}{limits}, in {}.",
            markdown::text(display),
            markdown::code(product),
            markdown::code(plan),
            env.unwrap_or(Environment::Sandbox)
        );
    }
    match (d.stage_before, d.stage_after) {
        (None, Some(to)) if to != Stage::Registered => {
            let _ = writeln!(b, "- Stage: `registered`, then `{to}` (both dated {today}).");
        }
        (None, Some(to)) => {
            let _ = writeln!(b, "- Stage: `{to}` (dated {today}).");
        }
        (Some(from), Some(to)) if from != to => {
            let _ = writeln!(b, "- Stage: `{from}` → `{to}` (dated {today}).");
        }
        (Some(s), _) => {
            let _ = writeln!(b, "- Stage: stays `{s}`.");
        }
        (None, None) => {}
    }

    b.push_str("\n#### What it needs\n\n");
    needs(&mut b, after, spec.action, name, d, env, today);

    b.push_str("\n#### Who must approve\n\n");
    approvals(&mut b, before, after, name, today);

    if let Some(e) = &spec.evidence {
        let _ = writeln!(b, "\nAsked in <{e}>.");
    }
    let _ = writeln!(
        b,
        "\nFiles: {} ({}).",
        markdown::code(&change.path),
        change.action.as_str()
    );
    (title_text(&title), b)
}

fn role(r: crate::spec::ContactRole) -> &'static str {
    match r {
        crate::spec::ContactRole::Technical => "technical",
        crate::spec::ContactRole::Business => "business",
        crate::spec::ContactRole::Legal => "legal",
    }
}

/// What the partner needs besides this change: terms for the next stage or for the products
/// asked for, and what happens after the merge.
fn needs(
    b: &mut String,
    after: &Program,
    action: RequestAction,
    name: &str,
    d: &Draft,
    env: Option<Environment>,
    today: Date,
) {
    let Some(p) = after.partners.get(name) else { return };
    let terms_line = |t: &str| -> String {
        let title = after
            .terms
            .get(t)
            .map(|x| x.spec.title.clone())
            .unwrap_or_else(|| t.to_string());
        let current = after
            .terms
            .get(t)
            .and_then(|x| x.current(today))
            .map(|v| v.version.clone());
        match (p.accepted(t, after), current) {
            (Some((_, a)), Some(c)) if a.version == c => format!(
                "{} ({}) {}: accepted on {}",
                markdown::text(&title),
                markdown::code(t),
                markdown::code(&c),
                a.accepted_on
            ),
            (Some((_, a)), Some(c)) => format!(
                "{} ({}): version {} accepted, {} is current and must be accepted",
                markdown::text(&title),
                markdown::code(t),
                markdown::code(&a.version),
                markdown::code(&c)
            ),
            (Some((_, a)), None) => format!(
                "{} ({}) {}: accepted on {}",
                markdown::text(&title),
                markdown::code(t),
                markdown::code(&a.version),
                a.accepted_on
            ),
            (None, c) => format!(
                "{} ({}){}: **not accepted yet**",
                markdown::text(&title),
                markdown::code(t),
                c.map(|c| format!(" {}", markdown::code(&c))).unwrap_or_default()
            ),
        }
    };
    match action {
        RequestAction::Register | RequestAction::AcceptTerms => {
            let required = after.required_terms();
            if required.is_empty() {
                b.push_str("- The program requires no terms of every partner.\n");
            }
            for t in required {
                let _ = writeln!(b, "- Required of every partner: {}.", terms_line(t));
            }
            match d.stage_after {
                Some(Stage::Registered) => b.push_str(
                    "- Next: the partner accepts the program's required terms (an accept-terms request), then asks for sandbox access.\n",
                ),
                _ => b.push_str("- Next: the partner asks for sandbox access (a request-sandbox request).\n"),
            }
        }
        RequestAction::RequestSandbox | RequestAction::RequestProduction => {
            let env = env.unwrap_or(Environment::Sandbox);
            for (product, _) in &d.subscribed {
                let Some(prod) = after.product(product) else { continue };
                for t in &prod.spec.required_terms {
                    let _ = writeln!(b, "- {} requires {}.", markdown::code(product), terms_line(t));
                }
            }
            match env {
                Environment::Sandbox => {
                    let _ = writeln!(
                        b,
                        "- After the merge: a sandbox credential. The provider's credential hook (or a partner manager) mints the key in its secret store and records it with `partnerctl credential issue {name} --env sandbox --secret-ref …`; no key is ever written to this repository."
                    );
                }
                Environment::Production => {
                    let _ = writeln!(
                        b,
                        "- Going live: after the merge the partner is `production_requested`, holding these subscriptions but no production key. Once production is ready, a partner manager moves it to `live` (`partnerctl partner move {name} --to live`) and the production credential is issued (`partnerctl credential issue {name} --env production --secret-ref …`, by the provider's credential hook); no key is ever written to this repository."
                    );
                }
            }
        }
    }
}

/// The teams the program's approval rules require for this change, with the classes that
/// bring each in.
fn approvals(b: &mut String, before: &Program, after: &Program, name: &str, today: Date) {
    let a = crate::plan::classes::partner(before.partners.get(name), after.partners.get(name), today);
    let rules = Rules::from_programs(before, after);
    let resolved = rules.resolve_by_team(&a.hits, Kind::Partner, name, before, after);
    let teams = resolved.teams;
    let classes: Vec<String> = a.classes().iter().map(|c: &ChangeClass| format!("`{c}`")).collect();
    if teams.is_empty() {
        let _ = if classes.is_empty() {
            writeln!(
                b,
                "The change has no class an approval rule can name (recording an acceptance alone has none): it may merge once its checks pass."
            )
        } else {
            writeln!(
                b,
                "No approval rule of the program names a team for this change ({}): it may merge once its checks pass.",
                classes.join(", ")
            )
        };
        return;
    }
    for (team, why) in &teams {
        // Handles come from the program before the change: the request cannot name its own
        // approvers.
        let handle = before
            .spec()
            .and_then(|s| s.teams.iter().find(|(k, _)| k.0 == *team))
            .and_then(|(_, t)| t.github.as_deref())
            .map(|h| format!(" ({})", markdown::code(h)))
            .unwrap_or_default();
        let why: Vec<String> = why.iter().map(|c| format!("`{c}`")).collect();
        let _ = writeln!(b, "- {}{handle}: {}", markdown::code(team), why.join(", "));
    }
    for note in &resolved.notes {
        let _ = writeln!(b, "\n{}", markdown::message(note));
    }
}

/// The title and the issue comment of a refused request: every reason, with its field.
pub fn refusal(
    action: Option<RequestAction>,
    partner: Option<&str>,
    diagnostics: &[RequestDiagnostic],
) -> (String, String) {
    let what = match (action, partner) {
        (Some(a), Some(p)) => format!("{a} for {p}"),
        (Some(a), None) => a.to_string(),
        (None, Some(p)) => format!("request for {p}"),
        (None, None) => "request".to_string(),
    };
    let title = title_text(&format!("Refused: {what}"));
    let mut b = format!(
        "{MARKER}\nThis {} cannot be applied; nothing was written.\n\n",
        markdown::text(&what)
    );
    for r in diagnostics
        .iter()
        .filter(|r| r.diagnostic.severity == crate::diag::Severity::Error)
    {
        let field = r
            .field
            .as_deref()
            .map(|f| format!("{}: ", markdown::code(f)))
            .unwrap_or_default();
        let hint = r
            .diagnostic
            .hint
            .as_deref()
            .map(|h| format!(" ({})", markdown::message(h)))
            .unwrap_or_default();
        let _ = writeln!(b, "- {field}{}{hint}", markdown::message(&r.diagnostic.message));
    }
    b.push_str("\nCorrect what is listed and ask again.\n");
    (title, b)
}
