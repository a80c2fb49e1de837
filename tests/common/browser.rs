//! Pages opened in a real headless Chromium with axe-core (tests/tools/axe.cjs): what a
//! partner developer's browser shows, checked for accessibility at a desktop and a phone
//! width. `.ci/run` installs chromium, node, axe-core and puppeteer-core; outside CI a missing
//! one skips the check with a note, in CI (`CI` set) it fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One page at one width, as the harness reports it.
#[derive(Debug, serde::Deserialize)]
pub struct Page {
    pub file: String,
    pub width: u32,
    pub title: String,
    pub violations: Vec<Violation>,
    /// Wider than the window at this width (content cut off on a phone).
    pub overflow: bool,
    /// Console errors (a script blocked by the CSP would show here).
    pub errors: Vec<String>,
    /// How tall the page is, and the window, in CSS pixels.
    #[serde(default, rename = "scrollHeight")]
    pub scroll_height: u32,
    #[serde(default, rename = "innerHeight")]
    pub inner_height: u32,
}

#[derive(Debug, serde::Deserialize)]
pub struct Violation {
    pub id: String,
    pub impact: Option<String>,
    pub help: String,
    pub nodes: Vec<String>,
}

fn modules() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("PARTNERCTL_NODE_MODULES")?);
    (dir.join("axe-core").is_dir() && dir.join("puppeteer-core").is_dir()).then_some(dir)
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Whether the browser check can run here; in CI it must.
#[allow(clippy::print_stderr)] // the skip message is for the person running the tests
pub fn available() -> bool {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let ok = node && modules().is_some() && chromium().is_file();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "the browser check needs node, chromium and PARTNERCTL_NODE_MODULES (axe-core, puppeteer-core) in CI"
        );
        eprintln!("skipped: headless Chromium with axe-core is not set up here (.ci/run does it)");
    }
    ok
}

/// Opens each file at 1280 and 375 pixels wide and returns what axe and the page said.
pub fn check(files: &[&Path]) -> Vec<Page> {
    check_in(files, 900)
}

/// [`check`] in a window `height` pixels tall (1280×800 is a laptop's screen).
pub fn check_in(files: &[&Path], height: u32) -> Vec<Page> {
    let o = Command::new("node")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/axe.cjs"))
        .args(["--height", &height.to_string()])
        .args(files)
        .env("PARTNERCTL_NODE_MODULES", modules().expect("checked by available()"))
        .env("CHROMIUM", chromium())
        .output()
        .expect("node runs");
    let pages: Vec<Page> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(
        pages.len(),
        files.len() * 2,
        "the harness did not report every page: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    pages
}

/// Every problem on the pages, one line each, for an assertion message.
pub fn problems(pages: &[Page]) -> Vec<String> {
    let mut out = Vec::new();
    for p in pages {
        for v in &p.violations {
            out.push(format!(
                "{} @{}px: {} ({}, {:?}): {:?}",
                p.file, p.width, v.id, v.help, v.impact, v.nodes
            ));
        }
        if p.overflow && p.width < 600 {
            out.push(format!("{} @{}px: wider than the screen", p.file, p.width));
        }
        for e in &p.errors {
            out.push(format!("{} @{}px: console error: {e}", p.file, p.width));
        }
    }
    out
}

/// What tests/tools/portal.cjs reports of one page at one width.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortalPage {
    pub file: String,
    pub width: u32,
    pub title: String,
    pub h1: usize,
    pub scroll_width: u32,
    pub inner_width: u32,
    pub scroll_height: u32,
    pub violations: Vec<Violation>,
    pub dead_links: Vec<String>,
    pub nav: Vec<String>,
    pub nav_tags: Vec<String>,
    pub search_shown: bool,
    pub errors: Vec<String>,
}

/// What one search on a reference page found.
#[derive(Debug, serde::Deserialize)]
pub struct Search {
    pub search: String,
    pub file: String,
    pub status: String,
    pub results: Vec<String>,
}

/// Opens every file at 1280 and 375 pixels in one browser, several at a time, and runs each
/// `(file, query)` search; see tests/tools/portal.cjs.
pub fn portal(files: &[PathBuf], searches: &[(PathBuf, &str)]) -> (Vec<PortalPage>, Vec<Search>) {
    let config = serde_json::json!({
        "files": files,
        "widths": [1280, 375],
        "parallel": 4,
        "searches": searches.iter().map(|(f, q)| serde_json::json!({"file": f, "query": q})).collect::<Vec<_>>(),
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let o = Command::new("node")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/portal.cjs"))
        .arg(&path)
        .env("PARTNERCTL_NODE_MODULES", modules().expect("checked by available()"))
        .env("CHROMIUM", chromium())
        .output()
        .expect("node runs");
    let mut pages = Vec::new();
    let mut found = Vec::new();
    for line in String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
    {
        if line.starts_with("{\"search\"") {
            found.push(serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")));
        } else {
            pages.push(serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")));
        }
    }
    assert_eq!(
        (pages.len(), found.len()),
        (files.len() * 2, searches.len()),
        "the harness did not report every page: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (pages, found)
}
