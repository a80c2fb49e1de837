//! What each check code means, why it matters, and an example that fires it: the text of
//! `partnerctl explain CODE`, of `docs/checks.md` (one section per code, generated from here
//! and compared with the file by a test) and of the SARIF rules' help, which links there.

use crate::diag::Code;

/// Where `docs/checks.md` of this version is published: SARIF rules link each code to its
/// section there (`#stage-gate`), so that code scanning shows the explanation.
pub const DOCS_CHECKS_URL: &str = concat!(
    "https://github.com/partnerctl/partnerctl/blob/v",
    env!("CARGO_PKG_VERSION"),
    "/docs/checks.md"
);

/// The address of a code's section of `docs/checks.md`.
pub fn help_uri(code: Code) -> String {
    format!("{DOCS_CHECKS_URL}#{}", code.as_str())
}

/// One code's section of `docs/checks.md`, in Markdown. Its heading is the code alone, so
/// that the anchor GitHub gives it is the code (`#stage-gate`).
pub fn markdown(code: Code) -> String {
    let e = explain(code);
    format!(
        "## {code}\n\n**{}.** {}\n\n**Why it matters.** {}\n\n**Example that fires it.**\n\n```yaml\n{}{}```\n\n**What to do.** {}\n",
        capitalised(code.default_severity().as_str()),
        sentence(code.summary()),
        e.why,
        e.example,
        if e.example.ends_with('\n') { "" } else { "\n" },
        e.fix
    )
}

/// The same, as plain text (the SARIF rules' `help.text`).
pub fn text(code: Code) -> String {
    let e = explain(code);
    let example: String = e.example.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "{code} ({}): {}\n\nWhy it matters: {}\n\nExample that fires it:\n\n{example}\nWhat to do: {}\n",
        code.default_severity(),
        sentence(code.summary()),
        e.why,
        e.fix
    )
}

