//! The lifecycle commands of SPEC §15.5, run as a partner manager runs them: each keeps the
//! comments and key order of the file it edits (in flow and block style), leaves a program
//! that `validate` accepts, or refuses with its reasons and writes nothing.

mod common;

use common::{AS_OF, copy_example, write};
use std::path::Path;
use std::process::Command;

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_partnerctl"))
        .args(args)
        .arg("-C")
        .arg(dir)
        .env("PARTNERCTL_AS_OF", AS_OF)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let (code, out, err) = run(dir, &a);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (code, v)
}

fn validates(dir: &Path) {
    let (code, out, _) = run(dir, &["validate"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("error["), "{out}");
}

/// A partner file in every style at once: comments on and between lines, block mappings,
/// flow items, flow lists.
const NORDLICHT: &str = r#"# Nordlicht: signed at the Hamburg fair.
apiVersion: partnerctl/v1
kind: Partner
metadata:
  name: nordlicht
  owner: partnerships   # account: Petra
  labels: {region: emea}
spec:
  displayName: Nordlicht Logistik
  listed: true
  contacts:
    - name: Ole Berg          # CTO
      email: ole@nordlicht.example
      role: technical
  stage: terms_accepted   # since the fair
  history:
    - stage: registered
      date: 2026-10-01
    - stage: terms_accepted   # signed on paper
      date: 2026-10-03
  agreements:
    - {terms: partner-tos, version: "2.0", acceptedOn: 2026-10-03, signedBy: Ole Berg}
  subscriptions: []   # none yet
  # credentials come from the vault team
  credentials: []
"#;

const FILE: &str = "partners/emea/nordlicht.yaml";

fn comments(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.find('#').map(|i| l[i..].to_string()))
        .collect()
}

