//! `request --github-event` (SPEC §15.2, §15.3): the payload of GitHub's `issues` event for an
//! issue opened from one of the program's issue forms, read back into a Request.
//!
//! GitHub writes a form's answers into the issue body as one `### <label>` section per field,
//! in form order: the text of an input, `_No response_` (or `None`) for an empty optional
//! field, the chosen options of a dropdown joined by `, `, and one `- [X] <label>` or
//! `- [ ] <label>` line per checkbox. The issue's one `partnerctl:<action>` label says which
//! form it came from, and the body is read only by the fields of that form as
//! [`super::forms`] builds it from the program today: a section the form does not have, a
//! value a field cannot hold, or a required field left empty is a refusal naming the request
//! field it would fill. The body is the issue author's text, so nothing in it is trusted: a
//! checked box counts as an acceptance only with the SHA-256 of the text it carries.

use super::forms::{self, ChoiceValue, FieldId, FieldKind, Form};
use super::input::{Input, Origin, RequestDiagnostic};
use crate::diag::{Code, Diagnostic, Location};
use crate::model::Program;
use crate::source::yaml::{self, Pos};
use crate::spec::{ContactRole, Date, RequestAction};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The longest issue body GitHub stores (65,536 characters); a longer one was not written by
/// GitHub and is not read.
pub const MAX_BODY_CHARS: usize = 65_536;

