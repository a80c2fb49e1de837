//! Hostile input: paths (see main.rs). A pull request controls every name, link and special
//! file in the repository; none of them may make partnerctl read `.git` or outside the
//! repository, write onto `.git` or the program's own files, delete outside the output root,
//! hang, crash, or lose its state.

use super::*;
use common::{copy_example, write};
use std::fs;
use std::os::unix::fs::symlink;
use std::time::Duration;

const TOKEN: &str = "SECRETTOKEN";

/// The example with its outputs replaced by `outputs` (YAML flow mappings, one per line).
fn with_outputs(dir: &Path, outputs: &[&str]) {
    let text = fs::read_to_string(dir.join("program.yaml")).unwrap();
    let head = &text[..text.find("  outputs:\n").expect("the example lists outputs")];
    let mut out = format!("{head}  outputs:\n");
    for o in outputs {
        out.push_str(&format!("    - {o}\n"));
    }
    fs::write(dir.join("program.yaml"), out).unwrap();
}

/// Makes `dir` a git repository whose `.git/config` holds CI's token, as actions/checkout
/// leaves it; returns the config's bytes.
fn repo_with_token(dir: &Path) -> Vec<u8> {
    git2::Repository::init(dir).unwrap();
    let config = dir.join(".git/config");
    let mut text = fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "[http \"https://github.com/\"]\n\textraheader = AUTHORIZATION: basic {TOKEN}\n"
    ));
    fs::write(&config, &text).unwrap();
    text.into_bytes()
}

/// Every file below `dir` (not following links), for "the token is in none of them".
fn all_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let ft = e.file_type().unwrap();
            if ft.is_dir() && e.file_name() != ".git" {
                stack.push(e.path());
            } else if ft.is_file() {
                out.push(e.path());
            }
        }
    }
    out
}

fn assert_refused(r: &Run, path: &str) {
    assert!(
        matches!(r.code, Some(1) | Some(2)),
        "{path}: exit {:?}\n{}",
        r.code,
        r.all()
    );
    assert!(r.all().contains(path), "the refusal names {path}:\n{}", r.all());
}

/// `gd -> .git` plus an output `gd/config`, and outputs spelled onto `.git`, program.yaml and
/// workflows: render and apply refuse, and every target stays as it was.
#[test]
fn outputs_never_reach_git_or_the_programs_own_files() {
    let evil_config = "[core]\n\tfsmonitor = touch /tmp/partnerctl-pwned\n";
    // (output path, file that must stay as it was, relative to the repository)
    let cases = [
        ("gd/config", ".git/config"),
        ("gd/hooks/post-checkout", ".git/hooks/post-checkout"),
        (".GIT/config", ".GIT/config"),
        (".git./config", ".git./config"),
        ("git~1/config", "git~1/config"),
        ("program.yaml", "program.yaml"),
        ("PROGRAM.yaml", "PROGRAM.yaml"),
        (".github/workflows/x.yml", ".github/workflows/x.yml"),
        ("templates/cfg.j2", "templates/cfg.j2"),
    ];
    for (output, guarded) in cases {
        for command in ["render", "apply"] {
            let dir = copy_example();
            let root = dir.path();
            repo_with_token(root);
            symlink(".git", root.join("gd")).unwrap();
            write(root, "templates/cfg.j2", evil_config);
            with_outputs(root, &[&format!("{{template: templates/cfg.j2, path: \"{output}\"}}")]);
            git_commit_all(root, "outputs");
            let before = fs::read(root.join(guarded)).ok();
            let r = run(root, &[command]);
            assert_refused(&r, output);
            assert_eq!(
                fs::read(root.join(guarded)).ok(),
                before,
                "{command} {output}: {guarded} must stay as it was\n{}",
                r.all()
            );
            let git_config = fs::read_to_string(root.join(".git/config")).unwrap();
            assert!(
                !git_config.contains("fsmonitor"),
                "{command} {output}: .git/config was written"
            );
        }
    }
}

