//! `import kong`: the Kong files `render` writes for the example come back as products and
//! partners with the same access, and `validate` then asks only for what a gateway cannot know.

mod common;

use common::copy_dir;

use assert_cmd::Command;
use partnerctl::spec::{Date, Environment};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const AS_OF: &str = "2026-11-01";

fn pctl(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("partnerctl").unwrap();
    c.arg("-C").arg(dir).args(["--as-of", AS_OF]);
    c
}

/// A program with the example's program.yaml, terms and templates, and nothing else.
fn empty_program(root: &Path) -> std::path::PathBuf {
    let b = root.join("imported");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::copy("examples/northwind/program.yaml", b.join("program.yaml")).unwrap();
    copy_dir(Path::new("examples/northwind/terms"), &b.join("terms"));
    copy_dir(Path::new("examples/northwind/templates"), &b.join("templates"));
    b
}

#[test]
fn render_then_import_gives_back_the_access() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("original");
    copy_dir(Path::new("examples/northwind"), &a);
    let r = pctl(&a).arg("render").output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let b = empty_program(tmp.path());
    let out = pctl(&b)
        .args(["import", "kong"])
        .arg(a.join("dist/gateway/kong-sandbox.yaml"))
        .arg(a.join("dist/gateway/kong-production.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Still to do"), "{stdout}");

    let today = Date::parse(AS_OF).unwrap();
    let original = partnerctl::validate_dir(&a, today).unwrap().program;
    let imported = partnerctl::validate_dir(&b, today).unwrap();

    // Only what a person must fill in: the agreements, the history, where each key really
    // lives (the secretRef placeholders, reported by a built-in policy), and the HTTPRoute
    // the program's envoy-gateway output attaches each product to, which Kong does not know
    // (the import's to-do says so).
    let codes: BTreeSet<&str> = imported.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        BTreeSet::from(["terms-missing", "history-invalid", "policy", "output-invalid"]),
        "{:#?}",
        imported.diagnostics
    );
    assert!(
        imported
            .diagnostics
            .iter()
            .filter(|d| d.code.as_str() == "output-invalid")
            .all(|d| d.message.contains("has no `environments.production.route`")),
        "{:#?}",
        imported.diagnostics
    );
    assert!(stdout.contains("needs spec.environments.production.route"), "{stdout}");
    let placeholders: Vec<_> = imported
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "policy")
        .collect();
    assert!(
        placeholders
            .iter()
            .all(|d| d.message.contains("placeholder secretRef vault://TODO/")),
        "{placeholders:#?}"
    );
    let imported_keys: usize = imported
        .program
        .partners
        .values()
        .map(|p| p.spec.credentials.len())
        .sum();
    assert_eq!(
        placeholders.len(),
        imported_keys,
        "one placeholder finding per imported key"
    );
    let p = &imported.program;
    assert_eq!(
        p.products.keys().collect::<Vec<_>>(),
        original.products.keys().collect::<Vec<_>>()
    );

    let with_access: BTreeSet<&String> = original
        .partners
        .values()
        .filter(|x| {
            Environment::ALL
                .iter()
                .any(|e| x.stage().allows(*e) && x.has_access(*e, today))
        })
        .map(|x| &x.name)
        .collect();
    assert_eq!(p.partners.keys().collect::<BTreeSet<_>>(), with_access);
    for (name, got) in &p.partners {
        let want = &original.partners[name];
        assert_eq!(
            got.metadata.labels.get("imported-from").map(String::as_str),
            Some("kong")
        );
        let subs = |x: &partnerctl::model::Partner| -> BTreeSet<(String, String, Environment)> {
            x.spec
                .subscriptions
                .iter()
                .filter(|s| want.stage().allows(s.environment))
                .map(|s| (s.product.0.clone(), s.plan.0.clone(), s.environment))
                .collect()
        };
        assert_eq!(subs(got), subs(want), "subscriptions of {name}");
        let creds = |x: &partnerctl::model::Partner, live_only: bool| -> BTreeSet<(String, Environment)> {
            x.spec
                .credentials
                .iter()
                .filter(|c| !live_only || (c.is_live(today) && want.stage().allows(c.environment)))
                .map(|c| (c.id.0.clone(), c.environment))
                .collect()
        };
        assert_eq!(creds(got, false), creds(want, true), "credentials of {name}");
    }
    // Plans keep their limits.
    let standard = p.plan("shipments", "standard").unwrap();
    assert_eq!(
        standard.rate_limit,
        original.plan("shipments", "standard").unwrap().rate_limit
    );
}

