//! The editor's cases: every kind of edit in flow and block style, comments and key order
//! kept, and what it refuses rather than rewrites.

use super::*;
use serde_json::json;

const PARTNER: &str = "# a partner\nspec:\n  stage: live   # why\n  subscriptions:\n    - {product: a, plan: p, environment: sandbox}\n    # the next one is new\n  credentials:\n    - {id: x-1, environment: sandbox,\n       secretRef: \"vault://x/1\"}\n\n  # trailing comment\nother: [a, b]\nempty: []\nmap: {k: v}\n";

fn edited(text: &str, f: impl FnOnce(&mut Editor) -> Result<(), EditError>) -> String {
    let mut e = Editor::new("p.yaml", text).unwrap();
    f(&mut e).unwrap();
    let expected = e.expected().clone();
    let out = e.finish().unwrap();
    assert_eq!(yaml::parse("p.yaml", out.as_bytes()).unwrap().value, expected);
    out
}

#[test]
fn inserts_keep_everything_else() {
    let out = edited(PARTNER, |e| {
        e.push("/spec/credentials", &json!({"id": "x-2", "created": "2026-01-02"}))?;
        e.push("/spec/subscriptions", &json!({"product": "b"}))?;
        e.push("/other", &json!("c"))?;
        e.push("/empty", &json!("1.0"))?;
        e.insert("/map", "n", &json!(1))?;
        e.push("/spec/agreements", &json!({"terms": "t"}))
    });
    assert_eq!(
        out,
        "# a partner\nspec:\n  stage: live   # why\n  subscriptions:\n    - {product: a, plan: p, environment: sandbox}\n    - {product: b}\n    # the next one is new\n  credentials:\n    - {id: x-1, environment: sandbox,\n       secretRef: \"vault://x/1\"}\n    - {id: x-2, created: 2026-01-02}\n  agreements:\n    - {terms: t}\n\n  # trailing comment\nother: [a, b, c]\nempty: [\"1.0\"]\nmap: {k: v, \"n\": 1}\n"
    );
}

#[test]
fn block_lists_of_mappings_new_keys_and_what_is_refused() {
    let text =
        "metadata:\n  name: a\nspec:\n  plans:\n  - name: p\n    environments: [sandbox]\n  # end of plans\n  empty:\n";
    let mut e = Editor::new("p.yaml", text).unwrap();
    e.insert("/metadata", "labels", &json!({"kong-consumer": "A_b"}))
        .unwrap();
    e.push("/spec/plans", &json!({"name": "q"})).unwrap();
    e.push("/spec/plans/0/environments", &json!("production")).unwrap();
    assert!(e.push("/spec/empty", &json!(1)).is_err(), "a null is not a list");
    assert!(
        e.insert("/metadata", "name", &json!("b")).is_err(),
        "an existing key is not replaced"
    );
    assert_eq!(
        e.finish().unwrap(),
        "metadata:\n  name: a\n  labels: {kong-consumer: A_b}\nspec:\n  plans:\n  - name: p\n    environments: [sandbox, production]\n  - name: q\n  # end of plans\n  empty:\n"
    );
}

#[test]
fn a_new_item_takes_the_style_of_the_items_before_it() {
    let text = "spec:\n  # who\n  history:\n    - stage: registered   # first\n      date: 2026-01-04\n  credentials:\n    - {id: a-1}\n";
    let out = edited(text, |e| {
        e.push(
            "/spec/history",
            &json!({"stage": "terms_accepted", "date": "2026-01-06"}),
        )?;
        e.push("/spec/credentials", &json!({"id": "a-2", "secretRef": "vault://a/2"}))
    });
    assert_eq!(
        out,
        "spec:\n  # who\n  history:\n    - stage: registered   # first\n      date: 2026-01-04\n    - stage: terms_accepted\n      date: 2026-01-06\n  credentials:\n    - {id: a-1}\n    - {id: a-2, secretRef: \"vault://a/2\"}\n"
    );
}

#[test]
fn set_replaces_only_the_value() {
    let text = "spec:\n  stage: live   # why\n  name: 'it''s'\n  q: \"a\\\"b\"   # quoted\n  flow: {stage: sandbox, date: 2026-01-01}\n  list: [a, b]\n";
    let out = edited(text, |e| {
        e.set("/spec/stage", &json!("suspended"))?;
        e.set("/spec/name", &json!("plain"))?;
        e.set("/spec/q", &json!("x: y"))?;
        e.set("/spec/flow/stage", &json!("live"))?;
        e.set("/spec/list/1", &json!("1.0"))
    });
    assert_eq!(
        out,
        "spec:\n  stage: suspended   # why\n  name: plain\n  q: \"x: y\"   # quoted\n  flow: {stage: live, date: 2026-01-01}\n  list: [a, \"1.0\"]\n"
    );
}

