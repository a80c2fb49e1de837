//! `apply` killed at random moments (SIGKILL, nothing to clean up after itself), on a program
//! with hundreds of output files, twenty times: each time `plan` lists no output as drift
//! (the files are whole: the ones already written hold the new render, the others the old
//! one), and the next apply succeeds, removes what the killed one left (its temporaries, its
//! lock) and says exactly what it wrote: its summary's counts are the files that changed on
//! disk. Also: applies started at once never read each other's lock half-written.
//!
//! The moments are drawn from a fixed seed. Half of the kills fall at a fraction of how long
//! one apply takes here (most of it is reading, checking and rendering, so these mostly
//! land before or after the writing); the other half when a drawn number of the round's
//! files has been replaced on disk, so that they land while outputs are written. Either way
//! a run kills early, halfway and late in the same proportions on a fast or a slow machine.

mod plan_common;

use plan_common::Repo;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PARTNERS: usize = 30;

/// A live partner with a sandbox and a production key; `round` changes where its production
/// key's secret is kept, so every round rewrites its Kubernetes secrets.
fn partner(i: usize, round: usize) -> String {
    format!(
        "apiVersion: partnerctl/v1\nkind: Partner\nmetadata:\n  name: gen-{i:03}\n  owner: partnerships\nspec:\n  displayName: Generated {i}\n  legalName: Generated {i} Ltd\n  listed: true\n  stage: live\n  history:\n    - {{stage: registered, date: 2026-04-06}}\n    - {{stage: terms_accepted, date: 2026-04-08}}\n    - {{stage: sandbox, date: 2026-04-13}}\n    - {{stage: production_requested, date: 2026-06-15}}\n    - {{stage: live, date: 2026-07-06}}\n  agreements:\n    - {{terms: partner-tos, version: \"2.0\", acceptedOn: 2026-04-08, signedBy: A Person}}\n    - {{terms: data-sharing, version: \"1.0\", acceptedOn: 2026-04-08, signedBy: A Person}}\n  subscriptions:\n    - {{product: shipments, plan: standard, environment: sandbox}}\n    - {{product: shipments, plan: standard, environment: production}}\n  credentials:\n    - {{id: gen-{i:03}-sbx-1, environment: sandbox, created: 2026-04-13, secretRef: \"vault://partners/gen-{i:03}/sbx-1\"}}\n    - {{id: gen-{i:03}-prd-1, environment: production, created: 2026-07-06, secretRef: \"vault://partners/gen-{i:03}/prd-1/v{round}\"}}\n"
    )
}

/// Round `round` of the program: every generated partner's production secret moved, and the
/// program's name on every portal page changed.
fn write_round(r: &Repo, round: usize) {
    for i in 0..PARTNERS {
        r.write(&format!("partners/generated/gen-{i:03}.yaml"), &partner(i, round));
    }
    let program = r.read("program.yaml");
    let name = program
        .lines()
        .find_map(|l| l.strip_prefix("  displayName: "))
        .unwrap()
        .to_string();
    r.write(
        "program.yaml",
        &program.replacen(
            &format!("  displayName: {name}"),
            &format!("  displayName: Northwind Partner Program (round {round})"),
            1,
        ),
    );
}

/// Every file below `dist/`, by path relative to the repository, with its bytes.
fn outputs(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    // The example's outputs: dist/ and the issue forms.
    walk(root, &root.join("dist"), &mut out);
    walk(root, &root.join(".github/ISSUE_TEMPLATE"), &mut out);
    out
}

/// Each output file's identity on disk (inode and modification time): a file replaced by
/// a rename gets a new one.
fn identities(root: &Path) -> BTreeMap<String, (u64, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (u64, std::time::SystemTime)>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(m) = std::fs::symlink_metadata(&p) else { continue };
            if m.is_dir() {
                walk(root, &p, out);
            } else if let Ok(t) = m.modified() {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
                out.insert(rel, (m.ino(), t));
            }
        }
    }
    let mut out = BTreeMap::new();
    // The example's outputs: dist/ and the issue forms.
    walk(root, &root.join("dist"), &mut out);
    walk(root, &root.join(".github/ISSUE_TEMPLATE"), &mut out);
    out
}

fn apply_cmd(r: &Repo) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("partnerctl"));
    c.arg("-C")
        .arg(r.root())
        .args(["--as-of", plan_common::AS_OF, "apply"])
        .env("NO_COLOR", "1");
    c
}

/// The summary line's counts: written, unchanged, restored.
fn counts(out: &str) -> (usize, usize, usize) {
    let line = out
        .lines()
        .find(|l| l.starts_with("Apply complete:"))
        .unwrap_or_else(|| panic!("no summary: {out}"));
    let n = |after: &str| -> usize {
        let i = line.find(after).unwrap_or_else(|| panic!("{after:?} in {line}"));
        let head = &line[..i];
        head.rsplit(|c: char| !c.is_ascii_digit())
            .find(|s| !s.is_empty())
            .unwrap()
            .parse()
            .unwrap()
    };
    (n(" file(s) written"), n(" unchanged"), n(" drifted file(s) restored"))
}