/// `--out-dir` into the repository's git folder, directly or through a link.
#[test]
fn out_dir_never_points_into_git() {
    let dir = copy_example();
    let root = dir.path();
    let config = repo_with_token(root);
    symlink(".git", root.join("gd")).unwrap();
    write(
        root,
        "templates/cfg.j2",
        "[core]\n\tfsmonitor = touch /tmp/partnerctl-pwned\n",
    );
    with_outputs(root, &["{template: templates/cfg.j2, path: config}"]);
    for out_dir in [".git", "gd", ".git/hooks"] {
        let r = run(
            root,
            &["render", "--out-dir", &root.join(out_dir).display().to_string()],
        );
        assert_refused(&r, out_dir);
        assert_eq!(
            fs::read(root.join(".git/config")).unwrap(),
            config,
            "--out-dir {out_dir}"
        );
    }
}

/// A template or a terms text linked to `.git/config`: validate refuses it, and the token
/// reaches neither the plan (the PR comment) nor any rendered file (the portal).
#[test]
fn linked_files_never_leak_the_token() {
    let cases = [
        // (link, target, extra output)
        (
            "templates/notes.txt.j2",
            "../.git/config",
            Some("{template: templates/notes.txt.j2, path: dist/notes.txt}"),
        ),
        ("terms/partner-tos/2.0.md", "../../.git/config", None),
        ("program.yaml", ".git/config", None),
        ("policies/leak.rego", "../.git/config", None),
    ];
    for (link, target, output) in cases {
        let dir = copy_example();
        let root = dir.path();
        repo_with_token(root);
        if let Some(o) = output {
            let text = fs::read_to_string(root.join("program.yaml")).unwrap();
            fs::write(root.join("program.yaml"), format!("{text}    - {o}\n")).unwrap();
        }
        fs::create_dir_all(root.join(link).parent().unwrap()).unwrap();
        let _ = fs::remove_file(root.join(link));
        symlink(target, root.join(link)).unwrap();

        let v = run(root, &["validate"]);
        assert_eq!(v.code, Some(1), "{link}: {}", v.all());
        assert!(v.all().contains("file-refused"), "{link}: {}", v.all());
        assert!(v.all().contains(link), "{link}: {}", v.all());
        assert!(!v.all().contains(TOKEN), "{link}: validate echoed the token");

        let p = run(root, &["plan", "--format", "markdown"]);
        assert!(
            !p.all().contains(TOKEN),
            "{link}: the plan shows the token:\n{}",
            p.stdout
        );

        let r = run(root, &["render"]);
        assert!(!r.all().contains(TOKEN), "{link}");
        for f in all_files(root) {
            if f.starts_with(root.join(".git")) {
                continue;
            }
            let bytes = fs::read(&f).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(TOKEN),
                "{link}: {} holds the token",
                f.display()
            );
        }
    }
}

/// A FIFO where program.yaml or a partner file should be: refused at once, never opened.
#[test]
fn a_fifo_is_refused_without_waiting() {
    for fifo in [
        "program.yaml",
        "partners/emea/acme-logistics.yaml",
        "terms/partner-tos/2.0.md",
    ] {
        let dir = copy_example();
        let root = dir.path();
        fs::remove_file(root.join(fifo)).unwrap();
        let ok = std::process::Command::new("mkfifo")
            .arg(root.join(fifo))
            .status()
            .unwrap();
        assert!(ok.success());
        let r = run_in(root, &["validate"], Duration::from_secs(10));
        assert_eq!(r.code, Some(1), "{fifo}: {:?}\n{}", r.code, r.all());
        assert!(r.all().contains("file-refused"), "{fifo}: {}", r.all());
        assert!(r.all().contains(fifo), "{fifo}: {}", r.all());
    }
}