#[test]
fn remove_takes_items_out_of_flow_and_block_sequences() {
    let text = "spec:\n  subscriptions:\n    - {product: a}   # a\n    # about b\n    - {product: b,\n       plan: p}\n    - product: c\n      plan: q\n  # after\n  flow: [a, b, c, d]\n  multi: [\n    {x: 1},\n    {x: 2}\n  ]\n";
    let out = edited(text, |e| {
        e.remove("/spec/subscriptions/1")?;
        e.remove("/spec/flow/0")?;
        e.remove("/spec/flow/2")?;
        e.remove("/spec/flow/3")?;
        e.remove("/spec/multi/1")?;
        // Removals shift what comes after, in the document the editor expects.
        e.set("/spec/subscriptions/2/plan", &json!("r"))
    });
    assert_eq!(
        out,
        "spec:\n  subscriptions:\n    - {product: a}   # a\n    # about b\n    - product: c\n      plan: r\n  # after\n  flow: [b]\n  multi: [\n    {x: 1}\n  ]\n"
    );
}

#[test]
fn a_block_sequence_left_empty_says_so() {
    let text = "spec:\n  subscriptions:   # none left\n    - {product: a}\n    - {product: b}\n  credentials: []\nkind: Partner\n";
    let out = edited(text, |e| {
        e.remove("/spec/subscriptions/0")?;
        e.remove("/spec/subscriptions/1")
    });
    assert_eq!(
        out,
        "spec:\n  subscriptions: []   # none left\n  credentials: []\nkind: Partner\n"
    );
    let mut e = Editor::new("p.yaml", text).unwrap();
    e.remove("/spec/subscriptions/0").unwrap();
    e.remove("/spec/subscriptions/1").unwrap();
    assert!(e.push("/spec/subscriptions", &json!({})).is_err());
    assert!(e.remove("/spec/subscriptions/1").is_err(), "removed once");
}

#[test]
fn what_cannot_be_edited_in_place_is_refused() {
    let refused = |text: &str, f: &dyn Fn(&mut Editor) -> Result<(), EditError>| {
        let mut e = Editor::new("p.yaml", text).unwrap();
        let r = f(&mut e).and_then(|_| e.finish().map(|_| ()));
        assert!(r.is_err(), "{text}");
    };
    refused("a: |\n  text\n", &|e| e.set("/a", &json!("x")));
    refused("a: &x 1\nb: *x\n", &|e| e.set("/a", &json!(2)));
    refused("a: !!str 1\n", &|e| e.set("/a", &json!("2")));
    // A plain scalar that continues on the next line.
    refused("a: one\n  two\nb: c\n", &|e| e.set("/a", &json!("x")));
    refused("a:\n- - x\n  - y\n", &|e| e.remove("/a/0/0"));
    refused("a: [x]\n", &|e| e.set("/a", &json!("x")));
    refused("a: x\n", &|e| e.set("/a", &json!(["x"])));
}

#[test]
fn values_cannot_escape_their_scalar() {
    let out = edited("a: [x]\nb: {k: v}\nc: d\n", |e| {
        e.push("/a", &json!("y\n- z: 1"))?;
        e.insert("/b", "k\n2", &json!("]}\n---\n"))?;
        e.set("/c", &json!("e # f\ng: h"))
    });
    assert_eq!(out.lines().count(), 3, "{out}");
}

#[test]
fn an_entry_after_an_indentless_sequence_goes_after_its_items() {
    // As the YAML serializer writes a new partner file: sequences in their key's column.
    let text = "spec:\n  history:\n  - stage: registered\n    date: 2026-11-01\n  agreements:\n  - terms: t\n    version: '1'\n";
    let mut e = Editor::new("p.yaml", text).unwrap();
    e.push("/spec/agreements", &json!({"terms": "u"})).unwrap();
    e.insert("/spec", "subscriptions", &json!([{"product": "a"}])).unwrap();
    let out = e.finish().unwrap();
    assert_eq!(
        out,
        "spec:\n  history:\n  - stage: registered\n    date: 2026-11-01\n  agreements:\n  - terms: t\n    version: '1'\n  - terms: u\n  subscriptions:\n    - {product: a}\n"
    );
}

#[test]
fn two_items_pushed_onto_an_empty_flow_sequence() {
    let mut e = Editor::new("p.yaml", "spec:\n  agreements: []\n").unwrap();
    e.push("/spec/agreements", &json!({"terms": "a"})).unwrap();
    e.push("/spec/agreements", &json!({"terms": "b"})).unwrap();
    assert_eq!(e.finish().unwrap(), "spec:\n  agreements: [{terms: a}, {terms: b}]\n");
}
