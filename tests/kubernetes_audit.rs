//! `audit --gateway FILE` with what `kubectl get … -A -o yaml` prints for the Kubernetes
//! targets: the example's rendered manifests, turned into a `kind: List` with the fields an
//! API server adds (uid, resourceVersion, managedFields, status, the last-applied
//! annotation), audit clean; each tampering a cluster can suffer shows up as its finding, in
//! every format; bad and hostile files are refused with their file and line, never a panic;
//! a Secret's data never reaches the output.

mod common;

use assert_cmd::Command;
use common::{AS_OF, example_dir};
use partnerctl::output::RenderedFile;
use partnerctl::render::render_all;
use partnerctl::spec::Date;
use serde_json::{Value, json};
use std::path::Path;

const ENVOY: &str = "dist/k8s/envoy-gateway-production/";
const KIC: &str = "dist/k8s/kong-ingress-production/";

fn rendered(folder: &str) -> Vec<Value> {
    rendered_in(&example_dir(), folder)
}

fn rendered_in(dir: &Path, folder: &str) -> Vec<Value> {
    let today = Date::parse(AS_OF).unwrap();
    let v = partnerctl::validate_dir(dir, today).expect("readable");
    assert!(!v.has_errors(), "{:#?}", v.diagnostics);
    let files: Vec<RenderedFile> = render_all(&v.program, today).expect("renders");
    let docs: Vec<Value> = files
        .iter()
        .filter(|f| f.path.starts_with(folder) && !f.path.ends_with("/kustomization.yaml"))
        .map(|f| yaml_serde::from_str(std::str::from_utf8(&f.bytes).unwrap()).unwrap())
        .collect();
    assert!(docs.len() > 5, "{folder}: {}", docs.len());
    docs
}

/// A resource as the API server returns it: server-side metadata, the last-applied
/// annotation (the manifest as applied, in JSON), and a status.
fn as_served(mut d: Value, i: usize) -> Value {
    let applied = serde_json::to_string(&d).unwrap();
    let api_version = d["apiVersion"].clone();
    let meta = d["metadata"].as_object_mut().unwrap();
    meta.insert("uid".into(), json!(format!("6f1c2d3e-0000-4000-8000-{i:012}")));
    meta.insert("resourceVersion".into(), json!(format!("{}", 81_000 + i)));
    meta.insert("generation".into(), json!(1));
    meta.insert("creationTimestamp".into(), json!("2026-10-30T08:00:00Z"));
    meta.insert(
        "managedFields".into(),
        json!([{"apiVersion": api_version, "fieldsType": "FieldsV1", "manager": "argocd-controller",
                "operation": "Apply", "time": "2026-10-30T08:00:00Z", "fieldsV1": {"f:metadata": {"f:labels": {}}}}]),
    );
    let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
    annotations["kubectl.kubernetes.io/last-applied-configuration"] = json!(applied);
    d["status"] = match d["kind"].as_str().unwrap() {
        "SecurityPolicy" | "BackendTrafficPolicy" => json!({"ancestors": [{
            "ancestorRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "eg", "namespace": "envoy-gateway-system"},
            "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
            "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted", "lastTransitionTime": "2026-10-30T08:00:01Z", "message": "Policy has been accepted."}]}]}),
        "ExternalSecret" => {
            json!({"binding": {"name": d["spec"]["target"]["name"]}, "refreshTime": "2026-10-30T08:00:02Z", "syncedResourceVersion": "1-abc",
            "conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced", "message": "secret synced"}]})
        }
        _ => {
            json!({"conditions": [{"type": "Programmed", "status": "True", "reason": "Programmed", "lastTransitionTime": "2026-10-30T08:00:01Z", "observedGeneration": 1}]})
        }
    };
    d
}

fn list(docs: Vec<Value>) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": docs.into_iter().enumerate().map(|(i, d)| as_served(d, i)).collect::<Vec<_>>(),
        "metadata": {"resourceVersion": ""},
    })
}

/// Runs `audit` on `text` written to a file; (exit code, stdout, stderr).
fn audit(text: &str, format: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cluster.yaml");
    std::fs::write(&file, text).unwrap();
    audit_file(&file, format)
}

fn audit_file(file: &Path, format: &str) -> (i32, String, String) {
    audit_file_in(&example_dir(), file, format)
}