/// A folder under partners/ named with a newline and a CODEOWNERS rule: a schema finding, and
/// the generated CODEOWNERS stays as it was.
#[test]
fn folder_names_outside_the_name_pattern_are_schema_findings() {
    let dir = copy_example();
    let root = dir.path();
    assert_eq!(run(root, &["render"]).code, Some(0));
    let codeowners = fs::read(root.join("dist/CODEOWNERS")).unwrap();

    let evil = "partners/x\n* @evil-user\n#";
    fs::create_dir_all(root.join(evil)).unwrap();
    fs::rename(
        root.join("partners/emea/acme-logistics.yaml"),
        root.join(evil).join("acme-logistics.yaml"),
    )
    .unwrap();
    let v = run(root, &["validate", "--format", "json"]);
    assert_eq!(v.code, Some(1), "{}", v.all());
    let json: serde_json::Value = serde_json::from_str(&v.stdout).expect("json");
    let found = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["code"] == "schema" && d["file"].as_str() == Some(evil.split("/acme").next().unwrap()));
    assert!(found, "a schema finding at the folder:\n{}", v.stdout);
    let r = run(root, &["render"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert_eq!(fs::read(root.join("dist/CODEOWNERS")).unwrap(), codeowners);
    assert!(!String::from_utf8_lossy(&codeowners).contains("@evil-user"));

    for bad in [
        "partners/EMEA/x.yaml",
        "products/New Product/x.yaml",
        "terms/-tos/1.0.md",
    ] {
        let dir = copy_example();
        write(dir.path(), bad, "apiVersion: partnerctl/v1\n");
        let v = run(dir.path(), &["validate"]);
        assert_eq!(v.code, Some(1), "{bad}: {}", v.all());
        let folder = &bad[..bad.rfind('/').unwrap()];
        assert!(
            v.all().contains("schema") && v.all().contains(folder),
            "{bad}: {}",
            v.all()
        );
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A state file naming `../` or absolute paths, and an output folder turned into a link to
/// outside: apply removes nothing outside the repository.
#[test]
fn removal_never_leaves_the_output_root() {
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    fs::write(&victim, "precious").unwrap();
    let digest = sha256_hex(b"precious");

    let dir = copy_example();
    let root = dir.path();
    let up = format!(
        "../{}/victim.txt",
        outside.path().file_name().unwrap().to_str().unwrap()
    );
    for named in [up.as_str(), victim.to_str().unwrap()] {
        let state = root.join("state.json");
        let record = serde_json::json!({
            "version": 1, "asOf": null, "desiredDigest": "0", "outputs": {named: digest}, "files": {}
        });
        fs::write(&state, record.to_string()).unwrap();
        let r = run(root, &["apply", "--state-file", state.to_str().unwrap()]);
        assert!(victim.exists(), "{named}: apply deleted a file outside the repository");
        assert_eq!(r.code, Some(2), "{named}: {}", r.all());
        assert!(r.all().contains("victim.txt"), "{named}: {}", r.all());
    }

    // An output folder replaced by a link to outside, then the output dropped.
    let dir = copy_example();
    let root = dir.path();
    let state = root.join("state.json");
    let state_arg = state.to_str().unwrap();
    with_outputs(
        root,
        &["{template: templates/partners.csv.j2, path: dist/partners.csv}"],
    );
    assert_eq!(run(root, &["apply", "--state-file", state_arg]).code, Some(0));
    let csv = fs::read(root.join("dist/partners.csv")).unwrap();
    fs::remove_dir_all(root.join("dist")).unwrap();
    fs::write(outside.path().join("partners.csv"), &csv).unwrap();
    symlink(outside.path(), root.join("dist")).unwrap();
    with_outputs(root, &["{template: templates/partners.csv.j2, path: out/partners.csv}"]);
    let r = run(root, &["apply", "--state-file", state_arg]);
    assert!(
        outside.path().join("partners.csv").exists(),
        "apply removed a file through a linked output folder:\n{}",
        r.all()
    );
    assert!(matches!(r.code, Some(1) | Some(2)), "{}", r.all());
    assert!(r.all().contains("dist/partners.csv"), "{}", r.all());
}

/// A lock left by a killed apply is taken over with a warning, and its temporary files go; a
/// live holder still blocks.
#[test]
fn a_stale_lock_is_taken_over_and_temporaries_are_removed() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("keep.txt"), "keep").unwrap();
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    // No process has an id above Linux's pid_max.
    let dead = 4_194_305u32;
    let locks = [
        format!("pid {dead}\n"),
        serde_json::json!({"host": host, "pid": dead, "started": "2026-01-01T00:00:00Z"}).to_string(),
    ];
    for lock in locks {
        let dir = copy_example();
        let root = dir.path();
        let state = root.join("state.json");
        fs::write(root.join("state.json.lock"), &lock).unwrap();
        write(root, "dist/.partnerctl-a1b2.tmp", "half an output");
        write(root, "dist/gateway/.partnerctl-c3d4.tmp", "half an output");
        write(root, "notes/.partnerctl-mine.tmp", "not an output folder");
        symlink(outside.path().join("keep.txt"), root.join("dist/.partnerctl-link.tmp")).unwrap();

        let r = run(root, &["apply", "--state-file", state.to_str().unwrap()]);
        assert_eq!(r.code, Some(0), "{lock}: {}", r.all());
        assert!(
            r.stderr.contains("warning") && r.stderr.contains("lock"),
            "{lock}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&dead.to_string()),
            "the warning names the holder: {}",
            r.stderr
        );
        assert!(!root.join("dist/.partnerctl-a1b2.tmp").exists());
        assert!(!root.join("dist/gateway/.partnerctl-c3d4.tmp").exists());
        assert!(
            root.join("notes/.partnerctl-mine.tmp").exists(),
            "only output folders are cleaned"
        );
        assert_eq!(fs::read_to_string(outside.path().join("keep.txt")).unwrap(), "keep");
        assert!(!root.join("state.json.lock").exists(), "the lock is released");
    }

    // This test's own process is alive on this host: its lock blocks.
    let dir = copy_example();
    let root = dir.path();
    let live = serde_json::json!({"host": host, "pid": std::process::id(), "started": "2026-01-01T00:00:00Z"});
    fs::write(root.join("state.json.lock"), live.to_string()).unwrap();
    let r = run(
        root,
        &["apply", "--state-file", root.join("state.json").to_str().unwrap()],
    );
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(r.all().contains(&std::process::id().to_string()), "{}", r.all());
    assert!(!root.join("dist").exists(), "nothing written under a live lock");
}

/// A state note or state file that cannot be read is an error, never "nothing applied"
/// (which would silently switch drift off).
#[test]
fn unreadable_state_is_an_error() {
    for note in [
        "{not json",
        "{\"version\": 99, \"desiredDigest\": \"0\", \"outputs\": {}}",
        "[]",
    ] {
        let dir = copy_example();
        let root = dir.path();
        with_outputs(
            root,
            &["{template: templates/partners.csv.j2, path: dist/partners.csv}"],
        );
        let head = git_commit_all(root, "one");
        assert_eq!(run(root, &["apply"]).code, Some(0));
        // Drift that a readable state would show.
        fs::write(root.join("dist/partners.csv"), "edited by hand\n").unwrap();
        let repo = git2::Repository::open(root).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let oid = git2::Oid::from_str(&head).unwrap();
        repo.note(&sig, &sig, Some("refs/notes/partnerctl"), oid, note, true)
            .unwrap();
        for command in ["plan", "apply"] {
            let r = run(root, &[command]);
            assert_eq!(r.code, Some(2), "{command} with note {note:?}: {}", r.all());
            assert!(r.all().contains("state note"), "{command}: {}", r.all());
        }
        assert_eq!(
            fs::read_to_string(root.join("dist/partners.csv")).unwrap(),
            "edited by hand\n"
        );
    }

    for state in ["{\"version\": 2, \"desiredDigest\": \"0\", \"outputs\": {}}", "garbage"] {
        let dir = copy_example();
        let root = dir.path();
        let path = root.join("state.json");
        fs::write(&path, state).unwrap();
        for command in ["plan", "apply"] {
            let r = run(root, &[command, "--state-file", path.to_str().unwrap()]);
            assert_eq!(r.code, Some(2), "{command} with state {state:?}: {}", r.all());
            assert!(r.all().contains("state.json"), "{}", r.all());
        }
    }
}

/// A commit of 100,000 nested folders: `plan --rev` reports it and exits, never overflows the
/// stack.
#[test]
fn deeply_nested_folders_in_a_commit_do_not_crash() {
    let dir = copy_example();
    let root = dir.path();
    git_commit_all(root, "one");
    let repo = git2::Repository::open(root).unwrap();
    // 100,000 loose objects take minutes to write and delete, and libgit2's packer recurses
    // through the tree: the chain is written as one hand-made pack instead.
    let blob = repo.blob(b"deep\n").unwrap();
    let mut objects = Vec::with_capacity(100_001);
    let mut tree = tree_bytes("x.yaml", "100644", blob);
    for _ in 0..100_000 {
        let id = git2::Oid::hash_object(git2::ObjectType::Tree, &tree).unwrap();
        objects.push(std::mem::replace(&mut tree, tree_bytes("d", "40000", id)));
    }
    let deep = git2::Oid::hash_object(git2::ObjectType::Tree, &tree).unwrap();
    objects.push(tree);
    let odb = repo.odb().unwrap();
    let mut writer = odb.packwriter().unwrap();
    std::io::Write::write_all(&mut writer, &pack_of_trees(&objects)).unwrap();
    writer.commit().unwrap();

    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let top = head.tree().unwrap();
    let products = repo.find_tree(top.get_name("products").unwrap().id()).unwrap();
    let mut pb = repo.treebuilder(Some(&products)).unwrap();
    pb.insert("deep", deep, 0o040000).unwrap();
    let products = pb.write().unwrap();
    let mut rb = repo.treebuilder(Some(&top)).unwrap();
    rb.insert("products", products, 0o040000).unwrap();
    let new_top = repo.find_tree(rb.write().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@example.com").unwrap();
    let commit = repo
        .commit(None, &sig, &sig, "deep", &new_top, &[&head])
        .unwrap()
        .to_string();

    let r = run_in(root, &["plan", "--rev", &commit], Duration::from_secs(60));
    assert!(matches!(r.code, Some(1) | Some(2)), "exit {:?}: {}", r.code, r.all());
    assert!(
        r.all().contains("products/deep"),
        "the finding names the folder: {}",
        r.all()
    );
    let r = run_in(root, &["plan", "--base", &commit], Duration::from_secs(60));
    assert!(
        matches!(r.code, Some(0) | Some(1) | Some(2)),
        "plan --base: {:?} {}",
        r.code,
        r.all()
    );
}

/// A tree object with one entry.
fn tree_bytes(name: &str, mode: &str, id: git2::Oid) -> Vec<u8> {
    let mut t = format!("{mode} {name}\0").into_bytes();
    t.extend_from_slice(id.as_bytes());
    t
}

/// A version-2 pack of tree objects, each stored (zlib without compression), no deltas.
fn pack_of_trees(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut pack = b"PACK".to_vec();
    pack.extend_from_slice(&2u32.to_be_bytes());
    pack.extend_from_slice(&(objects.len() as u32).to_be_bytes());
    for o in objects {
        // Type 2 (tree) and the size, 4 bits then 7 bits per byte.
        let mut size = o.len();
        let mut first = 0x20 | (size & 0x0f) as u8;
        size >>= 4;
        while size > 0 {
            pack.push(first | 0x80);
            first = (size & 0x7f) as u8;
            size >>= 7;
        }
        pack.push(first);
        pack.extend_from_slice(&[0x78, 0x01, 0x01]);
        let len = o.len() as u16;
        pack.extend_from_slice(&len.to_le_bytes());
        pack.extend_from_slice(&(!len).to_le_bytes());
        pack.extend_from_slice(o);
        pack.extend_from_slice(&adler32(o).to_be_bytes());
    }
    let sum = sha1(&pack);
    pack.extend_from_slice(&sum);
    pack
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// SHA-1 (FIPS 180-4), for the pack's trailer; no SHA-1 crate is among the dependencies.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes(chunk[i * 4..i * 4 + 4].try_into().unwrap());
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

/// An output folder replaced by a link (`dist/meta -> ../.git`, or to a folder outside the
/// repository): the drift check of `plan` reads nothing through it, so neither `.git/config`
/// (CI's token) nor any file outside the repository reaches the plan or its comment; `apply`
/// reads nothing through it either.
#[test]
fn drift_never_reads_through_a_linked_output_folder() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("config"), format!("outside {TOKEN}\n")).unwrap();
    for target in [".git", "outside"] {
        let dir = copy_example();
        let root = dir.path();
        repo_with_token(root);
        let state = root.join("state.json");
        let state_arg = state.to_str().unwrap();
        with_outputs(root, &["{template: templates/partners.csv.j2, path: dist/meta/config}"]);
        assert_eq!(run(root, &["apply", "--state-file", state_arg]).code, Some(0));
        fs::remove_dir_all(root.join("dist/meta")).unwrap();
        let link = if target == ".git" {
            std::path::PathBuf::from("../.git")
        } else {
            outside.path().to_path_buf()
        };
        symlink(&link, root.join("dist/meta")).unwrap();
        for format in ["json", "text", "markdown"] {
            let r = run(root, &["plan", "--state-file", state_arg, "--format", format]);
            assert!(
                !r.all().contains(TOKEN),
                "{target}: plan --format {format} shows a file read through dist/meta:\n{}",
                r.all()
            );
            assert!(
                r.all().contains("dist/meta/config"),
                "{target}: the drift is not reported:\n{}",
                r.all()
            );
        }
        let r = run(root, &["apply", "--state-file", state_arg]);
        assert!(!r.all().contains(TOKEN), "{target}: {}", r.all());
        let config = fs::read_to_string(root.join(".git/config")).unwrap();
        assert!(config.contains(TOKEN), "{target}: apply wrote into .git/config");
        assert_eq!(
            fs::read_to_string(outside.path().join("config")).unwrap(),
            format!("outside {TOKEN}\n"),
            "{target}: apply wrote outside the repository"
        );
    }
}

/// Every entry below `dir` but `.git` (not following links), with a file's bytes.
fn tree(dir: &Path) -> Vec<(std::path::PathBuf, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let ft = e.file_type().unwrap();
            if ft.is_dir() && e.file_name() != ".git" {
                stack.push(e.path());
            }
            let bytes = ft.is_file().then(|| fs::read(e.path()).unwrap());
            out.push((e.path(), bytes));
        }
    }
    out.sort();
    out
}

