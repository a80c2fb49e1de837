//! The `issue-forms` target (SPEC §15.3): one GitHub issue form per request action,
//! `partnerctl-<action>.yml`, built from the program as of the day rendered — the products,
//! plans and environments a partner may ask for as dropdowns, the current version of each
//! terms (title, version, SHA-256 of its text, a link) as checkboxes.
//!
//! A [`Form`] is both what is written and what `request --github-event` reads back
//! (`github.rs`): the body of an issue opened from a form is parsed only by the fields of the
//! form its label names, as this module builds them from the same program. The YAML is
//! written by the serializer ([`crate::encode::yaml`]); program values reach labels and
//! Markdown through [`crate::encode::markdown`].
//!
//! GitHub checks more than its published schema (SchemaStore's `github-issue-forms.json`):
//! ids and labels unique across the form's fields and checkbox options, no `None` among
//! dropdown options, no forbidden word (`password`) in a label. [`Form::check`] holds the
//! forms partnerctl writes to those rules, so a program whose names would break them fails
//! to render instead of publishing a form GitHub refuses.

use crate::encode::{markdown, yaml};
use crate::model::Program;
use crate::output::{RenderError, RenderedFile};
use crate::spec::{ContactRole, Date, Environment, Lifecycle, RequestAction};
use serde_json::{Map, Value, json};

/// The label every form of an action sets, and that `--github-event` reads the action from.
pub const LABEL_PREFIX: &str = "partnerctl:";

/// `partnerctl:<action>`.
pub fn label(action: RequestAction) -> String {
    format!("{LABEL_PREFIX}{}", action.as_str())
}

/// `partnerctl-<action>.yml`: the form's file in the target folder.
pub fn file_name(action: RequestAction) -> String {
    format!("partnerctl-{}.yml", action.as_str())
}

/// One GitHub issue form.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub action: RequestAction,
    /// The template's name in GitHub's chooser.
    pub name: String,
    pub description: String,
    /// The issue title GitHub pre-fills.
    pub title: String,
    /// Markdown shown above the fields (not part of the issue body).
    pub intro: String,
    pub fields: Vec<Field>,
}

/// A field of a form; its `label` is the `### <label>` heading of its section in the issue.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub id: FieldId,
    pub label: String,
    pub description: String,
    pub required: bool,
    pub kind: FieldKind,
}

/// What a field fills in the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FieldId {
    Partner,
    DisplayName,
    LegalName,
    Website,
    ContactName,
    ContactEmail,
    ContactRole,
    ContactTitle,
    TechnicalName,
    TechnicalEmail,
    Terms,
    Plans,
}

impl FieldId {
    /// The form field's `id`.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldId::Partner => "partner",
            FieldId::DisplayName => "display-name",
            FieldId::LegalName => "legal-name",
            FieldId::Website => "website",
            FieldId::ContactName => "contact-name",
            FieldId::ContactEmail => "contact-email",
            FieldId::ContactRole => "contact-role",
            FieldId::ContactTitle => "contact-title",
            FieldId::TechnicalName => "technical-name",
            FieldId::TechnicalEmail => "technical-email",
            FieldId::Terms => "terms",
            FieldId::Plans => "plans",
        }
    }

    /// The request field the form field fills (`spec.requestedBy.email`).
    pub fn request_field(self) -> &'static str {
        match self {
            FieldId::Partner => "spec.partner",
            FieldId::DisplayName => "spec.register.displayName",
            FieldId::LegalName => "spec.register.legalName",
            FieldId::Website => "spec.register.website",
            FieldId::ContactName => "spec.requestedBy.name",
            FieldId::ContactEmail => "spec.requestedBy.email",
            FieldId::ContactRole => "spec.register.contacts[0].role",
            FieldId::ContactTitle => "spec.requestedBy.title",
            FieldId::TechnicalName => "spec.register.contacts[1].name",
            FieldId::TechnicalEmail => "spec.register.contacts[1].email",
            FieldId::Terms => "spec.accept",
            FieldId::Plans => "spec.subscriptions",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    /// One line of text.
    Input {
        placeholder: Option<String>,
    },
    Dropdown {
        options: Vec<Choice>,
        multiple: bool,
    },
    Checkboxes {
        options: Vec<Choice>,
    },
}

