//! The rendered NGINX include, run by a real NGINX on loopback: 401 without a known key,
//! 403 without access, 429 over the plan's limit, a proxied call, and the usage log line.
//!
//! Needs `nginx` (Debian's package; `.ci/run` installs it). Without it the test is skipped
//! with a message, except under CI (env `CI` set), where a missing NGINX fails it.

mod common;

use common::nginx::free_port;
use common::{AS_OF, copy_example, edit};
use partnerctl::render::render_all;
use partnerctl::spec::Date;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A stub upstream: answers every request `200 upstream ok` and keeps the request heads.
fn stub_upstream() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            log.lock().unwrap().push(String::from_utf8_lossy(&head).into_owned());
            let body = "upstream ok";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, seen)
}

/// One HTTP/1.1 request; returns the status and the body.
fn call(port: u16, method: &str, path: &str, key: Option<&str>) -> (u16, String) {
    let (status, _, body) = call_with_head(port, method, path, key);
    (status, body)
}

/// One HTTP/1.1 request; returns the status, the response head and the body.
fn call_with_head(port: u16, method: &str, path: &str, key: Option<&str>) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let key_header = key.map(|k| format!("X-Api-Key: {k}\r\n")).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{key_header}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad response: {response}"));
    let (head, body) = response
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_string(), b.to_string()))
        .unwrap_or_default();
    (status, head, body)
}