/// Reads an `issues` event payload into a Request, with what reading it refused.
pub fn read_event(file: &str, bytes: &[u8], program: &Program, today: Date) -> Input {
    let doc = match yaml::parse(file, bytes) {
        Ok(doc) => doc,
        Err(d) => {
            return Input {
                value: Value::Null,
                origin: Origin::Event {
                    file: file.to_string(),
                    at: Pos {
                        line: d.line,
                        column: d.column,
                    },
                },
                refusals: vec![RequestDiagnostic {
                    field: None,
                    diagnostic: d,
                }],
            };
        }
    };
    let at = doc.pos("/issue/body");
    let origin = Origin::Event {
        file: file.to_string(),
        at,
    };
    let mut refusals = Vec::new();
    let mut refuse = |field: Option<&str>, code: Code, message: String| {
        let loc = Location::new(file, at.line, at.column);
        refusals.push(RequestDiagnostic {
            field: field.map(str::to_string),
            diagnostic: Diagnostic::new(code, &loc, message).with_severity(crate::diag::Severity::Error),
        });
    };
    let Some(issue) = doc.value.get("issue").filter(|i| i.is_object()) else {
        refuse(
            None,
            Code::Schema,
            format!("{file} is not the payload of an `issues` event: it has no `issue`"),
        );
        return Input {
            value: Value::Null,
            origin,
            refusals,
        };
    };

    let labels: Vec<&str> = issue
        .get("labels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|l| l.get("name").and_then(Value::as_str).or_else(|| l.as_str()))
                .filter(|n| n.starts_with(forms::LABEL_PREFIX))
                .collect()
        })
        .unwrap_or_default();
    let action = match labels.as_slice() {
        [] => {
            refuse(
                Some("spec.action"),
                Code::Schema,
                format!(
                    "the issue has no `{}<action>` label: it was not opened from one of the program's forms",
                    forms::LABEL_PREFIX
                ),
            );
            None
        }
        [one] => {
            let name = &one[forms::LABEL_PREFIX.len()..];
            let action = RequestAction::parse(name);
            if action.is_none() {
                refuse(
                    Some("spec.action"),
                    Code::Schema,
                    format!(
                        "the label `{}` names no form; the forms are {}",
                        one.escape_debug(),
                        RequestAction::ALL
                            .iter()
                            .map(|a| forms::label(*a))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            action
        }
        several => {
            refuse(
                Some("spec.action"),
                Code::Schema,
                format!(
                    "the issue has {} partnerctl labels ({}); a request comes from one form",
                    several.len(),
                    several
                        .iter()
                        .map(|l| format!("`{}`", l.escape_debug()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            None
        }
    };
    let Some(action) = action else {
        return Input {
            value: Value::Null,
            origin,
            refusals,
        };
    };
    let form = match forms::form(program, today, action) {
        Ok(f) => f,
        Err(e) => {
            refuse(
                Some("spec.action"),
                Code::OutputInvalid,
                format!("the program has no {action} form today: {e}"),
            );
            return Input {
                value: Value::Null,
                origin,
                refusals,
            };
        }
    };
    let body = issue.get("body").and_then(Value::as_str).unwrap_or_default();
    let mut problems = Vec::new();
    let answers = if body.chars().count() > MAX_BODY_CHARS {
        problems.push((
            "spec".to_string(),
            format!("the issue body is longer than GitHub's {MAX_BODY_CHARS} characters; it is not read"),
        ));
        BTreeMap::new()
    } else {
        read_body(&form, body, &mut problems)
    };
    for (field, message) in problems {
        refuse(Some(&field), Code::Schema, message);
    }

    let text = |id: FieldId| match answers.get(&id) {
        Some(Answer::Text(t)) => Some(t.clone()),
        _ => None,
    };
    let mut spec = Map::new();
    spec.insert("action".into(), json!(action.as_str()));
    spec.insert("partner".into(), json!(text(FieldId::Partner).unwrap_or_default()));
    if action == RequestAction::Register {
        let role = match answers.get(&FieldId::ContactRole) {
            Some(Answer::Choices(c)) => c.iter().find_map(|v| match v {
                ChoiceValue::Role(r) => Some(*r),
                _ => None,
            }),
            _ => None,
        };
        let mut contact = Map::new();
        contact.insert("name".into(), json!(text(FieldId::ContactName).unwrap_or_default()));
        contact.insert("email".into(), json!(text(FieldId::ContactEmail).unwrap_or_default()));
        contact.insert("role".into(), json!(role_str(role.unwrap_or(ContactRole::Technical))));
        let mut contacts = vec![Value::Object(contact)];
        let (tn, te) = (text(FieldId::TechnicalName), text(FieldId::TechnicalEmail));
        if tn.is_some() || te.is_some() {
            let mut c = Map::new();
            if let Some(n) = tn {
                c.insert("name".into(), json!(n));
            }
            if let Some(e) = te {
                c.insert("email".into(), json!(e));
            }
            c.insert("role".into(), json!("technical"));
            contacts.push(Value::Object(c));
        }
        let mut register = Map::new();
        register.insert(
            "displayName".into(),
            json!(text(FieldId::DisplayName).unwrap_or_default()),
        );
        if let Some(l) = text(FieldId::LegalName) {
            register.insert("legalName".into(), json!(l));
        }
        if let Some(w) = text(FieldId::Website) {
            register.insert("website".into(), json!(w));
        }
        register.insert("contacts".into(), Value::Array(contacts));
        spec.insert("register".into(), Value::Object(register));
    }
    if let Some(Answer::Choices(boxes)) = answers.get(&FieldId::Terms) {
        let accept: Vec<Value> = boxes
            .iter()
            .filter_map(|v| match v {
                ChoiceValue::Terms { terms, version, sha256 } => Some(json!({
                    "terms": terms, "version": version, "textSha256": sha256, "method": "issue-form"
                })),
                _ => None,
            })
            .collect();
        if !accept.is_empty() {
            spec.insert("accept".into(), Value::Array(accept));
        }
    }
    if let Some(Answer::Choices(plans)) = answers.get(&FieldId::Plans) {
        let subs: Vec<Value> = plans
            .iter()
            .filter_map(|v| match v {
                ChoiceValue::Plan { product, plan } => Some(json!({"product": product, "plan": plan})),
                _ => None,
            })
            .collect();
        spec.insert("subscriptions".into(), Value::Array(subs));
    }
    let mut by = Map::new();
    by.insert("name".into(), json!(text(FieldId::ContactName).unwrap_or_default()));
    by.insert("email".into(), json!(text(FieldId::ContactEmail).unwrap_or_default()));
    if let Some(login) = issue.pointer("/user/login").and_then(Value::as_str) {
        by.insert("login".into(), json!(login));
    }
    if let Some(t) = text(FieldId::ContactTitle) {
        by.insert("title".into(), json!(t));
    }
    spec.insert("requestedBy".into(), Value::Object(by));
    if let Some(url) = issue.get("html_url").and_then(Value::as_str) {
        spec.insert("evidence".into(), json!(url));
    }
    Input {
        value: json!({"apiVersion": crate::spec::API_VERSION, "kind": "Request", "spec": Value::Object(spec)}),
        origin,
        refusals,
    }
}

fn role_str(r: ContactRole) -> &'static str {
    match r {
        ContactRole::Technical => "technical",
        ContactRole::Business => "business",
        ContactRole::Legal => "legal",
    }
}

/// A field's answer as read from the body.
#[derive(Clone, Debug, PartialEq)]
enum Answer {
    Text(String),
    /// Dropdown options chosen, or boxes checked.
    Choices(Vec<ChoiceValue>),
}

/// Whether an answer is GitHub's mark of an empty optional field.
fn is_empty_answer(s: &str) -> bool {
    s.is_empty() || s == "_No response_" || s == "None"
}

/// The answers of the body by field, as the form's fields read them. Problems (request field,
/// message) for a section the form does not have, a value its field cannot hold, or a
/// required field left empty.
fn read_body(form: &Form, body: &str, problems: &mut Vec<(String, String)>) -> BTreeMap<FieldId, Answer> {
    let file = forms::file_name(form.action);
    let body = body.replace("\r\n", "\n");
    let mut sections: Vec<(String, Vec<&str>)> = Vec::new();
    let mut preamble = false;
    for line in body.split('\n') {
        if let Some(h) = line.strip_prefix("### ") {
            sections.push((h.trim().to_string(), Vec::new()));
        } else if let Some((_, lines)) = sections.last_mut() {
            lines.push(line);
        } else if !line.trim().is_empty() {
            preamble = true;
        }
    }
    if preamble {
        problems.push((
            "spec".into(),
            format!("the issue body has text before its first field; it is not what the form {file} writes"),
        ));
    }
    let mut found: BTreeMap<FieldId, Vec<&str>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for (heading, lines) in &sections {
        let Some(field) = form.fields.iter().find(|f| f.label == *heading) else {
            problems.push((
                "spec".into(),
                format!(
                    "the issue body has a section “{}” that the form {file} does not have",
                    heading.escape_debug()
                ),
            ));
            continue;
        };
        if !seen.insert(field.id) {
            problems.push((
                field.id.request_field().into(),
                format!("the issue body answers “{}” twice", field.label),
            ));
            continue;
        }
        found.insert(field.id, lines.clone());
    }

    let mut answers = BTreeMap::new();
    for field in &form.fields {
        let lines = found.get(&field.id).cloned().unwrap_or_default();
        let value = lines.join("\n").trim().to_string();
        let request_field = field.id.request_field();
        let empty = is_empty_answer(&value);
        match &field.kind {
            FieldKind::Input { .. } => {
                if !empty && value.contains('\n') {
                    problems.push((
                        request_field.into(),
                        format!("“{}” holds several lines; the form's field is one line", field.label),
                    ));
                } else if !empty {
                    answers.insert(field.id, Answer::Text(value.clone()));
                }
            }
            FieldKind::Dropdown { options, multiple } => {
                if !empty {
                    let labels: Vec<&str> = options.iter().map(|o| o.label.as_str()).collect();
                    match split_choices(&value, &labels) {
                        Some(chosen) if !*multiple && chosen.len() > 1 => problems.push((
                            request_field.into(),
                            format!("“{}” takes one choice; the body has {}", field.label, chosen.len()),
                        )),
                        Some(chosen) => {
                            answers.insert(
                                field.id,
                                Answer::Choices(chosen.into_iter().map(|i| options[i].value.clone()).collect()),
                            );
                        }
                        None => {
                            let bad = value
                                .split(", ")
                                .find(|p| !labels.contains(p))
                                .unwrap_or(&value)
                                .to_string();
                            problems.push((
                                request_field.into(),
                                format!("“{}”: “{}” is not one of the form's options", field.label, short(&bad)),
                            ));
                        }
                    }
                }
            }
            FieldKind::Checkboxes { options } => {
                let mut checked = Vec::new();
                for line in value.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    if empty {
                        break;
                    }
                    let (mark, label) = match line
                        .strip_prefix("- [")
                        .and_then(|r| r.split_once("] "))
                        .filter(|(m, _)| matches!(*m, "X" | "x" | " " | ""))
                    {
                        Some(x) => x,
                        None => {
                            problems.push((
                                request_field.into(),
                                format!(
                                    "“{}”: “{}” is not a checkbox line (`- [X] …`)",
                                    field.label,
                                    short(line)
                                ),
                            ));
                            continue;
                        }
                    };
                    if !matches!(mark, "X" | "x") {
                        continue;
                    }
                    let index = checked.len();
                    if let Some(o) = options.iter().find(|o| o.label == label) {
                        checked.push(o.value.clone());
                        continue;
                    }
                    match read_terms_box(label) {
                        BoxRead::Terms(v) => checked.push(v),
                        BoxRead::NoDigest(terms) => problems.push((
                            format!("{request_field}[{index}].textSha256"),
                            format!(
                                "the box checked for {terms} carries no SHA-256 of the text accepted; a checkbox is never taken as acceptance without it"
                            ),
                        )),
                        BoxRead::Unknown => problems.push((
                            format!("{request_field}[{index}]"),
                            format!(
                                "“{}”: the box “{}” is not one of the form's",
                                field.label,
                                short(label)
                            ),
                        )),
                    }
                }
                if !checked.is_empty() {
                    answers.insert(field.id, Answer::Choices(checked));
                }
            }
        }
        if field.required && !answers.contains_key(&field.id) && !problems.iter().any(|(f, _)| f == request_field) {
            problems.push((
                request_field.into(),
                format!("the form's field “{}” has no response, and it is required", field.label),
            ));
        }
    }
    answers
}

/// A value as a message quotes it: one line, at most 80 characters.
fn short(s: &str) -> String {
    let one: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if one.chars().count() > 80 {
        format!("{}…", one.chars().take(79).collect::<String>())
    } else {
        one
    }
}

/// What a checked box that is not one of today's options says of itself.
enum BoxRead {
    /// Terms, version and digest, as [`forms::terms_label`] writes them (a form of another
    /// day): judged like any acceptance, so an old version is refused as not current.
    Terms(ChoiceValue),
    /// It names terms but carries no digest.
    NoDigest(String),
    Unknown,
}

fn read_terms_box(label: &str) -> BoxRead {
    // `(<name> version <version>, text SHA-256 <hex>)`, as terms_label writes it.
    let Some(open) = label.rfind(" version ").and_then(|v| label[..v].rfind('(')) else {
        return BoxRead::Unknown;
    };
    let inner = &label[open + 1..];
    let Some((name, rest)) = inner.split_once(" version ") else {
        return BoxRead::Unknown;
    };
    if !crate::source::paths::is_valid_folder_name(name) {
        return BoxRead::Unknown;
    }
    match rest.split_once(", text SHA-256 ") {
        Some((version, tail)) => {
            let sha: String = tail.chars().take_while(char::is_ascii_hexdigit).collect();
            if sha.len() == 64 && tail[64..].starts_with(')') {
                BoxRead::Terms(ChoiceValue::Terms {
                    terms: name.to_string(),
                    version: unescape(version),
                    sha256: sha,
                })
            } else {
                BoxRead::NoDigest(name.to_string())
            }
        }
        None => BoxRead::NoDigest(name.to_string()),
    }
}

/// The numeric character references [`crate::encode::markdown::text`] writes, undone.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("&#") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after
            .split_once(';')
            .and_then(|(n, r)| n.parse::<u32>().ok().and_then(char::from_u32).map(|c| (c, r)))
        {
            Some((c, r)) => {
                out.push(c);
                rest = r;
            }
            None => {
                out.push_str("&#");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
}

/// The options whose labels, joined by `, `, make `value` (GitHub's form of a dropdown's
/// choices), by their index; `None` when no sequence of options does. Labels may hold `, `
/// themselves, so every split is tried, each position at most once.
fn split_choices(value: &str, labels: &[&str]) -> Option<Vec<usize>> {
    fn go(value: &str, at: usize, labels: &[&str], failed: &mut BTreeSet<usize>, acc: &mut Vec<usize>) -> bool {
        if at == value.len() {
            return !acc.is_empty();
        }
        if failed.contains(&at) {
            return false;
        }
        let rest = &value[at..];
        for (i, l) in labels.iter().enumerate() {
            let Some(after) = rest.strip_prefix(l) else { continue };
            let next = if after.is_empty() {
                value.len()
            } else if let Some(a) = after.strip_prefix(", ") {
                if a.is_empty() {
                    continue;
                }
                value.len() - a.len()
            } else {
                continue;
            };
            if acc.contains(&i) {
                continue;
            }
            acc.push(i);
            if go(value, next, labels, failed, acc) {
                return true;
            }
            acc.pop();
        }
        failed.insert(at);
        false
    }
    let mut acc = Vec::new();
    go(value, 0, labels, &mut BTreeSet::new(), &mut acc).then_some(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_split_even_when_labels_hold_the_separator() {
        let labels = ["A, one", "A", "B"];
        assert_eq!(split_choices("A, one, B", &labels), Some(vec![0, 2]));
        assert_eq!(split_choices("A, B", &labels), Some(vec![1, 2]));
        assert_eq!(split_choices("A, C", &labels), None);
        assert_eq!(split_choices("B, B", &labels), None, "an option is chosen once");
    }

    #[test]
    fn a_terms_box_is_read_by_its_digest() {
        let sha = "a".repeat(64);
        let label = forms::terms_label("T & C", "tos", "2.0", &sha, Some("https://x.example/t"));
        match read_terms_box(&label) {
            BoxRead::Terms(ChoiceValue::Terms { terms, version, sha256 }) => {
                assert_eq!(
                    (terms.as_str(), version.as_str(), sha256.as_str()),
                    ("tos", "2.0", sha.as_str())
                );
            }
            _ => panic!("{label}"),
        }
        assert!(matches!(
            read_terms_box("I accept T (tos version 2.0)"),
            BoxRead::NoDigest(n) if n == "tos"
        ));
        assert!(matches!(read_terms_box("I agree"), BoxRead::Unknown));
    }
}