/// The keys of every mapping, in the order written, by JSON pointer.
fn key_orders(text: &str) -> Vec<(String, Vec<String>)> {
    fn walk(v: &serde_json::Value, at: String, out: &mut Vec<(String, Vec<String>)>) {
        match v {
            serde_json::Value::Object(m) => {
                out.push((at.clone(), m.keys().cloned().collect()));
                for (k, v) in m {
                    walk(v, format!("{at}/{k}"), out);
                }
            }
            serde_json::Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    walk(v, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let v: serde_json::Value = yaml_serde::from_str(text).unwrap();
    let mut out = Vec::new();
    walk(&v, String::new(), &mut out);
    out
}

/// Every mapping that was there before keeps its keys in their order (new keys come after).
fn assert_kept(before: &str, after: &str, step: &str) {
    for c in comments(before) {
        assert!(after.contains(&c), "{step}: lost the comment {c:?}:\n{after}");
    }
    let now: std::collections::HashMap<_, _> = key_orders(after).into_iter().collect();
    for (at, keys) in key_orders(before) {
        let Some(new) = now.get(&at) else { continue };
        let kept: Vec<&String> = new.iter().filter(|k| keys.contains(k)).collect();
        let old: Vec<&String> = keys.iter().filter(|k| new.contains(k)).collect();
        assert_eq!(kept, old, "{step}: the keys of {at} changed order:\n{after}");
    }
}

#[test]
fn every_command_keeps_comments_and_key_order_and_leaves_the_program_valid() {
    let dir = copy_example();
    write(dir.path(), FILE, NORDLICHT);
    validates(dir.path());
    let steps: &[&[&str]] = &[
        &["partner", "move", "nordlicht", "--to", "sandbox"],
        &[
            "partner",
            "subscribe",
            "nordlicht",
            "tracking",
            "starter",
            "--env",
            "sandbox",
        ],
        &[
            "partner",
            "accept",
            "nordlicht",
            "data-sharing",
            "1.0",
            "--signed-by",
            "Ole Berg, CTO",
            "--method",
            "e-signature",
            "--evidence",
            "https://sign.example/envelopes/4711",
        ],
        &[
            "partner",
            "subscribe",
            "nordlicht",
            "shipments",
            "starter",
            "--env",
            "sandbox",
        ],
        &[
            "credential",
            "issue",
            "nordlicht",
            "--env",
            "sandbox",
            "--expires",
            "2027-11-01",
            "--secret-ref",
            "vault://partners/nordlicht/nordlicht-sbx-1",
        ],
        &[
            "credential",
            "rotate",
            "nordlicht-sbx-1",
            "--secret-ref",
            "vault://partners/nordlicht/nordlicht-sbx-2",
        ],
        &[
            "partner",
            "subscribe",
            "nordlicht",
            "tracking",
            "standard",
            "--env",
            "sandbox",
        ],
        &["partner", "move", "nordlicht", "--to", "production_requested"],
        &["partner", "move", "nordlicht", "--to", "live"],
        &[
            "partner",
            "subscribe",
            "nordlicht",
            "tracking",
            "enterprise",
            "--env",
            "production",
        ],
        &[
            "credential",
            "issue",
            "nordlicht",
            "--env",
            "production",
            "--secret-ref",
            "vault://partners/nordlicht/nordlicht-prd-1",
        ],
        &["partner", "suspend", "nordlicht"],
        &["partner", "reinstate", "nordlicht"],
        &[
            "credential",
            "issue",
            "nordlicht",
            "--env",
            "sandbox",
            "--secret-ref",
            "vault://partners/nordlicht/nordlicht-sbx-3",
        ],
        &["credential", "revoke", "nordlicht-sbx-3"],
        &[
            "partner",
            "unsubscribe",
            "nordlicht",
            "tracking",
            "standard",
            "--env",
            "sandbox",
        ],
        &["partner", "offboard", "nordlicht"],
    ];
    let path = dir.path().join(FILE);
    for step in steps {
        let before = std::fs::read_to_string(&path).unwrap();
        let (code, out, err) = run(dir.path(), step);
        let name = step.join(" ");
        assert_eq!(code, 0, "{name}: {out}{err}");
        let after = std::fs::read_to_string(&path).unwrap();
        assert_ne!(before, after, "{name} changed nothing");
        assert_kept(&before, &after, &name);
        validates(dir.path());
    }
    let end = std::fs::read_to_string(&path).unwrap();
    let v: serde_json::Value = yaml_serde::from_str(&end).unwrap();
    let stages: Vec<&str> = v["spec"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "registered",
            "terms_accepted",
            "sandbox",
            "production_requested",
            "live",
            "suspended",
            "live",
            "offboarded"
        ]
    );
    assert!(
        v["spec"]["history"].as_array().unwrap()[2..]
            .iter()
            .all(|h| h["date"] == AS_OF)
    );
    assert_eq!(v["spec"]["stage"], "offboarded");
    assert_eq!(v["spec"]["listed"], false);
    assert_eq!(v["spec"]["subscriptions"], serde_json::json!([]));
    let accepted = &v["spec"]["agreements"][1];
    let text = std::fs::read(common::example_dir().join("terms/data-sharing/1.0.md")).unwrap();
    let sha: String = <sha2::Sha256 as sha2::Digest>::digest(&text)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        accepted,
        &serde_json::json!({"terms": "data-sharing", "version": "1.0", "acceptedOn": AS_OF,
            "signedBy": "Ole Berg, CTO", "textSha256": sha, "method": "e-signature",
            "evidence": "https://sign.example/envelopes/4711"})
    );
    let creds = v["spec"]["credentials"].as_array().unwrap();
    let ids: Vec<&str> = creds.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "nordlicht-sbx-1",
            "nordlicht-sbx-2",
            "nordlicht-prd-1",
            "nordlicht-sbx-3"
        ]
    );
    assert!(creds.iter().all(|c| c["revoked"] == AS_OF), "{end}");
    // Rotation keeps the old key's lifetime: created today, a year as the old one had.
    assert_eq!(creds[1]["expires"], "2027-11-01");
    // History items were added in the style of the ones before them (block mappings).
    assert!(
        end.contains("    - stage: offboarded\n      date: 2026-11-01\n"),
        "{end}"
    );
    // The credentials list was `[]`: items went into it in flow style, on its line.
    assert!(end.contains("  credentials: [{id: nordlicht-sbx-1,"), "{end}");
}