fn audit_file_in(dir: &Path, file: &Path, format: &str) -> (i32, String, String) {
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .arg("-C")
        .arg(dir)
        .args(["--as-of", AS_OF, "--format", format, "audit", "--gateway"])
        .arg(file)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn yaml(v: &Value) -> String {
    yaml_serde::to_string(v).unwrap()
}

fn findings(text: &str) -> (i32, Vec<Value>) {
    findings_in(&example_dir(), text)
}

fn findings_in(dir: &Path, text: &str) -> (i32, Vec<Value>) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("cluster.yaml");
    std::fs::write(&file, text).unwrap();
    let (code, out, err) = audit_file_in(dir, &file, "json");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (code, v["findings"].as_array().unwrap().clone())
}

fn has(findings: &[Value], code: &str, about: (&str, &str), needle: &str) -> bool {
    findings
        .iter()
        .any(|f| f["code"] == code && f[about.0] == about.1 && f["message"].as_str().unwrap().contains(needle))
}

#[test]
fn the_rendered_manifests_as_the_cluster_lists_them_audit_clean() {
    for folder in [KIC, ENVOY] {
        let l = list(rendered(folder));
        let (code, out, err) = audit(&yaml(&l), "json");
        assert_eq!(code, 0, "{folder}: {out}{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["ok"], true);
        assert_eq!(v["findings"], json!([]), "{folder}");
        assert_eq!(v["environment"], "production");
        assert_eq!(v["environmentFrom"], "labels");
        // kubectl -o json prints the same list as JSON.
        let (code, out, _) = audit(&serde_json::to_string_pretty(&l).unwrap(), "text");
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("no findings"), "{out}");
    }
    // Both targets' resources in one list, and a stream of manifests as `kubectl kustomize`
    // prints it, read the same.
    let mut both = rendered(KIC);
    both.extend(rendered(ENVOY));
    let (code, f) = findings(&yaml(&list(both.clone())));
    assert_eq!((code, f), (0, vec![]));
    // `kubectl get kongconsumers -o yaml` against some servers prints a typed list.
    let mut typed = list(rendered(KIC));
    typed["kind"] = json!("KongConsumerList");
    let (code, f) = findings(&yaml(&typed));
    assert_eq!((code, f), (0, vec![]));
    let stream: String = both.iter().map(|d| format!("---\n{}", yaml(d))).collect();
    let (code, f) = findings(&stream);
    assert_eq!((code, f), (0, vec![]));
}

#[test]
fn kong_ingress_tampering_is_found() {
    let mut docs = rendered(KIC);
    let kind = |d: &Value, k: &str, n: &str| d["kind"] == k && d["metadata"]["name"] == n;
    // A consumer removed from the cluster: the partner is missing from it.
    let before = docs.len();
    docs.retain(|d| !kind(d, "KongConsumer", "caribe-shipping"));
    assert_eq!(docs.len(), before - 1);
    // A consumer nobody put in the program, kept by hand.
    docs.push(json!({
        "apiVersion": "configuration.konghq.com/v1", "kind": "KongConsumer",
        "metadata": {"name": "stranger", "namespace": "kong", "annotations": {"kubernetes.io/ingress.class": "kong"}},
        "username": "stranger", "credentials": ["stranger-key", "partnerctl-acl.stranger.shipments"],
    }));
    // A plan's rate limit changed in the cluster.
    let plugin = docs
        .iter_mut()
        .find(|d| kind(d, "KongPlugin", "rate-limiting.shipments.standard"))
        .expect("the plugin");
    let second = plugin["config"]["second"].as_u64().unwrap();
    plugin["config"]["second"] = json!(second * 10);
    // A revoked credential given back to its consumer.
    let acme = docs
        .iter_mut()
        .find(|d| kind(d, "KongConsumer", "acme-logistics"))
        .expect("acme");
    acme["credentials"]
        .as_array_mut()
        .unwrap()
        .push(json!("partnerctl-key-acme-prd-1"));
    let text = yaml(&list(docs));
    let (code, f) = findings(&text);
    assert_eq!(code, 1, "{f:#?}");
    assert!(
        has(
            &f,
            "missing-from-gateway",
            ("partner", "caribe-shipping"),
            "no KongConsumer"
        ),
        "{f:#?}"
    );
    assert!(
        has(&f, "unknown-consumer", ("consumer", "stranger"), "names no partner"),
        "{f:#?}"
    );
    assert!(
        has(
            &f,
            "unmanaged-resource",
            ("resource", "KongConsumer kong/stranger"),
            "not labelled"
        ),
        "{f:#?}"
    );
    let limit = format!("{}/second", second * 10);
    assert!(
        f.iter().any(|x| x["code"] == "limits-differ"
            && x["message"].as_str().unwrap().contains(&limit)
            && x["message"].as_str().unwrap().contains(&format!("{second}/second"))),
        "{f:#?}"
    );
    assert!(
        has(
            &f,
            "revoked-still-present",
            ("credential", "acme-prd-1"),
            "revoked on 2026-03-02"
        ),
        "{f:#?}"
    );
    // Findings about a resource point at its line in the list.
    let line = text.lines().position(|l| l.contains("name: stranger")).unwrap();
    let stranger = f.iter().find(|x| x["code"] == "unknown-consumer").unwrap();
    let at = stranger["line"].as_u64().unwrap() as usize;
    assert!(
        at <= line + 1 && at + 40 > line,
        "line {at} for a consumer named at {}",
        line + 1
    );
    assert!(stranger["file"].as_str().unwrap().ends_with("cluster.yaml"));

    // The same findings in every format, and exit 1.
    for (format, needle) in [
        ("text", "error[limits-differ]"),
        ("markdown", "| `unknown-consumer` |"),
        ("github", "::error file="),
    ] {
        let (code, out, _) = audit(&text, format);
        assert_eq!(code, 1, "{format}");
        assert!(out.contains(needle), "{format}: {out}");
        assert!(out.contains("missing-from-gateway"), "{format}: {out}");
    }
}

