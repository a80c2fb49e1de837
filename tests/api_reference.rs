//! The portal's API reference on real descriptions (tests/external/openapi/: Typesense 3.0,
//! Rebilly 3.0 with 246 operations, the Redocly Museum 3.1 with a webhook) and a small 3.1
//! description with a callback and Redoc-style links, rendered into one program with the
//! example's own products: every page of the portal has one `<h1>` and its own title; in
//! headless Chromium at 1280 and 375 px every page fits the window, passes axe-core and
//! has no link to a fragment its target lacks; the navigation column lists every tag and
//! operation, the search finds operations by path, summary and operationId under the
//! pages' CSP; `allOf` of a `$ref` reads as the referenced type with its limits.

mod common;

use common::{AS_OF, browser, copy_example};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A description with a callback, a webhook, and links Redoc writes in descriptions.
const HOOKS: &str = r##"openapi: 3.1.0
info:
  title: Hooks API
  version: "1.0"
  description: |
    # Introduction

    Subscribe to events; see [Subscriptions](#tag/Subscriptions), [create one](#operation/createSubscription),
    [the path](#tag/Subscriptions/paths/~1hooks~1subscriptions/post), [how to authenticate](#section/Authentication),
    [the introduction](#section/Introduction) and [nothing](#tag/Nowhere).

    ## Limits

    Twenty subscriptions per partner.
tags:
  - name: Subscriptions
    description: "# Subscriptions\n\nEach one names a URL. See [Limits](#section/Limits)."
paths:
  /hooks/subscriptions:
    post:
      tags: [Subscriptions]
      operationId: createSubscription
      summary: Subscribe a URL to events
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [url]
              properties:
                url: {type: string, format: uri, maxLength: 2000}
      responses:
        "201": {description: Subscribed}
      callbacks:
        onEvent:
          "{$request.body#/url}":
            post:
              summary: An event happened
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      properties:
                        event: {type: string, enum: [created, deleted]}
              responses:
                "204": {description: Received}
webhooks:
  subscriptionExpired:
    post:
      operationId: subscriptionExpired
      summary: A subscription expired
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                id: {type: string, maxLength: 36}
      responses:
        "200": {description: Received}
"##;

fn render(dir: &Path) -> PathBuf {
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_partnerctl"))
        .arg("-C")
        .arg(dir)
        .args(["render", "--out-dir", out.to_str().unwrap(), "--as-of", AS_OF])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out.join("dist/docs")
}

/// Adds a product `name` (a copy of `rates`) whose description is `text`.
fn add_product(dir: &Path, name: &str, display: &str, file: &str, text: &[u8]) {
    std::fs::write(dir.join("apis").join(file), text).unwrap();
    let rates = std::fs::read_to_string(dir.join("products/rates.yaml")).unwrap();
    let product = rates
        .replace("name: rates", &format!("name: {name}"))
        .replace("displayName: Rates API", &format!("displayName: {display}"))
        .replace("openapi: apis/rates.json", &format!("openapi: apis/{file}"));
    std::fs::write(dir.join(format!("products/{name}.yaml")), product).unwrap();
}

fn html_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            html_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "html") {
            out.push(p);
        }
    }
    out.sort();
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn every_page_of_the_reference_reads_at_desktop_and_phone_width() {
    let external = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/external/openapi");
    let dir = copy_example();
    for (name, display, file) in [
        ("typesense", "Typesense", "typesense-3.0.openapi.yaml"),
        ("rebilly", "Rebilly", "rebilly-3.0.openapi.json"),
        ("museum", "Museum", "redocly-museum-3.1.openapi.yaml"),
    ] {
        add_product(
            dir.path(),
            name,
            display,
            file,
            &std::fs::read(external.join(file)).unwrap(),
        );
    }
    add_product(dir.path(), "hooks", "Hooks", "hooks.yaml", HOOKS.as_bytes());
    let docs = render(dir.path());
    let mut pages = Vec::new();
    html_files(&docs, &mut pages);

    // One <h1> and a title of its own on every page.
    let mut titles: BTreeMap<String, Vec<&Path>> = BTreeMap::new();
    for p in &pages {
        let html = read(p);
        assert_eq!(html.matches("<h1").count(), 1, "{}", p.display());
        let title = html
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split("</title>").next())
            .unwrap();
        titles.entry(title.to_string()).or_default().push(p);
    }
    let shared: Vec<_> = titles.iter().filter(|(_, ps)| ps.len() > 1).collect();
    assert!(shared.is_empty(), "titles shared by pages: {shared:#?}");

    // Rebilly: an overview and one page per tag; a field declared as an allOf of ResourceId
    // reads as ResourceId's string of at most 50 characters.
    let rebilly = docs.join("products/rebilly");
    assert_eq!(std::fs::read_dir(&rebilly).unwrap().count(), 41);
    let payments = read(&rebilly.join("api-tag-payments.html"));
    assert!(
        payments.contains("<code class=\"field\">id</code> <span class=\"type\">string</span> <span class=\"flag\">read-only</span> <span class=\"constraints\">≤ 50 characters"),
        "the payment's id is not ResourceId's string"
    );
    assert!(payments.contains("<title>Payments · Rebilly REST API reference"));
    // The introduction's link to the Sessions tag reaches its page; its headings sit under
    // the page's own; the tag pages do not repeat it.
    let overview = read(&rebilly.join("api.html"));
    assert!(overview.contains("<a href=\"api-tag-sessions.html#tag-sessions\">Sessions</a>"));
    assert!(overview.contains("<h2 id=\"section-introduction\">Introduction</h2>"));
    assert!(!payments.contains("section-introduction\">"));
    // The one script the pages run is allowed by its hash, no other.
    for html in [&overview, &payments] {
        let csp = html.split("Content-Security-Policy\" content=\"").nth(1).unwrap();
        let csp = csp.split('"').next().unwrap();
        assert!(csp.contains("script-src 'sha256-") && !csp.contains("unsafe"), "{csp}");
        assert!(html.contains("<script type=\"application/json\" id=\"operations-index\">"));
    }
    assert!(read(&docs.join("index.html")).contains("script-src 'none'"));

    // Museum 3.1: its webhook is listed, in the navigation column too.
    let museum = read(&docs.join("products/museum/api.html"));
    assert!(museum.contains("id=\"webhooks\">Webhooks</h2>"), "no webhooks section");
    assert!(museum.contains("<code class=\"path\">publishNewEvent</code>"));
    assert!(museum.contains("href=\"api.html#webhook-publishnewevent\""));

    // Hooks: the callback and the webhook, and every Redoc link sent to its target or
    // written as text.
    let hooks = read(&docs.join("products/hooks/api.html"));
    assert!(hooks.contains("<h4>Callbacks</h4>"), "no callbacks");
    assert!(hooks.contains("onEvent: <code class=\"method method-post\">POST</code> <code class=\"path\">{$request.body#/url}</code> An event happened"));
    assert!(hooks.contains("<code class=\"path\">subscriptionExpired</code>"));
    for link in [
        "<a href=\"api.html#tag-subscriptions\">Subscriptions</a>",
        "<a href=\"api.html#op-createsubscription\">create one</a>",
        "<a href=\"api.html#op-createsubscription\">the path</a>",
        "<a href=\"api.html#auth\">how to authenticate</a>",
        "<a href=\"api.html#section-introduction\">the introduction</a>",
        "<a href=\"api.html#section-limits\">Limits</a>",
    ] {
        assert!(hooks.contains(link), "{link} not on the page");
    }
    assert!(hooks.contains(" and nothing."), "a link to no target is text");
    assert!(
        hooks.contains("<h3 id=\"tag-subscriptions-subscriptions\">Subscriptions</h3>"),
        "the tag's own heading under the tag's"
    );

    // The catalog's summaries hold no heading.
    let index = read(&docs.join("index.html"));
    let summaries = index.split("<section class=\"summary\">").skip(1);
    for s in summaries {
        let s = s.split("</section>").next().unwrap();
        assert!(!s.contains("<h1") && !s.contains("<h2"), "{s}");
    }

    if !browser::available() {
        return;
    }
    let typesense = docs.join("products/typesense/api.html");
    let searches = [
        (typesense.clone(), "/collections/{collectionName}/documents/export"),
        (typesense.clone(), "Retrieve a single collection"),
        (typesense.clone(), "multiSearch"),
        (rebilly.join("api-tag-payments.html"), "/payments/{id}"),
    ];
    let (seen, found) = browser::portal(&pages, &searches);
    let mut problems = Vec::new();
    for p in &seen {
        let at = format!("{} @{}px", p.file.split("/docs/").nth(1).unwrap_or(&p.file), p.width);
        if p.scroll_width > p.inner_width {
            problems.push(format!(
                "{at}: {} px wide in a window of {}",
                p.scroll_width, p.inner_width
            ));
        }
        if p.h1 != 1 {
            problems.push(format!("{at}: {} <h1>", p.h1));
        }
        for v in &p.violations {
            problems.push(format!("{at}: {} ({}, {:?}): {:?}", v.id, v.help, v.impact, v.nodes));
        }
        for l in &p.dead_links {
            problems.push(format!("{at}: dead link {l}"));
        }
        for e in &p.errors {
            problems.push(format!("{at}: console error: {e}"));
        }
        if p.file.contains("/api") && !p.search_shown {
            problems.push(format!("{at}: the search did not start (CSP?)"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    // The navigation column of every reference page lists every tag and every operation.
    for (product, tags, operations) in [
        ("typesense", 14, 79),
        ("rebilly", 40, 246),
        ("museum", 4, 9),
        ("hooks", 2, 2),
    ] {
        for p in seen
            .iter()
            .filter(|p| p.file.contains(&format!("/products/{product}/")))
        {
            assert_eq!(p.nav_tags.len(), tags, "{}: {:?}", p.file, p.nav_tags);
            assert_eq!(p.nav.len(), operations + 1, "{}", p.file); // and the overview
        }
    }
    // The Payments tag page, 100,608 px tall when every schema was unfolded.
    let tall = seen
        .iter()
        .find(|p| p.file.ends_with("api-tag-payments.html") && p.width == 1280)
        .unwrap();
    assert!(tall.scroll_height < 12_000, "{} px", tall.scroll_height);

    let hits = |query: &str| -> &Vec<String> { &found.iter().find(|s| s.search == query).unwrap().results };
    assert_eq!(
        hits("/collections/{collectionName}/documents/export"),
        &["api-tag-documents.html#op-exportdocuments"]
    );
    assert!(hits("Retrieve a single collection").contains(&"api-tag-collections.html#op-getcollection".to_string()));
    assert_eq!(hits("multiSearch"), &["api-tag-documents.html#op-multisearch"]);
    assert!(hits("/payments/{id}").contains(&"api-tag-payments.html#op-get-payments-id".to_string()));
    assert!(found.iter().all(|s| s.status.contains("operation")), "{found:?}");
    drop(dir);
}

#[test]
fn import_openapi_gives_the_catalog_a_summary_without_the_description_headings() {
    let rebilly = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/external/openapi/rebilly-3.0.openapi.json");
    let dir = copy_example();
    let o = Command::new(env!("CARGO_BIN_EXE_partnerctl"))
        .arg("-C")
        .arg(dir.path())
        .args(["import", "openapi", rebilly.to_str().unwrap(), "--product", "billing"])
        .args([
            "--upstream",
            "sandbox=https://billing.internal",
            "--owner",
            "rates-team",
        ])
        .args(["--as-of", AS_OF])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let product = read(&dir.path().join("products/billing.yaml"));
    assert!(
        product.contains("The Rebilly API is built on HTTP. Our API is RESTful."),
        "{product}"
    );
    assert!(!product.contains("Introduction"), "{product}");
    let index = read(&render(dir.path()).join("index.html"));
    let summary = index.split("<h3><a href=\"products/billing.html\">").nth(1).unwrap();
    let summary = summary.split("</section>").next().unwrap();
    assert!(summary.contains("<p>The Rebilly API is built on HTTP."), "{summary}");
    assert!(!summary.contains("<h1"), "{summary}");
}
