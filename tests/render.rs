//! Rendering the bundled example: snapshots of every built-in target, links that resolve,
//! nothing private in the portal, the Kong file against decK's schema, template overrides
//! and `template:` outputs, and the `render` command as a user runs it.

mod common;

use common::{AS_OF, copy_example, edit, example_dir};
use partnerctl::output::RenderedFile;
use partnerctl::render::render_all;
use partnerctl::spec::Date;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

fn today() -> Date {
    Date::parse(AS_OF).unwrap()
}

fn render_dir(dir: &Path) -> Vec<RenderedFile> {
    let v = partnerctl::validate_dir(dir, today()).expect("readable");
    assert!(!v.has_errors(), "the program should be valid: {:#?}", v.diagnostics);
    render_all(&v.program, today()).expect("renders")
}

fn example() -> Vec<RenderedFile> {
    render_dir(&example_dir())
}

fn text(files: &[RenderedFile], path: &str) -> String {
    let f = files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} was not rendered"));
    String::from_utf8(f.bytes.clone()).unwrap()
}

/// Every rendered file but CODEOWNERS, whose snapshot lives in tests/codeowners.rs.
fn snapshotted(files: &[RenderedFile]) -> impl Iterator<Item = &RenderedFile> {
    files.iter().filter(|f| f.path != "dist/CODEOWNERS")
}

#[test]
fn snapshots_of_every_target() {
    let files = example();
    for f in snapshotted(&files) {
        let name = f.path.trim_start_matches("dist/").replace('/', "__");
        insta::assert_snapshot!(name, String::from_utf8(f.bytes.clone()).unwrap());
    }
}