#[test]
fn envoy_gateway_tampering_is_found() {
    let mut docs = rendered(ENVOY);
    let policy = docs
        .iter_mut()
        .find(|d| d["kind"] == "SecurityPolicy" && d["metadata"]["name"] == "shipments")
        .expect("the shipments policy");
    // A revoked credential added to the allow-list.
    let values = policy["spec"]["authorization"]["rules"][0]["principal"]["headers"][0]["values"]
        .as_array_mut()
        .unwrap();
    values.push(json!("acme-prd-1"));
    // A principal the program does not know.
    values.push(json!("mystery-prd-9"));
    // A live credential taken off it: the partner loses access the program gives.
    let removed = values[0].as_str().unwrap().to_string();
    values.remove(0);
    // A quota changed.
    let btp = docs
        .iter_mut()
        .find(|d| d["kind"] == "BackendTrafficPolicy" && d["metadata"]["name"] == "tracking")
        .expect("the tracking limits");
    let rule = &mut btp["spec"]["rateLimit"]["global"]["rules"][1];
    let requests = rule["limit"]["requests"].as_u64().unwrap();
    rule["limit"]["requests"] = json!(requests + 1);
    let (code, f) = findings(&yaml(&list(docs)));
    assert_eq!(code, 1, "{f:#?}");
    assert!(
        has(
            &f,
            "revoked-still-present",
            ("credential", "acme-prd-1"),
            "SecurityPolicy northwind/shipments authorization"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &f,
            "unknown-credential",
            ("credential", "mystery-prd-9"),
            "no credential of the program"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &f,
            "missing-from-gateway",
            ("credential", removed.as_str()),
            "does not allow it"
        ),
        "{f:#?}"
    );
    assert!(
        f.iter()
            .any(|x| x["code"] == "limits-differ"
                && x["message"].as_str().unwrap().contains(&format!("{}/", requests + 1))),
        "{f:#?}"
    );
    assert_eq!(
        f.iter().filter(|x| x["code"] == "limits-differ").count(),
        1,
        "only the rule changed differs: {f:#?}"
    );
}

#[test]
fn a_policy_that_lets_every_key_through_gives_access_beyond_the_program() {
    let mut docs = rendered(ENVOY);
    let policy = docs
        .iter_mut()
        .find(|d| d["kind"] == "SecurityPolicy" && d["metadata"]["name"] == "tracking")
        .unwrap();
    policy["spec"]["authorization"]["defaultAction"] = json!("Allow");
    let (code, f) = findings(&yaml(&list(docs)));
    assert_eq!(code, 1);
    assert!(
        f.iter().any(|x| x["code"] == "access-beyond-program"
            && x["message"]
                .as_str()
                .unwrap()
                .contains("lets every authenticated key through")),
        "{f:#?}"
    );
}