/// A JSON refusal: the status, `Content-Type: application/json`, and a body with `error`.
fn assert_json_refusal(port: u16, path: &str, key: Option<&str>, status: u16) -> (String, serde_json::Value) {
    let (got, head, body) = call_with_head(port, "GET", path, key);
    assert_eq!(got, status, "{head}\n{body}");
    assert!(
        head.to_ascii_lowercase().contains("content-type: application/json"),
        "{head}"
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert!(v["error"].is_string(), "{body}");
    (head, v)
}

#[test]
#[allow(clippy::print_stderr)] // the skip message is for the person running the tests
fn nginx_enforces_keys_access_and_limits() {
    let (nginx, perl) = match common::nginx::available() {
        Ok(found) => found,
        Err(why) => {
            eprintln!("SKIPPED nginx_enforces_keys_access_and_limits: {why}");
            return;
        }
    };
    let (upstream_port, upstream_seen) = stub_upstream();
    let listen = free_port();
    let program = copy_example();
    let run = tempfile::tempdir().unwrap();
    let run_dir = run.path();
    let upstream = format!("http://127.0.0.1:{upstream_port}");
    for product in ["shipments", "tracking", "rates"] {
        edit(
            program.path(),
            &format!("products/{product}.yaml"),
            &format!("upstream: \"https://sandbox.{product}.internal\""),
            &format!("upstream: \"{upstream}\""),
        );
    }
    // Tracking's starter plan (baltic-freight's) drops to 2 a minute, so the third call is over.
    edit(
        program.path(),
        "products/tracking.yaml",
        "rateLimit: {requests: 5, per: second}",
        "rateLimit: {requests: 2, per: minute}",
    );
    let keys = run_dir.join("keys.map");
    let usage = run_dir.join("usage.jsonl");
    edit(
        program.path(),
        "program.yaml",
        "{target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf}",
        &format!(
            "{{target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf, keysFile: \"{}\", listen: \"127.0.0.1:{listen}\", accessLog: \"{}\"}}",
            keys.display(),
            usage.display()
        ),
    );

    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(program.path(), today).unwrap();
    assert!(!v.has_errors(), "{:#?}", v.diagnostics);
    let files = render_all(&v.program, today).unwrap();
    let conf = files
        .iter()
        .find(|f| f.path == "dist/gateway/nginx-sandbox.conf")
        .unwrap();
    std::fs::write(
        &keys,
        concat!(
            "\"key-acme-current\" acme-sbx-2;\n",
            "\"key-acme-revoked\" acme-sbx-1;\n",
            "\"key-baltic\" baltic-sbx-1;\n",
            "\"key-rhine-suspended\" rhine-sbx-2;\n",
        ),
    )
    .unwrap();
    let _nginx_proc = common::nginx::start(&nginx, &perl, run_dir, &conf.bytes, listen);

    // 401: no key, an unknown key.
    assert_eq!(call(listen, "GET", "/v1/shipments/42", None).0, 401);
    assert_eq!(call(listen, "GET", "/v1/shipments/42", Some("not-a-key")).0, 401);
    // Keys are compared exactly: the same key in another letter case is unknown.
    assert_eq!(call(listen, "GET", "/v1/shipments/42", Some("KEY-ACME-CURRENT")).0, 401);
    assert_eq!(call(listen, "GET", "/v1/shipments/42", Some("Key-acme-current")).0, 401);
    // 403: not subscribed (acme has no sandbox tracking), revoked, suspended partner.
    assert_eq!(call(listen, "GET", "/v1/tracking/42", Some("key-acme-current")).0, 403);
    assert_eq!(call(listen, "GET", "/v1/shipments/42", Some("key-acme-revoked")).0, 403);
    assert_eq!(
        call(listen, "GET", "/v1/tracking/42", Some("key-rhine-suspended")).0,
        403
    );
    // Proxied to the product's upstream, without the key, naming the partner.
    let (status, body) = call(listen, "GET", "/v1/shipments/42", Some("key-acme-current"));
    assert_eq!((status, body.as_str()), (200, "upstream ok"));
    {
        let seen = upstream_seen.lock().unwrap();
        let head = seen
            .iter()
            .find(|h| h.starts_with("GET /v1/shipments/42 "))
            .expect("the upstream got the call");
        assert!(
            !head.to_ascii_lowercase().contains("key-acme-current"),
            "the key reached the upstream: {head}"
        );
        assert!(head.contains("X-Partner: acme-logistics"), "{head}");
    }
    // A method the endpoint does not have, and a path that is no endpoint.
    assert_eq!(call(listen, "PUT", "/v1/shipments/42", Some("key-acme-current")).0, 405);
    assert_eq!(call(listen, "GET", "/v1/nothing", Some("key-acme-current")).0, 404);
    // Refusals are JSON, as the rest of the API.
    assert_json_refusal(listen, "/v1/shipments/42", None, 401);
    assert_json_refusal(listen, "/v1/tracking/42", Some("key-acme-current"), 403);
    // 429: baltic-freight's plan allows 2 a minute: one more call every 30 seconds, which
    // the JSON answer and `Retry-After` say.
    assert_eq!(call(listen, "GET", "/v1/tracking/7", Some("key-baltic")).0, 200);
    assert_eq!(call(listen, "GET", "/v1/tracking/7/events", Some("key-baltic")).0, 200);
    let (head, body) = assert_json_refusal(listen, "/v1/tracking/7", Some("key-baltic"), 429);
    assert!(head.contains("\r\nRetry-After: 30"), "{head}");
    assert_eq!(body["retryAfterSeconds"], 30, "{body}");
    // Another partner is not limited by baltic's use.
    assert_eq!(call(listen, "GET", "/v1/shipments", Some("key-acme-current")).0, 200);

    // A replaced keys file is read again without a reload; the old key is gone.
    std::fs::write(run_dir.join("keys.new"), "\"Key-Rotated-1\" acme-sbx-2;\n").unwrap();
    std::fs::rename(run_dir.join("keys.new"), &keys).unwrap();
    assert_eq!(call(listen, "GET", "/v1/shipments", Some("Key-Rotated-1")).0, 200);
    assert_eq!(call(listen, "GET", "/v1/shipments", Some("key-rotated-1")).0, 401);
    assert_eq!(call(listen, "GET", "/v1/shipments", Some("key-acme-current")).0, 401);

    // The usage log: one JSON line per request, in the SPEC §8 format.
    let log = std::fs::read_to_string(&usage).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(lines.len(), 19, "{log}");
    let proxied = lines
        .iter()
        .find(|l| l["status"] == 200 && l["path"] == "/v1/shipments/42")
        .expect("the proxied call is logged");
    assert_eq!(proxied["credential"], "acme-sbx-2");
    assert_eq!(proxied["environment"], "sandbox");
    assert_eq!(proxied["method"], "GET");
    let ts = proxied["ts"].as_str().unwrap();
    assert!(
        regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
            .unwrap()
            .is_match(ts),
        "ts {ts}"
    );
    let keys: Vec<&str> = proxied.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["ts", "credential", "environment", "method", "path", "status"]);
    assert!(
        lines
            .iter()
            .any(|l| l["status"] == 429 && l["credential"] == "baltic-sbx-1")
    );
    assert!(lines.iter().any(|l| l["status"] == 401 && l["credential"] == ""));
    assert!(!log.contains("key-"), "a key reached the usage log");
}

