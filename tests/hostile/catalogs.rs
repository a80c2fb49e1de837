//! Hostile input: the Backstage catalog and the Azure API Management template (see
//! main.rs). Newlines, `<`, `"`, `]]>`, YAML and XML syntax and ARM expressions (`[…]`) in
//! a display name, a description and a terms text stay the values they are: the catalog's
//! YAML and the template's JSON read back to them, no value becomes an ARM expression that
//! Resource Manager would run at deployment, no description becomes HTML that API
//! Management's developer portal would run, and the policies stay well-formed XML that
//! holds none of them.

#[allow(unused_imports)]
use super::*;
use common::{copy_example, edit};
use serde_json::Value;
use std::fs;

const DISPLAY: &str = "[parameters('unusedKeySeed')]";
const PARTNER: &str = "ACME\" /><x a='1'>]]> <!-- [concat('a')] #: --- &amp;";
const DESCRIPTION: &str = "Ship things.\n---\nkind: Group\nmetadata: {name: evil}\n<script>alert(1)</script> ]]> <!-- \"q\" & 'a'\n<policies><inbound><base /></inbound></policies>";
const TITLE: &str = "[reference('northwind-keys').secretValue";

fn hostile() -> tempfile::TempDir {
    let dir = copy_example();
    edit(
        dir.path(),
        "products/shipments.yaml",
        "  displayName: Shipments API\n",
        "  displayName: '[parameters(''unusedKeySeed'')]'\n",
    );
    let text = fs::read_to_string(dir.path().join("products/shipments.yaml")).unwrap();
    let start = text.find("  description: >-\n").unwrap();
    let end = start + text[start..].find("  lifecycle:").unwrap();
    let block: String = DESCRIPTION.lines().map(|l| format!("    {l}\n")).collect();
    let text = format!("{}  description: |-\n{block}{}", &text[..start], &text[end..]);
    fs::write(dir.path().join("products/shipments.yaml"), text).unwrap();
    edit(
        dir.path(),
        "partners/emea/acme-logistics.yaml",
        "  displayName: ACME Logistics\n",
        &format!("  displayName: '{}'\n", PARTNER.replace('\'', "''")),
    );
    edit(
        dir.path(),
        "terms/partner-tos.yaml",
        "  title: Northwind Partner API Terms of Service\n",
        &format!("  title: \"{TITLE}\"\n"),
    );
    // The terms text ends with the last terms a subscriber needs (data-sharing, for shipments).
    let tos = dir.path().join("terms/data-sharing/1.0.md");
    let mut text = fs::read_to_string(&tos).unwrap();
    text.push_str("\n]]> </policies> [x]");
    fs::write(tos, text).unwrap();
    dir
}

/// Every string of a JSON document, with where it is.
fn strings<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::String(s) => out.push((at, s)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| strings(x, format!("{at}/{i}"), out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| strings(x, format!("{at}/{k}"), out)),
        _ => {}
    }
}

/// The expressions partnerctl writes itself: resource ids, key parameters and the key
/// slots' GUIDs, whose only data are program names.
fn ours(s: &str) -> bool {
    [
        "[resourceId('Microsoft.ApiManagement/",
        "[parameters('key_",
        "[guid(parameters('unusedKeySeed'), '",
        "[newGuid()]",
    ]
    .iter()
    .any(|p| s.starts_with(p))
}

#[test]
fn apim_template_keeps_hostile_texts_literal() {
    let dir = hostile();
    let v = run(dir.path(), &["validate"]);
    assert_eq!(v.code, Some(0), "{}", v.all());
    let r = run(dir.path(), &["render"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let text = fs::read_to_string(dir.path().join("dist/azure/apim-production.json")).unwrap();
    let t: Value = serde_json::from_str(&text).unwrap();
    let mut all = Vec::new();
    strings(&t, String::new(), &mut all);
    for (at, s) in &all {
        if s.starts_with('[') && s.ends_with(']') && !s.starts_with("[[") {
            assert!(ours(s), "{at}: ARM would evaluate {s:?}");
        }
    }
    let api = t["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "Microsoft.ApiManagement/service/apis" && r["name"] == "northwind-apim-prod/shipments")
        .unwrap();
    // Doubled, Resource Manager hands the API Management the display name itself.
    assert_eq!(api["properties"]["displayName"], format!("[{DISPLAY}"));
    let products: Vec<&Value> = t["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["type"] == "Microsoft.ApiManagement/service/products"
                && r["name"]
                    .as_str()
                    .unwrap()
                    .starts_with("northwind-apim-prod/shipments.")
        })
        .collect();
    assert!(!products.is_empty());
    for p in &products {
        let d = p["properties"]["description"].as_str().unwrap();
        assert!(
            !d.contains("<script") && !d.contains("<policies") && !d.contains("<!--"),
            "{d}"
        );
        assert!(d.contains("&lt;script&gt;"), "{d}");
        let terms = p["properties"]["terms"].as_str().unwrap();
        assert!(
            terms.starts_with(&format!("[{TITLE}")) && terms.ends_with("[x]"),
            "{terms}"
        );
    }
    let subscription = t["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "northwind-apim-prod/acme-logistics.shipments")
        .unwrap();
    assert!(
        subscription["properties"]["displayName"]
            .as_str()
            .unwrap()
            .starts_with("ACME\" /><x a='1'>]]>")
    );
    // The policies hold no text of the program's and stay well-formed.
    for p in t["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "Microsoft.ApiManagement/service/products/policies")
    {
        let xml = p["properties"]["value"].as_str().unwrap();
        assert!(
            !xml.contains("]]>") && !xml.contains("ACME") && !xml.contains("<script"),
            "{xml}"
        );
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut elements = 0;
        loop {
            match reader.read_event().unwrap_or_else(|e| panic!("{e}: {xml}")) {
                quick_xml::events::Event::Eof => break,
                quick_xml::events::Event::Start(_) | quick_xml::events::Event::Empty(_) => elements += 1,
                _ => {}
            }
        }
        assert!(elements >= 9, "{xml}");
    }
}

#[test]
fn backstage_catalog_keeps_hostile_texts_values() {
    let dir = hostile();
    let r = run(dir.path(), &["render"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let folder = dir.path().join("dist/backstage");
    let read = |p: &str| -> Vec<Value> {
        let text = fs::read_to_string(folder.join(p)).unwrap();
        text.split("\n---\n")
            .map(|d| yaml_serde::from_str(d).unwrap_or_else(|e| panic!("{p}: {e}: {text}")))
            .collect()
    };
    let api = read("apis/shipments.yaml");
    assert_eq!(api.len(), 1, "{api:#?}");
    assert_eq!(api[0]["kind"], "API");
    assert_eq!(api[0]["metadata"]["title"], DISPLAY);
    assert_eq!(api[0]["metadata"]["description"], DESCRIPTION);
    let acme = read("partners/acme-logistics.yaml");
    assert_eq!(acme.len(), 3, "a Group and two Components, nothing more: {acme:#?}");
    assert_eq!(acme[0]["metadata"]["title"], PARTNER);
    assert_eq!(acme[0]["spec"]["profile"]["displayName"], PARTNER);
    assert!(acme.iter().all(|e| e["metadata"]["name"] != "evil"));
    // No file beside those the target writes, and no entity named by a value.
    let mut names = Vec::new();
    for sub in ["", "apis", "teams", "partners"] {
        for e in fs::read_dir(folder.join(sub)).unwrap().flatten() {
            if e.file_type().unwrap().is_file() {
                names.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    assert!(
        names.iter().all(|n| n.ends_with(".yaml") && !n.contains("evil")),
        "{names:?}"
    );
}
