//! The self-service loop of SPEC §15 replayed with real git: the example workflow's own
//! `intake` and `credential` jobs (and the review job's auto-merge step), read from
//! examples/workflows/partnerctl.yml and run with bash as GitHub runs them, against a bare
//! "remote", with a stand-in `gh` on the PATH that records what it is asked and answers as
//! GitHub would. The issue payloads are made from the forms the `issue-forms` target renders.
//!
//! Needs the `git` and `jq` commands (as the workflow does).

mod common;

use common::git::git;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const AS_OF: &str = "2026-11-01";
const BOT: &str = "bot-token-for-tests";
const GITHUB_TOKEN: &str = "workflow-token-for-tests";

fn have_jq() -> bool {
    let ok = Command::new("jq")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "jq is needed in CI");
    }
    ok
}

fn bin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_partnerctl"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A bare remote holding the example program on `main`, a developer's clone, and a folder
/// for the stand-in `gh`.
struct World {
    tmp: tempfile::TempDir,
}

/// The stand-in for the GitHub CLI: each call is logged (arguments in brackets, the token it
/// ran with, and the file a `--body-file` names), `pr create` answers with a URL.
const GH: &str = r#"#!/usr/bin/env bash
set -euo pipefail
{
  printf 'gh'
  for a in "$@"; do printf ' [%s]' "$a"; done
  printf ' token=%s\n' "${GH_TOKEN:-}"
} >> "$GH_LOG"
prev=""
for a in "$@"; do
  if [ "$prev" = "--body-file" ]; then
    { printf -- '--- body\n'; cat "$a"; printf -- '\n--- end\n'; } >> "$GH_LOG"
  fi
  prev="$a"
done
if [ "$1 ${2:-}" = "pr create" ]; then
  echo "https://github.com/northwind/partners/pull/7"
fi
"#;