#[test]
fn the_example_files_keep_their_layout() {
    let dir = copy_example();
    let file = "partners/emea/acme-logistics.yaml";
    let before = std::fs::read_to_string(dir.path().join(file)).unwrap();
    let (code, out, _) = run(
        dir.path(),
        &[
            "credential",
            "issue",
            "acme-logistics",
            "--env",
            "sandbox",
            "--secret-ref",
            "vault://partners/acme-logistics/acme-sbx-3",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("issues credential acme-sbx-3"),
        "the partner's own prefix: {out}"
    );
    let after = std::fs::read_to_string(dir.path().join(file)).unwrap();
    assert_eq!(
        after,
        before.replace(
            "       secretRef: \"vault://partners/acme-logistics/acme-prd-2\"}\n",
            "       secretRef: \"vault://partners/acme-logistics/acme-prd-2\"}\n    - {id: acme-sbx-3, environment: sandbox, created: 2026-11-01, secretRef: \"vault://partners/acme-logistics/acme-sbx-3\"}\n"
        )
    );
    validates(dir.path());

    // A new partner: a file written through the encoder, text kept exactly.
    let (code, out, _) = run(
        dir.path(),
        &[
            "partner",
            "new",
            "nordwind",
            "--display-name",
            "Nordwind: \"Fracht\" # & Co, [1] {a: b}",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let text = std::fs::read_to_string(dir.path().join("partners/nordwind.yaml")).unwrap();
    let v: serde_json::Value = yaml_serde::from_str(&text).unwrap();
    assert_eq!(v["spec"]["displayName"], "Nordwind: \"Fracht\" # & Co, [1] {a: b}");
    assert_eq!(v["metadata"]["owner"], "partnerships", "the program's owner by default");
    assert_eq!(v["spec"]["history"][0]["date"], AS_OF);
    validates(dir.path());
}

/// Files of the program, by path, to show that a refusal wrote nothing.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn refusals_name_the_reason_and_write_nothing() {
    let dir = copy_example();
    write(dir.path(), FILE, NORDLICHT);
    let token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
    let secret_ref = format!("vault://x/{token}");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["partner", "move", "ghost", "--to", "sandbox"],
            "there is no partner `ghost`",
        ),
        (
            vec!["partner", "suspend", "../../etc/passwd"],
            "is not a valid partner name",
        ),
        (
            vec!["partner", "new", "../x", "--display-name", "X"],
            "is not a valid partner name",
        ),
        (
            vec!["partner", "new", "acme-logistics", "--display-name", "X"],
            "is taken",
        ),
        (
            vec!["partner", "new", "fresh", "--display-name", "a\nkind: Product"],
            "line break",
        ),
        (
            vec!["partner", "new", "fresh", "--display-name", "X", "--owner", "nobody"],
            "not a team",
        ),
        (
            vec!["partner", "move", "nordlicht", "--to", "live"],
            "the next stage is `sandbox`",
        ),
        (vec!["partner", "reinstate", "nordlicht"], "not suspended"),
        (
            vec!["partner", "move", "andes-cargo-link", "--to", "registered"],
            "offboarded",
        ),
        (
            vec![
                "partner",
                "subscribe",
                "acme-logistics",
                "tracking",
                "gold",
                "--env",
                "sandbox",
            ],
            "tracking has no plan `gold`",
        ),
        (
            vec![
                "partner",
                "subscribe",
                "acme-logistics",
                "tracking",
                "starter",
                "--env",
                "production",
            ],
            "is not offered in production",
        ),
        (
            vec![
                "partner",
                "subscribe",
                "acme-logistics",
                "tracking",
                "standard",
                "--env",
                "production",
            ],
            "already",
        ),
        (
            vec![
                "partner",
                "unsubscribe",
                "acme-logistics",
                "rates",
                "starter",
                "--env",
                "sandbox",
            ],
            "has no subscription",
        ),
        (
            vec![
                "credential",
                "issue",
                "acme-logistics",
                "--env",
                "sandbox",
                "--secret-ref",
                &secret_ref,
            ],
            "looks like a GitHub token",
        ),
        (
            vec![
                "credential",
                "issue",
                "acme-logistics",
                "--env",
                "sandbox",
                "--secret-ref",
                "not a ref",
            ],
            "is not a reference",
        ),
        (
            vec![
                "credential",
                "issue",
                "acme-logistics",
                "--env",
                "sandbox",
                "--expires",
                "2026-10-01",
                "--secret-ref",
                "vault://a/b",
            ],
            "is not after today",
        ),
        (
            vec!["credential", "revoke", "acme-sbx-1"],
            "was revoked on 2026-01-12 already",
        ),
        (
            vec![
                "partner",
                "accept",
                "nordlicht",
                "partner-tos",
                "9.9",
                "--signed-by",
                "Ole",
            ],
            "partner-tos has no version `9.9`; its versions are 1.0, 2.0",
        ),
        (
            vec![
                "partner",
                "accept",
                "nordlicht",
                "partner-tos",
                "2.0",
                "--signed-by",
                "Ole",
            ],
            "has accepted partner-tos 2.0 already",
        ),
        (
            vec![
                "partner",
                "accept",
                "nordlicht",
                "data-sharing",
                "1.0",
                "--signed-by",
                "Ole",
                "--evidence",
                "http://sign.example/x",
            ],
            "--evidence is not an https:// URL",
        ),
        (
            vec!["credential", "revoke", "nope-1"],
            "no partner holds a credential `nope-1`",
        ),
        (
            vec!["credential", "rotate", "acme-sbx-1", "--secret-ref", "vault://a/b"],
            "is revoked",
        ),
        // The program's rules refuse what the command alone would allow: sandbox access
        // before the partner reaches `sandbox`.
        (
            vec![
                "partner",
                "subscribe",
                "nordlicht",
                "tracking",
                "starter",
                "--env",
                "sandbox",
            ],
            "error[stage-gate]",
        ),
    ];
    let before = tree(dir.path());
    for (args, says) in cases {
        let (code, out, err) = run(dir.path(), &args);
        let name = args.join(" ");
        assert_eq!(code, 1, "{name}: {out}{err}");
        assert!(out.contains(says), "{name}: expected {says:?} in\n{out}{err}");
        assert!(out.contains("nothing was written"), "{name}: {out}");
        assert!(
            !out.contains(token) && !err.contains(token),
            "{name}: the token was repeated"
        );
        assert_eq!(tree(dir.path()), before, "{name} wrote something");
    }

    // In JSON, the findings of the edited program, and which the program had before.
    let (code, v) = json(
        dir.path(),
        &[
            "partner",
            "subscribe",
            "nordlicht",
            "tracking",
            "starter",
            "--env",
            "sandbox",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(v["ok"], false);
    assert_eq!(v["files"], serde_json::json!([]));
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap();
    assert_eq!(
        (d["code"].as_str(), d["file"].as_str(), d["before"].as_bool()),
        (Some("stage-gate"), Some(FILE), Some(false))
    );

    // --dry-run says what it would do and writes nothing.
    let (code, out, _) = run(
        dir.path(),
        &["partner", "move", "nordlicht", "--to", "sandbox", "--dry-run"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("would write partners/emea/nordlicht.yaml"), "{out}");
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn a_program_that_validate_rejects_is_not_edited_further() {
    let dir = copy_example();
    common::edit(
        dir.path(),
        "partners/emea/baltic-freight.yaml",
        "plan: starter",
        "plan: platinum",
    );
    let before = tree(dir.path());
    let (code, v) = json(dir.path(), &["credential", "revoke", "acme-sbx-2"]);
    assert_eq!(code, 1, "{v:#}");
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "unknown-reference")
        .unwrap();
    assert_eq!(d["before"], true, "the finding was there before the change: {v:#}");
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn what_the_editor_cannot_keep_is_refused() {
    let dir = copy_example();
    let file = "partners/emea/acme-logistics.yaml";
    common::edit(dir.path(), file, "  stage: live\n", "  stage: !!str live\n");
    let before = tree(dir.path());
    let (code, out, _) = run(dir.path(), &["partner", "suspend", "acme-logistics"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not edited in place; change it by hand"), "{out}");
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn an_acceptance_carries_the_evidence_the_program_requires() {
    let dir = copy_example();
    let root = dir.path();
    common::edit(
        root,
        "program.yaml",
        "  portal:",
        "  agreements: {requireEvidence: true}\n  portal:",
    );
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(root)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    std::fs::write(root.join(".gitignore"), "dist/\n").unwrap();
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "program"]);
    let (code, out, err) = run(root, &["apply", "--initial"]);
    assert_eq!(code, 0, "{out}{err}");
    let accept = [
        "partner",
        "accept",
        "baltic-freight",
        "data-sharing",
        "1.0",
        "--signed-by",
        "Eva Berg",
    ];
    let before = tree(root);
    let (code, out, _) = run(root, &accept);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[acceptance-evidence]"), "{out}");
    assert_eq!(tree(root), before);
    let mut with_evidence = accept.to_vec();
    with_evidence.extend([
        "--method",
        "countersigned",
        "--evidence",
        "https://contracts.example/ds/88",
    ]);
    let (code, out, _) = run(root, &with_evidence);
    assert_eq!(code, 0, "{out}");
    validates(root);
}
