//! The portal as a partner reads it (SPEC §15.1): the onboarding page is a guide (each step,
//! what it needs with each terms' version, SHA-256 and link, what the provider checks, the
//! link that asks for it), product pages and API references show base URLs and never an
//! upstream, and every page passes axe-core in headless Chromium at 1280 and 375 px.

mod common;

use common::{AS_OF, browser, copy_example, edit, example_dir};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Renders the program in `dir` into `dir/out` and returns that folder's docs.
fn render(dir: &Path) -> PathBuf {
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_partnerctl"))
        .args(["render", "--out-dir"])
        .arg(&out)
        .arg("-C")
        .arg(dir)
        .env("PARTNERCTL_AS_OF", AS_OF)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    out.join("dist/docs")
}

fn page(docs: &Path, rel: &str) -> String {
    std::fs::read_to_string(docs.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn sha256(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_onboarding_page_is_a_guide_to_every_step() {
    let dir = copy_example();
    let docs = render(dir.path());
    let html = page(&docs, "onboarding.html");
    // The steps of the path, in order.
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing:\n{html}"));
    let order: Vec<usize> = [
        "id=\"registered\"",
        "id=\"terms_accepted\"",
        "id=\"sandbox\"",
        "id=\"production_requested\"",
        "id=\"live\"",
    ]
    .iter()
    .map(|s| at(s))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    for section in ["What you do", "What you need", "What we check"] {
        assert!(html.matches(section).count() >= 4, "{section}");
    }
    // The terms to accept: current version, the SHA-256 of its text, a link to the text.
    let tos = sha256(&example_dir().join("terms/partner-tos/2.0.md"));
    let data = sha256(&example_dir().join("terms/data-sharing/1.0.md"));
    assert!(html.contains(&format!("<code class=\"sha\">{tos}</code>")), "{html}");
    assert!(html.contains(&data), "the further terms of shipments: {html}");
    assert!(html.contains("href=\"terms/partner-tos/2.0.html\""));
    // A superseded version is never offered.
    assert!(!html.contains("partner-tos/1.0.html"));
    // The link that asks for each step: the intake repository's issue forms.
    for action in ["register", "accept-terms", "request-sandbox", "request-production"] {
        assert!(
            html.contains(&format!(
                "href=\"https://github.com/northwind/partners/issues/new?template=partnerctl-{action}.yml\""
            )),
            "{action}"
        );
    }
    // What the provider checks, from the approval rules.
    assert!(html.contains("A new partner is approved by the partnerships team."));
    assert!(html.contains(
        "Production access is approved by the security team, the team that owns the product and the partnerships team."
    ));
    assert!(html.contains("href=\"mailto:partners@northwind.example\""));
    // Where partners send requests, per product and environment.
    assert!(html.contains("<code class=\"url\">https://sandbox.api.northwind.example/shipments</code>"));
    assert!(html.contains("<code class=\"url\">https://api.northwind.example/tracking</code>"));
}

#[test]
fn the_ask_links_follow_the_intake_and_fall_back_to_the_contact() {
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "intake: {github: northwind/partners}",
        "intake: {url: \"https://northwind.example/partners/apply?lang=en\"}",
    );
    let html = page(&render(dir.path()), "onboarding.html");
    assert!(
        html.contains("href=\"https://northwind.example/partners/apply?lang=en&amp;action=request-production\""),
        "{html}"
    );
    assert!(!html.contains("github.com"));

    // No intake: each step says whom to ask. A hostile address stays text.
    let dir = copy_example();
    edit(
        dir.path(),
        "program.yaml",
        "    intake: {github: northwind/partners}   # each onboarding step links to its issue form\n",
        "",
    );
    edit(
        dir.path(),
        "program.yaml",
        "contact: {email: partners@northwind.example, url: \"https://northwind.example/partners\"}",
        "contact: {email: \"\\\"><script>alert(1)</script>@x.example\"}",
    );
    let html = page(&render(dir.path()), "onboarding.html");
    assert!(!html.contains("<script"), "{html}");
    assert!(
        html.contains("To ask for this step, write to <a href=\"mailto:"),
        "{html}"
    );
    assert!(!html.contains("class=\"button\""));
}

/// Every upstream of every product environment, which no portal page may show.
fn upstreams() -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(example_dir().join("products")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        let v: serde_json::Value = yaml_serde::from_str(&text).unwrap();
        for env in v["spec"]["environments"].as_object().unwrap().values() {
            out.push(env["upstream"].as_str().unwrap().to_string());
        }
    }
    assert!(out.len() >= 5, "{out:?}");
    out
}

fn all_pages(docs: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![docs.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "html") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn product_pages_and_references_show_base_urls_and_never_an_upstream() {
    let dir = copy_example();
    let docs = render(dir.path());
    let product = page(&docs, "products/shipments.html");
    for shown in [
        "<td>sandbox</td><td><code class=\"url\">https://sandbox.api.northwind.example/shipments</code></td>",
        "<td>production</td><td><code class=\"url\">https://api.northwind.example/shipments</code></td>",
    ] {
        assert!(product.contains(shown), "{shown}:\n{product}");
    }
    let api = page(&docs, "products/shipments/api.html");
    assert!(api.contains("production: <code class=\"url\">https://api.northwind.example/shipments</code>"));
    let pages = all_pages(&docs);
    assert!(pages.len() > 10);
    for p in &pages {
        let html = std::fs::read_to_string(p).unwrap();
        for up in upstreams() {
            assert!(!html.contains(&up), "{} shows the upstream {up}", p.display());
        }
        assert!(!html.contains(".internal"), "{} shows an internal host", p.display());
    }
    // An environment without a base URL says when it is given, and still no upstream.
    edit(
        dir.path(),
        "products/rates.yaml",
        ", baseUrl: \"https://sandbox.api.northwind.example/rates\"",
        "",
    );
    let rates = page(&render(dir.path()), "products/rates.html");
    assert!(rates.contains("announced when your access is granted"), "{rates}");
    assert!(!rates.contains("sandbox.rates.internal"));
}

#[test]
fn onboarding_and_product_pages_pass_axe_core_at_desktop_and_phone_widths() {
    if !browser::available() {
        return;
    }
    let dir = copy_example();
    let docs = render(dir.path());
    // The same pages with an intake URL and no base URL, as another program writes them.
    let other = copy_example();
    edit(
        other.path(),
        "program.yaml",
        "intake: {github: northwind/partners}",
        "intake: {url: \"https://northwind.example/partners/apply\"}",
    );
    edit(
        other.path(),
        "products/rates.yaml",
        ", baseUrl: \"https://sandbox.api.northwind.example/rates\"",
        "",
    );
    let other_docs = render(other.path());
    let files: Vec<PathBuf> = vec![
        docs.join("onboarding.html"),
        docs.join("products/shipments.html"),
        docs.join("products/tracking.html"),
        docs.join("products/rates.html"),
        docs.join("products/shipments/api.html"),
        docs.join("index.html"),
        other_docs.join("onboarding.html"),
        other_docs.join("products/rates.html"),
    ];
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let pages = browser::check(&refs);
    assert!(pages.iter().any(|p| p.width == 375) && pages.iter().any(|p| p.width == 1280));
    let problems = browser::problems(&pages);
    assert!(problems.is_empty(), "{problems:#?}");
}