#[test]
fn a_key_value_is_never_written() {
    let tmp = tempfile::tempdir().unwrap();
    let b = empty_program(tmp.path());
    let deck = tmp.path().join("dump.yaml");
    std::fs::write(
        &deck,
        r#"_format_version: "3.0"
services:
  - name: legacy-api
    url: https://legacy.internal
    routes: [{name: r, paths: [/v1/legacy], methods: [GET]}]
    plugins: [{name: acl, config: {allow: [legacy]}}, {name: rate-limiting, config: {minute: 60}}]
consumers:
  - username: Old Partner Ltd
    custom_id: old-partner
    acls: [{group: legacy}]
    keyauth_credentials: [{key: s3cr3t-literal-key-value-1234567890}]
"#,
    )
    .unwrap();
    let out = pctl(&b)
        .args(["import", "kong", "--environment", "production"])
        .arg(&deck)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cr3t"));
    let partner = std::fs::read_to_string(b.join("partners/old-partner.yaml")).unwrap();
    assert!(!partner.contains("s3cr3t"), "{partner}");
    let doc = yaml(&partner);
    assert_eq!(
        doc["spec"]["credentials"][0]["secretRef"], "vault://TODO/old-partner/old-partner-prd-1",
        "{partner}"
    );
    assert_eq!(
        doc["spec"]["subscriptions"][0],
        serde_json::json!({"product": "legacy-api", "plan": "60-per-minute", "environment": "production"}),
        "{partner}"
    );
    assert_eq!(
        doc["metadata"]["labels"]["kong-consumer"],
        Value::Null,
        "custom_id names the partner: {partner}"
    );
    assert_eq!(doc["spec"]["displayName"], "Old Partner Ltd", "{partner}");
    let product = yaml(&std::fs::read_to_string(b.join("products/legacy-api.yaml")).unwrap());
    assert_eq!(
        product["spec"]["plans"][0]["rateLimit"],
        serde_json::json!({"requests": 60, "per": "minute"})
    );
    // It passes the schema: validate's errors are only the missing terms and history (a
    // built-in policy may still warn that a production plan has no quota).
    let v = partnerctl::validate_dir(&b, Date::parse(AS_OF).unwrap()).unwrap();
    let codes: BTreeSet<&str> = v
        .diagnostics
        .iter()
        .filter(|d| d.severity == partnerctl::diag::Severity::Error)
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(
        codes,
        BTreeSet::from(["terms-missing", "history-invalid", "output-invalid"]),
        "{:#?}",
        v.diagnostics
    );
    // The one output-invalid: the program's envoy-gateway output needs the new product's
    // HTTPRoute, which the import listed as a to-do.
    let route: Vec<_> = v
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "output-invalid")
        .collect();
    assert!(
        route.len() == 1 && route[0].message.contains("product `legacy-api`"),
        "{route:#?}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("needs spec.environments.production.route"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn dry_run_writes_nothing_existing_files_are_left_alone_and_force_is_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("original");
    copy_dir(Path::new("examples/northwind"), &a);
    assert!(pctl(&a).arg("render").output().unwrap().status.success());
    let kong = a.join("dist/gateway/kong-production.yaml");

    // Importing into the original program without --merge: every file exists, none changes.
    let before = std::fs::read_to_string(a.join("partners/emea/acme-logistics.yaml")).unwrap();
    let out = pctl(&a).args(["import", "kong"]).arg(&kong).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("skipped"));
    assert_eq!(
        std::fs::read_to_string(a.join("partners/emea/acme-logistics.yaml")).unwrap(),
        before
    );

    let b = empty_program(tmp.path());
    let out = pctl(&b)
        .args(["import", "kong", "--dry-run"])
        .arg(&kong)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("kind: Partner"));
    assert!(!b.join("partners").exists(), "--dry-run writes nothing");

    // `--force` replaced hand-written partner files whole; it is gone.
    let out = pctl(&a)
        .args(["import", "kong", "--force"])
        .arg(&kong)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(a.join("partners/emea/acme-logistics.yaml")).unwrap(),
        before
    );
}

fn yaml(text: &str) -> Value {
    partnerctl::source::yaml::parse("x.yaml", text.as_bytes())
        .unwrap_or_else(|d| panic!("{d:?}\n{text}"))
        .value
}

const REAL: &str = "tests/external/kong/real";

