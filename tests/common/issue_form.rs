//! GitHub's side of an issue form, for tests: the forms the `issue-forms` target renders for
//! a program, filled in as GitHub writes an issue opened from them (one `### <label>`
//! section per field in form order, `_No response_` for an empty field, dropdown choices
//! joined by `, `, a `- [X]` or `- [ ]` line per checkbox), wrapped in the payload of GitHub's
//! `issues` event (`tests/external/github/issues-opened.payload.json`).

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// An answer to one field, by the field's id.
#[derive(Clone, Debug)]
pub enum Answer {
    Text(String),
    /// Dropdown options by a part of their label (the first option containing each).
    Choose(Vec<String>),
    /// Checkboxes checked, by a part of their label.
    Check(Vec<String>),
}

pub fn text(s: &str) -> Answer {
    Answer::Text(s.to_string())
}

pub fn choose(parts: &[&str]) -> Answer {
    Answer::Choose(parts.iter().map(|s| s.to_string()).collect())
}

pub fn check(parts: &[&str]) -> Answer {
    Answer::Check(parts.iter().map(|s| s.to_string()).collect())
}

/// The forms of the program in `dir` as of `as_of`, by action, as parsed YAML.
pub fn forms(dir: &Path, as_of: &str) -> BTreeMap<String, Value> {
    let out = tempfile::tempdir().unwrap();
    let status = assert_cmd::Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["render", "--out-dir"])
        .arg(out.path())
        .arg("-C")
        .arg(dir)
        .args(["--as-of", as_of])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let folder = out.path().join(".github/ISSUE_TEMPLATE");
    let mut forms = BTreeMap::new();
    for e in std::fs::read_dir(&folder).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let action = name
            .strip_prefix("partnerctl-")
            .and_then(|n| n.strip_suffix(".yml"))
            .unwrap()
            .to_string();
        let doc = partnerctl::source::yaml::parse(&name, &std::fs::read(e.path()).unwrap())
            .unwrap()
            .value;
        forms.insert(action, doc);
    }
    forms
}

/// The issue body GitHub writes for `form` filled with `answers`.
pub fn body(form: &Value, answers: &BTreeMap<&str, Answer>) -> String {
    let mut out = Vec::new();
    for item in form["body"].as_array().unwrap() {
        if item["type"] == "markdown" {
            continue;
        }
        let id = item["id"].as_str().unwrap();
        let label = item["attributes"]["label"].as_str().unwrap();
        let options: Vec<String> = item["attributes"]["options"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|o| o.as_str().or_else(|| o["label"].as_str()).unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let find = |part: &str| {
            options
                .iter()
                .find(|o| o.contains(part))
                .unwrap_or_else(|| panic!("no option of `{label}` contains `{part}`: {options:?}"))
                .clone()
        };
        let value = match (item["type"].as_str().unwrap(), answers.get(id)) {
            ("checkboxes", answer) => {
                let checked: Vec<String> = match answer {
                    Some(Answer::Check(parts)) => parts.iter().map(|p| find(p)).collect(),
                    _ => Vec::new(),
                };
                options
                    .iter()
                    .map(|o| format!("- [{}] {o}", if checked.contains(o) { "X" } else { " " }))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            (_, Some(Answer::Text(t))) => t.clone(),
            (_, Some(Answer::Choose(parts))) => parts.iter().map(|p| find(p)).collect::<Vec<_>>().join(", "),
            (_, Some(Answer::Check(_))) => panic!("`{label}` is no checkbox list"),
            (_, None) => "_No response_".to_string(),
        };
        out.push(format!("### {label}\n\n{value}"));
    }
    out.join("\n\n")
}

/// GitHub's `issues` event payload (action `opened`) for an issue with this body, labels and
/// author.
pub fn payload(body: &str, labels: &[&str], login: &str, number: u32) -> Value {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/external/github/issues-opened.payload.json");
    let mut p: Value = serde_json::from_slice(&std::fs::read(base).unwrap()).unwrap();
    let label_template = p["issue"]["labels"][0].clone();
    p["issue"]["body"] = json!(body);
    p["issue"]["labels"] = Value::Array(
        labels
            .iter()
            .map(|l| {
                let mut x = label_template.clone();
                x["name"] = json!(l);
                x
            })
            .collect(),
    );
    p["issue"]["user"]["login"] = json!(login);
    p["issue"]["number"] = json!(number);
    p["issue"]["html_url"] = json!(format!("https://github.com/northwind/partners/issues/{number}"));
    p
}
