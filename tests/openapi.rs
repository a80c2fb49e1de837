//! Products from OpenAPI descriptions (SPEC §13): real descriptions load, validate and render
//! a reference page with every operation that passes axe-core in headless Chromium; the two
//! codes fire on their fixtures; a plan that removes an endpoint and makes a parameter
//! required names both, with the partners affected; the gateways route exactly the
//! description's operations.

mod common;

use common::{AS_OF, browser, copy_example, copy_example_with, edit};
use std::path::Path;
use std::process::Command;

/// The real descriptions: the repository's copy (tests/external/openapi/), checked against
/// the shared references where they are checked out beside the repository.
fn external() -> std::path::PathBuf {
    let copy = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/external/openapi");
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/external/openapi");
    if shared.is_dir() {
        for e in std::fs::read_dir(&copy).unwrap() {
            let p = e.unwrap().path();
            let original = shared.join(p.file_name().unwrap());
            if !original.exists() {
                continue; // vendored here only (tests/external/README.md names its source)
            }
            assert_eq!(
                std::fs::read(&p).unwrap(),
                std::fs::read(&original).unwrap(),
                "{} differs from {}",
                p.display(),
                original.display()
            );
        }
    }
    copy
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_partnerctl"))
        .arg("-C")
        .arg(dir)
        .args(args)
        .args(["--as-of", AS_OF])
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A copy of the example with a product `ext` whose description is `file`.
fn with_description(file: &Path) -> tempfile::TempDir {
    let dir = copy_example();
    std::fs::copy(file, dir.path().join("apis/ext.yaml")).unwrap();
    let rates = std::fs::read_to_string(dir.path().join("products/rates.yaml")).unwrap();
    let ext = rates
        .replace("name: rates", "name: ext")
        .replace("openapi: apis/rates.json", "openapi: apis/ext.yaml");
    std::fs::write(dir.path().join("products/ext.yaml"), ext).unwrap();
    dir
}

#[test]
fn real_descriptions_load_validate_and_render_every_operation_accessibly() {
    let external = external();
    let mut pages = Vec::new();
    let mut dirs = Vec::new();
    for (file, operations) in [
        ("swagger-petstore-3.0.openapi.yaml", 19),
        ("redocly-museum-3.1.openapi.yaml", 9), // 8 operations and its webhook
    ] {
        let dir = with_description(&external.join(file));
        let (code, out, err) = run(dir.path(), &["validate", "--format", "json"]);
        assert_eq!(code, 0, "{file}: {out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["errors"], 0, "{file}: {out}");

        let out_dir = dir.path().join("out");
        let (code, _, err) = run(dir.path(), &["render", "--out-dir", out_dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let page = out_dir.join("dist/docs/products/ext/api.html");
        let html = std::fs::read_to_string(&page).unwrap();
        assert_eq!(
            html.matches("<article class=\"operation\"").count(),
            operations,
            "{file}"
        );
        // Every operation of the description, by method and path.
        let desc: serde_json::Value =
            yaml_serde::from_str(&std::fs::read_to_string(external.join(file)).unwrap()).unwrap();
        for (path, item) in desc["paths"].as_object().unwrap() {
            for m in ["get", "put", "post", "delete", "patch"] {
                if item.get(m).is_some() {
                    let shown = format!(
                        "<code class=\"method method-{m}\">{}</code> <code class=\"path\">{}</code>",
                        m.to_uppercase(),
                        path.replace('&', "&amp;")
                    );
                    assert!(html.contains(&shown), "{file}: {shown} not on the page");
                }
            }
        }
        assert!(html.contains("X-Api-Key"), "how to send the key");
        assert_eq!(html.matches("<script").count(), 2, "the search's data and script only");
        assert!(html.contains("Content-Security-Policy"));
        // The product page links to it.
        let product = std::fs::read_to_string(out_dir.join("dist/docs/products/ext.html")).unwrap();
        assert!(product.contains("href=\"../products/ext/api.html\""), "{product}");
        pages.push(page);
        dirs.push(dir);
    }
    // The example's own references too.
    let dir = copy_example();
    let out_dir = dir.path().join("out");
    assert_eq!(
        run(dir.path(), &["render", "--out-dir", out_dir.to_str().unwrap()]).0,
        0
    );
    for p in ["shipments", "tracking", "rates"] {
        pages.push(out_dir.join(format!("dist/docs/products/{p}/api.html")));
    }
    let shipments = std::fs::read_to_string(&pages[2]).unwrap();
    for shown in [
        "<code class=\"field\">pickup</code> <span class=\"type\">object</span> <span class=\"required\">required</span>",
        "one of <code>draft</code>, <code>booked</code>",
        "&quot;reference&quot;: &quot;PO-4711&quot;",
        "array of Parcel",
    ] {
        assert!(shipments.contains(shown), "{shown} not on the shipments reference");
    }
    if browser::available() {
        let refs: Vec<&Path> = pages.iter().map(|p| p.as_path()).collect();
        let checked = browser::check(&refs);
        let problems = browser::problems(&checked);
        assert!(problems.is_empty(), "{problems:#?}");
    }
    drop(dirs);
}

#[test]
fn openapi_mismatch_names_the_endpoint_and_the_operation() {
    let dir = copy_example_with(&["openapi-mismatch"]);
    let (code, out, _) = run(dir.path(), &["validate", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let found: Vec<(String, u64, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "openapi-mismatch")
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].0, "products/rates.yaml");
    assert!(
        found
            .iter()
            .any(|(_, line, m)| *line == 20 && m.contains("DELETE /v1/rates/quotes/{quoteId}")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|(_, _, m)| m.contains("GET /v1/rates/quotes/{id} (apis/rates.json:")),
        "{found:#?}"
    );
}

#[test]
fn openapi_invalid_points_at_the_reference_that_resolves_to_nothing() {
    let dir = copy_example_with(&["openapi-invalid"]);
    let (code, out, _) = run(dir.path(), &["validate"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[openapi-invalid]"), "{out}");
    assert!(out.contains("apis/tracking.yaml:80:"), "{out}");
    assert!(out.contains("#/components/schemas/Webhok"), "{out}");
    // A description outside apis/, or one that is not OpenAPI 3, is refused too.
    let dir = copy_example();
    edit(
        dir.path(),
        "products/rates.yaml",
        "openapi: apis/rates.json",
        "openapi: ../secrets.json",
    );
    let (code, out, _) = run(dir.path(), &["validate"]);
    assert_eq!(code, 1);
    assert!(out.contains("error[schema]"), "{out}");
    let dir = copy_example();
    std::fs::write(
        dir.path().join("apis/rates.json"),
        "{\"swagger\": \"2.0\", \"info\": {}, \"paths\": {}}",
    )
    .unwrap();
    let (code, out, _) = run(dir.path(), &["validate"]);
    assert_eq!(code, 1);
    assert!(out.contains("Swagger 2.0"), "{out}");
    for code in ["openapi-invalid", "openapi-mismatch"] {
        let (c, out, _) = run(dir.path(), &["explain", code]);
        assert_eq!(c, 0);
        assert!(out.contains(code), "{out}");
    }
}

#[test]
fn a_plan_names_a_removed_endpoint_and_a_parameter_made_required_with_the_partners_affected() {
    let dir = copy_example();
    // The base lives outside the program: a copy inside it would be documents outside their
    // folders (`misplaced-resource`).
    let base_dir = tempfile::tempdir().unwrap();
    let base = base_dir.path().to_path_buf();
    common::copy_dir(&common::example_dir(), &base);
    // The change: POST /v1/shipments/{id}/labels goes, and `status` becomes required.
    let api = dir.path().join("apis/shipments.yaml");
    let text = std::fs::read_to_string(&api).unwrap();
    let start = text.find("  /v1/shipments/{id}/labels:").unwrap();
    let mut text = text[..start].to_string();
    text = text.replacen(
        "        - name: status\n          in: query\n",
        "        - name: status\n          in: query\n          required: true\n",
        1,
    );
    std::fs::write(&api, text).unwrap();
    let usage = common::example_dir().join("usage/calls.jsonl");
    let o = Command::new("git")
        .arg("init")
        .arg("-q")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(o.success());
    // Compare the working tree with the base copy through a state file of it.
    let state = dir.path().join("state.json");
    let (code, _, err) = run(&base, &["apply", "--state-file", state.to_str().unwrap(), "--initial"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(
        dir.path(),
        &[
            "plan",
            "--state-file",
            state.to_str().unwrap(),
            "--format",
            "json",
            "--usage",
            usage.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let product = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["resource"] == "product/shipments")
        .unwrap_or_else(|| panic!("{out}"));
    let classes: Vec<&str> = product["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        classes.contains(&"endpoint-removed") && classes.contains(&"api-changed"),
        "{classes:?}"
    );
    let effects = product["effects"].as_array().unwrap();
    let removed = effects.iter().find(|e| e["type"] == "endpoint-removed").unwrap();
    assert_eq!(removed["endpoint"], "POST /v1/shipments/{id}/labels");
    let subscribers: Vec<&str> = removed["partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(subscribers.contains(&"caribe-shipping"), "{subscribers:?}");
    // The usage log: only Caribe called it within activeWithinDays.
    assert_eq!(removed["calledBy"], serde_json::json!(["caribe-shipping"]));
    assert!(
        removed["message"]
            .as_str()
            .unwrap()
            .contains("1 called it in the last 30 days: caribe-shipping")
    );
    let required = effects
        .iter()
        .find(|e| {
            e["message"]
                .as_str()
                .unwrap()
                .contains("query parameter `status` made required")
        })
        .unwrap_or_else(|| panic!("{effects:#?}"));
    assert_eq!(required["type"], "api-breaking");
    assert_eq!(required["endpoint"], "GET /v1/shipments");
    assert_eq!(required["partners"], removed["partners"]);
    // The gateways stop routing the removed operation.
    let kong = v["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "dist/gateway/kong-production.yaml")
        .unwrap();
    assert!(kong["diff"].as_str().unwrap().contains("labels"), "{}", kong["diff"]);
    // The text plan says it in words.
    let (_, text, _) = run(dir.path(), &["plan", "--state-file", state.to_str().unwrap()]);
    assert!(
        text.contains("endpoint(s) removed: POST /v1/shipments/{id}/labels (breaking)"),
        "{text}"
    );
    assert!(
        text.contains("GET /v1/shipments: query parameter `status` made required"),
        "{text}"
    );
}

#[test]
fn import_openapi_writes_a_product_that_validates_and_asks_for_what_it_cannot_know() {
    let external = external();
    let petstore = external.join("swagger-petstore-3.0.openapi.yaml");
    let dir = copy_example();
    let d = dir.path();
    // The upstreams are the provider's to say: without them nothing is written.
    let (code, _, err) = run(
        d,
        &["import", "openapi", petstore.to_str().unwrap(), "--product", "petstore"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--upstream sandbox="), "{err}");
    assert!(!d.join("products/petstore.yaml").exists() && !d.join("apis/petstore.yaml").exists());
    for bad in [
        &["--plan", "basic:fast"][..],
        &["--upstream", "staging=https://x.example"][..],
        &["--upstream", "sandbox=javascript:alert(1)"][..],
    ] {
        let mut args = vec![
            "import",
            "openapi",
            petstore.to_str().unwrap(),
            "--product",
            "petstore",
            "--upstream",
            "sandbox=https://pets.internal",
        ];
        args.extend_from_slice(bad);
        let (code, _, err) = run(d, &args);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(!d.join("products/petstore.yaml").exists());
    }
    let (code, out, err) = run(
        d,
        &[
            "import",
            "openapi",
            petstore.to_str().unwrap(),
            "--product",
            "petstore",
            "--upstream",
            "sandbox=https://sandbox.pets.internal",
            "--plan",
            "basic:5/second",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["operations"], 19);
    let todo = v["todo"].as_array().unwrap();
    assert!(
        todo.iter().any(|t| t.as_str().unwrap().contains("the program's owner")),
        "{todo:?}"
    );
    assert!(todo.iter().any(|t| t.as_str().unwrap().contains("`beta`")), "{todo:?}");
    let (code, out, _) = run(d, &["validate", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    // The description is kept as written.
    assert_eq!(
        std::fs::read(d.join("apis/petstore.yaml")).unwrap(),
        std::fs::read(&petstore).unwrap()
    );
    // The routes are its operations: 19 endpoints in the portal's table.
    let out_dir = d.join("out");
    assert_eq!(run(d, &["render", "--out-dir", out_dir.to_str().unwrap()]).0, 0);
    let page = std::fs::read_to_string(out_dir.join("dist/docs/products/petstore.html")).unwrap();
    assert_eq!(page.matches("<tr><td><code class=\"method").count(), 19);

    // An existing product gets `openapi` set and keeps the rest; a description that names
    // other files is bundled into one.
    let src = tempfile::tempdir().unwrap();
    for f in ["shipments.yaml", "common.yaml"] {
        std::fs::copy(common::example_dir().join("apis").join(f), src.path().join(f)).unwrap();
    }
    // Under paths of its own: the shipments product already serves `/v1/shipments`
    // (`endpoint-conflict`).
    let described = std::fs::read_to_string(src.path().join("shipments.yaml")).unwrap();
    std::fs::write(
        src.path().join("shipments.yaml"),
        described.replace("/v1/shipments", "/v1/rated-shipments"),
    )
    .unwrap();
    let product = std::fs::read_to_string(d.join("products/rates.yaml")).unwrap();
    let (code, out, err) = run(
        d,
        &[
            "import",
            "openapi",
            src.path().join("shipments.yaml").to_str().unwrap(),
            "--product",
            "rates",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("bundled into apis/rates.yaml"), "{out}");
    let updated = std::fs::read_to_string(d.join("products/rates.yaml")).unwrap();
    assert!(updated.contains("  openapi: \"apis/rates.yaml\""), "{updated}");
    assert_eq!(
        updated.replace(
            "  openapi: \"apis/rates.yaml\"",
            "  openapi: apis/rates.json   # its operations are the endpoints (SPEC §13)"
        ),
        product
    );
    let bundled = std::fs::read_to_string(d.join("apis/rates.yaml")).unwrap();
    assert!(!bundled.contains("common.yaml"), "file references are inlined");
    let (code, out, _) = run(d, &["validate", "--format", "json"]);
    assert_eq!(code, 0, "{out}");

    // A broken description writes nothing.
    std::fs::write(src.path().join("broken.yaml"), "openapi: 3.0.3\ninfo: {title: x\n").unwrap();
    let (code, _, err) = run(
        d,
        &[
            "import",
            "openapi",
            src.path().join("broken.yaml").to_str().unwrap(),
            "--product",
            "broken",
            "--upstream",
            "sandbox=https://b.internal",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("broken.yaml:"), "{err}");
    assert!(!d.join("products/broken.yaml").exists());
}

#[test]
fn a_description_whose_references_fan_out_is_written_and_compared_within_a_budget() {
    // Twelve levels of thirty fields, each naming the next level: 30^12 paths if followed.
    let mut schemas = serde_json::Map::new();
    for i in 0..12 {
        let props: serde_json::Map<String, serde_json::Value> = (0..30)
            .map(|j| {
                (
                    format!("p{j}"),
                    serde_json::json!({"$ref": format!("#/components/schemas/L{}", i + 1)}),
                )
            })
            .collect();
        schemas.insert(
            format!("L{i}"),
            serde_json::json!({"type": "object", "properties": props}),
        );
    }
    schemas.insert("L12".into(), serde_json::json!({"type": "string"}));
    let doc = |status: &str| {
        serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "fan", "version": "1"},
            "components": {"schemas": schemas},
            "paths": {"/v1/rates/services": {"get": {"responses": {status: {"description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/L0"}}}}}}}}
        })
        .to_string()
    };
    let dir = copy_example();
    let d = dir.path();
    std::fs::write(d.join("apis/rates.json"), doc("200")).unwrap();
    let out_dir = d.join("out");
    let (code, _, err) = run(d, &["render", "--out-dir", out_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(out_dir.join("dist/docs/products/rates/api.html")).unwrap();
    assert!(page.len() < 2 * 1024 * 1024, "{} bytes", page.len());
    assert!(page.contains("the rest of this schema is too large to show"));
    // The plan compares the two versions within its budget too.
    let base_dir = copy_example();
    let base = base_dir.path().to_path_buf();
    std::fs::write(base.join("apis/rates.json"), doc("200")).unwrap();
    std::fs::write(d.join("apis/rates.json"), doc("201")).unwrap();
    let state = d.join("state.json");
    assert_eq!(run(&base, &["apply", "--state-file", state.to_str().unwrap()]).0, 0);
    let (code, out, err) = run(d, &["plan", "--state-file", state.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("response 200 removed"), "{out}");
}