/// The real decK files from Kong's repositories: the shared references when they are checked
/// out beside the repository (and then our copies must not differ), else our copies
/// (tests/external/README.md).
fn real_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(REAL)
        .unwrap_or_else(|e| panic!("{REAL}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    let shared = Path::new("../shared/external/kong/real");
    if shared.exists() {
        for f in &files {
            let original = shared.join(f.file_name().unwrap());
            assert_eq!(
                std::fs::read(&original).unwrap(),
                std::fs::read(f).unwrap(),
                "{} differs from the shared reference; copy it again",
                f.display()
            );
        }
    }
    files
}

/// A program holding only program.yaml and terms/: the example's, with one `kong` output
/// (production) and no template output.
fn bare_program(root: &Path, name: &str) -> PathBuf {
    let b = root.join(name);
    std::fs::create_dir_all(&b).unwrap();
    let program: String = std::fs::read_to_string("examples/northwind/program.yaml")
        .unwrap()
        .lines()
        .filter(|l| !l.contains("template:") && !l.contains("target: kong, environment: sandbox"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(b.join("program.yaml"), program).unwrap();
    copy_dir(Path::new("examples/northwind/terms"), &b.join("terms"));
    b
}

/// Every secret a decK file holds: key-auth keys, passwords, JWT and HMAC secrets, private
/// keys, plugin secrets; decK substitutions and vault references are not secrets.
fn secrets(dump: &Value, out: &mut Vec<String>) {
    match dump {
        Value::Object(o) => {
            for (k, v) in o {
                if let Value::String(s) = v
                    && [
                        "key",
                        "password",
                        "secret",
                        "aws_key",
                        "aws_secret",
                        "redis_password",
                        "client_secret",
                    ]
                    .contains(&k.as_str())
                    && !s.starts_with("${{")
                    && !s.starts_with("{vault://")
                    && s.len() >= 6
                {
                    out.push(s.lines().nth(1).unwrap_or(s).to_string());
                }
                secrets(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| secrets(v, out)),
        _ => {}
    }
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn assert_no_secret(secrets: &[String], what: &str, text: &str) {
    for s in secrets {
        assert!(!text.contains(s.as_str()), "{what} holds the secret {s:?}");
    }
}

fn codes(v: &Value, key: &str) -> BTreeSet<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

/// Issue 13's Done-when, for each real decK file and each `kong` output the example renders:
/// the import into a bare program exits 0, `validate` finds no yaml-syntax, schema or
/// unknown-reference, `audit` of the same file finds no unknown consumer or credential, and
/// no key value of the dump is in any written file or any output.
#[test]
fn real_deck_files_import_validate_and_audit_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("original");
    copy_dir(Path::new("examples/northwind"), &a);
    assert!(
        pctl(&a)
            .args(["render", "--out-dir"])
            .arg(tmp.path().join("out"))
            .output()
            .unwrap()
            .status
            .success()
    );
    let mut dumps = real_files();
    dumps.push(tmp.path().join("out/dist/gateway/kong-production.yaml"));
    dumps.push(tmp.path().join("out/dist/gateway/kong-sandbox.yaml"));
    for (i, dump) in dumps.iter().enumerate() {
        let name = dump.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(dump).unwrap();
        let mut keys = Vec::new();
        secrets(&yaml(&text), &mut keys);
        if i < 3 {
            assert!(!keys.is_empty(), "{name}: the real files hold keys");
        }
        let b = bare_program(tmp.path(), &format!("p{i}"));
        let mut outputs = String::new();
        for format in ["json", "text"] {
            let dir = if format == "json" {
                tmp.path().join(format!("dry{i}"))
            } else {
                b.clone()
            };
            if format == "json" {
                copy_dir(&b, &dir);
            }
            let mut cmd = pctl(&dir);
            cmd.args(["--format", format, "import", "kong"]).arg(dump);
            if format == "json" {
                cmd.arg("--dry-run");
            }
            let out = cmd.output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{name} {format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            outputs.push_str(&String::from_utf8_lossy(&out.stdout));
            outputs.push_str(&String::from_utf8_lossy(&out.stderr));
        }
        let v = pctl(&b).args(["--format", "json", "validate"]).output().unwrap();
        outputs.push_str(&String::from_utf8_lossy(&v.stdout));
        let v: Value = serde_json::from_slice(&v.stdout).unwrap();
        let found = codes(&v, "diagnostics");
        for bad in [
            "yaml-syntax",
            "schema",
            "unknown-reference",
            "duplicate-key",
            "name-mismatch",
            "secret-in-repo",
        ] {
            assert!(!found.contains(bad), "{name}: {bad} in {:#}", v["diagnostics"]);
        }
        for format in ["json", "text", "markdown", "github"] {
            let out = pctl(&b)
                .args(["--format", format, "audit", "--gateway"])
                .arg(dump)
                .output()
                .unwrap();
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{name} {format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let stdout = String::from_utf8_lossy(&out.stdout).to_string();
            if format == "json" {
                let a: Value = serde_json::from_str(&stdout).unwrap();
                let found = codes(&a, "findings");
                assert!(!found.contains("unknown-consumer"), "{name}: {a:#}");
                assert!(!found.contains("unknown-credential"), "{name}: {a:#}");
                assert!(a["environment"].is_string(), "{name}: {a:#}");
            }
            outputs.push_str(&stdout);
        }
        assert_no_secret(&keys, &format!("{name}: the output"), &outputs);
        let mut files = Vec::new();
        all_files(&b, &mut files);
        assert!(
            files.iter().any(|f| f.to_string_lossy().contains("/partners/")),
            "{name}: {files:?}"
        );
        for f in files {
            assert_no_secret(&keys, &f.display().to_string(), &std::fs::read_to_string(&f).unwrap());
        }
    }
}

/// The Kong facts the program cannot hold are listed, by consumer and kind, in the JSON
/// to-do (the text to-do groups the same list by consumer).
#[test]
fn every_dropped_fact_is_in_the_todo() {
    let tmp = tempfile::tempdir().unwrap();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut messages = String::new();
    for (i, dump) in real_files().iter().enumerate() {
        let b = bare_program(tmp.path(), &format!("p{i}"));
        let out = pctl(&b)
            .args(["--format", "json", "import", "kong", "--dry-run"])
            .arg(dump)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        for t in v["todo"].as_array().unwrap() {
            let consumer = t["consumer"].as_str().unwrap_or("").to_string();
            seen.insert((consumer, t["kind"].as_str().unwrap().to_string()));
            messages.push_str(t["message"].as_str().unwrap());
            messages.push('\n');
        }
    }
    for (consumer, kind) in [
        ("harry", "basic-auth-credential"),
        ("harry", "hmac-auth-credential"),
        ("harry", "jwt-credential"),
        ("harry", "acl-group"),
        ("harry", "secret-ref"),
        ("example-user (custom_id 1234567890)", "mtls-auth-credential"),
        ("example-user (custom_id 1234567890)", "consumer-group"),
        ("example-user (custom_id 1234567890)", "rate-limit"),
        ("example-user (custom_id 1234567890)", "acl-group"),
        (
            "test_consumer_3x (custom_id test_consumer_3x_custom_updated)",
            "acl-group",
        ),
        (
            "test_consumer_3x (custom_id test_consumer_3x_custom_updated)",
            "basic-auth-credential",
        ),
        ("", "consumer-group"),
        ("", "rate-limit"),
        ("", "plugin"),
        ("", "upstream"),
        ("", "certificate"),
        ("", "ca-certificate"),
        ("", "vault"),
        ("", "key-set"),
        ("", "route"),
    ] {
        assert!(
            seen.contains(&(consumer.to_string(), kind.to_string())),
            "{consumer} {kind} missing from {seen:#?}"
        );
    }
    for needle in [
        "rate-limiting-advanced on service example-service",
        "plugin prometheus",
        "plugin cors",
        "`~/v1/example/?$`; the endpoint is written as `/v1/example`",
        "rate-limiting on route route-multi-entity-1",
        "route route-multi-entity-3 names no service",
    ] {
        assert!(messages.contains(needle), "{needle} missing from:\n{messages}");
    }
}

/// Names from the dump become program names, quoted where YAML would read them otherwise,
/// and the mapping back is in the partner's labels.
#[test]
fn gateway_names_become_program_names_with_their_mapping() {
    let tmp = tempfile::tempdir().unwrap();
    let files = real_files();
    let b = bare_program(tmp.path(), "p");
    let out = pctl(&b).args(["import", "kong"]).args(&files).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let numeric = std::fs::read_to_string(b.join("partners/1234567890.yaml")).unwrap();
    assert!(
        numeric.contains("name: '1234567890'"),
        "a numeric custom_id stays a string: {numeric}"
    );
    let doc = yaml(&numeric);
    assert_eq!(doc["metadata"]["name"], "1234567890");
    assert_eq!(doc["metadata"]["labels"]["kong-key-auth.1234567890-prd-1"], "#1");
    let t = yaml(&std::fs::read_to_string(b.join("partners/test-consumer-3x-custom-updated.yaml")).unwrap());
    assert_eq!(t["metadata"]["labels"]["kong-consumer"], "test_consumer_3x");
    assert_eq!(
        t["metadata"]["labels"]["kong-custom-id"],
        "test_consumer_3x_custom_updated"
    );
    let harry = yaml(&std::fs::read_to_string(b.join("partners/harry.yaml")).unwrap());
    assert_eq!(harry["spec"]["credentials"][0]["id"], "harry-prd-1");
    // Every plan a subscription names is written.
    let p = partnerctl::validate_dir(&b, Date::parse(AS_OF).unwrap()).unwrap();
    for partner in p.program.partners.values() {
        for s in &partner.spec.subscriptions {
            let plan = p.program.plan(&s.product.0, &s.plan.0);
            assert!(
                plan.is_some_and(|x| x.environments.contains(&s.environment)),
                "{}: {s:?}",
                partner.name
            );
        }
    }
    let example = yaml(&std::fs::read_to_string(b.join("products/example-service.yaml")).unwrap());
    let paths: Vec<&str> = example["spec"]["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"/v1/example"), "{paths:?}");
}

/// A dump without environment tags: `--environment`, else the program's only `kong` output;
/// with two `kong` outputs and no flag, import refuses and audit makes no
/// environment-specific finding.
#[test]
fn the_environment_comes_from_the_flag_the_tags_or_the_single_kong_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = Path::new(REAL).join("deck-root-kong.yaml");
    let two = empty_program(tmp.path());
    let out = pctl(&two).args(["import", "kong"]).arg(&dump).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--environment"));
    let out = pctl(&two)
        .args([
            "--format",
            "json",
            "import",
            "kong",
            "--dry-run",
            "--environment",
            "sandbox",
        ])
        .arg(&dump)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["environments"][0]["environment"], "sandbox");
    assert_eq!(v["environments"][0]["from"], "--environment");
    let audit = |dir: &Path, extra: &[&str]| -> Value {
        let out = pctl(dir)
            .args(["--format", "json", "audit", "--gateway"])
            .arg(&dump)
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(audit(&two, &[])["environment"], Value::Null);
    let a = audit(&two, &["--environment", "production"]);
    assert_eq!(a["environment"], "production");
    assert_eq!(a["environmentFrom"], "--environment");
    let one = bare_program(tmp.path(), "one");
    let a = audit(&one, &[]);
    assert_eq!(a["environment"], "production");
    assert_eq!(a["environmentFrom"], "program");
    let out = pctl(&one)
        .args(["--format", "json", "import", "kong", "--dry-run"])
        .arg(&dump)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["environments"][0]["from"], "program");
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = Vec::new();
    all_files(dir, &mut files);
    files
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(&f).unwrap()))
        .collect()
}

fn render_example(tmp: &Path) -> (PathBuf, Vec<PathBuf>) {
    let a = tmp.join("program");
    copy_dir(Path::new("examples/northwind"), &a);
    let out = tmp.join("out");
    assert!(
        pctl(&a)
            .args(["render", "--out-dir"])
            .arg(&out)
            .output()
            .unwrap()
            .status
            .success()
    );
    let kong = vec![
        out.join("dist/gateway/kong-production.yaml"),
        out.join("dist/gateway/kong-sandbox.yaml"),
    ];
    (a, kong)
}

#[test]
fn merging_its_own_render_into_the_example_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, kong) = render_example(tmp.path());
    let before = snapshot(&a);
    let out = pctl(&a)
        .args(["--format", "json", "import", "kong", "--merge"])
        .args(&kong)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions: BTreeSet<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, BTreeSet::from(["unchanged"]), "{v:#}");
    assert_eq!(snapshot(&a), before, "no file changes");
}

#[test]
fn merging_into_a_copy_without_a_credential_adds_exactly_that_credential() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, kong) = render_example(tmp.path());
    let file = a.join("partners/emea/acme-logistics.yaml");
    let original = std::fs::read_to_string(&file).unwrap();
    let removed = "    - {id: acme-prd-2, environment: production, created: 2026-03-02, expires: 2027-03-02,\n       secretRef: \"vault://partners/acme-logistics/acme-prd-2\"}\n";
    assert!(original.contains(removed));
    std::fs::write(&file, original.replace(removed, "")).unwrap();
    let before = snapshot(&a);
    let out = pctl(&a)
        .args(["import", "kong", "--merge"])
        .args(&kong)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let after = snapshot(&a);
    let changed: Vec<&PathBuf> = after.keys().filter(|k| before.get(*k) != after.get(*k)).collect();
    assert_eq!(changed, vec![&file], "only the partner's file changes");
    let merged = std::fs::read_to_string(&file).unwrap();
    let added = "    - {id: acme-prd-2, environment: production, created: 2026-11-01, secretRef: \"vault://TODO/acme-logistics/acme-prd-2\"}\n";
    assert_eq!(
        merged,
        original.replace(removed, added),
        "the credential comes back where it was, everything else byte for byte"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("+ credential acme-prd-2 (production)"), "{stdout}");
    // The audit of the same dump finds it again.
    let out = pctl(&a)
        .args(["--format", "json", "audit", "--gateway"])
        .arg(&kong[0])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"], serde_json::json!([]), "{v:#}");
}