/// `render` writes each output beside its files as soon as it is rendered: when the last
/// output is refused (its folder is a link out of the repository), the outputs before it,
/// already written beside their files, are taken back. Nothing is replaced, no temporary
/// file or new folder stays, nothing is written outside.
#[test]
fn a_refused_last_output_leaves_the_earlier_ones_unwritten() {
    let dir = copy_example();
    let root = dir.path();
    let outside = tempfile::tempdir().unwrap();
    symlink(outside.path(), root.join("out")).unwrap();
    common::edit(
        root,
        "program.yaml",
        "    - {target: issue-forms, path: .github/ISSUE_TEMPLATE}\n",
        "    - {target: issue-forms, path: .github/ISSUE_TEMPLATE}\n    - {template: templates/partners.csv.j2, path: out/partners.csv}\n",
    );
    // One earlier output on disk already, with other bytes: it must keep them.
    write(root, "dist/CODEOWNERS", "# by hand\n");
    let before = tree(root);
    let r = run(root, &["render"]);
    assert_refused(&r, "out/partners.csv");
    let after = tree(root);
    let changed: Vec<_> = after
        .iter()
        .filter(|e| !before.contains(e))
        .chain(before.iter().filter(|e| !after.contains(e)))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(changed.is_empty(), "changed, made or removed: {changed:?}\n{}", r.all());
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
}
