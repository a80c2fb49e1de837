//! Diagnostics: the findings every stage of the pipeline reports about a program repository.
//!
//! A problem in a user's file is never an early return: loaders, the schema validator, the
//! checks and the policies all push [`Diagnostic`]s into one list, so that `validate` shows
//! every problem in one run. Each diagnostic names a file, a 1-based line and column, a stable
//! [`Code`], and a message a person can act on. How diagnostics look is decided in `cli/`.

use serde::Serialize;
use std::fmt;

/// How serious a finding is. Errors fail `validate` (exit 1); warnings alone do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($( $variant:ident = $name:literal, $sev:ident, $summary:literal; )*) => {
        /// Every check code partnerctl reports. The kebab-case names are stable: CI
        /// configurations, policies and suppressions refer to them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// All codes, in the order of SPEC §2.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable kebab-case name, as printed and as accepted by `explain`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }

            /// The severity a finding of this code has unless the check says otherwise.
            pub fn default_severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            /// One line saying when the code fires.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$variant => $summary, )* }
            }
        }
    };
}

codes! {
    YamlSyntax = "yaml-syntax", Error, "a file is not valid YAML, is not UTF-8, is empty, or holds more than one document";
    DuplicateKey = "duplicate-key", Error, "a mapping repeats a key";
    Schema = "schema", Error, "a document violates the JSON schema of its kind";
    MisplacedResource = "misplaced-resource", Error, "a document's kind does not belong in its folder, or program.yaml is missing";
    NameMismatch = "name-mismatch", Error, "metadata.name differs from the file stem";
    DuplicateName = "duplicate-name", Error, "two resources of one kind share a name, or two credentials share an id";
    UnknownReference = "unknown-reference", Error, "a named team, product, plan, terms, terms version, environment or file does not exist";
    PlanEnvironment = "plan-environment", Error, "a subscription's environment is not one of its plan's, or a live credential's environment has no subscription";
    StageGate = "stage-gate", Error, "access beyond the stage: sandbox access before `sandbox`, production access before `live` (production_requested may hold the production subscriptions it asked for, never an unrevoked production credential)";
    TermsMissing = "terms-missing", Error, "past `registered` without the program's requiredTerms, or subscribed to a product without having accepted its requiredTerms";
    TermsOutdated = "terms-outdated", Warning, "the accepted version of a needed terms is older than the current one (an error after its reacceptBy date)";
    DataSharingUncovered = "data-sharing-uncovered", Error, "a subscribed product's dataCategories are not all covered by the partner's accepted data-sharing terms";
    HistoryInvalid = "history-invalid", Error, "history out of date order, dated after today, skipping a stage, or not ending in `stage`";
    RevokedAccess = "revoked-access", Error, "a suspended or offboarded partner still has a credential that is not revoked, or an offboarded partner a subscription";
    CredentialExpired = "credential-expired", Warning, "a credential has expired and is not revoked";
    SecretInRepo = "secret-in-repo", Error, "a value looks like a secret (a private key, a token, a long random string), a reference such as secretRef included";
    TermsImmutable = "terms-immutable", Error, "a published terms version's text or dates differ from the base/applied state (plan only)";
    Policy = "policy", Error, "a finding of a Rego policy, built-in or the program's own";
    FileRefused = "file-refused", Error, "a file partnerctl will not read: a symbolic link, a FIFO, socket or device, over the size limit, or unreadable";
    OutputInvalid = "output-invalid", Error, "an output of program.yaml cannot be written safely: its path, target or template is invalid, or its template exceeds its budget";
    OpenapiInvalid = "openapi-invalid", Error, "an API description under apis/ does not parse, is not OpenAPI 3.0 or 3.1, or has a $ref that does not resolve inside apis/";
    OpenapiMismatch = "openapi-mismatch", Error, "a product's endpoints and the operations of its OpenAPI description disagree";
    ExceptionExpired = "exception-expired", Warning, "an exception in program.yaml `spec.exceptions` is past its `until` date and covers nothing any more";
    ExceptionInvalid = "exception-invalid", Error, "an exception runs longer than `spec.exceptionsMaxDays`, names a code that cannot be excepted, or a resource that does not exist";
    ProgramUnguarded = "program-unguarded", Warning, "no approval rule in program.yaml names `program-changed`, so the program's own rules can change with nobody's approval";
    EndpointConflict = "endpoint-conflict", Error, "two products of one environment serve the same method and path (the same path shape), so one would take the other's calls";
    AcceptanceMismatch = "acceptance-mismatch", Error, "an agreement's textSha256 is not the SHA-256 of that terms version's text as published";
    AcceptanceEvidence = "acceptance-evidence", Error, "with spec.agreements.requireEvidence, an acceptance added since the applied state lacks textSha256, method or evidence (plan, and validate with an applied state)";
}

impl Code {
    /// Looks a code up by its kebab-case name.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A place in a file of the program repository. `file` is relative to the repository root
/// with `/` separators; `line` and `column` are 1-based (column counts characters).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl Location {
    pub fn new(file: impl Into<String>, line: usize, column: usize) -> Self {
        Location {
            file: file.into(),
            line: line.max(1),
            column: column.max(1),
        }
    }

    /// The start of a file, for findings about a whole file.
    pub fn file_start(file: impl Into<String>) -> Self {
        Location::new(file, 1, 1)
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// What to do about it, when there is more to say than the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The policy rule that reported it (`policy` findings whose rule is named).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Box<str>>,
    /// The exception of program.yaml `spec.exceptions` that made it a warning (SPEC §10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Box<Excepted>>,
}

/// The exception a finding is reported under: it would be an error without it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Excepted {
    /// The last day the exception holds.
    pub until: crate::spec::Date,
    pub reason: String,
    /// Where the exception is written (`program.yaml` and its line).
    pub file: String,
    pub line: usize,
}

impl Diagnostic {
    /// A finding with the code's default severity.
    pub fn new(code: Code, at: &Location, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.default_severity(),
            message: message.into(),
            file: at.file.clone(),
            line: at.line,
            column: at.column,
            hint: None,
            rule: None,
            exception: None,
        }
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into().into_boxed_str());
        self
    }

    /// The code as exceptions name it: the check code, or `policy/<rule>`.
    pub fn exception_code(&self) -> String {
        match (&self.code, &self.rule) {
            (Code::Policy, Some(rule)) => format!("policy/{rule}"),
            (code, _) => code.as_str().to_string(),
        }
    }

    pub fn location(&self) -> Location {
        Location::new(self.file.clone(), self.line, self.column)
    }
}

/// Sorts findings the way people read them: by file, then line, column and code, and drops
/// exact duplicates (two checks reaching the same conclusion about one node).
pub fn sort_and_dedup(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.code, &a.message).cmp(&(&b.file, b.line, b.column, b.code, &b.message))
    });
    diags.dedup();
}

/// Counts of errors and warnings in a list of findings.
pub fn counts(diags: &[Diagnostic]) -> (usize, usize) {
    let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
    (errors, diags.len() - errors)
}