/// A merge adds what the gateway knows to hand-written files (a subscription, a plan, a
/// credential with its mapping label) and keeps their comments and layout.
#[test]
fn merge_adds_access_to_hand_written_files_and_keeps_their_comments() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = render_example(tmp.path());
    let dump = tmp.path().join("dump.yaml");
    std::fs::write(
        &dump,
        r#"_format_version: "3.0"
services:
  - name: tracking
    url: https://tracking.internal
    tags: [environment:production]
    routes: [{name: t, paths: ["~/v1/tracking/(?<id>[^/]+)$"], methods: [GET]}]
    plugins:
      - {name: key-auth, config: {key_names: [x-api-key]}}
      - {name: acl, config: {allow: [tracking-gold]}}
consumers:
  - username: Sahara Express
    custom_id: sahara-express
    acls: [{group: tracking-gold}]
    keyauth_credentials: [{id: 9b2f3c1e-0d4a-4e5b-8c6d-7e8f9a0b1c2d, key: not-copied-1234567890}]
    plugins: [{name: rate-limiting, service: tracking, config: {second: 7, month: 70000}}]
"#,
    )
    .unwrap();
    let file = a.join("partners/emea/sahara-express.yaml");
    let mut original = std::fs::read_to_string(&file).unwrap();
    original = format!("# Hand-written: keep this comment.\n{original}");
    std::fs::write(&file, &original).unwrap();
    let product_before = std::fs::read_to_string(a.join("products/tracking.yaml")).unwrap();
    let out = pctl(&a)
        .args(["import", "kong", "--merge"])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let merged = std::fs::read_to_string(&file).unwrap();
    assert!(!merged.contains("not-copied"), "{merged}");
    for line in original
        .lines()
        .filter(|l| !l.contains(": []") && !l.contains("labels:"))
    {
        assert!(merged.contains(line), "the line {line:?} is kept:\n{merged}");
    }
    assert!(
        merged.contains("  labels: {region: emea, country: ma, kong-key-auth."),
        "{merged}"
    );
    let doc = yaml(&merged);
    let subs = doc["spec"]["subscriptions"].as_array().unwrap();
    assert!(
        subs.contains(&serde_json::json!({"product": "tracking", "plan": "gold", "environment": "production"})),
        "{merged}"
    );
    let creds = doc["spec"]["credentials"].as_array().unwrap();
    let new = creds.last().unwrap();
    assert_eq!(new["environment"], "production", "{merged}");
    let id = new["id"].as_str().unwrap();
    assert_eq!(
        doc["metadata"]["labels"][format!("kong-key-auth.{id}")],
        "9b2f3c1e-0d4a-4e5b-8c6d-7e8f9a0b1c2d",
        "{merged}"
    );
    let product = std::fs::read_to_string(a.join("products/tracking.yaml")).unwrap();
    for line in product_before.lines() {
        assert!(product.contains(line), "{line:?} kept:\n{product}");
    }
    let gold = yaml(&product)["spec"]["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "gold")
        .cloned()
        .unwrap_or_else(|| panic!("{product}"));
    assert_eq!(gold["rateLimit"], serde_json::json!({"requests": 7, "per": "second"}));
    assert_eq!(gold["quota"], serde_json::json!({"requests": 70000, "per": "month"}));
    // The audit of the same dump places the consumer and its credential.
    let out = pctl(&a)
        .args(["--format", "json", "audit", "--gateway"])
        .arg(&dump)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = codes(&v, "findings");
    assert!(
        !found.contains("unknown-consumer") && !found.contains("unknown-credential"),
        "{v:#}"
    );
}

