//! Hostile input: routes (see main.rs). A product that declares another product's method and
//! path in the same environment would take its calls over (in the NGINX include the first
//! location wins): `validate` refuses it, whether the endpoints are listed or come from an
//! OpenAPI description.

use super::*;
use common::{copy_example, edit, write};
use std::fs;

#[test]
fn a_product_cannot_take_over_another_products_route() {
    let dir = copy_example();
    let root = dir.path();
    // A new product, listing GET /v1/shipments/{shipment}: the shipments description's
    // `GET /v1/shipments/{id}` under another parameter name.
    let text = fs::read_to_string(root.join("products/rates.yaml")).unwrap();
    let harbour = text.replace("name: rates", "name: harbour").replace(
        "openapi: apis/rates.json",
        "endpoints: [{method: GET, path: \"/v1/shipments/{shipment}\"}, {method: GET, path: /v1/harbour}]",
    );
    write(root, "products/harbour.yaml", harbour);
    let r = run(root, &["validate", "--format", "json"]);
    assert_eq!(r.code, Some(1), "validate accepts a route takeover:\n{}", r.all());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let hits: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "endpoint-conflict")
        .collect();
    assert!(
        hits.iter()
            .any(|d| d["file"] == "products/harbour.yaml" && d["message"].as_str().unwrap().contains("`shipments`")),
        "{hits:?}"
    );
    assert!(
        hits.iter()
            .any(|d| d["file"] == "products/shipments.yaml" && d["message"].as_str().unwrap().contains("`harbour`")),
        "{hits:?}"
    );
    assert!(!r.stdout.contains("/v1/harbour\""), "a route of its own is no conflict");

    // Listed on both sides, in one environment only: still one route.
    let dir = copy_example();
    let root = dir.path();
    edit(
        root,
        "products/tracking.yaml",
        "  openapi: apis/tracking.yaml   # its operations are the endpoints (SPEC §13)\n",
        "  endpoints: [{method: POST, path: /v1/rates/quotes}]\n",
    );
    let r = run(root, &["validate", "--format", "json"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(r.stdout.contains("endpoint-conflict"), "{}", r.all());
}