/// Points every upstream of the program at `upstream`: NGINX resolves upstream host names
/// when it loads the configuration, and the tests have no DNS for `*.internal`.
fn local_upstreams(root: &std::path::Path, upstream: &str) {
    let re = regex::Regex::new(r#"upstream: "https?://[^"]+""#).unwrap();
    for entry in std::fs::read_dir(root.join("products")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let new = re.replace_all(&text, format!("upstream: \"{upstream}\"").as_str());
        std::fs::write(&path, new.as_bytes()).unwrap();
    }
}

/// Names as long as the schema allows (63 characters: products, plans, partners,
/// credential ids) and 300 subscribers of one product: NGINX refuses a map key or a
/// variable name that does not fit its hash bucket (FACTS §g), so the include sets the map
/// hash sizes its keys need and names its variables so they fit; `nginx -t` accepts both
/// environments' includes without a warning. Products `rates` (plan `pro-annual`) and
/// `rates-pro` (plan `annual`) get zones of their own, and each counts only its plan's
/// partners.
#[test]
#[allow(clippy::print_stderr)] // the skip message is for the person running the tests
fn the_longest_names_and_300_subscribers_pass_nginx_t() {
    let (nginx, perl) = match common::nginx::available() {
        Ok(found) => found,
        Err(why) => {
            eprintln!("SKIPPED the_longest_names_and_300_subscribers_pass_nginx_t: {why}");
            return;
        }
    };
    let (upstream_port, _) = stub_upstream();
    let program = common::big_program(300);
    local_upstreams(program.path(), &format!("http://127.0.0.1:{upstream_port}"));
    let run = tempfile::tempdir().unwrap();
    let keys = run.path().join("keys.map");
    let listen = free_port();
    edit(
        program.path(),
        "program.yaml",
        "{target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf}",
        &format!(
            "{{target: nginx, environment: sandbox, path: dist/gateway/nginx-sandbox.conf, keysFile: \"{}\", listen: \"127.0.0.1:{listen}\", accessLog: \"{}\"}}",
            keys.display(),
            run.path().join("usage.jsonl").display()
        ),
    );
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(program.path(), today).unwrap();
    assert!(!v.has_errors(), "{:#?}", v.diagnostics);
    let files = render_all(&v.program, today).unwrap();
    let include = |p: &str| files.iter().find(|f| f.path == p).unwrap().bytes.clone();
    let production = include("dist/gateway/nginx-production.conf");
    let text = String::from_utf8(production.clone()).unwrap();
    assert!(
        text.contains(&common::long_name("c00001")),
        "the long credential ids are keys"
    );
    let (ok, err) = common::nginx::check(&nginx, &perl, run.path(), &production);
    assert!(ok, "nginx -t refuses the production include:\n{err}");
    assert!(!err.contains("[warn]"), "{err}");

    let sandbox = include("dist/gateway/nginx-sandbox.conf");
    std::fs::write(&keys, "\"key-gulf\" gulf-sbx-2;\n\"key-lumen\" lumen-sbx-2;\n").unwrap();
    let _running = common::nginx::start(&nginx, &perl, run.path(), &sandbox, listen);
    let (_, err) = common::nginx::check(&nginx, &perl, run.path(), &sandbox);
    assert!(!err.contains("[warn]"), "{err}");
    // lumen-parcel holds rates-pro's `annual` (3 a second), gulfstream-carriers rates'
    // `pro-annual` (7 a second): three calls each pass, lumen's fourth is over its plan and
    // gulfstream's is not.
    for _ in 0..3 {
        assert_eq!(call(listen, "GET", "/v1/rates-pro/quotes", Some("key-lumen")).0, 200);
    }
    assert_eq!(call(listen, "GET", "/v1/rates-pro/quotes", Some("key-lumen")).0, 429);
    for _ in 0..4 {
        assert_eq!(call(listen, "GET", "/v1/rates/services", Some("key-gulf")).0, 200);
    }
}
