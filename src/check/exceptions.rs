//! Exceptions (SPEC §10): program.yaml `spec.exceptions`, reviewed and expiring.
//!
//! An exception names a code (a check code, `policy/<rule>`, or `policy` for every policy
//! finding) and a resource. Until its `until` date, an error of that code about that resource
//! is reported as a warning carrying the exception's reason and date; a warning it covers
//! keeps its severity and carries them too. An exception past its date covers nothing and is
//! itself an `exception-expired` warning; one running longer than `spec.exceptionsMaxDays`
//! (default 90 days from today), naming a code that cannot be excepted, or naming a resource
//! that does not exist is an error and covers nothing.
//!
//! This runs after every check and policy, over all findings, because a finding's resource is
//! known from its file: the file of a resource's document, or a terms version's text.

use crate::diag::{Code, Diagnostic, Excepted, Location, Severity};
use crate::model::Program;
use crate::spec::{DEFAULT_EXCEPTIONS_MAX_DAYS, Date, ExceptionSpec, Kind};
use std::collections::BTreeMap;

/// Codes no exception can cover: findings that leave the program unreadable or ambiguous
/// (it could not be rendered from), or that guard what partners signed (`terms-immutable`,
/// `acceptance-mismatch`).
pub const NOT_EXCEPTABLE: &[Code] = &[
    Code::YamlSyntax,
    Code::DuplicateKey,
    Code::Schema,
    Code::MisplacedResource,
    Code::NameMismatch,
    Code::DuplicateName,
    Code::UnknownReference,
    Code::FileRefused,
    Code::OutputInvalid,
    Code::OpenapiInvalid,
    Code::TermsImmutable,
    Code::ExceptionExpired,
    Code::ExceptionInvalid,
    Code::AcceptanceMismatch,
];

/// An exception in force today, with where it is written.
#[derive(Clone, Debug)]
pub struct Active<'a> {
    pub spec: &'a ExceptionSpec,
    pub at: Location,
}

/// The exceptions of a program, judged for today: those in force, and the findings about the
/// exceptions themselves (expired, too long, unknown code or resource).
pub fn judge(program: &Program, today: Date) -> (Vec<Active<'_>>, Vec<Diagnostic>) {
    let mut active = Vec::new();
    let mut findings = Vec::new();
    let Some(res) = program.program.as_ref() else {
        return (active, findings);
    };
    let max_days = res.spec.exceptions_max_days.unwrap_or(DEFAULT_EXCEPTIONS_MAX_DAYS);
    for (i, e) in res.spec.exceptions.iter().enumerate() {
        let at = |field: &str| res.at(&format!("/spec/exceptions/{i}{field}"));
        if let Some(why) = code_problem(&e.code) {
            findings.push(
                Diagnostic::new(
                    Code::ExceptionInvalid,
                    &at("/code"),
                    format!("exception {}: {why}", i + 1),
                )
                .with_hint(format!(
                    "codes that can be excepted: {}, policy/<rule>, policy",
                    exceptable().join(", ")
                )),
            );
            continue;
        }
        if !resource_exists(program, &e.resource) {
            findings.push(
                Diagnostic::new(
                    Code::UnknownReference,
                    &at("/resource"),
                    format!(
                        "exception {} names {}, which is not a resource of this program",
                        i + 1,
                        e.resource
                    ),
                )
                .with_hint("name it as the plan does: partner/<name>, product/<name>, terms/<name> or program; remove the exception if the resource is gone"),
            );
            continue;
        }
        if e.until < today {
            findings.push(
                Diagnostic::new(
                    Code::ExceptionExpired,
                    &at("/until"),
                    format!(
                        "the exception for {} on {} expired on {}; it covers nothing now (it was: {})",
                        e.code, e.resource, e.until, e.reason
                    ),
                )
                .with_hint(
                    "fix what it excepted and remove it, or renew it in a reviewed change with a new date and reason",
                ),
            );
            continue;
        }
        let days = today.days_until(e.until);
        if days > i64::from(max_days) {
            findings.push(
                Diagnostic::new(
                    Code::ExceptionInvalid,
                    &at("/until"),
                    format!(
                        "the exception for {} on {} runs {days} days, to {}: longer than the {max_days} days `spec.exceptionsMaxDays` allows",
                        e.code, e.resource, e.until
                    ),
                )
                .with_hint("choose an earlier `until` and renew the exception when it comes due (`partnerctl due` lists it ahead)"),
            );
            continue;
        }
        active.push(Active { spec: e, at: at("") });
    }
    (active, findings)
}