impl World {
    fn new(edit_program: impl FnOnce(&Path)) -> World {
        let w = World {
            tmp: tempfile::tempdir().unwrap(),
        };
        git(w.root(), &["init", "-q", "--bare", "-b", "main", "remote.git"]);
        let dev = w.path("dev");
        common::copy_dir(&common::example_dir(), &dev);
        edit_program(&dev);
        // The provider's credential hook: mints nothing here, prints the reference it would.
        let hook = dev.join(".github/partnerctl/mint-key");
        std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
        std::fs::write(
            &hook,
            "#!/usr/bin/env bash\nset -euo pipefail\ntest -f \"$PARTNERCTL_PARTNER_FILE\"\necho \"minted $3 for $1 in $2\" >&2\nprintf 'vault://partners/%s/%s\\n' \"$1\" \"$3\"\n",
        )
        .unwrap();
        chmod_x(&hook);
        std::fs::write(dev.join(".gitignore"), "dist/\n").unwrap();
        git(&dev, &["init", "-q", "-b", "main"]);
        git(&dev, &["add", "-A"]);
        git(&dev, &["commit", "-q", "-m", "the program"]);
        git(
            &dev,
            &["remote", "add", "origin", w.path("remote.git").to_str().unwrap()],
        );
        git(&dev, &["push", "-q", "origin", "main"]);
        let gh = w.path("gh-bin/gh");
        std::fs::create_dir_all(gh.parent().unwrap()).unwrap();
        std::fs::write(&gh, GH).unwrap();
        chmod_x(&gh);
        w
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// A fresh checkout of the remote's `main`, as actions/checkout makes it.
    fn checkout(&self, name: &str) -> PathBuf {
        git(
            self.root(),
            &["clone", "-q", self.path("remote.git").to_str().unwrap(), name],
        );
        self.path(name)
    }

    fn remote_branches(&self) -> Vec<String> {
        git(
            &self.path("remote.git"),
            &["for-each-ref", "--format=%(refname:short)", "refs/heads"],
        )
        .lines()
        .map(str::to_string)
        .collect()
    }

    fn gh_log(&self) -> String {
        std::fs::read_to_string(self.path("gh.log")).unwrap_or_default()
    }

    /// An `issues` event for an issue opened from the rendered form of `action`, with the
    /// answers by field label (a dropdown answered by the option containing the text given).
    fn issue_event(&self, number: u64, action: &str, answers: &[(&str, &str)]) -> PathBuf {
        let forms = self.path(&format!("forms-{number}"));
        let o = Command::new(bin_dir().join("partnerctl"))
            .args(["render", "--out-dir"])
            .arg(&forms)
            .arg("-C")
            .arg(self.path("dev"))
            .env("PARTNERCTL_AS_OF", AS_OF)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let form: serde_json::Value = yaml_serde::from_str(
            &std::fs::read_to_string(forms.join(format!(".github/ISSUE_TEMPLATE/partnerctl-{action}.yml"))).unwrap(),
        )
        .unwrap();
        let answers: BTreeMap<&str, &str> = answers.iter().copied().collect();
        let mut body = Vec::new();
        for field in form["body"].as_array().unwrap() {
            if field["type"] == "markdown" {
                continue;
            }
            let label = field["attributes"]["label"].as_str().unwrap();
            let given = answers.get(label).copied();
            let value = match (field["type"].as_str().unwrap(), given) {
                ("dropdown", Some(want)) => field["attributes"]["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o.as_str().unwrap())
                    .find(|o| o.contains(want))
                    .unwrap_or_else(|| panic!("no option of {label} contains {want}"))
                    .to_string(),
                ("checkboxes", Some(want)) => field["attributes"]["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| {
                        let l = o["label"].as_str().unwrap();
                        format!("- [{}] {l}", if l.contains(want) { "X" } else { " " })
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                (_, Some(text)) => text.to_string(),
                (_, None) => "_No response_".to_string(),
            };
            body.push(format!("### {label}\n\n{value}"));
        }
        let labels: Vec<serde_json::Value> = form["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| serde_json::json!({"name": l}))
            .collect();
        let event = serde_json::json!({
            "action": "opened",
            "issue": {
                "number": number,
                "title": format!("{}{}", form["title"].as_str().unwrap(), "Prairie Parcel"),
                "body": body.join("\n\n"),
                "labels": labels,
                "user": {"login": "miachen"},
                "html_url": format!("https://github.com/northwind/partners/issues/{number}"),
            },
            "repository": {"full_name": "northwind/partners", "default_branch": "main"},
            "sender": {"login": "miachen"},
        });
        let path = self.path(&format!("event-{number}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&event).unwrap()).unwrap();
        path
    }
}

#[cfg(unix)]
fn chmod_x(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// One step of a job as the workflow writes it.
struct Step {
    name: String,
    run: Option<String>,
    uses: Option<String>,
    cond: Option<String>,
    env: BTreeMap<String, String>,
}

fn workflow() -> serde_json::Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/workflows/partnerctl.yml"))
        .unwrap();
    yaml_serde::from_str(&text).unwrap()
}

fn job(name: &str) -> (BTreeMap<String, String>, Vec<Step>) {
    let wf = workflow();
    let j = &wf["jobs"][name];
    let strings = |v: &serde_json::Value| -> BTreeMap<String, String> {
        v.as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let steps = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Step {
            name: s["name"].as_str().unwrap_or("checkout").to_string(),
            run: s["run"].as_str().map(str::to_string),
            uses: s["uses"].as_str().map(str::to_string),
            cond: s["if"].as_str().map(str::to_string),
            env: strings(&s["env"]),
        })
        .collect();
    (strings(&j["env"]), steps)
}

/// What a job run did: each step's name and whether it ran and passed, and the log.
struct Ran {
    steps: Vec<(String, Option<bool>)>,
    log: String,
}

impl Ran {
    fn passed(&self, step: &str) -> bool {
        self.steps.iter().any(|(n, ok)| n == step && *ok == Some(true))
    }

    fn skipped(&self, step: &str) -> bool {
        self.steps.iter().any(|(n, ok)| n == step && ok.is_none())
    }
}

/// Runs a job's steps in `dir` as GitHub does (`bash -e`, `${{ }}` from `context`, step
/// outputs through `$GITHUB_OUTPUT`); a `uses:` step is done by the test (the checkout is
/// `dir`, partnerctl is on the PATH). A failing step fails the job: later steps run only
/// when their `if:` says `always()`.
fn run_job(w: &World, name: &str, dir: &Path, context: &BTreeMap<&str, String>) -> Ran {
    let (job_env, steps) = job(name);
    let temp = w.path(&format!("runner-temp-{name}"));
    std::fs::create_dir_all(&temp).unwrap();
    let path = format!(
        "{}:{}:{}",
        w.path("gh-bin").display(),
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut outputs: BTreeMap<String, String> = BTreeMap::new();
    let mut failed = false;
    let mut ran = Ran {
        steps: Vec::new(),
        log: String::new(),
    };
    for (i, step) in steps.iter().enumerate() {
        let id = step_id(name, i);
        let eval = |s: &str| expressions(s, context, &outputs);
        let go = match &step.cond {
            Some(c) => condition(c, context, &outputs, failed),
            None => !failed,
        };
        if !go {
            ran.steps.push((step.name.clone(), None));
            continue;
        }
        let Some(script) = &step.run else {
            let uses = step.uses.as_deref().unwrap_or_default();
            assert!(
                uses.starts_with("actions/checkout@") || uses.contains("/partnerctl@v"),
                "a step the test cannot stand in for: {uses}"
            );
            ran.steps.push((step.name.clone(), Some(true)));
            continue;
        };
        let output_file = temp.join(format!("output-{i}"));
        std::fs::write(&output_file, "").unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script])
            .current_dir(dir)
            .env("PATH", &path)
            .env("PARTNERCTL_AS_OF", AS_OF)
            .env("RUNNER_TEMP", &temp)
            .env("GITHUB_OUTPUT", &output_file)
            .env(
                "GITHUB_EVENT_PATH",
                context.get("event-path").cloned().unwrap_or_default(),
            )
            .env("GH_LOG", w.path("gh.log"))
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1");
        for (k, v) in job_env.iter().chain(&step.env) {
            cmd.env(k, eval(v));
        }
        let o = cmd.output().unwrap();
        ran.log.push_str(&format!(
            "== {}\n{}{}",
            step.name,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ));
        for line in std::fs::read_to_string(&output_file).unwrap().lines() {
            if let (Some(id), Some((k, v))) = (&id, line.split_once('=')) {
                outputs.insert(format!("steps.{id}.outputs.{k}"), v.to_string());
            }
        }
        ran.steps.push((step.name.clone(), Some(o.status.success())));
        failed |= !o.status.success();
    }
    ran
}

/// The `id:` of a job's step, if it has one.
fn step_id(job: &str, index: usize) -> Option<String> {
    workflow()["jobs"][job]["steps"][index]["id"]
        .as_str()
        .map(str::to_string)
}

/// `${{ x }}` replaced by its value: a step output, or what the test's context says.
fn expressions(s: &str, context: &BTreeMap<&str, String>, outputs: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("}}").map(|j| i + j).unwrap();
        out.push_str(&value(rest[i + 3..end].trim(), context, outputs));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn value(expr: &str, context: &BTreeMap<&str, String>, outputs: &BTreeMap<String, String>) -> String {
    if let Some(lit) = expr.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
        return lit.to_string();
    }
    if expr.starts_with("steps.") {
        return outputs.get(expr).cloned().unwrap_or_default();
    }
    match context.get(expr) {
        Some(v) => v.clone(),
        None => panic!("the test gives no value for `{expr}`"),
    }
}

/// The `if:` conditions the jobs use: `a == 'b'`, `a != 'b'`, `always()`, joined by `&&`.
fn condition(c: &str, context: &BTreeMap<&str, String>, outputs: &BTreeMap<String, String>, failed: bool) -> bool {
    let always = c.contains("always()");
    let holds = c.split("&&").map(str::trim).all(|part| {
        if part == "always()" {
            return true;
        }
        if let Some((a, b)) = part.split_once("!=") {
            return value(a.trim(), context, outputs) != value(b.trim(), context, outputs);
        }
        if let Some((a, b)) = part.split_once("==") {
            return value(a.trim(), context, outputs) == value(b.trim(), context, outputs);
        }
        panic!("a condition the test cannot read: {part}")
    });
    holds && (always || !failed)
}

fn intake_context(event: &Path, number: u64) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("event-path", event.display().to_string()),
        ("secrets.PARTNERCTL_BOT_TOKEN", BOT.to_string()),
        ("github.token", GITHUB_TOKEN.to_string()),
        ("github.event.issue.number", number.to_string()),
        ("github.event.repository.default_branch", "main".to_string()),
    ])
}

fn sandbox_answers(name: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("Partner id", "prairie-parcel"),
        ("Your name", name),
        ("Your work email", "mia.chen@prairieparcel.example"),
        ("Products and plans", "(tracking) — plan starter"),
    ]
}

#[test]
fn a_sandbox_request_becomes_a_pull_request_then_a_credential() {
    if !have_jq() {
        return;
    }
    let w = World::new(|_| {});
    let event = w.issue_event(42, "request-sandbox", &sandbox_answers("Mia Chen"));
    let ci = w.checkout("ci-intake");
    let ran = run_job(&w, "intake", &ci, &intake_context(&event, 42));
    for step in [
        "Check the bot token",
        "Apply the request",
        "Open the pull request",
        "Answer on the issue",
    ] {
        assert!(ran.passed(step), "{step}:\n{}", ran.log);
    }
    let branch = "partnerctl/request-sandbox/42/prairie-parcel";
    assert!(
        w.remote_branches().contains(&branch.to_string()),
        "{:?}",
        w.remote_branches()
    );
    let remote = w.path("remote.git");
    // One commit on main, one file: the partner's, at stage sandbox with the subscription.
    assert_eq!(git(&remote, &["rev-list", "--count", &format!("main..{branch}")]), "1");
    assert_eq!(
        git(&remote, &["diff", "--name-only", "main", branch]),
        "partners/prairie-parcel.yaml"
    );
    let file = git(&remote, &["show", &format!("{branch}:partners/prairie-parcel.yaml")]);
    assert!(file.contains("  stage: sandbox\n"), "{file}");
    assert!(
        file.contains("{product: tracking, plan: starter, environment: sandbox}"),
        "{file}"
    );
    let title = git(&remote, &["log", "-1", "--format=%s", branch]);
    assert!(title.starts_with("Sandbox access for Prairie Parcel"), "{title}");

    let log = w.gh_log();
    let create = log
        .lines()
        .find(|l| l.starts_with("gh [pr] [create]"))
        .expect("a pull request");
    for arg in [
        "[--base] [main]",
        &format!("[--head] [{branch}]"),
        &format!("[--title] [{title}]"),
        "[--label] [partnerctl:request-sandbox]",
        &format!("token={BOT}"),
    ] {
        assert!(create.contains(arg), "{arg} in {create}");
    }
    assert!(log.contains("Closes #42."), "{log}");
    assert!(log.contains("**Mia Chen**"), "the body says who asks: {log}");
    let comment = log
        .lines()
        .find(|l| l.starts_with("gh [issue] [comment] [42]"))
        .unwrap();
    assert!(comment.contains(&format!("token={GITHUB_TOKEN}")), "{comment}");
    assert!(log.contains("your request is the pull request https://github.com/northwind/partners/pull/7"));

    // The review: the example's rules want partnerships for a stage change, so the request
    // does not merge by itself.
    let review = w.checkout("ci-review");
    git(&review, &["fetch", "-q", "origin", branch]);
    git(&review, &["checkout", "-q", "FETCH_HEAD"]);
    assert!(!auto_merges(&w, &review, "review-1"), "{}", w.gh_log());

    // The request merges; the credential job mints the key and opens its pull request.
    let dev = w.path("dev");
    git(&dev, &["fetch", "-q", "origin", branch]);
    git(
        &dev,
        &["merge", "-q", "--no-ff", "-m", "merge the request", "FETCH_HEAD"],
    );
    git(&dev, &["push", "-q", "origin", "main"]);
    let ci = w.checkout("ci-credential");
    let ran = run_job(&w, "credential", &ci, &credential_context(branch));
    for step in [
        "Mint the key and record its reference",
        "Open the credential's pull request",
        "Answer on the request's issue",
    ] {
        assert!(ran.passed(step), "{step}:\n{}", ran.log);
    }
    assert!(
        ran.log
            .contains("minted prairie-parcel-sbx-1 for prairie-parcel in sandbox"),
        "{}",
        ran.log
    );
    let cbranch = "partnerctl/credential/42/prairie-parcel";
    let file = git(&remote, &["show", &format!("{cbranch}:partners/prairie-parcel.yaml")]);
    assert!(
        file.contains("{id: prairie-parcel-sbx-1, environment: sandbox, created: 2026-11-01, expires: ")
            && file.contains("secretRef: \"vault://partners/prairie-parcel/prairie-parcel-sbx-1\"}"),
        "{file}"
    );
    let log = w.gh_log();
    assert!(
        log.lines()
            .any(|l| l.starts_with("gh [pr] [create]") && l.contains("[--label] [partnerctl:credential]")),
        "{log}"
    );
    assert!(log.contains("Your sandbox access is granted."), "{log}");
    // The credential's branch is a program validate accepts.
    let check = w.checkout("ci-check");
    git(&check, &["checkout", "-q", &format!("origin/{cbranch}")]);
    let o = Command::new(bin_dir().join("partnerctl"))
        .args(["validate"])
        .current_dir(&check)
        .env("PARTNERCTL_AS_OF", AS_OF)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

fn credential_context(branch: &str) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("secrets.PARTNERCTL_BOT_TOKEN", BOT.to_string()),
        ("github.token", GITHUB_TOKEN.to_string()),
        ("github.event.pull_request.head.ref", branch.to_string()),
        ("github.event.pull_request.base.ref", "main".to_string()),
    ])
}