/// Names in a dump are hostile (SPEC §9): whatever they hold, the files written are one
/// valid document each and a name cannot add a key.
#[test]
fn hostile_names_cannot_add_yaml() {
    let tmp = tempfile::tempdir().unwrap();
    let b = bare_program(tmp.path(), "p");
    let dump = tmp.path().join("dump.json");
    let evil = "x\n  stage: live\nspec: {}\n--- \u{2028}#";
    std::fs::write(
        &dump,
        serde_json::to_string(&serde_json::json!({
            "_format_version": "3.0",
            "services": [{"name": evil, "url": "https://a.internal/\nx: y", "tags": [format!("product:{evil}")],
                "routes": [{"name": evil, "paths": ["/v1/a\nb: c", "~/v1/(?<x\ny>[^/]+)$"], "methods": ["GET"]}]}],
            "consumers": [{"username": evil, "custom_id": "yes", "keyauth_credentials": [{"key": "{vault://x/a b\n}", "tags": [format!("credential:{evil}")]}]}],
            "x\n::add-mask::y": [{"name": evil}],
        }))
        .unwrap(),
    )
    .unwrap();
    let out = pctl(&b).args(["import", "kong"]).arg(&dump).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("::add-mask::"), "the to-do names the entity: {text}");
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "a dump value starts no workflow command: {text}"
        );
        assert!(
            !line.trim_start().starts_with("stage: live"),
            "a dump value starts no line: {text}"
        );
    }
    let v = pctl(&b).args(["--format", "json", "validate"]).output().unwrap();
    let v: Value = serde_json::from_slice(&v.stdout).unwrap();
    let found = codes(&v, "diagnostics");
    for bad in [
        "yaml-syntax",
        "schema",
        "unknown-reference",
        "duplicate-key",
        "name-mismatch",
    ] {
        assert!(!found.contains(bad), "{bad}: {:#}", v["diagnostics"]);
    }
    let p = yaml(&std::fs::read_to_string(b.join("partners/yes.yaml")).unwrap());
    assert_eq!(
        p["metadata"]["name"], "yes",
        "a name that YAML reads as a boolean stays a string"
    );
    assert_eq!(p["spec"]["stage"], "live");
}