/// Applies the program's exceptions to a list of findings, and adds the findings about the
/// exceptions themselves.
pub fn apply(program: &Program, today: Date, diagnostics: &mut Vec<Diagnostic>) {
    let (active, findings) = judge(program, today);
    if !active.is_empty() {
        let resources = resources_by_file(program);
        for d in diagnostics.iter_mut() {
            if NOT_EXCEPTABLE.contains(&d.code) || d.exception.is_some() {
                continue;
            }
            let Some(resource) = resources.get(d.file.as_str()) else {
                continue;
            };
            let code = d.exception_code();
            let hit = active.iter().find(|a| {
                a.spec.resource == *resource
                    && (a.spec.code == code || (a.spec.code == "policy" && d.code == Code::Policy))
            });
            if let Some(a) = hit {
                d.severity = Severity::Warning;
                d.message.push_str(&format!(
                    " (excepted until {}, {}:{}: {})",
                    a.spec.until, a.at.file, a.at.line, a.spec.reason
                ));
                d.exception = Some(Box::new(Excepted {
                    until: a.spec.until,
                    reason: a.spec.reason.clone(),
                    file: a.at.file.clone(),
                    line: a.at.line,
                }));
            }
        }
    }
    diagnostics.extend(findings);
}

fn exceptable() -> Vec<&'static str> {
    Code::ALL
        .iter()
        .filter(|c| !NOT_EXCEPTABLE.contains(c))
        .map(|c| c.as_str())
        .collect()
}

fn code_problem(code: &str) -> Option<String> {
    if code == "policy" || code.starts_with("policy/") {
        return None;
    }
    match Code::from_name(code) {
        None => Some(format!("`{code}` is not a check code")),
        Some(c) if NOT_EXCEPTABLE.contains(&c) => Some(format!(
            "`{code}` cannot be excepted: {}",
            if c == Code::TermsImmutable {
                "a published terms text is what partners signed; publish a new version instead"
            } else if c == Code::AcceptanceMismatch {
                "an acceptance must name the digest of the text the partner signed"
            } else {
                "the program cannot be read or written safely while it stands"
            }
        )),
        Some(_) => None,
    }
}

fn resource_exists(program: &Program, resource: &str) -> bool {
    if resource == "program" {
        return program.program.is_some();
    }
    let Some((kind, name)) = resource.split_once('/') else {
        return false;
    };
    let kind = match kind {
        "partner" => Kind::Partner,
        "product" => Kind::Product,
        "terms" => Kind::Terms,
        _ => return false,
    };
    program.is_known(kind, name)
}