#[test]
fn twenty_applies_killed_at_random_moments_leave_nothing_the_next_cannot_account_for() {
    // A kill loses nothing a process had written (the files are in the kernel's cache, not in
    // the process), so the disk adds only waiting: the repository lives in memory.
    let r = Repo::northwind_in_memory();
    write_round(&r, 0);
    r.commit("generated partners, round 0");
    let (code, out, err) = r.run(&["apply", "--initial"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(outputs(r.root()).len() > 3 * PARTNERS, "a program with many outputs");
    // How long an apply of one round takes here: the kills fall within it.
    write_round(&r, 1);
    r.commit("round 1");
    let started = Instant::now();
    let (code, out, err) = r.run(&["apply"]);
    assert_eq!(code, 0, "{out}{err}");
    let whole = started.elapsed().max(Duration::from_millis(100));
    // How many files a round replaces.
    let per_round = counts(&out).0;
    assert!(per_round > 2 * PARTNERS, "{out}");

    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut fraction = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 1000) as f64 / 1000.0
    };
    let (mut cut_short, mut interrupted_writes) = (0, 0);
    for round in 2..=21 {
        write_round(&r, round);
        r.commit(&format!("round {round}"));
        let before = outputs(r.root());

        let mut child = apply_cmd(&r)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if round % 2 == 0 {
            std::thread::sleep(whole.mul_f64(fraction()));
        } else {
            // Once this many of the round's files are replaced (or the apply has ended).
            let at = 1 + (fraction() * (per_round - 1) as f64) as usize;
            let was = identities(r.root());
            let limit = Instant::now() + 4 * whole + Duration::from_secs(5);
            while child.try_wait().unwrap().is_none() && Instant::now() < limit {
                let now = identities(r.root());
                if now.iter().filter(|(p, id)| was.get(*p) != Some(id)).count() >= at {
                    break;
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        child.wait().unwrap();
        if !finished {
            cut_short += 1;
        }
        let killed = outputs(r.root());
        // Cut short with some of the round's files written: a kill while writing.
        if !finished && killed != before {
            interrupted_writes += 1;
        }

        // Whatever the moment: every output file is whole, so none is drift.
        let (code, out, err) = r.run(&["plan", "--format", "json"]);
        assert_eq!(code, 0, "round {round}: {err}");
        let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(plan["drift"], serde_json::json!([]), "round {round}: {out}");
        // The temporaries it left are named, for the next apply to remove.
        let left: Vec<&str> = killed
            .keys()
            .filter(|p| p.contains("/.partnerctl-"))
            .map(String::as_str)
            .collect();
        let listed: Vec<&str> = plan["temporaries"]
            .as_array()
            .map(|a| a.iter().map(|t| t.as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(listed, left, "round {round}");

        let (code, out, err) = {
            let o = apply_cmd(&r).output().unwrap();
            (
                o.status.code().unwrap_or(-1),
                String::from_utf8(o.stdout).unwrap(),
                String::from_utf8(o.stderr).unwrap(),
            )
        };
        assert_eq!(code, 0, "round {round}: {out}{err}");
        let after = outputs(r.root());
        let changed: Vec<&String> = after
            .iter()
            .filter(|(p, bytes)| killed.get(*p) != Some(bytes))
            .map(|(p, _)| p)
            .collect();
        let wrote: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("wrote ")).collect();
        let (written, unchanged, restored) = counts(&out);
        assert_eq!(written, changed.len(), "round {round}: {out}");
        assert_eq!(wrote.len(), written, "round {round}: {out}");
        assert_eq!(restored, 0, "round {round}: nothing was edited by hand: {out}");
        let removed = out.lines().filter(|l| l.starts_with("removed ")).count();
        let temporaries = killed.keys().filter(|p| p.contains("/.partnerctl-")).count();
        assert_eq!(
            written + unchanged,
            after.len(),
            "round {round}: every output is written or unchanged: {out}"
        );
        assert_eq!(
            killed.len() + changed.iter().filter(|p| !killed.contains_key(**p)).count() - removed - temporaries,
            after.len(),
            "round {round}: {out}"
        );
        assert!(!after.keys().any(|p| p.contains("/.partnerctl-")), "round {round}");
        assert!(!r.path(".git/partnerctl-apply.lock").exists(), "round {round}");
    }
    // The last round is applied in full: nothing left to do.
    assert_eq!(r.run(&["plan", "--detailed-exitcode"]).0, 0);
    // The seed kills most applies before they finish, many after writing a part.
    assert!(cut_short >= 10, "{cut_short} of 20 applies were cut short");
    assert!(
        interrupted_writes >= 8,
        "{interrupted_writes} kills fell while outputs were written"
    );
}

#[test]
fn applies_started_at_once_name_each_others_lock_holder() {
    let r = Repo::northwind();
    r.only_csv_output();
    r.commit("only the csv");
    assert_eq!(r.run(&["apply", "--initial"]).0, 0);
    for round in 0..5 {
        let children: Vec<_> = (0..6)
            .map(|_| {
                apply_cmd(&r)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            match o.status.code() {
                Some(0) => {}
                Some(2) => assert!(
                    err.contains("another apply holds the lock") && err.contains("held by process"),
                    "round {round}: {err}"
                ),
                other => panic!("round {round}: exit {other:?}: {err}"),
            }
            assert!(!err.contains("holder unknown"), "round {round}: {err}");
        }
    }
    assert!(!r.path(".git/partnerctl-apply.lock").exists());
}