/// Two dumps without credential ids or tags, one per environment, for the same consumer:
/// the positional mapping (`#1` in each) is told apart by environment, so the audit of
/// each places its key.
#[test]
fn positional_keys_of_two_environments_map_back() {
    let tmp = tempfile::tempdir().unwrap();
    let b = empty_program(tmp.path());
    let dump = |env: &str| {
        let f = tmp.path().join(format!("{env}.yaml"));
        std::fs::write(
            &f,
            format!(
                "_format_version: \"3.0\"\n_info: {{select_tags: [environment:{env}]}}\nservices:\n  - {{name: api, url: https://api.internal, plugins: [{{name: key-auth}}]}}\nconsumers:\n  - username: Big_Co\n    keyauth_credentials: [{{key: literal-{env}-key-1}}, {{key: literal-{env}-key-2}}]\n"
            ),
        )
        .unwrap();
        f
    };
    let (sbx, prd) = (dump("sandbox"), dump("production"));
    let out = pctl(&b).args(["import", "kong"]).arg(&sbx).arg(&prd).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let p = yaml(&std::fs::read_to_string(b.join("partners/big-co.yaml")).unwrap());
    assert_eq!(p["metadata"]["labels"]["kong-consumer"], "Big_Co");
    assert_eq!(p["metadata"]["labels"]["kong-key-auth.big-co-sbx-2"], "#2");
    assert_eq!(p["metadata"]["labels"]["kong-key-auth.big-co-prd-2"], "#2");
    for f in [&sbx, &prd] {
        let out = pctl(&b)
            .args(["--format", "json", "audit", "--gateway"])
            .arg(f)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let bad: Vec<&Value> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["credential"].is_string() || f["code"] == "unknown-consumer")
            .collect();
        assert!(bad.is_empty(), "{}: {bad:#?}", f.display());
        assert!(!out.stdout.windows(8).any(|w| w == b"literal-"), "no key in the output");
    }
}