/// `docs/checks.md`: every code, in the order of `partnerctl explain`.
pub fn checks_page() -> String {
    let mut s = String::from(
        "<!-- Generated from src/explain.rs by `UPDATE_DOCS=1 cargo test --test docs`; edit it there. -->\n\
         # Check codes\n\n\
         Every finding of `partnerctl validate` (and of `plan`) carries one of these codes. \
         `partnerctl explain CODE` prints the same text; code scanning links each SARIF rule to its section here.\n\n\
         | code | severity | when |\n| --- | --- | --- |\n",
    );
    for c in Code::ALL {
        s.push_str(&format!(
            "| [`{c}`](#{c}) | {} | {} |\n",
            c.default_severity(),
            c.summary().replace('|', "\\|")
        ));
    }
    for c in Code::ALL {
        s.push('\n');
        s.push_str(&markdown(*c));
    }
    s
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A summary as a sentence: capitalised, with a full stop.
fn sentence(s: &str) -> String {
    let s = capitalised(s);
    if s.ends_with('.') { s } else { format!("{s}.") }
}

/// The long form of a code.
pub struct Explanation {
    /// Why the rule exists, for the person who hit it.
    pub why: &'static str,
    /// A snippet that fires it.
    pub example: &'static str,
    /// What to do.
    pub fix: &'static str,
}

pub fn explain(code: Code) -> Explanation {
    use Code::*;
    let (why, example, fix) = match code {
        YamlSyntax => (
            "partnerctl reads every file as exactly one YAML document in UTF-8. A file it cannot parse would silently drop a partner, product or terms from the program, so the whole run reports it instead.",
            "# partners/acme.yaml\napiVersion: partnerctl/v1\nkind: Partner\nmetadata: {name: acme, owner: partnerships\n",
            "Fix the YAML at the line shown (an unclosed bracket, a tab used for indentation, a second `---` document). Save the file as UTF-8.",
        ),
        DuplicateKey => (
            "YAML parsers disagree on which of two equal keys wins; most keep the last and drop the first without a word. A reviewer reading the first value would approve something other than what is applied.",
            "spec:\n  stage: sandbox\n  stage: live\n",
            "Keep one of the two entries.",
        ),
        Schema => (
            "Each kind has a JSON schema (`partnerctl schema KIND`). A misspelt field would otherwise be ignored, and a wrong value type would change meaning (an unquoted 1.0 is a number, not the version \"1.0\").",
            "kind: Product\nspec:\n  lifecycle: gaa        # not one of: beta, ga, deprecated, retired\n  displayNme: Rates    # unknown field\n",
            "Correct the field at the line shown; the hint lists the fields or values allowed there. Point your editor at schemas/*.schema.json for completion.",
        ),
        MisplacedResource => (
            "The folder says what a file holds: products/ Products, terms/ Terms, partners/ Partners, and program.yaml the Program. A Partner in products/ would be skipped by every rule that looks for partners.",
            "# products/acme.yaml\nkind: Partner\n",
            "Move the file to the folder of its kind, or add program.yaml (`partnerctl init` writes one).",
        ),
        NameMismatch => (
            "Pull requests, CODEOWNERS and reviewers find a resource by its file name. A file named after one partner that describes another misleads all three.",
            "# partners/acme.yaml\nmetadata:\n  name: acme-logistics\n",
            "Rename the file to `<metadata.name>.yaml`, or change the name.",
        ),
        DuplicateName => (
            "Names are how subscriptions, agreements and gateways refer to resources, and credential ids are how gateways and usage logs name a key. Two with the same name make every reference ambiguous.",
            "# partners/emea/acme.yaml and partners/acme.yaml both say\nmetadata: {name: acme, owner: partnerships}\n",
            "Give one of them another name (or id), or remove the copy.",
        ),
        UnknownReference => (
            "A subscription to a product that does not exist, an agreement with a version that was never published, or an owner that is not a team would be applied as nothing at all, or fail at the gateway.",
            "subscriptions:\n  - {product: shipmnts, plan: starter, environment: sandbox}\n",
            "Correct the name (the hint suggests the closest existing one), or add the missing resource in the same pull request.",
        ),
        PlanEnvironment => (
            "A plan is offered in certain environments; the gateway has no limits for a plan outside them. A live credential in an environment with no subscription can authenticate but call nothing, which usually means a forgotten revocation.",
            "plans:\n  - {name: starter, environments: [sandbox], ...}\n# partner:\nsubscriptions:\n  - {product: shipments, plan: starter, environment: production}\n",
            "Choose a plan offered in that environment, or revoke the stray credential.",
        ),
        StageGate => (
            "The onboarding path is the program's control: sandbox access comes with stage `sandbox`, production access only with `live`. Access granted ahead of the stage skips the review the stage stands for. A `production_requested` partner may hold the production subscriptions it asked for (its request is under review), but no unrevoked production credential until it is live.",
            "stage: sandbox\nsubscriptions:\n  - {product: tracking, plan: enterprise, environment: production}\n",
            "Move the partner to the stage (with a history entry) in the same pull request, so that the approval rules for that stage apply, or remove the access.",
        ),
        TermsMissing => (
            "Partners past `registered` must have accepted the program's required terms, and a product's subscribers its required terms. Access without accepted terms is access without a contract.",
            "stage: sandbox\nagreements: []\n",
            "Record the acceptance (terms, version, acceptedOn, signedBy) once the partner has accepted, or take the partner back a stage.",
        ),
        TermsOutdated => (
            "When terms get a new version, partners must accept it; until its reacceptBy date this is a warning, after it an error, because the partner is then calling under terms it never agreed to.",
            "# terms: 2.0 effective 2026-03-01, reacceptBy 2026-06-01\nagreements:\n  - {terms: partner-tos, version: \"1.0\", acceptedOn: 2025-02-01}\n",
            "Add an agreement for the current version once the partner has accepted it; suspend the partner if it will not. While a re-acceptance is being negotiated, an exception accepts the finding for a reviewed while: add `- {code: terms-outdated, resource: partner/NAME, until: YYYY-MM-DD, reason: \"...\"}` under `spec.exceptions` in program.yaml (`until` at most `spec.exceptionsMaxDays`, default 90, days ahead). Until that date the finding is a warning carrying the reason; after it, it is an error again and `exception-expired` says so.",
        ),
        DataSharingUncovered => (
            "A product that shares personal or sensitive data (its dataCategories) may only go to partners who accepted data-sharing terms covering each category.",
            "# products/shipments.yaml: dataCategories: [location]\n# partner subscribed to shipments without accepting data-sharing terms\n",
            "Have the partner accept data-sharing terms that cover the categories, or remove the subscription.",
        ),
        HistoryInvalid => (
            "The funnel, stuck-partner report and audits are computed from histories. A history out of order, in the future, skipping a stage, or disagreeing with `stage` makes them wrong.",
            "stage: live\nhistory:\n  - {stage: registered, date: 2026-01-04}\n  - {stage: live, date: 2026-02-01}\n",
            "List every stage with the date it was reached, oldest first, one step at a time, ending in the current stage.",
        ),
        RevokedAccess => (
            "A suspended or offboarded partner must not be able to call: every credential is revoked. An offboarded partner left the program, so its subscriptions go too; a suspended one keeps them, so that `partner reinstate` and new credentials restore its access (the gateways serve no suspended partner).",
            "stage: suspended\ncredentials:\n  - {id: acme-prd-1, environment: production, created: 2026-01-07, secretRef: \"vault://...\"}\n",
            "Set `revoked:` on every credential (and revoke them in the vault); for an offboarded partner remove the subscriptions too. `partnerctl partner suspend` and `partner offboard` make the whole change at once.",
        ),
        CredentialExpired => (
            "An expired credential no longer works, but a file that still lists it as live misleads the next reader and the audit.",
            "credentials:\n  - {id: acme-sbx-0, environment: sandbox, created: 2025-01-01, expires: 2026-01-01, secretRef: \"vault://...\"}\n",
            "Set `revoked:` to the expiry date, and issue a new credential if the partner still needs access.",
        ),
        SecretInRepo => (
            "Everything in the repository is copied to every clone, CI log and fork, forever. A key or token there must be treated as leaked. partnerctl never repeats the value in its output. A reference (`secretRef: vault://partners/acme/sbx-1`) is fine; a token pasted into one, in its query string (`?token=...`), its userinfo (`https://admin:pw@...`) or as the whole value, is not.",
            "labels:\n  api-key: \"sk_live_...\"\ncredentials:\n  - {id: acme-prd-1, secretRef: \"vault://partners/acme/prd-1?token=ghp_...\"}\n",
            "Remove the value, rotate the secret (it is in the git history), and keep only a reference: `secretRef: vault://...`.",
        ),
        TermsImmutable => (
            "Once a terms version takes effect, partners have accepted that exact text on those dates. Changing a published version rewrites what they signed; publish a new version instead.",
            "# terms/partner-tos/1.0.md edited after 1.0 took effect\n",
            "Revert the change to the published version and add a new version with its own effective date.",
        ),
        Policy => (
            "Policies carry the program's own rules, in Rego, next to the built-in checks: the built-in pack under policies/ and the program's policies/*.rego.",
            "# policies/beta.rego\npackage partnerctl.custom\ndeny contains msg if { ... }\n",
            "Do what the policy's message says, or change the rule's severity or switch it off in program.yaml under spec.policies.",
        ),
        FileRefused => (
            "partnerctl reads only regular files inside the repository and no larger than 8 MiB, so a hostile pull request cannot make it read outside the checkout (CI's token sits in .git/config), hang on a FIFO or exhaust memory. A symbolic link is refused wherever it points, in the working tree as in a git revision, so both sides of a plan read the same program.",
            "partners/acme.yaml -> ../.git/config   (a symbolic link)\n",
            "Replace the link with a regular file, or split the large file.",
        ),
        OutputInvalid => (
            "An output that validate accepts is written on merge, with write access to the gateways. A path into .git or onto the program's own files, an unknown target, a template that does not parse or that runs past its budget would break (or attack) the merge; so would a gateway output its engine refuses: `quotaPolicy: cluster` for a Kong without its database, two products on one Envoy Gateway HTTPRoute (one SecurityPolicy wins, the other is Conflicted), or a Kubernetes manifest the cluster refuses (a name too long, two resources of one name, more rules or values than the CRD allows). validate finds it in the pull request instead.",
            "outputs:\n  - {template: templates/cfg.j2, path: .git/config}\n",
            "Write outputs below a folder of their own (dist/ is usual), name a built-in target or a template under templates/, and keep templates within their budget (docs/security.md). For a gateway output, follow the message: docs/kubernetes.md says what each target needs and holds.",
        ),
        OpenapiInvalid => (
            "A product's OpenAPI description is what the portal shows partner developers and what the gateways route. One that does not parse, is not OpenAPI 3.0 or 3.1, or has a `$ref` that resolves to nothing (or outside apis/, which partnerctl never reads) would publish a reference that is wrong, or route nothing.",
            "# apis/shipments.yaml\nopenapi: 3.0.3\npaths:\n  /v1/shipments/{id}:\n    get:\n      responses:\n        '200': {$ref: '#/components/responses/Shipmnt'}   # no such response\n",
            "Fix the description at the line shown: correct the reference, keep referenced files under apis/, or convert a Swagger 2.0 file to OpenAPI 3.",
        ),
        OpenapiMismatch => (
            "A product that lists `endpoints` and names an OpenAPI description says twice what partners may call. When the two disagree, the gateways route one list and the portal documents the other.",
            "spec:\n  openapi: apis/shipments.yaml        # has GET and POST /v1/shipments\n  endpoints:\n    - {method: GET, path: /v1/shipments}\n",
            "Make them agree, or leave `endpoints` out: they are then the description's operations.",
        ),
        ExceptionExpired => (
            "An exception (program.yaml `spec.exceptions`) accepts a known problem for a reviewed while, with a reason. Past its `until` date it covers nothing: the findings it covered are errors again, and the stale entry only misleads the next reader.",
            "spec:\n  exceptions:\n    - {code: terms-outdated, resource: partner/initech, until: 2026-11-15, reason: \"renegotiating, LEG-123\"}\n# today is 2026-12-01\n",
            "Fix what the exception covered and remove it, or renew it in a reviewed pull request with a new `until` and reason. `partnerctl due` lists exceptions before they expire.",
        ),
        ExceptionInvalid => (
            "Exceptions are for a known problem and a short, reviewed while. One that runs longer than `spec.exceptionsMaxDays` (default 90 days from today) is a permanent waiver in disguise; one naming an unknown code would silently cover nothing; and some findings cannot be excepted at all: those that leave the program unreadable (yaml-syntax, schema, unknown-reference, ...) and terms-immutable, which guards what partners signed.",
            "spec:\n  exceptions:\n    - {code: terms-outdated, resource: partner/initech, until: 2028-01-01, reason: \"later\"}   # more than 90 days away\n",
            "Choose an earlier `until` and renew the exception when it comes due, or raise `spec.exceptionsMaxDays` in a reviewed change. Name a check code, `policy/<rule>` or `policy`.",
        ),
        ProgramUnguarded => (
            "program.yaml and the files of policies/ and templates/ are the rules for every other change: who approves what, which policies run, which exceptions hold, what the gateways are given. Without an approval rule for `program-changed`, a pull request that raises `exceptionsMaxDays`, switches off the built-in policies or drops an approval rule needs nobody's approval.",
            "spec:\n  approvals:\n    - on: [production-access]\n      require: [security, owner]\n# no rule names program-changed\n",
            "Add a rule that requires a team for the program's own changes, for example `- {on: [program-changed, exception-changed], require: [partnerships]}`.",
        ),
        EndpointConflict => (
            "A gateway routes a call by its method and path. When two products of one environment declare the same method and path (`/v1/berths/{id}` and `/v1/berths/{x}` are the same path), one of them wins: its partners reach the other product's upstream, and the other's subscribers are refused. A new product must not take over a route that another product serves.",
            "# products/berths.yaml\n  endpoints:\n    - {method: GET, path: \"/v1/berths/{id}\"}\n# products/harbour.yaml, also in production\n  endpoints:\n    - {method: GET, path: \"/v1/berths/{berth}\"}\n",
            "Give each route one product: remove the endpoint from one of them, or serve it under another path. An endpoint that two products must share belongs in one product with two plans.",
        ),
        AcceptanceMismatch => (
            "An acceptance's textSha256 ties it to the exact text the partner read. A digest that is not the hash of the version's text file proves nothing about what was accepted, or proves that another text was: an agreement nobody can show was made.",
            "agreements:\n  - {terms: partner-tos, version: \"2.0\", acceptedOn: 2026-11-01, signedBy: Jane Roe,\n     textSha256: 0000000000000000000000000000000000000000000000000000000000000000}\n",
            "Record the SHA-256 of the text the partner accepted (`sha256sum terms/partner-tos/2.0.md`; `partnerctl partner accept` writes it). If the partner read another text, it must accept the published one.",
        ),
        AcceptanceEvidence => (
            "With spec.agreements.requireEvidence, every acceptance added must say what was accepted (textSha256), how (method) and where the record is (evidence), so that an auditor can follow each agreement to its proof. Acceptances already applied are not judged again.",
            "# program.yaml: agreements: {requireEvidence: true}\nagreements:\n  - {terms: partner-tos, version: \"2.0\", acceptedOn: 2026-11-01, signedBy: Jane Roe}\n",
            "Add textSha256, method (click-through, issue-form, e-signature or countersigned) and evidence (an https URL to the signed document, the issue, the portal record). `partnerctl request` and `partnerctl partner accept` write all three.",
        ),
    };
    Explanation { why, example, fix }
}
