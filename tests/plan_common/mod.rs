//! Shared by the plan and apply tests: a program repository in a temp dir, built with git2.
#![allow(dead_code)]

use assert_cmd::Command;
use git2::{IndexAddOption, Oid, Repository, Signature};
use std::path::{Path, PathBuf};

pub const AS_OF: &str = "2026-11-01";

pub struct Repo {
    pub dir: tempfile::TempDir,
    pub repo: Option<Repository>,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

impl Repo {
    /// A copy of examples/northwind, committed once.
    pub fn northwind() -> Repo {
        let r = Repo::northwind_plain();
        let repo = Repository::init(r.root()).unwrap();
        let r = Repo { repo: Some(repo), ..r };
        r.commit("initial program");
        r
    }

    /// A copy of examples/northwind, committed once, in memory where the system has a
    /// `/dev/shm` (for tests that write many files many times: no disk to wait for).
    pub fn northwind_in_memory() -> Repo {
        let dir = match std::path::Path::new("/dev/shm") {
            shm if shm.is_dir() => tempfile::tempdir_in(shm).unwrap_or_else(|_| tempfile::tempdir().unwrap()),
            _ => tempfile::tempdir().unwrap(),
        };
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind"),
            dir.path(),
        );
        let repo = Repository::init(dir.path()).unwrap();
        let r = Repo { dir, repo: Some(repo) };
        r.commit("initial program");
        r
    }

    /// A copy of examples/northwind in a folder that is not a git repository.
    pub fn northwind_plain() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/northwind"),
            dir.path(),
        );
        Repo { dir, repo: None }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Replaces `from` by `to` in a file, insisting that `from` is there.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let t = self.read(rel);
        assert!(t.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &t.replacen(from, to, 1));
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path(rel)).unwrap();
    }

    /// Keeps only the partners.csv output, so that plans stay small and readable.
    pub fn only_csv_output(&self) {
        let t = self.read("program.yaml");
        let start = t.find("  outputs:\n").unwrap();
        self.write(
            "program.yaml",
            &format!(
                "{}  outputs:\n    - {{template: templates/partners.csv.j2, path: dist/partners.csv}}\n",
                &t[..start]
            ),
        );
    }

    /// Commits every change (git's add -A), returning the commit.
    pub fn commit(&self, message: &str) -> Oid {
        let repo = self.repo.as_ref().expect("a git repository");
        let mut index = repo.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = Signature::now("Test", "test@example.com").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents).unwrap()
    }

    pub fn applied_ref(&self) -> Option<Oid> {
        self.repo
            .as_ref()?
            .find_reference("refs/partnerctl/applied")
            .ok()?
            .target()
    }

    /// `partnerctl -C <repo> --as-of 2026-11-01 ARGS...`.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("partnerctl").unwrap();
        c.arg("-C").arg(self.root()).arg("--as-of").arg(AS_OF).args(args);
        c.env("NO_COLOR", "1");
        c
    }

    /// Runs as of another day and returns (exit code, stdout, stderr).
    pub fn run_at(&self, as_of: &str, args: &[&str]) -> (i32, String, String) {
        let mut c = Command::cargo_bin("partnerctl").unwrap();
        c.arg("-C").arg(self.root()).arg("--as-of").arg(as_of).args(args);
        c.env("NO_COLOR", "1");
        let out = c.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// Runs and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }
}

/// Commit ids and temp paths vary from run to run: replace them for snapshots.
pub fn redact(s: &str, root: &Path) -> String {
    let s = s.replace(&root.display().to_string(), "[repo]");
    let s = regex::Regex::new(r"\b[0-9a-f]{64}\b")
        .unwrap()
        .replace_all(&s, "[digest]")
        .to_string();
    let s = regex::Regex::new(r"\b[0-9a-f]{40}\b")
        .unwrap()
        .replace_all(&s, "[commit]")
        .to_string();
    regex::Regex::new(r"\b[0-9a-f]{12}\b")
        .unwrap()
        .replace_all(&s, "[short]")
        .to_string()
}