#[test]
fn a_secret_in_the_list_is_never_printed() {
    let mut docs = rendered(KIC);
    let secret = "c3VwZXItc2VjcmV0LWtleS12YWx1ZQ==";
    let plain = "super-secret-key-value";
    docs.push(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "handmade-key", "namespace": "kong", "labels": {"konghq.com/credential": "key-auth"},
                     "annotations": {"note": plain}},
        "data": {"key": secret},
        "stringData": {"key": plain},
    }));
    let text = yaml(&list(docs));
    assert!(text.contains(secret) && text.contains(plain));
    for format in ["json", "text", "markdown", "github"] {
        let (code, out, err) = audit(&text, format);
        assert_eq!(code, 0, "an unmanaged Secret is a warning: {out}{err}");
        assert!(
            out.contains("Secret kong/handmade-key") || format == "markdown",
            "{format}: {out}"
        );
        for s in [secret, plain] {
            assert!(
                !out.contains(s) && !err.contains(s),
                "{format} printed a secret: {out}{err}"
            );
        }
    }
}

#[test]
fn bad_and_hostile_files_are_refused_with_their_place() {
    let cases: Vec<(&str, String, &str)> = vec![
        ("not YAML", "apiVersion: v1\nkind: List\nitems: [\n  {a: 1\n".into(), "cluster.yaml:"),
        (
            "an item without kind",
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    metadata: {name: x}\n".into(),
            "cluster.yaml:4:",
        ),
        (
            "a document that is not a resource",
            "apiVersion: v1\nkind: KongConsumer\nmetadata: {name: a}\n---\n- just a list\n".into(),
            "cluster.yaml:5:",
        ),
        (
            "a list of other kinds",
            "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}}\n".into(),
            "no resource the kong-ingress or envoy-gateway targets render",
        ),
        (
            "a resource without a name",
            "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: configuration.konghq.com/v1, kind: KongConsumer, metadata: {}}\n".into(),
            "cluster.yaml:4:",
        ),
        (
            "an alias bomb",
            {
                let mut s = String::from("apiVersion: v1\nkind: List\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
                for i in 1..12 {
                    let p = i - 1;
                    s.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
                }
                s.push_str("items: [*a11]\n");
                s
            },
            "anchors and aliases expand",
        ),
        (
            // Each document alone stays within the alias budget; together they do not: the
            // budget is the file's, not each document's.
            "aliases spread over many documents",
            (0..300)
                .map(|d| {
                    format!(
                        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{d}}}\nx: &x [a, b, c, d, e, f, g, h, i, j]\ny: [*x, *x, *x, *x, *x, *x, *x, *x, *x, *x]\n"
                    )
                })
                .collect::<Vec<_>>()
                .join("---\n"),
            "anchors and aliases expand",
        ),
    ];
    for (what, text, needle) in cases {
        let (code, out, err) = audit(&text, "text");
        assert!(code == 1 || code == 2, "{what}: exit {code}: {out}{err}");
        assert!(err.contains(needle), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
}

#[test]
fn usage_logs_are_audited_against_the_cluster_as_against_a_deck_dump() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cluster.yaml");
    std::fs::write(&file, yaml(&list(rendered(ENVOY)))).unwrap();
    let out = Command::cargo_bin("partnerctl")
        .unwrap()
        .arg("-C")
        .arg(example_dir())
        .args(["--as-of", AS_OF, "--format", "json", "audit", "--gateway"])
        .arg(&file)
        .arg("--usage")
        .arg(example_dir().join("usage/calls.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = v["findings"].as_array().unwrap();
    assert!(
        has(
            f,
            "revoked-still-calling",
            ("credential", "acme-prd-1"),
            "used until 2026-03-10"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            f,
            "unknown-credential-calling",
            ("credential", "legacy-key-7"),
            "not in the program"
        ),
        "{f:#?}"
    );
}

#[test]
fn a_security_policy_on_another_route_leaves_the_product_open() {
    let mut docs = rendered(ENVOY);
    let policy = docs
        .iter_mut()
        .find(|d| d["kind"] == "SecurityPolicy" && d["metadata"]["name"] == "tracking")
        .unwrap();
    policy["spec"]["targetRefs"][0]["name"] = json!("tracking-v2");
    let (code, f) = findings(&yaml(&list(docs)));
    assert_eq!(code, 1);
    assert!(
        has(
            &f,
            "access-beyond-program",
            ("code", "access-beyond-program"),
            "does not target its HTTPRoute northwind/tracking"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &f,
            "access-beyond-program",
            ("code", "access-beyond-program"),
            "no SecurityPolicy guards product tracking"
        ),
        "{f:#?}"
    );
}

#[test]
fn an_acl_plugin_that_allows_another_group_or_only_denies_changes_who_may_call() {
    // Kong OSS: the product's ACL group comes from the consumers' `acl` credentials; an allow
    // list naming another group lets none of them through.
    let mut docs = rendered(KIC);
    let acl = docs
        .iter_mut()
        .find(|d| d["kind"] == "KongPlugin" && d["metadata"]["name"] == "acl.tracking")
        .unwrap();
    acl["config"]["allow"] = json!(["tracking-v2"]);
    let (_, f) = findings(&yaml(&list(docs)));
    assert!(
        has(
            &f,
            "missing-from-gateway",
            ("partner", "acme-logistics"),
            "subscribed to tracking"
        ),
        "{f:#?}"
    );
    // A deny list instead of an allow list lets every other consumer through.
    let mut docs = rendered(KIC);
    let acl = docs
        .iter_mut()
        .find(|d| d["kind"] == "KongPlugin" && d["metadata"]["name"] == "acl.tracking")
        .unwrap();
    acl["config"] = json!({"deny": ["nobody"]});
    let (code, f) = findings(&yaml(&list(docs)));
    assert_eq!(code, 1);
    assert!(
        has(
            &f,
            "access-beyond-program",
            ("partner", "caribe-shipping"),
            "not subscribed to it in production"
        ),
        "{f:#?}"
    );
    // An `acl` credential added by hand gives the group, and so the product.
    let mut docs = rendered(KIC);
    let caribe = docs
        .iter_mut()
        .find(|d| d["kind"] == "KongConsumer" && d["metadata"]["name"] == "caribe-shipping")
        .unwrap();
    caribe["credentials"]
        .as_array_mut()
        .unwrap()
        .push(json!("partnerctl-acl.caribe-shipping.tracking"));
    let (code, f) = findings(&yaml(&list(docs)));
    assert_eq!(code, 1);
    assert!(
        has(
            &f,
            "access-beyond-program",
            ("partner", "caribe-shipping"),
            "not subscribed to it in production"
        ),
        "{f:#?}"
    );
}

#[test]
fn the_enterprise_edition_audits_clean_and_an_acl_that_ignores_groups_lets_nobody_in() {
    let dir = common::copy_example();
    common::edit(
        dir.path(),
        "program.yaml",
        "path: dist/k8s/kong-ingress-production, namespace: kong}",
        "path: dist/k8s/kong-ingress-production, namespace: kong, edition: enterprise}",
    );
    let docs = rendered_in(dir.path(), KIC);
    assert!(docs.iter().any(|d| d["kind"] == "KongConsumerGroup"));
    let (code, f) = findings_in(dir.path(), &yaml(&list(docs.clone())));
    assert_eq!((code, f), (0, vec![]));
    // Without include_consumer_groups the groups let nobody through: every subscriber of
    // the product loses it.
    let mut docs = docs;
    let acl = docs
        .iter_mut()
        .find(|d| d["kind"] == "KongPlugin" && d["metadata"]["name"] == "acl.tracking")
        .unwrap();
    acl["config"]["include_consumer_groups"] = json!(false);
    let (_, f) = findings_in(dir.path(), &yaml(&list(docs)));
    assert!(
        has(
            &f,
            "missing-from-gateway",
            ("partner", "acme-logistics"),
            "subscribed to tracking"
        ),
        "{f:#?}"
    );
}

#[test]
fn values_from_the_cluster_cannot_forge_output_lines() {
    let mut docs = rendered(KIC);
    docs.push(json!({
        "apiVersion": "configuration.konghq.com/v1", "kind": "KongConsumer",
        "metadata": {"name": "evil", "namespace": "kong"},
        "username": "evil\n::error file=x::forged\n## Forged heading", "credentials": [],
    }));
    let text = yaml(&list(docs));
    for format in ["text", "github", "markdown"] {
        let (code, out, _) = audit(&text, format);
        assert_eq!(code, 1, "{format}");
        assert!(out.contains("unknown-consumer"), "{format}: {out}");
        for line in out.lines() {
            assert!(!line.starts_with("::error file=x"), "{format}: {out}");
            assert!(!line.starts_with("## Forged"), "{format}: {out}");
        }
    }
}