/// A dropdown option or a checkbox, with what choosing it means.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub label: String,
    pub value: ChoiceValue,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ChoiceValue {
    Role(ContactRole),
    Plan {
        product: String,
        plan: String,
    },
    Terms {
        terms: String,
        version: String,
        sha256: String,
    },
}

impl Form {
    pub fn field(&self, id: FieldId) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The form as GitHub reads it (`name`, `description`, `title`, `labels`, `body`).
    pub fn to_value(&self) -> Value {
        let mut body = vec![json!({"type": "markdown", "attributes": {"value": self.intro}})];
        for f in &self.fields {
            let mut attributes = Map::new();
            attributes.insert("label".into(), json!(f.label));
            attributes.insert("description".into(), json!(f.description));
            let kind = match &f.kind {
                FieldKind::Input { placeholder } => {
                    if let Some(p) = placeholder {
                        attributes.insert("placeholder".into(), json!(p));
                    }
                    "input"
                }
                FieldKind::Dropdown { options, multiple } => {
                    attributes.insert("multiple".into(), json!(multiple));
                    attributes.insert(
                        "options".into(),
                        json!(options.iter().map(|o| o.label.as_str()).collect::<Vec<_>>()),
                    );
                    "dropdown"
                }
                FieldKind::Checkboxes { options } => {
                    attributes.insert(
                        "options".into(),
                        Value::Array(options.iter().map(|o| json!({"label": o.label})).collect()),
                    );
                    "checkboxes"
                }
            };
            let mut item = Map::new();
            item.insert("type".into(), json!(kind));
            item.insert("id".into(), json!(f.id.as_str()));
            item.insert("attributes".into(), Value::Object(attributes));
            if !matches!(f.kind, FieldKind::Checkboxes { .. }) {
                item.insert("validations".into(), json!({"required": f.required}));
            }
            body.push(Value::Object(item));
        }
        json!({
            "name": self.name,
            "description": self.description,
            "title": self.title,
            "labels": [label(self.action)],
            "body": body,
        })
    }

    /// GitHub's rules beyond its schema: unique ids, labels unique across fields and checkbox
    /// options, no empty or reserved (`None`) option, no forbidden word in a label, and
    /// dropdown options that cannot be read back ambiguously once GitHub joins them with `, `.
    pub fn check(&self) -> Result<(), String> {
        let file = file_name(self.action);
        let mut ids = std::collections::BTreeSet::new();
        let mut labels = std::collections::BTreeSet::new();
        let mut label_ok = |l: &str, what: &str| -> Result<(), String> {
            if l.trim().is_empty() {
                return Err(format!("{file}: an empty {what}"));
            }
            if l.to_ascii_lowercase().contains("password") {
                return Err(format!(
                    "{file}: the {what} `{l}` holds the word `password`, which GitHub refuses in issue forms; rename what it comes from"
                ));
            }
            if !labels.insert(l.to_string()) {
                return Err(format!(
                    "{file}: the {what} `{l}` appears twice; GitHub wants labels unique across a form"
                ));
            }
            Ok(())
        };
        for f in &self.fields {
            if !ids.insert(f.id) {
                return Err(format!("{file}: the id `{}` appears twice", f.id.as_str()));
            }
            label_ok(&f.label, "field label")?;
            match &f.kind {
                FieldKind::Input { .. } => {}
                FieldKind::Dropdown { options, .. } => {
                    let mut seen = std::collections::BTreeSet::new();
                    for o in options {
                        if o.label.trim().is_empty() || o.label.trim().eq_ignore_ascii_case("none") {
                            return Err(format!(
                                "{file}: the dropdown `{}` would offer `{}`, which GitHub reserves",
                                f.label, o.label
                            ));
                        }
                        if o.label.to_ascii_lowercase().contains("password") {
                            return Err(format!(
                                "{file}: the option `{}` holds the word `password`, which GitHub refuses in issue forms",
                                o.label
                            ));
                        }
                        if o.label.contains('\n') || !seen.insert(o.label.as_str()) {
                            return Err(format!("{file}: the option `{}` appears twice", o.label));
                        }
                    }
                    if options.is_empty() {
                        return Err(format!("{file}: the dropdown `{}` has no option", f.label));
                    }
                }
                FieldKind::Checkboxes { options } => {
                    if options.is_empty() {
                        return Err(format!("{file}: the checkboxes `{}` have no option", f.label));
                    }
                    for o in options {
                        label_ok(&o.label, "checkbox label")?;
                    }
                }
            }
        }
        if self.fields.is_empty() {
            return Err(format!("{file}: a form needs at least one field"));
        }
        Ok(())
    }
}