/// The resource each file of the program describes: a document's resource, or the terms a
/// version text belongs to.
pub fn resources_by_file(program: &Program) -> BTreeMap<&str, String> {
    let mut out = BTreeMap::new();
    for d in &program.documents {
        let (Some(kind), Some(name)) = (d.kind, d.name.as_deref()) else {
            continue;
        };
        let resource = if kind == Kind::Program {
            "program".to_string()
        } else {
            format!("{}/{name}", kind.lower())
        };
        out.insert(d.file.as_str(), resource);
    }
    for t in program.terms.values() {
        for v in &t.spec.versions {
            if let Some((path, _)) = program.snapshot.files.get_key_value(&crate::model::Terms::text_path(v)) {
                out.insert(path.as_str(), format!("terms/{}", t.name));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Entry, Snapshot};

    fn program(exceptions: &str, extra: &[(&str, &str)]) -> Program {
        let mut snap = Snapshot::default();
        snap.insert(
            "program.yaml",
            Entry::Bytes(
                format!(
                    "apiVersion: partnerctl/v1\nkind: Program\nmetadata: {{name: p}}\nspec:\n  displayName: P\n  teams: {{legal: {{}}}}\n  exceptions:\n{exceptions}"
                )
                .into_bytes()
                .into(),
            ),
        );
        for (p, t) in extra {
            snap.insert(*p, Entry::Bytes(t.as_bytes().into()));
        }
        crate::model::load(snap).program
    }

    const PARTNER: &str = "apiVersion: partnerctl/v1\nkind: Partner\nmetadata: {name: initech, owner: legal}\nspec:\n  displayName: Initech\n  legalName: Initech\n  stage: registered\n  history: [{stage: registered, date: 2026-01-01}]\n";

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn finding(code: Code, file: &str) -> Diagnostic {
        Diagnostic::new(code, &Location::file_start(file), "a problem")
    }

    #[test]
    fn an_error_it_covers_becomes_a_warning_with_the_reason_until_the_day_after() {
        let p = program(
            "    - {code: terms-missing, resource: partner/initech, until: 2026-12-15, reason: \"LEG-123\"}\n",
            &[("partners/initech.yaml", PARTNER)],
        );
        let mut d = vec![finding(Code::TermsMissing, "partners/initech.yaml")];
        apply(&p, day("2026-12-15"), &mut d);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].severity, Severity::Warning);
        assert!(d[0].message.contains("excepted until 2026-12-15") && d[0].message.contains("LEG-123"));
        assert_eq!(d[0].exception.as_ref().unwrap().line, 8);

        let mut d = vec![finding(Code::TermsMissing, "partners/initech.yaml")];
        apply(&p, day("2026-12-16"), &mut d);
        assert_eq!(d[0].severity, Severity::Error, "expired: covers nothing");
        assert_eq!(d[1].code, Code::ExceptionExpired);
        assert_eq!(d[1].severity, Severity::Warning);
    }

    #[test]
    fn it_covers_only_its_code_and_resource() {
        let p = program(
            "    - {code: terms-missing, resource: partner/initech, until: 2026-12-15, reason: r}\n    - {code: policy/max-keys, resource: partner/initech, until: 2026-12-15, reason: r}\n",
            &[("partners/initech.yaml", PARTNER)],
        );
        let mut d = vec![
            finding(Code::StageGate, "partners/initech.yaml"),
            finding(Code::TermsMissing, "partners/other.yaml"),
            finding(Code::Policy, "partners/initech.yaml").with_rule("other-rule"),
            finding(Code::Policy, "partners/initech.yaml").with_rule("max-keys"),
        ];
        apply(&p, day("2026-12-01"), &mut d);
        let severities: Vec<Severity> = d.iter().map(|d| d.severity).collect();
        assert_eq!(
            severities,
            [Severity::Error, Severity::Error, Severity::Error, Severity::Warning]
        );
    }

    #[test]
    fn too_long_unknown_and_unexceptable_exceptions_are_errors_and_cover_nothing() {
        let p = program(
            "    - {code: terms-missing, resource: partner/initech, until: 2027-12-15, reason: r}\n    - {code: terms-immutable, resource: partner/initech, until: 2026-12-15, reason: r}\n    - {code: no-such-code, resource: partner/initech, until: 2026-12-15, reason: r}\n    - {code: terms-missing, resource: partner/ghost, until: 2026-12-15, reason: r}\n",
            &[("partners/initech.yaml", PARTNER)],
        );
        let mut d = vec![finding(Code::TermsMissing, "partners/initech.yaml")];
        apply(&p, day("2026-12-01"), &mut d);
        let codes: Vec<Code> = d.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            [
                Code::TermsMissing,
                Code::ExceptionInvalid,
                Code::ExceptionInvalid,
                Code::ExceptionInvalid,
                Code::UnknownReference
            ]
        );
        assert_eq!(d[0].severity, Severity::Error);
        assert!(d[1].message.contains("379 days"), "{}", d[1].message);
    }
}
