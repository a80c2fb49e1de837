//! Pages of docs/ generated from the code, compared with the committed files: a change to
//! an explanation shows in the pull request as a change to the page users read. Regenerate
//! with `UPDATE_DOCS=1 cargo test --test docs`.

use std::path::Path;

#[test]
fn docs_checks_md_is_the_explanations_of_every_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md");
    let page = partnerctl::explain::checks_page();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &page).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == page,
        "docs/checks.md differs from src/explain.rs; run `UPDATE_DOCS=1 cargo test --test docs` and commit it"
    );
    for code in partnerctl::diag::Code::ALL {
        assert_eq!(page.matches(&format!("\n## {code}\n")).count(), 1, "{code}");
    }
}