/// Every form, in action order. Fails when the program cannot make a form GitHub accepts
/// (see [`Form::check`]) or has nothing to offer for an action.
pub fn forms(program: &Program, today: Date) -> Result<Vec<Form>, String> {
    RequestAction::ALL.iter().map(|a| form(program, today, *a)).collect()
}

/// The form of one action, as of `today`.
pub fn form(program: &Program, today: Date, action: RequestAction) -> Result<Form, String> {
    let program_name = program
        .spec()
        .map(|s| s.display_name.clone())
        .unwrap_or_else(|| program.name().to_string());
    let you = |required_title: bool| {
        let mut v = vec![
            input(
                FieldId::ContactName,
                "Your name",
                "The person making this request.",
                true,
                None,
            ),
            input(
                FieldId::ContactEmail,
                "Your work email",
                "Where the program's team can reach you about this request.",
                true,
                Some("jane@example.com"),
            ),
        ];
        if required_title {
            v.push(input(
                FieldId::ContactTitle,
                "Your title",
                "Your position at your company, which gives you the authority to accept terms for it. It is recorded with your acceptance.",
                false,
                None,
            ));
        }
        v
    };
    let partner = |description: &str| {
        input(
            FieldId::Partner,
            "Partner id",
            description,
            true,
            Some("acme-logistics"),
        )
    };
    let p = markdown::text(&program_name);
    let (name, description, title, intro, fields) = match action {
        RequestAction::Register => {
            let mut fields = vec![
                partner(
                    "The name your company will have in the program: lower-case letters, digits and dashes, at most 63 characters. It names your files and your API credentials.",
                ),
                input(
                    FieldId::DisplayName,
                    "Company name",
                    "Your company's name as partners and customers know it.",
                    true,
                    None,
                ),
                input(
                    FieldId::LegalName,
                    "Legal name",
                    "The legal entity that signs agreements, if it differs from the company name.",
                    false,
                    None,
                ),
                input(
                    FieldId::Website,
                    "Website",
                    "Your company's public website.",
                    false,
                    Some("https://"),
                ),
            ];
            fields.extend(you(true));
            fields.push(Field {
                id: FieldId::ContactRole,
                label: "Your role".into(),
                description: "What the program's team should contact you about.".into(),
                required: true,
                kind: FieldKind::Dropdown {
                    options: vec![
                        role(ContactRole::Technical, "Technical: the integration and API keys"),
                        role(ContactRole::Business, "Business: the partnership"),
                        role(ContactRole::Legal, "Legal: agreements and terms"),
                    ],
                    multiple: false,
                },
            });
            fields.push(input(
                FieldId::TechnicalName,
                "Technical contact name",
                "Who receives API keys and technical notices, if not you.",
                false,
                None,
            ));
            fields.push(input(
                FieldId::TechnicalEmail,
                "Technical contact email",
                "Their work email.",
                false,
                None,
            ));
            let terms = terms_choices(program, today, true);
            if !terms.is_empty() {
                fields.push(Field {
                    id: FieldId::Terms,
                    label: "Terms you accept".into(),
                    description: "Read each text (follow its link), then check it to accept it for your company. The program requires these of every partner before sandbox access; you may also accept them later.".into(),
                    required: false,
                    kind: FieldKind::Checkboxes { options: terms },
                });
            }
            (
                format!("Register with the {program_name}"),
                format!("Ask to join the {program_name}: the first step of the onboarding path."),
                "Register: ".to_string(),
                format!(
                    "**Join the {p}.** Tell us who you are. A pull request registers your company; the program's team reviews it. Accepting the terms now saves a step."
                ),
                fields,
            )
        }
        RequestAction::AcceptTerms => {
            let mut fields = vec![partner("Your company's id in the program, as registered.")];
            fields.extend(you(true));
            let terms = terms_choices(program, today, false);
            // Before any terms take effect (a new program's placeholder terms), the form still
            // exists, so the portal's link leads somewhere, and says there is nothing to accept.
            let intro = if terms.is_empty() {
                format!(
                    "**Accept the {p}'s terms.** No terms are in effect yet, so there is nothing to accept today; this form offers each terms document once its version takes effect."
                )
            } else {
                format!(
                    "**Accept the {p}'s terms.** Each box is one terms document at its current version; your acceptance is recorded with the SHA-256 of the text you read, your name and this issue."
                )
            };
            if !terms.is_empty() {
                fields.push(Field {
                    id: FieldId::Terms,
                    label: "Terms you accept".into(),
                    description: "Read each text (follow its link), then check the ones you accept for your company. Each box names the exact version and the SHA-256 of its text.".into(),
                    required: false,
                    kind: FieldKind::Checkboxes { options: terms },
                });
            }
            (
                format!("Accept the terms of the {program_name}"),
                "Accept the current version of the program's terms for your company.".to_string(),
                "Accept terms: ".to_string(),
                intro,
                fields,
            )
        }
        RequestAction::RequestSandbox | RequestAction::RequestProduction => {
            let env = action.environment().unwrap_or(Environment::Sandbox);
            let mut fields = vec![partner("Your company's id in the program, as registered.")];
            fields.extend(you(false));
            let plans = plan_choices(program, env);
            // With no plan offered in the environment (yet), the form still exists, so the
            // portal's link leads somewhere, and says so; a request from it is refused.
            let offered = !plans.is_empty();
            if offered {
                fields.push(Field {
                    id: FieldId::Plans,
                    label: "Products and plans".into(),
                    description: format!(
                        "The {env} access you ask for: one plan per product. A product's own terms must be accepted first."
                    ),
                    required: true,
                    kind: FieldKind::Dropdown {
                        options: plans,
                        multiple: true,
                    },
                });
            }
            let (name, description, title, mut intro) = match env {
                Environment::Sandbox => (
                    "Request sandbox access".to_string(),
                    "Ask for sandbox access to build your integration.".to_string(),
                    "Sandbox access: ".to_string(),
                    format!(
                        "**Sandbox access to the {p}.** Choose the products and plans to build with. You need the program's terms accepted. Once the pull request merges, your technical contact receives a sandbox key."
                    ),
                ),
                Environment::Production => (
                    "Request production access".to_string(),
                    "Ask for production access once your integration works in the sandbox.".to_string(),
                    "Production access: ".to_string(),
                    format!(
                        "**Production access to the {p}.** Choose the products and plans to go live with. The program's teams review the request; you go live when they approve it and a production key is issued."
                    ),
                ),
            };
            if !offered {
                intro.push_str(&format!(
                    " No product offers a plan in {env} yet, so there is nothing to ask for today."
                ));
            }
            (name, description, title, intro, fields)
        }
    };
    let form = Form {
        action,
        name,
        description,
        title,
        intro,
        fields,
    };
    form.check()?;
    Ok(form)
}

