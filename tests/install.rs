//! The action's install script (action/install.sh) against a local folder of release
//! archives, laid out as a GitHub release is (`<tag>/partnerctl-<target>.tar.gz` and its
//! `.sha256`): it installs and puts partnerctl on the PATH, and refuses a tampered archive, a
//! checksum file that does not list it, a version that is not a release tag, and a platform
//! with no release, installing nothing.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

const VERSION: &str = "v9.9.9";
const TARGET: &str = "x86_64-unknown-linux-musl";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("action/install.sh")
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A release folder with one archive for TARGET holding a stand-in `partnerctl`.
struct Release {
    tmp: tempfile::TempDir,
}

impl Release {
    fn new() -> Release {
        let tmp = tempfile::tempdir().unwrap();
        let r = Release { tmp };
        let stage = r.path("stage");
        std::fs::create_dir_all(&stage).unwrap();
        std::fs::write(
            stage.join("partnerctl"),
            "#!/bin/sh\necho \"partnerctl 9.9.9 (stand-in)\"\n",
        )
        .unwrap();
        Command::new("chmod")
            .arg("755")
            .arg(stage.join("partnerctl"))
            .status()
            .unwrap();
        let dir = r.path(&format!("releases/{VERSION}"));
        std::fs::create_dir_all(&dir).unwrap();
        let archive = dir.join(format!("partnerctl-{TARGET}.tar.gz"));
        let ok = Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(&stage)
            .arg("partnerctl")
            .status()
            .unwrap();
        assert!(ok.success());
        r.write_sums(&format!(
            "{}  partnerctl-{TARGET}.tar.gz\n",
            hex(&std::fs::read(&archive).unwrap())
        ));
        r
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn archive(&self) -> PathBuf {
        self.path(&format!("releases/{VERSION}/partnerctl-{TARGET}.tar.gz"))
    }

    fn write_sums(&self, text: &str) {
        std::fs::write(
            self.path(&format!("releases/{VERSION}/partnerctl-{TARGET}.sha256")),
            text,
        )
        .unwrap();
    }

    /// Runs the script as the action does, on a Linux x86_64 runner.
    fn install(&self, version: &str, arch: &str) -> (i32, String, PathBuf) {
        let dest = self.path("tools/partnerctl");
        let path_file = self.path("github_path");
        let o = Command::new("bash")
            .arg(script())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.tmp.path())
            .env("PARTNERCTL_VERSION", version)
            .env("PARTNERCTL_REPOSITORY", "example/partnerctl")
            .env(
                "PARTNERCTL_RELEASES_URL",
                format!("file://{}", self.path("releases").display()),
            )
            .env("PARTNERCTL_INSTALL_DIR", &dest)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", arch)
            .env("GITHUB_PATH", &path_file)
            .output()
            .unwrap();
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.code().unwrap_or(-1), log, dest)
    }
}

fn have_tools() -> bool {
    let ok = ["bash", "curl", "tar"].iter().all(|t| {
        Command::new(t)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    });
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "bash, curl and tar are needed in CI"
    );
    ok
}

#[test]
fn a_verified_archive_is_installed_and_put_on_the_path() {
    if !have_tools() {
        return;
    }
    let r = Release::new();
    let (code, log, dest) = r.install(VERSION, "X64");
    assert_eq!(code, 0, "{log}");
    let bin = dest.join("partnerctl");
    let out = Command::new(&bin).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "partnerctl 9.9.9 (stand-in)"
    );
    assert_eq!(
        std::fs::read_to_string(r.path("github_path")).unwrap().trim(),
        dest.display().to_string()
    );
    // Installed once, it is not downloaded again (the action caches this folder).
    std::fs::remove_dir_all(r.path("releases")).unwrap();
    let (code, log, _) = r.install(VERSION, "X64");
    assert_eq!(code, 0, "{log}");
}

#[test]
fn a_tampered_archive_is_refused_and_nothing_is_installed() {
    if !have_tools() {
        return;
    }
    let r = Release::new();
    // The archive is replaced after its checksum was published.
    let mut bytes = std::fs::read(r.archive()).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(r.archive(), &bytes).unwrap();
    let (code, log, dest) = r.install(VERSION, "X64");
    assert_ne!(code, 0, "{log}");
    assert!(log.contains("does not match its checksum"), "{log}");
    assert!(!dest.join("partnerctl").exists());
    assert!(!r.path("github_path").exists(), "nothing was put on the PATH");
}

#[test]
fn a_checksum_file_that_does_not_vouch_for_the_archive_is_refused() {
    if !have_tools() {
        return;
    }
    let r = Release::new();
    let sum = hex(&std::fs::read(r.archive()).unwrap());
    for (sums, why) in [
        (
            format!("{sum}  partnerctl-aarch64-unknown-linux-musl.tar.gz\n"),
            "does not list",
        ),
        ("\n".to_string(), "does not list"),
        (
            format!("{}  partnerctl-{TARGET}.tar.gz\n", &sum[..40]),
            "holds no SHA-256",
        ),
    ] {
        r.write_sums(&sums);
        let (code, log, dest) = r.install(VERSION, "X64");
        assert_ne!(code, 0, "{log}");
        assert!(log.contains(why), "{why}: {log}");
        assert!(!dest.join("partnerctl").exists());
    }
    std::fs::remove_file(r.path(&format!("releases/{VERSION}/partnerctl-{TARGET}.sha256"))).unwrap();
    let (code, log, _) = r.install(VERSION, "X64");
    assert_ne!(code, 0);
    assert!(log.contains("cannot download"), "{log}");
}

#[test]
fn only_release_tags_and_known_platforms_are_installed() {
    if !have_tools() {
        return;
    }
    let r = Release::new();
    for version in ["main", "1.2.3", "v1.2", "$(touch pwned)"] {
        let (code, log, _) = r.install(version, "X64");
        assert_ne!(code, 0, "{version}: {log}");
        assert!(log.contains("is not a release tag"), "{version}: {log}");
    }
    assert!(!r.path("pwned").exists() && !Path::new("pwned").exists());
    let (code, log, _) = r.install(VERSION, "RISCV64");
    assert_ne!(code, 0);
    assert!(log.contains("no partnerctl release for the architecture"), "{log}");
    // A release tag that has no archive.
    let (code, log, _) = r.install("v9.9.8", "X64");
    assert_ne!(code, 0);
    assert!(log.contains("cannot download"), "{log}");
}