#[test]
fn every_output_of_the_example_is_rendered_in_order() {
    let files = example();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let expected_order = [
        "dist/docs/index.html",
        "dist/gateway/kong-production.yaml",
        "dist/gateway/kong-sandbox.yaml",
        "dist/gateway/nginx-sandbox.conf",
        "dist/gateway/envoy-ratelimit-production.yaml",
        "dist/internal/funnel.html",
        "dist/CODEOWNERS",
        "dist/partners.csv",
        "dist/backstage/catalog-info.yaml",
        "dist/azure/apim-production.json",
        "dist/azure/apim-production.parameters.json",
    ];
    let positions: Vec<usize> = expected_order
        .iter()
        .map(|p| {
            paths
                .iter()
                .position(|x| x == p)
                .unwrap_or_else(|| panic!("{p} missing"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "outputs out of order: {paths:?}"
    );
    for page in [
        "onboarding.html",
        "partners.html",
        "terms/index.html",
        "products/shipments.html",
        "style.css",
    ] {
        assert!(paths.contains(&format!("dist/docs/{page}").as_str()), "{page} missing");
    }
    for version in ["partner-tos/1.0", "partner-tos/2.0", "data-sharing/1.0"] {
        assert!(
            paths.contains(&format!("dist/docs/terms/{version}.html").as_str()),
            "{version} missing"
        );
    }
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(example(), example());
}

#[test]
fn every_portal_link_resolves_and_is_relative() {
    let files = example();
    let docs: BTreeSet<&str> = files.iter().filter_map(|f| f.path.strip_prefix("dist/docs/")).collect();
    let link = regex::Regex::new(r#"(?:href|src)="([^"]*)""#).unwrap();
    let mut checked = 0;
    for f in files
        .iter()
        .filter(|f| f.path.starts_with("dist/docs/") && f.path.ends_with(".html"))
    {
        let page = f.path.strip_prefix("dist/docs/").unwrap();
        let html = String::from_utf8(f.bytes.clone()).unwrap();
        // The API reference's search is the one script: its data and the script the page's
        // CSP allows by hash. No other page has any.
        let scripts = if page.contains("/api") { 2 } else { 0 };
        assert_eq!(html.matches("<script").count(), scripts, "{page}");
        if scripts > 0 {
            assert_eq!(
                html.matches("<script type=\"application/json\" id=\"operations-index\">")
                    .count(),
                1
            );
            assert!(
                html.contains(&format!("<script>{}</script>", partnerctl::portal::search::SCRIPT)),
                "{page}"
            );
        }
        for cap in link.captures_iter(&html) {
            let href = &cap[1];
            if href.starts_with("https://") || href.starts_with("http://") || href.starts_with("mailto:") {
                continue;
            }
            assert!(
                !href.is_empty() && !href.starts_with('/') && !href.contains("://"),
                "{page}: `{href}` is not relative"
            );
            let (target, fragment) = href.split_once('#').unwrap_or((href, ""));
            // A link within the page names an element of it.
            if target.is_empty() {
                assert!(
                    html.contains(&format!("id=\"{fragment}\"")),
                    "{page}: `{href}` names no element of the page"
                );
                checked += 1;
                continue;
            }
            assert!(
                !target.ends_with('/'),
                "{page}: `{href}` names a folder, which file:// does not open"
            );
            let mut parts: Vec<&str> = page.split('/').collect();
            parts.pop();
            for seg in target.split('/') {
                match seg {
                    ".." => {
                        assert!(parts.pop().is_some(), "{page}: `{href}` leaves the portal");
                    }
                    "." | "" => {}
                    s => parts.push(s),
                }
            }
            let resolved = parts.join("/");
            assert!(
                docs.contains(resolved.as_str()),
                "{page}: `{href}` → {resolved} does not exist"
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} links checked");
}

#[test]
fn nothing_private_reaches_the_portal() {
    let v = partnerctl::validate_dir(&example_dir(), today()).unwrap();
    let files = render_all(&v.program, today()).unwrap();
    let mut private: Vec<String> = Vec::new();
    let mut hidden_partners: Vec<String> = Vec::new();
    for p in v.program.partners.values() {
        for c in &p.spec.contacts {
            private.push(c.name.clone());
            private.push(c.email.clone());
        }
        for a in &p.spec.agreements {
            private.extend(a.signed_by.as_ref().map(|s| s.name().to_string()));
        }
        for c in &p.spec.credentials {
            private.push(c.secret_ref.clone());
        }
        if !(p.spec.listed && p.stage() == partnerctl::spec::Stage::Live) {
            hidden_partners.push(p.spec.display_name.clone());
            hidden_partners.push(p.name.clone());
        }
    }
    assert!(
        private.len() > 50,
        "the example should have contacts and secret references to look for"
    );
    let upstreams: Vec<String> = v
        .program
        .products
        .values()
        .flat_map(|p| {
            p.spec
                .environments
                .names()
                .into_iter()
                .map(|e| p.spec.environments.get(e).unwrap().upstream.clone())
        })
        .collect();
    for f in files.iter().filter(|f| f.path.starts_with("dist/docs/")) {
        let page = String::from_utf8(f.bytes.clone()).unwrap();
        for secret in private.iter().chain(&upstreams) {
            assert!(!page.contains(secret.as_str()), "{} shows `{secret}`", f.path);
        }
        for name in &hidden_partners {
            assert!(
                !page.contains(name.as_str()),
                "{} names `{name}`, which is not a listed live partner",
                f.path
            );
        }
        for stage in ["production_requested", "suspended", "offboarded"] {
            if f.path != "dist/docs/onboarding.html" {
                assert!(!page.contains(stage), "{} mentions the stage {stage}", f.path);
            }
        }
    }
    // No output at all, gateway configs included, carries a secret reference.
    for f in &files {
        let out = String::from_utf8_lossy(&f.bytes);
        for c in v.program.partners.values().flat_map(|p| &p.spec.credentials) {
            assert!(!out.contains(&c.secret_ref), "{} carries {}", f.path, c.secret_ref);
        }
        assert!(!out.contains("vault://"), "{} carries a vault reference", f.path);
    }
    let directory = text(&files, "dist/docs/partners.html");
    for listed in [
        "ACME Logistics",
        "Caribe Shipping",
        "Kiwi Couriers",
        "Lumen Parcel",
        "Maple Route",
    ] {
        assert!(directory.contains(listed), "the directory misses {listed}");
    }
}

#[test]
fn the_portal_shows_products_plans_terms_and_the_path() {
    let files = example();
    let shipments = text(&files, "dist/docs/products/shipments.html");
    assert!(shipments.contains("<code>/v1/shipments/{id}/labels</code>"));
    assert!(shipments.contains("10 requests per second"));
    assert!(shipments.contains("10,000 requests per day"));
    assert!(shipments.contains(r#"href="../terms/data-sharing/1.0.html""#));
    assert!(shipments.contains(r#"href="../terms/partner-tos/2.0.html""#));
    let tos2 = text(&files, "dist/docs/terms/partner-tos/2.0.html");
    assert!(
        tos2.contains("Compared with"),
        "version 2.0 shows what changed since 1.0"
    );
    assert!(tos2.contains(r#"<span class="insert">+ "#) && tos2.contains(r#"<span class="delete">- "#));
    let tos1 = text(&files, "dist/docs/terms/partner-tos/1.0.html");
    assert!(tos1.contains("This is the first version."));
    assert!(tos1.contains("superseded"));
    let onboarding = text(&files, "dist/docs/onboarding.html");
    for stage in [
        "registered",
        "terms_accepted",
        "sandbox",
        "production_requested",
        "live",
    ] {
        assert!(
            onboarding.contains(&format!(r#"id="{stage}""#)),
            "onboarding misses {stage}"
        );
    }
    assert!(onboarding.contains("the security team and the team that owns the product"));
}

fn yaml(files: &[RenderedFile], path: &str) -> serde_json::Value {
    yaml_serde::from_str(&text(files, path)).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

#[test]
fn kong_output_passes_the_deck_schema() {
    // The shared reference when it is checked out beside the repository, else our copy of it
    // (tests/external/README.md); the two must not differ.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/external/kong/kong_json_schema.json");
    let vendored = root.join("tests/external/kong/kong_json_schema.json");
    if shared.exists() {
        assert_eq!(
            fs::read_to_string(&shared).unwrap(),
            fs::read_to_string(&vendored).unwrap(),
            "tests/external/kong/kong_json_schema.json differs from the shared reference; copy it again"
        );
    }
    let schema_path = if shared.exists() { shared } else { vendored };
    let schema: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(&schema_path).unwrap_or_else(|e| panic!("{}: {e}", schema_path.display())),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the decK schema compiles");
    let files = example();
    for path in ["dist/gateway/kong-production.yaml", "dist/gateway/kong-sandbox.yaml"] {
        let doc = yaml(&files, path);
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{path} fails the decK schema:\n{}",
            errors.join("\n")
        );
        assert_eq!(doc["_format_version"], "3.0");
    }
}

#[test]
fn kong_grants_exactly_what_the_program_says() {
    let files = example();
    let prod = yaml(&files, "dist/gateway/kong-production.yaml");
    let consumers: Vec<&str> = prod["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["username"].as_str().unwrap())
        .collect();
    // Live partners only in production; never the suspended or offboarded ones.
    assert_eq!(
        consumers,
        [
            "acme-logistics",
            "caribe-shipping",
            "gulfstream-carriers",
            "kiwi-couriers",
            "lumen-parcel",
            "maple-route"
        ]
    );
    let services: Vec<&str> = prod["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["shipments", "tracking"], "rates is sandbox-only");
    let acme = &prod["consumers"][0];
    assert_eq!(acme["custom_id"], "acme-logistics");
    let keys: Vec<&str> = acme["keyauth_credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [r#"${{ env "DECK_PARTNERCTL_KEY_ACME_PRD_2" }}"#],
        "the revoked acme-prd-1 is gone"
    );
    let groups: Vec<&str> = acme["acls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["shipments", "tracking"]);
    let plugin = prod["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["consumer"] == "acme-logistics" && p["service"] == "shipments")
        .expect("a rate limit for acme on shipments");
    assert_eq!(plugin["name"], "rate-limiting");
    assert_eq!(plugin["config"]["second"], 50);
    assert_eq!(plugin["config"]["limit_by"], "consumer");
    let service = &prod["services"][0];
    let plugin_names: Vec<&str> = service["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(plugin_names, ["key-auth", "acl"]);
    assert_eq!(
        service["plugins"][1]["config"]["allow"],
        serde_json::json!(["shipments"])
    );
    let sandbox = yaml(&files, "dist/gateway/kong-sandbox.yaml");
    let sandbox_consumers: Vec<&str> = sandbox["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["username"].as_str().unwrap())
        .collect();
    for absent in [
        "rhine-river-shipping",
        "andes-cargo-link",
        "outback-haulage",
        "pampas-transport",
        "sahara-express",
        "prairie-parcel",
        "sakura-logistics",
    ] {
        assert!(
            !sandbox_consumers.contains(&absent),
            "{absent} must not be a sandbox consumer"
        );
    }
    assert!(sandbox_consumers.contains(&"baltic-freight"));
}

#[test]
fn envoy_ratelimit_has_a_domain_and_descriptors_per_partner_and_plan() {
    let files = example();
    let doc = yaml(&files, "dist/gateway/envoy-ratelimit-production.yaml");
    assert_eq!(doc["domain"], "northwind-production");
    let acme = doc["descriptors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["value"] == "acme-logistics")
        .unwrap();
    assert_eq!(acme["key"], "partner");
    let shipments = &acme["descriptors"][0];
    assert_eq!(shipments["key"], "product");
    assert_eq!(shipments["value"], "shipments");
    assert_eq!(
        shipments["rate_limit"],
        serde_json::json!({"unit": "second", "requests_per_unit": 50})
    );
    assert!(
        doc["descriptors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["value"] != "rhine-river-shipping")
    );
}

#[test]
fn envoy_ratelimit_renders_monthly_quotas_with_unit_month() {
    let files = example();
    let text = text(&files, "dist/gateway/envoy-ratelimit-production.yaml");
    assert!(!text.contains("enforce them elsewhere"), "{text}");
    let doc = yaml(&files, "dist/gateway/envoy-ratelimit-production.yaml");
    let quotas: Vec<&serde_json::Value> = doc["descriptors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["descriptors"].as_array().unwrap())
        .flat_map(|p| p["descriptors"].as_array().into_iter().flatten())
        .collect();
    assert!(
        quotas
            .iter()
            .any(|q| q["value"] == "month" && q["rate_limit"]["unit"] == "month"),
        "{quotas:?}"
    );
    assert!(
        quotas
            .iter()
            .all(|q| q["key"] == "quota" && q["value"] == q["rate_limit"]["unit"])
    );
}

#[test]
fn kong_quota_policy_cluster_and_redis() {
    let dir = copy_example();
    let p = dir.path().join("program.yaml");
    let program = fs::read_to_string(&p).unwrap().replace(
        "{target: kong, environment: production, path: dist/gateway/kong-production.yaml}",
        "{target: kong, environment: production, path: dist/gateway/kong-production.yaml, quotaPolicy: redis, redis: {host: redis.kong.svc, port: 6379, timeout: 500, passwordRef: \"{vault://env/kong-redis-password}\"}}",
    );
    fs::write(
        &p,
        program.replace(
            "{target: kong, environment: sandbox, path: dist/gateway/kong-sandbox.yaml}",
            "{target: kong, environment: sandbox, path: dist/gateway/kong-sandbox.yaml, quotaPolicy: cluster}",
        ),
    )
    .unwrap();
    let files = render_dir(dir.path());
    let limits = |path: &str| -> Vec<serde_json::Value> {
        yaml(&files, path)["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["name"] == "rate-limiting")
            .map(|p| p["config"].clone())
            .collect()
    };
    let prod = limits("dist/gateway/kong-production.yaml");
    assert!(!prod.is_empty());
    for c in &prod {
        assert_eq!(c["policy"], "redis");
        assert_eq!(
            c["redis"],
            serde_json::json!({"host": "redis.kong.svc", "port": 6379, "timeout": 500, "password": "{vault://env/kong-redis-password}"})
        );
    }
    assert!(
        limits("dist/gateway/kong-sandbox.yaml")
            .iter()
            .all(|c| c["policy"] == "cluster" && c.get("redis").is_none())
    );
}

#[test]
fn a_program_template_overrides_a_built_in() {
    let dir = copy_example();
    fs::create_dir_all(dir.path().join("templates/docs")).unwrap();
    fs::write(
        dir.path().join("templates/docs/product.html.j2"),
        "{% extends \"docs/base.html.j2\" %}{% block content %}<h1 class=\"custom\">{{ product.displayName | upper }}</h1>{% endblock %}\n",
    )
    .unwrap();
    let files = render_dir(dir.path());
    let page = text(&files, "dist/docs/products/shipments.html");
    assert!(page.contains(r#"<h1 class="custom">SHIPMENTS API</h1>"#), "{page}");
    assert!(
        page.contains(r#"href="../style.css""#),
        "the built-in layout still wraps the override"
    );
    // Pages that do not use the overridden template are untouched.
    assert_eq!(
        text(&files, "dist/docs/index.html"),
        text(&example(), "dist/docs/index.html")
    );
}

#[test]
fn a_template_output_renders_the_program() {
    let dir = copy_example();
    fs::write(
        dir.path().join("templates/limits.md.j2"),
        concat!(
            "# {{ program.displayName }} as of {{ asOf | date }}\n",
            "{% for p in products %}\n",
            "## {{ p.displayName | slug }}\n",
            "{% for plan in p.plans %}\n",
            "- {{ plan.name }}: {{ plan.rateLimitText }}\n",
            "{% endfor %}\n",
            "{% endfor %}\n",
            "{{ products[0].description | markdown }}",
            "{{ {\"n\": 1} | json }}\n",
        ),
    )
    .unwrap();
    edit(
        dir.path(),
        "program.yaml",
        "    - {template: templates/partners.csv.j2, path: dist/partners.csv}",
        "    - {template: templates/partners.csv.j2, path: dist/partners.csv}\n    - {template: templates/limits.md.j2, path: dist/limits.md}",
    );
    let files = render_dir(dir.path());
    let md = text(&files, "dist/limits.md");
    assert!(
        md.starts_with("# Northwind Partner Program as of 1 November 2026\n"),
        "{md}"
    );
    assert!(
        md.contains("## shipments-api\n- starter: 10 requests per second\n"),
        "{md}"
    );
    assert!(md.contains("<p>Quote prices"), "{md}");
    assert!(md.ends_with("{\"n\":1}\n"), "{md}");
    let csv = text(&files, "dist/partners.csv");
    assert_eq!(csv.lines().next(), Some("name,displayName,website"));
    assert!(csv.contains("acme-logistics,ACME Logistics,"), "{csv}");
    assert!(
        !csv.contains("fjord-cargo"),
        "only listed live partners are in the public CSV"
    );
}

#[test]
fn template_outputs_never_see_contacts_or_secret_references() {
    let dir = copy_example();
    fs::write(dir.path().join("templates/all.json.j2"), "{{ partners | json }}\n").unwrap();
    edit(
        dir.path(),
        "program.yaml",
        "    - {template: templates/partners.csv.j2, path: dist/partners.csv}",
        "    - {template: templates/all.json.j2, path: dist/all.json}",
    );
    let files = render_dir(dir.path());
    let all = text(&files, "dist/all.json");
    assert!(all.contains("acme-sbx-2"), "credential ids are there");
    assert!(!all.contains("vault://"), "secret references are not");
    assert!(!all.contains("jane.roe@acme-logistics.example"), "contacts are not");
}

#[test]
fn bad_outputs_are_refused() {
    for (output, message) in [
        ("{template: templates/nope.j2, path: dist/nope.txt}", "does not exist"),
        ("{template: partners.csv.j2, path: dist/x.csv}", "templates/ folder"),
        ("{target: docs, path: /tmp/partnerctl-docs}", "absolute"),
        ("{target: docs, path: ../outside}", "leaves"),
        ("{target: kong, path: dist/kong.yaml}", "needs an `environment`"),
        ("{target: docs, path: dist/partners.csv}", ""),
    ] {
        let dir = copy_example();
        edit(
            dir.path(),
            "program.yaml",
            "    - {template: templates/partners.csv.j2, path: dist/partners.csv}",
            &format!("    - {{template: templates/partners.csv.j2, path: dist/partners.csv}}\n    - {output}"),
        );
        let v = partnerctl::validate_dir(dir.path(), today()).unwrap();
        let err = render_all(&v.program, today()).err();
        if message.is_empty() {
            // docs into a folder named like a file: distinct paths, so it renders.
            assert!(err.is_none(), "{output}: {err:?}");
        } else {
            let err = err.unwrap_or_else(|| panic!("{output} should be refused")).to_string();
            assert!(err.contains(message), "{output}: {err}");
        }
    }
}

#[test]
fn two_outputs_writing_one_file_are_refused() {
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "    - {template: templates/partners.csv.j2, path: dist/partners.csv}",
        "    - {template: templates/partners.csv.j2, path: dist/partners.csv}\n    - {target: codeowners, path: dist/partners.csv}",
    );
    let v = partnerctl::validate_dir(dir.path(), today()).unwrap();
    let err = render_all(&v.program, today()).unwrap_err().to_string();
    assert!(err.contains("two outputs write this file"), "{err}");
}

fn partnerctl() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("partnerctl").unwrap()
}

#[test]
fn the_render_command_writes_then_leaves_unchanged_files_alone() {
    let out = tempfile::tempdir().unwrap();
    let run = |format: &str| {
        partnerctl()
            .args(["render", "-C"])
            .arg(example_dir())
            .args(["--as-of", AS_OF, "--format", format, "--out-dir"])
            .arg(out.path())
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let first = String::from_utf8(run("text")).unwrap();
    assert!(first.contains("wrote      dist/docs/index.html"), "{first}");
    assert!(first.contains("written, 0 unchanged"), "{first}");
    let index = out.path().join("dist/docs/index.html");
    let modified = fs::metadata(&index).unwrap().modified().unwrap();
    let second: serde_json::Value = serde_json::from_slice(&run("json")).unwrap();
    assert_eq!(second["ok"], true);
    assert_eq!(second["written"], serde_json::json!([]));
    assert!(
        second["unchanged"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "dist/gateway/nginx-sandbox.conf")
    );
    assert_eq!(
        fs::metadata(&index).unwrap().modified().unwrap(),
        modified,
        "an unchanged file is not rewritten"
    );
    assert!(!example_dir().join("dist/docs/index.html").exists() || out.path() != example_dir());
}

#[test]
fn the_render_command_refuses_an_output_outside_the_repository() {
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "{target: docs, path: dist/docs}",
        "{target: docs, path: ../escaped-docs}",
    );
    let assert = partnerctl()
        .args(["render", "-C"])
        .arg(dir.path())
        .args(["--as-of", AS_OF])
        .assert()
        .code(1);
    let out = assert.get_output();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        printed.contains("output-invalid") && printed.contains("../escaped-docs"),
        "an output-invalid finding names the path: {printed}"
    );
    assert!(
        !dir.path().join("dist").exists(),
        "nothing is written when an output is refused"
    );
    assert!(!dir.path().parent().unwrap().join("escaped-docs").exists());
}

#[test]
fn the_render_command_refuses_an_invalid_program() {
    let dir = copy_example();
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "{product: tracking, plan: standard, environment: production}",
        "{product: tracking, plan: nope, environment: production}",
    );
    partnerctl()
        .args(["render", "-C"])
        .arg(dir.path())
        .args(["--as-of", AS_OF])
        .assert()
        .code(1);
    assert!(!dir.path().join("dist").exists());
}