fn input(id: FieldId, label: &str, description: &str, required: bool, placeholder: Option<&str>) -> Field {
    Field {
        id,
        label: label.into(),
        description: description.into(),
        required,
        kind: FieldKind::Input {
            placeholder: placeholder.map(str::to_string),
        },
    }
}

fn role(role: ContactRole, label: &str) -> Choice {
    Choice {
        label: label.into(),
        value: ChoiceValue::Role(role),
    }
}

/// The link to a terms version's text: the portal's page when `spec.portal.url` is set, else
/// the file in the intake repository, else none.
pub fn terms_link(program: &Program, terms: &str, version: &crate::spec::TermsVersionSpec) -> Option<String> {
    let portal = program.spec()?.portal.as_ref()?;
    if let Some(url) = &portal.url {
        return Some(format!(
            "{}/{}",
            url.trim_end_matches('/'),
            crate::portal::public::terms_href(terms, &version.version)
        ));
    }
    let repo = portal.intake.as_ref()?.github.as_ref()?;
    Some(format!(
        "https://github.com/{repo}/blob/HEAD/{}",
        crate::model::Terms::text_path(version)
    ))
}

/// The checkbox label of a terms version. The part in parentheses is what the body is read
/// by: name, version and the SHA-256 of the text.
pub fn terms_label(title: &str, terms: &str, version: &str, sha256: &str, link: Option<&str>) -> String {
    // One Markdown line: the sentence escaped as a whole (it starts with a letter, so nothing
    // in it can start a list or a heading), the link as an autolink its pattern cannot leave.
    let link = link.map(|l| format!(": <{l}>")).unwrap_or_default();
    let sentence = markdown::text(&format!(
        "I accept {title} ({terms} version {version}, text SHA-256 {sha256})"
    ));
    format!("{sentence}{link}")
}