/// Files the import wrote (the serializer's indentless lists) take a merge too: the same
/// dump imported as production, then merged as sandbox, gives one program serving both.
#[test]
fn a_merge_into_imported_files_adds_the_other_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let b = bare_program(tmp.path(), "p");
    let dump = Path::new(REAL).join("deck-root-kong.yaml");
    let out = pctl(&b).args(["import", "kong"]).arg(&dump).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let first = std::fs::read_to_string(b.join("partners/harry.yaml")).unwrap();
    let out = pctl(&b)
        .args(["import", "kong", "--merge", "--environment", "sandbox"])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("[merge]"), "every file took the merge: {stdout}");
    let merged = std::fs::read_to_string(b.join("partners/harry.yaml")).unwrap();
    // Every line the import wrote is still there, in its order: the merge only inserted.
    let mut rest = merged.lines();
    for line in first.lines() {
        assert!(rest.any(|l| l == line), "{line:?} kept in order:\n{merged}");
    }
    let harry = yaml(&merged);
    let envs: BTreeSet<&str> = harry["spec"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["environment"].as_str().unwrap())
        .collect();
    assert_eq!(envs, BTreeSet::from(["sandbox", "production"]), "{merged}");
    let v = pctl(&b).args(["--format", "json", "validate"]).output().unwrap();
    let v: Value = serde_json::from_slice(&v.stdout).unwrap();
    let found = codes(&v, "diagnostics");
    for bad in ["yaml-syntax", "schema", "unknown-reference", "plan-environment"] {
        assert!(!found.contains(bad), "{bad}: {:#}", v["diagnostics"]);
    }
    for env in ["sandbox", "production"] {
        let out = pctl(&b)
            .args(["--format", "json", "audit", "--environment", env, "--gateway"])
            .arg(&dump)
            .output()
            .unwrap();
        let a: Value = serde_json::from_slice(&out.stdout).unwrap();
        let found = codes(&a, "findings");
        assert!(
            !found.contains("unknown-consumer") && !found.contains("unknown-credential"),
            "{env}: {a:#}"
        );
    }
}

