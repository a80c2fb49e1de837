//! `partnerctl init` starts a program that validates cleanly and never overwrites one.

use assert_cmd::Command;
use predicates::prelude::*;

#[test]
fn init_writes_a_program_that_validates_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("acme-partners");
    Command::cargo_bin("partnerctl")
        .unwrap()
        .args(["init", "--as-of", "2026-11-01"])
        .arg(&target)
        .assert()
        .success()
        .stdout(predicate::str::contains("program.yaml"));
    let program = std::fs::read_to_string(target.join("program.yaml")).unwrap();
    assert!(program.contains("name: acme-partners"), "{program}");
    Command::cargo_bin("partnerctl")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(["validate", "--as-of", "2026-11-01", "-C"])
        .arg(&target)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("no problems in 5 files"));
    Command::cargo_bin("partnerctl")
        .unwrap()
        .arg("init")
        .arg(&target)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("never overwrites"));
}