/// One checkbox per terms document with a version in effect and its text present
/// (`required_only`: the program's `requiredTerms`, in their order).
fn terms_choices(program: &Program, today: Date, required_only: bool) -> Vec<Choice> {
    let names: Vec<String> = if required_only {
        program.required_terms().iter().map(|n| n.0.clone()).collect()
    } else {
        program.terms.keys().cloned().collect()
    };
    let mut out = Vec::new();
    for name in names {
        let Some(t) = program.terms.get(&name) else { continue };
        let Some(current) = t.current(today) else { continue };
        let Some(sha256) = crate::model::Terms::text_sha256(current, program) else {
            continue;
        };
        let link = terms_link(program, &name, current);
        out.push(Choice {
            label: terms_label(&t.spec.title, &name, &current.version, &sha256, link.as_deref()),
            value: ChoiceValue::Terms {
                terms: name,
                version: current.version.clone(),
                sha256,
            },
        });
    }
    out
}

/// Every plan offered in `env` of a product that takes new subscribers (not deprecated or
/// retired), by product then plan as written.
fn plan_choices(program: &Program, env: Environment) -> Vec<Choice> {
    let mut out = Vec::new();
    for product in program.products.values() {
        if matches!(product.spec.lifecycle, Lifecycle::Deprecated | Lifecycle::Retired) {
            continue;
        }
        let beta = if product.spec.lifecycle == Lifecycle::Beta {
            ", beta"
        } else {
            ""
        };
        for plan in product.spec.plans.iter().filter(|p| p.environments.contains(&env)) {
            let quota = plan
                .quota
                .as_ref()
                .map(|q| format!("; quota {} requests/{}", q.requests, q.per.as_str()))
                .unwrap_or_default();
            out.push(Choice {
                label: format!(
                    "{} ({}{beta}) — plan {}: {} requests/{}{quota}",
                    markdown::text(&product.spec.display_name),
                    product.name,
                    plan.name,
                    plan.rate_limit.requests,
                    plan.rate_limit.per.as_str()
                ),
                value: ChoiceValue::Plan {
                    product: product.name.clone(),
                    plan: plan.name.0.clone(),
                },
            });
        }
    }
    out
}

/// The target: every form under `path`, as YAML written by the serializer.
pub fn render(program: &Program, today: Date, path: &str) -> Result<Vec<RenderedFile>, RenderError> {
    let forms = forms(program, today).map_err(|e| RenderError::Output(format!("output `{path}`: {e}")))?;
    let mut files = Vec::new();
    for f in forms {
        let comments = [
            "Written by partnerctl (target issue-forms) from the program; edit the program, not this file.".to_string(),
            format!(
                "`partnerctl request --github-event` reads issues opened from it: label {}.",
                label(f.action)
            ),
        ];
        let text = yaml::with_comments(&comments, &f.to_value())
            .map_err(|e| RenderError::Output(format!("output `{path}`: {e}")))?;
        files.push(RenderedFile::new(format!("{path}/{}", file_name(f.action)), text));
    }
    Ok(files)
}