/// A plan holds one rate limit and one quota; whatever else a `rate-limiting` plugin says
/// (where it counts, what it limits by, another window, its answers) is a to-do line with
/// the plugin's place in the decK file.
#[test]
fn limits_and_settings_an_import_cannot_carry_are_in_the_todo_with_their_line() {
    let tmp = tempfile::tempdir().unwrap();
    let b = bare_program(tmp.path(), "p");
    let dump = tmp.path().join("dump.yaml");
    std::fs::write(
        &dump,
        r#"_format_version: "3.0"
services:
  - name: tracking
    url: https://tracking.internal
    tags: [environment:production]
    routes: [{name: t, paths: [/v1/tracking], methods: [GET]}]
    plugins:
      - {name: key-auth, config: {key_names: [x-api-key]}}
      - {name: acl, config: {allow: [tracking]}}
consumers:
  - username: sahara-express
    acls: [{group: tracking}]
    plugins:
      - name: rate-limiting
        service: tracking
        config:
          second: 7
          hour: 1000
          month: 70000
          policy: redis
          redis: {host: redis.gw.internal, port: 6380}
          limit_by: credential
          hide_client_headers: true
"#,
    )
    .unwrap();
    let out = pctl(&b)
        .args(["--format", "json", "import", "kong", "--dry-run"])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let todo: Vec<&Value> = v["todo"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "rate-limit")
        .collect();
    let at = format!("{}:14", dump.display());
    for needle in [
        "counts in Redis at redis.gw.internal:6380 (policy redis)",
        "limits by credential",
        "its limit of 1000 a hour is not imported",
        "`hide_client_headers: true` is not imported",
    ] {
        let t = todo
            .iter()
            .find(|t| t["message"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("{needle} missing from {todo:#?}"));
        assert_eq!(t["source"], at.as_str(), "{t}");
        assert_eq!(t["consumer"], "sahara-express", "{t}");
    }
    // The plan keeps what it can: 7 a second and 70 000 a month.
    let files = v["files"].as_array().unwrap();
    let product = files.iter().find(|f| f["path"] == "products/tracking.yaml").unwrap();
    let contents = product["contents"].as_str().unwrap();
    assert!(
        contents.contains("requests: 7") && contents.contains("requests: 70000"),
        "{contents}"
    );
}

/// `--merge` copies what the gateway has, drift included; what it copied that the
/// program's rules flag is listed: a subscription of a suspended partner, a plan the import
/// made up because the gateway sets no limit, and every finding of `validate` the merged
/// files did not have before.
#[test]
fn merge_lists_what_it_copied_that_the_programs_rules_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _) = render_example(tmp.path());
    let dump = tmp.path().join("dump.yaml");
    std::fs::write(
        &dump,
        r#"_format_version: "3.0"
services:
  - name: tracking
    url: https://tracking.internal
    tags: [environment:production]
    routes: [{name: t, paths: ["~/v1/tracking/(?<id>[^/]+)$"], methods: [GET]}]
    plugins:
      - {name: key-auth, config: {key_names: [x-api-key]}}
      - {name: acl, config: {allow: [tracking]}}
consumers:
  - username: Rhine River Shipping
    custom_id: rhine-river-shipping
    acls: [{group: tracking}]
"#,
    )
    .unwrap();
    // The text report lists them under what is still to do (a dry run writes nothing).
    let text = pctl(&a)
        .args(["import", "kong", "--merge", "--dry-run"])
        .arg(&dump)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("[merged]"), "{stdout}");
    let out = pctl(&a)
        .args(["--format", "json", "import", "kong", "--merge"])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let merged: Vec<(String, String)> = v["todo"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "merged")
        .map(|t| {
            (
                t["file"].as_str().unwrap().to_string(),
                t["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |file: &str, needle: &str| merged.iter().any(|(f, m)| f == file && m.contains(needle));
    let rhine = "partners/emea/rhine-river-shipping.yaml";
    assert!(
        has(
            rhine,
            "partner rhine-river-shipping is suspended but the gateway still lets it call tracking"
        ),
        "{merged:#?}"
    );
    // A suspended partner may keep its subscriptions (SPEC §15.5): the gateway's access is
    // what the to-do line asks to remove.
    assert!(has(rhine, "remove the consumer from the gateway"), "{merged:#?}");
    assert!(
        has("products/tracking.yaml", "plan default was made up by the import"),
        "{merged:#?}"
    );
    // Each finding says its line in the merged file.
    assert!(
        merged
            .iter()
            .filter(|(_, m)| m.contains("the merge brings"))
            .all(|(_, m)| m.starts_with("line ")),
        "{merged:#?}"
    );
}