/// Runs the review job's auto-merge step on the checkout's plan against `main`, and says
/// whether it asked GitHub to merge.
fn auto_merges(w: &World, checkout: &Path, name: &str) -> bool {
    let temp = w.path(&format!("runner-temp-{name}"));
    std::fs::create_dir_all(&temp).unwrap();
    let o = Command::new(bin_dir().join("partnerctl"))
        .args(["plan", "--base", "origin/main", "--out"])
        .arg(temp.join("plan.json"))
        .current_dir(checkout)
        .env("PARTNERCTL_AS_OF", AS_OF)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let (_, steps) = job("review");
    let step = steps
        .iter()
        .find(|s| s.name == "Merge a request that needs no approval")
        .unwrap();
    let before = w.gh_log().matches("[merge]").count();
    let o = Command::new("bash")
        .args([
            "--noprofile",
            "--norc",
            "-e",
            "-o",
            "pipefail",
            "-c",
            step.run.as_deref().unwrap(),
        ])
        .current_dir(checkout)
        .env(
            "PATH",
            format!(
                "{}:{}",
                w.path("gh-bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("RUNNER_TEMP", &temp)
        .env("GH_LOG", w.path("gh.log"))
        .env("GH_TOKEN", BOT)
        .env("PR", "7")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    w.gh_log().matches("[merge]").count() > before
}

#[test]
fn sandbox_access_needs_nobody_where_the_rules_say_so() {
    if !have_jq() {
        return;
    }
    // Stage changes need no team here: a sandbox request for a partner whose terms are
    // current merges by itself; production access still needs security and the owner.
    let w = World::new(|dev| {
        common::edit(
            dev,
            "program.yaml",
            "    - on: [partner-added, partner-removed, stage-changed]",
            "    - on: [partner-added, partner-removed]",
        );
    });
    let event = w.issue_event(44, "request-sandbox", &sandbox_answers("Mia Chen"));
    let ci = w.checkout("ci-intake");
    let ran = run_job(&w, "intake", &ci, &intake_context(&event, 44));
    assert!(ran.passed("Open the pull request"), "{}", ran.log);
    let review = w.checkout("ci-review");
    git(
        &review,
        &["fetch", "-q", "origin", "partnerctl/request-sandbox/44/prairie-parcel"],
    );
    git(&review, &["checkout", "-q", "FETCH_HEAD"]);
    assert!(auto_merges(&w, &review, "review"), "{}", w.gh_log());
    assert!(
        w.gh_log()
            .contains(&format!("gh [pr] [merge] [7] [--auto] [--squash] token={BOT}")),
        "{}",
        w.gh_log()
    );

    // A production request on the same program waits for its teams.
    let event = w.issue_event(
        45,
        "request-production",
        &[
            ("Partner id", "baltic-freight"),
            ("Your name", "Eva Berg"),
            ("Your work email", "eva@baltic.example"),
            ("Products and plans", "(tracking) — plan standard"),
        ],
    );
    let ci = w.checkout("ci-intake-2");
    let ran = run_job(&w, "intake", &ci, &intake_context(&event, 45));
    assert!(ran.passed("Open the pull request"), "{}", ran.log);
    let review = w.checkout("ci-review-2");
    git(
        &review,
        &[
            "fetch",
            "-q",
            "origin",
            "partnerctl/request-production/45/baltic-freight",
        ],
    );
    git(&review, &["checkout", "-q", "FETCH_HEAD"]);
    assert!(!auto_merges(&w, &review, "review-2"), "{}", w.gh_log());
}

#[test]
fn a_partner_with_a_working_sandbox_key_gets_no_second_one() {
    if !have_jq() {
        return;
    }
    let w = World::new(|_| {});
    let event = w.issue_event(
        47,
        "request-sandbox",
        &[
            ("Partner id", "baltic-freight"),
            ("Your name", "Eva Berg"),
            ("Your work email", "eva@baltic.example"),
            ("Products and plans", "(rates, beta) — plan starter"),
        ],
    );
    let ci = w.checkout("ci-intake");
    let ran = run_job(&w, "intake", &ci, &intake_context(&event, 47));
    assert!(ran.passed("Open the pull request"), "{}", ran.log);
    let branch = "partnerctl/request-sandbox/47/baltic-freight";
    let dev = w.path("dev");
    git(&dev, &["fetch", "-q", "origin", branch]);
    git(
        &dev,
        &["merge", "-q", "--no-ff", "-m", "merge the request", "FETCH_HEAD"],
    );
    git(&dev, &["push", "-q", "origin", "main"]);
    let ci = w.checkout("ci-credential");
    let ran = run_job(&w, "credential", &ci, &credential_context(branch));
    assert!(ran.passed("Mint the key and record its reference"), "{}", ran.log);
    assert!(ran.skipped("Open the credential's pull request"), "{}", ran.log);
    assert!(ran.passed("Answer on the request's issue"), "{}", ran.log);
    assert!(!ran.log.contains("minted"), "no key minted: {}", ran.log);
    assert!(
        w.gh_log().contains("Your sandbox key works for it too"),
        "{}",
        w.gh_log()
    );
    assert!(
        !w.remote_branches()
            .iter()
            .any(|b| b.starts_with("partnerctl/credential/"))
    );
}

#[test]
fn a_refused_request_gets_its_reasons_and_no_branch() {
    if !have_jq() {
        return;
    }
    let w = World::new(|_| {});
    let mut answers = sandbox_answers("Mia Chen");
    answers[0] = ("Partner id", "ghost-co");
    let event = w.issue_event(43, "request-sandbox", &answers);
    let ci = w.checkout("ci");
    let ran = run_job(&w, "intake", &ci, &intake_context(&event, 43));
    assert!(
        ran.passed("Apply the request") && ran.skipped("Open the pull request"),
        "{}",
        ran.log
    );
    assert!(ran.passed("Answer on the issue"), "{}", ran.log);
    assert_eq!(w.remote_branches(), ["main"]);
    let log = w.gh_log();
    assert!(!log.contains("[pr]"), "{log}");
    assert!(log.contains("gh [issue] [comment] [43]"), "{log}");
    assert!(
        log.contains("`spec.partner`: there is no partner named ghost-co"),
        "{log}"
    );
    assert!(log.contains("nothing was written"), "{log}");
    assert_eq!(git(&ci, &["status", "--porcelain"]), "", "the checkout is untouched");
}

#[test]
fn the_issue_text_never_runs_in_a_shell() {
    if !have_jq() {
        return;
    }
    // What a job knows of the issue or the pull request reaches a script through `env:`,
    // never pasted into its text, where `${{ }}` would make it code.
    for name in ["intake", "credential", "review"] {
        for step in job(name).1 {
            let run = step.run.unwrap_or_default();
            assert!(
                !run.contains("${{"),
                "{name}: {} pastes an expression into its script",
                step.name
            );
        }
    }
    let w = World::new(|_| {});
    let marker = w.path("pwned");
    let name = Box::leak(
        format!(
            "Mia $(touch {m}) `touch {m}` \"; touch {m}; echo \" ::error::forged",
            m = marker.display()
        )
        .into_boxed_str(),
    );
    let event = w.issue_event(46, "request-sandbox", &sandbox_answers(name));
    let ci = w.checkout("ci");
    let ran = run_job(&w, "intake", &ci, &intake_context(&event, 46));
    assert!(ran.passed("Answer on the issue"), "{}", ran.log);
    assert!(!marker.exists(), "a value of the issue ran as a command");
    // Nothing the issue says reaches the job's log as a workflow command.
    assert!(
        !ran.log.lines().any(|l| l.trim_start().starts_with("::error::forged")),
        "{}",
        ran.log
    );

    // A hook that prints a key instead of a reference fails the job, and the key is never
    // repeated or committed.
    let branch = "partnerctl/request-sandbox/46/prairie-parcel";
    assert!(
        w.remote_branches().contains(&branch.to_string()),
        "the text was taken as text: {}",
        ran.log
    );
    assert!(w.gh_log().contains("**Mia $(touch "), "written inertly: {}", w.gh_log());
    {
        let dev = w.path("dev");
        git(&dev, &["fetch", "-q", "origin", branch]);
        git(&dev, &["merge", "-q", "--no-ff", "-m", "merge", "FETCH_HEAD"]);
        let token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
        std::fs::write(
            dev.join(".github/partnerctl/mint-key"),
            format!("#!/usr/bin/env bash\nprintf 'vault://x/{token}\\n'\n"),
        )
        .unwrap();
        git(&dev, &["commit", "-q", "-am", "a careless hook"]);
        git(&dev, &["push", "-q", "origin", "main"]);
        let ci = w.checkout("ci-credential");
        let ran = run_job(&w, "credential", &ci, &credential_context(branch));
        assert!(!ran.passed("Mint the key and record its reference"), "{}", ran.log);
        assert!(!ran.log.contains(token), "{}", ran.log);
        assert!(
            !w.remote_branches()
                .iter()
                .any(|b| b.starts_with("partnerctl/credential/"))
        );
    }
}
