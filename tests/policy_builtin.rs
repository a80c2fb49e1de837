//! The built-in pack's own Rego tests pass, and every rule has at least one.

use partnerctl::policy::builtin;
use partnerctl::policy::test::{Outcome, run_builtin_tests};

#[test]
fn builtin_rego_tests_pass() {
    let report = run_builtin_tests();
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    let failed: Vec<_> = report.results.iter().filter(|r| r.outcome != Outcome::Pass).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    for rule in builtin::RULES {
        assert!(
            report.results.iter().any(|r| r.file == rule.test_path),
            "built-in rule {} has no test in {}",
            rule.name,
            rule.test_path
        );
    }
}
